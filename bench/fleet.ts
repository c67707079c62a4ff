/**
 * `npm run bench -- fleet [--bots 1,4,8,16] [--seconds S] [--warmup S] [--devices process|worker|inline]`
 *
 * The whole fleet on virtual devices: for each bot count, a group of that many bots runs farm_premium for a fixed
 * time, and we report decisions/s (routine steps finished per second, all bots), screen captures/s, cycles, the event-loop
 * lag p99 of the orchestrator's thread (perf_hooks.monitorEventLoopDelay) and the RSS.
 * Target: 16 bots with event-loop lag p99 under 50 ms.
 *
 * The virtual devices run in a child process (bench/virtualDevicesChild.ts) behind an embedded ADB host
 * endpoint, the way emulators are other processes: the orchestrator's thread carries only the fleet (routines,
 * adbkit, events) while template matching runs on the vision workers. Each run uses a fresh temporary copy of the
 * workspace (routines, templates, pools) so the repository's account database is untouched.
 * `--devices worker` runs them as the extension and the CLI do (the fleet's own virtual devices, in a worker thread
 * of this process); `--devices inline` on the orchestrator's own thread (as the tests do), to compare.
 */
import { rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createFleet } from '../src/host/fleet';
import { NodeFileStore } from '../src/host/nodePorts';
import { SystemClock } from '../src/shared/clock';
import { nullLogger } from '../src/shared/loggers';
import { parseGroupDefinition } from '../src/orchestrator/groupDefinition';
import { argValue, jsonLines, stopChild } from './stats';
import { benchWorkspace, startDevices } from './virtualDevicesChild';

const TARGET_LAG_P99_MS = 50;
/** Sampling period of the event-loop delay histogram; its values include this period, which is subtracted. */
const LAG_RESOLUTION_MS = 5;

function lagMs(ns: number): number {
  return Math.round(Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS) * 10) / 10;
}

const emit = jsonLines('fleet');




export type DevicesWhere = 'process' | 'worker' | 'inline';

async function runSize(repo: string, bots: number, seconds: number, warmup: number, where: DevicesWhere): Promise<Record<string, unknown>> {
  const ws = benchWorkspace(repo, 'fleet-bench-');
  const started = where === 'process' ? await startDevices(bots) : undefined;
  const fleet = await createFleet({
    files: new NodeFileStore(ws),
    clock: new SystemClock(),
    logger: nullLogger,
    adbServers: started ? [`127.0.0.1:${started.port}`] : [],
    virtualWorker: where === 'worker',
    watch: false,
    config: { metricsIntervalMs: 0 },
  });
  try {
    if (!started) {
      await fleet.startVirtualDevices(bots);
    }
    const o = fleet.orchestrator;
    const instances = Array.from({ length: bots }, (_, i) => i + 1);
    const def = parseGroupDefinition(
      `name: Bench ${bots}\nroutine: farm_premium\navailableInstances: [${instances.join(', ')}]\nrequestedBotCount: ${bots}\naccountPool: bench_premium\nlaunchOptions: { stagger: 100ms, stopWhenPoolEmpty: false, restart: { maxRestarts: unlimited, initialDelay: 500ms } }\n`,
      'bench.yaml',
    ).value!;
    let steps = 0;
    let cycles = 0;
    let failedCycles = 0;
    let counting = false;
    o.onDidChangeBotStep((e) => {
      if (counting && e.phase === 'end') {
        steps++;
      }
    });
    o.onDidCompleteCycle((e) => {
      if (counting) {
        if (e.ok) {
          cycles++;
        } else {
          failedCycles++;
        }
      }
    });
    // The ADB server's device list first: a group started before it would find no instance.
    await fleet.devices.listed(30_000);
    const group = o.createGroup(def);
    await group.start();
    await sleep(warmup * 1000);
    const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    lag.enable();
    counting = true;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const before = group.getAllBots().reduce((n, b) => n + b.capture.count, 0);
    await sleep(seconds * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    counting = false;
    lag.disable();
    const cpu = process.cpuUsage(cpu0);
    const snap = group.getAllBots();
    const captures = snap.reduce((n, b) => n + b.capture.count, 0) - before;
    const p99 = lagMs(lag.percentile(99));
    const running = snap.filter((b) => b.state === 'running' || b.state === 'waiting').length;
    await group.stop({ timeoutMs: 5000 });
    return {
      bots,
      devices: where,
      running,
      seconds: Math.round(elapsed * 10) / 10,
      decisionsPerSec: Math.round((steps / elapsed) * 10) / 10,
      capturesPerSec: Math.round((captures / elapsed) * 10) / 10,
      cycles,
      failedCycles,
      captureP50Ms: median(snap.map((b) => b.capture.p50).filter((x): x is number => x !== undefined)),
      inputP50Ms: median(snap.map((b) => b.input.p50).filter((x): x is number => x !== undefined)),
      lagP50Ms: lagMs(lag.percentile(50)),
      lagP99Ms: p99,
      lagMaxMs: lagMs(lag.max),
      cpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 1000) / 10,
      rssMb: Math.round(process.memoryUsage().rss / 1e5) / 10,
    };
  } finally {
    await fleet.close();
    if (started) {
      await stopChild(started.child);
    }
    rmSync(ws, { recursive: true, force: true });
  }
}

function median(xs: number[]): number | undefined {
  if (!xs.length) {
    return undefined;
  }
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] * 10) / 10;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function run(args: string[]): Promise<void> {
  const sizes = (argValue(args, 'bots') ?? '1,4,8,16').split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 32)) {
    throw new Error('--bots expects a comma-separated list of counts between 1 and 32');
  }
  const seconds = Number(argValue(args, 'seconds') ?? 20);
  const warmup = Number(argValue(args, 'warmup') ?? 8);
  const where = (argValue(args, 'devices') ?? 'process') as DevicesWhere;
  if (!['process', 'worker', 'inline'].includes(where)) {
    throw new Error(`--devices expects process, worker or inline, got '${where}'`);
  }
  const repo = path.resolve(__dirname, '..');
  emit({ event: 'config', sizes, seconds, warmup, devices: where, loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100, cores: os.cpus().length, target: { bots: 16, lagP99Ms: TARGET_LAG_P99_MS } });
  for (const n of sizes) {
    const r = await runSize(repo, n, seconds, warmup, where);
    emit({ event: 'result', ...r, ...(n === 16 ? { target: { lagP99Ms: TARGET_LAG_P99_MS, met: (r.lagP99Ms as number) < TARGET_LAG_P99_MS } } : {}) });
  }
}

