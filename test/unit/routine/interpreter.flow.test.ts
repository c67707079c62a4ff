import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeFileStore } from '../../../src/host/nodePorts';
import { harness } from './interpreterHarness';

/** Routine text from lines (so tests know the line numbers). */
function y(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const HOME = {
  home: { templates: { packs_button: { x: 60, y: 380, w: 420, h: 120 }, home_banner: { x: 0, y: 44, w: 540, h: 84 } } },
  packs: { templates: { open_button: { x: 120, y: 620, w: 300, h: 110 } } },
};

describe('(unit) routine interpreter: actions and control flow', () => {
  it('taps a point scaled from the reference resolution to the device', async () => {
    const h = harness({ routines: { t: y('steps:', '  - tap: { x: 270, y: 480 }', '  - tap: { x: "${px}", y: 100 }') }, device: { size: { width: 1080, height: 1920 } } });
    const r = await h.run('t', {}, { variables: { px: 10 } });
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual(h.device.taps().map(({ x, y }) => [x, y]), [
      [540, 960],
      [20, 200],
    ]);
  });

  it('taps the centre of a template match (plus a scaled offset), and the centre of a region', async () => {
    const h = harness({
      screens: HOME,
      routines: { t: y('steps:', '  - tap: packs_button', '  - tap: { template: packs_button, offset: { x: 10, y: -20 } }', '  - tap: { region: { x: 0, y: 0, w: 100, h: 50 } }') },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual(h.device.taps().map(({ x, y }) => [x, y]), [
      [270, 440],
      [280, 420],
      [50, 25],
    ]);
    const match = h.of('match')[0];
    assert.equal(match.template, 'packs_button');
    assert.equal(match.found, true);
    assert.equal(match.range?.start.line, 2);
  });

  it('fails a tap on a template that is not on screen with a located error, and skips an optional one', async () => {
    const h = harness({ screens: HOME, routines: { t: y('steps:', '  - tap: { template: open_button, optional: true }', '  - tap: open_button') } });
    const r = await h.run('t');
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'target-not-found');
    assert.equal(r.error?.range?.file, 'routines/t.yaml');
    assert.equal(r.error?.range?.start.line, 3);
    assert.equal(r.error?.range?.start.col, 5);
    assert.match(r.error!.message, /open_button/);
    assert.equal(h.device.taps().length, 0);
  });

  it('runs longPress, swipe, text and key with their arguments', async () => {
    const h = harness({
      screens: HOME,
      routines: {
        t: y(
          'vars: { k: HOME, who: "bot ${bot_instance}" }',
          'steps:',
          '  - longPress: { x: 100, y: 200, duration: 2s }',
          '  - longPress: { template: packs_button }',
          '  - swipe: { from: { x: 270, y: 800 }, to: { x: 270, y: 200 }, duration: 500ms }',
          '  - text: "hello ${who}"',
          '  - key: BACK',
          '  - key: 66',
          '  - key: "${k}"',
        ),
      },
    });
    const r = await h.run('t', {}, { variables: { bot_instance: 3 } });
    assert.equal(r.ok, true, r.error?.message);
    const inputs = h.device.inputs.map((i) => ({ ...i, screen: undefined, at: undefined }));
    assert.deepEqual(inputs, [
      { kind: 'longPress', x: 100, y: 200, durationMs: 2000, screen: undefined, at: undefined },
      { kind: 'longPress', x: 270, y: 440, durationMs: 1000, screen: undefined, at: undefined },
      { kind: 'swipe', x1: 270, y1: 800, x2: 270, y2: 200, durationMs: 500, screen: undefined, at: undefined },
      { kind: 'text', text: 'hello bot 3', screen: undefined, at: undefined },
      { kind: 'key', key: 'KEYCODE_BACK', screen: undefined, at: undefined },
      { kind: 'key', key: 66, screen: undefined, at: undefined },
      { kind: 'key', key: 'KEYCODE_HOME', screen: undefined, at: undefined },
    ]);
  });

  it('takes the first true branch of if/elif/else', async () => {
    const text = y(
      'params: { n: { type: int } }',
      'steps:',
      '  - if: { var: n, eq: 1 }',
      '    then: [ { log: one } ]',
      '    elif:',
      '      - if: { var: n, eq: 2 }',
      '        then: [ { log: two } ]',
      '      - if: { var: n, ge: 2 }',
      '        then: [ { log: many } ]',
      '    else: [ { log: none } ]',
    );
    const seen: string[] = [];
    for (const n of [1, 2, 3, 0]) {
      const h = harness({ routines: { t: text } });
      const r = await h.run('t', { n });
      assert.equal(r.ok, true, r.error?.message);
      seen.push(...h.of('log').map((e) => e.message));
    }
    assert.deepEqual(seen, ['one', 'two', 'many', 'none']);
  });

  it('break works at any depth inside the innermost loop (inside if inside while)', async () => {
    const h = harness({
      routines: {
        t: y(
          'vars: { i: 0, after: 0 }',
          'steps:',
          '  - while: { var: i, lt: 100 }',
          '    do:',
          '      - increment: i',
          '      - if: { var: i, ge: 3 }',
          '        then:',
          '          - if: { var: i, eq: 3 }',
          '            then: [ break ]',
          '      - increment: after',
          '  - log: "done ${i} ${after}"',
        ),
      },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual([r.variables.i, r.variables.after], [3, 2]);
    assert.equal(h.of('log').at(-1)?.message, 'done 3 2');
  });

  it('break inside a nested block of a repeat leaves only the innermost loop', async () => {
    const h = harness({
      routines: {
        t: y(
          'vars: { outer: 0, inner: 0 }',
          'steps:',
          '  - repeat: 3',
          '    do:',
          '      - increment: outer',
          '      - repeat: 5',
          '        do:',
          '          - increment: inner',
          '          - if: { var: inner, ge: 2 }',
          '            then:',
          '              - if: { all: [ { var: inner, ge: 0 } ] }',
          '                then: [ break ]',
        ),
      },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    // The inner loop breaks each time (at inner 2, then at once since inner >= 2): the outer runs 3 times.
    assert.equal(r.variables.outer, 3);
    assert.equal(r.variables.inner, 4);
  });

  it('continue skips the rest of the iteration', async () => {
    const h = harness({
      routines: {
        t: y(
          'vars: { i: 0, odd: 0 }',
          'steps:',
          '  - repeat: 6',
          '    do:',
          '      - increment: i',
          '      - if: { var: i, matches: "^[246]$" }',
          '        then: [ continue ]',
          '      - increment: odd',
        ),
      },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual([r.variables.i, r.variables.odd], [6, 3]);
  });

  it("a break inside a called routine's loop leaves that loop only", async () => {
    const h = harness({
      routines: {
        main: y('vars: { rounds: 0, got: 0 }', 'steps:', '  - repeat: 3', '    do:', '      - call: inner', '        save: { got: n }', '      - increment: rounds'),
        inner: y('vars: { n: 0 }', 'steps:', '  - while: { var: n, lt: 10 }', '    do:', '      - increment: n', '      - if: { var: n, eq: 2 }', '        then: [ break ]', '  - return: { n: "${n}" }'),
      },
    });
    const r = await h.run('main');
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual([r.variables.rounds, r.variables.got], [3, 2]);
  });

  it('while with max: fails with a located loop-exhausted error, or goes on with onExhausted: continue', async () => {
    const failing = harness({ routines: { t: y('vars: { i: 0 }', 'steps:', '  - log: start', '  - while: { var: i, ge: 0 }', '    max: 4', '    do: [ { increment: i } ]') } });
    const r1 = await failing.run('t');
    assert.equal(r1.ok, false);
    assert.equal(r1.error?.code, 'loop-exhausted');
    assert.equal(r1.error?.range?.start.line, 4);
    assert.equal(r1.variables.i, 4);

    const going = harness({ routines: { t: y('vars: { i: 0 }', 'steps:', '  - until: { var: i, ge: 100 }', '    max: 3', '    onExhausted: continue', '    do: [ { increment: i } ]', '  - set: { after: yes }') } });
    const r2 = await going.run('t');
    assert.equal(r2.ok, true, r2.error?.message);
    assert.deepEqual([r2.variables.i, r2.variables.after], [3, 'yes']);

    // A loop that ends exactly at max is not exhausted.
    const exact = harness({ routines: { t: y('vars: { i: 0 }', 'steps:', '  - while: { var: i, lt: 3 }', '    max: 3', '    do: [ { increment: i } ]') } });
    assert.equal((await exact.run('t')).ok, true);
  });

  it('until checks before each iteration and stops when the condition holds', async () => {
    const h = harness({
      screens: { a: { after: { ms: 1000, to: 'b' } }, b: { templates: { done: { x: 0, y: 0, w: 10, h: 10 } } } },
      routines: { t: y('vars: { polls: 0 }', 'steps:', '  - until: { image: done }', '    max: 50', '    do:', '      - increment: polls', '      - wait: 300ms') },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.variables.polls, 4);
    assert.equal(h.clock.now(), 1200);
  });

  it('repeat takes a count from a variable; a non-numeric count is a located invalid-value error', async () => {
    const text = y('params: { n: { type: string } }', 'vars: { c: 0 }', 'steps:', '  - repeat: "${n}"', '    do: [ { increment: c } ]');
    const h = harness({ routines: { t: text } });
    const r = await h.run('t', { n: '4' });
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.variables.c, 4);
    const bad = await harness({ routines: { t: text } }).run('t', { n: 'lots' });
    assert.equal(bad.ok, false);
    assert.equal(bad.error?.code, 'invalid-value');
    assert.equal(bad.error?.range?.start.line, 4);
    assert.match(bad.error!.message, /expected (a number|an integer)( >= 0)?, got 'lots'/);
  });

  it('a missing variable is a located missing-variable error', async () => {
    const h = harness({ routines: { t: y('steps:', '  - log: start', '  - tap: { x: "${nowhere}", y: 1 }') } });
    const r = await h.run('t');
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'missing-variable');
    assert.match(r.error!.message, /'nowhere'/);
    // Located at the value that names the variable.
    assert.deepEqual([r.error?.range?.start.line, r.error?.range?.start.col], [3, 15]);
  });

  it('interpolation keeps the type of a lone ${x} and concatenates text otherwise', async () => {
    const h = harness({ routines: { t: y('vars: { n: 5, flag: true }', 'steps:', '  - set: { copy: "${n}", text: "n=${n}", b: "${flag}", lit: "$${n}" }', '  - increment: { var: copy, by: "${n}" }') } });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual([r.variables.copy, r.variables.text, r.variables.b, r.variables.lit], [10, 'n=5', true, '${n}']);
  });

  it('set, increment and decrement; incrementing text is a located error', async () => {
    const h = harness({ routines: { t: y('vars: { a: 1, s: abc }', 'steps:', '  - increment: a', '  - increment: { var: fresh, by: 2.5 }', '  - decrement: { var: a, by: 5 }', '  - increment: s') } });
    const r = await h.run('t');
    assert.equal(r.ok, false);
    assert.deepEqual([r.variables.a, r.variables.fresh], [-3, 2.5]);
    assert.equal(r.error?.code, 'invalid-value');
    assert.equal(r.error?.range?.start.line, 6);
    const vars = h.of('var').map((e) => [e.name, e.value]);
    assert.deepEqual(vars, [
      ['a', 2],
      ['fresh', 2.5],
      ['a', -3],
    ]);
  });

  it('call: params go to a child scope, return values come back through save, the caller keeps its own variables', async () => {
    const h = harness({
      routines: {
        main: y('vars: { x: caller, total: 0 }', 'steps:', '  - call: lib/add', '    params: { a: 2, b: "${total}" }', '    save: { total: sum }', '  - call: lib/add', '    params: { a: 40, b: "${total}" }', '    save: { total: sum }'),
        'lib/add': y('params:', '  a: { type: int, required: true }', '  b: { type: int, default: 0 }', 'steps:', '  - set: { x: callee, s: "${a}" }', '  - increment: { var: s, by: "${b}" }', '  - return: { sum: "${s}" }'),
      },
    });
    const r = await h.run('main');
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual([r.variables.total, r.variables.x], [42, 'caller']);
    const starts = h.of('routine.start').map((e) => [e.routine, e.depth, e.params]);
    assert.deepEqual(starts, [
      ['main', 0, {}],
      ['lib/add', 1, { a: 2, b: 0 }],
      ['lib/add', 1, { a: 40, b: 2 }],
    ]);
  });

  it('call: unknown and missing params, unknown routines and endless recursion are located errors', async () => {
    const h = harness({
      routines: {
        a: y('steps:', '  - call: b', '    params: { nope: 1 }'),
        b: y('params: { p: { type: int } }', 'steps: [ { log: b } ]'),
        c: y('steps:', '  - call: d'),
        d: y('params: { p: { type: int, required: true } }', 'steps: [ { log: d } ]'),
        e: y('steps:', '  - call: e'),
      },
    });
    const ra = await h.run('a');
    assert.equal(ra.error?.code, 'invalid-param');
    assert.equal(ra.error!.message, "routine 'b' has no parameter 'nope' (it has: p)");
    assert.equal(ra.error?.range?.start.line, 2);
    const rc = await h.run('c');
    assert.equal(rc.error?.code, 'invalid-param');
    assert.equal(rc.error!.message, "routine 'd' needs parameter 'p'");
    const re = await h.run('e');
    assert.equal(re.error?.code, 'call-depth');
    const rx = await h.run('missing');
    assert.equal(rx.error?.code, 'unknown-routine');
  });

  it('return ends the called routine only; stop ends the whole run successfully', async () => {
    const h = harness({
      routines: {
        main: y('steps:', '  - call: sub', '  - log: after-sub', '  - call: stopper', '  - log: never'),
        sub: y('steps:', '  - return', '  - log: never-in-sub'),
        stopper: y('steps:', '  - stop: "all done ${reason}"', '  - log: never-in-stopper'),
      },
    });
    const r = await h.run('main', {}, { variables: { reason: 'early' } });
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual(r.stopped, { reason: 'stop', message: 'all done early' });
    assert.deepEqual(
      h.of('log').map((e) => e.message),
      ['after-sub'],
    );
  });

  it('fail and assert give located errors with their message', async () => {
    const h = harness({
      screens: HOME,
      routines: {
        f: y('steps:', '  - log: x', '  - fail: "bad screen ${where}"'),
        a: y('steps:', '  - assert: { image: home_banner }', '  - assert: { image: open_button }', '    message: not on packs'),
      },
    });
    const rf = await h.run('f', {}, { variables: { where: 'title' } });
    assert.deepEqual([rf.ok, rf.error?.code, rf.error?.message, rf.error?.range?.start.line], [false, 'fail', 'bad screen title', 3]);
    const ra = await h.run('a');
    assert.deepEqual([ra.ok, ra.error?.code, ra.error?.message, ra.error?.range?.start.line], [false, 'fail', 'not on packs', 3]);
  });

  it('evaluates var comparisons, any/all/none/not, color, appInForeground and elapsed', async () => {
    const h = harness({
      screens: { s: { color: '#336699', templates: { a: { x: 0, y: 0, w: 5, h: 5 } } } },
      routines: {
        t: y(
          'vars: { n: 7, s: "bot_12", hits: 0 }',
          'steps:',
          '  - if: { var: n, gt: 5, le: 7, ne: 6 }',
          '    then: [ { increment: hits } ]',
          '  - if: { var: s, startsWith: bot_, endsWith: "12", contains: t_1 }',
          '    then: [ { increment: hits } ]',
          '  - if: { any: [ { image: b }, { image: a } ] }',
          '    then: [ { increment: hits } ]',
          '  - if: { all: [ { image: a }, { notImage: b }, { none: [ { image: b } ] }, { not: { var: n, eq: "8" } } ] }',
          '    then: [ { increment: hits } ]',
          '  - if: { color: { at: { x: 10, y: 10 }, color: "#346598", tolerance: 4 } }',
          '    then: [ { increment: hits } ]',
          '  - if: { color: { at: { x: 10, y: 10, w: 5, h: 5 }, color: "#000000" } }',
          '    then: [ { fail: wrong colour } ]',
          '  - if: { appInForeground: com.emulatorfleet.pocketpacks }',
          '    then: [ { increment: hits } ]',
          '  - set: { t0: "${now}" }',
          '  - wait: 1500ms',
          '  - if: { elapsed: { since: t0, ge: 1.5s, lt: 2s } }',
          '    then: [ { increment: hits } ]',
          '  - if: { elapsed: { gt: 1s } }',
          '    then: [ { increment: hits } ]',
        ),
      },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.variables.hits, 8);
  });

  it('a var condition on an unset variable is a located error', async () => {
    const h = harness({ routines: { t: y('steps:', '  - if: { var: ghost, eq: 1 }', '    then: [ { log: x } ]') } });
    const r = await h.run('t');
    assert.equal(r.error?.code, 'missing-variable');
    assert.equal(r.error?.range?.start.line, 2);
  });

  it('waitFor polls until the condition holds, fails on timeout with a located error, or continues', async () => {
    const screens = { a: { after: { ms: 2000, to: 'b' } }, b: { templates: { ready: { x: 0, y: 0, w: 5, h: 5 } } } };
    const ok = harness({ screens, routines: { t: y('steps:', '  - waitFor: { image: ready, timeout: 5s, interval: 500ms }') } });
    assert.equal((await ok.run('t')).ok, true);
    assert.equal(ok.clock.now(), 2000);

    const late = harness({ screens, routines: { t: y('steps:', '  - log: x', '  - waitFor: { image: ready, timeout: 1s }') } });
    const r = await late.run('t');
    assert.deepEqual([r.ok, r.error?.code, r.error?.range?.start.line], [false, 'wait-timeout', 3]);
    assert.equal(late.clock.now(), 1000);

    const cont = harness({ screens, routines: { t: y('steps:', '  - waitFor: { condition: { image: ready }, timeout: 1s, onTimeout: continue }', '  - set: { went: on }') } });
    const rc = await cont.run('t');
    assert.equal(rc.ok, true);
    assert.equal(rc.variables.went, 'on');
  });

  it('waitStable waits until two frames an interval apart are the same', async () => {
    const h = harness({
      screens: { anim1: { after: { ms: 300, to: 'anim2' } }, anim2: { after: { ms: 300, to: 'anim3' } }, anim3: { after: { ms: 300, to: 'still' } }, still: {} },
      routines: { t: y('steps:', '  - waitStable: { timeout: 5s, interval: 400ms }') },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(h.device.screen, 'still');
    // Samples at 0 (anim1), 400 (anim2), 800 (anim3), 1200 (still), 1600 (still): stable.
    assert.equal(h.clock.now(), 1600);

    const never = harness({
      screens: { x: { after: { ms: 250, to: 'y' } }, y: { after: { ms: 250, to: 'x' } } },
      routines: { t: y('steps:', '  - waitStable: { timeout: 1s, interval: 250ms }') },
    });
    // The screen flips every 250 ms, so frames 250 ms apart always differ.
    const rn = await never.run('t');
    assert.equal(rn.error?.code, 'wait-timeout');
  });

  it("launchApp, stopApp and restartApp default to the routine's app", async () => {
    const h = harness({ routines: { t: y('app: com.example.game/.Main', 'steps:', '  - stopApp', '  - launchApp', '  - restartApp: other.pkg/.Act', '  - stopApp: other.pkg') } });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual(
      h.device.inputs.map((i) => [i.kind, 'component' in i ? i.component : 'pkg' in i ? i.pkg : '']),
      [
        ['stopApp', 'com.example.game'],
        ['startApp', 'com.example.game/.Main'],
        ['restartApp', 'other.pkg/.Act'],
        ['stopApp', 'other.pkg'],
      ],
    );
    const none = harness({ routines: { t: y('steps:', '  - launchApp') } });
    const rn = await none.run('t');
    assert.equal(rn.error?.code, 'invalid-value');
    assert.match(rn.error!.message, /no app/);
  });

  it('system variables are visible in called routines; the result lists the variables', async () => {
    const h = harness({ routines: { main: y('steps:', '  - call: sub', '    save: { seen: c }'), sub: y('steps:', '  - return: { c: "cycle ${cycle} bot ${bot_instance}" }') } });
    const r = await h.run('main', {}, { variables: { cycle: 4, bot_instance: 2 } });
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual(r.variables, { has_pool: false, cycle: 4, bot_instance: 2, seen: 'cycle 4 bot 2' });
  });

  it('log writes to the logger and emits a log event with the step range', async () => {
    const h = harness({ routines: { t: y('vars: { n: 3 }', 'steps:', '  - log: { message: "n is ${n}", level: warn }') } });
    await h.run('t');
    const e = h.of('log')[0];
    assert.deepEqual([e.level, e.message, e.range?.start.line], ['warn', 'n is 3', 3]);
    assert.ok(h.logger.records.some((x) => x.level === 'warn' && x.message === 'n is 3'));
  });

  it('the frame cache serves every condition of a decision from one screenshot; taps invalidate it', async () => {
    const h = harness({
      screens: HOME,
      routines: { t: y('steps:', '  - if: { all: [ { image: home_banner }, { image: packs_button }, { notImage: open_button } ] }', '    then:', '      - tap: packs_button', '      - if: { image: home_banner }', '        then: [ { log: still home } ]') },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    // One frame for the three conditions and the tap's match, one more after the tap.
    assert.equal(h.device.screenshots, 2);
  });

  it('step events carry the path and the YAML range of their step; skipped steps (when: false) emit none', async () => {
    const h = harness({ routines: { t: y('vars: { go: false }', 'steps:', '  - log: a', '    name: first', '  - log: b', '    when: { var: go }', '  - log: c') } });
    await h.run('t');
    const starts = h.of('step.start').map((e) => [e.step, e.path, e.range?.start.line]);
    assert.deepEqual(starts, [
      ['first', 'steps[0]', 3],
      ['log', 'steps[2]', 7],
    ]);
    const ends = h.of('step.end');
    assert.ok(ends.every((e) => e.ok && e.range !== undefined));
  });

  it('screenshot saves the current frame as a PNG in the run folder (and fails, located, without a file store)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ef-shot-'));
    try {
      const h = harness({ screens: { s: { color: '#102030' } }, routines: { t: y('steps:', '  - screenshot: "shot ${cycle}"') }, deps: { fileStore: new NodeFileStore(dir), runDir: '.' } });
      const r = await h.run('t', {}, { variables: { cycle: 2 } });
      assert.equal(r.ok, true, r.error?.message);
      assert.deepEqual(await readdir(dir), ['shot_2.png']);
      const png = await readFile(path.join(dir, 'shot_2.png'));
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
      const sharp = (await import('sharp')).default;
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, data[0], data[1], data[2]], [108, 192, 0x10, 0x20, 0x30]);

      const none = harness({ routines: { t: y('steps:', '  - screenshot') } });
      const rn = await none.run('t');
      assert.equal(rn.ok, false);
      assert.equal(rn.error?.code, 'io');
      assert.match(rn.error?.message ?? '', /no file store/);
      assert.equal(rn.error?.range?.start.line, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

