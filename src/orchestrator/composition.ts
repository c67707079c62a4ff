/**
 * Builds a whole fleet from a workspace root: template and routine registries, account pools, vision, devices
 * (virtual devices on an embedded ADB host endpoint, or the devices of an ADB server / emulator preset), the
 * routine interpreter per bot, and the Orchestrator over them. Used by the CLI (`run`, `demo`), the benchmarks
 * and, later, the extension's composition root. `close()` undoes everything it started.
 */
import { AdbDevice } from '../bot/adb/adbDevice';
import { FleetAdbClient } from '../bot/adb/adbClient';
import { InstanceRestartError, type RoutineRunner, type RoutineRunnerContext, type RoutineRunnerFactory, type RoutineRunOptions, type OpenedDevice } from '../bot/bot';
import { DeviceError, type Device } from '../bot/device';
import { NodeFileStore, nullLogger, SystemClock } from '../bot/nodePorts';
import type { Clock, FileStore, Logger } from '../bot/ports';
import { debugTargetOf, type RoutineDebugTarget } from '../bot/routine/debug';
import { RoutineInterpreter } from '../bot/routine/interpreter';
import { RoutineRegistry } from '../bot/routine/registry';
import type { RoutineErrorCode } from '../bot/routine/errors';
import type { Vision } from '../bot/vision/types';
import { MatcherPool } from '../bot/vision/matcherPool';
import { TemplateRegistry } from '../bot/vision/templateRegistry';
import { VisionService } from '../bot/vision/visionService';
import type { CaptureMethodSetting } from '../bot/adb/captureSelection';
import type { SourceRange } from '../shared/geometry';
import { Emitter, type Event } from '../shared/lifecycle';
import type { RoutineEvent } from '../shared/routineEvents';
import type { InstanceKey } from '../shared/fleetTypes';
import { AdbHostEndpoint } from '../virtual/hostEndpoint';
import { VirtualDevice } from '../virtual/virtualDevice';
import type { DeviceProvider, InstanceProbe } from './botGroup';
import { resolveFleetConfig, type FleetConfig } from './config';
import { EmulatorManager } from './emulators/emulatorManager';
import type { EmulatorKind } from './emulators/presets';
import { NodeProcessRunner } from './emulators/processRunner';
import { Orchestrator } from './orchestrator';
import { PoolManager } from './pools/poolManager';
import { formatDuration } from '../shared/durations';

/**
 * A routine run that ended with an error, as a typed error (the bot decides on restarts and device drops). Its
 * `cause` is the device's own error when the routine failed on the device, so the bot tells a dropped device
 * (`offline`, even a short blip) from a routine failure.
 */
export class RoutineRunError extends Error {
  constructor(
    readonly code: RoutineErrorCode,
    message: string,
    readonly range?: SourceRange,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RoutineRunError';
  }
}

/**
 * A view of `device` that remembers the last error a call of it threw (the interpreter's result keeps only the
 * error's code and message).
 */
function recordingDevice(device: Device, record: (e: unknown) => void): Device {
  return new Proxy(device, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') {
        return v;
      }
      const fn = v as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        let r: unknown;
        try {
          r = fn.apply(target, args);
        } catch (e) {
          record(e);
          throw e;
        }
        if (r instanceof Promise) {
          return r.catch((e: unknown) => {
            record(e);
            throw e;
          });
        }
        return r;
      };
    },
  });
}

/** The routine interpreter as a bot's RoutineRunner: a failed result becomes a RoutineRunError. */
export class InterpreterRunner implements RoutineRunner {
  readonly onDidEmit: Event<RoutineEvent>;
  /** The debugger handle of this runner's interpreter (a debug adapter attaches to one bot through it). */
  readonly debug: RoutineDebugTarget;
  private lastDeviceError: unknown;

  constructor(readonly interpreter: RoutineInterpreter) {
    this.onDidEmit = interpreter.onDidEmit;
    this.debug = debugTargetOf(interpreter);
  }

  /** Wraps the device given to the interpreter so that a failed run can carry the device's error as its cause. */
  static deviceFor(runner: () => InterpreterRunner | undefined, device: Device): Device {
    return recordingDevice(device, (e) => {
      const r = runner();
      if (r && e instanceof DeviceError) {
        r.lastDeviceError = e;
      }
    });
  }

  async run(name: string, params: Record<string, unknown>, opts: RoutineRunOptions): Promise<unknown> {
    this.lastDeviceError = undefined;
    const r = await this.interpreter.run(name, params, { signal: opts.signal, variables: opts.variables });
    if (!r.ok) {
      const e = r.error;
      const code = e?.code ?? 'internal';
      // The result may carry its cause itself; otherwise a device failure gets the device's last error.
      const own = e && typeof e === 'object' && 'cause' in e ? (e as { cause?: unknown }).cause : undefined;
      const cause = own ?? (code === 'device' ? this.lastDeviceError : undefined);
      throw new RoutineRunError(code, e?.message ?? 'the routine failed', e?.range, cause !== undefined ? { cause } : undefined);
    }
    return r;
  }

  pause(): void {
    this.interpreter.pause();
  }

  resume(): void {
    this.interpreter.resume();
  }

  dispose(): void {
    this.interpreter.dispose();
  }
}

export interface InterpreterRunnerFactoryOptions {
  vision: Vision;
  routines: RoutineRegistry;
  clock: Clock;
  files?: FileStore;
  /** Folder for routine screenshots, relative to the workspace. */
  runDir?: string;
}

export class InterpreterRunnerFactory implements RoutineRunnerFactory {
  constructor(private readonly o: InterpreterRunnerFactoryOptions) {}

  create(ctx: RoutineRunnerContext): RoutineRunner {
    const runner: InterpreterRunner = new InterpreterRunner(
      new RoutineInterpreter({
        device: InterpreterRunner.deviceFor(() => runner, ctx.device),
        vision: this.o.vision,
        clock: this.o.clock,
        logger: ctx.logger,
        routines: this.o.routines,
        accounts: ctx.accounts,
        fileStore: this.o.files,
        runDir: this.o.runDir,
      }),
    );
    return runner;
  }
}

/** Virtual devices behind one embedded ADB host endpoint, offered as instances `1..N` (or by serial). */
export class VirtualDeviceProvider implements DeviceProvider {
  private readonly _onDidChangeInstances = new Emitter<unknown>();
  readonly onDidChangeInstances: Event<unknown> = this._onDidChangeInstances.event;

  constructor(
    readonly devices: readonly VirtualDevice[],
    readonly endpoint: AdbHostEndpoint,
    private readonly opts: {
      clock: Clock;
      logger: Logger;
      captureMethod?: CaptureMethodSetting;
      /** How long a restarted device stays off the server's list (default 250 ms). */
      rebootMs?: number;
    },
  ) {}

  /** The device of an instance: `1..N` by position, or by serial. */
  deviceOf(instance: InstanceKey, serial?: string): VirtualDevice | undefined {
    if (serial) {
      return this.devices.find((d) => d.serial === serial);
    }
    if (/^\d+$/.test(instance)) {
      return this.devices[Number(instance) - 1];
    }
    return this.devices.find((d) => d.serial === instance);
  }

  async status(instance: InstanceKey, opts: { serial?: string } = {}): Promise<InstanceProbe> {
    const d = this.deviceOf(instance, opts.serial);
    if (!d) {
      return { instance, state: 'unknown' };
    }
    const listed = this.endpoint.listDevices().find((x) => x.serial === d.serial);
    return { instance, state: listed?.state === 'device' ? 'online' : 'offline', serial: d.serial };
  }

  async isOnline(instance: InstanceKey, opts: { serial?: string } = {}): Promise<boolean> {
    return (await this.status(instance, opts)).state === 'online';
  }

  async open(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<OpenedDevice> {
    const d = this.deviceOf(instance, opts.serial);
    if (!d) {
      throw new DeviceError('offline', `there is no virtual device for instance ${instance}`);
    }
    const device = await AdbDevice.connect({
      serial: d.serial,
      server: { host: '127.0.0.1', port: this.endpoint.port },
      clock: this.opts.clock,
      logger: this.opts.logger,
      captureMethod: this.opts.captureMethod ?? 'raw',
      signal: opts.signal,
      timeoutMs: 5000,
    });
    return { device, serial: d.serial };
  }

  /**
   * Restarts a virtual device as an emulator reboot looks from outside: it leaves the ADB server's device list
   * (open sessions break), its app process dies, and after `rebootMs` it is listed again on the same serial,
   * showing the launcher (as a real emulator after a reboot; routines start the app from there).
   * @throws InstanceRestartError('failed') when the instance has no (open) virtual device
   */
  async restart(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<void> {
    const d = this.deviceOf(instance, opts.serial);
    if (!d || d.closed) {
      throw new InstanceRestartError('failed', `there is no virtual device for instance ${instance}`);
    }
    this.opts.logger.log('info', `restarting virtual device ${d.serial}`, { instance });
    this.endpoint.removeDevice(d.serial);
    this.notifyChanged();
    try {
      d.app.forceStop(d.app.packageName);
      await this.opts.clock.sleep(this.opts.rebootMs ?? 250, opts.signal);
    } finally {
      if (!d.closed) {
        this.endpoint.addDevice(d);
        this.notifyChanged();
      }
    }
  }

  /** Tells waiting groups that devices came or went (tests call it after injecting a fault). */
  notifyChanged(): void {
    this._onDidChangeInstances.fire(undefined);
  }
}

/**
 * The devices of one ADB server. An instance is an ADB serial, or a number: with an emulator preset the
 * preset's address of that instance, without one the n-th device the server lists (by serial).
 */
export class AdbServerDeviceProvider implements DeviceProvider {
  readonly onDidChangeInstances: Event<unknown> | undefined;

  constructor(
    private readonly client: FleetAdbClient,
    private readonly server: { host: string; port: number },
    private readonly opts: {
      clock: Clock;
      logger: Logger;
      emulators?: EmulatorManager;
      captureMethod?: CaptureMethodSetting;
      /** Whether the emulator manager was given both a stop and a launch command (without them `restart` refuses). */
      restartable?: boolean;
      /** Deadline for a restarted instance to be listed and booted again (default 180 s). */
      bootTimeoutMs?: number;
    },
  ) {
    this.onDidChangeInstances = opts.emulators?.onDidChangeInstances as Event<unknown> | undefined;
  }

  /**
   * Restarts an emulator instance: the preset's stop command, its launch command, then `adb connect` until the
   * instance is listed and `sys.boot_completed` is 1 (within `bootTimeoutMs`).
   * @throws InstanceRestartError('unsupported') without an emulator preset (numeric instance) or without stop and
   * launch commands (nothing is stopped then); EmulatorError from the commands or the connect.
   */
  async restart(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<void> {
    const em = this.opts.emulators;
    if (!em || !/^\d+$/.test(instance)) {
      throw new InstanceRestartError('unsupported', `instance ${instance} is not an emulator of a configured preset: it cannot be restarted`);
    }
    if (!this.opts.restartable) {
      throw new InstanceRestartError('unsupported', `no stop and launch commands are configured for the emulators: instance ${instance} cannot be restarted`);
    }
    const n = Number(instance);
    const clock = this.opts.clock;
    const deadline = clock.now() + (this.opts.bootTimeoutMs ?? 180_000);
    const left = () => Math.max(1, deadline - clock.now());
    await em.stop(n, { signal: opts.signal });
    await em.launch(n, { signal: opts.signal });
    for (;;) {
      try {
        await em.ensureConnected(n, { signal: opts.signal, timeoutMs: left() });
        const device = await em.openDevice(n, { signal: opts.signal, captureMethod: this.opts.captureMethod });
        try {
          const r = await device.shell('getprop sys.boot_completed', { signal: opts.signal, timeoutMs: Math.min(10_000, left()) });
          if (r.stdout.trim() === '1') {
            return;
          }
        } finally {
          await device.close().catch(() => undefined);
        }
      } catch (e) {
        if (opts.signal?.aborted || clock.now() >= deadline) {
          throw e;
        }
      }
      if (clock.now() >= deadline) {
        throw new InstanceRestartError('failed', `instance ${instance} did not finish booting within ${formatDuration(this.opts.bootTimeoutMs ?? 180_000)}`);
      }
      await clock.sleep(Math.min(1000, left()), opts.signal);
    }
  }

  private async serialOf(instance: InstanceKey, serial: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
    if (serial) {
      return serial;
    }
    if (!/^\d+$/.test(instance)) {
      return instance;
    }
    const n = Number(instance);
    if (this.opts.emulators) {
      try {
        return this.opts.emulators.resolve(n).serial;
      } catch {
        return undefined;
      }
    }
    const list = (await this.client.devicesLong({ timeoutMs: 5000, signal })).map((d) => d.serial).sort();
    return list[n - 1];
  }

  async status(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<InstanceProbe> {
    if (this.opts.emulators && /^\d+$/.test(instance) && !opts.serial) {
      try {
        const st = this.opts.emulators.status(Number(instance));
        return { instance, state: st.online ? 'online' : 'offline', serial: st.serial };
      } catch {
        return { instance, state: 'unknown' };
      }
    }
    try {
      const serial = await this.serialOf(instance, opts.serial, opts.signal);
      if (!serial) {
        return { instance, state: 'unknown' };
      }
      const entry = (await this.client.devicesLong({ timeoutMs: 5000, signal: opts.signal })).find((d) => d.serial === serial);
      return { instance, state: entry ? (entry.state === 'device' ? 'online' : 'offline') : 'unknown', serial };
    } catch {
      return { instance, state: 'unknown' };
    }
  }

  async isOnline(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<boolean> {
    return (await this.status(instance, opts)).state === 'online';
  }

  async open(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<OpenedDevice> {
    if (this.opts.emulators && /^\d+$/.test(instance) && !opts.serial) {
      const device = await this.opts.emulators.openDevice(Number(instance), { signal: opts.signal, captureMethod: this.opts.captureMethod });
      return { device, serial: device.serial };
    }
    const serial = await this.serialOf(instance, opts.serial, opts.signal);
    if (!serial) {
      throw new DeviceError('offline', `the adb server at ${this.server.host}:${this.server.port} has no device for instance ${instance}`);
    }
    const device = await AdbDevice.connect({
      serial,
      client: this.client,
      clock: this.opts.clock,
      logger: this.opts.logger,
      captureMethod: this.opts.captureMethod,
      signal: opts.signal,
      timeoutMs: 10_000,
    });
    return { device, serial };
  }
}

/** Template registry + matcher workers + vision service of a workspace. */
export interface WorkspaceVisionHandle {
  templates: TemplateRegistry;
  pool: MatcherPool;
  vision: VisionService;
  dispose(): void;
}

/** Loads the workspace's templates (watched when asked) and starts the matcher pool behind a VisionService. */
export async function createWorkspaceVision(o: { files: FileStore; clock: Clock; logger: Logger; dir: string; workers?: number; watch: boolean }): Promise<WorkspaceVisionHandle> {
  const templates = new TemplateRegistry(o.files, o.logger.child('templates'), { dir: o.dir });
  const diagnostics = await templates.load();
  for (const d of diagnostics.filter((x) => x.severity === 'error')) {
    o.logger.log('warn', `${d.file}:${d.line}:${d.col}: ${d.message}`);
  }
  const watcher = o.watch ? templates.watch() : undefined;
  const pool = new MatcherPool({ size: o.workers, logger: o.logger.child('vision') });
  const vision = new VisionService({ registry: templates, pool, clock: o.clock, logger: o.logger.child('vision') });
  return {
    templates,
    pool,
    vision,
    dispose: () => {
      watcher?.dispose();
      pool.dispose();
      templates.dispose();
    },
  };
}

export interface FleetOptions {
  /** Workspace root (groups/, routines/, templates/, pools/). */
  root: string;
  /** Start this many virtual devices (instances 1..N) on an embedded ADB host endpoint; no adb binary needed. */
  virtual?: number;
  /** Seed of the first virtual device (device i gets seed + i - 1; default 1). */
  seed?: number;
  /** The ADB server of real devices (default 127.0.0.1 and $ANDROID_ADB_SERVER_PORT or 5037). */
  adb?: { host?: string; port?: number };
  /** Emulator preset mapping numeric instances to addresses (real devices only). */
  emulator?: {
    kind: EmulatorKind;
    instances: number[];
    addresses?: string[];
    /** Command templates ({index} {port} {serial} {host}); with both, the stuck ladder's `restartEmulator` works. */
    launchCommand?: string;
    stopCommand?: string;
  };
  captureMethod?: CaptureMethodSetting;
  clock?: Clock;
  logger?: Logger;
  config?: Partial<FleetConfig>;
  /** Watch the workspace files (default true; the CLI passes false for one-shot commands). */
  watch?: boolean;
  /** Matcher worker threads (default: the vision default). */
  visionWorkers?: number;
  /** Take the account database lock over even from a live process or another host (reported as a warning). */
  forceUnlock?: boolean;
}

export interface Fleet {
  orchestrator: Orchestrator<RoutineRegistry, PoolManager, TemplateRegistry, EmulatorManager | undefined>;
  files: FileStore;
  clock: Clock;
  devices: DeviceProvider;
  /** The virtual devices started for `virtual: N` (empty otherwise). */
  virtualDevices: VirtualDevice[];
  endpoint?: AdbHostEndpoint;
  /** Stops every group (forced after the graceful timeout), closes pools, vision, devices. Idempotent. */
  close(): Promise<void>;
}

/** Builds the fleet of a workspace. Everything started is stopped again when a step fails. */
export async function createFleet(opts: FleetOptions): Promise<Fleet> {
  const clock = opts.clock ?? new SystemClock();
  const logger = opts.logger ?? nullLogger;
  const config = resolveFleetConfig(opts.config);
  const files = new NodeFileStore(opts.root);
  const watch = opts.watch ?? true;
  const undo: Array<() => Promise<void> | void> = [];
  const rollback = async () => {
    for (const u of undo.reverse()) {
      try {
        await u();
      } catch (e) {
        logger.log('warn', `cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    undo.length = 0;
  };
  try {
    const vision = await createWorkspaceVision({ files, clock, logger, dir: config.templatesDir, workers: opts.visionWorkers, watch });
    undo.push(() => vision.dispose());

    const routines = new RoutineRegistry(files, logger.child('routines'), { dir: config.routinesDir, templates: vision.templates });
    undo.push(() => routines.dispose());
    await routines.reload();
    if (watch) {
      routines.watch();
    }

    const pools = new PoolManager({ fileStore: files, clock, logger: logger.child('pools'), dbPath: `${config.dataDir}/accounts.sqlite`, poolsDir: config.poolsDir, forceUnlock: opts.forceUnlock });
    await pools.open();
    undo.push(() => pools.close());
    await pools.loadDefinitions({ watch });

    let devices: DeviceProvider;
    const virtualDevices: VirtualDevice[] = [];
    let endpoint: AdbHostEndpoint | undefined;
    let emulators: EmulatorManager | undefined;
    if (opts.virtual !== undefined && opts.virtual > 0) {
      const seed = opts.seed ?? 1;
      for (let i = 0; i < opts.virtual; i++) {
        const d = VirtualDevice.create({ seed: seed + i });
        virtualDevices.push(d);
        undo.push(() => d.close());
      }
      endpoint = await AdbHostEndpoint.start({ logger: logger.child('adb-host') });
      const ep = endpoint;
      undo.push(() => ep.close());
      for (const d of virtualDevices) {
        endpoint.addDevice(d);
      }
      devices = new VirtualDeviceProvider(virtualDevices, endpoint, { clock, logger: logger.child('devices'), captureMethod: opts.captureMethod });
    } else {
      const envPort = process.env.ANDROID_ADB_SERVER_PORT;
      const server = { host: opts.adb?.host ?? '127.0.0.1', port: opts.adb?.port ?? (envPort && /^\d+$/.test(envPort) ? Number(envPort) : 5037) };
      if (opts.emulator) {
        emulators = new EmulatorManager({
          kind: opts.emulator.kind,
          instances: opts.emulator.instances,
          addresses: opts.emulator.addresses,
          launchCommand: opts.emulator.launchCommand,
          stopCommand: opts.emulator.stopCommand,
          servers: [`${server.host}:${server.port}`],
          clock,
          logger,
          processRunner: new NodeProcessRunner(),
        });
        const em = emulators;
        undo.push(() => em.dispose());
        emulators.start();
        await emulators.whenTracking(5000);
      }
      const client = new FleetAdbClient(server);
      devices = new AdbServerDeviceProvider(client, server, {
        clock,
        logger: logger.child('devices'),
        emulators,
        captureMethod: opts.captureMethod,
        restartable: opts.emulator?.launchCommand !== undefined && opts.emulator.stopCommand !== undefined,
      });
    }

    const runners = new InterpreterRunnerFactory({ vision: vision.vision, routines, clock, files, runDir: `${config.dataDir}/runs` });
    const orchestrator = await Orchestrator.create({
      files,
      clock,
      logger,
      config,
      devices,
      runners,
      templateRegistry: vision.templates,
      routineRegistry: routines,
      poolManager: pools,
      emulatorManager: emulators,
      watch,
    });
    undo.push(() => orchestrator.dispose());
    undo.push(async () => {
      await orchestrator.stopAll({ timeoutMs: config.stopTimeoutMs });
    });
    let closed: Promise<void> | undefined;
    return {
      orchestrator,
      files,
      clock,
      devices,
      virtualDevices,
      endpoint,
      close: () => (closed ??= rollback()),
    };
  } catch (e) {
    await rollback();
    throw e;
  }
}
