import { strict as assert } from 'node:assert';
import { DeviceError } from '../../../src/bot/device';
import { DEBUG_EXCEPTION_FILTERS, RoutineDebugError, debugTargetOf } from '../../../src/bot/routine/debug';
import { RoutineInterpreter } from '../../../src/bot/routine/interpreter';
import type { LoadedRoutine } from '../../../src/bot/routine/loadedTypes';
import { MemoryLogger } from '../../../src/shared/loggers';
import { FakeClock } from '../../support/fakeClock';
import { ScriptedDevice, ScriptedVision } from '../../support/scriptedDevice';
import { debugHarness, Queue, y } from './debugHarness';
import { loadRoutine } from './interpreterHarness';

/** A routine with blocks, comments and a sentry (line numbers in the comments). */
const SHAPES = y(
  'sentries:', // 1
  '  - name: popup', // 2
  '    every: 1s', // 3
  '    when: { image: popup_ok }', // 4
  '    steps:', // 5
  '      - log: sentry step', // 6
  'steps:', // 7
  '  - log: first', // 8
  '', // 9
  '  # a comment between steps', // 10
  '  - if: { var: go }', // 11
  '    then:', // 12
  '      - log: then one', // 13
  '      - tap:', // 14
  '          x: 10', // 15
  '          y: 20', // 16
  '    else:', // 17
  '      - log: else one', // 18
  '  - log: last', // 19
);

const LOOP = y(
  'vars: { i: 0 }', // 1
  'steps:', // 2
  '  - repeat: 5', // 3
  '    do:', // 4
  '      - increment: i', // 5
  '      - log: "i is ${i}"', // 6
  '  - log: done', // 7
);

describe('(unit) routine debugger: breakpoints', () => {
  it('binds a breakpoint to the step on its line, moves one inside a step to its first line and one between steps to the next step', () => {
    const h = debugHarness({ routines: { main: SHAPES } });
    const bps = h.dbg.setBreakpoints('routines/main.yaml', [{ line: 8 }, { line: 10 }, { line: 12 }, { line: 15 }, { line: 18 }, { line: 6 }, { line: 1 }, { line: 7 }]);
    assert.deepEqual(
      bps.map((b) => [b.requestedLine, b.verified, b.line]),
      [
        [8, true, 8],
        [10, true, 11], // between steps: the next step of the same list
        [12, true, 11], // `then:` is inside the if step: its first line
        [15, true, 14], // an argument line: its step's first line
        [18, true, 18],
        [6, true, 6], // a sentry's step
        [1, false, 1],
        [7, false, 7],
      ],
    );
    assert.equal(bps[1].message, 'moved to the step on line 11');
    assert.equal(bps[6].message, 'no step on this line');
    // An absolute path ending with the routine's file matches too; ids are unique.
    const abs = h.dbg.setBreakpoints('/home/me/ws/routines/main.yaml', [{ line: 19 }]);
    assert.deepEqual([abs[0].verified, abs[0].line], [true, 19]);
    assert.equal(new Set([...bps, ...abs].map((b) => b.id)).size, 9);
  });

  it('stops where set, in order, with the hit breakpoint ids and the stopped location; continue runs to the end', async () => {
    const h = debugHarness({ routines: { main: y('vars: { go: true }', ...SHAPES.trimEnd().split('\n')) } });
    // The routine is shifted one line down by the `vars` line.
    const bps = h.dbg.setBreakpoints('routines/main.yaml', [{ line: 12 }, { line: 16 }, { line: 20 }]);
    assert.deepEqual(
      bps.map((b) => b.line),
      [12, 15, 20],
    );
    const run = h.run('main');
    const s1 = await h.stop();
    assert.deepEqual([s1.reason, s1.line, s1.breakpointIds, s1.location.path, s1.location.routine, s1.location.file], ['breakpoint', 12, [bps[0].id], 'steps[1]', 'main', 'routines/main.yaml']);
    assert.equal(h.dbg.stopped?.frameId, s1.frameId);
    assert.equal(h.of('log').length, 1, 'the first step ran, the stopped one did not');
    assert.ok(h.dbg.continue());
    const s2 = await h.stop();
    assert.deepEqual([s2.reason, s2.line, s2.breakpointIds, s2.location.path], ['breakpoint', 15, [bps[1].id], 'steps[1].then[1]']);
    assert.equal(h.device.taps().length, 0);
    h.dbg.continue();
    const s3 = await h.stop();
    assert.deepEqual([s3.line, s3.breakpointIds], [20, [bps[2].id]]);
    assert.equal(h.device.taps().length, 1);
    h.dbg.continue();
    const r = await run;
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual(await h.ends.next(), { routine: 'main', ok: true });
    assert.equal(h.stops.pending.length, 0);
    assert.equal(h.dbg.continue(), false, 'continue when not stopped does nothing');
  });

  it('a breakpoint in a file no routine of the registry holds yet is verified when a routine of that file first runs', async () => {
    const routines = new Map<string, LoadedRoutine>([['main', loadRoutine('main', y('steps:', '  - call: sub'))]]);
    const clock = new FakeClock();
    const device = new ScriptedDevice({ screens: { blank: {} }, start: 'blank', clock });
    const interp = new RoutineInterpreter({ device, vision: new ScriptedVision(device, clock), clock, logger: new MemoryLogger(), routines: { get: (n) => routines.get(n) } });
    const dbg = interp.attachDebugger();
    const changed = new Queue<{ id: number; verified: boolean; line?: number }>();
    dbg.onDidChangeBreakpoint((b) => changed.push(b));
    const stops = new Queue<{ line: number }>();
    dbg.onDidStop((s) => stops.push({ line: s.location.range.start.line }));
    const [bp] = dbg.setBreakpoints('routines/sub.yaml', [{ line: 3 }]);
    assert.deepEqual([bp.verified, bp.line], [false, 3]);
    assert.match(bp.message ?? '', /no routine of this file is loaded/);
    routines.set('sub', loadRoutine('sub', y('steps:', '  - log: a', '  - log:', '      message: b')));
    const run = interp.run('main');
    const ch = await changed.next();
    assert.deepEqual([ch.id, ch.verified, ch.line], [bp.id, true, 3]);
    assert.deepEqual(await stops.next(), { line: 3 });
    dbg.continue();
    assert.equal((await run).ok, true);
  });

  describe('conditions', () => {
    it('a routine-language condition (var) stops only when it holds; read by the routine loader', async () => {
      const h = debugHarness({ routines: { main: LOOP } });
      const [bp] = h.dbg.setBreakpoints('routines/main.yaml', [{ line: 6, condition: '{ var: i, ge: 4 }' }]);
      assert.equal(bp.verified, true);
      const run = h.run('main');
      const seen: unknown[] = [];
      for (let k = 0; k < 2; k++) {
        const s = await h.stop();
        assert.equal(s.line, 6);
        seen.push((await h.dbg.evaluate('i')).value);
        h.dbg.continue();
      }
      assert.deepEqual(seen, [4, 5]);
      assert.equal((await run).ok, true);
      assert.equal(h.stops.pending.length, 0);
    });

    it('an image condition is checked on the frame the routine sees', async () => {
      const h = debugHarness({
        screens: { a: { after: { ms: 2500, to: 'b' } }, b: { templates: { ok_button: { x: 10, y: 10, w: 50, h: 20 } } } },
        routines: { main: y('steps:', '  - repeat: 4', '    do:', '      - wait: 1s', '      - log: tick') },
      });
      h.dbg.setBreakpoints('routines/main.yaml', [{ line: 5, condition: 'image: ok_button' }]);
      const run = h.run('main');
      const s = await h.stop();
      assert.equal(s.line, 5);
      assert.equal(h.of('log').length, 2, 'the first two ticks (before the button shows) did not stop');
      h.dbg.continue();
      await h.stop();
      h.dbg.continue();
      assert.equal((await run).ok, true);
    });

    it('a ${} expression (or a bare variable name) stops when truthy by the language rule', async () => {
      const h = debugHarness({
        routines: { main: y('vars: { flag: "false", n: 0 }', 'steps:', '  - repeat: 3', '    do:', '      - increment: n', '      - set: { flag: "${n}" }', '      - log: x') },
      });
      const bps = h.dbg.setBreakpoints('routines/main.yaml', [{ line: 7, condition: '"${flag}"' }]);
      assert.equal(bps[0].verified, true);
      const run = h.run('main');
      for (const want of [1, 2, 3]) {
        await h.stop();
        assert.equal((await h.dbg.evaluate('n')).value, want);
        h.dbg.continue();
      }
      assert.equal((await run).ok, true);

      const h2 = debugHarness({ routines: { main: y('vars: { on: false }', 'steps:', '  - log: a', '  - set: { on: true }', '  - log: b') } });
      h2.dbg.setBreakpoints('routines/main.yaml', [{ line: 3, condition: 'on' }, { line: 5, condition: 'on' }]);
      const run2 = h2.run('main');
      assert.equal((await h2.stop()).line, 5);
      h2.dbg.continue();
      assert.equal((await run2).ok, true);
    });

    it('an invalid condition or hit count leaves the breakpoint unverified with the loader\'s located message', () => {
      const h = debugHarness({ routines: { main: LOOP } });
      const bps = h.dbg.setBreakpoints('routines/main.yaml', [
        { line: 6, condition: 'imag: ok_button' },
        { line: 6, condition: '{ var: i, gt: [1] }' },
        { line: 6, condition: '${i} > 3' },
        { line: 6, condition: 'i > 3' },
        { line: 6, hitCondition: 'often' },
      ]);
      assert.deepEqual(
        bps.map((b) => b.verified),
        [false, false, false, false, false],
      );
      assert.match(bps[0].message ?? '', /^<routines\/main\.yaml:6 condition>:1:1: .*'imag' is not known: did you mean 'image'\?/);
      assert.match(bps[1].message ?? '', /<routines\/main\.yaml:6 condition>:1:\d+: gt: /);
      assert.match(bps[2].message ?? '', /not a comparison.*\{ var: name, gt: 3 \}/);
      assert.match(bps[3].message ?? '', /expected a variable name, a \$\{\} expression, or a condition/);
      assert.match(bps[4].message ?? '', /invalid hit count 'often'/);
    });

    it('a condition that cannot be evaluated stops there and says why (stderr output)', async () => {
      const h = debugHarness({ routines: { main: LOOP } });
      h.dbg.setBreakpoints('routines/main.yaml', [{ line: 5, condition: '{ var: missing, gt: 1 }' }]);
      const run = h.run('main');
      const s = await h.stop();
      assert.equal(s.line, 5);
      assert.match(s.text ?? '', /could not be evaluated: variable 'missing' is not set/);
      const out = await h.outputs.next();
      assert.equal(out.category, 'stderr');
      assert.equal(out.text, s.text);
      h.dbg.setBreakpoints('routines/main.yaml', []);
      h.dbg.continue();
      assert.equal((await run).ok, true);
    });
  });

  describe('hit counts', () => {
    for (const [hit, stops] of [
      ['3', [3]],
      ['== 2', [2]],
      ['>= 4', [4, 5]],
      ['> 3', [4, 5]],
      ['< 3', [1, 2]],
      ['<= 1', [1]],
      ['% 2', [2, 4]],
    ] as const) {
      it(`'${hit}' stops on hits ${stops.join(', ')}`, async () => {
        const h = debugHarness({ routines: { main: LOOP } });
        const [bp] = h.dbg.setBreakpoints('routines/main.yaml', [{ line: 6, hitCondition: hit }]);
        assert.equal(bp.verified, true);
        const run = h.run('main');
        const seen: unknown[] = [];
        for (let k = 0; k < stops.length; k++) {
          await h.stop();
          seen.push((await h.dbg.evaluate('i')).value);
          h.dbg.continue();
        }
        assert.equal((await run).ok, true);
        assert.deepEqual(seen, [...stops]);
        assert.equal(h.stops.pending.length, 0);
      });
    }

    it('counts only the hits whose condition holds, and keeps counting when the breakpoints of the file are sent again', async () => {
      const h = debugHarness({ routines: { main: LOOP } });
      const spec = { line: 6, condition: '{ var: i, ge: 2 }', hitCondition: '2' };
      const [bp] = h.dbg.setBreakpoints('routines/main.yaml', [spec]);
      const run = h.run('main');
      await h.stop();
      assert.equal((await h.dbg.evaluate('i')).value, 3, 'the second hit with i >= 2');
      const again = h.dbg.setBreakpoints('routines/main.yaml', [spec, { line: 7 }]);
      assert.equal(again[0].id, bp.id);
      h.dbg.continue();
      assert.equal((await h.stop()).line, 7);
      h.dbg.continue();
      assert.equal((await run).ok, true);
    });
  });

  describe('log points', () => {
    it('print the message with ${} substituted and do not stop', async () => {
      const h = debugHarness({ routines: { main: LOOP } });
      const [bp] = h.dbg.setBreakpoints('routines/main.yaml', [{ line: 6, logMessage: 'at ${i} of 5 (${nope})', hitCondition: '% 2' }]);
      const r = await h.run('main');
      assert.equal(r.ok, true);
      assert.equal(h.stops.all.length, 0);
      assert.deepEqual(
        h.outputs.all.map((o) => [o.category, o.text, o.breakpointId, o.location?.range.start.line]),
        [
          ['console', 'at 2 of 5 (<nope: not set>)', bp.id, 6],
          ['console', 'at 4 of 5 (<nope: not set>)', bp.id, 6],
        ],
      );
    });
  });

  describe('function breakpoints', () => {
    it('stop at the first step of every invocation of the routine, with a condition if given', async () => {
      const h = debugHarness({
        routines: {
          main: y('steps:', '  - call: sub', '    params: { n: 1 }', '  - call: sub', '    params: { n: 2 }', '  - call: sub', '    params: { n: 3 }'),
          sub: y('params: { n: { type: int } }', 'steps:', '  - log: "sub ${n}"'),
        },
      });
      const bps = h.dbg.setFunctionBreakpoints([{ name: 'sub', condition: '{ var: n, ne: 2 }' }, { name: 'nothing' }]);
      assert.deepEqual(
        bps.map((b) => [b.name, b.verified]),
        [
          ['sub', true],
          ['nothing', false],
        ],
      );
      assert.match(bps[1].message ?? '', /no routine named 'nothing'/);
      const run = h.run('main');
      for (const n of [1, 3]) {
        const s = await h.stop();
        assert.deepEqual([s.reason, s.location.routine, s.line, s.breakpointIds], ['function breakpoint', 'sub', 3, [bps[0].id]]);
        assert.equal((await h.dbg.evaluate('n')).value, n);
        h.dbg.continue();
      }
      assert.equal((await run).ok, true);
    });
  });

  describe('exception stops', () => {
    it('lists its filters for the adapter', () => {
      assert.deepEqual(
        DEBUG_EXCEPTION_FILTERS.map((f) => f.filter),
        ['error', 'stuck', 'sentry'],
      );
    });

    it('error: stops at the failing step before onError decides, once per error, and not when the filter is off', async () => {
      const routine = y(
        'steps:', // 1
        '  - tap: { x: 1, y: 1 }', // 2
        '    onError: continue', // 3
        '  - if: { var: go }', // 4
        '    then:', // 5
        '      - fail: inner failure', // 6
        '  - log: never', // 7
      );
      const h = debugHarness({ routines: { main: y('vars: { go: true }', ...routine.trimEnd().split('\n')) } });
      h.dbg.setExceptionFilters({ error: true });
      h.device.failNext('tap', new DeviceError('command-failed', 'input failed'));
      const run = h.run('main');
      const s1 = await h.stop();
      assert.deepEqual([s1.reason, s1.line, s1.exception?.filter, s1.exception?.code], ['exception', 3, 'error', 'device']);
      assert.match(s1.text ?? '', /input failed/);
      assert.equal(
        h.of('error').filter((e) => /onError: continue/.test(e.message)).length,
        0,
        'stopped before onError applied',
      );
      h.dbg.continue();
      const s2 = await h.stop();
      assert.deepEqual([s2.line, s2.exception?.code, s2.text], [7, 'fail', 'inner failure']);
      assert.equal(h.dbg.frames()[0].path, 'steps[1].then[0]');
      h.dbg.continue();
      const r = await run;
      assert.equal(r.ok, false);
      assert.equal(r.error?.message, 'inner failure');
      assert.equal(h.stops.pending.length, 0, 'the error passed the if step without a second stop');

      const off = debugHarness({ routines: { main: y('steps:', '  - fail: x') } });
      assert.equal((await off.run('main')).ok, false);
      assert.equal(off.stops.all.length, 0);
    });

    it('error: a routine-level retry stops before each retry decision', async () => {
      const h = debugHarness({ routines: { main: y('onError: { action: retry, retries: 1, backoff: 1s }', 'steps:', '  - key: BACK') } });
      h.dbg.setExceptionFilters({ error: true });
      h.device.failNext('key', new DeviceError('offline', 'gone'), 2);
      const run = h.run('main');
      const s1 = await h.stop();
      assert.equal(s1.line, 3);
      assert.equal(h.of('error').length, 0);
      h.dbg.continue();
      const s2 = await h.stop();
      assert.equal(s2.line, 3);
      assert.equal(h.of('error').length, 1, 'the retry ran');
      h.dbg.continue();
      assert.equal((await run).ok, false);
    });

    it('stuck: stops when stuck detection fires, before the rung runs', async () => {
      const h = debugHarness({ routines: { main: y('stuck: { noProgress: 10s, ladder: [back] }', 'steps:', '  - wait: 15s', '  - log: after') } });
      h.dbg.setExceptionFilters({ stuck: true });
      const run = h.run('main');
      const s = await h.stop();
      assert.deepEqual([s.reason, s.exception?.filter, s.line], ['exception', 'stuck', 3]);
      assert.match(s.text ?? '', /no step completed for 10s.*next rung: back/);
      assert.deepEqual(h.device.keys(), []);
      h.dbg.continue();
      assert.equal((await run).ok, true);
      assert.deepEqual(h.device.keys(), ['BACK']);
    });

    it('sentry: stops when a sentry fires, in the sentry\'s own frame on top of the routine it interrupted', async () => {
      const h = debugHarness({
        screens: { home: { after: { ms: 1500, to: 'popup' } }, popup: { templates: { popup_ok: { x: 150, y: 590, w: 240, h: 80 } } }, done: {} },
        rules: [{ on: 'tap', screen: 'popup', to: 'done' }],
        routines: { main: y('sentries:', '  - name: popups', '    every: 500ms', '    when: { image: popup_ok }', '    steps:', '      - tap: popup_ok', 'steps:', '  - wait: 3s', '  - log: done') },
      });
      h.dbg.setExceptionFilters({ sentry: true });
      const run = h.run('main');
      const s = await h.stop();
      assert.deepEqual([s.reason, s.exception?.filter, s.text, s.line, s.location.path], ['exception', 'sentry', "sentry 'popups' fired", 2, 'sentries[0]']);
      const frames = h.dbg.frames();
      assert.deepEqual(
        frames.map((f) => [f.kind, f.name, f.range.start.line]),
        [
          ['sentry', "sentry 'popups'", 2],
          ['routine', 'main', 8],
        ],
      );
      assert.equal(s.frameId, frames[0].id);
      assert.equal(h.device.taps().length, 0);
      h.dbg.continue();
      assert.equal((await run).ok, true);
      assert.equal(h.device.taps().length, 1);
    });
  });

  describe('attach and stop on entry', () => {
    it('stopOnEntry stops before the first step; a target attaches to a running interpreter and stops at its next step', async () => {
      const h = debugHarness({ routines: { main: y('steps:', '  - log: a', '  - wait: 1s', '  - log: b') } }, { stopOnEntry: true });
      const run = h.run('main');
      const s = await h.stop();
      assert.deepEqual([s.reason, s.line], ['entry', 2]);
      assert.equal(h.of('step.start').length, 0);
      h.dbg.detach();
      assert.equal((await run).ok, true);

      const target = debugTargetOf(h.interp);
      assert.equal(target.debugger, undefined);
      const run2 = h.run('main');
      assert.equal(target.running, true);
      const d = target.attach({ stopOnEntry: true });
      assert.equal(target.debugger, d);
      assert.throws(() => target.attach(), (e: unknown) => e instanceof RoutineDebugError && e.code === 'already-attached');
      const stop = await new Promise<{ reason: string; line: number }>((resolve) => d.onDidStop((e) => resolve({ reason: e.reason, line: e.location.range.start.line })));
      assert.equal(stop.reason, 'entry');
      assert.ok(d.running);
      d.continue();
      assert.equal((await run2).ok, true);
      d.detach();
      assert.equal(target.debugger, undefined);
      assert.throws(() => d.setBreakpoints('x', []), (e: unknown) => e instanceof RoutineDebugError && e.code === 'detached');
    });
  });
});
