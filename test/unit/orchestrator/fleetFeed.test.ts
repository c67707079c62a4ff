/**
 * The one fleet model (issue 9, items 1, 3, 4): the seq'd feed and `snapshot()`, ended groups and `clearGroup`,
 * name-addressed commands with FleetResult codes, the lists the host feeds in (devices, pools, routines, templates).
 */
import * as assert from 'node:assert/strict';
import { Emitter, waitForEvent } from '../../../src/shared/lifecycle';
import { FleetState } from '../../../src/shared/fleetModel';
import type { DeviceInfo, FleetEvent, FleetSnapshot, PoolInfo } from '../../../src/shared/fleetTypes';
import { Orchestrator } from '../../../src/orchestrator/orchestrator';
import { MemoryLogger } from '../../../src/shared/loggers';
import { FakeClock } from '../../support/fakeClock';
import { MemoryFileStore } from '../../support/memoryFileStore';
import { FakeDeviceProvider, FakePools, FakeRunnerFactory, routineCatalog } from './fleetFakes';
import { makeHarness, premiumDef, type Harness } from './harness';

const EIGHT = `name: Eight
routine: farm_premium
availableInstances: [1, 2, 3, 4, 5, 6, 7, 8]
requestedBotCount: 8
launchOptions: { stagger: 10ms, cycleDelay: 0s }
`;

/** A deterministic pseudo-random sequence. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A snapshot with the events after it applied, through the shared reducer. */
function replay(s: FleetSnapshot, events: readonly FleetEvent[]): FleetSnapshot {
  const st = new FleetState(s);
  for (const e of events) {
    st.apply(e);
  }
  return st.snapshot();
}

describe('(unit) the fleet feed and snapshot', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    if (h) {
      await h.orchestrator.stopAll({ force: true });
      h.orchestrator.dispose();
      await h.orchestrator.whenDisposed;
      h = undefined;
    }
  });

  it('numbers every event 1, 2, 3... and forwards every routine event as bot.routine', async () => {
    h = await makeHarness();
    const o = h.orchestrator;
    await o.saveGroupDefinition(premiumDef());
    const g = o.createGroup(await o.loadGroupDefinition('Premium Farmers'));
    const own: number[] = [];
    g.onDidChangeState((e) => own.push(e.seq));
    await g.start({ cycles: 1 });
    await g.done;
    assert.deepEqual(
      own,
      h.events.filter((e) => e.type === 'group.state').map((e) => e.seq),
      "the group's own state view is the hub's events",
    );
    const seqs = h.events.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => seqs[0] + i),
      'strictly increasing, no gap',
    );
    const routine = h.events.filter((e) => e.type === 'bot.routine');
    const steps = h.events.filter((e) => e.type === 'bot.step');
    assert.ok(routine.length >= steps.length && steps.length > 0);
    for (const kind of ['step.start', 'step.end']) {
      assert.ok(
        routine.some((e) => e.type === 'bot.routine' && e.event.type === kind && e.group === 'Premium Farmers' && e.orchestrationId === 'run-1'),
        kind,
      );
    }
    // A step event carries what changed in its bot (the step it is on), so views need no other source.
    const start = h.events.find((e) => e.type === 'bot.step' && e.phase === 'start');
    assert.ok(start && start.type === 'bot.step' && start.changes?.step?.name === 'step1');
  });

  it('snapshot() then subscribing in the same tick gives exactly the later events: replayed onto it, they equal a fresh snapshot (8 bots, snapshots at random moments)', async () => {
    h = await makeHarness({ instances: [1, 2, 3, 4, 5, 6, 7, 8], files: { 'groups/eight.yaml': EIGHT } });
    const o = h.orchestrator;
    const random = rng(9);
    const views: Array<{ snap: FleetSnapshot; events: FleetEvent[] }> = [];
    let taken = 0;
    // Snapshots taken at random moments, some from inside a listener while an event is being delivered.
    const sub = o.onDidEmitFleetEvent(() => {
      if (taken < 40 && random() < 0.05) {
        taken++;
        const snap = o.snapshot();
        const view = { snap, events: [] as FleetEvent[] };
        views.push(view);
        o.onDidEmitFleetEvent((e) => view.events.push(e));
      }
    });
    const r = await o.startGroup('Eight');
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.bots.length, 8);
    await waitForEvent(o.onDidCompleteCycle, (e) => e.cycle >= 3, 20_000);
    assert.ok((await o.stopGroup('Eight')).ok);
    sub.dispose();
    assert.ok(views.length >= 10, `${views.length} snapshots`);
    const fresh = o.snapshot();
    for (const v of views) {
      // (A snapshot taken in the listener of the feed's last event has no later event to replay.)
      assert.equal(v.events[0]?.seq ?? fresh.seq + 1, v.snap.seq + 1, 'the first event after the snapshot');
      assert.deepEqual(replay(v.snap, v.events), fresh);
    }
    // The model agrees with the live objects.
    const g = o.getGroup('Eight')!;
    assert.deepEqual(
      fresh.groups.find((x) => x.name === 'Eight'),
      g.snapshot(),
    );
    assert.deepEqual(
      fresh.definitions.map((d) => [d.name, d.valid, d.active]),
      [['Eight', true, false]],
    );
  });

  it('lists devices, pools, routines and templates from its sources; changes are diffed and coalesced', async () => {
    const clock = new FakeClock(true);
    const changed = new Emitter<unknown>();
    let devices: DeviceInfo[] = [{ serial: 'a', source: 'virtual', state: 'online' }];
    let pools: PoolInfo[] = [{ name: 'p', file: 'pools/p.yaml', valid: true, diagnostics: [], leases: [] }];
    const o = await Orchestrator.create({
      files: new MemoryFileStore({}),
      clock,
      logger: new MemoryLogger('warn'),
      devices: new FakeDeviceProvider(clock, [1]),
      runners: new FakeRunnerFactory(clock),
      poolManager: new FakePools(3),
      routineRegistry: routineCatalog('farm_premium'),
      watch: false,
      sources: {
        devices: { list: () => devices, onDidChange: changed.event },
        pools: { list: () => pools, onDidChange: changed.event },
        routines: { list: () => [{ name: 'r', file: 'routines/r.yaml', valid: true, diagnostics: [] }], onDidChange: changed.event },
        templates: { list: () => [{ name: 't', file: 'templates/t.yaml' }], onDidChange: changed.event },
      },
    });
    try {
      const s = o.snapshot();
      assert.deepEqual(s.devices, devices);
      assert.deepEqual(
        s.pools.map((p) => [p.name, p.available]),
        [['p', undefined]],
        'counts unknown while the database is not open',
      );
      assert.deepEqual(
        [s.routines.map((r) => r.name), s.templates.map((t) => t.name)],
        [['r'], ['t']],
      );
      const events: FleetEvent[] = [];
      o.onDidEmitFleetEvent((e) => events.push(e));
      // The database opens: the counts come; three signals in a burst give one event per list that changed.
      pools = [{ ...pools[0], available: 2, total: 3, cooldown: 0 }];
      devices = [...devices, { serial: 'b', source: 'virtual', state: 'offline' }];
      changed.fire(undefined);
      changed.fire(undefined);
      changed.fire(undefined);
      await Promise.resolve();
      await Promise.resolve();
      assert.deepEqual(
        events.map((e) => e.type),
        ['devices.changed', 'pools.changed'],
      );
      assert.deepEqual(o.snapshot().pools[0].available, 2);
      assert.deepEqual(
        o.snapshot().devices.map((d) => d.serial),
        ['a', 'b'],
      );
    } finally {
      o.dispose();
      await o.whenDisposed;
    }
  });
});

describe('(unit) ended groups and name-addressed commands', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    if (h) {
      await h.orchestrator.stopAll({ force: true });
      h.orchestrator.dispose();
      await h.orchestrator.whenDisposed;
      h = undefined;
    }
  });

  it('an ended group stays with its last state and error until cleared, started again or its definition is deleted', async () => {
    h = await makeHarness();
    const o = h.orchestrator;
    await o.saveGroupDefinition(premiumDef());
    // Every cycle fails and restarts are off: the group fails.
    h.runners.script = async () => {
      throw new Error('boom');
    };
    const r = await o.startGroup('Premium Farmers', { launch: { restart: { enabled: false, maxRestarts: 0, initialDelayMs: 1, maxDelayMs: 1, factor: 1, resetAfterSuccess: true } } });
    assert.ok(r.ok);
    const final = await o.getGroup('Premium Farmers')!.done;
    assert.equal(final.state, 'failed');
    let g = o.snapshot().groups.find((x) => x.name === 'Premium Farmers');
    assert.equal(g?.state, 'failed');
    assert.match(g?.lastError?.message ?? '', /boom/);
    assert.deepEqual(o.listActiveGroups(), []);
    assert.equal(o.snapshot().definitions[0].active, false);

    // Started again: the new run replaces it.
    h.runners.script = async () => undefined;
    const again = await o.startGroup('Premium Farmers', { launch: { cycles: 1 } });
    assert.ok(again.ok);
    assert.equal(again.value.orchestrationId, 'run-2');
    await o.getGroup('Premium Farmers')!.done;
    g = o.snapshot().groups.find((x) => x.name === 'Premium Farmers');
    assert.equal(g?.orchestrationId, 'run-2');

    // Cleared: gone, with group.removed.
    const removed = waitForEvent(o.onDidRemoveGroup, () => true, 5000);
    const c = o.clearGroup('Premium Farmers');
    assert.ok(c.ok);
    assert.deepEqual((await removed).orchestrationId, 'run-2');
    assert.equal(o.snapshot().groups.length, 0);
    assert.equal(o.getGroup('Premium Farmers'), undefined);
    assert.deepEqual(o.clearGroup('Premium Farmers'), { ok: false, error: { code: 'unknown-group', message: "no group is named 'Premium Farmers'" } });

    // Ended again, then its definition is deleted: the ended group goes too.
    assert.ok((await o.startGroup('Premium Farmers', { launch: { cycles: 1 } })).ok);
    await o.getGroup('Premium Farmers')!.done;
    await o.deleteGroupDefinition('Premium Farmers');
    assert.equal(o.getGroup('Premium Farmers'), undefined);
    assert.deepEqual(o.snapshot().groups, []);
    assert.deepEqual(o.snapshot().definitions, []);
  });

  it('startGroup refuses with stable codes: unknown-group, invalid-definition (located), group-active, unknown-routine, no-instances; clearGroup refuses a running group', async () => {
    h = await makeHarness({
      files: {
        'groups/bad.yaml': 'name: Bad\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: nope\n',
        'groups/ghost.yaml': 'name: Ghost\nroutine: nope\navailableInstances: [1]\nrequestedBotCount: 1\n',
        'groups/far.yaml': 'name: Far\nroutine: farm_premium\navailableInstances: [99]\nrequestedBotCount: 1\n',
      },
    });
    const o = h.orchestrator;
    const unknown = await o.startGroup('Nope');
    assert.deepEqual(unknown.ok ? undefined : unknown.error.code, 'unknown-group');
    const bad = await o.startGroup('Bad');
    assert.ok(!bad.ok);
    assert.equal(bad.error.code, 'invalid-definition');
    assert.equal(bad.error.diagnostic?.file, 'groups/bad.yaml');
    assert.equal(bad.error.diagnostic?.line, 4);
    const ghost = await o.startGroup('Ghost');
    assert.equal(ghost.ok ? undefined : ghost.error.code, 'unknown-routine');
    const far = await o.startGroup('Far');
    assert.equal(far.ok ? undefined : far.error.code, 'no-instances');
    assert.equal(o.snapshot().groups.find((g) => g.name === 'Far')?.state, 'failed', 'a failed start is an ended group');

    await o.saveGroupDefinition(premiumDef());
    assert.ok((await o.startGroup('Premium Farmers')).ok);
    const twice = await o.startGroup('Premium Farmers');
    assert.equal(twice.ok ? undefined : twice.error.code, 'group-active');
    const clear = o.clearGroup('Premium Farmers');
    assert.equal(clear.ok ? undefined : clear.error.code, 'group-active');
    // The results are plain data (the remote API sends them as they are).
    assert.deepEqual(JSON.parse(JSON.stringify(twice)), twice);
  });

  it('stop, pause and resume by name; not-running and unknown-bot codes; pause during the start makes later bots start paused', async () => {
    h = await makeHarness();
    const o = h.orchestrator;
    await o.saveGroupDefinition(premiumDef());
    const notRunning = await o.pauseGroup('Premium Farmers');
    assert.equal(notRunning.ok ? undefined : notRunning.error.code, 'not-running');
    assert.equal(((await o.pauseGroup('Nope')) as { error: { code: string } }).error.code, 'unknown-group');

    // Pause while the group starts (between its staggered bots).
    const starting = o.startGroup('Premium Farmers');
    await waitForEvent(o.onDidChangeBotState, (e) => e.instance === '1' && e.state === 'starting', 5000);
    const paused = await o.pauseGroup('Premium Farmers');
    assert.ok(paused.ok);
    const started = await starting;
    assert.ok(started.ok);
    assert.equal(started.value.state, 'paused');
    assert.deepEqual(
      started.value.bots.map((b) => [b.instance, b.state]),
      [
        ['1', 'paused'],
        ['2', 'paused'],
      ],
    );
    const resumed = await o.resumeGroup('Premium Farmers');
    assert.ok(resumed.ok);
    assert.equal(resumed.value.state, 'running');

    const pb = await o.pauseBot('Premium Farmers', '2');
    assert.ok(pb.ok);
    assert.equal(pb.value.state, 'paused');
    const rb = await o.resumeBot('Premium Farmers', '2');
    assert.ok(rb.ok);
    assert.notEqual(rb.value.state, 'paused');
    const nobot = await o.pauseBot('Premium Farmers', '7');
    assert.equal(nobot.ok ? undefined : nobot.error.code, 'unknown-bot');

    const stopped = await o.stopGroup('Premium Farmers');
    assert.ok(stopped.ok);
    assert.equal(stopped.value.state, 'stopped');
    const again = await o.stopGroup('Premium Farmers');
    assert.equal(again.ok ? undefined : again.error.code, 'not-running');
    const botOfEnded = await o.restartBot('Premium Farmers', '1');
    assert.equal(botOfEnded.ok ? undefined : botOfEnded.error.code, 'not-running');
  });

  it('restartBot stops the bot gracefully, gives its account back and starts a fresh bot on the same instance', async () => {
    h = await makeHarness();
    const o = h.orchestrator;
    await o.saveGroupDefinition(premiumDef());
    assert.ok((await o.startGroup('Premium Farmers')).ok);
    await waitForEvent(o.onDidChangeBotAccount, (e) => e.instance === '1' && e.action === 'checkout', 5000);
    const before = o.getGroup('Premium Farmers')!.getBot('1')!;
    const r = await o.restartBot('Premium Farmers', '1');
    assert.ok(r.ok, JSON.stringify(r));
    const after = o.getGroup('Premium Farmers')!.getBot('1')!;
    assert.notEqual(after, before);
    assert.equal(before.snapshot().stopReason, 'restarted');
    assert.equal(before.heldAccounts.length, 0, 'its account went back to the pool');
    const snap = o.snapshot().groups[0];
    assert.deepEqual(
      snap.retiredBots.map((b) => [b.instance, b.stopReason]),
      [['1', 'restarted']],
    );
    assert.equal(snap.state, 'running');
    assert.ok(snap.bots.find((b) => b.instance === '1') && ['starting', 'running'].includes(snap.bots.find((b) => b.instance === '1')!.state));
    assert.equal(o.instanceRegistry().holder('1')?.orchestrationId, 'run-1');
  });
});
