/**
 * `npm run bench -- monitor [--bots 4,16] [--seconds S] [--zoom-seconds S]`
 *
 * The monitor's host side under load: N capture loops ("bots") on virtual devices served by a child process over
 * the ADB protocol (the device path is real: adbkit, raw screencap), each capture published as `bot.frame` through
 * a fleet port into the monitor's message loop (MonitorSession) with every tile visible, the real JPEG encoder
 * (sharp, threadpool) and the flight recorder fed as in the extension. A simulated view acknowledges each frame
 * as it arrives (echoing its capture time), so the figures are:
 * - frames delivered per second (all tiles; tiles at the default 4 fps each),
 * - device-to-view latency p50/p95: capture finished -> frame message received by the view (encode + post; the
 *   webview's decode and paint are not included),
 * - the event-loop lag p99 of this thread (the extension host's) with N bots (target < 50 ms),
 * - the recorder's bytes held against its cap,
 * and, for one zoomed bot at 540x960, the frames per second the zoom view gets (target >= 15).
 *
 * Until the orchestrator serves its bots' frames, the bots here are capture loops, not routines: the figures are
 * the monitor's own cost on top of capturing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as readline from 'node:readline';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFleet } from '../src/host/fleet';
import { NodeFileStore } from '../src/host/nodePorts';
import { SystemClock } from '../src/shared/clock';
import { nullLogger } from '../src/shared/loggers';
import { Emitter } from '../src/shared/lifecycle';
import { retainFrame, type Device, type RawFrame } from '../src/bot/device';
import { encodeJpeg } from '../src/bot/vision/frameEncoder';
import { FlightRecorder } from '../src/orchestrator/recorder';
import type { FleetEvent, FleetSnapshot } from '../src/shared/fleetTypes';
import type { ToMonitor } from '../src/shared/monitorProtocol';
import { MonitorSession } from '../src/extension/monitor/monitorSession';
import type { MonitorFleetPort, MonitorFrame } from '../src/extension/monitor/monitorPorts';
import { feedRecorder } from '../src/extension/monitor/recorderFeed';
import { AdbHostEndpoint } from '../src/virtual/hostEndpoint';
import { VirtualDevice } from '../src/virtual/virtualDevice';
import { argValue, jsonLines, percentile, roundTo, stopChild } from './stats';

const emit = jsonLines('monitor');
const TARGET_LAG_P99_MS = 50;
const TARGET_ZOOM_FPS = 15;
const LAG_RESOLUTION_MS = 5;
const RECORDER_CAP = 256 * 1024 * 1024;

function lagMs(ns: number): number {
  return roundTo(Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS), 1);
}

async function serve(n: number): Promise<void> {
  const devices = Array.from({ length: n }, (_, i) => VirtualDevice.create({ seed: i + 1 }));
  const endpoint = await AdbHostEndpoint.start();
  for (const d of devices) {
    endpoint.addDevice(d);
  }
  console.log(JSON.stringify({ port: endpoint.port, serials: devices.map((d) => d.serial) }));
  await new Promise<void>((resolve) => {
    process.stdin.on('close', resolve);
    process.stdin.on('end', resolve);
    process.stdin.resume();
  });
  await endpoint.close();
  await Promise.all(devices.map((d) => d.close()));
}

async function startDevices(n: number): Promise<{ child: ChildProcess; port: number; serials: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--serve', String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = readline.createInterface({ input: child.stdout! });
  const started = await new Promise<{ port: number; serials: string[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the device process did not start within 60 s')), 60_000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as { port: number; serials: string[] });
    });
  });
  return { child, ...started };
}

interface BotLoop {
  ref: { group: string; instance: string };
  device: Device;
  frame: number;
  latest?: { raw: RawFrame; frame: number; time: number; release: () => void };
  captureTimes: Map<number, number>;
}

/** A fleet port over capture loops: each capture is the bot's latest frame and a `bot.frame` event. */
class LoopFleet implements MonitorFleetPort {
  readonly sessionId = 'bench';
  seq = 0;
  readonly events = new Emitter<FleetEvent>();
  constructor(private readonly bots: Map<string, BotLoop>) {}
  snapshot(): FleetSnapshot {
    return { seq: this.seq, time: Date.now(), definitions: [], groups: [], devices: [], pools: [], routines: [], templates: [] };
  }
  onEvent(listener: (e: FleetEvent) => void) {
    return this.events.event(listener);
  }
  captured(b: BotLoop, raw: RawFrame): void {
    const release = retainFrame(raw);
    b.latest?.release();
    b.frame++;
    b.latest = { raw, frame: b.frame, time: Date.now(), release };
    b.captureTimes.set(b.frame, performance.now());
    if (b.captureTimes.size > 64) {
      const first = b.captureTimes.keys().next().value;
      if (first !== undefined) {
        b.captureTimes.delete(first);
      }
    }
    this.events.fire({ type: 'bot.frame', seq: ++this.seq, time: Date.now(), group: b.ref.group, orchestrationId: 'bench', instance: b.ref.instance, frame: b.frame, width: raw.width, height: raw.height, captureMs: 0 } as FleetEvent);
  }
  latestFrame(ref: { instance: string }): MonitorFrame | undefined {
    const l = this.bots.get(ref.instance)?.latest;
    if (!l) {
      return undefined;
    }
    const release = retainFrame(l.raw);
    return { frame: l.frame, raw: l.raw, width: l.raw.width, height: l.raw.height, time: l.time, release };
  }
  async requestFrame(ref: { instance: string }): Promise<MonitorFrame> {
    const b = this.bots.get(ref.instance);
    if (!b) {
      throw new Error('no bot');
    }
    const before = b.frame;
    while (b.frame === before) {
      await new Promise<void>((r) => this.events.event(() => r()));
    }
    return this.latestFrame(ref)!;
  }
  groupCommand() {
    return Promise.resolve({ ok: true as const });
  }
  botCommand() {
    return Promise.resolve({ ok: true as const });
  }
  deleteGroup() {
    return Promise.resolve({ ok: true as const });
  }
  botInput() {
    return Promise.resolve({ ok: true as const });
  }
}

async function runSize(bots: number, seconds: number, zoom: boolean): Promise<Record<string, unknown>> {
  const { child, port, serials } = await startDevices(bots);
  const ws = mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-monitor-'));
  mkdirSync(path.join(ws, 'groups'));
  const fleet = await createFleet({ files: new NodeFileStore(ws), clock: new SystemClock(), logger: nullLogger, adbServers: [`127.0.0.1:${port}`], watch: false });
  const loops = new Map<string, BotLoop>();
  let stop = false;
  let session: MonitorSession | undefined;
  let recorder: FlightRecorder | undefined;
  try {
    for (let i = 0; i < bots; i++) {
      const opened = await fleet.devices.open(serials[i]!);
      loops.set(String(i + 1), { ref: { group: 'Bench', instance: String(i + 1) }, device: opened.device, frame: 0, captureTimes: new Map() });
    }
    const port2 = new LoopFleet(loops);
    recorder = new FlightRecorder({ framesPerBot: 120, memoryBytes: RECORDER_CAP, minIntervalMs: 500, encodeJpeg: (f) => encodeJpeg(f, { quality: 70 }) });
    const feed = feedRecorder(port2, recorder);
    const latencies: number[] = [];
    let delivered = 0;
    let measuring = false;
    const s: MonitorSession = new MonitorSession({
      post: (m: ToMonitor) => {
        if (m.type === 'frame') {
          const b = loops.get(m.instance);
          const t = b?.captureTimes.get(m.frame);
          if (measuring) {
            delivered++;
            if (t !== undefined) {
              latencies.push(performance.now() - t);
            }
          }
          // The view acknowledges once it has the frame.
          setImmediate(() => s.receive({ type: 'frameAck', bot: { group: m.group, instance: m.instance }, frame: m.frame }));
        }
        return Promise.resolve(true);
      },
      logger: nullLogger,
      ui: { confirm: () => Promise.resolve(false), openFile: () => Promise.resolve(), executeCommand: () => Promise.resolve() },
      encodeJpeg: (f, opts) => encodeJpeg(f, opts),
      recorder,
    });
    session = s;
    s.setFleet(port2);
    s.receive({ type: 'ready', id: 'r', protocol: 1 });
    const refs = [...loops.values()].map((b) => b.ref);
    if (zoom) {
      s.receive({ type: 'zoom', bot: refs[0] });
    } else {
      s.receive({ type: 'setVisibleTiles', bots: refs });
    }
    let captures = 0;
    const runLoop = async (b: BotLoop): Promise<void> => {
      while (!stop) {
        try {
          const raw = await b.device.screenshot();
          if (measuring) {
            captures++;
          }
          port2.captured(b, raw);
        } catch {
          // a failed capture: try again
        }
      }
    };
    const runs = [...loops.values()].map((b) => runLoop(b));
    await new Promise((r) => setTimeout(r, 2000));
    const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    lag.enable();
    measuring = true;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    measuring = false;
    lag.disable();
    const elapsed = (performance.now() - t0) / 1000;
    stop = true;
    await Promise.all(runs);
    feed.dispose();
    latencies.sort((a, b) => a - b);
    const lagP99 = lagMs(lag.percentile(99));
    return {
      bots,
      mode: zoom ? 'zoom' : 'tiles',
      seconds: roundTo(elapsed, 1),
      capturesPerSecond: roundTo(captures / elapsed, 1),
      framesDeliveredPerSecond: roundTo(delivered / elapsed, 1),
      ...(zoom ? { zoomFps: roundTo(delivered / elapsed, 1), zoomTargetFps: TARGET_ZOOM_FPS, zoomOk: delivered / elapsed >= TARGET_ZOOM_FPS } : { perTileFps: roundTo(delivered / elapsed / bots, 2) }),
      latencyP50Ms: roundTo(percentile(latencies, 0.5), 1),
      latencyP95Ms: roundTo(percentile(latencies, 0.95), 1),
      eventLoopLagP99Ms: lagP99,
      lagTargetMs: TARGET_LAG_P99_MS,
      lagOk: lagP99 < TARGET_LAG_P99_MS,
      recorderBytes: recorder.bytesHeld(),
      recorderCapBytes: RECORDER_CAP,
      recorderFrames: [...loops.values()].reduce((n, b) => n + recorder!.frames(b.ref.group, b.ref.instance).length, 0),
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
    };
  } finally {
    stop = true;
    session?.dispose();
    for (const b of loops.values()) {
      b.latest?.release();
      await b.device.close().catch(() => undefined);
    }
    recorder?.dispose();
    await fleet.close();
    await stopChild(child);
    rmSync(ws, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  const sizes = (argValue(args, 'bots') ?? '4,16').split(',').map(Number);
  const seconds = Number(argValue(args, 'seconds') ?? 10);
  const zoomSeconds = Number(argValue(args, 'zoom-seconds') ?? 8);
  emit({ event: 'zoom', ...(await runSize(1, zoomSeconds, true)) });
  for (const n of sizes) {
    emit({ event: 'tiles', ...(await runSize(n, seconds, false)) });
  }
}

if (require.main === module) {
  const i = process.argv.indexOf('--serve');
  if (i >= 0) {
    void serve(Number(process.argv[i + 1])).then(() => process.exit(0));
  }
}
