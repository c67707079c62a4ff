import * as assert from 'node:assert/strict';
import { waitForEvent } from '../../../src/shared/lifecycle';
import { GroupDefinitionError } from '../../../src/orchestrator/groupDefinition';
import { InstanceBusyError } from '../../../src/orchestrator/instanceRegistry';
import { GroupError } from '../../../src/orchestrator/botGroup';
import { runSummaryOf, type BotStateEvent, type GroupStateEvent } from '../../../src/shared/fleetTypes';
import { makeHarness, premiumDef, defFromYaml, type Harness } from './harness';

describe('(unit) orchestrator: the seed data flows', () => {
  let h: Harness;

  afterEach(async () => {
    await h.orchestrator.stopAll({ force: true });
    h.orchestrator.dispose();
  });

  it('create definition → save → load → create group → start → bots run → stop → gone from activeGroups → definition still saved → restart', async () => {
    h = await makeHarness();
    const o = h.orchestrator;

    // 1-2. A definition is created (as the UI would) and saved.
    const saved = await o.saveGroupDefinition(premiumDef());
    assert.ok(h.files.has('groups/premium_farmers.yaml'));
    assert.deepEqual(
      o.listGroupDefinitions().map((d) => [d.name, d.valid, d.active]),
      [['Premium Farmers', true, false]],
    );

    // 3. Later it is loaded and a runtime group created from it.
    const def = await o.loadGroupDefinition('Premium Farmers');
    assert.equal(def.createdAt, saved.createdAt);
    const group = o.createGroup(def);
    assert.equal(group.orchestrationId, 'run-1');
    assert.equal(o.getGroup('Premium Farmers'), group);
    assert.deepEqual(o.listActiveGroups(), [], 'created, not started yet: not active');

    // 4. Launch: the group creates its bots, which run the routine.
    const result = await group.start();
    assert.deepEqual(result.launched, ['1', '2']);
    assert.equal(group.isRunning(), true);
    assert.deepEqual(o.listActiveGroups(), [group]);
    assert.deepEqual(o.listGroupDefinitions()[0].active, true);
    await waitForEvent(o.onDidCompleteCycle, (e) => e.ok && e.instance === '2' && e.cycle >= 2, 10_000);
    const bots = group.getAllBots();
    assert.deepEqual(
      bots.map((b) => [b.instance, b.serial]),
      [
        ['1', 'fake-1'],
        ['2', 'fake-2'],
      ],
    );
    assert.ok(bots.every((b) => b.cycles >= 1 && b.accounts.length >= 1 && b.capture.count > 0 && b.input.count > 0));
    assert.ok(h.runners.runs.every((r) => r.name === 'farm_premium' && r.params.packs === 2));
    assert.deepEqual(
      o
        .instanceRegistry()
        .list()
        .map((a) => [a.instance, a.group])
        .sort(),
      [
        ['1', 'Premium Farmers'],
        ['2', 'Premium Farmers'],
        // The devices' serials are claimed too, so no group can reach them under another name.
        ['fake-1', 'Premium Farmers'],
        ['fake-2', 'Premium Farmers'],
      ],
    );

    // 5. Stop: the bots shut down, the group leaves activeGroups (it stays queryable as ended), the definition stays.
    const final = await group.stop();
    assert.equal(final.state, 'stopped');
    assert.equal(final.stopReason, 'requested');
    assert.ok(final.bots.every((b) => b.state === 'stopped'));
    assert.equal(o.getGroup('Premium Farmers'), group);
    assert.deepEqual(o.listEndedGroups(), [group]);
    assert.deepEqual(o.listActiveGroups(), []);
    assert.deepEqual(o.instanceRegistry().list(), []);
    assert.equal(h.pools.leased.size, 0, 'no account stays leased');
    assert.ok(h.pools.ports.every((p) => p.disposed));
    assert.deepEqual(h.pools.releaseAllCalls, [{ orchestrationId: 'run-1' }]);
    assert.ok(h.files.has('groups/premium_farmers.yaml'));
    assert.equal(o.listGroupDefinitions()[0].active, false);

    // 6. Restart from the saved definition: a new run with a new OrchestrationID.
    const again = o.createGroup(await o.loadGroupDefinition('Premium Farmers'));
    assert.equal(again.orchestrationId, 'run-2');
    await again.start({ cycles: 1 });
    const done = await again.done;
    assert.equal(done.state, 'stopped');
    assert.equal(done.stopReason, 'cycles-done');
    assert.deepEqual(
      runSummaryOf(done).bots.map((b) => [b.instance, b.cycles]),
      [
        ['1', 1],
        ['2', 1],
      ],
    );
    assert.equal(o.getGroup('Premium Farmers'), again, 'the new run replaced the ended one');
    assert.deepEqual(o.listActiveGroups(), []);
  });

  it('passes routineConfig as params and the system variables to every cycle', async () => {
    h = await makeHarness();
    const def = premiumDef('  cycles: 2\n  overrides:\n    - instance: 2\n      routineConfig: { packs: 7, extra: yes }\n');
    const g = h.orchestrator.createGroup(def);
    await g.start();
    await g.done;
    const byInstance = (i: string) => h.runners.runs.filter((r) => r.instance === i);
    assert.deepEqual(
      byInstance('1').map((r) => r.variables),
      [1, 2].map((cycle) => ({ cycle, bot_instance: '1', group: 'Premium Farmers', orchestration_id: 'run-1' })),
    );
    assert.deepEqual(byInstance('1')[0].params, { packs: 2 });
    assert.deepEqual(byInstance('2')[0].params, { packs: 7, extra: 'yes' });
  });

  it('refuses a second group on a busy instance, naming the owner (onBusy: fail)', async () => {
    h = await makeHarness();
    const o = h.orchestrator;
    const first = o.createGroup(premiumDef());
    await first.start();
    const second = o.createGroup(
      defFromYaml('name: Wonder Pick Farmers\nroutine: wonder_pick\navailableInstances: [2, 3]\nrequestedBotCount: 2\nlaunchOptions: { onBusy: fail }\n'),
    );
    await assert.rejects(second.start(), (e: unknown) => e instanceof InstanceBusyError && e.code === 'instance-busy' && e.owner.group === 'Premium Farmers' && /Premium Farmers/.test(e.message));
    const snap = await second.done;
    assert.equal(snap.state, 'failed');
    assert.equal(snap.lastError?.code, 'instance-busy');
    assert.equal(o.getGroup('Wonder Pick Farmers')?.currentState, 'failed', 'the failed group stays queryable');
    assert.deepEqual(o.listActiveGroups(), [first]);
    assert.equal(o.instanceRegistry().holder('3'), undefined, 'the failed start holds nothing');
    assert.equal(first.isRunning(), true);
    assert.throws(() => o.instanceRegistry().claim('1', { group: 'Other', orchestrationId: 'x' }), /held by group 'Premium Farmers'/);
  });

  it('refuses a second group that names a busy device by its serial instead of its instance number', async () => {
    h = await makeHarness();
    const o = h.orchestrator;
    const first = o.createGroup(premiumDef());
    await first.start();
    await waitForEvent(o.onDidCompleteCycle, (e) => e.ok && e.instance === '1', 10_000);
    const second = o.createGroup(defFromYaml('name: Wonder Pick Farmers\nroutine: wonder_pick\navailableInstances: [fake-1]\nrequestedBotCount: 1\nlaunchOptions: { onBusy: fail }\n'));
    await assert.rejects(second.start(), (e: unknown) => e instanceof InstanceBusyError && e.owner.group === 'Premium Farmers');
    await second.done;
    assert.equal(first.isRunning(), true);
    await first.stop();
    assert.deepEqual(o.instanceRegistry().list(), [], 'every name is released when the group stops');
  });

  it('skips busy instances (onBusy: skip) and takes the next free ones', async () => {
    h = await makeHarness();
    const o = h.orchestrator;
    await o.createGroup(premiumDef()).start();
    const second = o.createGroup(defFromYaml('name: Wonder Pick Farmers\nroutine: wonder_pick\navailableInstances: [1, 2, 3, 4]\nrequestedBotCount: 2\n'));
    const r = await second.start();
    assert.deepEqual(r.launched, ['3', '4']);
    assert.deepEqual(r.skipped, [
      { instance: '1', reason: 'busy', owner: 'Premium Farmers' },
      { instance: '2', reason: 'busy', owner: 'Premium Farmers' },
    ]);
    assert.deepEqual(second.snapshot().skippedInstances.length, 2);
  });

  it('a waiting group whose bot cannot be created releases the instance and keeps waiting (no unhandled rejection)', async () => {
    h = await makeHarness({ instances: [1, 2] });
    const o = h.orchestrator;
    await o.createGroup(premiumDef()).start();
    const waiter = o.createGroup(
      defFromYaml('name: Waiter\nroutine: wonder_pick\naccountPool: premium_accounts\navailableInstances: [2]\nrequestedBotCount: 1\nlaunchOptions: { onBusy: wait, waitTimeout: 5s }\n'),
    );
    assert.equal((await waiter.start()).waiting, 1);
    h.pools.accountPort = () => {
      throw new Error('the pool is gone');
    };
    await o.shutdownGroup('Premium Farmers');
    const done = await waiter.done;
    assert.equal(done.state, 'stopped');
    assert.deepEqual(done.bots, []);
    assert.equal(o.instanceRegistry().holder('2'), undefined);
    assert.ok(h.events.some((e) => e.type === 'log' && /instance 2 could not start: the pool is gone/.test(e.message)));
  });

  it('waits for a busy instance (onBusy: wait) and starts the bot once it is released', async () => {
    h = await makeHarness({ instances: [1, 2] });
    const o = h.orchestrator;
    const first = o.createGroup(premiumDef());
    await first.start();
    const waiter = o.createGroup(defFromYaml('name: Waiter\nroutine: wonder_pick\navailableInstances: [2]\nrequestedBotCount: 1\nlaunchOptions: { onBusy: wait, waitTimeout: 10m, cycles: 1 }\n'));
    const r = await waiter.start();
    assert.deepEqual(r.launched, []);
    assert.equal(r.waiting, 1);
    assert.equal(waiter.currentState, 'waiting');
    const started = waitForEvent(o.onDidChangeBotState, (e: BotStateEvent) => e.group === 'Waiter' && e.state === 'running', 10_000);
    await o.shutdownGroup('Premium Farmers');
    const ev = await started;
    assert.equal(ev.instance, '2');
    const done = await waiter.done;
    assert.equal(done.state, 'stopped');
    assert.equal(done.bots[0].cycles, 1);
  });

  it('skips offline instances and fails with no-instances when none is left', async () => {
    h = await makeHarness();
    h.devices.setOnline('1', false);
    const g = h.orchestrator.createGroup(premiumDef());
    const r = await g.start();
    assert.deepEqual(r.launched, ['2', '3']);
    assert.deepEqual(r.skipped, [{ instance: '1', reason: 'offline' }]);
    await g.stop();
    for (const i of ['2', '3', '4']) {
      h.devices.setOnline(i, false);
    }
    const g2 = h.orchestrator.createGroup(premiumDef());
    await assert.rejects(g2.start(), (e: unknown) => e instanceof GroupError && e.code === 'no-instances');
  });

  it('validates the routine and the pool at start', async () => {
    h = await makeHarness();
    const g = h.orchestrator.createGroup(defFromYaml('name: X\nroutine: nope\navailableInstances: [1]\nrequestedBotCount: 1\n'));
    await assert.rejects(g.start(), (e: unknown) => e instanceof GroupError && e.code === 'unknown-routine');
    const g2 = h.orchestrator.createGroup(defFromYaml('name: Y\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: 1\naccountPool: missing\n'));
    await assert.rejects(g2.start(), (e: unknown) => e instanceof GroupError && e.code === 'unknown-pool');
    const g3 = h.orchestrator.createGroup(defFromYaml('name: Z\nroutine: broken_routine\navailableInstances: [1]\nrequestedBotCount: 1\n'));
    await assert.rejects(g3.start(), (e: unknown) => e instanceof GroupError && e.code === 'invalid-routine' && /routines\/broken_routine\.yaml:3:5: unknown template/.test(e.message));
    assert.deepEqual(h.orchestrator.listActiveGroups(), []);
    assert.deepEqual(h.orchestrator.instanceRegistry().list(), []);
  });

  it('refuses a second active group of the same name, and deleting the definition of a running group', async () => {
    h = await makeHarness();
    const o = h.orchestrator;
    await o.saveGroupDefinition(premiumDef());
    const never = o.createGroup(premiumDef());
    assert.deepEqual(o.listActiveGroups(), [], 'a created group is not active until it starts');
    const g = o.createGroup(premiumDef());
    assert.notEqual(g, never, 'a created, never started group is replaced by the next one of its name');
    assert.equal(o.getGroup('Premium Farmers'), g);
    await g.start();
    assert.throws(() => o.createGroup(premiumDef()), (e: unknown) => e instanceof GroupDefinitionError && e.code === 'group-active');
    await assert.rejects(o.deleteGroupDefinition('Premium Farmers'), (e: unknown) => e instanceof GroupDefinitionError && e.code === 'group-active');
    await o.shutdownGroup('Premium Farmers');
    await o.deleteGroupDefinition('Premium Farmers');
    assert.deepEqual(o.listGroupDefinitions(), []);
    await assert.rejects(o.loadGroupDefinition('Premium Farmers'), (e: unknown) => e instanceof GroupDefinitionError && e.code === 'unknown-group');
  });

  it('a definition edited while its group runs applies at the next start; the group reports the difference', async () => {
    h = await makeHarness();
    const o = h.orchestrator;
    await o.saveGroupDefinition(premiumDef());
    const g = o.createGroup(await o.loadGroupDefinition('Premium Farmers'));
    await g.start();
    assert.equal(g.snapshot().differsFromDefinition, false);
    const changed = waitForEvent(o.onDidChangeGroupState, (e: GroupStateEvent) => e.snapshot.differsFromDefinition, 5000);
    const text = h.files.text('groups/premium_farmers.yaml')!;
    h.files.edit('groups/premium_farmers.yaml', text.replace('requestedBotCount: 2', 'requestedBotCount: 3'));
    await changed;
    assert.equal(g.getAllBots().length, 2, 'the running group keeps its configuration');
    await o.shutdownGroup('Premium Farmers');
    const next = o.createGroup(await o.loadGroupDefinition('Premium Farmers'));
    const r = await next.start();
    assert.deepEqual(r.launched, ['1', '2', '3']);
    assert.equal(next.snapshot().differsFromDefinition, false);
  });

  it('loading a definition with errors is a typed error carrying its located diagnostics', async () => {
    h = await makeHarness({ files: { 'groups/bad.yaml': 'name: Bad\nroutine: r\navailableInstances: []\nrequestedBotCount: 1\n' } });
    const list = h.orchestrator.listGroupDefinitions();
    assert.equal(list.length, 1);
    assert.equal(list[0].valid, false);
    assert.ok(list[0].diagnostics.length > 0);
    await assert.rejects(h.orchestrator.loadGroupDefinition('Bad'), (e: unknown) => e instanceof GroupDefinitionError && e.code === 'invalid-definition' && e.diagnostics.length > 0 && e.diagnostics[0].line === 3);
  });

  it('publishes one typed feed: group states, bot states, steps, cycles, accounts, instances', async () => {
    h = await makeHarness();
    const g = h.orchestrator.createGroup(premiumDef('  cycles: 1\n'));
    await g.start();
    await g.done;
    const types = new Set(h.events.map((e) => e.type));
    for (const t of ['group.state', 'bot.state', 'bot.step', 'bot.cycle', 'bot.account', 'instance.assigned', 'instance.released']) {
      assert.ok(types.has(t as never), `missing ${t}`);
    }
    const groupStates = h.events.filter((e): e is GroupStateEvent => e.type === 'group.state').map((e) => e.state);
    assert.deepEqual(groupStates, ['starting', 'running', 'stopped']);
    const bot1 = h.events.filter((e): e is BotStateEvent => e.type === 'bot.state' && e.instance === '1').map((e) => e.state);
    assert.deepEqual(bot1, ['starting', 'running', 'stopped']);
    assert.ok(h.events.every((e) => !('orchestrationId' in e) || e.orchestrationId === 'run-1'));
    assert.doesNotThrow(() => JSON.stringify(h.events));
  });
});
