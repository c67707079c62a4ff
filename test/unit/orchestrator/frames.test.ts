/**
 * Frames (issue 9, item 2): the bot taps the captures its routine makes. Viewers read the latest frame without any
 * capture of their own; requestFrame joins a capture in flight or makes one shared by every concurrent caller; the
 * frames follow the FrameLease contract (every retain released: when replaced, when the bot ends, by the viewer);
 * `bot.frame` is published per capture; the bot's latencies reach the debugger's deviceInfo.
 */
import * as assert from 'node:assert/strict';
import { Bot, type BotDeviceSource, type BotOptions, type RoutineRunnerContext } from '../../../src/bot/bot';
import { FrameRequestError } from '../../../src/bot/botDevice';
import type { Device, FrameLease, RawFrame } from '../../../src/bot/device';
import { Emitter, filterEvent, waitForEvent } from '../../../src/shared/lifecycle';
import { MemoryLogger } from '../../../src/shared/loggers';
import { LatencyWindow } from '../../../src/shared/stats';
import type { BotFleetEvent } from '../../../src/shared/fleetTypes';
import { FakeClock } from '../../support/fakeClock';
import { FakeRunnerFactory, type RoutineScript } from './fleetFakes';
import { MemoryFileStore } from '../../support/memoryFileStore';
import { ScriptedDevice, ScriptedVision } from '../../support/scriptedDevice';
import { RoutineRegistry } from '../../../src/bot/routine/registry';
import { InterpreterRunnerFactory } from '../../../src/bot/routine/runner';

/** A device whose captures the test releases one by one, with frames under a counting lease. */
class HeldDevice {
  captures = 0;
  retains = 0;
  releases = 0;
  private pending: Array<() => void> = [];
  private readonly _onDidStartCapture = new Emitter<number>();
  readonly onDidStartCapture = this._onDidStartCapture.event;
  /** When false, captures finish at once. */
  hold = true;

  frame(id: number): RawFrame {
    const lease: FrameLease = {
      valid: true,
      retain: () => {
        this.retains++;
        let done = false;
        return () => {
          if (!done) {
            done = true;
            this.releases++;
          }
        };
      },
      release: () => undefined,
    };
    return { width: 4, height: 2, data: new Uint8Array(32), capturedAt: 0, id, lease };
  }

  /** Lets the oldest capture under way finish. */
  finishOne(): void {
    this.pending.shift()?.();
  }

  asDevice(): Device {
    const dev: Partial<Device> = {
      serial: 'held-1',
      captureMethod: 'raw',
      screenshot: async () => {
        const id = ++this.captures;
        this._onDidStartCapture.fire(id);
        if (this.hold) {
          await new Promise<void>((r) => this.pending.push(r));
        }
        return this.frame(id);
      },
      tap: async () => undefined,
      close: async () => undefined,
    };
    return dev as Device;
  }
}

function setup(script: RoutineScript) {
  const clock = new FakeClock(true);
  const device = new HeldDevice();
  const source: BotDeviceSource = { open: async () => ({ device: device.asDevice(), serial: 'held-1' }), isOnline: async () => true };
  const fake = new FakeRunnerFactory(clock, script);
  const contexts: RoutineRunnerContext[] = [];
  const events = new Emitter<BotFleetEvent>();
  const options: BotOptions = {
    group: 'g',
    orchestrationId: 'o',
    instance: '1',
    routine: 'r',
    params: {},
    cycles: 1,
    cycleDelayMs: 0,
    restart: { enabled: false, maxRestarts: 0, initialDelayMs: 1, maxDelayMs: 1, factor: 1, resetAfterSuccess: true },
    stopWhenPoolEmpty: false,
    poolRetryMs: 100,
    stopTimeoutMs: 1000,
    reconnectTimeoutMs: 1000,
    reconnectIntervalMs: 100,
    createLatencyTracker: () => new LatencyWindow(16),
    devices: source,
    runners: {
      create: (ctx) => {
        contexts.push(ctx);
        return fake.create(ctx);
      },
    },
    clock,
    logger: new MemoryLogger('error'),
    publish: (e) => events.fire(e),
  };
  const bot = new Bot(options);
  return { clock, device, bot, contexts, onFrame: filterEvent(events.event, 'bot.frame'), onStep: filterEvent(events.event, 'bot.step') };
}

describe('(unit) frames: the bot taps its routine captures', () => {
  it('N viewers reading latestFrame cause no extra capture; bot.frame per capture; every retain released when the bot ends', async () => {
    let go!: () => void;
    const proceed = new Promise<void>((r) => (go = r));
    const { device, bot, onFrame } = setup(async (ctx) => {
      for (let i = 0; i < 3; i++) {
        await ctx.device.screenshot({ signal: ctx.signal });
      }
      await proceed;
    });
    device.hold = false;
    const frames: number[] = [];
    onFrame((e) => frames.push(e.frame));
    assert.equal(bot.latestFrame(), undefined, 'no frame before the first capture');
    const third = waitForEvent(onFrame, (e) => e.frame === 3, 5000);
    bot.start();
    const e = await third;
    assert.deepEqual([e.width, e.height, typeof e.captureMs, typeof e.time], [4, 2, 'number', 'number']);
    assert.deepEqual(frames, [1, 2, 3]);
    // 50 viewers (tiles) read the latest frame: no capture of their own.
    for (let i = 0; i < 50; i++) {
      const f = bot.latestFrame();
      assert.equal(f?.frame, 3);
      assert.equal(f?.raw.id, 3);
      f?.release();
      f?.release(); // idempotent
    }
    assert.equal(device.captures, 3, 'the viewers made no capture');
    // The tap holds exactly the latest frame (each earlier one was released when replaced).
    assert.equal(device.retains - device.releases, 1);
    const kept = bot.latestFrame();
    go();
    await bot.done;
    assert.equal(device.retains - device.releases, 1, 'the viewer still holds its frame after the bot ended');
    kept?.release();
    assert.equal(device.retains, device.releases, 'every retain is released');
    assert.equal(bot.latestFrame(), undefined);
    await assert.rejects(bot.requestFrame(), (x: unknown) => x instanceof FrameRequestError && x.code === 'ended');
  });

  it('requestFrame during a routine capture shares it; concurrent requests with none under way share one capture; a young frame is answered at once', async () => {
    let go!: () => void;
    const proceed = new Promise<void>((r) => (go = r));
    const { device, bot, clock } = setup(async (ctx) => {
      await ctx.device.screenshot({ signal: ctx.signal });
      await proceed;
    });
    const started = waitForEvent(device.onDidStartCapture, () => true, 5000);
    bot.start();
    await started;
    // The routine's capture is under way: two viewers join it.
    const a = bot.requestFrame({ maxAgeMs: 0 });
    const b = bot.requestFrame({ maxAgeMs: 0 });
    device.finishOne();
    const [fa, fb] = await Promise.all([a, b]);
    assert.deepEqual([fa.frame, fb.frame, device.captures], [1, 1, 1], 'both got the routine capture: no capture of their own');
    fa.release();
    fb.release();

    // A frame younger than maxAgeMs: no capture.
    const young = await bot.requestFrame({ maxAgeMs: 60_000 });
    assert.deepEqual([young.frame, device.captures], [1, 1]);
    young.release();

    // Older than the caller accepts and nothing under way: one capture shared by three callers.
    await clock.advance(100);
    const more = waitForEvent(device.onDidStartCapture, () => true, 5000);
    const three = [bot.requestFrame({ maxAgeMs: 10 }), bot.requestFrame({ maxAgeMs: 10 }), bot.requestFrame({ maxAgeMs: 10 })];
    await more;
    device.finishOne();
    const got = await Promise.all(three);
    assert.deepEqual(
      got.map((f) => f.frame),
      [2, 2, 2],
    );
    assert.equal(device.captures, 2, 'one capture for the three callers');
    got.forEach((f) => f.release());

    // An aborted request gives up; the capture goes on for the others.
    const ac = new AbortController();
    await clock.advance(100);
    const started3 = waitForEvent(device.onDidStartCapture, () => true, 5000);
    const waiting = bot.requestFrame({ maxAgeMs: 0 });
    const aborted = bot.requestFrame({ maxAgeMs: 0, signal: ac.signal });
    await started3;
    ac.abort();
    await assert.rejects(aborted, (x: unknown) => x instanceof FrameRequestError && x.code === 'aborted');
    device.finishOne();
    (await waiting).release();
    go();
    await bot.done;
    assert.equal(device.retains, device.releases, 'every retain is released');
  });

  it("the runner context's deviceInfo gives the debugger the bot's serial and capture/input latency", async () => {
    let go!: () => void;
    const proceed = new Promise<void>((r) => (go = r));
    const { device, bot, contexts, onFrame } = setup(async (ctx) => {
      await ctx.device.screenshot({ signal: ctx.signal });
      await ctx.device.tap(1, 2, { signal: ctx.signal });
      await proceed;
    });
    device.hold = false;
    const captured = waitForEvent(onFrame, () => true, 5000);
    bot.start();
    await captured;
    const info = contexts[0].deviceInfo?.();
    assert.equal(info?.serial, 'held-1');
    assert.equal(info?.capture?.count, 1);
    assert.deepEqual(info, bot.deviceInfo());
    go();
    await bot.done;
    assert.equal(bot.deviceInfo().input?.count, 1);
  });
});

describe("(unit) the debugger's device scope reads the bot's deviceInfo", () => {
  it('a debugger attached through the runner shows the serial and capture/input latency the context gives', async () => {
    const clock = new FakeClock(true);
    const device = new ScriptedDevice({ screens: { home: {} }, start: 'home', clock });
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
      deviceInfo: () => ({ serial: 'bot-serial', capture: { count: 7, p50: 3, p95: 9, last: 4 }, input: { count: 2, p50: 1, p95: 1, last: 1 } }),
    });
    const dbg = runner.debug!.attach({ stopOnEntry: true });
    const stopped = waitForEvent(dbg.onDidStop, () => true, 5000);
    const run = runner.run('tapper', {}, { signal: new AbortController().signal, variables: {} });
    await stopped;
    const scope = dbg.scopes(dbg.frames()[0].id).find((s) => s.kind === 'device');
    const vars = new Map(scope?.variables.map((v) => [v.name, v.value]));
    assert.equal(vars.get('serial'), 'bot-serial');
    assert.deepEqual(vars.get('captureLatency'), { count: 7, p50: 3, p95: 9, last: 4 });
    assert.deepEqual(vars.get('inputLatency'), { count: 2, p50: 1, p95: 1, last: 1 });
    dbg.continue();
    await run;
    runner.dispose?.();
  });
});
