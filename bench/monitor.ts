/**
 * `npm run bench -- monitor [--bots 4,16] [--seconds S] [--zoom-seconds S]`
 *
 * The monitor's host side with the fleet running: N bots run farm_premium on virtual devices served by a child
 * process over the ADB protocol (as emulators are other processes), the monitor's message loop (MonitorSession)
 * is fed through the fleet port from the bots' own captures (`bot.frame` + `Orchestrator.botFrame`), every tile
 * visible, the real JPEG encoder (sharp, threadpool) and the flight recorder fed as in the extension. A simulated
 * view acknowledges each frame as it arrives. Figures:
 * - frames delivered per second (all tiles; each tile at most the default 4 fps, and never more than its bot captures),
 * - device-to-view latency p50/p95: capture finished (the frame's wall time) -> frame message received by the view
 *   (encode + post; the webview's decode and paint are not included),
 * - the event-loop lag p99 of this thread (the extension host's) with N bots and the monitor open (target < 50 ms),
 * - the recorder's bytes held against its cap,
 * and, for one zoomed bot at 540x960, the frames per second the zoom view gets (target >= 15).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { createFleet } from '../src/host/fleet';
import { NodeFileStore } from '../src/host/nodePorts';
import { SystemClock } from '../src/shared/clock';
import { nullLogger } from '../src/shared/loggers';
import { encodeJpeg } from '../src/bot/vision/frameEncoder';
import { FlightRecorder } from '../src/orchestrator/recorder';
import type { ToMonitor } from '../src/shared/monitorProtocol';
import { MonitorSession } from '../src/extension/monitor/monitorSession';
import { fleetPort } from '../src/extension/monitor/fleetPort';
import { parseGroupDefinition } from '../src/orchestrator/groupDefinition';
import { feedRecorder } from '../src/extension/monitor/recorderFeed';
import { benchWorkspace, startDevices } from './virtualDevicesChild';
import { argValue, jsonLines, percentile, roundTo, stopChild } from './stats';

const emit = jsonLines('monitor');
const TARGET_LAG_P99_MS = 50;
const TARGET_ZOOM_FPS = 15;
const LAG_RESOLUTION_MS = 5;
const RECORDER_CAP = 256 * 1024 * 1024;

function lagMs(ns: number): number {
  return roundTo(Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS), 1);
}




function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function runSize(bots: number, seconds: number, zoom: boolean): Promise<Record<string, unknown>> {
  const repo = path.resolve(__dirname, '..');
  const ws = benchWorkspace(repo, 'fleet-bench-monitor-');
  const { child, port } = await startDevices(bots);
  const fleet = await createFleet({ files: new NodeFileStore(ws), clock: new SystemClock(), logger: nullLogger, adbServers: [`127.0.0.1:${port}`], watch: false, config: { metricsIntervalMs: 0 } });
  let session: MonitorSession | undefined;
  const recorder = new FlightRecorder({ framesPerBot: 120, memoryBytes: RECORDER_CAP, minIntervalMs: 500, encodeJpeg: (f) => encodeJpeg(f, { quality: 70 }) });
  try {
    const o = fleet.orchestrator;
    const instances = Array.from({ length: bots }, (_, i) => i + 1);
    const def = parseGroupDefinition(
      `name: Bench\nroutine: farm_premium\navailableInstances: [${instances.join(', ')}]\nrequestedBotCount: ${bots}\naccountPool: bench_premium\nlaunchOptions: { stagger: 100ms, stopWhenPoolEmpty: false, restart: { maxRestarts: unlimited, initialDelay: 500ms } }\n`,
      'bench.yaml',
    ).value!;
    const port2 = fleetPort(fleet);
    const feed = feedRecorder(port2, recorder);
    const latencies: number[] = [];
    let delivered = 0;
    let captures = 0;
    let measuring = false;
    o.onDidEmitFleetEvent((e) => {
      if (measuring && e.type === 'bot.frame') {
        captures++;
      }
    });
    const s: MonitorSession = new MonitorSession({
      post: (m: ToMonitor) => {
        if (m.type === 'frame') {
          if (measuring) {
            delivered++;
            latencies.push(Date.now() - m.time);
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
    const refs = instances.map((i) => ({ group: 'Bench', instance: String(i) }));
    if (zoom) {
      s.receive({ type: 'zoom', bot: refs[0] });
    } else {
      s.receive({ type: 'setVisibleTiles', bots: refs });
    }
    // The ADB server's device list first: a group started before it would find no instance.
    await fleet.devices.listed(30_000);
    const group = o.createGroup(def);
    await group.start();
    await sleep(3000);
    const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    lag.enable();
    measuring = true;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    measuring = false;
    lag.disable();
    const elapsed = (performance.now() - t0) / 1000;
    feed.dispose();
    latencies.sort((a, b) => a - b);
    const lagP99 = lagMs(lag.percentile(99));
    const out = {
      bots,
      mode: zoom ? 'zoom' : 'tiles',
      seconds: roundTo(elapsed, 1),
      botCapturesPerSecond: roundTo(captures / elapsed, 1),
      framesDeliveredPerSecond: roundTo(delivered / elapsed, 1),
      ...(zoom ? { zoomFps: roundTo(delivered / elapsed, 1), zoomTargetFps: TARGET_ZOOM_FPS, zoomOk: delivered / elapsed >= TARGET_ZOOM_FPS } : { perTileFps: roundTo(delivered / elapsed / bots, 2) }),
      latencyP50Ms: roundTo(percentile(latencies, 0.5), 1),
      latencyP95Ms: roundTo(percentile(latencies, 0.95), 1),
      eventLoopLagP99Ms: lagP99,
      lagTargetMs: TARGET_LAG_P99_MS,
      lagOk: lagP99 < TARGET_LAG_P99_MS,
      recorderBytes: recorder.bytesHeld(),
      recorderCapBytes: RECORDER_CAP,
      recorderFrames: refs.reduce((n, r) => n + recorder.frames(r.group, r.instance).length, 0),
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
    };
    await group.stop({ timeoutMs: 5000 });
    return out;
  } finally {
    session?.dispose();
    recorder.dispose();
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

