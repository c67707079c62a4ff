import { strict as assert } from 'node:assert';
import type { BotSnapshot, GroupDefinitionSummary, GroupSnapshot } from '../../../src/shared/fleetTypes';
import { botItem, deviceItem, fleetSummary, groupItem, poolItem, statusText, type PoolView } from '../../../src/extension/views/presentation';
import { Throttle, type TimerPort } from '../../../src/extension/views/throttle';

const def = (o: Partial<GroupDefinitionSummary> = {}): GroupDefinitionSummary => ({
  name: 'farmers',
  file: 'groups/farmers.yaml',
  valid: true,
  routine: 'farm',
  accountPool: 'premium',
  requestedBotCount: 2,
  availableInstances: ['1', '2', '3', '4'],
  diagnostics: [],
  active: false,
  ...o,
});

const lat = { count: 0 };
const bot = (o: Partial<BotSnapshot> = {}): BotSnapshot => ({
  group: 'farmers',
  orchestrationId: 'run-1',
  instance: '1',
  state: 'running',
  stateSince: 0,
  routine: 'farm',
  accounts: [],
  cycles: 0,
  errors: 0,
  restarts: 0,
  capture: lat,
  input: lat,
  steps: 0,
  ...o,
});

const group = (o: Partial<GroupSnapshot> = {}): GroupSnapshot => ({
  name: 'farmers',
  orchestrationId: 'run-1',
  state: 'running',
  stateSince: 0,
  routine: 'farm',
  accountPool: 'premium',
  requestedBotCount: 2,
  availableInstances: ['1', '2', '3', '4'],
  bots: [bot(), bot({ instance: '2' })],
  retiredBots: [],
  skippedInstances: [],
  startedAt: 1_700_000_000_000,
  differsFromDefinition: false,
  ...o,
});

const pools: PoolView[] = [{ name: 'premium', file: 'pools/premium.yaml', valid: true, diagnostics: [], available: 45, total: 100, leases: [] }];

describe('(unit) extension tree presentation', () => {
  it('a running group: green icon, botGroup.running, "Running · pool 45/100 · 2/4 instances", a tooltip with the run', () => {
    const s = groupItem(def({ active: true }), group(), pools);
    assert.equal(s.contextValue, 'botGroup.running');
    assert.equal(s.description, 'Running · pool 45/100 · 2/4 instances');
    assert.deepEqual(s.icon, { id: 'pass-filled', color: 'testing.iconPassed' });
    assert.match(s.tooltip!, /Orchestration id: `run-1`/);
    assert.match(s.tooltip!, /Routine: `farm`/);
    assert.match(s.tooltip!, /Started at:/);
  });

  it('each state has its contextValue and icon colour', () => {
    assert.equal(groupItem(def(), undefined, pools).contextValue, 'botGroup.idle');
    assert.equal(groupItem(def(), group({ state: 'paused' }), pools).icon.color, 'charts.yellow');
    const failed = groupItem(def(), group({ state: 'failed', lastError: { message: 'no device', time: 0 } }), pools);
    assert.equal(failed.contextValue, 'botGroup.failed');
    assert.equal(failed.icon.color, 'testing.iconFailed');
    assert.match(failed.tooltip!, /Last error: no device/);
    assert.equal(groupItem(def(), group({ state: 'stopped' }), pools).contextValue, 'botGroup.stopped');
    assert.equal(groupItem(def(), group({ state: 'waiting' }), pools).contextValue, 'botGroup.waiting');
  });

  it('a definition with problems: warning icon, botGroup.invalid, the located problem in the tooltip', () => {
    const s = groupItem(def({ valid: false, diagnostics: [{ file: 'groups/farmers.yaml', line: 3, col: 5, severity: 'error', message: 'unknown key' }] }), undefined, []);
    assert.equal(s.contextValue, 'botGroup.invalid');
    assert.equal(s.icon.id, 'warning');
    assert.equal(s.description, '1 problem');
    assert.match(s.tooltip!, /groups\/farmers\\\.yaml:3:5/);
  });

  it('a bot: state, step, account, cycles and errors; .step when its step has a range', () => {
    const range = { file: 'routines/farm.yaml', start: { line: 4, col: 3 }, end: { line: 4, col: 9 }, offset: [0, 1] as [number, number] };
    const b = botItem(bot({ step: { name: 'tap', path: 'steps[1]', routine: 'farm', range, since: 0 }, account: 'acc-7', cycles: 3, errors: 1 }));
    assert.equal(b.description, 'Running · tap · acc-7 · 3 cycles · 1 error');
    assert.equal(b.contextValue, 'bot.running.step');
    assert.equal(botItem(bot({ state: 'paused' })).contextValue, 'bot.paused');
    assert.equal(botItem(bot({ state: 'offline' })).icon.id, 'debug-disconnect');
  });

  it('a device: state, holder, capture method and latency', () => {
    const d = deviceItem({ serial: 'virtual-1', source: 'virtual', state: 'online', heldBy: { group: 'farmers', orchestrationId: 'r', instance: '1' }, captureMethod: 'raw', capture: { count: 3, p50: 12.4, p95: 20 } });
    assert.equal(d.description, 'online · farmers (bot 1) · raw · 12 ms');
    assert.equal(d.contextValue, 'device.online.virtual');
  });

  it('a pool: available/total, leases and cooldowns; unknown counts until the database opens', () => {
    assert.equal(poolItem({ ...pools[0]!, cooldown: 2, leases: [{ accountId: 'a', group: 'g', bot: '1', orchestrationId: 'r', since: 0, expiresAt: 0 }] }).description, '45/100 available · 1 leased · 2 cooling down');
    assert.equal(poolItem({ name: 'p', file: 'pools/p.yaml', valid: true, diagnostics: [], leases: [] }).description, 'not opened yet');
  });

  it('the status bar counts running groups and bots and flags failing or offline bots', () => {
    const s = fleetSummary([group(), group({ name: 'b', bots: [bot({ state: 'offline' })] }), group({ name: 'c', state: 'stopped' })]);
    assert.deepEqual(s, { groups: 2, bots: 3, troubled: 1 });
    assert.equal(statusText(s), '$(pulse) 2 groups · 3 bots');
    assert.equal(statusText({ groups: 0, bots: 0, troubled: 0 }), '$(pulse) Fleet idle');
  });
});

describe('(unit) extension refresh throttle', () => {
  function fakeTimers() {
    let now = 0;
    const queue: { at: number; fn: () => void; id: number }[] = [];
    let ids = 0;
    const t: TimerPort & { advance(ms: number): void } = {
      now: () => now,
      set: (fn, ms) => {
        const id = ++ids;
        queue.push({ at: now + ms, fn, id });
        return id;
      },
      clear: (h) => {
        const i = queue.findIndex((q) => q.id === h);
        if (i >= 0) {
          queue.splice(i, 1);
        }
      },
      advance(ms) {
        const end = now + ms;
        for (;;) {
          queue.sort((a, b) => a.at - b.at);
          const next = queue[0];
          if (!next || next.at > end) {
            break;
          }
          queue.shift();
          now = next.at;
          next.fn();
        }
        now = end;
      },
    };
    return t;
  }

  it('flushes at most once per interval however many changes come (≤ 10 a second at 100 ms)', () => {
    const timers = fakeTimers();
    let flushes = 0;
    const th = new Throttle(100, () => flushes++, timers);
    for (let ms = 0; ms < 1000; ms += 5) {
      th.poke(); // 200 changes a second (16 busy bots)
      timers.advance(5);
    }
    timers.advance(200);
    assert.ok(flushes <= 11 && flushes >= 9, `${flushes} flushes`);
  });

  it('the first change after a quiet period flushes at once; none after dispose', () => {
    const timers = fakeTimers();
    let flushes = 0;
    const th = new Throttle(100, () => flushes++, timers);
    timers.advance(1000);
    th.poke();
    timers.advance(0);
    assert.equal(flushes, 1);
    th.poke();
    th.dispose();
    timers.advance(500);
    assert.equal(flushes, 1);
  });
});
