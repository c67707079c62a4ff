import { strict as assert } from 'node:assert';
import { debugHarness, y, type DebugHarness } from './debugHarness';

const MAIN = y(
  'vars: { go: true }', // 1
  'steps:', // 2
  '  - log: m1', // 3
  '  - call: sub', // 4
  '  - repeat: 2', // 5
  '    do:', // 6
  '      - log: r1', // 7
  '      - log: r2', // 8
  '  - if: { var: go }', // 9
  '    then:', // 10
  '      - log: t1', // 11
  '    else:', // 12
  '      - log: e1', // 13
  '  - log: m2', // 14
);
const SUB = y(
  'steps:', // 1
  '  - log: s1', // 2
  '  - call: leaf', // 3
  '  - log: s2', // 4
);
const LEAF = y(
  'steps:', // 1
  '  - log: l1', // 2
  '  - log: l2', // 3
);

/** Where the run stops next: `routine:line`. */
async function at(h: DebugHarness): Promise<string> {
  const s = await h.stop();
  assert.equal(s.reason, 'step', `${s.location.routine}:${s.line} stopped for ${s.reason}`);
  return `${s.location.routine}:${s.line}`;
}

function logs(h: DebugHarness): string[] {
  return h.of('log').map((e) => e.message);
}

describe('(unit) routine debugger: stepping', () => {
  it('next runs a whole call, loop or branch and stops at the next step of the same or a shallower depth', async () => {
    const h = debugHarness({ routines: { main: MAIN, sub: SUB, leaf: LEAF } }, { stopOnEntry: true });
    const run = h.run('main');
    const entry = await h.stop();
    assert.deepEqual([entry.reason, entry.line], ['entry', 3]);
    h.dbg.next();
    assert.equal(await at(h), 'main:4');
    h.dbg.next();
    assert.equal(await at(h), 'main:5');
    assert.deepEqual(logs(h), ['m1', 's1', 'l1', 'l2', 's2'], 'the call ran whole');
    h.dbg.next();
    assert.equal(await at(h), 'main:9');
    assert.deepEqual(logs(h).slice(5), ['r1', 'r2', 'r1', 'r2'], 'the loop ran whole');
    h.dbg.next();
    assert.equal(await at(h), 'main:14');
    assert.deepEqual(logs(h).slice(9), ['t1']);
    h.dbg.next();
    assert.equal((await run).ok, true);
    assert.equal(h.stops.pending.length, 0);
  });

  it('stepIn enters calls (at every depth), the loop body and the branch taken; next inside a body goes round the loop', async () => {
    const h = debugHarness({ routines: { main: MAIN, sub: SUB, leaf: LEAF } });
    h.dbg.setBreakpoints('routines/main.yaml', [{ line: 4 }]);
    const run = h.run('main');
    assert.equal((await h.stop()).line, 4);
    const path: string[] = [];
    for (const cmd of ['stepIn', 'stepIn', 'stepIn', 'next', 'next', 'next', 'stepIn', 'next', 'next', 'next', 'next', 'stepIn', 'next'] as const) {
      h.dbg[cmd]();
      path.push(`${cmd} ${await at(h)}`);
    }
    assert.deepEqual(path, [
      'stepIn sub:2',
      'stepIn sub:3',
      'stepIn leaf:2',
      'next leaf:3',
      'next sub:4', // leaf returned
      'next main:5', // sub returned
      'stepIn main:7', // the loop body
      'next main:8',
      'next main:7', // its second iteration
      'next main:8',
      'next main:9',
      'stepIn main:11', // the branch taken
      'next main:14',
    ]);
    h.dbg.continue();
    assert.equal((await run).ok, true);
  });

  it('stepOut finishes the current routine and stops at its caller\'s next step, at every depth', async () => {
    const h = debugHarness({ routines: { main: MAIN, sub: SUB, leaf: LEAF } });
    h.dbg.setBreakpoints('routines/leaf.yaml', [{ line: 2 }]);
    const run = h.run('main');
    const s = await h.stop();
    assert.equal(s.line, 2);
    assert.deepEqual(
      h.dbg.frames().map((f) => [f.name, f.range.start.line, f.depth]),
      [
        ['leaf', 2, 2],
        ['sub', 3, 1],
        ['main', 4, 0],
      ],
    );
    h.dbg.stepOut();
    assert.equal(await at(h), 'sub:4');
    assert.deepEqual(logs(h), ['m1', 's1', 'l1', 'l2']);
    h.dbg.stepOut();
    assert.equal(await at(h), 'main:5');
    h.dbg.stepIn();
    assert.equal(await at(h), 'main:7');
    // Out of a loop body in the top routine: to the end of the run.
    h.dbg.stepOut();
    assert.equal((await run).ok, true);
    assert.equal(h.stops.pending.length, 0);
  });

  it('a step-level onError call: next goes over the recovery routine, stepIn into it', async () => {
    const routines = {
      main: y('steps:', '  - fail: broken', '    onError: { call: recover }', '  - log: after'),
      recover: y('steps:', '  - log: recovering', '  - log: recovered'),
    };
    const over = debugHarness({ routines }, { stopOnEntry: true });
    const run = over.run('main');
    assert.equal((await over.stop()).line, 2);
    over.dbg.next();
    assert.equal(await at(over), 'main:4');
    assert.deepEqual(logs(over), ['recovering', 'recovered']);
    over.dbg.continue();
    assert.equal((await run).ok, true);

    const into = debugHarness({ routines }, { stopOnEntry: true });
    const run2 = into.run('main');
    await into.stop();
    into.dbg.stepIn();
    assert.equal(await at(into), 'recover:2');
    assert.deepEqual(
      into.dbg.frames().map((f) => [f.name, f.range.start.line]),
      [
        ['recover', 2],
        ['main', 2],
      ],
    );
    into.dbg.stepOut();
    assert.equal(await at(into), 'main:4');
    into.dbg.continue();
    assert.equal((await run2).ok, true);
  });

  it('a routine-level onError call: stepIn at the failing step enters the recovery routine (called by the failed one); next from there goes on in the caller', async () => {
    const h = debugHarness({
      routines: {
        main: y('steps:', '  - call: sub', '    onError: continue', '  - log: after'),
        sub: y('onError: { action: call, routine: recover }', 'steps:', '  - fail: broken'),
        recover: y('steps:', '  - log: recovering'),
      },
    });
    h.dbg.setBreakpoints('routines/sub.yaml', [{ line: 3 }]);
    const run = h.run('main');
    assert.equal((await h.stop()).line, 3);
    h.dbg.stepIn();
    assert.equal(await at(h), 'recover:2');
    assert.deepEqual(
      h.dbg.frames().map((f) => f.name),
      ['recover', 'sub', 'main'],
    );
    h.dbg.next();
    assert.equal(await at(h), 'main:4');
    h.dbg.continue();
    assert.equal((await run).ok, true);
  });

  describe('sentries', () => {
    const SCREENS = {
      home: { after: { ms: 1500, to: 'popup' } },
      popup: { templates: { popup_ok: { x: 150, y: 590, w: 240, h: 80 } } },
      done: {},
    };
    const ROUTINE = y(
      'sentries:', // 1
      '  - name: popups', // 2
      '    every: 500ms', // 3
      '    when: { image: popup_ok }', // 4
      '    steps:', // 5
      '      - log: closing', // 6
      '      - tap: popup_ok', // 7
      'steps:', // 8
      '  - wait: 3s', // 9
      '  - log: after', // 10
    );
    const opts = { screens: SCREENS, rules: [{ on: 'tap' as const, screen: 'popup', to: 'done' }], routines: { main: ROUTINE } };

    it('next over a step lets a sentry firing during it run whole', async () => {
      const h = debugHarness(opts, { stopOnEntry: true });
      const run = h.run('main');
      assert.equal((await h.stop()).line, 9);
      h.dbg.next();
      assert.equal(await at(h), 'main:10');
      assert.deepEqual(logs(h), ['closing']);
      assert.equal(h.device.taps().length, 1);
      h.dbg.continue();
      assert.equal((await run).ok, true);
    });

    it('stepIn enters a sentry that fires; next steps through it; stepOut returns to the interrupted routine', async () => {
      const h = debugHarness(opts, { stopOnEntry: true });
      const run = h.run('main');
      await h.stop();
      h.dbg.stepIn();
      assert.equal(await at(h), 'main:6');
      assert.deepEqual(
        h.dbg.frames().map((f) => [f.kind, f.name, f.range.start.line]),
        [
          ['sentry', "sentry 'popups'", 6],
          ['routine', 'main', 9],
        ],
      );
      assert.equal(h.at(h.of('sentry')[0]), 1500);
      h.dbg.next();
      assert.equal(await at(h), 'main:7');
      h.dbg.stepOut();
      assert.equal(await at(h), 'main:10');
      assert.equal(h.device.taps().length, 1);
      h.dbg.continue();
      assert.equal((await run).ok, true);
    });

    it('a breakpoint in a sentry\'s steps stops there; next at the sentry\'s last step returns to the routine', async () => {
      const h = debugHarness(opts);
      h.dbg.setBreakpoints('routines/main.yaml', [{ line: 7 }]);
      const run = h.run('main');
      const s = await h.stop();
      assert.deepEqual([s.reason, s.line, s.location.path], ['breakpoint', 7, 'sentries[0].steps[1]']);
      h.dbg.next();
      assert.equal(await at(h), 'main:10');
      h.dbg.continue();
      assert.equal((await run).ok, true);
    });
  });
});
