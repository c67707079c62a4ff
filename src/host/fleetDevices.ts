/**
 * The fleet's devices: one composite DeviceProvider over its sources (the virtual devices when started, one source
 * per ADB server, and the emulator preset), and the device listing the views show.
 *
 * Instance resolution, in order: an emulator preset maps numeric instances; else virtual devices map `1..N` by
 * position; else instance n is the n-th device (by serial) of the first ADB server. Any other instance key is a
 * serial, looked up in every source (virtual devices first, then the servers in their configured order).
 */
import type { OpenedDevice } from '../bot/bot';
import { InstanceRestartError } from '../bot/instanceRestart';
import { DeviceError } from '../bot/device';
import type { DeviceProvider, InstanceProbe } from '../orchestrator/botGroup';
import type { DeviceInfo, InstanceAssignmentInfo, InstanceKey, LatencySummary } from '../shared/fleetTypes';
import { Emitter, type Disposable, type Event } from '../shared/lifecycle';
import type { Logger } from '../shared/ports';
import type { AdbServerSource, DeviceSource, SourceDevice } from './adbServerSource';
import type { EmulatorPreset } from './emulatorPreset';
import type { VirtualSource } from './virtualSource';

/** How long a status or open waits for an ADB server's first device list. */
const FIRST_LIST_TIMEOUT_MS = 5000;

/**
 * What the listing learns from the rest of the fleet: who holds a device (the orchestrator's instance registry) and
 * the latency of the bot driving it. The host binds it once the orchestrator exists.
 */
export interface DeviceUsage {
  /** The run holding this instance key or serial. */
  holderOf(key: InstanceKey): InstanceAssignmentInfo | undefined;
  /** Figures of the bots driving devices now, by device serial. */
  drivers(): ReadonlyMap<string, { capture?: LatencySummary; input?: LatencySummary; captureMethod?: 'raw' | 'png' }>;
}

interface Resolved {
  source: DeviceSource;
  serial: string;
}

export class FleetDevices implements DeviceProvider {
  private virtual: VirtualSource | undefined;
  private usage: DeviceUsage | undefined;
  private started = false;
  private closed = false;
  private readonly subscriptions: Disposable[] = [];
  private readonly _onDidChange = new Emitter<readonly DeviceInfo[]>((e) => this.logger.log('warn', 'a device listener threw', { error: String(e) }));
  private readonly _onDidChangeInstances = new Emitter<unknown>();
  /** Instances may have come or gone (a group waiting for instances re-checks). */
  readonly onDidChangeInstances: Event<unknown> = this._onDidChangeInstances.event;

  constructor(
    private readonly servers: readonly AdbServerSource[],
    private readonly preset: EmulatorPreset | undefined,
    private readonly logger: Logger,
  ) {
    for (const s of servers) {
      this.subscriptions.push(s.onDidChange(() => this.changed()));
    }
    if (preset) {
      this.subscriptions.push(preset.manager.onDidChangeInstances(() => this._onDidChangeInstances.fire(undefined)));
    }
  }

  /**
   * The device list changed (a device came, went or changed state, a group took or let go of one). Subscribing
   * starts watching the ADB servers.
   */
  readonly onDidChangeDevices: Event<readonly DeviceInfo[]> = (listener) => {
    this.start();
    return this._onDidChange.event(listener);
  };

  /** Every device of every source now (starts watching the ADB servers: the first call may list none yet). */
  list(): DeviceInfo[] {
    this.start();
    const instances = this.instanceKeys();
    const drivers = this.usage?.drivers();
    const out: DeviceInfo[] = [];
    const add = (source: DeviceSource, d: SourceDevice) => {
      const info: DeviceInfo = { serial: d.serial, source: source.kind, server: source.server, state: d.state };
      const instance = instances.get(`${source.server}\n${d.serial}`);
      if (instance !== undefined) {
        info.instance = instance;
      }
      if (d.model !== undefined) {
        info.model = d.model;
      }
      const held = (instance !== undefined ? this.usage?.holderOf(instance) : undefined) ?? this.usage?.holderOf(d.serial);
      if (held) {
        info.heldBy = { group: held.group, orchestrationId: held.orchestrationId, instance: held.instance };
      }
      const driver = drivers?.get(d.serial);
      if (driver?.capture) {
        info.capture = driver.capture;
      }
      if (driver?.input) {
        info.input = driver.input;
      }
      if (driver?.captureMethod) {
        info.captureMethod = driver.captureMethod;
      }
      out.push(info);
    };
    for (const source of this.sources()) {
      for (const d of source.list()) {
        add(source, d);
      }
    }
    return out;
  }

  /**
   * Waits until every ADB server has listed its devices (and named their models), at most `timeoutMs`; true when
   * every one answered.
   */
  async listed(timeoutMs: number): Promise<boolean> {
    this.start();
    await Promise.all(this.servers.map((s) => s.whenListed(timeoutMs)));
    await Promise.all(this.servers.map((s) => s.modelsKnown()));
    return this.servers.every((s) => s.listing);
  }

  /** The virtual devices' source, once virtual devices were started. */
  get virtualSource(): VirtualSource | undefined {
    return this.virtual;
  }

  /** Adds the virtual devices' source (the host does, the first time virtual devices start). */
  attachVirtual(source: VirtualSource): void {
    this.virtual = source;
    this.subscriptions.push(source.onDidChange(() => this.changed()));
    this.changed();
  }

  /** Lets the listing name holders and drivers (the host binds the orchestrator). */
  bindUsage(usage: DeviceUsage): void {
    this.usage = usage;
  }

  /** Tells listeners the list (or who holds a device) may have changed. */
  changed(): void {
    if (this.closed) {
      return;
    }
    this._onDidChangeInstances.fire(undefined);
    if (this._onDidChange.hasListeners) {
      this._onDidChange.fire(Object.freeze(this.list()));
    }
  }

  async status(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<InstanceProbe> {
    if (this.preset && !opts.serial && isNumeric(instance)) {
      return this.preset.status(instance);
    }
    let r: Resolved | undefined;
    try {
      r = await this.resolve(instance, opts.serial, opts.signal);
    } catch {
      return { instance, state: 'unknown' };
    }
    if (!r) {
      return { instance, state: 'unknown' };
    }
    const d = r.source.list().find((x) => x.serial === r.serial);
    return { instance, state: !d ? 'unknown' : d.state === 'online' ? 'online' : 'offline', serial: r.serial };
  }

  async isOnline(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<boolean> {
    return (await this.status(instance, opts)).state === 'online';
  }

  async open(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<OpenedDevice> {
    if (this.preset && !opts.serial && isNumeric(instance)) {
      return this.preset.open(instance, { signal: opts.signal });
    }
    const r = await this.resolve(instance, opts.serial, opts.signal);
    if (r) {
      return r.source.open(r.serial, { signal: opts.signal });
    }
    const serial = opts.serial ?? (isNumeric(instance) ? undefined : instance);
    if (serial !== undefined && this.servers.length > 0) {
      // Not listed (yet): the first server may still reach it; its error names the problem.
      return this.servers[0].open(serial, { signal: opts.signal });
    }
    throw new DeviceError('offline', this.sources().length === 0 ? `no device source can serve instance ${instance}: the fleet has no ADB server and no virtual device` : `no device source has a device for instance ${instance}`);
  }

  /**
   * Restarts the device of an instance: a virtual device reboots; an emulator of the preset is stopped and launched
   * with its commands.
   * @throws InstanceRestartError('unsupported') for a device no source can restart.
   */
  async restart(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<void> {
    if (this.preset && isNumeric(instance)) {
      return this.preset.restart(instance, { signal: opts.signal });
    }
    const r = await this.resolve(instance, opts.serial, opts.signal);
    if (r && r.source === this.virtual) {
      return this.virtual.restart(r.serial, { signal: opts.signal });
    }
    throw new InstanceRestartError('unsupported', `instance ${instance} is not an emulator of a configured preset: it cannot be restarted`);
  }

  /** Stops watching the servers (the sources themselves are closed by the host). */
  close(): void {
    this.closed = true;
    for (const s of this.subscriptions.splice(0)) {
      s.dispose();
    }
    this._onDidChange.dispose();
    this._onDidChangeInstances.dispose();
  }

  private sources(): DeviceSource[] {
    return this.virtual ? [this.virtual, ...this.servers] : [...this.servers];
  }

  private start(): void {
    if (this.started || this.closed) {
      return;
    }
    this.started = true;
    for (const s of this.servers) {
      s.start();
    }
    if (this.preset) {
      void this.preset.ready().catch((e: unknown) => this.logger.log('warn', `tracking the emulators failed: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  /** The source and serial an instance (or an explicit serial) names, or undefined when no source lists it. */
  private async resolve(instance: InstanceKey, serial: string | undefined, signal?: AbortSignal): Promise<Resolved | undefined> {
    this.start();
    if (serial === undefined && isNumeric(instance)) {
      const n = Number(instance);
      if (this.virtual && this.virtual.devices.length > 0) {
        const d = this.virtual.devices[n - 1];
        return d ? { source: this.virtual, serial: d.serial } : undefined;
      }
      const first = this.servers[0];
      if (!first) {
        return undefined;
      }
      await first.whenListed(FIRST_LIST_TIMEOUT_MS);
      const list = first.listing ? first.list() : await first.query(signal);
      const d = list[n - 1];
      return d ? { source: first, serial: d.serial } : undefined;
    }
    const wanted = serial ?? instance;
    if (this.virtual?.deviceOf(wanted)) {
      return { source: this.virtual, serial: wanted };
    }
    for (const s of this.servers) {
      await s.whenListed(FIRST_LIST_TIMEOUT_MS);
      if (s.list().some((d) => d.serial === wanted)) {
        return { source: s, serial: wanted };
      }
    }
    return undefined;
  }

  /** `server\nserial` → the numeric instance key that resolves to that device. */
  private instanceKeys(): Map<string, InstanceKey> {
    if (this.preset) {
      return this.preset.listedInstances();
    }
    const out = new Map<string, InstanceKey>();
    if (this.virtual && this.virtual.devices.length > 0) {
      const v = this.virtual;
      v.devices.forEach((d, i) => out.set(`${v.server}\n${d.serial}`, String(i + 1)));
    } else if (this.servers[0]) {
      const first = this.servers[0];
      first.list().forEach((d, i) => out.set(`${first.server}\n${d.serial}`, String(i + 1)));
    }
    return out;
  }
}

function isNumeric(instance: InstanceKey): boolean {
  return /^\d+$/.test(instance);
}
