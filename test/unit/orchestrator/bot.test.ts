/** The Bot on its own (without a group): life-cycle edges of its public API. */
import * as assert from 'node:assert/strict';
import { Bot, type BotOptions } from '../../../src/bot/bot';
import { MemoryLogger } from '../../../src/shared/loggers';
import { LatencyWindow } from '../../../src/shared/stats';
import { FakeClock } from '../../support/fakeClock';
import { FakeDeviceProvider, FakeRunnerFactory } from './fleetFakes';

function botOptions(clock: FakeClock, devices: FakeDeviceProvider, runners: FakeRunnerFactory): BotOptions {
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
    reconnectTimeoutMs: 1000,
    reconnectIntervalMs: 100,
    createLatencyTracker: () => new LatencyWindow(16),
    devices,
    runners,
    clock,
    logger: new MemoryLogger('error'),
  };
}

describe('(unit) bot', () => {
  it('a bot stopped before it started stays stopped: start() afterwards opens no device and runs no cycle', async () => {
    const clock = new FakeClock(true);
    const devices = new FakeDeviceProvider(clock, [1]);
    const runners = new FakeRunnerFactory(clock);
    const bot = new Bot(botOptions(clock, devices, runners));
    const stopped = await bot.stop();
    assert.equal(stopped.state, 'stopped');
    bot.start();
    const done = await bot.done;
    assert.equal(done.state, 'stopped');
    assert.equal(done.cycles, 0);
    assert.equal(devices.openCount, 0);
    assert.equal(runners.runs.length, 0);
    bot.dispose();
  });
});
