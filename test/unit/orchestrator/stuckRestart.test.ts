/**
 * The stuck ladder's orchestrator rungs in a bot: `restartEmulator` restarts the bot's instance through its device
 * source (the routine's device calls wait for it and then reach the new device), `notify` becomes a
 * `stuck-notify` log event of the fleet.
 */
import * as assert from 'node:assert/strict';
import type { RoutineRunner, RoutineRunnerContext, RoutineRunnerFactory, RoutineRunOptions } from '../../../src/bot/bot';
import { InstanceRestartError } from '../../../src/bot/instanceRestart';
import { MemoryLogger } from '../../../src/shared/loggers';
import { Orchestrator } from '../../../src/orchestrator/orchestrator';
import type { SourceRange } from '../../../src/shared/geometry';
import { Emitter, waitForEvent, type Event } from '../../../src/shared/lifecycle';
import type { RoutineEvent } from '../../../src/shared/routineEvents';
import type { FleetEvent, LogEvent } from '../../../src/shared/fleetTypes';
import { FakeClock } from '../../support/fakeClock';
import { FakeDeviceProvider, routineCatalog } from './fleetFakes';
import { defFromYaml } from './harness';
import { MemoryFileStore } from '../../support/memoryFileStore';

const RANGE: SourceRange = { file: 'routines/probe.yaml', start: { line: 7, col: 5 }, end: { line: 7, col: 20 }, offset: [120, 135] };

/** Instances that can restart: the restart breaks the devices opened before and takes `restartMs`. */
class RestartableProvider extends FakeDeviceProvider {
  readonly restartCalls: string[] = [];
  failWith: Error | undefined;

  constructor(
    private readonly fakeClock: FakeClock,
    private readonly restartMs = 500,
  ) {
    super(fakeClock, [1]);
  }

  async restart(instance: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.restartCalls.push(instance);
    if (this.failWith) {
      throw this.failWith;
    }
    for (const d of this.opened.get(instance) ?? []) {
      d.dropped = true;
    }
    await this.fakeClock.sleep(this.restartMs, opts.signal);
  }
}

/** A routine that taps, gets stuck in its first cycle (restartEmulator, then notify) and goes on tapping. */
class StuckRunner implements RoutineRunner {
  private readonly _onDidEmit = new Emitter<RoutineEvent>();
  readonly onDidEmit: Event<RoutineEvent> = this._onDidEmit.event;

  constructor(
    private readonly ctx: RoutineRunnerContext,
    private readonly clock: FakeClock,
  ) {}

  async run(name: string, _params: Record<string, unknown>, opts: RoutineRunOptions): Promise<unknown> {
    const emit = (e: Record<string, unknown>) => this._onDidEmit.fire({ ...e, time: this.clock.now(), routine: name } as RoutineEvent);
    const signal = opts.signal;
    await this.ctx.device.screenshot({ signal });
    await this.ctx.device.tap(1, 1, { signal });
    if (opts.variables.cycle === 1) {
      emit({ type: 'stuck', reason: 'tapped point:1,1 2 times within 3 steps', rung: 'restartEmulator', range: RANGE });
      // The interpreter goes on with its next step at once: this call must wait for the restart.
      await this.ctx.device.tap(2, 2, { signal });
      emit({ type: 'stuck', reason: 'tapped point:2,2 2 times within 3 steps', rung: 'notify', range: RANGE });
    }
    await this.clock.sleep(50, signal);
    return { ok: true };
  }

  pause(): void {}

  resume(): void {}

  dispose(): void {
    this._onDidEmit.dispose();
  }
}

class StuckRunnerFactory implements RoutineRunnerFactory {
  created = 0;
  constructor(private readonly clock: FakeClock) {}
  create(ctx: RoutineRunnerContext): RoutineRunner {
    this.created++;
    return new StuckRunner(ctx, this.clock);
  }
}

async function makeFleet(devices: FakeDeviceProvider, clock: FakeClock) {
  const runners = new StuckRunnerFactory(clock);
  const orchestrator = await Orchestrator.create({
    files: new MemoryFileStore({}),
    clock,
    logger: new MemoryLogger('error'),
    devices,
    runners,
    routineRegistry: routineCatalog('probe'),
    config: { metricsIntervalMs: 0, reconnectIntervalMs: 100, reconnectTimeoutMs: 2000 },
  });
  const events: FleetEvent[] = [];
  orchestrator.onDidEmitFleetEvent((e) => events.push(e));
  const group = orchestrator.createGroup(defFromYaml('name: Probe\nroutine: probe\navailableInstances: [1]\nrequestedBotCount: 1\n'));
  return { orchestrator, group, events, runners };
}

const logs = (events: FleetEvent[]) => events.filter((e): e is LogEvent => e.type === 'log' && e.code !== undefined);

describe('(unit) bot: stuck ladder restartEmulator and notify', () => {
  let stopAll: (() => Promise<void>) | undefined;

  afterEach(async () => {
    await stopAll?.();
    stopAll = undefined;
  });

  it('restarts the instance exactly once, the routine goes on on the new device, notify arrives, the bot keeps cycling', async () => {
    const clock = new FakeClock(true);
    const devices = new RestartableProvider(clock);
    const { orchestrator, group, events, runners } = await makeFleet(devices, clock);
    stopAll = async () => {
      await orchestrator.stopAll({ force: true });
      orchestrator.dispose();
    };
    await group.start({ staggerMs: 0 });
    await waitForEvent(orchestrator.onDidCompleteCycle, (e) => e.ok && e.cycle >= 3, 10_000);
    assert.deepEqual(devices.restartCalls, ['1'], 'one restart');
    const opened = devices.opened.get('1')!;
    assert.equal(opened.length, 2, 'the device was opened again after the restart');
    assert.equal(opened[0].closed, true, 'the stale device was closed');
    assert.deepEqual(opened[0].taps, [[1, 1]]);
    assert.deepEqual(opened[1].taps.slice(0, 2), [
      [2, 2],
      [1, 1],
    ]);
    assert.equal(runners.created, 1, 'the routine went on: no new runner, no reconnect');
    const coded = logs(events).map((e) => [e.code, e.level]);
    assert.deepEqual(coded, [
      ['instance-restart', 'warn'],
      ['instance-restarted', 'info'],
      ['stuck-notify', 'warn'],
    ]);
    const notify = logs(events).find((e) => e.code === 'stuck-notify')!;
    assert.deepEqual(notify.range, RANGE);
    assert.equal(notify.instance, '1');
    assert.equal(notify.group, 'Probe');
    assert.equal(notify.data?.routine, 'probe');
    const cycles = events.filter((e) => e.type === 'bot.cycle');
    assert.ok(cycles.every((e) => e.type === 'bot.cycle' && e.ok));
    const bot = group.getAllBots()[0];
    assert.equal(bot.state, 'running');
    assert.equal(bot.errors, 0);
    assert.equal(bot.restarts, 1);
  });

  it('a restart that fails is reported as instance-restart-failed with its code; the routine goes on on the old device', async () => {
    const clock = new FakeClock(true);
    const devices = new RestartableProvider(clock);
    devices.failWith = new InstanceRestartError('unsupported', 'no stop and launch commands are configured');
    const { orchestrator, group, events } = await makeFleet(devices, clock);
    stopAll = async () => {
      await orchestrator.stopAll({ force: true });
      orchestrator.dispose();
    };
    await group.start({ staggerMs: 0 });
    await waitForEvent(orchestrator.onDidCompleteCycle, (e) => e.ok && e.cycle >= 2, 10_000);
    const failed = logs(events).filter((e) => e.code === 'instance-restart-failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0].level, 'error');
    assert.equal(failed[0].data?.cause, 'unsupported');
    assert.match(failed[0].message, /no stop and launch commands/);
    assert.equal(devices.opened.get('1')!.length, 1, 'the old device stayed open');
    assert.deepEqual(devices.opened.get('1')![0].taps.slice(0, 2), [
      [1, 1],
      [2, 2],
    ]);
    assert.ok(logs(events).some((e) => e.code === 'stuck-notify'));
  });

  it('a device source without restart: the rung is reported, never a crash', async () => {
    const clock = new FakeClock(true);
    const devices = new FakeDeviceProvider(clock, [1]);
    const { orchestrator, group, events } = await makeFleet(devices, clock);
    stopAll = async () => {
      await orchestrator.stopAll({ force: true });
      orchestrator.dispose();
    };
    await group.start({ staggerMs: 0 });
    await waitForEvent(orchestrator.onDidCompleteCycle, (e) => e.ok && e.cycle >= 2, 10_000);
    const failed = logs(events).filter((e) => e.code === 'instance-restart-failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0].data?.cause, 'unsupported');
    assert.deepEqual(failed[0].range, RANGE);
    assert.equal(group.getAllBots()[0].errors, 0);
  });

  it('a stop during the restart ends the bot cleanly', async () => {
    const clock = new FakeClock(true);
    const devices = new RestartableProvider(clock, 60_000);
    const { orchestrator, group, events } = await makeFleet(devices, clock);
    stopAll = async () => {
      orchestrator.dispose();
    };
    await group.start({ staggerMs: 0 });
    await waitForEvent(orchestrator.onDidEmitLog, (e) => e.code === 'instance-restart', 10_000);
    const final = await group.stop({ force: true });
    assert.equal(final.state, 'stopped');
    assert.deepEqual(devices.restartCalls, ['1']);
    assert.ok(!logs(events).some((e) => e.code === 'instance-restart-failed' || e.code === 'instance-restarted'));
    assert.ok(devices.opened.get('1')!.every((d) => d.closed));
  });
});
