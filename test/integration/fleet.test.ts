/**
 * The fleet with its real pieces: virtual devices on the embedded ADB host endpoint, AdbDevice, the routine
 * interpreter running the shipped routines, vision, the sql.js account pool, and group definitions on disk.
 */
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Fleet } from '../../src/host/fleet';
import { InstanceBusyError } from '../../src/orchestrator/instanceRegistry';
import { waitForEvent } from '../../src/shared/lifecycle';
import type { BotCycleEvent, BotStateEvent } from '../../src/shared/fleetTypes';
import { testFleet } from '../support/fleet';

const REPO = path.resolve(__dirname, '../..');

/** A temporary copy of the repository's workspace (groups, routines, templates, pools). */
function copyWorkspace(prefix = 'fleet-int-'): string {
  const ws = mkdtempSync(path.join(tmpdir(), prefix));
  for (const dir of ['groups', 'routines', 'templates', 'pools']) {
    if (existsSync(path.join(REPO, dir))) {
      cpSync(path.join(REPO, dir), path.join(ws, dir), { recursive: true });
    }
  }
  return ws;
}

describe('(integration) fleet on virtual devices', function () {
  this.timeout(60_000);
  let ws: string;
  let fleet: Fleet;

  before(async () => {
    ws = copyWorkspace();
    fleet = await testFleet(ws, { virtual: { count: 3 }, watch: true, config: { reconnectTimeoutMs: 20_000 } });
  });

  after(async () => {
    await fleet?.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('runs the seed flow with real routines and the real pool: start, cycles, stop, definition kept, restart', async () => {
    const o = fleet.orchestrator;
    assert.deepEqual(
      o
        .listGroupDefinitions()
        .map((d) => [d.name, d.valid])
        .sort(),
      [
        ['Premium Farmers', true],
        ['Wonder Pick Farmers', true],
      ],
    );
    const def = await o.loadGroupDefinition('Premium Farmers');
    const group = o.createGroup(def);
    await group.start({ cycles: 1, staggerMs: 200 });
    const final = await group.done;
    assert.equal(final.state, 'stopped', JSON.stringify(final.lastError ?? final.bots.map((b) => b.lastError)));
    assert.equal(final.stopReason, 'cycles-done');
    assert.equal(final.bots.length, 2);
    for (const b of final.bots) {
      assert.equal(b.cycles, 1, `bot ${b.instance}: ${b.lastError?.message ?? ''}`);
      assert.equal(b.accounts.length, 1);
      assert.ok(b.capture.count > 0 && b.input.count > 0);
      assert.ok(b.serial);
    }
    assert.notEqual(final.bots[0].accounts[0], final.bots[1].accounts[0], 'each bot leased its own account');
    const pm = o.poolManager()!;
    assert.deepEqual(pm.listLeases(), [], 'no lease is left');
    const history = pm.history({ limit: 10 });
    assert.ok(history.some((h) => h.accountId === final.bots[0].accounts[0]));
    assert.deepEqual(o.listActiveGroups(), [], 'the ended group is no longer active');
    assert.equal(o.snapshot().groups.find((g) => g.name === 'Premium Farmers')?.state, 'stopped', 'it stays queryable as ended');
    assert.ok(existsSync(path.join(ws, 'groups', 'premium_farmers.yaml')));

    const again = o.createGroup(await o.loadGroupDefinition('Premium Farmers'));
    assert.notEqual(again.orchestrationId, group.orchestrationId);
    await again.start({ cycles: 1, staggerMs: 0 });
    assert.equal((await again.done).state, 'stopped');
  });

  it('a device that disconnects mid-routine: its bot reports it and is replaced, the other bot goes on', async () => {
    const o = fleet.orchestrator;
    const group = o.createGroup(await o.loadGroupDefinition('Premium Farmers'));
    await group.start({ staggerMs: 0 });
    // Bot 2's first cycle may end before or after the replacement's: wait for it rather than race it.
    const bot2Cycled = waitForEvent(o.onDidCompleteCycle, (e: BotCycleEvent) => e.instance === '2' && e.ok, 60_000);
    bot2Cycled.catch(() => undefined);
    try {
      await waitForEvent(o.onDidChangeBotStep, (e) => e.instance === '1' && e.phase === 'end', 30_000);
      const offline = waitForEvent(o.onDidChangeBotState, (e: BotStateEvent) => e.instance === '1' && e.state === 'offline', 30_000);
      fleet.virtualDevices()[0].local!.faults.drop({ refuseMs: 120_000 });
      const ev = await offline;
      assert.ok(ev.error, 'the offline state carries the error');
      const replaced = await waitForEvent(o.onDidCompleteCycle, (e: BotCycleEvent) => e.instance === '3' && e.ok, 45_000);
      assert.equal(replaced.group, 'Premium Farmers');
      const snap = group.snapshot();
      assert.deepEqual(
        snap.retiredBots.map((b) => [b.instance, b.stopReason]),
        [['1', 'replaced']],
      );
      await bot2Cycled;
      assert.ok(group.snapshot().bots.some((b) => b.instance === '2' && b.cycles >= 1), 'bot 2 kept cycling');
    } finally {
      fleet.virtualDevices()[0].local!.faults.clear();
      await group.stop({ timeoutMs: 5000 });
    }
    assert.deepEqual(o.poolManager()!.listLeases(), []);
  });

  it('refuses a second group on a busy instance, naming the group that holds it', async () => {
    const o = fleet.orchestrator;
    const first = o.createGroup(await o.loadGroupDefinition('Premium Farmers'));
    await first.start({ staggerMs: 0 });
    try {
      const wp = await o.loadGroupDefinition('Wonder Pick Farmers');
      const second = o.createGroup({ ...wp, launchOptions: { ...wp.launchOptions, onBusy: 'fail' } });
      await assert.rejects(second.start(), (e: unknown) => e instanceof InstanceBusyError && e.owner.group === 'Premium Farmers');
      assert.equal(o.getGroup('Wonder Pick Farmers')?.currentState, 'failed');
      assert.deepEqual(o.listActiveGroups(), [first]);
    } finally {
      await first.stop({ force: true });
    }
  });

  it('saves definitions atomically in place (comments kept) and sees edits on disk through the watcher', async () => {
    const o = fleet.orchestrator;
    const file = path.join(ws, 'groups', 'wonder_pick_farmers.yaml');
    const def = await o.loadGroupDefinition('Wonder Pick Farmers');
    await o.saveGroupDefinition({ ...def, requestedBotCount: 3 });
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^# Bot group "Wonder Pick Farmers"/);
    assert.match(text, /requestedBotCount: 3/);
    assert.match(text, /updatedAt: /);
    const changed = waitForEvent(o.onDidChangeDefinitions, (e) => e.names.includes('Wonder Pick Farmers'), 10_000);
    writeFileSync(file, text.replace('requestedBotCount: 3', 'requestedBotCount: 1'));
    await changed;
    assert.equal((await o.loadGroupDefinition('Wonder Pick Farmers')).requestedBotCount, 1);
    writeFileSync(path.join(ws, 'groups', 'broken.yaml'), 'name: Broken\nroutine: farm_premium\nrequestedBotCount: 1\n');
    await waitForEvent(o.onDidChangeDefinitions, (e) => e.names.includes('Broken'), 10_000);
    const broken = o.listGroupDefinitions().find((d) => d.name === 'Broken')!;
    assert.equal(broken.valid, false);
    assert.ok(broken.diagnostics.some((d) => d.file === 'groups/broken.yaml' && d.line >= 1));
  });
});
