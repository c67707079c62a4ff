import * as assert from 'node:assert/strict';
import { FleetConfigError, resolveFleetConfig, DEFAULT_FLEET_CONFIG } from '../../../src/orchestrator/config';
import { InstanceBusyError, InstanceRegistry, type InstanceAssignmentChange } from '../../../src/orchestrator/instanceRegistry';
import { RateMeter } from '../../../src/orchestrator/metrics';
import { FleetEventHub } from '../../../src/orchestrator/fleetEvents';
import { instanceKey, isGroupRunning, runSummaryOf, type FleetEvent, type GroupSnapshot } from '../../../src/shared/fleetTypes';
import { isOfflineError } from '../../../src/bot/bot';
import { measuredDevice } from '../../../src/bot/botDevice';
import { DeviceError, type Device } from '../../../src/bot/device';
import { FakeClock } from '../../support/fakeClock';

describe('(unit) orchestration parts', () => {
  it('rates from counters', () => {
    const r = new RateMeter();
    assert.equal(r.sample(0, 0), 0);
    assert.equal(r.sample(10, 2000), 5);
    assert.equal(r.sample(10, 2000), 0);
  });

  it('the instance registry claims, refuses with the owner, releases and reports', () => {
    const reg = new InstanceRegistry(() => 42);
    const changes: InstanceAssignmentChange[] = [];
    reg.onDidChangeAssignment((e) => changes.push(e));
    const a = reg.claim('1', { group: 'A', orchestrationId: 'ra' });
    assert.deepEqual(a, { instance: '1', group: 'A', orchestrationId: 'ra', since: 42 });
    assert.equal(reg.claim('1', { group: 'A', orchestrationId: 'ra' }), a, 'idempotent for the same run');
    assert.throws(
      () => reg.claim('1', { group: 'B', orchestrationId: 'rb' }),
      (e: unknown) => e instanceof InstanceBusyError && e.code === 'instance-busy' && e.owner.group === 'A' && /group 'A'/.test(e.message),
    );
    assert.equal(reg.isBusyFor('1', 'rb'), true);
    assert.equal(reg.isBusyFor('1', 'ra'), false);
    reg.claim('10', { group: 'A', orchestrationId: 'ra' });
    reg.claim('2', { group: 'B', orchestrationId: 'rb' });
    assert.deepEqual(reg.list().map((x) => x.instance), ['1', '2', '10']);
    assert.equal(reg.release('2', 'ra'), false, 'only the owner releases');
    assert.deepEqual(reg.releaseAll('ra').sort(), ['1', '10']);
    assert.deepEqual(reg.list().map((x) => x.instance), ['2']);
    assert.deepEqual(changes.map((c) => `${c.instance}:${c.assignment ? '+' : '-'}`), ['1:+', '10:+', '2:+', '1:-', '10:-']);
  });

  it('config defaults and validation', () => {
    assert.deepEqual(resolveFleetConfig(), { ...DEFAULT_FLEET_CONFIG });
    assert.equal(resolveFleetConfig({ stopTimeoutMs: 5 }).stopTimeoutMs, 5);
    assert.throws(() => resolveFleetConfig({ groupsDir: ' ' }), FleetConfigError);
    assert.throws(() => resolveFleetConfig({ metricsIntervalMs: -1 }), (e: unknown) => e instanceof FleetConfigError && e.key === 'metricsIntervalMs');
  });

  it('the event hub numbers each event, delivers it on its one feed and the typed views; listener errors are isolated', () => {
    const errors: unknown[] = [];
    const hub = new FleetEventHub((e) => errors.push(e));
    const all: FleetEvent[] = [];
    const logs: FleetEvent[] = [];
    hub.events.onDidEmitFleetEvent((e) => all.push(e));
    hub.events.onDidEmitLog(() => {
      throw new Error('listener bug');
    });
    hub.events.onDidEmitLog((e) => logs.push(e));
    hub.publish({ type: 'log', time: 1, level: 'info', message: 'hi' });
    hub.publish({ type: 'definitions.changed', time: 2, names: ['A'], definitions: [] });
    assert.deepEqual(
      all.map((e) => [e.seq, e.type]),
      [
        [1, 'log'],
        [2, 'definitions.changed'],
      ],
    );
    assert.equal(logs.length, 1);
    assert.equal(errors.length, 1);
    assert.equal(hub.snapshot().seq, 2);
    hub.dispose();
  });

  it('fleet types helpers', () => {
    assert.equal(instanceKey(3), '3');
    assert.equal(instanceKey(' emulator-5554 '), 'emulator-5554');
    assert.equal(isGroupRunning('waiting'), true);
    assert.equal(isGroupRunning('stopped'), false);
    const bot = { group: 'G', orchestrationId: 'r', routine: 'x', stateSince: 0, accounts: ['a'], cycles: 2, errors: 1, restarts: 0, capture: { count: 0 }, input: { count: 0 }, steps: 3 };
    const g = {
      name: 'G',
      orchestrationId: 'r',
      state: 'stopped',
      bots: [{ ...bot, instance: '2', state: 'stopped' }],
      retiredBots: [{ ...bot, instance: '1', state: 'stopped', stopReason: 'replaced' }],
    } as unknown as GroupSnapshot;
    assert.deepEqual(runSummaryOf(g).bots.map((b) => [b.instance, b.cycles, b.errors, b.accounts]), [
      ['1', 2, 1, ['a']],
      ['2', 2, 1, ['a']],
    ]);
  });

  it('tells device drops from other errors, through causes', () => {
    assert.equal(isOfflineError(new DeviceError('offline', 'gone')), true);
    assert.equal(isOfflineError(new Error('wrapped', { cause: new DeviceError('offline', 'gone') })), true);
    assert.equal(isOfflineError(new DeviceError('timeout', 'slow')), false);
    assert.equal(isOfflineError('offline'), false);
  });

  it('measures capture and input latency through the device proxy', async () => {
    const clock = new FakeClock(true);
    const captures: number[] = [];
    const inputs: number[] = [];
    const raw = {
      serial: 's',
      screenshot: async () => {
        await clock.sleep(30);
        return { width: 1, height: 1, data: new Uint8Array(4), capturedAt: 0, id: 1 };
      },
      tap: async () => clock.sleep(4),
      shell: async () => ({ stdout: 'x' }),
    } as unknown as Device;
    const d = measuredDevice(raw, clock, { add: (v) => captures.push(v), summary: () => ({ count: 0 }) }, { add: (v) => inputs.push(v), summary: () => ({ count: 0 }) });
    await d.screenshot();
    await d.tap(1, 2);
    assert.deepEqual((await d.shell('echo')).stdout, 'x');
    assert.equal(d.serial, 's');
    assert.deepEqual(captures, [30]);
    assert.deepEqual(inputs, [4]);
  });
});
