/**
 * `AdbDevice`: the Device port over @devicefarmer/adbkit, through an adb server.
 *
 * - Screenshots: raw `screencap` through `exec:`, read straight from the socket into the device's recycled frame
 *   memory (no allocation nor copy per frame, see `framePool.ts` and FrameLease), or `screencap -p` decoded with
 *   sharp (such frames own their memory); at connect both are measured and the faster is kept, unless forced.
 * - Input and app control: device shell commands with every data argument single-quoted (see `shellQuote.ts`);
 *   text goes through `input text` or a base64 broadcast so any Unicode arrives byte-exact.
 * - Every call has a deadline and takes an AbortSignal; a cut-off call destroys its adb socket.
 * - Capture and input latencies are kept in rings for `stats()`.
 */
import { PassThrough, type Duplex } from 'node:stream';
import type { Sharp } from 'sharp';
import type Sync from '@devicefarmer/adbkit/dist/src/adb/sync';
import type { Size } from '../../shared/geometry';
import { DeviceError, type CallOptions, type CaptureMethod, type Device, type KeyCode, type RawFrame, type ShellResult } from '../device';
import { DEFAULT_KEEP_FRAMES, FramePool, type FramePoolStats } from './framePool';
import { SystemClock } from '../../shared/clock';
import { nullLogger } from '../../shared/loggers';
import type { Clock, Logger } from '../../shared/ports';
import { FleetAdbClient, type AdbServerAddress } from './adbClient';
import { guardCall, type GuardContext } from './callGuard';
import { pickCaptureMethod, probeCaptureMethods, type CaptureMethodSetting, type CaptureSelection } from './captureSelection';
import { isPackageName, outputLooksFailed, parseComponent, parseFocusedWindow, parseWmSize } from './deviceParsers';
import { resolveKeyCode } from './keycodes';
import { LatencyWindow } from '../../shared/stats';
import type { LatencySummary } from '../../shared/fleetTypes';
import { RawScreencapReceiver } from './rawScreencap';
import { shellQuote, planTextInput, type TextPlanOptions } from './shellQuote';
import { decodeShellV2 } from './shellV2';

/** Default deadline (ms) per kind of call; every call can override it with `timeoutMs`. */
export interface AdbDeviceTimeouts {
  /** One screenshot. */
  capture: number;
  /** tap / swipe / key / one text command (long presses and swipes add their duration). */
  input: number;
  /** `shell()`, `displaySize()`, `foregroundPackage()`. */
  shell: number;
  /** startApp / stopApp / restartApp. */
  app: number;
  /** push / pull. */
  transfer: number;
  /** Connecting: state, features and the capture measurement. */
  connect: number;
}

export const DEFAULT_TIMEOUTS: Readonly<AdbDeviceTimeouts> = Object.freeze({
  capture: 10_000,
  input: 5_000,
  shell: 15_000,
  app: 20_000,
  transfer: 60_000,
  connect: 30_000,
});

/** Longest command line we send: the host protocol's 4-hex-digit length caps a service at 65535 bytes. */
export const MAX_COMMAND_BYTES = 32 * 1024;
/** Longest path the sync protocol takes. */
export const MAX_REMOTE_PATH = 1024;

export interface AdbDeviceOptions {
  serial: string;
  /** A client for the device's adb server (share one per server); when absent one is made from `server`. */
  client?: FleetAdbClient;
  server?: Partial<AdbServerAddress>;
  /** 'auto' (default) measures both methods at connect; 'raw' / 'png' force one. */
  captureMethod?: CaptureMethodSetting;
  /** Measured captures per method at connect in 'auto' (default 3, after one warm-up each). */
  probeRounds?: number;
  clock?: Clock;
  logger?: Logger;
  timeouts?: Partial<AdbDeviceTimeouts>;
  /** Latency samples kept per kind (default 256). */
  statsCapacity?: number;
  /**
   * Raw frames kept valid without a retain (default 2): a frame's memory is reused once this many newer frames
   * were captured, unless it is retained (see FrameLease). The device holds `keepFrames + 1` frame buffers
   * (3 x 8.3 MB at 1080x1920 by default), plus one per retained frame.
   */
  keepFrames?: number;
  /** Chunk sizes for text input. */
  text?: TextPlanOptions;
  /** Deadline and cancellation for `connect` itself. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A shell result with stderr when the transport keeps it apart (shell v2). */
export interface AdbShellResult extends ShellResult {
  stderr?: string;
}

interface RunOptions extends CallOptions {
  what: string;
  defaultTimeout: number;
  /** Throw DeviceError('command-failed') on a non-zero exit or an error line in the output. */
  check?: boolean;
}

/** The Device port over adbkit. Create with {@link AdbDevice.connect}. */
export class AdbDevice implements Device {
  readonly serial: string;
  private readonly client: FleetAdbClient;
  private readonly ownsClient: boolean;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly timeouts: AdbDeviceTimeouts;
  private readonly textOptions: TextPlanOptions;
  private readonly captureLatency: LatencyWindow;
  private readonly inputLatency: LatencyWindow;
  private readonly closeController = new AbortController();
  private readonly framePool: FramePool;
  private method: CaptureMethod = 'raw';
  private selection: CaptureSelection | undefined;
  private v2 = false;
  private frameCounter = 0;
  private closed = false;

  private constructor(opts: AdbDeviceOptions) {
    this.serial = opts.serial;
    this.ownsClient = !opts.client;
    this.client = opts.client ?? new FleetAdbClient(opts.server);
    this.clock = opts.clock ?? new SystemClock();
    this.logger = (opts.logger ?? nullLogger).child(`device:${opts.serial}`);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.textOptions = opts.text ?? {};
    this.captureLatency = new LatencyWindow(opts.statsCapacity ?? 256);
    this.inputLatency = new LatencyWindow(opts.statsCapacity ?? 256);
    this.framePool = new FramePool(opts.keepFrames ?? DEFAULT_KEEP_FRAMES);
  }

  /**
   * Opens a device: checks it is online, reads its transport features (shell v2) and picks the capture method.
   * @throws DeviceError('offline') when the server or the device is not there, 'timeout' / 'aborted' / 'protocol'.
   */
  static async connect(opts: AdbDeviceOptions): Promise<AdbDevice> {
    const dev = new AdbDevice(opts);
    try {
      await dev.init(opts);
    } catch (e) {
      await dev.close();
      throw e;
    }
    return dev;
  }

  private async init(opts: AdbDeviceOptions): Promise<void> {
    const deadline = this.clock.now() + (opts.timeoutMs ?? this.timeouts.connect);
    const left = () => Math.max(1, deadline - this.clock.now());
    const call = { signal: opts.signal };
    const state = await this.client.getState(this.serial, { ...call, timeoutMs: left() }).catch((e: unknown) => {
      throw asDeviceError(e, this.serial);
    });
    if (state !== 'device') {
      throw new DeviceError('offline', `device ${this.serial} is ${state || 'not ready'}`, this.serial);
    }
    try {
      const features = await this.client.transportFeatures(this.serial, { ...call, timeoutMs: left() });
      this.v2 = features.has('shell_v2');
    } catch (e) {
      if (isCutOff(e)) {
        throw e;
      }
      this.v2 = false; // very old servers have no features query: plain shell works everywhere
    }
    const setting = opts.captureMethod ?? 'auto';
    if (setting !== 'auto') {
      this.method = setting;
      this.selection = { method: setting, reason: 'forced', probes: [] };
      return;
    }
    const rounds = Math.max(1, opts.probeRounds ?? 3);
    const probes = await probeCaptureMethods(['raw', 'png'], rounds, () => this.clock.now(), (m) =>
      this.capture(m, { timeoutMs: Math.min(this.timeouts.capture, left()), signal: opts.signal }, false),
    );
    // A method that timed out on its own is just a failed method; running out of the connect deadline or being
    // aborted fails the connect.
    const cutOff = opts.signal?.aborted || this.clock.now() >= deadline;
    for (const p of probes) {
      if (p.error && isCutOff(p.error) && cutOff) {
        throw p.error;
      }
    }
    this.selection = pickCaptureMethod(probes);
    this.method = this.selection.method;
    this.logger.log('debug', 'capture method selected', {
      method: this.method,
      reason: this.selection.reason,
      probes: probes.map((p) => ({ method: p.method, medianMs: p.medianMs, error: p.error?.message })),
    });
  }

  get captureMethod(): CaptureMethod {
    return this.method;
  }

  /** How the capture method was chosen, with the measurements. */
  get captureSelection(): CaptureSelection | undefined {
    return this.selection;
  }

  /** True when the device speaks shell v2 (exit codes, separate stderr). */
  get hasShellV2(): boolean {
    return this.v2;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The raw frame memory this device holds (buffers, bytes, how many are retained). */
  frameMemory(): FramePoolStats {
    return this.framePool.stats();
  }

  /** p50/p95 of recent capture and input latencies (ms). */
  stats(): { capture: LatencySummary; input: LatencySummary } {
    return { capture: this.captureLatency.summary(), input: this.inputLatency.summary() };
  }

  // ----- capture -----------------------------------------------------------------------------------------------

  screenshot(opts: CallOptions = {}): Promise<RawFrame> {
    return this.capture(this.method, opts, true);
  }

  /** One capture with a given method (benchmarks compare them; `screenshot` uses the selected one). */
  async capture(method: CaptureMethod, opts: CallOptions = {}, record = true): Promise<RawFrame> {
    const t0 = this.clock.now();
    const timeoutMs = opts.timeoutMs ?? this.timeouts.capture;
    if (method === 'raw') {
      const receiver = new RawScreencapReceiver(this.framePool, this.serial);
      try {
        await this.guard('screenshot (raw)', timeoutMs, opts.signal, (ctx) => this.client.readServiceInto(this.serial, 'exec:screencap', receiver, ctx));
      } catch (e) {
        receiver.abandon();
        throw e;
      }
      const got = receiver.finish();
      const capturedAt = this.clock.now();
      if (record) {
        this.captureLatency.add(capturedAt - t0);
      }
      const id = ++this.frameCounter;
      return { width: got.width, height: got.height, data: got.rgba, capturedAt, id, lease: this.framePool.publish(got.memory, id) };
    }
    const png = await this.readService('exec:screencap -p', 'screenshot (png)', timeoutMs, opts.signal);
    const frame = await decodePng(png, this.serial);
    const capturedAt = this.clock.now();
    if (record) {
      this.captureLatency.add(capturedAt - t0);
    }
    return { ...frame, capturedAt, id: ++this.frameCounter };
  }

  // ----- input -------------------------------------------------------------------------------------------------

  async tap(x: number, y: number, opts: CallOptions = {}): Promise<void> {
    return this.input(`input tap ${coord(x, 'x')} ${coord(y, 'y')}`, 'tap', opts);
  }

  async longPress(x: number, y: number, durationMs: number, opts: CallOptions = {}): Promise<void> {
    const d = duration(durationMs);
    const cx = coord(x, 'x');
    const cy = coord(y, 'y');
    return this.input(`input swipe ${cx} ${cy} ${cx} ${cy} ${d}`, 'longPress', opts, d);
  }

  async swipe(x1: number, y1: number, x2: number, y2: number, durationMs: number, opts: CallOptions = {}): Promise<void> {
    const d = duration(durationMs);
    return this.input(`input swipe ${coord(x1, 'x1')} ${coord(y1, 'y1')} ${coord(x2, 'x2')} ${coord(y2, 'y2')} ${d}`, 'swipe', opts, d);
  }

  async text(text: string, opts: CallOptions = {}): Promise<void> {
    if (typeof text !== 'string') {
      throw new DeviceError('command-failed', 'text expects a string', this.serial);
    }
    const commands = planTextInput(text, this.textOptions);
    // One deadline for the whole text, however many commands it takes.
    const deadline = this.clock.now() + (opts.timeoutMs ?? this.timeouts.input * Math.max(1, commands.length));
    for (const c of commands) {
      await this.input(c.command, c.kind === 'broadcast' ? 'text (broadcast)' : 'text', {
        signal: opts.signal,
        timeoutMs: Math.max(1, deadline - this.clock.now()),
      });
    }
  }

  async key(key: KeyCode, opts: CallOptions = {}): Promise<void> {
    let code: number;
    try {
      code = resolveKeyCode(key);
    } catch (e) {
      throw new DeviceError('command-failed', (e as Error).message, this.serial, { cause: e });
    }
    return this.input(`input keyevent ${code}`, 'key', opts);
  }

  private async input(command: string, what: string, opts: CallOptions, extraMs = 0): Promise<void> {
    const t0 = this.clock.now();
    await this.run(command, { ...opts, what, defaultTimeout: this.timeouts.input + extraMs, check: true });
    this.inputLatency.add(this.clock.now() - t0);
  }

  // ----- apps --------------------------------------------------------------------------------------------------

  async startApp(component: string, opts: CallOptions = {}): Promise<void> {
    if (!parseComponent(component)) {
      throw new DeviceError('command-failed', `'${component}' is not a component (expected package/.Activity)`, this.serial);
    }
    await this.run(`am start -n ${shellQuote(component)}`, { ...opts, what: 'startApp', defaultTimeout: this.timeouts.app, check: true });
  }

  async stopApp(pkg: string, opts: CallOptions = {}): Promise<void> {
    if (!isPackageName(pkg)) {
      throw new DeviceError('command-failed', `'${pkg}' is not a package name`, this.serial);
    }
    await this.run(`am force-stop ${shellQuote(pkg)}`, { ...opts, what: 'stopApp', defaultTimeout: this.timeouts.app, check: true });
  }

  async restartApp(component: string, opts: CallOptions = {}): Promise<void> {
    const parsed = parseComponent(component);
    if (!parsed) {
      throw new DeviceError('command-failed', `'${component}' is not a component (expected package/.Activity)`, this.serial);
    }
    const deadline = this.clock.now() + (opts.timeoutMs ?? this.timeouts.app);
    await this.stopApp(parsed.pkg, { signal: opts.signal, timeoutMs: Math.max(1, deadline - this.clock.now()) });
    await this.startApp(component, { signal: opts.signal, timeoutMs: Math.max(1, deadline - this.clock.now()) });
  }

  async foregroundPackage(opts: CallOptions = {}): Promise<string | undefined> {
    const r = await this.run('dumpsys window', { ...opts, what: 'foregroundPackage', defaultTimeout: this.timeouts.shell });
    return parseFocusedWindow(r.stdout)?.pkg;
  }

  async isAppInForeground(pkg: string, opts: CallOptions = {}): Promise<boolean> {
    return (await this.foregroundPackage(opts)) === pkg;
  }

  // ----- files -------------------------------------------------------------------------------------------------

  async push(data: Uint8Array, remotePath: string, opts: CallOptions & { mode?: number } = {}): Promise<void> {
    checkRemotePath(remotePath, this.serial);
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return this.withSync(`push ${remotePath}`, opts, async (sync, ctx) => {
      const source = new PassThrough();
      source.end(bytes);
      const transfer = sync.push(source, remotePath, opts.mode ?? 0o644);
      ctx.onCancel(() => transfer.cancel());
      await new Promise<void>((resolve, reject) => {
        transfer.once('end', resolve);
        transfer.once('error', reject);
      });
      const st = await sync.stat(remotePath);
      const size = statSize(st);
      if (size !== bytes.length % 2 ** 32) {
        throw new DeviceError('command-failed', `push ${remotePath}: the device has ${size} bytes, ${bytes.length} were sent`, this.serial);
      }
    });
  }

  async pull(remotePath: string, opts: CallOptions = {}): Promise<Uint8Array> {
    checkRemotePath(remotePath, this.serial);
    return this.withSync(`pull ${remotePath}`, opts, async (sync, ctx) => {
      let size: number;
      try {
        const st = await sync.stat(remotePath);
        if (!st.isFile()) {
          throw new DeviceError('command-failed', `pull ${remotePath}: not a regular file`, this.serial);
        }
        size = statSize(st);
      } catch (e) {
        if (e instanceof DeviceError) {
          throw e;
        }
        throw new DeviceError('command-failed', `pull ${remotePath}: ${(e as Error).message}`, this.serial, { cause: e });
      }
      const transfer = sync.pull(remotePath);
      ctx.onCancel(() => transfer.cancel());
      const data = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let total = 0;
        transfer.on('data', (c: Buffer) => {
          chunks.push(c);
          total += c.length;
        });
        transfer.once('error', reject);
        // adbkit may end the stream just before it reports a FAIL: give the error a turn to arrive.
        transfer.once('end', () => setImmediate(() => resolve(Buffer.concat(chunks, total))));
      });
      if (data.length % 2 ** 32 !== size) {
        throw new DeviceError('command-failed', `pull ${remotePath}: received ${data.length} bytes, the file has ${size}`, this.serial);
      }
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    });
  }

  private withSync<T>(what: string, opts: CallOptions, body: (sync: Sync, ctx: GuardContext) => Promise<T>): Promise<T> {
    return this.guard(what, opts.timeoutMs ?? this.timeouts.transfer, opts.signal, async (ctx) => {
      const sync: Sync = await this.client.tracked(ctx, () => this.client.getDevice(this.serial).syncService());
      try {
        return await body(sync, ctx);
      } finally {
        sync.end();
      }
    });
  }

  // ----- queries and shell -------------------------------------------------------------------------------------

  async displaySize(opts: CallOptions = {}): Promise<Size> {
    const r = await this.run('wm size', { ...opts, what: 'displaySize', defaultTimeout: this.timeouts.shell, check: true });
    const size = parseWmSize(r.stdout);
    if (!size) {
      throw new DeviceError('protocol', `displaySize: unexpected 'wm size' output '${r.stdout.trim().slice(0, 200)}'`, this.serial);
    }
    return size;
  }

  /**
   * Runs a raw shell command. Its exit code is reported when the device has shell v2; it never throws for one, but a
   * v2 reply cut before its exit packet is DeviceError('offline').
   */
  shell(command: string, opts: CallOptions = {}): Promise<AdbShellResult> {
    return this.run(command, { ...opts, what: `shell '${command.length > 60 ? `${command.slice(0, 57)}...` : command}'`, defaultTimeout: this.timeouts.shell });
  }

  private async run(command: string, opts: RunOptions): Promise<AdbShellResult> {
    if (Buffer.byteLength(command, 'utf8') > MAX_COMMAND_BYTES) {
      throw new DeviceError('command-failed', `${opts.what}: command line longer than ${MAX_COMMAND_BYTES} bytes`, this.serial);
    }
    if (command.includes('\0')) {
      throw new DeviceError('command-failed', `${opts.what}: command contains a NUL character`, this.serial);
    }
    const timeoutMs = opts.timeoutMs ?? opts.defaultTimeout;
    let result: AdbShellResult;
    if (this.v2) {
      const buf = await this.readService(`shell,v2,raw:${command}`, opts.what, timeoutMs, opts.signal);
      const out = decodeShellV2(buf, this.serial);
      if (out.exitCode === undefined) {
        // shell v2 always ends with an exit packet: without one the connection was cut and the command's fate is unknown.
        throw new DeviceError('offline', `${opts.what}: the connection closed before the command exited`, this.serial);
      }
      result = { stdout: out.stdout.toString('utf8'), stderr: out.stderr.toString('utf8'), exitCode: out.exitCode };
    } else {
      const buf = await this.readService(`shell:${command}`, opts.what, timeoutMs, opts.signal);
      result = { stdout: buf.toString('utf8') };
    }
    if (opts.check) {
      if (result.exitCode !== undefined && result.exitCode !== 0) {
        const detail = failureDetail(`${result.stderr ?? ''}\n${result.stdout}`);
        throw new DeviceError('command-failed', `${opts.what}: exit code ${result.exitCode}${detail ? `: ${detail}` : ''}`, this.serial);
      }
      const bad = outputLooksFailed(`${result.stdout}\n${result.stderr ?? ''}`);
      if (bad) {
        throw new DeviceError('command-failed', `${opts.what}: ${bad}`, this.serial);
      }
    }
    return result;
  }

  /** Opens a service on the device and reads its whole reply into one buffer (one concat, never adbkit's readAll). */
  private readService(service: string, what: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Buffer> {
    return this.guard(what, timeoutMs, signal, async (ctx) => {
      const stream: Duplex = await this.client.tracked(ctx, () => this.client.getDevice(this.serial).openLocal(service));
      ctx.onCancel(() => stream.destroy());
      try {
        return await readToEnd(stream);
      } finally {
        stream.destroy();
      }
    });
  }

  private guard<T>(what: string, timeoutMs: number, signal: AbortSignal | undefined, body: (ctx: GuardContext) => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(new DeviceError('offline', `${what}: device ${this.serial} is closed`, this.serial));
    }
    const signals = signal ? [signal, this.closeController.signal] : [this.closeController.signal];
    return guardCall({ what, serial: this.serial, timeoutMs, signal: signals }, body);
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.framePool.dispose();
    this.closeController.abort(new DeviceError('offline', `device ${this.serial} was closed`, this.serial));
    if (this.ownsClient) {
      this.client.removeAllListeners();
      this.client.on('error', () => undefined);
    }
  }
}

/** Where {@link readToEnd} puts a reply's chunks. */
export interface ReplySink {
  push(chunk: Buffer): void;
  /** The whole reply, once the stream has ended. */
  finish(): Buffer;
}

/** The default sink: chunks kept, concatenated once at the end. */
function concatSink(): ReplySink {
  const chunks: Buffer[] = [];
  let total = 0;
  return {
    push(c) {
      chunks.push(c);
      total += c.length;
    },
    finish: () => (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total)),
  };
}

/**
 * Reads a stream to its end into `sink` (default: the chunks, concatenated once at the end). Chunks are taken as
 * 'data' events, exactly as the socket delivered them: a paused stream's `read()` would first concatenate whatever
 * it had buffered, one more copy of the bytes.
 */
export function readToEnd(stream: Duplex, sink: ReplySink = concatSink()): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let ended = false;
    stream.on('data', (c: Buffer) => sink.push(c));
    stream.once('end', () => {
      ended = true;
      try {
        resolve(sink.finish());
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    stream.once('error', reject);
    stream.once('close', () => {
      if (!ended) {
        reject(Object.assign(new Error('connection closed before the reply ended'), { code: 'ECONNRESET' }));
      }
    });
  });
}

type SharpFactory = (input: Buffer) => Sharp;
let sharpModule: Promise<unknown> | undefined;

/** Decodes a PNG to RGBA with sharp (loaded on first use). @throws DeviceError('protocol') for a bad image. */
export async function decodePng(png: Buffer, serial?: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  if (png.length < 8 || png.readUInt32BE(0) !== 0x89504e47) {
    const head = png.subarray(0, 60).toString('utf8').replace(/\s+/g, ' ').trim();
    throw new DeviceError('protocol', `screencap -p did not return a PNG${head ? ` ('${head}')` : ' (empty reply)'}`, serial);
  }
  sharpModule ??= import('sharp');
  const mod = await sharpModule;
  const sharp = ((mod as { default?: SharpFactory }).default ?? mod) as SharpFactory;
  try {
    const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 4 || data.length !== info.width * info.height * 4) {
      throw new Error(`decoded to ${info.channels} channels`);
    }
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    throw new DeviceError('protocol', `screencap -p returned a corrupt PNG: ${(e as Error).message}`, serial, { cause: e });
  }
}

/** The most telling line of a failed command's output: an `Error:` line, another error-looking line, or the first. */
function failureDetail(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^Error:/.test(l)) ?? outputLooksFailed(text) ?? lines[0] ?? '';
}

function coord(v: number, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new DeviceError('command-failed', `${name} must be a finite number, got ${String(v)}`);
  }
  return Math.round(v);
}

function duration(ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new DeviceError('command-failed', `duration must be a non-negative number of ms, got ${String(ms)}`);
  }
  return Math.round(ms);
}

function checkRemotePath(p: string, serial: string): void {
  if (typeof p !== 'string' || !p.startsWith('/') || p.includes('\0') || Buffer.byteLength(p) > MAX_REMOTE_PATH) {
    throw new DeviceError('command-failed', `'${String(p)}' is not an absolute device path (at most ${MAX_REMOTE_PATH} bytes)`, serial);
  }
}

function statSize(st: { size?: number; sizeBig?: bigint }): number {
  return st.sizeBig !== undefined ? Number(st.sizeBig) : Number(st.size ?? 0);
}

function isCutOff(e: unknown): boolean {
  return e instanceof DeviceError && (e.code === 'timeout' || e.code === 'aborted');
}

function asDeviceError(e: unknown, serial: string): DeviceError {
  return e instanceof DeviceError ? e : new DeviceError('offline', String(e), serial, { cause: e });
}
