import * as assert from 'node:assert/strict';
import { UsageError } from '../../../src/cli/args';
import { commonRunOptions, formatSummary, parseSeconds, resolveGroupName } from '../../../src/cli/commands/run';
import { formatDefinitions } from '../../../src/cli/commands/groups';
import { formatElapsed, LiveTable, renderGroupTable } from '../../../src/cli/liveTable';
import type { BotSnapshot, GroupDefinitionSummary, GroupSnapshot } from '../../../src/shared/fleetTypes';

function bot(instance: string, extra: Partial<BotSnapshot> = {}): BotSnapshot {
  return {
    group: 'Premium Farmers',
    orchestrationId: 'r1',
    instance,
    serial: `virtual-${instance}`,
    state: 'running',
    stateSince: 0,
    routine: 'farm_premium',
    accounts: [],
    cycles: 3,
    errors: 1,
    restarts: 0,
    capture: { count: 10, p50: 12.345, p95: 140 },
    input: { count: 0 },
    steps: 20,
    ...extra,
  };
}

const GROUP: GroupSnapshot = {
  name: 'Premium Farmers',
  orchestrationId: 'r1',
  state: 'running',
  stateSince: 0,
  routine: 'farm_premium',
  accountPool: 'premium_accounts',
  requestedBotCount: 2,
  availableInstances: ['1', '2', '3'],
  bots: [bot('1', { step: { name: 'tap', path: 'steps[2]', routine: 'farm_premium', since: 0 }, account: 'acc7' }), bot('3', { lastError: { message: 'boom', time: 0 } })],
  retiredBots: [bot('2', { state: 'stopped', stopReason: 'replaced' })],
  skippedInstances: [],
  startedAt: 1000,
  differsFromDefinition: true,
};

describe('(unit) CLI runner: table, options, names', () => {
  it('renders a group table with one row per bot, replaced bots last', () => {
    const lines = renderGroupTable(GROUP, 1000 + 125_000, 200, '12/16 available');
    assert.match(lines[0], /^Premium Farmers — running · routine farm_premium · pool premium_accounts 12\/16 available · 2\/2 bots · elapsed 2m05s · definition edited/);
    assert.match(lines[1], /^INSTANCE\s+SERIAL\s+STATE\s+STEP\s+ACCOUNT\s+CYCLES\s+ERR\s+CAPTURE p50\/p95\s+INPUT p50\/p95\s+LAST ERROR$/);
    assert.match(lines[2], /^1\s+virtual-1\s+running\s+tap\s+acc7\s+3\s+1\s+12\.3ms\/140ms\s+-$/);
    assert.match(lines[3], /^3 .* boom$/);
    assert.match(lines[4], /^2\s+virtual-2\s+stopped \(replaced\)/);
    const narrow = renderGroupTable(GROUP, 0, 50);
    assert.ok(narrow.every((l) => l.length <= 50));
  });

  it('formats elapsed times and summaries', () => {
    assert.equal(formatElapsed(7_900), '7s');
    assert.equal(formatElapsed(3_723_000), '1h02m03s');
    assert.equal(
      formatSummary({ type: 'summary', group: 'G', orchestrationId: 'r', state: 'stopped', stopReason: 'duration', bots: [{ instance: '1', cycles: 2, errors: 1, accounts: ['a', 'b'], state: 'stopped' }] }),
      'G: stopped (duration) — 1 bot(s), 2 cycle(s), 1 error(s), 2 account(s) used',
    );
  });

  it('redraws in place on a terminal and prints once elsewhere', () => {
    let out = '';
    const tty = new LiveTable({ write: (s: string) => (out += s), isTTY: true, columns: 100 });
    tty.update(['a', 'b']);
    tty.update(['a', 'b']);
    tty.update(['c']);
    assert.equal(out, '\r\x1b[2Ka\n\r\x1b[2Kb\n' + '\x1b[2A\r\x1b[2Kc\n\r\x1b[2K\n\x1b[1A');
    assert.equal(tty.width, 99);
    let plain = '';
    const pipe = new LiveTable({ write: (s: string) => (plain += s) });
    pipe.update(['x']);
    assert.equal(plain, '');
    pipe.note('hello');
    pipe.finish(['x', 'y']);
    assert.equal(plain, 'hello\nx\ny\n');
    assert.equal(pipe.width, 160);
  });

  it('parses run options and rejects bad combinations with usage errors', () => {
    const o = commonRunOptions({ root: '/w', virtual: '4', duration: '1m', json: true });
    assert.equal(o.virtual, 4);
    assert.equal(o.durationMs, 60_000);
    assert.equal(o.json, true);
    assert.equal(parseSeconds('duration', '30'), 30_000);
    assert.equal(parseSeconds('duration', '250ms'), 250);
    for (const bad of [
      { cycles: '1', duration: '5' },
      { virtual: '0' },
      { cycles: '0' },
      { duration: 'soon' },
      { virtual: '2', 'adb-port': '5037' },
      { emulator: 'qemu' },
      { seed: '3' },
      { virtual: '' },
      { virtual: '1e1' },
      { virtual: '0x4' },
      { virtual: '2', seed: '' },
      { cycles: '1.5' },
    ]) {
      assert.throws(() => commonRunOptions(bad), UsageError, JSON.stringify(bad));
    }
  });

  it('resolves group names exactly, case-insensitively, or by file stem', () => {
    const list = [
      { name: 'Premium Farmers', file: 'groups/premium_farmers.yaml', valid: true, diagnostics: [], active: false },
      { name: 'Wonder Pick Farmers', file: 'groups/wonder_pick_farmers.yaml', valid: true, diagnostics: [], active: false },
    ] as GroupDefinitionSummary[];
    assert.equal(resolveGroupName(list, 'Premium Farmers')?.file, 'groups/premium_farmers.yaml');
    assert.equal(resolveGroupName(list, 'premium farmers')?.file, 'groups/premium_farmers.yaml');
    assert.equal(resolveGroupName(list, 'wonder_pick_farmers')?.name, 'Wonder Pick Farmers');
    assert.equal(resolveGroupName(list, 'wonder_pick_farmers.yaml')?.name, 'Wonder Pick Farmers');
    assert.equal(resolveGroupName(list, 'nope'), undefined);
  });

  it('lists definitions with their problems', () => {
    const text = formatDefinitions([
      { name: 'A', file: 'groups/a.yaml', valid: true, routine: 'r', accountPool: 'p', requestedBotCount: 1, availableInstances: ['1', '2'], description: 'does A', diagnostics: [], active: false },
      { name: 'B', file: 'groups/b.yaml', valid: false, diagnostics: [{ file: 'groups/b.yaml', line: 3, col: 1, severity: 'error', message: "unknown key 'x'" }], active: false },
    ]);
    assert.equal(
      text,
      ['NAME  ROUTINE  POOL  BOTS  INSTANCES  FILE', 'A     r        p     1     1,2        groups/a.yaml', '  does A', 'B     -        -     -     -          groups/b.yaml', "  groups/b.yaml:3:1: unknown key 'x'"].join('\n'),
    );
    assert.match(formatDefinitions([]), /no group definitions/);
  });
  it('passes launch and stop command templates with --emulator, and refuses them without it', () => {
    const o = commonRunOptions({ emulator: 'mumu', 'launch-command': 'MuMuManager.exe control -v {index} launch', 'stop-command': 'MuMuManager.exe control -v {index} shutdown' });
    assert.equal(o.launchCommand, 'MuMuManager.exe control -v {index} launch');
    assert.equal(o.stopCommand, 'MuMuManager.exe control -v {index} shutdown');
    assert.throws(() => commonRunOptions({ 'launch-command': 'x' }), /go with --emulator/);
  });
});
