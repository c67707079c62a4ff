/**
 * Hardening of the group and bot life cycle: when a group ends, fatal storage errors, stops that race a start or a
 * connect, claims given back in time, final events after dispose, handled rejections. Deterministic: fake clock,
 * fake devices and pools, waits on events only (a real-time bound only guards against a hang).
 */
import * as assert from 'node:assert/strict';
import { Bot, isOfflineError, type BotDeviceSource, type BotOptions } from '../../../src/bot/bot';
import { DeviceError, type Device } from '../../../src/bot/device';
import { MemoryLogger } from '../../../src/shared/loggers';
import { RoutineError } from '../../../src/bot/routine/errors';
import { RoutineRegistry } from '../../../src/bot/routine/registry';
import { InterpreterRunnerFactory } from '../../../src/bot/routine/runner';
import { GroupDefinitionError } from '../../../src/orchestrator/groupDefinition';
import { LatencyWindow } from '../../../src/shared/stats';
import { PoolError } from '../../../src/orchestrator/pools/poolErrors';
import { Emitter, filterEvent, waitForEvent } from '../../../src/shared/lifecycle';
import type { BotFleetEvent, BotStepEvent, GroupStateEvent } from '../../../src/shared/fleetTypes';
import { FakeClock } from '../../support/fakeClock';
import { MemoryFileStore } from '../../support/memoryFileStore';
import { ScriptedDevice, ScriptedVision } from '../../support/scriptedDevice';
import { defaultScript, FakeDeviceProvider, FakeRunnerFactory } from './fleetFakes';
import { defFromYaml, makeHarness, premiumDef, type Harness } from './harness';

/** `p`, or a rejection when it takes longer than `ms` of real time (a hang guard, not a wait). */
function within<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

function groupStates(h: Harness, group: string): Array<[string, string | undefined]> {
  return h.events.filter((e): e is GroupStateEvent => e.type === 'group.state' && e.group === group).map((e) => [e.state, e.reason]);
}

function botOptions(clock: FakeClock, devices: BotDeviceSource, runners: BotOptions['runners'], extra: Partial<BotOptions> = {}): BotOptions {
  return {
    group: 'g',
    orchestrationId: 'o',
    instance: '1',
    routine: 'probe',
    params: {},
    cycles: 1,
    cycleDelayMs: 0,
    restart: { enabled: false, maxRestarts: 0, initialDelayMs: 100, maxDelayMs: 100, factor: 2, resetAfterSuccess: true },
    stopWhenPoolEmpty: false,
    poolRetryMs: 100,
    stopTimeoutMs: 1000,
    reconnectTimeoutMs: 60_000,
    reconnectIntervalMs: 100,
    createLatencyTracker: () => new LatencyWindow(16),
    devices,
    runners,
    clock,
    logger: new MemoryLogger('error'),
    ...extra,
  };
}

/** A bot whose events (its one sink) are watched through typed views. */
function newBot(o: BotOptions) {
  const events = new Emitter<BotFleetEvent>();
  const bot = new Bot({ ...o, publish: (e) => events.fire(e) });
  return Object.assign(bot, { onDidChangeState: filterEvent(events.event, 'bot.state'), onDidEmitLog: filterEvent(events.event, 'log') });
}

describe('(unit) hardening: group end, fatal errors, races', () => {
  let h: Harness;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);

  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });

  afterEach(async () => {
    if (h) {
      await h.orchestrator.stopAll({ force: true });
      h.orchestrator.dispose();
      h = undefined as unknown as Harness;
    }
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  });

  describe('the end rule', () => {
    it('a group that started fewer bots than requested (instances missing, onBusy: skip) ends when its bots end', async () => {
      h = await makeHarness({ instances: [1, 2] });
      const g = h.orchestrator.createGroup(
        defFromYaml('name: W\nroutine: wonder_pick\navailableInstances: [1, 2, 3, 4]\nrequestedBotCount: 4\nlaunchOptions: { onBusy: skip, cycles: 1 }\n'),
      );
      const r = await g.start();
      assert.deepEqual(r.launched, ['1', '2']);
      assert.equal(r.waiting, 0, 'only onBusy: wait waits for missing instances');
      const final = await within(g.done, 'the end of the group');
      assert.equal(final.state, 'stopped');
      assert.equal(final.stopReason, 'cycles-done');
      assert.deepEqual(
        final.bots.map((b) => [b.instance, b.cycles]),
        [
          ['1', 1],
          ['2', 1],
        ],
      );
      assert.equal(h.orchestrator.getGroup('W')?.currentState, 'stopped');
      assert.deepEqual(h.orchestrator.listActiveGroups(), []);
    });

    it('onBusy: fail with an offline instance: the group runs with the bots it has and ends', async () => {
      h = await makeHarness({ instances: [1, 2] });
      h.devices.setOnline('2', false);
      const g = h.orchestrator.createGroup(defFromYaml('name: F\nroutine: wonder_pick\navailableInstances: [1, 2]\nrequestedBotCount: 2\nlaunchOptions: { onBusy: fail, cycles: 2 }\n'));
      const r = await g.start();
      assert.deepEqual(r.launched, ['1']);
      const final = await within(g.done, 'the end of the group');
      assert.deepEqual([final.state, final.stopReason], ['stopped', 'cycles-done']);
    });

    it('a group whose only bot fails ends as failed, with the bot error as its lastError', async () => {
      h = await makeHarness({
        instances: [1],
        script: async (ctx) => {
          await ctx.step('work', async () => {
            throw Object.assign(new Error('the button is gone'), { code: 'target-not-found' });
          });
        },
      });
      const g = h.orchestrator.createGroup(defFromYaml('name: One\nroutine: wonder_pick\navailableInstances: [1, 2]\nrequestedBotCount: 2\nlaunchOptions: { restart: { enabled: false } }\n'));
      await g.start();
      const final = await within(g.done, 'the end of the group');
      assert.deepEqual([final.state, final.stopReason], ['failed', 'failed']);
      assert.equal(final.lastError?.code, 'target-not-found');
      assert.deepEqual(groupStates(h, 'One').pop(), ['failed', 'failed']);
    });

    it('a failed bot next to one that finished its cycles: stopped, with the finished bots reason', async () => {
      h = await makeHarness({
        instances: [1, 2],
        script: async (ctx) => {
          await ctx.step('work', async () => {
            await ctx.clock.sleep(10, ctx.signal);
            if (ctx.instance === '1') {
              throw new Error('bot 1 breaks');
            }
          });
        },
      });
      const g = h.orchestrator.createGroup(defFromYaml('name: Mixed\nroutine: wonder_pick\navailableInstances: [1, 2]\nrequestedBotCount: 2\nlaunchOptions: { cycles: 2, restart: { enabled: false } }\n'));
      await g.start();
      const final = await within(g.done, 'the end of the group');
      assert.deepEqual([final.state, final.stopReason], ['stopped', 'cycles-done']);
      assert.deepEqual(
        final.bots.map((b) => b.state),
        ['failed', 'stopped'],
      );
    });
  });

  describe('account storage failures end the run', () => {
    const enospc = () => new PoolError('storage-failed', 'writing the journal failed: ENOSPC: no space left on device');

    it('a storage error at completeAccount: the group fails with it, the other bot stops gracefully, nothing is retried', async () => {
      h = await makeHarness({ script: defaultScript(100) });
      h.pools.broken = { error: enospc(), ops: ['complete'], bot: '1' };
      const g = h.orchestrator.createGroup(premiumDef());
      await g.start();
      const final = await within(g.done, 'the end of the group');
      assert.equal(final.state, 'failed');
      assert.equal(final.stopReason, 'failed');
      assert.equal(final.lastError?.code, 'storage-failed');
      assert.match(final.lastError?.message ?? '', /ENOSPC/);
      const [b1, b2] = final.bots;
      assert.equal(b1.state, 'failed');
      assert.equal(b1.lastError?.code, 'storage-failed');
      assert.equal(b1.restarts, 0);
      assert.equal(b2.state, 'stopped');
      assert.equal(h.runners.runs.filter((r) => r.instance === '1').length, 1, 'bot 1 ran no other cycle');
      assert.ok(!h.pools.calls.some((c, i) => c.startsWith('checkoutNext 1') && i > h.pools.calls.indexOf('complete 1 acc01')), 'bot 1 leased nothing after the failure');
      // Graceful for bot 2: every step it started ended without being cut off.
      const steps2 = h.events.filter((e): e is BotStepEvent => e.type === 'bot.step' && e.instance === '2');
      assert.equal(steps2.filter((s) => s.phase === 'start').length, steps2.filter((s) => s.phase === 'end').length);
      assert.ok(steps2.every((s) => s.phase === 'start' || s.ok));
      assert.deepEqual(groupStates(h, 'Premium Farmers').pop(), ['failed', 'failed']);
    });

    it('a routine that swallows the storage error (onError: continue) cannot keep the bot cycling', async () => {
      h = await makeHarness({
        instances: [1],
        script: async (ctx) => {
          const lease = await ctx.accounts!.checkoutNext(ctx.signal);
          await ctx.step('work', () => ctx.clock.sleep(10, ctx.signal));
          try {
            await ctx.accounts!.complete(lease!.accountId, {});
          } catch {
            // the routine's onError: continue
          }
          await ctx.step('after', () => ctx.clock.sleep(10, ctx.signal));
        },
      });
      h.pools.broken = { error: enospc(), ops: ['complete'] };
      const g = h.orchestrator.createGroup(defFromYaml('name: S\nroutine: farm_premium\naccountPool: premium_accounts\navailableInstances: [1]\nrequestedBotCount: 1\n'));
      await g.start();
      const final = await within(g.done, 'the end of the group');
      assert.deepEqual([final.state, final.lastError?.code], ['failed', 'storage-failed']);
      assert.equal(h.runners.runs.length, 1);
    });

    it('the pool error wrapped in a routine error (account-error) still ends the run, with the pool code', async () => {
      h = await makeHarness({
        instances: [1],
        script: async (ctx) => {
          try {
            await ctx.accounts!.checkoutNext(ctx.signal);
          } catch (e) {
            throw new RoutineError('account-error', `checkoutAccount: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
          }
        },
      });
      h.pools.broken = { error: new PoolError('db-corrupt', 'the journal cannot be read back'), ops: ['checkoutNext'] };
      const g = h.orchestrator.createGroup(
        defFromYaml('name: C\nroutine: farm_premium\naccountPool: premium_accounts\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions: { restart: { maxRestarts: unlimited } }\n'),
      );
      await g.start();
      const final = await within(g.done, 'the end of the group');
      assert.deepEqual([final.state, final.lastError?.code, final.bots[0].restarts], ['failed', 'db-corrupt', 0]);
    });

    it('a storage error while the group releases its accounts makes the run failed', async () => {
      h = await makeHarness({ instances: [1] });
      const g = h.orchestrator.createGroup(premiumDef('  cycles: 1\n'));
      h.pools.releaseAll = async () => {
        throw enospc();
      };
      await g.start();
      const final = await within(g.done, 'the end of the group');
      assert.deepEqual([final.state, final.lastError?.code], ['failed', 'storage-failed']);
    });
  });

  describe('races', () => {
    it('a stop while the group probes its instances: start resolves with nothing launched, the group stopped as requested, claims given back', async () => {
      h = await makeHarness();
      const o = h.orchestrator;
      // Instance 1 answers (and is claimed); the probe of instance 2 hangs until the stop.
      const probing2 = waitForEvent(h.devices.onDidCall, (e) => e.method === 'status' && e.instance === '2', 5000);
      const sub = h.devices.onDidCall((e) => {
        if (e.instance === '1') {
          h.devices.hold.status = true;
        }
      });
      const g = o.createGroup(premiumDef());
      const starting = g.start();
      await probing2;
      sub.dispose();
      assert.equal(o.instanceRegistry().holder('1')?.group, 'Premium Farmers');
      const final = await within(g.stop(), 'the stop');
      const r = await starting;
      assert.deepEqual(r.launched, []);
      assert.equal(final.state, 'stopped');
      assert.equal(final.stopReason, 'requested');
      assert.equal(final.lastError, undefined);
      assert.deepEqual(g.snapshot().state, 'stopped');
      assert.deepEqual(groupStates(h, 'Premium Farmers'), [
        ['starting', undefined],
        ['stopping', 'requested'],
        ['stopped', 'requested'],
      ]);
      assert.deepEqual(o.instanceRegistry().list(), []);
      assert.equal(h.devices.openCount, 0);
    });

    it('a stop while the group probes its first instance: start does not reject with no-instances; snapshot and events agree', async () => {
      h = await makeHarness();
      h.devices.hold.status = true;
      const probing = waitForEvent(h.devices.onDidCall, (e) => e.method === 'status', 5000);
      const g = h.orchestrator.createGroup(premiumDef());
      const starting = g.start();
      await probing;
      const final = await within(g.stop(), 'the stop');
      const r = await starting;
      assert.deepEqual([r.launched, final.state, final.stopReason, final.lastError], [[], 'stopped', 'requested', undefined]);
      assert.deepEqual(g.snapshot().state, 'stopped');
      assert.equal(g.snapshot().stopReason, 'requested');
      assert.deepEqual(groupStates(h, 'Premium Farmers').pop(), ['stopped', 'requested']);
      assert.deepEqual(h.orchestrator.instanceRegistry().list(), []);
    });

    it('a replaced bot gives back its device serial at once: another group can take the freed device', async () => {
      h = await makeHarness({ instances: [1, 2, 3] });
      const o = h.orchestrator;
      const g = o.createGroup(premiumDef());
      await g.start();
      await waitForEvent(o.onDidCompleteCycle, (e) => e.instance === '1' && e.ok, 10_000);
      assert.equal(o.instanceRegistry().holder('fake-1')?.group, 'Premium Farmers');
      const moved = waitForEvent(o.onDidCompleteCycle, (e) => e.instance === '3' && e.ok, 10_000);
      h.devices.setOnline('1', false);
      await moved;
      assert.equal(o.instanceRegistry().holder('fake-1'), undefined, "the replaced bot's serial is free");
      assert.equal(o.instanceRegistry().holder('fake-3')?.group, 'Premium Farmers');
      h.devices.setOnline('1', true);
      const other = o.createGroup(defFromYaml('name: Other\nroutine: wonder_pick\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions: { onBusy: fail, cycles: 1 }\n'));
      await other.start();
      const done = await within(other.done, 'the end of the other group');
      assert.deepEqual([done.state, done.bots[0].cycles, done.bots[0].lastError], ['stopped', 1, undefined]);
      assert.equal(g.isRunning(), true);
    });

    it('a bot stopped while it connects: no device-drop report, no lastError, never offline', async () => {
      const clock = new FakeClock(true);
      const devices = new FakeDeviceProvider(clock, [1]);
      devices.hold.open = true;
      const bot = newBot(botOptions(clock, devices, new FakeRunnerFactory(clock)));
      const states: string[] = [];
      const logs: string[] = [];
      bot.onDidChangeState((e) => states.push(e.state));
      bot.onDidEmitLog((e) => logs.push(e.message));
      const opening = waitForEvent(devices.onDidCall, (e) => e.method === 'open', 5000);
      bot.start();
      await opening;
      const final = await within(bot.stop(), 'the stop');
      assert.equal(final.state, 'stopped');
      assert.equal(final.lastError, undefined);
      assert.deepEqual(states, ['starting', 'stopping', 'stopped']);
      assert.deepEqual(
        logs.filter((m) => /dropped/.test(m)),
        [],
      );
      bot.dispose();
    });

    it('resume() puts an offline bot back to offline, not waiting', async () => {
      const clock = new FakeClock(true);
      const devices = new FakeDeviceProvider(clock, [1]);
      devices.setOnline('1', false);
      const bot = newBot(botOptions(clock, devices, new FakeRunnerFactory(clock)));
      const offline = waitForEvent(bot.onDidChangeState, (e) => e.state === 'offline', 5000);
      bot.start();
      await offline;
      bot.pause();
      assert.equal(bot.currentState, 'paused');
      bot.resume();
      assert.equal(bot.currentState, 'offline');
      const back = waitForEvent(bot.onDidChangeState, (e) => e.state === 'stopped', 5000);
      devices.setOnline('1', true);
      assert.equal((await back).snapshot.cycles, 1);
      bot.dispose();
    });
  });

  describe('dispose and rejections', () => {
    it("the orchestrator's dispose still publishes the final events of the forced stop", async () => {
      h = await makeHarness();
      const o = h.orchestrator;
      const g = o.createGroup(premiumDef());
      await g.start();
      await waitForEvent(o.onDidCompleteCycle, (e) => e.ok, 10_000);
      const groupStopped = waitForEvent(o.onDidChangeGroupState, (e) => e.state === 'stopped', 5000);
      const botStopped = waitForEvent(o.onDidChangeBotState, (e) => e.instance === '2' && e.state === 'stopped', 5000);
      const released = waitForEvent(o.onDidChangeInstanceAssignment, (e) => e.type === 'instance.released' && e.instance === '1', 5000);
      o.dispose();
      await Promise.all([groupStopped, botStopped, released]);
      await within(o.whenDisposed, 'the end of dispose');
      assert.equal(g.snapshot().state, 'stopped');
      assert.deepEqual(o.instanceRegistry().list(), []);
    });

    it("a bot's dispose still delivers its final state", async () => {
      const clock = new FakeClock(true);
      const devices = new FakeDeviceProvider(clock, [1]);
      const bot = newBot(botOptions(clock, devices, new FakeRunnerFactory(clock, defaultScript(60_000)), { cycles: undefined }));
      const running = waitForEvent(bot.onDidChangeState, (e) => e.state === 'running', 5000);
      bot.start();
      await running;
      const stopped = waitForEvent(bot.onDidChangeState, (e) => e.state === 'stopped', 5000);
      bot.dispose();
      await stopped;
    });

    it('a disposed orchestrator refuses new groups with its own code', async () => {
      h = await makeHarness();
      h.orchestrator.dispose();
      assert.throws(
        () => h.orchestrator.createGroup(premiumDef()),
        (e: unknown) => e instanceof GroupDefinitionError && e.code === 'disposed',
      );
    });

    it('a runner that throws on pause cannot break a graceful stop (logged, no unhandled rejection)', async () => {
      h = await makeHarness({ instances: [1], script: defaultScript(1000) });
      const o = h.orchestrator;
      const g = o.createGroup(defFromYaml('name: P\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions: { stopTimeout: 2s }\n'));
      await g.start();
      await waitForEvent(o.onDidChangeBotStep, (e) => e.phase === 'start', 10_000);
      h.runners.created[0].pause = () => {
        throw new Error('pause is broken');
      };
      const final = await within(g.stop(), 'the stop');
      assert.equal(final.state, 'stopped');
      assert.ok(h.logger.records.some((r) => /pause failed: pause is broken/.test(r.message)));
    });
  });

  describe('device errors through the routine interpreter', () => {
    it('a short device blip (offline, then online again) is a device drop, not a routine failure', async () => {
      const clock = new FakeClock(true);
      const device = new ScriptedDevice({ screens: { home: {} }, start: 'home', clock });
      device.failNext('tap', new DeviceError('offline', 'connection reset', device.serial));
      const files = new MemoryFileStore({ 'routines/tapper.yaml': 'name: tapper\nsteps:\n  - tap: { x: 10, y: 20 }\n' });
      const routines = new RoutineRegistry(files, new MemoryLogger('error'));
      await routines.reload();
      const runners = new InterpreterRunnerFactory({ vision: new ScriptedVision(device, clock), routines, clock });
      let opens = 0;
      // Every open hands out the same scripted device; closing a handle does not close it.
      const handle = new Proxy(device, { get: (t, p) => (p === 'close' ? async () => undefined : Reflect.get(t, p)) }) as unknown as Device;
      const devices: BotDeviceSource = {
        open: async () => {
          opens++;
          return { device: handle, serial: device.serial };
        },
        isOnline: async () => true,
      };
      const bot = newBot(botOptions(clock, devices, runners, { routine: 'tapper' }));
      const states: string[] = [];
      bot.onDidChangeState((e) => states.push(e.state));
      bot.start();
      const final = await within(bot.done, 'the end of the bot');
      assert.deepEqual([final.state, final.cycles, final.errors], ['stopped', 1, 0]);
      assert.ok(states.includes('offline'));
      assert.equal(opens, 2);
      bot.dispose();
      routines.dispose();
    });

    it('the failed run carries the device error as its cause', async () => {
      const clock = new FakeClock(true);
      const device = new ScriptedDevice({ screens: { home: {} }, start: 'home', clock });
      device.failNext('tap', new DeviceError('offline', 'connection reset', device.serial));
      const files = new MemoryFileStore({ 'routines/tapper.yaml': 'name: tapper\nsteps:\n  - tap: { x: 10, y: 20 }\n' });
      const routines = new RoutineRegistry(files, new MemoryLogger('error'));
      await routines.reload();
      const runner = new InterpreterRunnerFactory({ vision: new ScriptedVision(device, clock), routines, clock }).create({
        device,
        serial: device.serial,
        logger: new MemoryLogger('error'),
        group: 'g',
        orchestrationId: 'o',
        instance: '1',
      });
      const err = await runner.run('tapper', {}, { signal: new AbortController().signal, variables: {} }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof Error && (err as { code?: string }).code === 'device');
      assert.ok(isOfflineError(err), 'the offline cause is kept');
      routines.dispose();
    });
  });
});
