import { strict as assert } from 'node:assert';
import { harness } from './interpreterHarness';

function y(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const POPUP_SENTRY = ['sentries:', '  - name: popups', '    every: 500ms', '    when: { image: popup_ok }', '    steps:', '      - tap: popup_ok'];

const SCREENS = {
  home: { after: { ms: 1500, to: 'popup' } },
  popup: { templates: { popup_ok: { x: 150, y: 590, w: 240, h: 80 } } },
  home2: { templates: { banner: { x: 0, y: 44, w: 540, h: 84 } } },
};
const RULES = [{ on: 'tap' as const, screen: 'popup', region: 'popup_ok', to: 'home2' }];

describe('(unit) routine interpreter: sentries and stuck detection', () => {
  it('a sentry fires during a wait, runs its steps, and the routine resumes', async () => {
    const h = harness({ screens: SCREENS, rules: RULES, routines: { t: y(...POPUP_SENTRY, 'steps:', '  - wait: 3s', '  - assert: { image: banner }') } });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    const sentry = h.of('sentry').map((e) => [h.at(e), e.phase, e.outcome, e.range?.start.line]);
    assert.deepEqual(sentry, [
      [1500, 'fired', undefined, 2],
      [1500, 'done', 'resume', 2],
    ]);
    assert.deepEqual(h.device.taps(), [{ x: 270, y: 630, screen: 'popup' }]);
    assert.equal(h.clock.now(), 3000);
  });

  it("a caller's sentry keeps running while a called routine waits", async () => {
    const h = harness({
      screens: { loading: { after: { ms: 1000, to: 'popup' } }, popup: SCREENS.popup, home2: SCREENS.home2 },
      rules: RULES,
      routines: {
        main: y(...POPUP_SENTRY, 'steps:', '  - call: sub'),
        sub: y('steps:', '  - waitFor: { image: banner, timeout: 5s }', '  - log: sub sees the banner'),
      },
    });
    const r = await h.run('main');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(h.at(h.of('sentry')[0]), 1000);
    assert.equal(h.of('sentry')[0].routine, 'main');
    assert.equal(h.of('log')[0].routine, 'sub');
  });

  it('then: restart starts the declaring routine again from its first step (also from inside a call)', async () => {
    const h = harness({
      screens: { a: { after: { ms: 500, to: 'err' } }, err: { templates: { error_retry: { x: 150, y: 590, w: 240, h: 80 } } }, b: {} },
      rules: [{ on: 'tap', screen: 'err', to: 'b' }],
      routines: {
        main: y('vars: { starts: 0 }', 'sentries:', '  - name: connection error', '    every: 100ms', '    when: { image: error_retry }', '    then: restart', '    steps: [ { tap: error_retry } ]', 'steps:', '  - increment: starts', '  - call: slow', '  - set: { done: yes }'),
        slow: y('steps:', '  - wait: 1s'),
      },
    });
    const r = await h.run('main');
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual([r.variables.starts, r.variables.done], [2, 'yes']);
    assert.equal(h.clock.now(), 1500);
    const slowEnds = h.of('routine.end').filter((e) => e.routine === 'slow');
    assert.equal(slowEnds.length, 2);
  });

  it('then: abort fails the routine with a located sentry-abort error', async () => {
    const h = harness({
      screens: SCREENS,
      rules: RULES,
      routines: { t: y('sentries:', '  - name: fatal popup', '    every: 250ms', '    when: { image: popup_ok }', '    then: abort', '    steps: [ { log: bailing out } ]', 'steps:', '  - wait: 10s', '    onError: continue', '  - log: never') },
    });
    const r = await h.run('t');
    assert.deepEqual([r.ok, r.error?.code, r.error?.range?.start.line], [false, 'sentry-abort', 2]);
    assert.match(r.error!.message, /fatal popup/);
    assert.equal(h.clock.now(), 1500);
    assert.deepEqual(
      h.of('log').map((e) => e.message),
      ['bailing out'],
    );
  });

  it('cooldown spaces out firings; a failing sentry is reported and the routine goes on', async () => {
    const h = harness({
      screens: { stuck: { templates: { popup_ok: { x: 0, y: 0, w: 10, h: 10 } } } },
      routines: { t: y('sentries:', '  - name: stubborn', '    every: 100ms', '    cooldown: 1s', '    when: { image: popup_ok }', '    steps: [ { tap: not_there } ]', 'steps:', '  - wait: 2500ms', '  - set: { ok: 1 }') },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    const fired = h.of('sentry').filter((e) => e.phase === 'fired').map((e) => h.at(e));
    assert.deepEqual(fired, [0, 1000, 2000]);
    assert.equal(h.of('error').filter((e) => /sentry 'stubborn' failed/.test(e.message)).length, 3);
  });

  it('no sentry runs between a condition and the first step of the branch it chose', async () => {
    // The sentry is due while the `if` looks at the pop-up; were it to run before `tap`, it would close the pop-up
    // and the tap the condition chose would miss.
    const h = harness({
      screens: { home: { after: { ms: 50, to: 'popup' } }, popup: SCREENS.popup, home2: SCREENS.home2 },
      rules: RULES,
      routines: { t: y('sentries:', '  - name: popups', '    every: 100ms', '    when: { image: popup_ok }', '    steps: [ { tap: popup_ok } ]', 'steps:', '  - if: { image: popup_ok }', '    then:', '      - tap: popup_ok', '      - set: { tapped: yes }') },
    });
    h.vision.latencyMs = 100;
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.variables.tapped, 'yes');
    assert.deepEqual(h.of('sentry'), []);
    assert.equal(h.device.taps().length, 1);
  });

  it('sentries do not fire inside a sentry', async () => {
    const h = harness({
      screens: { p: { templates: { popup_ok: { x: 0, y: 0, w: 10, h: 10 } } } },
      routines: { t: y('sentries:', '  - name: outer', '    every: 100ms', '    cooldown: 10s', '    when: { image: popup_ok }', '    steps: [ { wait: 1s } ]', '  - name: other', '    every: 100ms', '    cooldown: 10s', '    when: { image: popup_ok }', '    steps: [ { wait: 1s } ]', 'steps:', '  - wait: 500ms') },
    });
    await h.run('t');
    const phases = h.of('sentry').map((e) => `${e.sentry}:${e.phase}`);
    assert.deepEqual(phases, ['outer:fired', 'outer:done', 'other:fired', 'other:done']);
  });

  it('stuck: the same target tapped again and again climbs the ladder, then fails', async () => {
    const h = harness({
      screens: { s: { templates: { next_btn: { x: 100, y: 100, w: 100, h: 100 } } } },
      routines: {
        t: y(
          'app: com.emulatorfleet.pocketpacks/.MainActivity',
          'stuck:',
          '  sameTarget: { count: 3, window: 5 }',
          '  ladder: [ tapAgain, back, restartApp, notify ]',
          'steps:',
          '  - until: { image: done }',
          '    max: 100',
          '    do:',
          '      - tap: next_btn',
        ),
      },
    });
    const r = await h.run('t');
    assert.deepEqual([r.ok, r.error?.code], [false, 'stuck']);
    // Located at the loop that is stuck.
    assert.equal(r.error?.range?.start.line, 6);
    assert.deepEqual(
      h.of('stuck').map((e) => e.rung),
      ['tapAgain', 'back', 'restartApp', 'notify', 'exhausted'],
    );
    assert.equal(h.device.taps().length, 16);
    assert.deepEqual(h.device.keys(), ['BACK']);
    assert.equal(h.device.inputs.filter((i) => i.kind === 'restartApp').length, 1);
  });

  it('stuck: no step completing for noProgress runs the next rung, even inside a long wait', async () => {
    const h = harness({
      screens: { a: {}, b: { templates: { done: { x: 0, y: 0, w: 5, h: 5 } } } },
      rules: [{ on: 'key', key: 'BACK', screen: 'a', to: 'b' }],
      routines: { t: y('stuck:', '  noProgress: 10s', '  ladder: [ back, notify ]', 'steps:', '  - waitFor: { image: done, timeout: 60s }') },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    const stuck = h.of('stuck');
    assert.equal(stuck.length, 1);
    assert.deepEqual([h.at(stuck[0]), stuck[0].rung], [10_000, 'back']);
    assert.match(stuck[0].reason, /no step completed/);
    assert.ok(h.clock.now() >= 10_000 && h.clock.now() <= 10_250);
  });

  it('a routine whose stuck config does not resolve leaves no sentry behind in its caller', async () => {
    const h = harness({
      screens: { popup: { templates: { popup_ok: { x: 0, y: 0, w: 10, h: 10 } } } },
      routines: {
        main: y('steps:', '  - call: sub', '    onError: continue', '  - wait: 1s', '  - set: { after: yes }'),
        sub: y('sentries:', '  - name: leaky', '    every: 100ms', '    when: { image: popup_ok }', '    then: restart', '    steps: [ { log: leaked } ]', 'stuck: { noProgress: "${nope}" }', 'steps:', '  - log: sub body'),
      },
    });
    const r = await h.run('main');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.variables.after, 'yes');
    assert.deepEqual(h.of('sentry'), []);
    const subEnds = h.of('routine.end').filter((e) => e.routine === 'sub');
    assert.equal(subEnds.length, 1);
    assert.equal(subEnds[0].ok, false);
  });

  it('a step whose retry backoff is cut short by a sentry restart still ends with step.end', async () => {
    const h = harness({
      screens: { a: { after: { ms: 500, to: 'err' } }, err: { templates: { error_retry: { x: 150, y: 590, w: 240, h: 80 } } }, b: {} },
      rules: [{ on: 'tap', screen: 'err', to: 'b' }],
      routines: {
        t: y('vars: { n: 0 }', 'sentries:', '  - name: err', '    every: 100ms', '    when: { image: error_retry }', '    then: restart', '    steps: [ { tap: error_retry } ]', 'steps:', '  - increment: n', '  - if: { var: n, gt: 1 }', '    then: [ { stop: done } ]', '  - fail: boom', '    name: failing', '    retries: 2', '    backoff: 1s'),
      },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    const starts = h.of('step.start').filter((e) => e.step === 'failing').length;
    const ends = h.of('step.end').filter((e) => e.step === 'failing').length;
    assert.equal(starts, 1);
    assert.equal(ends, starts);
  });
});
