import { strict as assert } from 'node:assert';
import { RoutineDebugError, type DebugScope, type DebugVariable } from '../../../src/bot/routine/debug';
import { debugHarness, y } from './debugHarness';
import { flush, lease, MemoryAccounts } from './interpreterHarness';

function scope(scopes: DebugScope[], kind: DebugScope['kind']): DebugVariable[] {
  const s = scopes.find((x) => x.kind === kind);
  assert.ok(s, kind);
  return s.variables;
}

function values(vars: DebugVariable[]): Record<string, unknown> {
  return Object.fromEntries(vars.map((v) => [v.name, v.value]));
}

const SCREENS = { home: { templates: { ok_button: { x: 100, y: 200, w: 80, h: 40 } } } };

const MAIN = y(
  'vars: { total: 10, label: top }', // 1
  'steps:', // 2
  '  - set: { shared: from main }', // 3
  '  - call: sub', // 4
  '    params: { count: "3" }', // 5
  '  - log: "total ${total}"', // 6
);
const SUB = y(
  'params:', // 1
  '  count: { type: int, min: 1 }', // 2
  '  mode: { type: enum, values: [fast, slow], default: fast }', // 3
  'vars: { label: inner, items: 0 }', // 4
  'steps:', // 5
  '  - tap: ok_button', // 6
  '  - if: { image: missing_thing }', // 7
  '    then: [ { log: never } ]', // 8
  '  - log: "count ${count} items ${items} shared ${shared}"', // 9
  '  - return: { got: "${count}" }', // 10
);

describe('(unit) routine debugger: inspection', () => {
  it('scopes show params, variables (locals, then what callers\' scopes add), system variables, as the interpreter holds them', async () => {
    const h = debugHarness({ screens: SCREENS, routines: { main: MAIN, sub: SUB } });
    h.dbg.setBreakpoints('routines/sub.yaml', [{ line: 9 }]);
    const run = h.run('main', {}, { variables: { cycle: 4, bot_instance: 2 } });
    const s = await h.stop();
    const [subFrame, mainFrame] = h.dbg.frames();
    assert.equal(s.frameId, subFrame.id);
    const scopes = h.dbg.scopes(subFrame.id);
    assert.deepEqual(
      scopes.map((x) => [x.kind, x.name]),
      [
        ['params', 'Params'],
        ['variables', 'Variables'],
        ['system', 'System'],
        ['matches', 'Matches'],
        ['account', 'Account'],
        ['device', 'Device'],
      ],
    );
    assert.deepEqual(values(scope(scopes, 'params')), { count: 3, mode: 'fast' });
    assert.deepEqual(
      scope(scopes, 'variables').map((v) => [v.name, v.value, v.origin]),
      [
        ['label', 'inner', 'local'],
        ['items', 0, 'local'],
        ['total', 10, 'main'],
        ['shared', 'from main', 'main'],
      ],
    );
    const system = scope(scopes, 'system');
    assert.deepEqual(values(system), { has_pool: false, cycle: 4, bot_instance: 2, now: h.clock.now() });
    assert.ok(system.every((v) => v.readOnly));
    // The caller's frame shows its own view (its step is the call).
    assert.equal(mainFrame.range.start.line, 4);
    assert.deepEqual(
      scope(h.dbg.scopes(mainFrame.id), 'variables').map((v) => [v.name, v.value, v.origin]),
      [
        ['total', 10, 'local'],
        ['label', 'top', 'local'],
        ['shared', 'from main', 'local'],
      ],
    );
    h.dbg.continue();
    assert.equal((await run).ok, true);
  });

  it('the matches scope holds the current step\'s matches and the most recent ones (template, found, score, box, threshold)', async () => {
    const h = debugHarness({ screens: SCREENS, routines: { main: MAIN, sub: SUB } });
    h.dbg.setBreakpoints('routines/sub.yaml', [{ line: 9 }]);
    const run = h.run('main');
    const s = await h.stop();
    const m = h.dbg.matches(s.frameId);
    assert.deepEqual(m.current, [], 'the stopped step has not looked yet');
    assert.deepEqual(
      m.recent.map((x) => [x.template, x.found, x.score, x.threshold, x.path]),
      [
        ['missing_thing', false, 0.2, 0.8, 'steps[1]'],
        ['ok_button', true, 0.99, 0.8, 'steps[0]'],
      ],
    );
    assert.deepEqual(m.recent[1].box, { x: 20, y: 40, w: 16, h: 8 }, 'in frame pixels (the frame is a fifth of the display)');
    const vars = scope(h.dbg.scopes(s.frameId), 'matches');
    assert.deepEqual(
      vars.map((g) => [g.name, g.children?.length]),
      [
        ['current step', 0],
        ['recent', 2],
      ],
    );
    const first = vars[1].children![1];
    assert.equal(first.type, 'match');
    assert.match(first.text, /^ok_button: found 0\.990 >= 0\.8 at \(20, 40, 16x8\)$/);
    assert.deepEqual(values(first.children!).box, { x: 20, y: 40, w: 16, h: 8 });
    h.dbg.continue();
    assert.equal((await run).ok, true);
  });

  it('a pause mid-waitFor shows the matches of the step in progress', async () => {
    const h = debugHarness({ autoAdvance: false, screens: { a: { after: { ms: 5000, to: 'b' } }, b: SCREENS.home }, routines: { main: y('steps:', '  - waitFor: { image: ok_button, timeout: 10s, interval: 1s }') } });
    const run = h.run('main');
    await h.event((e) => e.type === 'match');
    await flush();
    await h.clock.advance(2500);
    h.dbg.pause();
    const s = await h.stop();
    assert.equal(s.reason, 'pause');
    const { current } = h.dbg.matches(s.frameId);
    assert.deepEqual(
      current.map((x) => [x.template, x.found]),
      [
        ['ok_button', false],
        ['ok_button', false],
        ['ok_button', false],
      ],
    );
    h.dbg.continue();
    await h.clock.advance(10_000);
    assert.equal((await run).ok, true);
  });

  it('the account scope shows the lease with secrets and the device file redacted; the device scope shows the serial and latencies', async () => {
    const accounts = new MemoryAccounts([lease('acc-7', { packs_opened: 3, password: 'hunter2', session_token: 'abc', AuthCookie: 'x', nickname: 'bob' })]);
    const h = debugHarness(
      { accounts, routines: { main: y('steps:', '  - checkoutAccount: { inject: false }', '  - log: leased') } },
      { deviceInfo: () => ({ capture: { count: 12, p50: 40, p95: 90, last: 41 }, input: { count: 3, p50: 8 } }) },
    );
    h.dbg.setBreakpoints('routines/main.yaml', [{ line: 3 }]);
    const run = h.run('main');
    const s = await h.stop();
    const scopes = h.dbg.scopes(s.frameId);
    const account = scope(scopes, 'account');
    assert.equal(account[0].value, 'acc-7');
    const fields = account[1].children!;
    assert.deepEqual(
      fields.map((f) => [f.name, f.text, f.redacted === true]),
      [
        ['packs_opened', '3', false],
        ['password', '«redacted»', true],
        ['session_token', '«redacted»', true],
        ['AuthCookie', '«redacted»', true],
        ['nickname', '"bob"', false],
      ],
    );
    assert.equal(JSON.stringify(account).includes('hunter2'), false);
    assert.equal(account[2].name, 'deviceFile');
    assert.equal(account[2].redacted, true);
    assert.equal(JSON.stringify(account).includes('account_id'), false, 'the device file is not shown');
    const device = values(scope(scopes, 'device'));
    assert.equal(device.serial, 'scripted-1');
    assert.equal(device.captureMethod, 'raw');
    assert.deepEqual(device.captureLatency, { count: 12, p50: 40, p95: 90, last: 41 });
    assert.deepEqual(device.inputLatency, { count: 3, p50: 8 });
    h.dbg.continue();
    assert.equal((await run).ok, true);
  });

  describe('setVariable', () => {
    it('sets a local, a parameter (typed as declared) and a caller\'s variable where it lives; the routine goes on with the new values', async () => {
      const h = debugHarness({ screens: SCREENS, routines: { main: MAIN, sub: SUB } });
      h.dbg.setBreakpoints('routines/sub.yaml', [{ line: 9 }]);
      const run = h.run('main');
      const s = await h.stop();
      assert.deepEqual(h.dbg.setVariable(s.frameId, 'items', '5'), { name: 'items', value: 5, text: '5', type: 'number' });
      assert.equal(h.dbg.setVariable(s.frameId, 'count', '"7"').value, 7, 'an int parameter stays an int');
      assert.equal(h.dbg.setVariable(s.frameId, 'shared', 'changed ${items}').value, 'changed 5');
      assert.equal(h.dbg.setVariable(s.frameId, 'fresh', 'true').value, true);
      const mainFrame = h.dbg.frames()[1];
      assert.equal(values(scope(h.dbg.scopes(mainFrame.id), 'variables')).shared, 'changed 5', "set in main's scope, where it lives");
      assert.equal(
        scope(h.dbg.scopes(s.frameId), 'variables').find((v) => v.name === 'fresh')?.origin,
        'local',
      );
      const vars = h.of('var').slice(-4).map((e) => [e.name, e.value, e.range?.start.line]);
      assert.deepEqual(vars, [
        ['items', 5, 9],
        ['count', 7, 9],
        ['shared', 'changed 5', 9],
        ['fresh', true, 9],
      ]);
      h.dbg.continue();
      const r = await run;
      assert.equal(r.ok, true);
      assert.equal(h.of('log').find((e) => e.routine === 'sub')?.message, 'count 7 items 5 shared changed 5');
    });

    it('refuses system variables (as set does), values that do not fit a parameter, lists, and when not stopped', async () => {
      const h = debugHarness({ screens: SCREENS, routines: { main: MAIN, sub: SUB } });
      h.dbg.setBreakpoints('routines/sub.yaml', [{ line: 9 }]);
      const run = h.run('main', {}, { variables: { cycle: 1 } });
      const s = await h.stop();
      const refuse = (name: string, value: string, re: RegExp) =>
        assert.throws(
          () => h.dbg.setVariable(s.frameId, name, value),
          (e: unknown) => e instanceof RoutineDebugError && e.code === 'invalid-value' && re.test(e.message),
          `${name} = ${value}`,
        );
      refuse('cycle', '2', /^'cycle' is a system variable \(account_id, cycle, bot_instance, has_pool, now, group, orchestration_id\): a routine cannot set it$/);
      refuse('has_pool', 'true', /system variable/);
      refuse('count', 'many', /parameter 'count': expected an integer, got "many"/);
      refuse('count', '0', /parameter 'count': 0 is below the minimum 1/);
      refuse('mode', 'medium', /parameter 'mode': expected one of "fast", "slow"/);
      refuse('items', '[1, 2]', /a variable is set to a string, number, boolean or null/);
      refuse('2bad', '1', /not a variable name/);
      refuse('items', '${nothing}', /variable 'nothing' is not set/);
      h.dbg.continue();
      await run;
      assert.throws(
        () => h.dbg.setVariable(s.frameId, 'items', '1'),
        (e: unknown) => e instanceof RoutineDebugError && e.code === 'not-stopped',
      );
    });
  });

  describe('evaluate', () => {
    it('answers variables, ${} expressions and conditions in a frame; an image condition on a frame captured now', async () => {
      const h = debugHarness({ screens: SCREENS, routines: { main: MAIN, sub: SUB } });
      h.dbg.setBreakpoints('routines/sub.yaml', [{ line: 9 }]);
      const run = h.run('main');
      const s = await h.stop();
      assert.deepEqual(await h.dbg.evaluate('count', s.frameId), { kind: 'variable', value: 3, text: '3', type: 'number' });
      assert.deepEqual(await h.dbg.evaluate('${label}/${total}'), { kind: 'expression', value: 'inner/10', text: '"inner/10"', type: 'string' });
      const mainFrame = h.dbg.frames()[1];
      assert.equal((await h.dbg.evaluate('label', mainFrame.id)).value, 'top', "in main's frame");
      assert.deepEqual(await h.dbg.evaluate('{ var: count, gt: 2 }'), { kind: 'condition', value: true, text: 'true', type: 'boolean', children: [], matches: [] });
      const shots = h.device.screenshots;
      const img = await h.dbg.evaluate('image: ok_button');
      assert.equal(h.device.screenshots, shots + 1, 'a fresh capture');
      assert.equal(img.kind, 'condition');
      assert.equal(img.value, true);
      assert.deepEqual(
        img.matches?.map((m) => [m.template, m.found, m.score, m.box]),
        [['ok_button', true, 0.99, { x: 20, y: 40, w: 16, h: 8 }]],
      );
      assert.match(img.text, /^true \(ok_button found 0\.990 >= 0\.8 at \(20, 40, 16x8\)\)$/);
      assert.equal(img.children?.[0].type, 'match');
      const notFound = await h.dbg.evaluate('{ notImage: { template: ok_button, threshold: 0.995 } }');
      assert.equal(notFound.value, false);
      const matchEvents = h.of('match').length;
      await h.dbg.evaluate('image: ok_button');
      assert.equal(h.of('match').length, matchEvents, 'evaluation emits no routine event');
      h.dbg.continue();
      assert.equal((await run).ok, true);
    });

    it('reports what cannot be evaluated, located when the condition does not read', async () => {
      const h = debugHarness({ routines: { main: y('steps:', '  - log: a') } }, { stopOnEntry: true });
      const run = h.run('main');
      await h.stop();
      const fails = async (expr: string, code: string, re: RegExp) =>
        assert.rejects(h.dbg.evaluate(expr), (e: unknown) => e instanceof RoutineDebugError && e.code === code && re.test(e.message), expr);
      await fails('nope', 'evaluation-failed', /variable 'nope' is not set/);
      await fails('${nope}', 'evaluation-failed', /variable 'nope' is not set/);
      await fails('image: [1, 2]', 'invalid-expression', /^<debug console>:1:8: /);
      await fails('{ var: x, between: 3 }', 'invalid-expression', /^<debug console>:1:\d+: unknown key 'between'/);
      await fails('{ var: has_pool, gt: 1 }', 'evaluation-failed', /'gt' compares numbers/);
      await fails('1 + 1', 'invalid-expression', /expected a variable name/);
      await fails('', 'invalid-expression', /empty expression/);
      h.dbg.continue();
      await run;
      await assert.rejects(h.dbg.evaluate('x'), (e: unknown) => e instanceof RoutineDebugError && e.code === 'not-stopped');
    });
  });
});
