import { strict as assert } from 'node:assert';
import { DeviceError } from '../../../src/bot/device';
import { flush, harness } from './interpreterHarness';

function y(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

describe('(unit) routine interpreter: errors, retries, timeouts, cancellation, pause', () => {
  it('stamps every event with wall-clock epoch ms (the fleet events\' time base); durations stay in ms', async () => {
    const h = harness({ routines: { t: y('steps:', '  - wait: 1500ms', '  - log: done') } });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    const wallAtZero = h.clock.wallNow().getTime() - h.clock.now();
    assert.ok(wallAtZero > Date.UTC(2020, 0, 1), 'the test clock has a wall-clock epoch');
    for (const e of h.events) {
      assert.ok(e.time >= wallAtZero && e.time <= h.clock.wallNow().getTime(), `${e.type} at ${e.time}`);
    }
    const end = h.of('step.end')[0];
    assert.equal(h.at(end), 1500);
    assert.equal(end.ms, 1500);
  });

  it('retries a failing step with exponential backoff', async () => {
    const h = harness({ routines: { t: y('steps:', '  - tap: { x: 1, y: 1 }', '    retries: 3', '    backoff: 1s') } });
    h.device.failNext('tap', new DeviceError('command-failed', 'input failed'), 2);
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(h.device.taps().length, 1);
    // Attempts at 0, 1000 (after 1 s) and 3000 (after 2 s more).
    assert.equal(h.device.inputs[0].at, 3000);
    const retries = h.of('error').map((e) => [h.at(e), e.code]);
    assert.deepEqual(retries, [
      [0, 'device'],
      [1000, 'device'],
    ]);
  });

  it('fails with a located device error once the retries are used up', async () => {
    const h = harness({ routines: { t: y('steps:', '  - log: x', '  - key: BACK', '    retries: 1', '    backoff: 500ms') } });
    h.device.failNext('key', new DeviceError('offline', 'gone'), 5);
    const r = await h.run('t');
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'device');
    assert.match(r.error!.message, /key: device offline: gone/);
    assert.equal(r.error?.range?.start.line, 3);
    assert.equal(h.clock.now(), 500);
    const end = h.of('step.end').find((e) => e.path === 'steps[1]');
    assert.deepEqual([end?.ok, end?.error !== undefined], [false, true]);
  });

  it('onError: continue goes on after the failure; onError: retry retries once by default', async () => {
    const h = harness({ routines: { t: y('steps:', '  - fail: first', '    onError: continue', '  - key: HOME', '    onError: retry', '  - set: { reached: true }') } });
    h.device.failNext('key');
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.variables.reached, true);
    assert.deepEqual(h.device.keys(), ['HOME']);
    assert.ok(h.of('error').some((e) => e.code === 'fail' && /onError: continue/.test(e.message)));
  });

  it('onError: { call } runs the recovery routine, then goes on', async () => {
    const h = harness({
      routines: {
        t: y('steps:', '  - fail: broken', '    onError: { call: recover, params: { why: "${reason}" } }', '  - log: after'),
        recover: y('params: { why: { type: string } }', 'steps:', '  - key: BACK', '  - log: "recovering from ${why}"'),
      },
    });
    const r = await h.run('t', {}, { variables: { reason: 'test' } });
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual(
      h.of('log').map((e) => [e.routine, e.message]),
      [
        ['recover', 'recovering from test'],
        ['t', 'after'],
      ],
    );
  });

  it('a step timeout cancels the step (even mid-wait) with a located step-timeout error', async () => {
    const h = harness({
      screens: { a: {} },
      routines: { t: y('steps:', '  - log: x', '  - waitFor: { image: never, timeout: 30s }', '    timeout: 2s') },
    });
    const r = await h.run('t');
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'step-timeout');
    assert.equal(r.error?.range?.start.line, 3);
    assert.equal(h.clock.now(), 2000);
  });

  it('a timed-out step is retried like any failure', async () => {
    const h = harness({ routines: { t: y('vars: { tries: 0 }', 'steps:', '  - if: { var: tries, ge: 0 }', '    then:', '      - increment: tries', '      - wait: 10s', '    timeout: 1s', '    retries: 2', '    backoff: 100ms', '    onError: continue') } });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.variables.tries, 3);
    // 3 attempts of 1 s, backoffs of 100 and 200 ms.
    assert.equal(h.clock.now(), 3300);
  });

  it('a timeout on a loop stops the loop; nested onError: continue cannot swallow the cancellation', async () => {
    const h = harness({ routines: { t: y('vars: { n: 0 }', 'steps:', '  - while: { var: n, ge: 0 }', '    timeout: 5s', '    do:', '      - increment: n', '      - wait: 1s', '        onError: continue') } });
    const r = await h.run('t');
    assert.equal(r.error?.code, 'step-timeout');
    assert.equal(h.clock.now(), 5000);
    assert.equal(r.variables.n, 5);
  });

  it('routine onError retry runs the routine again with backoff', async () => {
    const h = harness({ routines: { t: y('onError: { action: retry, retries: 2, backoff: 1s }', 'vars: { runs: 0 }', 'steps:', '  - increment: runs', '  - if: { var: runs, lt: 3 }', '    then: [ { fail: not yet } ]') } });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.variables.runs, 3);
    assert.equal(h.clock.now(), 3000);

    const h2 = harness({ routines: { t: y('onError: { action: retry, retries: 1, backoff: 1s }', 'vars: { runs: 0 }', 'steps:', '  - increment: runs', '  - fail: never works') } });
    const r2 = await h2.run('t');
    assert.deepEqual([r2.ok, r2.error?.code, r2.variables.runs], [false, 'fail', 2]);
  });

  it('routine onError call runs the recovery routine, then fails with the original error', async () => {
    const h = harness({
      routines: {
        t: y('onError: { action: call, routine: recover }', 'steps:', '  - log: one', '  - fail: boom'),
        recover: y('steps:', '  - key: BACK'),
      },
    });
    const r = await h.run('t');
    assert.deepEqual([r.ok, r.error?.code, r.error?.message, r.error?.range?.start.line], [false, 'fail', 'boom', 4]);
    assert.deepEqual(h.device.keys(), ['BACK']);
  });

  it('routine onError continue skips failed steps', async () => {
    const h = harness({ routines: { t: y('onError: continue', 'steps:', '  - fail: a', '  - tap: missing_template', '  - set: { end: 1 }') } });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.variables.end, 1);
    assert.deepEqual(
      h.of('error').map((e) => e.code),
      ['fail', 'target-not-found'],
    );
  });

  it('abort cancels promptly in the middle of a wait', async () => {
    const h = harness({ autoAdvance: false, routines: { t: y('steps:', '  - wait: 60s', '  - log: never') } });
    const ac = new AbortController();
    const p = h.run('t', {}, { signal: ac.signal });
    await flush();
    await h.clock.advance(5000);
    ac.abort();
    const r = await p;
    assert.deepEqual([r.ok, r.error?.code], [false, 'aborted']);
    assert.equal(h.clock.now(), 5000);
    assert.equal(h.of('log').length, 0);
    assert.equal(h.interp.state, 'idle');
  });

  it('abort cancels a device call in flight', async () => {
    const h = harness({ autoAdvance: false, device: { latencyMs: 1000 }, routines: { t: y('steps:', '  - tap: { x: 1, y: 1 }') } });
    const ac = new AbortController();
    const p = h.run('t', {}, { signal: ac.signal });
    await flush();
    await h.clock.advance(300);
    ac.abort();
    const r = await p;
    assert.equal(r.error?.code, 'aborted');
    assert.equal(h.device.taps().length, 0);
  });

  it('an already aborted signal ends the run before the first step', async () => {
    const h = harness({ routines: { t: y('steps:', '  - key: BACK') } });
    const r = await h.run('t', {}, { signal: AbortSignal.abort() });
    assert.equal(r.error?.code, 'aborted');
    assert.equal(h.device.inputs.length, 0);
  });

  it('pauses at the next step boundary and resumes where it stopped', async () => {
    const h = harness({ autoAdvance: false, routines: { t: y('steps:', '  - key: HOME', '  - wait: 1s', '  - key: BACK', '  - key: ENTER') } });
    const states: string[] = [];
    h.interp.onDidChangeState((s) => states.push(s));
    const p = h.run('t');
    await flush();
    assert.equal(h.interp.pause(), true);
    assert.equal(h.interp.state, 'pausing');
    await h.clock.advance(1000);
    await flush();
    assert.equal(h.interp.state, 'paused');
    assert.deepEqual(h.device.keys(), ['HOME']);
    await h.clock.advance(60_000);
    await flush();
    assert.deepEqual(h.device.keys(), ['HOME']);
    assert.equal(h.interp.resume(), true);
    const r = await p;
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual(h.device.keys(), ['HOME', 'BACK', 'ENTER']);
    assert.deepEqual(states, ['running', 'pausing', 'paused', 'running', 'idle']);
    assert.deepEqual(
      h.of('state').map((e) => e.state),
      ['running', 'paused', 'resumed'],
    );
  });

  it('abort while paused ends the run', async () => {
    const h = harness({ autoAdvance: false, routines: { t: y('steps:', '  - key: HOME', '  - key: BACK') } });
    const ac = new AbortController();
    const p = h.run('t', {}, { signal: ac.signal });
    h.interp.pause();
    await flush();
    assert.equal(h.interp.state, 'paused');
    ac.abort();
    const r = await p;
    assert.equal(r.error?.code, 'aborted');
    // The first step was already past its boundary when pause() came; the second never ran.
    assert.deepEqual(h.device.keys(), ['HOME']);
  });

  it('run() while a run is in progress rejects (a programmer error); pause() with nothing running is false', async () => {
    const h = harness({ routines: { t: y('steps:', '  - wait: 1s') } });
    assert.equal(h.interp.pause(), false);
    const p = h.run('t');
    await assert.rejects(h.run('t'), /already in progress/);
    assert.equal((await p).ok, true);
  });

  it('a failing vision call is a located vision error', async () => {
    const h = harness({ routines: { t: y('steps:', '  - waitFor: { image: x, timeout: 1s }') } });
    h.vision.find = async () => {
      const { VisionError } = await import('../../../src/bot/vision/visionError');
      throw new VisionError('unknown-template', "no template named 'x'");
    };
    const r = await h.run('t');
    assert.deepEqual([r.error?.code, r.error?.range?.start.line], ['vision', 2]);
    assert.match(r.error!.message, /unknown-template/);
  });
});
