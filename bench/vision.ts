/**
 * `npm run bench -- vision [--repeats N] [--frames N] [--no-native] [--python PATH]`
 *
 * Template matching speed on the demo game's home screen at 540x960 and 1080x1920:
 *  - ms per template (TM_CCOEFF_NORMED + best location) for the full frame and a region, gray, in the matcher
 *    itself (the frame already converted, as for every template after the first on a frame);
 *  - the same matches with native OpenCV (Debian's python3-opencv through Debian's /usr/bin/python3, running
 *    `bench/native_match.py` as a child process) on the very same arrays, in the same run: each case's runs
 *    alternate between the two engines in blocks, so both see the same machine load, and the ratio ours/native
 *    is reported with native OpenCV on 1 thread (like our matcher) and on its default thread count. When the
 *    python module is missing, the bench says so and prints the command that installs it;
 *  - one find through the worker pool (messaging included);
 *  - the whole frame pipeline: a raw RGBA frame, converted to gray once, 10 region templates, through the pool;
 *  - the caller's event-loop delay while all that runs (perf_hooks.monitorEventLoopDelay), and the synchronous time
 *    vision takes on the caller per frame, with the garbage-collector pauses that fell inside the worst window.
 * Targets: region match <= 1 ms median; full-frame gray at 540x960 within 1.3x of native; event loop never blocked
 * more than 5 ms by vision.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { RawFrame } from '../src/bot/device';
import { createFleet } from '../src/host/fleet';
import { NodeFileStore } from '../src/host/nodePorts';
import { nullLogger } from '../src/shared/loggers';
import { SystemClock } from '../src/shared/clock';
import { loadCv, type Cv } from '../src/bot/vision/cvTypes';
import { cropRgba } from '../src/bot/vision/frame';
import { Matcher } from '../src/bot/vision/matcher';
import { planMatch } from '../src/bot/vision/matchPlan';
import type { Rect, Size } from '../src/shared/geometry';
import type { TemplateSpec } from '../src/bot/vision/types';
import { renderGameScreens } from '../scripts/makeTemplates';
import { argValue, jsonLines, roundTo } from './stats';

const TARGET_REGION_MS = 1;
const TARGET_FULL_RATIO = 1.3;
const TARGET_LOOP_BLOCK_MS = 5;
/** Debian's python (the one python3-opencv installs into), not whatever `python3` is first on PATH. */
const DEBIAN_PYTHON = '/usr/bin/python3';
/** Blocks per case in which ours and native take turns. */
const ROUNDS = 4;
/** The ten gray region templates of the pipeline figure (all on or around the home screen). */
const PIPELINE_TEMPLATES = [
  'home.header',
  'home.packsButton',
  'home.wonderPickButton',
  'home.missionsButton',
  'popup.notice.close',
  'popup.error.retry',
  'dialog.quit.cancel',
  'title.tapToStart',
  'packSelect.open',
  'results.next',
];

const emit = jsonLines('vision');

function arg(args: string[], name: string, def: number): number {
  const given = argValue(args, name);
  const v = given !== undefined ? Number(given) : def;
  return Number.isFinite(v) && v > 0 ? v : def;
}

function stats(times: number[]): { medianMs: number; p90Ms: number } {
  const s = [...times].sort((a, b) => a - b);
  return { medianMs: round(s[Math.floor(s.length / 2)]), p90Ms: round(s[Math.floor(s.length * 0.9)]) };
}

function round(v: number, digits = 4): number {
  return roundTo(v, digits);
}

interface Case {
  name: string;
  size: Size;
  frame: string;
  template: string;
  region: Rect;
  repeats: number;
  mode: 'gray' | 'color';
}

function grayBytes(cv: Cv, img: { width: number; height: number; data: Uint8Array }, code: 'gray' | 'rgb'): Uint8Array {
  const rgba = new cv.Mat(img.height, img.width, cv.CV_8UC4);
  const out = new cv.Mat();
  try {
    rgba.data.set(img.data);
    cv.cvtColor(rgba, out, code === 'gray' ? cv.COLOR_RGBA2GRAY : cv.COLOR_RGBA2RGB);
    return new Uint8Array(out.data);
  } finally {
    out.delete();
    rgba.delete();
  }
}

/** OpenCV thread counts native runs use: 1 (like our single-threaded matcher) and 0 (OpenCV's default). */
const NATIVE_THREADS = [1, 0] as const;

/** The command that installs the native reference on Debian (python3-opencv brings numpy and Debian's python3). */
export const NATIVE_INSTALL_COMMAND = 'apt-get install -y python3-opencv   (as root; otherwise: sudo apt-get install -y python3-opencv)';

export type NativeStatus = { ok: true; version: string } | { ok: false; reason: string; install: string };

/** Whether `python` can import cv2 and numpy; when not, why and how to install them. */
export function checkNativeOpenCv(python: string = DEBIAN_PYTHON): NativeStatus {
  const r = spawnSync(python, ['-c', 'import cv2, numpy; print(cv2.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, reason: missing ? `${python} does not exist (Debian's python3 is needed)` : `${python} could not run: ${r.error.message}`, install: NATIVE_INSTALL_COMMAND };
  }
  if (r.status !== 0) {
    const last = (r.stderr || `exit ${r.status}`).trim().split('\n').pop() ?? '';
    return { ok: false, reason: `${python} cannot import OpenCV (${last})`, install: NATIVE_INSTALL_COMMAND };
  }
  return { ok: true, version: r.stdout.trim() };
}

interface NativeTimes {
  threads: number;
  times: number[];
  best: { x: number; y: number; score: number };
}

/** `bench/native_match.py` as a child process answering timing requests (one JSON line each way). */
class NativeMatcher {
  private readonly lines: AsyncIterator<string>;

  private constructor(
    private readonly child: ChildProcess,
    readonly version: string,
    lines: AsyncIterator<string>,
  ) {
    this.lines = lines;
  }

  static async start(python: string, script: string, job: string): Promise<NativeMatcher> {
    const child = spawn(python, [script, job], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) {
      throw new Error(`${script} exited before it was ready`);
    }
    const ready = JSON.parse(first.value) as { ready: boolean; opencv: string };
    return new NativeMatcher(child, ready.opencv, lines);
  }

  async time(name: string, threads: number, repeats: number): Promise<NativeTimes> {
    this.child.stdin!.write(`${JSON.stringify({ case: name, threads, repeats })}\n`);
    const next = await this.lines.next();
    if (next.done) {
      throw new Error('the native matcher exited');
    }
    return JSON.parse(next.value) as NativeTimes;
  }

  close(): void {
    this.child.stdin!.end();
  }
}

export async function run(args: string[]): Promise<void> {
  const repeats = arg(args, 'repeats', 40);
  const pipelineFrames = arg(args, 'frames', 40);
  const native = !args.includes('--no-native');
  const python = argValue(args, 'python') ?? DEBIAN_PYTHON;
  const { cv } = await loadCv();
  const matcher = new Matcher(cv);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ef-bench-vision-'));
  try {
    // Frames: the home screen at both sizes. Template: 60x40 around the PACKS label (120x80 at 1080x1920).
    const sizes: Size[] = [
      { width: 540, height: 960 },
      { width: 1080, height: 1920 },
    ];
    const frames = new Map<string, { width: number; height: number; data: Uint8Array }>();
    for (const size of sizes) {
      const [home] = await renderGameScreens(size, 7, ['home']);
      frames.set(`${size.width}x${size.height}`, home);
    }
    const cases: Case[] = [];
    const images: Record<string, { path: string; width: number; height: number; channels: number }> = {};
    const templates = new Map<string, { width: number; height: number; data: Uint8Array }>();
    for (const size of sizes) {
      const k = size.width / 540;
      const key = `${size.width}x${size.height}`;
      const frame = frames.get(key)!;
      const crop = { x: 300 * k, y: 410 * k, w: 60 * k, h: 40 * k };
      const tpl = cropRgba(frame, crop);
      templates.set(key, tpl);
      for (const [mode, code, ch] of [
        ['gray', 'gray', 1],
        ['color', 'rgb', 3],
      ] as const) {
        if (mode === 'color' && size.width !== 540) {
          continue;
        }
        const fp = path.join(tmp, `frame-${key}-${mode}.raw`);
        const tp = path.join(tmp, `tpl-${key}-${mode}.raw`);
        writeFileSync(fp, grayBytes(cv, frame, code));
        writeFileSync(tp, grayBytes(cv, tpl, code));
        images[`frame-${key}-${mode}`] = { path: fp, width: frame.width, height: frame.height, channels: ch };
        images[`tpl-${key}-${mode}`] = { path: tp, width: tpl.width, height: tpl.height, channels: ch };
        const region = { x: crop.x - 70 * k, y: crop.y - 80 * k, w: 200 * k, h: 200 * k };
        const full = { x: 0, y: 0, w: size.width, h: size.height };
        const base = { size, frame: `frame-${key}-${mode}`, template: `tpl-${key}-${mode}`, mode };
        cases.push({ ...base, name: `full-frame ${mode} ${key}`, region: full, repeats: Math.max(8, Math.round(repeats / (k * k))) });
        if (mode === 'gray') {
          cases.push({ ...base, name: `region ${mode} ${key}`, region, repeats: repeats * 5 });
        }
      }
    }

    // Native OpenCV in a child process, on the same arrays.
    let nativeMatcher: NativeMatcher | undefined;
    if (native) {
      const status = checkNativeOpenCv(python);
      if (!status.ok) {
        emit({ event: 'native-unavailable', python, reason: status.reason, install: status.install });
        console.error(`vision bench: no native OpenCV reference (${status.reason}). Install it with: ${status.install}`);
      } else {
        const job = path.join(tmp, 'job.json');
        writeFileSync(job, JSON.stringify({ images, cases: cases.map((c) => ({ name: c.name, frame: c.frame, template: c.template, region: [c.region.x, c.region.y, c.region.w, c.region.h] })) }));
        nativeMatcher = await NativeMatcher.start(python, path.join(__dirname, 'native_match.py'), job);
        emit({ event: 'native', python, opencv: nativeMatcher.version });
      }
    }

    // Ours: the matcher itself, frame already converted (its per-frame cache), as every template after the first;
    // taking turns with native OpenCV (1 thread, then its default) in ROUNDS blocks per case.
    const ours = new Map<string, { medianMs: number; best: { x: number; y: number; score: number } }>();
    try {
      for (const c of cases) {
        const key = `${c.size.width}x${c.size.height}`;
        const frame = frames.get(key)!;
        const tpl = templates.get(key)!;
        const spec: TemplateSpec = { name: c.name, image: 'bench', threshold: 0.8, referenceSize: c.size, mode: c.mode, mask: false, maxCount: 10, nmsIou: 0.3, preload: false };
        const plan = planMatch(spec, tpl, c.size, { region: c.region });
        const fref = { key: `${key}`, width: frame.width, height: frame.height, pixels: frame.data };
        const tref = { key: `tpl-${key}`, width: tpl.width, height: tpl.height, pixels: tpl.data };
        const times: number[] = [];
        let best = { x: 0, y: 0, score: 0 };
        const runOurs = (n: number, keep: boolean) => {
          for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            const out = matcher.match(fref, tref, plan);
            if (keep) {
              times.push(performance.now() - t0);
            }
            best = { x: out.best!.x, y: out.best!.y, score: round(out.best!.score, 6) };
          }
        };
        const nativeRuns = new Map<number, NativeTimes>();
        runOurs(3, false);
        for (const threads of NATIVE_THREADS) {
          await nativeMatcher?.time(c.name, threads, 3);
        }
        const perRound = Math.max(1, Math.ceil(c.repeats / ROUNDS));
        for (let r = 0; r < ROUNDS; r++) {
          runOurs(perRound, true);
          for (const threads of nativeMatcher ? NATIVE_THREADS : []) {
            const got = await nativeMatcher!.time(c.name, threads, perRound);
            const acc = nativeRuns.get(threads);
            nativeRuns.set(threads, acc ? { ...got, times: [...acc.times, ...got.times] } : got);
          }
        }
        const s = stats(times);
        ours.set(c.name, { medianMs: s.medianMs, best });
        emit({ case: c.name, engine: 'opencv-wasm', template: `${tpl.width}x${tpl.height}`, region: `${c.region.w}x${c.region.h}`, n: times.length, ...s, best });
        for (const n of nativeRuns.values()) {
          const ns = stats(n.times);
          const ratio = round(s.medianMs / ns.medianMs, 3);
          const line: Record<string, unknown> = {
            case: c.name,
            engine: 'native-opencv',
            opencv: nativeMatcher!.version,
            threads: n.threads,
            n: n.times.length,
            ...ns,
            best: n.best,
            oursMedianMs: s.medianMs,
            ratioOursToNative: ratio,
            sameMatch: best.x === n.best.x && best.y === n.best.y,
          };
          if (c.name === 'full-frame gray 540x960') {
            Object.assign(line, { target: `ratio <= ${TARGET_FULL_RATIO}`, ok: ratio <= TARGET_FULL_RATIO });
          }
          emit(line);
        }
      }
    } finally {
      nativeMatcher?.close();
    }
    const region540 = ours.get('region gray 540x960')!;
    emit({ figure: 'region match median (ours)', medianMs: region540.medianMs, target: `<= ${TARGET_REGION_MS} ms`, ok: region540.medianMs <= TARGET_REGION_MS });

    // Through the pool, and the whole frame pipeline, watching the caller's event loop.
    const fleet = await createFleet({ files: new NodeFileStore(path.join(__dirname, '..')), clock: new SystemClock(), logger: nullLogger, lazy: true, watch: false });
    const pool = fleet.matcherPool;
    const vision = fleet.vision;
    try {
      await pool.warmup();
      const home = frames.get('540x960')!;
      let id = 0;
      const rawFrame = (src: { width: number; height: number; data: Uint8Array }): RawFrame => ({
        width: src.width,
        height: src.height,
        data: new Uint8Array(src.data),
        capturedAt: performance.now(),
        id: ++id,
      });
      const one = rawFrame(home);
      for (let i = 0; i < 5; i++) {
        await vision.find(one, 'home.packsButton');
      }
      const findTimes: number[] = [];
      for (let i = 0; i < repeats * 5; i++) {
        const t0 = performance.now();
        await vision.find(one, 'home.packsButton');
        findTimes.push(performance.now() - t0);
      }
      emit({ figure: 'one region find through the pool (540x960, frame already in the worker)', workers: pool.size, ...stats(findTimes) });

      // The caller's event loop: a baseline with nothing running (the machine's own scheduling noise), then while
      // the pipeline runs. Frames are "captured" (copied) before the measurement: that is the device's work.
      // Garbage-collector pauses are recorded so a blocked window can be attributed (GC or vision).
      const gcPauses: Array<{ start: number; end: number }> = [];
      const gcObserver = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          gcPauses.push({ start: e.startTime, end: e.startTime + e.duration });
        }
      });
      gcObserver.observe({ entryTypes: ['gc'] });
      const idle = monitorEventLoopDelay({ resolution: 1 });
      idle.enable();
      await new Promise((r) => setTimeout(r, 1500));
      idle.disable();
      let worstEld = 0;
      let worstP99 = 0;
      let worst = { syncMs: 0, gcMs: 0, frame: '' };
      let worstNoGc = 0;
      const gcIn = (from: number, to: number): number =>
        gcPauses.reduce((sum, g) => sum + Math.max(0, Math.min(to, g.end) - Math.max(from, g.start)), 0);
      for (const size of sizes) {
        const src = frames.get(`${size.width}x${size.height}`)!;
        const perFrame: number[] = [];
        const foundCounts: number[] = [];
        const windows: Array<{ t0: number; t1: number }> = [];
        const eld = monitorEventLoopDelay({ resolution: 1 });
        eld.enable();
        const captured = Array.from({ length: pipelineFrames + 3 }, () => rawFrame(src));
        // Let the collection those allocations trigger run before measuring (it is the capture's, not vision's).
        await new Promise((r) => setTimeout(r, 100));
        for (let i = 0; i < captured.length; i++) {
          const f = captured[i];
          const t0 = performance.now();
          // The synchronous part of vision on this thread: the calls, then the continuations they queue
          // (sharing the frame, planning, posting to the workers), measured up to the next macrotask.
          const pending = PIPELINE_TEMPLATES.map((t) => vision.find(f, t));
          await new Promise<void>((resolve) => setImmediate(resolve));
          windows.push({ t0, t1: performance.now() });
          const results = await Promise.all(pending);
          if (i >= 3) {
            perFrame.push(performance.now() - t0);
            foundCounts.push(results.filter((r) => r.found).length);
          }
        }
        eld.disable();
        captured.length = 0;
        // GC entries are delivered asynchronously: let them arrive before attributing.
        await new Promise((r) => setTimeout(r, 50));
        const syncTimes = windows.map((w) => w.t1 - w.t0);
        let maxSyncMs = 0;
        let maxGcMs = 0;
        let maxNoGcMs = 0;
        let gcWindows = 0;
        let maxAt = 0;
        for (const [i, w] of windows.entries()) {
          const ms = w.t1 - w.t0;
          const gc = gcIn(w.t0, w.t1);
          if (gc > 0) {
            gcWindows++;
          }
          maxNoGcMs = Math.max(maxNoGcMs, ms - gc);
          if (ms > maxSyncMs) {
            maxAt = i;
            maxSyncMs = ms;
            maxGcMs = gc;
          }
        }
        const s = stats(perFrame);
        const eldMax = round(eld.max / 1e6, 3);
        const eldP99 = round(eld.percentile(99) / 1e6, 3);
        worstEld = Math.max(worstEld, eldMax);
        worstP99 = Math.max(worstP99, eldP99);
        if (maxSyncMs > worst.syncMs) {
          worst = { syncMs: maxSyncMs, gcMs: maxGcMs, frame: `${size.width}x${size.height}` };
        }
        worstNoGc = Math.max(worstNoGc, maxNoGcMs);
        emit({
          figure: 'frame pipeline: raw RGBA frame -> gray once -> 10 region templates',
          frame: `${size.width}x${size.height}`,
          workers: pool.size,
          templates: PIPELINE_TEMPLATES.length,
          found: foundCounts[0],
          ...s,
          msPerTemplate: round(s.medianMs / PIPELINE_TEMPLATES.length),
          callerSyncMedianMs: stats(syncTimes).medianMs,
          callerSyncMaxMs: round(maxSyncMs, 3),
          callerSyncMaxAtFrame: maxAt,
          gcInMaxWindowMs: round(maxGcMs, 3),
          callerSyncMaxExclGcMs: round(maxNoGcMs, 3),
          windowsWithGc: gcWindows,
          eventLoopDelayMaxMs: eldMax,
          eventLoopDelayP99Ms: eldP99,
        });
      }
      gcObserver.disconnect();
      emit({
        figure: "caller's event loop while vision ran",
        callerSyncMaxMs: round(worst.syncMs, 3),
        callerSyncMaxFrame: worst.frame,
        gcInMaxWindowMs: round(worst.gcMs, 3),
        callerSyncMaxExclGcMs: round(worstNoGc, 3),
        eventLoopDelayMaxMs: worstEld,
        eventLoopDelayP99Ms: worstP99,
        idleBaselineMaxMs: round(idle.max / 1e6, 3),
        idleBaselineP99Ms: round(idle.percentile(99) / 1e6, 3),
        // Vision's own synchronous work: each window minus the garbage-collector pauses inside it (a pause is V8
        // collecting whatever the process allocated, the frames' multi-megabyte buffers above all).
        target: `vision blocks the caller <= ${TARGET_LOOP_BLOCK_MS} ms (GC pauses excluded)`,
        ok: worstNoGc <= TARGET_LOOP_BLOCK_MS,
        okIncludingGc: worst.syncMs <= TARGET_LOOP_BLOCK_MS,
      });
      const heap = await pool.stats();
      emit({ figure: 'worker heaps', workers: heap.map((h) => ({ heapMB: round(h.heapBytes / 2 ** 20, 1), heapTopMB: round(h.heapTop / 2 ** 20, 1), matches: h.matches })) });
    } finally {
      await fleet.close();
    }
  } finally {
    matcher.clear();
    rmSync(tmp, { recursive: true, force: true });
  }
}
