/** Hardening of the routine language and interpreter against hostile or mistaken routines (issue 8). */
import { strict as assert } from 'node:assert';
import { MemoryLogger } from '../../../src/shared/loggers';
import { SystemClock } from '../../../src/shared/clock';
import { MAX_STEP_NESTING, parseRoutine } from '../../../src/bot/routine/loader';
import { RoutineRegistry } from '../../../src/bot/routine/registry';
import { MAX_CALL_DEPTH } from '../../../src/bot/routine/actionCatalogue';
import type { StepOf } from '../../../src/bot/routine/loadedTypes';
import { MemoryFileStore } from '../../support/memoryFileStore';
import { harness, loadRoutine } from './interpreterHarness';

function y(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

function load(text: string) {
  return parseRoutine(text, 'routines/t.yaml', 't');
}

/** `r0` calls `r1` ... calls `r<n>`, which logs. */
function chain(n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i <= n; i++) {
    out[`r${i}`] = i < n ? y('steps:', `  - call: r${i + 1}`) : y('steps:', '  - log: deepest');
  }
  return out;
}

describe('(unit) routine hardening', () => {
  describe('the event loop', () => {
    it('a long loop of variable-only steps yields to the event loop: timers and cancellation still work', async function () {
      this.timeout(60_000);
      const h = harness({ routines: { t: y('vars: { n: 0 }', 'steps:', '  - repeat: 100000000', '    do:', '      - increment: n') }, deps: { clock: new SystemClock() } });
      const ac = new AbortController();
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      setTimeout(() => ac.abort(), 50);
      try {
        const r = await h.run('t', {}, { signal: ac.signal });
        assert.equal(r.error?.code, 'aborted', 'the abort (a timer) ran while the loop was running');
        assert.ok((r.variables.n as number) < 100_000_000);
        assert.ok(ticks > 0, 'other timers ran during the loop');
      } finally {
        clearInterval(timer);
      }
    });

    it('an empty loop body yields too', async function () {
      this.timeout(60_000);
      const h = harness({ routines: { t: y('steps:', '  - repeat: 100000000', '    do: []') }, deps: { clock: new SystemClock() } });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      const r = await h.run('t', {}, { signal: ac.signal });
      assert.equal(r.error?.code, 'aborted');
    });
  });

  describe('values from ${} are checked like literals, located at the value', () => {
    it('a negative coordinate from ${} is never sent to the device', async () => {
      for (const [step, col] of [
        ['  - tap: { x: "${px}", y: 100 }', 15],
        ['  - longPress: { x: 10, y: "${px}" }', 28],
        ['  - swipe: { from: { x: 1, y: 1 }, to: { x: "${px}", y: 1 } }', 45],
      ] as const) {
        const h = harness({ routines: { t: y('steps:', step) } });
        const r = await h.run('t', {}, { variables: { px: -10 } });
        assert.equal(r.error?.code, 'invalid-value', step);
        assert.match(r.error!.message, /expected a number >= 0, got -10 \(from '\$\{px\}'\)/);
        assert.deepEqual([r.error?.range?.start.line, r.error?.range?.start.col], [2, col], step);
        assert.equal(h.device.taps().length, 0);
      }
      // The same value written literally is refused by validation, at the value.
      const d = load(y('steps:', '  - tap: { x: -10, y: 100 }')).diagnostics.filter((x) => x.severity === 'error');
      assert.equal(d.length, 1);
      assert.match(d[0].message, /expected a number >= 0, got -10/);
      assert.deepEqual([d[0].line, d[0].col], [2, 15]);
    });

    it('numeric text is accepted the same way literally and from ${}', async () => {
      const h = harness({ routines: { t: y('vars: { n: 0 }', 'steps:', '  - repeat: "2"', '    do: [ { increment: n } ]', '  - repeat: "${times}"', '    do: [ { increment: n } ]', '  - tap: { x: "12", y: "${ty}" }') } });
      const r = await h.run('t', {}, { variables: { times: '3', ty: ' 4 ' } });
      assert.equal(r.ok, true, r.error?.message);
      assert.equal(r.variables.n, 5);
      assert.deepEqual(h.device.taps().map((t) => [t.x, t.y]), [[12, 4]]);
    });

    it('a parameter takes numeric text literally as it does from ${}', async () => {
      const files = {
        'routines/main.yaml': y('vars: { n: "7" }', 'steps:', '  - call: add', '    params: { a: "12", b: "${n}" }', '    save: { sum: s }'),
        'routines/add.yaml': y('params:', '  a: { type: int, required: true }', '  b: { type: int, required: true }', 'steps:', '  - return: { s: "${a}" }'),
      };
      const reg = new RoutineRegistry(new MemoryFileStore(files), new MemoryLogger());
      await reg.reload();
      assert.deepEqual(reg.entry('main')!.diagnostics, []);
      reg.dispose();
      const bad = new RoutineRegistry(new MemoryFileStore({ ...files, 'routines/main.yaml': y('steps:', '  - call: add', '    params: { a: "twelve", b: 1.5 }') }), new MemoryLogger());
      await bad.reload();
      assert.deepEqual(
        bad.entry('main')!.diagnostics.map((d) => d.message),
        [`parameter 'a' of 'add' must be an integer, got "twelve"`, `parameter 'b' of 'add' must be an integer, got 1.5`],
      );
      bad.dispose();
      const h = harness({ routines: { main: files['routines/main.yaml'], add: files['routines/add.yaml'] } });
      const r = await h.run('main');
      assert.equal(r.ok, true, r.error?.message);
      assert.equal(r.variables.sum, 12);
    });

    it('a duration from ${} beyond 24h is refused like the literal', async () => {
      const h = harness({ routines: { t: y('steps:', '  - wait: "${d}"') } });
      const r = await h.run('t', {}, { variables: { d: '2d' } });
      assert.equal(r.error?.code, 'invalid-value');
      assert.match(r.error!.message, /may not exceed 24h \(got 2d\)/);
      assert.equal(r.error?.range?.start.col, 11);
    });
  });

  describe('step events', () => {
    it('carry both the id and the name of a step', async () => {
      const h = harness({ routines: { t: y('steps:', '  - log: hi', '    id: greet', '    name: Greeting', '  - log: bye', '    id: leave') } });
      await h.run('t');
      const starts = h.of('step.start');
      assert.deepEqual(
        starts.map((e) => [e.step, e.id, e.name]),
        [
          ['Greeting', 'greet', 'Greeting'],
          ['leave', 'leave', undefined],
        ],
      );
      assert.deepEqual(
        h.of('step.end').map((e) => [e.id, e.name]),
        [
          ['greet', 'Greeting'],
          ['leave', undefined],
        ],
      );
    });
  });

  describe('call depth', () => {
    it('a chain deeper than the limit without recursion says so at run time', async () => {
      const h = harness({ routines: chain(MAX_CALL_DEPTH + 1) });
      const r = await h.run('r0');
      assert.equal(r.error?.code, 'call-depth');
      assert.match(r.error!.message, new RegExp(`^call chain too deep \\(${MAX_CALL_DEPTH + 1} > ${MAX_CALL_DEPTH}\\): r0 → r1 → r2 → r3 → … → r31 → r32 → r33$`));
      assert.ok(!/itself/.test(r.error!.message));
      const ok = harness({ routines: chain(MAX_CALL_DEPTH) });
      assert.equal((await ok.run('r0')).ok, true);
    });

    it('recursion is named as such at run time', async () => {
      const h = harness({ routines: { a: y('steps:', '  - call: b'), b: y('steps:', '  - call: a') } });
      const r = await h.run('a');
      assert.equal(r.error?.code, 'call-depth');
      assert.match(r.error!.message, /^routine 'b' calls itself more than 32 calls deep \(b → a → b → a → … → b → a → b\); make sure the recursion ends$/);
    });

    it('validate reports a static chain deeper than the limit at the call that starts it', async () => {
      const files: Record<string, string> = {};
      for (const [k, v] of Object.entries(chain(MAX_CALL_DEPTH + 1))) {
        files[`routines/${k}.yaml`] = v;
      }
      const reg = new RoutineRegistry(new MemoryFileStore(files), new MemoryLogger());
      await reg.reload();
      const d = reg.entry('r0')!.diagnostics.filter((x) => x.code === 'call-depth');
      assert.equal(d.length, 1);
      assert.equal(d[0].severity, 'error');
      assert.deepEqual([d[0].line, d[0].col], [2, 11]);
      assert.match(d[0].message, /^call chain too deep \(33 > 32\): r0 → r1 → r2 → r3 → … → r31 → r32 → r33/);
      assert.equal(reg.entry('r1')!.diagnostics.filter((x) => x.code === 'call-depth').length, 0, 'r1 alone is within the limit');
      reg.dispose();
    });
  });

  describe('nesting', () => {
    it('the deepest nesting the loader accepts runs inside the deepest call chain without exhausting the stack', async function () {
      this.timeout(60_000);
      let body = '- increment: n';
      for (let i = 0; i < MAX_STEP_NESTING - 2; i++) {
        body = `- if: { var: n, ge: 0 }\n  then:\n${body.replace(/^/gm, '    ')}`;
      }
      const deep = `vars: { n: 0 }\nsteps:\n${body.replace(/^/gm, '  ')}\n`;
      const routines: Record<string, string> = chain(MAX_CALL_DEPTH);
      routines[`r${MAX_CALL_DEPTH}`] = deep.replace('- increment: n', '- repeat: 3\n  do: [ { increment: n } ]'.replace(/\n/g, `\n${' '.repeat(4 * (MAX_STEP_NESTING - 2) + 2)}`));
      const h = harness({ routines });
      const r = await h.run('r0');
      assert.equal(r.ok, true, r.error?.message);
    });
  });

  describe('sentries', () => {
    it('a sentry whose condition reads a missing variable fails the routine once, located at the condition', async () => {
      const h = harness({ routines: { t: y('sentries:', '  - name: popup', '    every: 1s', '    when: { var: nope }', '    steps: [ { log: x } ]', 'steps:', '  - wait: 5s', '  - log: after') } });
      const r = await h.run('t');
      assert.equal(r.ok, false);
      assert.equal(r.error?.code, 'sentry-error');
      assert.match(r.error!.message, /^sentry 'popup': variable 'nope' is not set/);
      assert.deepEqual([r.error?.range?.start.line, r.error?.range?.start.col], [4, 11]);
      assert.equal(h.of('error').filter((e) => /nope/.test(e.message)).length, 1, 'reported once');
      assert.equal(h.of('log').filter((e) => e.message === 'after').length, 0);
    });

    it('validate warns when a sentry reads a variable only a step sets', () => {
      const w = load(y('sentries:', '  - name: s', '    when: { var: ready }', '    steps: [ { log: x } ]', 'steps:', '  - set: { ready: true }')).diagnostics.filter((d) => d.code === 'sentry-variable');
      assert.equal(w.length, 1);
      assert.equal(w[0].severity, 'warning');
      assert.equal(w[0].line, 3);
      assert.equal(load(y('vars: { ready: false }', 'sentries:', '  - name: s', '    when: { var: ready }', '    steps: [ { log: x } ]', 'steps:', '  - set: { ready: true }')).diagnostics.length, 0);
    });
  });

  describe('system variables', () => {
    it('cannot be written: a located error at validate time', () => {
      const ds = load(
        y('params:', '  cycle: { type: int, default: 1 }', 'vars: { now: 1 }', 'steps:', '  - set: { has_pool: false, ok: 1 }', '  - increment: bot_instance', '  - getAccountField: { field: f, save: account_id }', '  - call: x', '    save: { group: v }'),
      ).diagnostics.filter((d) => d.code === 'reserved-variable');
      assert.deepEqual(
        ds.map((d) => [d.line, d.col, /'(\w+)'/.exec(d.message)?.[1]]),
        [
          [2, 3, 'cycle'],
          [3, 9, 'now'],
          [5, 12, 'has_pool'],
          [6, 16, 'bot_instance'],
          [7, 40, 'account_id'],
          [9, 13, 'group'],
        ],
      );
    });

    it('cannot be written at run time either', async () => {
      const h = harness({ routines: { t: y('steps:', '  - set: { other: 1 }') } });
      const step = h.routines.get('t')!.steps[0] as StepOf<'set'>;
      step.args.values = { now: 5 };
      const r = await h.run('t');
      assert.equal(r.error?.code, 'invalid-value');
      assert.match(r.error!.message, /'now' is a system variable/);
      assert.equal(r.error?.range?.start.line, 2);
    });
  });

  describe('validation', () => {
    it('steps after a fail are reachable when the routine goes on after failures', () => {
      const unreachable = (text: string) => load(text).diagnostics.filter((d) => d.code === 'unreachable').length;
      assert.equal(unreachable(y('steps:', '  - fail: boom', '  - log: after')), 1);
      assert.equal(unreachable(y('onError: continue', 'steps:', '  - fail: boom', '  - log: after')), 0);
      assert.equal(unreachable(y('onError: { action: continue }', 'steps:', '  - fail: boom', '  - log: after')), 0);
      assert.equal(unreachable(y('onError: continue', 'steps:', '  - fail: boom', '    onError: abort', '  - log: after')), 1);
      assert.equal(unreachable(y('steps:', '  - fail: boom', '    onError: continue', '  - log: after')), 0);
      assert.equal(unreachable(y('onError: continue', 'steps:', '  - stop', '  - log: after')), 1);
    });

    it('one structural problem does not hide the other problems of the file', async () => {
      const reg = new RoutineRegistry(
        new MemoryFileStore({
          'routines/m.yaml': y('steps:', '  - tap: ok', '    thne: 1', '  - tap: nosuch_template', '  - call: nosuch_routine', '  - call: other', '    params: { nope: 1 }', '  - wait: 2d'),
          'routines/other.yaml': y('steps:', '  - log: hi'),
        }),
        new MemoryLogger(),
        { templates: { has: () => false } },
      );
      await reg.reload();
      const ds = reg.entry('m')!.diagnostics;
      assert.deepEqual(
        ds.slice(0, 4).map((d) => [d.line, d.code]),
        [
          [3, 'unknown-key'],
          [4, 'unknown-template'],
          [5, 'unknown-routine'],
          [7, 'unknown-param'],
        ],
      );
      assert.equal(ds.length, 5);
      assert.equal(ds[4].line, 8);
      assert.match(ds[4].message, /may not exceed 24h/);
      assert.equal(reg.get('m'), undefined);
      assert.equal(reg.routine('m'), undefined, 'a file with errors never gives a runnable routine');
      reg.dispose();
    });
  });

  describe('messages', () => {
    it('a step timeout says what timed out, after how long, and the configured timeout, in the unit written', async () => {
      const h = harness({ routines: { t: y('steps:', '  - wait: 10m', '    timeout: 90s') } });
      const r = await h.run('t');
      assert.equal(r.error?.code, 'step-timeout');
      assert.equal(r.error?.message, "wait timed out after 90s (the step's timeout is 90s)");
    });
  });

  it('loadRoutine helper refuses files with errors', () => {
    assert.throws(() => loadRoutine('x', 'steps:\n  - wait: 2d\n'), /24h/);
  });
});
