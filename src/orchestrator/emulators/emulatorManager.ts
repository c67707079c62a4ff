/**
 * `EmulatorManager`: the fleet's view of its emulators. It tracks one or more ADB servers, maps instance numbers to
 * ADB addresses through a preset, keeps configured instances connected (`adb connect` with retry), runs launch /
 * stop command templates, and opens `AdbDevice`s for bots.
 */
import { DisposableBase, Emitter, toDisposable, waitForEvent, type Event } from '../../shared/lifecycle';
import type { Clock, Logger } from '../../shared/ports';
import { AdbDevice, type AdbDeviceOptions } from '../../bot/adb/adbDevice';
import type { FleetAdbClient } from '../../bot/adb/adbClient';
import { AdbClientPool, formatServerAddress, parseServerAddress, type AdbServerAddress } from './adbServers';
import { DeviceTracker, type BackoffOptions, type DeviceState, type DeviceTransition, type DevicesSnapshot, type ServerStateChange } from './deviceTracker';
import { instanceSerials, resolveInstance, type EmulatorKind, type InstanceAddress } from './presets';
import { expandCommand, TemplateError, validateTemplate } from './commandTemplate';
import type { ProcessResult, ProcessRunner } from './processRunner';
import { formatDuration } from '../../shared/durations';
import { FleetError } from '../../shared/errors';

export type EmulatorErrorCode = 'invalid-config' | 'unknown-instance' | 'no-command' | 'command-failed' | 'timeout' | 'aborted' | 'not-connected' | 'disposed';

export class EmulatorError extends FleetError<EmulatorErrorCode> {
  constructor(
    code: EmulatorErrorCode,
    message: string,
    readonly instance?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'EmulatorError';
  }
}

export interface RetryOptions {
  /** Connect attempts per `ensureConnected` (default 5). */
  attempts: number;
  /** Delay before the 2nd attempt; doubles each time up to `maxDelayMs` (defaults 500 / 5000). */
  initialDelayMs: number;
  maxDelayMs: number;
  /** After a connect, how long to wait for the server to list the device as `device` (default 3000). */
  settleMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({ attempts: 5, initialDelayMs: 500, maxDelayMs: 5000, settleMs: 3000 });

export interface EmulatorManagerOptions {
  kind: EmulatorKind;
  /** The instance numbers this fleet uses. */
  instances: readonly number[];
  /** For `generic`: the addresses, instance n = entry n. */
  addresses?: readonly string[];
  /** Host of the emulators as seen from the connecting server (default 127.0.0.1). */
  host?: string;
  /** ADB servers to track (`host:port` or addresses); default the local 127.0.0.1:5037. */
  servers?: ReadonlyArray<string | AdbServerAddress>;
  /** Which tracked server runs `adb connect` for the instances (default the first). */
  connectVia?: string | AdbServerAddress;
  /** `adb connect` configured instances at start and after they drop (default true). */
  autoConnect?: boolean;
  retry?: Partial<RetryOptions>;
  trackerBackoff?: Partial<BackoffOptions>;
  /** Command templates, placeholders {index} {port} {serial} {host}. */
  launchCommand?: string;
  stopCommand?: string;
  /** Deadline for a launch / stop command (default 60000 ms). */
  commandTimeoutMs?: number;
  /** Defaults for every `openDevice` (capture method, timeouts...). */
  deviceDefaults?: Partial<Omit<AdbDeviceOptions, 'serial' | 'client' | 'server'>>;
  clock: Clock;
  logger: Logger;
  processRunner: ProcessRunner;
  /** Client factory (tests); default one shared adbkit client per server. */
  clientFor?: (address: AdbServerAddress) => FleetAdbClient;
  /**
   * The device tracker of a server (`host:port`), when its owner shares it (the host's ADB server sources): the
   * manager listens to it and starts it, but does not dispose it. Servers without one get their own tracker.
   */
  trackerFor?: (server: string) => DeviceTracker | undefined;
}

/** The immutable status of one configured instance. */
export interface InstanceStatus {
  readonly instance: number;
  readonly address: InstanceAddress;
  /** `online` when some tracked server lists it as `device`. */
  readonly online: boolean;
  /** The best state seen across servers (`absent` when none lists it). */
  readonly state: DeviceState;
  /** The serial and server it is listed under, when listed. */
  readonly serial?: string;
  readonly server?: string;
}

export interface InstanceCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

const STATE_RANK: Partial<Record<DeviceState, number>> = { device: 5, authorizing: 3, unauthorized: 3, connecting: 2, offline: 1 };

export class EmulatorManager extends DisposableBase {
  private readonly opts: EmulatorManagerOptions;
  private readonly pool: AdbClientPool;
  private readonly trackers = new Map<string, DeviceTracker>();
  private readonly addresses = new Map<number, InstanceAddress>();
  private readonly connectServer: string;
  private readonly retry: RetryOptions;
  private readonly logger: Logger;
  private readonly stopController = new AbortController();
  private readonly pendingConnects = new Map<number, Promise<InstanceStatus>>();
  private started = false;

  private readonly _onDidChangeDevices = this.register(new Emitter<DevicesSnapshot>());
  /** A server's device list changed (forwarded from its tracker). */
  readonly onDidChangeDevices: Event<DevicesSnapshot> = this._onDidChangeDevices.event;
  private readonly _onDidConnectDevice = this.register(new Emitter<DeviceTransition>());
  readonly onDidConnectDevice: Event<DeviceTransition> = this._onDidConnectDevice.event;
  private readonly _onDidDisconnectDevice = this.register(new Emitter<DeviceTransition>());
  readonly onDidDisconnectDevice: Event<DeviceTransition> = this._onDidDisconnectDevice.event;
  private readonly _onDidChangeServerState = this.register(new Emitter<ServerStateChange>());
  readonly onDidChangeServerState: Event<ServerStateChange> = this._onDidChangeServerState.event;
  private readonly _onDidChangeInstances = this.register(new Emitter<readonly InstanceStatus[]>());
  /** The status of the configured instances may have changed (after every device list update). */
  readonly onDidChangeInstances: Event<readonly InstanceStatus[]> = this._onDidChangeInstances.event;

  /** @throws EmulatorError('invalid-config') for a bad address, instance or template. */
  constructor(opts: EmulatorManagerOptions) {
    super();
    this.opts = opts;
    this.logger = opts.logger.child('emulators');
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.pool = new AdbClientPool((server, err) => this.logger.log('debug', 'adb client error', { server, error: err.message }));
    this.register(toDisposable(() => this.stopController.abort()));
    try {
      const servers = (opts.servers?.length ? opts.servers : ['127.0.0.1:5037']).map((s) => (typeof s === 'string' ? parseServerAddress(s) : s));
      for (const a of servers) {
        const key = formatServerAddress(a);
        if (this.trackers.has(key)) {
          continue;
        }
        const shared = opts.trackerFor?.(key);
        const client = opts.clientFor ? opts.clientFor(a) : this.pool.get(a);
        const tracker = shared ?? this.register(new DeviceTracker({ client, server: key, clock: opts.clock, logger: this.logger, backoff: opts.trackerBackoff }));
        this.trackers.set(key, tracker);
        this.register(tracker.onDidChangeDevices((e) => this.onDevices(e)));
        this.register(tracker.onDidConnectDevice((e) => this._onDidConnectDevice.fire(e)));
        this.register(tracker.onDidDisconnectDevice((e) => this.onDisconnect(e)));
        this.register(tracker.onDidChangeServerState((e) => this._onDidChangeServerState.fire(e)));
      }
      const via = opts.connectVia === undefined ? formatServerAddress(servers[0]) : formatServerAddress(typeof opts.connectVia === 'string' ? parseServerAddress(opts.connectVia) : opts.connectVia);
      if (!this.trackers.has(via)) {
        throw new EmulatorError('invalid-config', `connectVia ${via} is not one of the tracked servers`);
      }
      this.connectServer = via;
      for (const n of new Set(opts.instances)) {
        this.addresses.set(n, resolveInstance(opts.kind, n, { host: opts.host, addresses: opts.addresses }));
      }
      for (const [name, t] of [['launchCommand', opts.launchCommand], ['stopCommand', opts.stopCommand]] as const) {
        if (t !== undefined) {
          try {
            validateTemplate(t);
          } catch (e) {
            throw new EmulatorError('invalid-config', `${name}: ${(e as Error).message}`, undefined, { cause: e });
          }
        }
      }
    } catch (e) {
      this.dispose();
      if (e instanceof EmulatorError) {
        throw e;
      }
      throw new EmulatorError('invalid-config', (e as Error).message, undefined, { cause: e });
    }
  }

  /** Starts tracking every server and, with autoConnect, connecting every configured instance (in the background). */
  start(): void {
    if (this.started || this.store.isDisposed) {
      return;
    }
    this.started = true;
    for (const t of this.trackers.values()) {
      t.start();
    }
    if (this.opts.autoConnect ?? true) {
      for (const n of this.addresses.keys()) {
        this.backgroundConnect(n);
      }
    }
  }

  /** Waits until every tracker has had its first answer from its server (or `timeoutMs` passes). */
  async whenTracking(timeoutMs = 5000): Promise<void> {
    const waits = [...this.trackers.values()]
      .filter((t) => !t.connected)
      .map((t) => waitForEvent(t.onDidChangeDevices, (e) => e.connected, timeoutMs, this.stopController.signal).catch(() => undefined));
    await Promise.all(waits);
  }

  /** The tracked servers' `host:port`. */
  servers(): string[] {
    return [...this.trackers.keys()];
  }

  /** Every device of every tracked server. */
  devices(): DevicesSnapshot[] {
    return [...this.trackers.values()].map((t) => Object.freeze({ server: t.server, connected: t.connected, devices: Object.freeze(t.devices()) }));
  }

  /** The configured instances, in instance order, with their address and state. */
  instances(): InstanceStatus[] {
    return [...this.addresses.keys()].sort((a, b) => a - b).map((n) => this.status(n));
  }

  /** The address of a configured instance. @throws EmulatorError('unknown-instance') */
  resolve(instance: number): InstanceAddress {
    const a = this.addresses.get(instance);
    if (!a) {
      throw new EmulatorError('unknown-instance', `instance ${instance} is not configured (configured: ${[...this.addresses.keys()].join(', ') || 'none'})`, instance);
    }
    return a;
  }

  /** The current status of a configured instance. @throws EmulatorError('unknown-instance') */
  status(instance: number): InstanceStatus {
    const address = this.resolve(instance);
    let best: { state: DeviceState; serial: string; server: string } | undefined;
    for (const t of this.trackers.values()) {
      for (const serial of instanceSerials(address)) {
        const state = t.stateOf(serial);
        if (state === 'absent') {
          continue;
        }
        if (!best || (STATE_RANK[state] ?? 0) > (STATE_RANK[best.state] ?? 0)) {
          best = { state, serial, server: t.server };
        }
      }
    }
    return Object.freeze({
      instance,
      address,
      online: best?.state === 'device',
      state: best?.state ?? 'absent',
      serial: best?.serial,
      server: best?.server,
    });
  }

  /**
   * Makes sure an instance is online: when it is not listed as `device`, runs `adb connect` on the connecting server
   * (TCP addresses) with retry and backoff, and waits for the tracker to list it.
   * @throws EmulatorError('not-connected' | 'timeout' | 'aborted' | 'unknown-instance')
   */
  ensureConnected(instance: number, opts: InstanceCallOptions = {}): Promise<InstanceStatus> {
    const address = this.resolve(instance);
    const now = this.status(instance);
    if (now.online) {
      return Promise.resolve(now);
    }
    if (!opts.signal && opts.timeoutMs === undefined) {
      const pending = this.pendingConnects.get(instance);
      if (pending) {
        return pending;
      }
    }
    const p = this.connectLoop(instance, address, opts);
    if (!opts.signal && opts.timeoutMs === undefined) {
      this.pendingConnects.set(instance, p);
      const clear = () => {
        if (this.pendingConnects.get(instance) === p) {
          this.pendingConnects.delete(instance);
        }
      };
      p.then(clear, clear);
    }
    return p;
  }

  private async connectLoop(instance: number, address: InstanceAddress, opts: InstanceCallOptions): Promise<InstanceStatus> {
    const signals = [this.stopController.signal, ...(opts.signal ? [opts.signal] : [])];
    const signal = AbortSignal.any(signals);
    const clock = this.opts.clock;
    const deadline = opts.timeoutMs !== undefined ? clock.now() + opts.timeoutMs : undefined;
    const left = () => (deadline === undefined ? Number.POSITIVE_INFINITY : deadline - clock.now());
    const tracker = this.trackers.get(this.connectServer)!;
    let delay = this.retry.initialDelayMs;
    let lastError = '';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (signal.aborted) {
        throw this.cutOffError(instance, opts.signal);
      }
      if (left() <= 0) {
        throw new EmulatorError('timeout', `instance ${instance} (${address.serial}) did not come online within ${formatDuration(opts.timeoutMs ?? 0)}${lastError ? `: ${lastError}` : ''}`, instance);
      }
      const st = this.status(instance);
      if (st.online) {
        return st;
      }
      // Wait for the device to show up as `device` while the connect runs (a connect can report failure while
      // the handshake still completes, and a freshly connected device is briefly `offline`).
      const attempt$ = new AbortController();
      const online = waitForEvent(
        this.onDidChangeInstances,
        () => this.status(instance).online,
        Math.max(1, Math.min(this.retry.settleMs, left())),
        AbortSignal.any([signal, attempt$.signal]),
      ).then(
        () => true,
        () => false,
      );
      try {
        if (address.port !== undefined && address.host !== undefined) {
          try {
            await this.clientOf(this.connectServer).connectDevice(address.host, address.port, { timeoutMs: Math.max(1, Math.min(10_000, left())), signal });
          } catch (e) {
            lastError = e instanceof Error ? e.message : String(e);
            this.logger.log('debug', 'adb connect failed', { instance, serial: address.serial, attempt, error: lastError });
          }
        }
        if (this.status(instance).online || (await online)) {
          return this.status(instance);
        }
      } finally {
        attempt$.abort();
      }
      if (!tracker.connected) {
        lastError ||= `adb server ${this.connectServer} is not reachable`;
      }
      if (attempt < this.retry.attempts) {
        try {
          await clock.sleep(Math.max(0, Math.min(delay, left())), signal);
        } catch {
          throw this.cutOffError(instance, opts.signal);
        }
        delay = Math.min(this.retry.maxDelayMs, delay * 2);
      }
    }
    const final = this.status(instance);
    if (final.online) {
      return final;
    }
    throw new EmulatorError('not-connected', `instance ${instance} (${address.serial}) is ${final.state} after ${this.retry.attempts} attempts${lastError ? `: ${lastError}` : ''}`, instance);
  }

  private cutOffError(instance: number, callerSignal: AbortSignal | undefined): EmulatorError {
    if (this.stopController.signal.aborted) {
      return new EmulatorError('disposed', 'the emulator manager was disposed', instance);
    }
    return new EmulatorError('aborted', `connecting instance ${instance} was aborted`, instance, { cause: callerSignal?.reason });
  }

  /** Runs the launch command template for an instance. @throws EmulatorError */
  launch(instance: number, opts: InstanceCallOptions = {}): Promise<ProcessResult> {
    return this.runTemplate('launch', this.opts.launchCommand, instance, opts);
  }

  /** Runs the stop command template for an instance. @throws EmulatorError */
  stop(instance: number, opts: InstanceCallOptions = {}): Promise<ProcessResult> {
    return this.runTemplate('stop', this.opts.stopCommand, instance, opts);
  }

  private async runTemplate(what: 'launch' | 'stop', template: string | undefined, instance: number, opts: InstanceCallOptions): Promise<ProcessResult> {
    const address = this.resolve(instance);
    if (template === undefined) {
      throw new EmulatorError('no-command', `no ${what} command is configured for ${this.opts.kind} emulators`, instance);
    }
    let cmd: { file: string; args: string[] };
    try {
      cmd = expandCommand(template, { index: instance, port: address.port, serial: address.serial, host: address.host });
    } catch (e) {
      throw new EmulatorError(e instanceof TemplateError ? 'invalid-config' : 'command-failed', `${what} command: ${(e as Error).message}`, instance, { cause: e });
    }
    const timeoutMs = opts.timeoutMs ?? this.opts.commandTimeoutMs ?? 60_000;
    const signal = AbortSignal.any([this.stopController.signal, ...(opts.signal ? [opts.signal] : [])]);
    this.logger.log('info', `${what} instance`, { instance, file: cmd.file, args: cmd.args });
    const r = await this.opts.processRunner.run(cmd.file, cmd.args, { timeoutMs, signal });
    if (r.spawnError) {
      throw new EmulatorError('command-failed', `${what} command '${cmd.file}' could not start: ${r.spawnError}`, instance);
    }
    if (r.timedOut) {
      throw new EmulatorError('timeout', `${what} command '${cmd.file}' timed out after ${formatDuration(timeoutMs)} (its timeout)`, instance);
    }
    if (r.aborted) {
      throw this.cutOffError(instance, opts.signal);
    }
    if (r.exitCode !== 0) {
      const detail = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
      throw new EmulatorError('command-failed', `${what} command '${cmd.file}' exited with ${r.exitCode}${detail ? `: ${detail}` : ''}`, instance);
    }
    return r;
  }

  /**
   * Opens a device for a bot: an instance number (connected first if needed) or a serial on any tracked server.
   * @throws EmulatorError for an unknown / unreachable instance, DeviceError from the device itself.
   */
  async openDevice(target: number | string, opts: Partial<Omit<AdbDeviceOptions, 'serial' | 'client' | 'server'>> = {}): Promise<AdbDevice> {
    if (this.store.isDisposed) {
      throw new EmulatorError('disposed', 'the emulator manager was disposed');
    }
    let serial: string;
    let server: string;
    if (typeof target === 'number') {
      const st = await this.ensureConnected(target, { timeoutMs: opts.timeoutMs, signal: opts.signal });
      serial = st.serial!;
      server = st.server!;
    } else {
      serial = target;
      const holder = [...this.trackers.values()].find((t) => t.stateOf(serial) !== 'absent');
      server = holder?.server ?? this.connectServer;
    }
    const client = this.clientOf(server);
    return AdbDevice.connect({
      clock: this.opts.clock,
      logger: this.opts.logger,
      ...this.opts.deviceDefaults,
      ...opts,
      serial,
      client,
    });
  }

  private clientOf(server: string): FleetAdbClient {
    const address = parseServerAddress(server);
    return this.opts.clientFor ? this.opts.clientFor(address) : this.pool.get(address);
  }

  private onDevices(e: DevicesSnapshot): void {
    this._onDidChangeDevices.fire(e);
    this._onDidChangeInstances.fire(Object.freeze(this.instances()));
  }

  private onDisconnect(e: DeviceTransition): void {
    this._onDidDisconnectDevice.fire(e);
    if (!(this.opts.autoConnect ?? true) || this.store.isDisposed) {
      return;
    }
    for (const [n, a] of this.addresses) {
      if (instanceSerials(a).includes(e.serial) && e.server === this.connectServer) {
        this.backgroundConnect(n);
      }
    }
  }

  private backgroundConnect(instance: number): void {
    this.ensureConnected(instance).then(
      (st) => this.logger.log('debug', 'instance online', { instance, serial: st.serial }),
      (e: unknown) => {
        if (!(e instanceof EmulatorError && e.code === 'disposed')) {
          this.logger.log('warn', 'instance could not be connected', { instance, error: e instanceof Error ? e.message : String(e) });
        }
      },
    );
  }

  /** Stops tracking and every pending connect; open devices stay open (their owners close them). */
  override dispose(): void {
    super.dispose();
    this.pool.dispose();
  }
}

