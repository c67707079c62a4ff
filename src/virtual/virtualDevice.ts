/**
 * A virtual Android device: an app (by default the demo game "Pocket Packs") behind a real ADB transport on
 * 127.0.0.1, so that `adb connect`, the adb CLI and adbkit drive it exactly like an emulator. Screens are served
 * from a per-frame cache; faults (drop, stall, corrupt/slow frames, crash) are injectable.
 */
import sharp from 'sharp';
import type { Logger } from '../shared/ports';
import { Emitter, type Event } from '../shared/lifecycle';
import { formatBanner } from './adbProtocol';
import { AdbDaemon } from './adbd';
import { startService } from './deviceServices';
import { corruptBytes, Faults } from './faults';
import { createPocketPacksGame } from './game/pocketPacksGame';
import { InputLog } from './inputLog';
import type { ServiceStream } from './serviceStream';
import { VirtualShell, type ShellDevice } from './shell';
import { sleepFor } from './shellCommands';
import type { VirtualApp, VirtualFs } from './types';
import { MemoryFs } from './vfs';
import { FleetError } from '../shared/errors';

export const DEVICE_FEATURES = ['shell_v2', 'cmd', 'stat_v2', 'ls_v2', 'fixed_push_mkdir'] as const;
export const DEVICE_PRODUCT = { name: 'pocketpacks', model: 'EmulatorFleetVirtual', device: 'virtual' } as const;
export const DEFAULT_SIZE = { width: 540, height: 960 } as const;

/** Raw screencap pixel format RGBA_8888. */
const PIXEL_FORMAT_RGBA_8888 = 1;

export interface VirtualDeviceOptions {
  /** TCP port of the device's adbd; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Seed of the default app (default 1). */
  seed?: number;
  /** Screen size (default 540x960). */
  size?: { width: number; height: number };
  /** Whether the default app boots to its title screen (default) or the launcher. */
  boot?: 'title' | 'launcher';
  /** Raw `screencap` emits the old 12-byte header (width, height, format) instead of 16 bytes. */
  legacyHeader?: boolean;
  /** Builds the app the device runs (default: the demo game). */
  app?: (fs: VirtualFs, now: () => number) => VirtualApp;
  /** Monotonic milliseconds (default `performance.now`). */
  now?: () => number;
  logger?: Logger;
}

export type VirtualDeviceErrorCode = 'bad-frame' | 'closed' | 'listen-failed';

export class VirtualDeviceError extends FleetError<VirtualDeviceErrorCode> {
  constructor(code: VirtualDeviceErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'VirtualDeviceError';
  }
}

interface FrameCacheEntry {
  version: number;
  rgba: Promise<Buffer>;
  png?: Promise<Buffer>;
}

const SILENT: Logger = { log: () => undefined, child: () => SILENT };
let unlistenedCount = 0;

/** Output of a command run in-process with `VirtualDevice.runShell`. */
export interface InProcessShellResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export class VirtualDevice implements ShellDevice {
  readonly fs: MemoryFs;
  readonly app: VirtualApp;
  readonly faults: Faults;
  readonly inputLog: InputLog;
  readonly shell: VirtualShell;
  readonly settings = new Map<string, string>();
  readonly legacyHeader: boolean;
  private readonly daemon: AdbDaemon;
  private readonly customProps = new Map<string, string>();
  private readonly rawHeader: Buffer;
  private cache: FrameCacheEntry | undefined;
  private closedFlag = false;
  private _port = 0;
  private listening = false;
  private readonly localSerial = `virtual-${++unlistenedCount}`;
  private readonly host: string;
  private readonly clock: () => number;
  private readonly _onDidClose = new Emitter<void>();
  /** Fires once when the device has closed. */
  readonly onDidClose: Event<void> = this._onDidClose.event;

  private constructor(opts: VirtualDeviceOptions) {
    this.clock = opts.now ?? (() => performance.now());
    this.host = opts.host ?? '127.0.0.1';
    this.legacyHeader = opts.legacyHeader ?? false;
    this.fs = new MemoryFs();
    for (const dir of ['/sdcard/Download', '/data/local/tmp', '/system/bin']) {
      this.fs.mkdir(dir, { parents: true });
    }
    const size = opts.size ?? DEFAULT_SIZE;
    this.app = opts.app
      ? opts.app(this.fs, this.clock)
      : createPocketPacksGame({ width: size.width, height: size.height, seed: opts.seed ?? 1, boot: opts.boot ?? 'title', fs: this.fs, now: this.clock });
    this.fs.mkdir(`/data/data/${this.app.packageName}`, { parents: true });
    this.faults = new Faults(() => this.app.crash(), this.clock);
    this.inputLog = new InputLog(this.clock);
    this.shell = new VirtualShell(this);
    this.rawHeader = Buffer.alloc(this.legacyHeader ? 12 : 16);
    this.rawHeader.writeUInt32LE(this.app.width, 0);
    this.rawHeader.writeUInt32LE(this.app.height, 4);
    this.rawHeader.writeUInt32LE(PIXEL_FORMAT_RGBA_8888, 8);
    this.daemon = new AdbDaemon(this, (opts.logger ?? SILENT).child('adbd'));
  }

  /** Creates the device and starts its adbd on `host:port`. */
  static async start(opts: VirtualDeviceOptions = {}): Promise<VirtualDevice> {
    const vd = new VirtualDevice(opts);
    vd.listening = true;
    try {
      vd._port = await vd.daemon.listen(opts.port ?? 0, vd.host);
    } catch (e) {
      await vd.close();
      throw new VirtualDeviceError('listen-failed', `virtual device could not listen on ${vd.host}:${opts.port ?? 0}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return vd;
  }

  /**
   * A device that does not listen on TCP: its services run in-process only (`handleService`, `runShell`, or an
   * AdbHostEndpoint). Its serial is `virtual-<n>`.
   */
  static create(opts: Omit<VirtualDeviceOptions, 'port' | 'host'> = {}): VirtualDevice {
    return new VirtualDevice(opts);
  }

  get port(): number {
    return this._port;
  }

  /** `127.0.0.1:<port>`: the serial adb shows after `adb connect` (`virtual-<n>` for a device made by `create`). */
  get serial(): string {
    return this.listening ? `${this.host}:${this._port}` : this.localSerial;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  now(): number {
    return this.clock();
  }

  /** The current screen as RGBA (`width*height*4`), from the cache when the app has not changed it. */
  frame(): Promise<Buffer> {
    return this.frameEntry().rgba;
  }

  /** The current screen as PNG (compression level 1), cached per frame version. */
  png(): Promise<Buffer> {
    const entry = this.frameEntry();
    if (!entry.png) {
      const { width, height } = this.app;
      entry.png = entry.rgba.then((rgba) => sharp(rgba, { raw: { width, height, channels: 4 } }).png({ compressionLevel: 1 }).toBuffer());
      entry.png.catch(() => {
        if (this.cache === entry) {
          entry.png = undefined;
        }
      });
    }
    return entry.png;
  }

  /** One screencap as zero-copy parts, after faults (slow frames delay it; a pending corruption is applied). */
  async screencap(format: 'raw' | 'png', signal: AbortSignal): Promise<Buffer[]> {
    const slow = this.faults.slowFramesMs;
    if (slow > 0) {
      await sleepFor(slow, signal);
    }
    const parts = format === 'png' ? [await this.png()] : [this.rawHeader, await this.frame()];
    const corruption = this.faults.takeFrameCorruption();
    return corruption ? corruptBytes(parts, corruption) : parts;
  }

  /** Starts a device service (`shell:`, `shell,v2,...:`, `exec:`, `sync:`) on a stream; false when unknown. */
  handleService(service: string, stream: ServiceStream): boolean {
    if (this.closedFlag) {
      return false;
    }
    const run = startService(service, stream, this.shell, this.fs);
    if (!run) {
      return false;
    }
    run.catch(() => {
      void stream.end();
    });
    return true;
  }

  /** Runs a shell command line in-process (as `adb shell` would, with separate stdout/stderr and exit code). */
  async runShell(command: string, opts: { stdin?: Buffer; signal?: AbortSignal } = {}): Promise<InProcessShellResult> {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const deferred: (() => void)[] = [];
    const collect = (into: Buffer[]) => (d: Buffer | readonly Buffer[]): Promise<void> => {
      into.push(...(Buffer.isBuffer(d) ? [d] : d));
      return Promise.resolve();
    };
    const exitCode = await this.shell.run(command, {
      stdout: collect(out),
      stderr: collect(err),
      stdin: () => Promise.resolve(opts.stdin ?? Buffer.alloc(0)),
      signal: opts.signal ?? new AbortController().signal,
      defer: (fn) => deferred.push(fn),
    });
    for (const fn of deferred) {
      fn();
    }
    return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode };
  }

  /** The CNXN banner. */
  banner(): string {
    return formatBanner({ 'ro.product.name': DEVICE_PRODUCT.name, 'ro.product.model': DEVICE_PRODUCT.model, 'ro.product.device': DEVICE_PRODUCT.device }, DEVICE_FEATURES);
  }

  properties(): Record<string, string> {
    const state = this.app.state();
    const props: Record<string, string> = {
      'ro.build.version.sdk': '34',
      'ro.build.version.release': '14',
      'ro.build.type': 'userdebug',
      'ro.build.characteristics': 'emulator',
      'ro.product.name': DEVICE_PRODUCT.name,
      'ro.product.model': DEVICE_PRODUCT.model,
      'ro.product.device': DEVICE_PRODUCT.device,
      'ro.product.brand': 'EmulatorFleet',
      'ro.product.manufacturer': 'EmulatorFleet',
      'ro.product.cpu.abi': 'x86_64',
      'ro.serialno': `virtual-${this._port}`,
      'ro.kernel.qemu': '1',
      'ro.sf.lcd_density': '240',
      'sys.boot_completed': '1',
      'dev.bootcomplete': '1',
      'init.svc.bootanim': 'stopped',
      'persist.sys.locale': 'en-US',
      'debug.fleet.screen': typeof state.screen === 'string' ? state.screen : '',
    };
    for (const [k, v] of this.customProps) {
      props[k] = v;
    }
    return props;
  }

  setProperty(key: string, value: string): void {
    this.customProps.set(key, value);
  }

  info(): Record<string, unknown> {
    return {
      serial: this.serial,
      port: this._port,
      width: this.app.width,
      height: this.app.height,
      focused: this.app.focused(),
      pid: this.app.pid() ?? null,
      frameVersion: this.app.version,
      faults: this.faults.snapshot(),
      connections: this.daemon.connectionCount,
      streams: this.daemon.streamCount,
      inputs: this.inputLog.size,
    };
  }

  /** Open adbd connections and streams (for tests: nothing leaks). */
  stats(): { connections: number; streams: number } {
    return { connections: this.daemon.connectionCount, streams: this.daemon.streamCount };
  }

  /** Stops adbd and drops every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closedFlag) {
      return;
    }
    this.closedFlag = true;
    this.faults.drop();
    await this.daemon.close();
    this.faults.dispose();
    this._onDidClose.fire();
    this._onDidClose.dispose();
  }

  private frameEntry(): FrameCacheEntry {
    const version = this.app.version;
    if (this.cache && this.cache.version === version) {
      return this.cache;
    }
    const expected = this.app.width * this.app.height * 4;
    const entry: FrameCacheEntry = {
      version,
      rgba: this.app.render().then((rgba) => {
        if (rgba.length !== expected) {
          throw new VirtualDeviceError('bad-frame', `the app rendered ${rgba.length} bytes, expected ${expected}`);
        }
        return rgba;
      }),
    };
    entry.rgba.catch(() => {
      if (this.cache === entry) {
        this.cache = undefined;
      }
    });
    this.cache = entry;
    return entry;
  }
}
