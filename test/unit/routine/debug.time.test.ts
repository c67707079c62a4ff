import { strict as assert } from 'node:assert';
import { DeviceError } from '../../../src/bot/device';
import { debugHarness, y, type DebugHarness } from './debugHarness';
import { flush } from './interpreterHarness';

/** Starts a run on a manual clock and lets it reach its first wait. */
async function started(h: DebugHarness): Promise<{ run: ReturnType<DebugHarness['run']> }> {
  const run = h.run('main');
  await h.event((e) => e.type === 'step.start');
  await flush();
  return { run };
}

describe('(unit) routine debugger: time, pauses, cancellation', () => {
  it('a pause mid-wait stops at once; the wait resumes with its remainder after continue', async () => {
    const h = debugHarness({ autoAdvance: false, routines: { main: y('steps:', '  - wait: 10s', '  - log: after') } });
    const { run } = await started(h);
    await h.clock.advance(4000);
    assert.ok(h.dbg.pause());
    const s = await h.stop();
    assert.deepEqual([s.reason, s.line], ['pause', 2]);
    assert.equal(h.dbg.pause(), false, 'already stopped');
    await h.clock.advance(60_000);
    await flush();
    assert.equal(h.of('step.end').length, 0, 'nothing moves while stopped');
    h.dbg.continue();
    await flush();
    await h.clock.advance(5999);
    await flush();
    assert.equal(h.of('step.end').length, 0, '6 s were left');
    await h.clock.advance(1);
    const end = await h.event((e) => e.type === 'step.end');
    assert.equal(h.at(end), 70_000);
    assert.equal(end.type === 'step.end' && end.ms, 10_000, 'the step took 10 s of routine time');
    assert.equal((await run).ok, true);
  });

  it('a stopped step does not time out: its timeout resumes with what was left', async () => {
    const h = debugHarness({ autoAdvance: false, routines: { main: y('steps:', '  - wait: 5s', '    timeout: 6s', '  - log: after') } });
    const { run } = await started(h);
    await h.clock.advance(2000);
    h.dbg.pause();
    await h.stop();
    await h.clock.advance(60_000);
    h.dbg.continue();
    await flush();
    await h.clock.advance(3000);
    const r = await run;
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(h.clock.now(), 65_000);
  });

  it('a waitFor stopped mid-poll times out after its remaining time, not at once', async () => {
    const h = debugHarness({ autoAdvance: false, routines: { main: y('steps:', '  - waitFor: { image: never_there, timeout: 10s, interval: 1s }') } });
    const { run } = await started(h);
    await h.clock.advance(2500);
    h.dbg.pause();
    await h.stop();
    await h.clock.advance(100_000);
    h.dbg.continue();
    await flush();
    for (let i = 0; i < 8; i++) {
      await h.clock.advance(1000);
      await flush();
    }
    const r = await run;
    assert.equal(r.error?.code, 'wait-timeout');
    const end = h.of('step.end')[0];
    assert.deepEqual([h.at(end), end.ms], [110_000, 10_000]);
  });

  it('a waitStable stopped between its two frames goes on with the rest of its interval', async () => {
    const h = debugHarness({ autoAdvance: false, routines: { main: y('steps:', '  - waitStable: { interval: 2s, timeout: 10s }', '  - log: after') } });
    const { run } = await started(h);
    await h.clock.advance(1000);
    h.dbg.pause();
    assert.equal((await h.stop()).line, 2);
    await h.clock.advance(50_000);
    h.dbg.continue();
    await flush();
    await h.clock.advance(999);
    await flush();
    assert.equal(h.of('step.end').length, 0);
    await h.clock.advance(1);
    const end = await h.event((e) => e.type === 'step.end');
    assert.deepEqual([h.at(end), end.type === 'step.end' && end.ms], [52_000, 2000]);
    assert.equal((await run).ok, true);
  });

  it('a retry backoff stopped midway goes on with its remainder', async () => {
    const h = debugHarness({ autoAdvance: false, routines: { main: y('steps:', '  - key: BACK', '    retries: 1', '    backoff: 10s') } });
    h.device.failNext('key', new DeviceError('command-failed', 'busy'));
    const { run } = await started(h);
    await h.clock.advance(3000);
    h.dbg.pause();
    assert.equal((await h.stop()).line, 2);
    await h.clock.advance(50_000);
    h.dbg.continue();
    await flush();
    await h.clock.advance(7000);
    assert.equal((await run).ok, true);
    assert.equal(h.device.inputs[0].at, 60_000);
  });

  it('stuck detection does not count stopped time', async () => {
    const h = debugHarness({ autoAdvance: false, routines: { main: y('stuck: { noProgress: 10s, ladder: [back] }', 'steps:', '  - log: a', '  - wait: 8s', '  - log: b') } });
    h.dbg.setBreakpoints('routines/main.yaml', [{ line: 4 }]);
    const run = h.run('main');
    await h.stop();
    await h.clock.advance(120_000);
    h.dbg.continue();
    await flush();
    await h.clock.advance(8000);
    assert.equal((await run).ok, true);
    assert.deepEqual(h.of('stuck'), []);
    assert.deepEqual(h.device.keys(), []);
  });

  it('sentries do not run while stopped, and their schedule does not count stopped time', async () => {
    const h = debugHarness({
      autoAdvance: false,
      screens: { home: { after: { ms: 30_000, to: 'popup' } }, popup: { templates: { popup_ok: { x: 150, y: 590, w: 240, h: 80 } } }, done: {} },
      rules: [{ on: 'tap', screen: 'popup', to: 'done' }],
      routines: { main: y('sentries:', '  - name: popups', '    every: 1s', '    when: { image: popup_ok }', '    steps: [ { tap: popup_ok } ]', 'steps:', '  - wait: 3s', '  - log: after') },
    });
    h.dbg.setBreakpoints('routines/main.yaml', [{ line: 7 }]);
    const run = h.run('main');
    await h.stop();
    await h.clock.advance(60_000);
    await flush();
    assert.deepEqual(h.of('sentry'), [], 'the popup showed at 30 s: no sentry while stopped');
    h.dbg.continue();
    await flush();
    assert.deepEqual(h.of('sentry'), [], 'not overdue on resume: next check 1 s of routine time after the last');
    await h.clock.advance(1000);
    await flush();
    assert.deepEqual(
      h.of('sentry').map((e) => [e.phase, h.at(e)]),
      [
        ['fired', 61_000],
        ['done', 61_000],
      ],
    );
    await h.clock.advance(2000);
    assert.equal((await run).ok, true);
  });

  it('a pause during a device call stops once the call returns', async () => {
    const h = debugHarness({ autoAdvance: false, device: { latencyMs: 1000 }, routines: { main: y('steps:', '  - tap: { x: 1, y: 1 }', '  - log: after') } });
    const { run } = await started(h);
    assert.ok(h.dbg.pause());
    await flush();
    assert.equal(h.stops.all.length, 0, 'the display size is being read');
    await h.clock.advance(1000);
    await flush();
    assert.deepEqual([h.stops.all.length, h.device.taps().length], [0, 0], 'the tap is in flight');
    await h.clock.advance(1000);
    const s = await h.stop();
    assert.deepEqual([s.reason, s.line, h.device.taps().length], ['pause', 2, 1]);
    assert.equal(h.of('step.end').length, 0);
    h.dbg.continue();
    await flush();
    await h.clock.advance(1000);
    assert.equal((await run).ok, true);
  });

  it('a pause without a run stops the next run at its first step', async () => {
    const h = debugHarness({ routines: { main: y('steps:', '  - log: a', '  - log: b') } });
    assert.ok(h.dbg.pause());
    const run = h.run('main');
    const s = await h.stop();
    assert.deepEqual([s.reason, s.line], ['pause', 2]);
    h.dbg.continue();
    assert.equal((await run).ok, true);
    assert.equal(h.stops.all.length, 1);
  });

  it('cancelling a stopped run ends it promptly (aborted), without a continue', async () => {
    const h = debugHarness({ routines: { main: y('steps:', '  - log: a', '  - log: b') } }, { stopOnEntry: true });
    const abort = new AbortController();
    const run = h.run('main', {}, { signal: abort.signal });
    await h.stop();
    abort.abort();
    const r = await run;
    assert.equal(r.error?.code, 'aborted');
    assert.equal(h.dbg.stopped, undefined);
    assert.deepEqual(await h.ends.next(), { routine: 'main', ok: false, error: { message: 'the routine was cancelled', code: 'aborted' } });
    assert.equal(h.of('log').length, 0);

    const h2 = debugHarness({ routines: { main: y('steps:', '  - log: a') } }, { stopOnEntry: true });
    const run2 = h2.run('main');
    await h2.stop();
    h2.interp.dispose();
    assert.equal((await run2).error?.code, 'aborted');
    assert.equal(h2.dbg.attached, false, 'disposing the interpreter detaches its debugger');
  });

  it('detaching lets a stopped run go on, with its breakpoints forgotten; another debugger can attach', async () => {
    const h = debugHarness({ routines: { main: y('steps:', '  - log: a', '  - log: b', '  - log: c') } });
    h.dbg.setBreakpoints('routines/main.yaml', [{ line: 2 }, { line: 3 }]);
    const run = h.run('main');
    await h.stop();
    h.dbg.detach();
    assert.equal((await run).ok, true);
    assert.equal(h.stops.all.length, 1);
    assert.deepEqual(
      h.of('log').map((e) => e.message),
      ['a', 'b', 'c'],
    );
    assert.equal(h.interp.debugger, undefined);
    const again = h.interp.attachDebugger();
    assert.equal(h.interp.debugger, again);
    again.detach();
  });

  describe('a debugger stop and a bot pause are distinct', () => {
    const ROUTINE = y('steps:', '  - log: a', '  - wait: 1s', '  - log: b', '  - log: c');

    it('the bot\'s resume does not continue a debugger stop', async () => {
      const h = debugHarness({ routines: { main: ROUTINE } });
      h.dbg.setBreakpoints('routines/main.yaml', [{ line: 4 }]);
      const run = h.run('main');
      await h.stop();
      assert.equal(h.interp.resume(), false);
      await flush();
      assert.deepEqual(
        h.of('log').map((e) => e.message),
        ['a'],
      );
      assert.ok(h.dbg.stopped);
      h.dbg.continue();
      assert.equal((await run).ok, true);
    });

    it('the debugger\'s continue does not resume a bot pause', async () => {
      const h = debugHarness({ routines: { main: ROUTINE } });
      const run = h.run('main');
      await h.event((e) => e.type === 'step.start');
      assert.ok(h.interp.pause());
      await h.event((e) => e.type === 'state' && e.state === 'paused');
      assert.equal(h.dbg.continue(), false);
      await flush();
      assert.equal(h.interp.state, 'paused');
      const before = h.of('step.start').length;
      assert.ok(h.interp.resume());
      assert.equal((await run).ok, true);
      assert.ok(h.of('step.start').length > before);
      assert.equal(h.stops.all.length, 0);
    });

    it('a debugger pause while the bot is paused stops at once; both must let go before the step runs, which then does not stop again', async () => {
      const h = debugHarness({ routines: { main: ROUTINE } });
      const run = h.run('main');
      await h.event((e) => e.type === 'step.start');
      h.interp.pause();
      await h.event((e) => e.type === 'state' && e.state === 'paused');
      const started = h.of('step.start').length;
      assert.ok(h.dbg.pause());
      const s = await h.stop();
      assert.equal(s.reason, 'pause');
      const pending = s.location.path;
      assert.ok(h.interp.resume());
      await flush();
      assert.equal(h.of('step.start').length, started, 'the debugger still holds the run');
      h.dbg.next();
      const s2 = await h.stop();
      assert.equal(s2.reason, 'step');
      assert.notEqual(s2.location.path, pending, 'next ran the step it was stopped before');
      assert.equal(h.of('step.start').filter((e) => e.path === pending).length, 1);
      h.dbg.continue();
      assert.equal((await run).ok, true);
    });
  });
});
