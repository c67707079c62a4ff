/**
 * `createFleet`: the one place that builds a fleet, shared by the CLI, the extension's `activate()`, the benchmarks
 * and the integration tests. It takes the ports (file store, logger, clock), the ADB servers and the device sources
 * as arguments, and builds the template and routine registries, vision, the account pools, the devices (one source
 * per ADB server, the emulator preset, the virtual devices loaded lazily) and the Orchestrator over them.
 * `close()` undoes everything it started.
 */
import type { AccountPort } from '../bot/accounts';
import type { CaptureMethodSetting } from '../bot/adb/captureSelection';
import type { Device } from '../bot/device';
import { RoutineInterpreter } from '../bot/routine/interpreter';
import { RoutineRegistry } from '../bot/routine/registry';
import { InterpreterRunnerFactory } from '../bot/routine/runner';
import { MatcherPool } from '../bot/vision/matcherPool';
import { TemplateRegistry } from '../bot/vision/templateRegistry';
import { VisionService } from '../bot/vision/visionService';
import { resolveFleetConfig, type FleetConfig } from '../orchestrator/config';
import type { EmulatorManager } from '../orchestrator/emulators/emulatorManager';
import { formatServerAddress, parseServerAddress } from '../orchestrator/emulators/adbServers';
import { Orchestrator } from '../orchestrator/orchestrator';
import { PoolManager } from '../orchestrator/pools/poolManager';
import { validateWorkspaceDetailed, type WorkspaceValidationResult } from '../orchestrator/workspaceValidation';
import { FleetError } from '../shared/errors';
import { isBotActive, type DeviceInfo, type LatencySummary } from '../shared/fleetTypes';
import type { Clock, FileStore, Logger } from '../shared/ports';
import { AdbServerSource } from './adbServerSource';
import { RunnerDebugTargets } from './debugTargets';
import { EmulatorPreset, type EmulatorPresetOptions } from './emulatorPreset';
import { fleetSources } from './fleetSources';
import { FleetDevices } from './fleetDevices';
import type * as VirtualSourceModule from './virtualSource';
import type { VirtualDeviceRef, VirtualSource } from './virtualSource';

/** The Orchestrator with the host's concrete registries. */
export type FleetOrchestrator = Orchestrator<RoutineRegistry, PoolManager, TemplateRegistry, EmulatorManager | undefined>;

export interface FleetHostOptions {
  files: FileStore;
  logger: Logger;
  clock: Clock;
  config?: Partial<FleetConfig>;
  /** ADB servers (`host:port`); every one is really used: tracked, its devices listed and drivable. Default none. */
  adbServers?: readonly string[];
  /** Emulator preset mapping numeric instances to addresses on the ADB servers (needs at least one server). */
  emulator?: EmulatorPresetOptions;
  captureMethod?: CaptureMethodSetting;
  /** Virtual devices to start now (their source is loaded with a dynamic import, only when some are started). */
  virtual?: { count: number; seed?: number };
  /**
   * Run the virtual devices in a worker thread (the extension and the CLI do: rendering and writing their frames
   * then stay off the thread that runs the bots). Default: on this thread, where tests reach the device objects.
   */
  virtualWorker?: boolean;
  /** Watch the workspace files (default true; one-shot commands pass false). */
  watch?: boolean;
  /** Matcher worker threads (default: the vision default). */
  visionWorkers?: number;
  /**
   * Open the account database on first use (a group that uses a pool starts, `pools()`) instead of now. The
   * matcher's worker threads (and OpenCV's wasm) always start on the first match. Default false.
   */
  lazy?: boolean;
  /** The account database: read-only (look at a database another process owns), or take its lock over. */
  pools?: { readOnly?: boolean; forceUnlock?: boolean };
}

export interface Fleet {
  readonly orchestrator: FleetOrchestrator;
  /** The devices of every source: a DeviceProvider for the groups, and the listing for the views. */
  readonly devices: FleetDevices;
  readonly files: FileStore;
  readonly clock: Clock;
  /** Template matching over the workspace's templates (its workers start on the first match). */
  readonly vision: VisionService;
  readonly matcherPool: MatcherPool;
  /** The account pools, their database opened first if it is not (a lazy fleet). */
  pools(): Promise<PoolManager>;
  /** The bots of running groups a debugger can attach to (the debug adapter's attach). */
  readonly debugTargets: RunnerDebugTargets;
  /**
   * An interpreter of the workspace's routines on one device, outside any group (the CLI's `routine run`).
   * `runDir` (workspace-relative) is where `screenshot` saves; the caller disposes the interpreter.
   */
  createInterpreter(o: { device: Device; logger?: Logger; accounts?: AccountPort; runDir?: string }): RoutineInterpreter;
  /** Every YAML file of the workspace checked, with the references between them. */
  validate(): Promise<WorkspaceValidationResult>;
  /** Starts `count` more virtual devices (loads the virtual source on first use); device i gets seed `seed + i`. */
  startVirtualDevices(count: number, opts?: { seed?: number }): Promise<DeviceInfo[]>;
  /** Stops virtual devices (all when no serials are given). */
  stopVirtualDevices(serials?: readonly string[]): Promise<void>;
  /** The running virtual devices; on this thread (no `virtualWorker`) each has its device object (tests reach its game and faults). */
  virtualDevices(): readonly VirtualDeviceRef[];
  /**
   * Resolves once no start of virtual devices is in flight (each settled, started or failed): what
   * `virtualDevices()` then lists includes every device asked for so far.
   */
  virtualStartsSettled(): Promise<void>;
  /** `adb connect host:port` on the first (or the given) ADB server; resolves once the server lists it online. */
  connectDevice(address: string, opts?: { server?: string }): Promise<void>;
  /** Stops every group (forced after the graceful timeout), closes pools, vision, devices. Idempotent. */
  close(): Promise<void>;
}

/** A fleet that cannot be built as asked (an emulator preset without an ADB server, an unknown server...). */
export class FleetHostError extends FleetError<'invalid-host-options' | 'unknown-server' | 'closed'> {
  constructor(code: FleetHostError['code'], message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'FleetHostError';
  }
}

/** Builds the fleet of a workspace. Everything started is stopped again when a step fails. */
export async function createFleet(o: FleetHostOptions): Promise<Fleet> {
  const { files, clock, logger } = o;
  const config = resolveFleetConfig(o.config);
  const watch = o.watch ?? true;
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
  if (o.emulator && !o.adbServers?.length) {
    throw new FleetHostError('invalid-host-options', 'an emulator preset needs at least one ADB server');
  }
  try {
    const templates = new TemplateRegistry(files, logger.child('templates'), { dir: config.templatesDir });
    undo.push(() => templates.dispose());
    const diagnostics = await templates.load();
    for (const d of diagnostics.filter((x) => x.severity === 'error')) {
      logger.log('warn', `${d.file}:${d.line}:${d.col}: ${d.message}`);
    }
    if (watch) {
      const w = templates.watch();
      undo.push(() => w.dispose());
    }
    const matcherPool = new MatcherPool({ size: o.visionWorkers, logger: logger.child('vision') });
    undo.push(() => matcherPool.dispose());
    const vision = new VisionService({ registry: templates, pool: matcherPool, clock, logger: logger.child('vision') });

    const routines = new RoutineRegistry(files, logger.child('routines'), { dir: config.routinesDir, templates });
    undo.push(() => routines.dispose());
    await routines.reload();
    if (watch) {
      routines.watch();
    }

    const pools = new PoolManager({
      fileStore: files,
      clock,
      logger: logger.child('pools'),
      dbPath: `${config.dataDir}/accounts.sqlite`,
      poolsDir: config.poolsDir,
      readOnly: o.pools?.readOnly,
      forceUnlock: o.pools?.forceUnlock,
    });
    undo.push(() => pools.close());
    await pools.loadDefinitions({ watch });
    if (!o.lazy) {
      await pools.ensureOpen();
    }

    const servers: AdbServerSource[] = [];
    for (const s of new Set((o.adbServers ?? []).map((x) => formatServerAddress(parseServerAddress(x))))) {
      const source = new AdbServerSource(s, { clock, logger: logger.child('devices'), captureMethod: o.captureMethod });
      servers.push(source);
      undo.push(() => source.close());
    }
    const preset = o.emulator ? new EmulatorPreset(o.emulator, servers, { clock, logger, captureMethod: o.captureMethod }) : undefined;
    if (preset) {
      undo.push(() => preset.dispose());
    }
    const devices = new FleetDevices(servers, preset, logger.child('devices'));
    undo.push(() => devices.close());

    // Virtual devices: their module is required the first time some are started (a fleet without them never loads
    // src/virtual; the bundler makes it a lazily evaluated module); they close after the groups stopped, with the
    // other device sources.
    let virtual: Promise<VirtualSource> | undefined;
    let closing = false;
    const virtualSource = (): Promise<VirtualSource> => {
      virtual ??= Promise.resolve()
        .then(async () => {
          const { VirtualSource } = require('./virtualSource') as typeof VirtualSourceModule;
          const source = await VirtualSource.start({ clock, logger: logger.child('devices'), captureMethod: o.captureMethod, worker: o.virtualWorker });
          devices.attachVirtual(source);
          return source;
        })
        .catch((e: unknown) => {
          virtual = undefined; // the next start tries again
          throw e;
        });
      return virtual;
    };
    undo.push(async () => {
      const source = await virtual?.catch(() => undefined);
      await source?.close();
    });

    const runners = new RunnerDebugTargets(new InterpreterRunnerFactory({ vision, routines, clock, files, runDir: `${config.dataDir}/runs` }));
    undo.push(() => runners.dispose());
    const orchestrator: FleetOrchestrator = await Orchestrator.create({
      files,
      clock,
      logger,
      config,
      devices,
      runners,
      templateRegistry: templates,
      routineRegistry: routines,
      poolManager: pools,
      emulatorManager: preset?.manager,
      sources: fleetSources({ devices, pools, routines, templates }),
      watch,
    });
    undo.push(async () => {
      orchestrator.dispose();
      await orchestrator.whenDisposed;
    });
    undo.push(async () => {
      await orchestrator.stopAll({ timeoutMs: config.stopTimeoutMs });
    });

    // The listing names who holds each device and the latency of the bot driving it.
    devices.bindUsage({
      holderOf: (key) => orchestrator.instanceRegistry().holder(key),
      // The bot's capture method is not in its snapshot yet: DeviceInfo.captureMethod stays unset until it is.
      drivers: () => {
        const out = new Map<string, { capture: LatencySummary; input: LatencySummary }>();
        for (const g of orchestrator.listActiveGroups()) {
          for (const b of g.snapshot().bots) {
            if (b.serial !== undefined && isBotActive(b.state)) {
              out.set(b.serial, { capture: b.capture, input: b.input });
            }
          }
        }
        return out;
      },
    });
    runners.bindFigures((group, instance) => {
      const b = orchestrator.getGroup(group)?.snapshot().bots.find((x) => x.instance === instance);
      return b && { serial: b.serial, routine: b.routine, capture: b.capture, input: b.input };
    });
    const held = orchestrator.onDidChangeInstanceAssignment(() => devices.changed());
    undo.push(() => held.dispose());

    // Starts in flight: a fleet rebuilt meanwhile (the extension's settings changed) waits for them, to start as many.
    const starting = new Set<Promise<unknown>>();
    const startVirtualNow = async (count: number, seed?: number): Promise<DeviceInfo[]> => {
      if (closing) {
        throw new FleetHostError('closed', 'the fleet is closed');
      }
      if (!Number.isInteger(count) || count < 1) {
        throw new FleetHostError('invalid-host-options', `the number of virtual devices must be a positive integer, got ${count}`);
      }
      const source = await virtualSource();
      if (closing) {
        throw new FleetHostError('closed', 'the fleet is closed');
      }
      let started: VirtualDeviceRef[];
      try {
        started = await source.add(count, seed);
      } catch (e) {
        if (closing) {
          throw new FleetHostError('closed', 'the fleet closed while its virtual devices were starting', { cause: e });
        }
        throw e;
      }
      const added = new Set(started.map((d) => d.serial));
      return devices.list().filter((d) => d.source === 'virtual' && added.has(d.serial));
    };
    const startVirtual = (count: number, seed?: number): Promise<DeviceInfo[]> => {
      const p = startVirtualNow(count, seed);
      starting.add(p);
      const settled = (): void => {
        starting.delete(p);
      };
      p.then(settled, settled);
      return p;
    };
    if (o.virtual && o.virtual.count > 0) {
      await startVirtual(o.virtual.count, o.virtual.seed);
    }

    let closed: Promise<void> | undefined;
    return {
      orchestrator,
      devices,
      files,
      clock,
      vision,
      matcherPool,
      debugTargets: runners,
      async pools() {
        if (closing) {
          throw new FleetHostError('closed', 'the fleet is closed');
        }
        await pools.ensureOpen();
        return pools;
      },
      createInterpreter: (x) =>
        new RoutineInterpreter({ device: x.device, vision, clock, logger: x.logger ?? logger, routines, accounts: x.accounts, fileStore: files, runDir: x.runDir ?? `${config.dataDir}/runs` }),
      validate: () => validateWorkspaceDetailed(files, { logger }),
      startVirtualDevices: (count, opts = {}) => startVirtual(count, opts.seed),
      async stopVirtualDevices(serials) {
        if (virtual) {
          await (await virtual).remove(serials);
        }
      },
      virtualDevices: () => devices.virtualSource?.devices ?? [],
      async virtualStartsSettled() {
        while (starting.size > 0) {
          await Promise.allSettled([...starting]);
        }
      },
      async connectDevice(address, opts = {}) {
        const server = opts.server === undefined ? servers[0] : servers.find((s) => s.server === opts.server || s.server === safeFormat(opts.server!));
        if (!server) {
          throw new FleetHostError('unknown-server', opts.server === undefined ? 'the fleet has no ADB server to connect a device through' : `'${opts.server}' is not one of the fleet's ADB servers (${servers.map((s) => s.server).join(', ') || 'none'})`);
        }
        const a = parseServerAddress(address, 5555);
        await server.connect(a.host, a.port);
      },
      close: () => {
        closing = true;
        closed ??= rollback();
        return closed;
      },
    };
  } catch (e) {
    await rollback();
    throw e;
  }
}

/** `host:port` as the fleet names its servers, or the text itself when it is not an address. */
function safeFormat(server: string): string {
  try {
    return formatServerAddress(parseServerAddress(server));
  } catch {
    return server;
  }
}
