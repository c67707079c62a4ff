/**
 * `npm run bench -- device [--frames N] [--taps N] [--jpeg N] [--sizes 540x960,1080x1920] [--backends adb,endpoint]`
 *
 * The device path's speed: ms per screenshot (median, p95), frames/s and our own CPU ms per frame, raw vs PNG,
 * through a private Debian adb server and through the embedded ADB host endpoint, at each size; plus the tap
 * round trip and JPEG encoding of frames (thumbnails, recordings). Each figure is compared with the measured
 * physical floor (adbkit -> adb server -> a free device) as `ratio` = ours / floor.
 *
 * The virtual devices run in a child process (this file run directly with `--serve`) with a frozen clock, so
 * their frames are static and cached: like the floor's fake device, the device side costs next to nothing, and
 * `cpuMsPerFrame` is our process only (all its threads: V8's garbage-collector helper threads included).
 * `gcMsPerFrame` is the mean garbage-collector pause on our main thread per operation (perf_hooks GC entries);
 * `gcPauses` and `gcLongestMs` say how many pauses that was and the longest (on a loaded machine a routine
 * scavenge can stall for tens of ms while its helper threads wait for a core).
 *
 * Raw captures are measured interleaved with a plain-TCP reference that reads the very same bytes through the
 * same adb path: a minimal socket client (no adbkit, no parsing) speaking the host protocol to the same server
 * (`host:transport:<serial>`, `exec:screencap`) and reading the reply into one reused buffer. `cpuRatio` is our
 * CPU per frame over the reference's in the same run. Targets: cpuRatio <= 2 and gcMsPerFrame < 1 at every size.
 * A kernel-loopback read of the same byte count (no adb at all) is interleaved too: its figure against the
 * floor's gives the machine's current load factor. All raw measurements run first, before anything leaves
 * garbage whose collection could land in their windows; then, for context, the same reference reading through
 * 'data' events (what any stream reader pays: a fresh chunk per read), then PNG, JPEG and taps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import * as readline from 'node:readline';
import { AdbDevice } from '../src/bot/adb/adbDevice';
import { FleetAdbClient } from '../src/bot/adb/adbClient';
import type { RawFrame } from '../src/bot/device';
import { encodeJpeg, jpegSize, type JpegOptions } from '../src/bot/vision/frameEncoder';
import { argValue, jsonLines, percentile, roundTo, stopChild } from './stats';

/** The physical floor (median / p95 ms, adbkit through the adb server, device cost excluded). */
const FLOOR = {
  raw: { '540x960': { median: 1.9, p95: 4.1 }, '1080x1920': { median: 5.9, p95: 8.8 } } as Record<string, { median: number; p95: number }>,
  /** UI PNG transfer (0.52) + sharp decode (1.11) at 540x960; no PNG floor was measured at 1080x1920. */
  png: { '540x960': { median: 1.63, p95: 4.03 } } as Record<string, { median: number; p95: number }>,
  tap: { median: 0.29, p95: 0.7 },
  /** Plain TCP (kernel loopback, no ADB framing) on the floor's machine: the load reference. */
  tcp: { '540x960': 0.59, '1080x1920': 1.94 } as Record<string, number>,
};

/** Targets for raw captures: CPU per frame within this factor of the same-run plain-TCP reference... */
const TARGET_CPU_RATIO = 2;
/** ...and main-thread garbage-collector pauses under this many ms per frame. */
const TARGET_GC_MS = 1;

interface ServeInfo {
  endpointPort: number;
  /** Plain TCP reference: send a 4-byte little-endian length, receive that many bytes. */
  referencePort: number;
  devices: Array<{ size: string; serial: string }>;
}

const emit = jsonLines('device');

function round(n: number, d = 3): number {
  return roundTo(n, d);
}

function parseOpts(args: string[]): { frames: number; taps: number; jpeg: number; sizes: string[]; backends: string[] } {
  const get = (name: string): string | undefined => argValue(args, name);
  const frames = Number(get('frames') ?? 100);
  const taps = Number(get('taps') ?? 200);
  const jpeg = Number(get('jpeg') ?? 30);
  const sizes = (get('sizes') ?? '540x960,1080x1920').split(',').filter(Boolean);
  const backends = (get('backends') ?? 'adb,endpoint').split(',').filter(Boolean);
  if (!Number.isInteger(frames) || frames < 1 || !Number.isInteger(taps) || taps < 1 || !Number.isInteger(jpeg) || jpeg < 0) {
    throw new Error('--frames and --taps expect positive integers, --jpeg a non-negative one');
  }
  for (const s of sizes) {
    if (!/^\d+x\d+$/.test(s)) {
      throw new Error(`--sizes expects WIDTHxHEIGHT values, got '${s}'`);
    }
  }
  for (const b of backends) {
    if (b !== 'adb' && b !== 'endpoint') {
      throw new Error(`--backends expects adb and/or endpoint, got '${b}'`);
    }
  }
  return { frames, taps, jpeg, sizes, backends };
}

/** Starts the device child and waits for its line of addresses. */
function startChild(sizes: string[]): Promise<{ child: ChildProcess; info: ServeInfo }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--serve', sizes.join(',')], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the virtual device process did not start within 30 s'));
    }, 30_000);
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve({ child, info: JSON.parse(line) as ServeInfo });
      } catch (e) {
        child.kill('SIGKILL');
        reject(e);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the virtual device process exited with ${code}`));
    });
  });
}

interface Sample {
  ms: number[];
  cpuMs: number[];
  /** Garbage-collector pauses on our main thread during each operation (ms). */
  gcMs: number[];
  /** The pauses that fell inside the operations' windows (ms each): few and long means a loaded machine. */
  gcPauses: number[];
}

/** Main-thread GC pauses seen so far (start, end; performance.now() time), for attributing CPU per operation. */
const gcPauses: Array<{ start: number; end: number }> = [];
let gcObserver: PerformanceObserver | undefined;

function observeGc(): void {
  gcObserver ??= new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcPauses.push({ start: e.startTime, end: e.startTime + e.duration });
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

/** GC pause time inside [from, to] (entries arrive asynchronously: call after a turn of the event loop). */
function gcBetween(from: number, to: number, seen?: number[]): number {
  let sum = 0;
  for (const g of gcPauses) {
    const inside = Math.max(0, Math.min(to, g.end) - Math.max(from, g.start));
    if (inside > 0) {
      sum += inside;
      seen?.push(inside);
    }
  }
  return sum;
}

async function measure(n: number, warmup: number, op: () => Promise<unknown>): Promise<Sample> {
  for (let i = 0; i < warmup; i++) {
    await op();
  }
  const s: Sample = { ms: [], cpuMs: [], gcMs: [], gcPauses: [] };
  for (let i = 0; i < n; i++) {
    await timeInto(s, op);
  }
  await settleGc(s);
  return s;
}

/** Operation windows per sample, turned into `gcMs` once the GC entries have arrived. */
const windows = new Map<Sample, Array<[number, number]>>();

/** Runs `op` once, adding its wall time and our process's CPU time (ms) to `s`. */
async function timeInto(s: Sample, op: () => Promise<unknown>): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await op();
  const t1 = performance.now();
  s.ms.push(t1 - t0);
  const c = process.cpuUsage(c0);
  s.cpuMs.push((c.user + c.system) / 1000);
  let list = windows.get(s);
  if (!list) {
    list = [];
    windows.set(s, list);
  }
  list.push([t0, t1]);
}

async function settleGc(...samples: Sample[]): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
  for (const s of samples) {
    s.gcPauses = [];
    s.gcMs = (windows.get(s) ?? []).map(([a, b]) => gcBetween(a, b, s.gcPauses));
    windows.delete(s);
  }
}

/** Alternates operations so all see the same machine load. */
async function measureInterleaved(n: number, warmup: number, ...ops: Array<() => Promise<unknown>>): Promise<Sample[]> {
  for (let i = 0; i < warmup; i++) {
    for (const op of ops) {
      await op();
    }
  }
  const samples = ops.map<Sample>(() => ({ ms: [], cpuMs: [], gcMs: [], gcPauses: [] }));
  for (let i = 0; i < n; i++) {
    for (const [k, op] of ops.entries()) {
      await timeInto(samples[k], op);
    }
  }
  await settleGc(...samples);
  return samples;
}

function summarize(s: Sample): { medianMs: number; p95Ms: number; minMs: number; cpuMsPerFrame: number; cpuMeanMs: number; gcMsPerFrame: number; gcPauses: number; gcLongestMs: number } {
  const ms = [...s.ms].sort((a, b) => a - b);
  const cpu = [...s.cpuMs].sort((a, b) => a - b);
  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);
  return {
    medianMs: round(percentile(ms, 0.5)),
    p95Ms: round(percentile(ms, 0.95)),
    minMs: round(ms[0]),
    cpuMsPerFrame: round(percentile(cpu, 0.5)),
    cpuMeanMs: round(mean(s.cpuMs)),
    // Mean main-thread GC pause per operation (the V8 collector's helper threads add to cpuMsPerFrame on top).
    gcMsPerFrame: round(mean(s.gcMs)),
    gcPauses: s.gcPauses.length,
    gcLongestMs: round(Math.max(0, ...s.gcPauses)),
  };
}

/**
 * The plain-TCP reference through the adb path: a minimal socket client that asks the same adb server (or host
 * endpoint) for the same device's `exec:screencap` and reads the reply into one reused buffer. `onread` reads
 * straight into that buffer (nothing allocated per read); `stream` takes 'data' chunks and copies them in (a
 * fresh chunk per read, as any stream reader). No adbkit, no header parsing, no frame object.
 */
function adbReference(port: number, serial: string, dest: Uint8Array): { fetch(mode: 'onread' | 'stream'): Promise<number> } {
  // Reused, off V8's heap from the start, compared byte by byte, requests written as strings: like ours, the
  // reference allocates no backing store per frame (one would make V8 scavenge while frame memory is young).
  const status = new Uint8Array(new ArrayBuffer(4));
  const request = (text: string) => `${text.length.toString(16).padStart(4, '0')}${text}`;
  const isOkay = () => status[0] === 0x4f && status[1] === 0x4b && status[2] === 0x41 && status[3] === 0x59;
  return {
    fetch(mode) {
      return new Promise<number>((resolve, reject) => {
        let okays = 0;
        let filled = 0;
        let statusFilled = 0;
        /** Counts `k` more status bytes; acts on each complete OKAY. */
        const statusAdvance = (k: number): void => {
          statusFilled += k;
          if (statusFilled < 4) {
            return;
          }
          statusFilled = 0;
          if (!isOkay()) {
            sock.destroy(new Error(`reference: ${String.fromCharCode(...status)}`));
            return;
          }
          if (++okays === 1) {
            sock.write(request('exec:screencap'), 'latin1');
          }
        };
        let sock: net.Socket;
        if (mode === 'onread') {
          sock = net.connect({
            port,
            host: '127.0.0.1',
            onread: {
              // Status replies into a buffer of exactly their size, then the reply straight into `dest`.
              buffer: () => (okays < 2 ? status.subarray(statusFilled) : dest.subarray(filled)),
              callback: (n: number) => {
                if (okays < 2) {
                  statusAdvance(n);
                } else {
                  filled += n;
                }
                return true;
              },
            },
          });
        } else {
          sock = net.connect(port, '127.0.0.1');
          sock.on('data', (c: Buffer) => {
            let i = 0;
            while (okays < 2 && i < c.length) {
              status[statusFilled] = c[i++];
              statusAdvance(1);
            }
            if (i < c.length) {
              dest.set(i === 0 ? c : c.subarray(i), filled);
              filled += c.length - i;
            }
          });
        }
        sock.once('connect', () => sock.write(request(`host:transport:${serial}`), 'latin1'));
        sock.once('error', reject);
        sock.once('end', () => {
          sock.destroy();
          resolve(filled);
        });
      });
    },
  };
}

/**
 * Receives `size` bytes from the kernel-loopback server per call (one connection), read straight into `dest`
 * like the adb-path reference: nothing is allocated per call.
 */
async function referenceClient(port: number, dest: Uint8Array): Promise<{ fetch(size: number): Promise<number>; close(): void }> {
  let filled = 0;
  let want = 0;
  let done: ((n: number) => void) | undefined;
  const sock = net.connect({
    port,
    host: '127.0.0.1',
    onread: {
      buffer: () => dest.subarray(filled),
      callback: (n: number) => {
        filled += n;
        if (done && filled >= want) {
          const resolve = done;
          done = undefined;
          resolve(filled);
        }
        return true;
      },
    },
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const request = Buffer.allocUnsafeSlow(4);
  return {
    fetch(size) {
      return new Promise((resolve) => {
        filled = 0;
        want = size;
        done = resolve;
        request.writeUInt32LE(size, 0);
        sock.write(request);
      });
    },
    close: () => sock.destroy(),
  };
}

/**
 * JPEG encoding of a captured frame: full size (recordings) and thumbnails. Per case: wall ms per encode (one at a
 * time), our CPU per encode (all threads: the threadpool's encoding included), the caller's synchronous part of
 * each call (from the call until it returns its promise: the only time the caller's thread is blocked by us) and
 * the event-loop delay seen while encoding.
 */
async function benchJpeg(frame: RawFrame, size: string, n: number): Promise<void> {
  const release = frame.lease?.retain();
  try {
    const cases: Array<{ name: string; opts: JpegOptions }> = [{ name: 'full size', opts: {} }];
    for (const maxWidth of [540, 270]) {
      if (maxWidth < frame.width) {
        cases.push({ name: `thumbnail ${maxWidth} wide`, opts: { maxWidth } });
      }
    }
    for (const c of cases) {
      const opts: JpegOptions = { quality: 80, ...c.opts };
      const syncMs: number[] = [];
      let bytes = 0;
      const op = async () => {
        const t0 = performance.now();
        const p = encodeJpeg(frame, opts);
        syncMs.push(performance.now() - t0);
        bytes = (await p).length;
      };
      for (let i = 0; i < 3; i++) {
        await op();
      }
      syncMs.length = 0;
      const eld = monitorEventLoopDelay({ resolution: 1 });
      eld.enable();
      const s = await measure(n, 0, op);
      eld.disable();
      const sum = summarize(s);
      const out = jpegSize(frame, opts);
      const sync = [...syncMs].sort((a, b) => a - b);
      emit({
        op: 'jpeg',
        case: c.name,
        frame: size,
        output: `${out.width}x${out.height}`,
        quality: opts.quality,
        n,
        kB: round(bytes / 1024, 1),
        medianMs: sum.medianMs,
        p95Ms: sum.p95Ms,
        cpuMsPerEncode: sum.cpuMsPerFrame,
        gcMsPerEncode: sum.gcMsPerFrame,
        callerSyncMedianMs: round(percentile(sync, 0.5)),
        callerSyncMaxMs: round(sync[sync.length - 1]),
        eventLoopDelayMaxMs: round(eld.max / 1e6),
        eventLoopDelayP99Ms: round(eld.percentile(99) / 1e6),
      });
    }
  } finally {
    release?.();
  }
}

/**
 * Raw captures of one device interleaved with the plain-TCP reference through the same adb path and with a
 * kernel-loopback read of the same byte count (the load factor). All three allocate nothing per frame, so none's
 * garbage collections land in another's windows.
 */
async function benchRaw(
  dev: AdbDevice,
  backend: string,
  port: number,
  d: { size: string; serial: string },
  n: number,
  loopback: Awaited<ReturnType<typeof referenceClient>>,
  referenceMemory: Uint8Array,
): Promise<void> {
  const [w, h] = d.size.split('x').map(Number);
  const refSize = 16 + w * h * 4;
  const adbRef = adbReference(port, d.serial, referenceMemory);
  if ((await adbRef.fetch('onread')) !== refSize) {
    throw new Error(`the plain-TCP reference did not read a whole ${d.size} frame`);
  }
  // Let whatever the previous phase left to collect be collected before measuring.
  await new Promise((r) => setTimeout(r, 500));
  const [frames, refOnread, tcp] = await measureInterleaved(n, 10, () => dev.capture('raw'), () => adbRef.fetch('onread'), () => loopback.fetch(refSize));
  const s = summarize(frames);
  const r = summarize(refOnread);
  emit({ op: 'reference', what: 'plain TCP through the same adb path, read into one reused buffer (onread)', backend, size: d.size, n, ...r });
  const lo = summarize(tcp);
  const tcpFloor = FLOOR.tcp[d.size];
  const loadFactor = tcpFloor ? lo.medianMs / tcpFloor : undefined;
  emit({ op: 'reference', what: 'kernel loopback, same byte count, no adb', backend, size: d.size, n, ...lo, floorMs: tcpFloor ?? null, loadFactor: loadFactor ? round(loadFactor, 2) : null });
  const cpuRatio = r.cpuMsPerFrame > 0 ? s.cpuMsPerFrame / r.cpuMsPerFrame : Infinity;
  const floor = FLOOR.raw[d.size];
  emit({
    op: 'screenshot',
    backend,
    size: d.size,
    method: 'raw',
    n,
    ...s,
    referenceCpuMsPerFrame: r.cpuMsPerFrame,
    cpuRatio: round(cpuRatio, 2),
    cpuMeanRatio: r.cpuMeanMs > 0 ? round(s.cpuMeanMs / r.cpuMeanMs, 2) : null,
    referenceGcMsPerFrame: r.gcMsPerFrame,
    target: `cpuRatio <= ${TARGET_CPU_RATIO}, gcMsPerFrame < ${TARGET_GC_MS}`,
    ok: cpuRatio <= TARGET_CPU_RATIO && s.gcMsPerFrame < TARGET_GC_MS,
    frameMemoryMB: round(dev.frameMemory().bytes / 2 ** 20, 1),
    fps: round(1000 / s.medianMs, 1),
    floorMs: floor?.median ?? null,
    ratio: floor ? round(s.medianMs / floor.median, 2) : null,
    p95Ratio: floor ? round(s.p95Ms / floor.p95, 2) : null,
    // The ratio with this machine's current load taken out (1.0 = as close to the floor as the floor was).
    loadAdjustedRatio: floor && loadFactor ? round(s.medianMs / floor.median / loadFactor, 2) : null,
  });
}

/** For context: the same reference reading through 'data' events, as any stream reader does (a chunk per read). */
async function benchStreamReference(backend: string, port: number, d: { size: string; serial: string }, n: number, referenceMemory: Uint8Array): Promise<void> {
  const adbRef = adbReference(port, d.serial, referenceMemory);
  const [refStream] = await measureInterleaved(n, 10, () => adbRef.fetch('stream'));
  emit({ op: 'reference', what: "plain TCP through the same adb path, 'data' chunks copied into one reused buffer", backend, size: d.size, n, ...summarize(refStream) });
}

export async function run(args: string[]): Promise<void> {
  const opts = parseOpts(args);
  observeGc();
  // Test support is reused for the private adb server (own port and HOME, killed at the end).
  const { startAdbServer } = await import('../test/support/adbServer');
  const { child, info } = await startChild(opts.sizes);
  const adb = opts.backends.includes('adb') ? await startAdbServer() : undefined;
  let ref: Awaited<ReturnType<typeof referenceClient>> | undefined;
  try {
    if (adb) {
      for (const d of info.devices) {
        await adb.connect(d.serial);
      }
    }
    // How loaded is this machine right now? Fetching a raw frame's byte count over kernel loopback, against the
    // floor's plain TCP figure, gives the current load factor.
    // The references' memory, allocated once up front: a fresh 8 MB buffer next to a device's frame buffers would
    // push young ArrayBuffer memory over V8's scavenge threshold and put collections in the measured windows.
    const referenceMemory = new Uint8Array(Math.max(...opts.sizes.map((sz) => sz.split('x').map(Number).reduce((a, b) => a * b, 4))) + 64 * 1024);
    const reference = await referenceClient(info.referencePort, referenceMemory);
    ref = reference;
    // Phase 1, raw captures against the references, for every back end and size before anything else: no PNG
    // decoding, JPEG encoding or tap has left garbage behind whose collection could land in these windows.
    for (const backend of opts.backends) {
      const port = backend === 'adb' ? adb!.port : info.endpointPort;
      const client = new FleetAdbClient({ port });
      for (const d of info.devices) {
        const dev = await AdbDevice.connect({ serial: d.serial, client, captureMethod: 'raw' });
        try {
          await benchRaw(dev, backend, port, d, opts.frames, reference, referenceMemory);
        } finally {
          await dev.close();
        }
      }
    }
    // Phase 2, context: the reference through 'data' chunks (its garbage would have disturbed phase 1).
    for (const backend of opts.backends) {
      const port = backend === 'adb' ? adb!.port : info.endpointPort;
      for (const d of info.devices) {
        await benchStreamReference(backend, port, d, opts.frames, referenceMemory);
      }
    }
    // Phase 3: the method selection at connect, PNG captures, JPEG encoding and taps.
    for (const backend of opts.backends) {
      const port = backend === 'adb' ? adb!.port : info.endpointPort;
      const client = new FleetAdbClient({ port });
      for (const d of info.devices) {
        const dev = await AdbDevice.connect({ serial: d.serial, client, captureMethod: 'auto', probeRounds: 5 });
        try {
          const sel = dev.captureSelection!;
          emit({
            event: 'selection',
            backend,
            size: d.size,
            selected: sel.method,
            probes: sel.probes.map((p) => ({ method: p.method, medianMs: round(p.medianMs), error: p.error?.message })),
          });
          const n = d.size !== '540x960' ? Math.max(10, Math.floor(opts.frames / 2)) : opts.frames;
          const s = summarize(await measure(n, 10, () => dev.capture('png')));
          const floor = FLOOR.png[d.size];
          emit({
            op: 'screenshot',
            backend,
            size: d.size,
            method: 'png',
            n,
            ...s,
            fps: round(1000 / s.medianMs, 1),
            floorMs: floor?.median ?? null,
            ratio: floor ? round(s.medianMs / floor.median, 2) : null,
            p95Ratio: floor ? round(s.p95Ms / floor.p95, 2) : null,
          });
          if (backend === opts.backends[0] && opts.jpeg > 0) {
            await benchJpeg(await dev.capture('raw'), d.size, opts.jpeg);
          }
          if (d === info.devices[0]) {
            const t = summarize(await measure(opts.taps, 20, () => dev.tap(10, 10)));
            emit({
              op: 'tap',
              backend,
              n: opts.taps,
              medianMs: t.medianMs,
              p95Ms: t.p95Ms,
              minMs: t.minMs,
              cpuMs: t.cpuMsPerFrame,
              floorMs: FLOOR.tap.median,
              ratio: round(t.medianMs / FLOOR.tap.median, 2),
              p95Ratio: round(t.p95Ms / FLOOR.tap.p95, 2),
            });
          }
        } finally {
          await dev.close();
        }
      }
    }
  } finally {
    ref?.close();
    if (adb) {
      for (const d of info.devices) {
        await adb.adb(['disconnect', d.serial], { timeoutMs: 5000 });
      }
      await adb.kill();
    }
    await stopChild(child, 5000);
    gcObserver?.disconnect();
  }
}

/** Child mode: serve one virtual device per size (frozen clock) plus a host endpoint with all of them. */
async function serve(sizesArg: string): Promise<void> {
  const { VirtualDevice } = await import('../src/virtual/virtualDevice');
  const { AdbHostEndpoint } = await import('../src/virtual/hostEndpoint');
  const sizes = sizesArg.split(',');
  const devices = [];
  for (const s of sizes) {
    const [width, height] = s.split('x').map(Number);
    devices.push(await VirtualDevice.start({ port: 0, seed: 1, size: { width, height }, now: () => 1000 }));
  }
  const endpoint = await AdbHostEndpoint.start({ port: 0 });
  const payloads = new Map<number, Buffer>();
  const reference = net.createServer((sock) => {
    let pending = Buffer.alloc(0);
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4) {
        const size = pending.readUInt32LE(0);
        pending = pending.subarray(4);
        let buf = payloads.get(size);
        if (!buf) {
          buf = Buffer.alloc(size, 0x5a);
          payloads.set(size, buf);
        }
        sock.write(buf);
      }
    });
  });
  const referencePort = await new Promise<number>((resolve) => reference.listen(0, '127.0.0.1', () => resolve((reference.address() as AddressInfo).port)));
  for (const d of devices) {
    endpoint.addDevice(d);
  }
  // Render and encode each frame once, so no capture pays for it.
  await Promise.all(devices.map((d) => Promise.all([d.frame(), d.png()])));
  const info: ServeInfo = { endpointPort: endpoint.port, referencePort, devices: devices.map((d, i) => ({ size: sizes[i], serial: d.serial })) };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.once('SIGTERM', resolve);
    process.stdin.resume();
  });
  reference.close();
  await endpoint.close();
  await Promise.all(devices.map((d) => d.close()));
  process.exit(0);
}

if (require.main === module && process.argv[2] === '--serve') {
  serve(process.argv[3] ?? '540x960').catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
