/**
 * One ADB server as a device source of the fleet: its device list (tracked with `host:track-devices`, started on
 * first use), the models of its devices, its devices opened as AdbDevices, and `adb connect` through it.
 */
import { AdbDevice } from '../bot/adb/adbDevice';
import { FleetAdbClient } from '../bot/adb/adbClient';
import type { CaptureMethodSetting } from '../bot/adb/captureSelection';
import type { OpenedDevice } from '../bot/bot';
import { DeviceError } from '../bot/device';
import { formatServerAddress, parseServerAddress, type AdbServerAddress } from '../orchestrator/emulators/adbServers';
import { DeviceTracker, type BackoffOptions, type DeviceState } from '../orchestrator/emulators/deviceTracker';
import type { DeviceInfo } from '../shared/fleetTypes';
import { Emitter, waitForEvent, type Event } from '../shared/lifecycle';
import type { Clock, Logger } from '../shared/ports';

/** A device as its source lists it. */
export interface SourceDevice {
  serial: string;
  state: DeviceInfo['state'];
  model?: string;
}

/** What the fleet's composite device provider needs from each source (an ADB server, the virtual devices). */
export interface DeviceSource {
  readonly kind: DeviceInfo['source'];
  /** `host:port` of the ADB server (for virtual devices: the embedded endpoint). */
  readonly server: string;
  /** The list or a state may have changed. */
  readonly onDidChange: Event<void>;
  /** Starts watching the devices (idempotent). */
  start(): void;
  /** Waits, at most `timeoutMs`, until the source has listed its devices once (or failed to reach its server). */
  whenListed(timeoutMs: number): Promise<void>;
  /** Whether the list is known (the source answered). */
  readonly listing: boolean;
  /** The devices listed now. */
  list(): SourceDevice[];
  open(serial: string, opts: { signal?: AbortSignal }): Promise<OpenedDevice>;
  close(): Promise<void>;
}

/** How the fleet shows an ADB device state. */
export function deviceInfoState(s: DeviceState): DeviceInfo['state'] {
  switch (s) {
    case 'device':
      return 'online';
    case 'offline':
      return 'offline';
    case 'unauthorized':
    case 'authorizing':
      return 'unauthorized';
    default:
      return 'unknown';
  }
}

export interface AdbServerSourceOptions {
  clock: Clock;
  logger: Logger;
  captureMethod?: CaptureMethodSetting;
  trackerBackoff?: Partial<BackoffOptions>;
}

export class AdbServerSource implements DeviceSource {
  readonly kind = 'adb';
  readonly address: AdbServerAddress;
  readonly server: string;
  readonly client: FleetAdbClient;
  readonly tracker: DeviceTracker;
  private readonly logger: Logger;
  private readonly models = new Map<string, string>();
  private modelQuery: Promise<void> | undefined;
  private readonly _onDidChange = new Emitter<void>();
  readonly onDidChange: Event<void> = this._onDidChange.event;
  private readonly subscriptions: Array<{ dispose(): void }>;
  /** The last attempt to reach the server failed (the tracker keeps retrying). */
  private unreachable = false;

  /** @throws AddressError for a malformed `host:port`. */
  constructor(
    server: string,
    private readonly o: AdbServerSourceOptions,
  ) {
    this.address = parseServerAddress(server);
    this.server = formatServerAddress(this.address);
    this.logger = o.logger.child(`adb:${this.server}`);
    this.client = new FleetAdbClient(this.address, (err) => this.logger.log('debug', 'adb client error', { error: err.message }));
    this.tracker = new DeviceTracker({ client: this.client, server: this.server, clock: o.clock, logger: o.logger, backoff: o.trackerBackoff });
    this.subscriptions = [
      this.tracker.onDidChangeDevices(() => {
        this.fetchModels();
        this._onDidChange.fire();
      }),
      this.tracker.onDidChangeServerState((e) => {
        this.unreachable = !e.connected;
      }),
    ];
  }

  start(): void {
    this.tracker.start();
  }

  get listing(): boolean {
    return this.tracker.connected;
  }

  async whenListed(timeoutMs: number): Promise<void> {
    this.start();
    if (this.tracker.connected || this.unreachable) {
      return;
    }
    const done = new AbortController();
    await Promise.race([
      waitForEvent(this.tracker.onDidChangeDevices, (e) => e.connected, timeoutMs, done.signal),
      waitForEvent(this.tracker.onDidChangeServerState, (e) => !e.connected, timeoutMs, done.signal),
    ]).catch(() => undefined);
    done.abort();
  }

  /** Resolves once the models of the devices listed so far are asked (never rejects). */
  modelsKnown(): Promise<void> {
    return this.modelQuery ?? Promise.resolve();
  }

  list(): SourceDevice[] {
    return this.tracker
      .devices()
      .map((d) => ({ serial: d.serial, state: deviceInfoState(d.state), model: this.models.get(d.serial) }))
      .sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
  }

  /** The server's list asked now (when the tracker has not answered yet). */
  async query(signal?: AbortSignal): Promise<SourceDevice[]> {
    const list = await this.client.devicesLong({ timeoutMs: 5000, signal });
    return list.map((d) => ({ serial: d.serial, state: deviceInfoState(d.state === 'emulator' ? 'device' : (d.state as DeviceState)), model: d.model })).sort((a, b) => (a.serial < b.serial ? -1 : 1));
  }

  open(serial: string, opts: { signal?: AbortSignal }): Promise<OpenedDevice> {
    return AdbDevice.connect({ serial, client: this.client, clock: this.o.clock, logger: this.o.logger, captureMethod: this.o.captureMethod, signal: opts.signal, timeoutMs: 10_000 }).then((device) => ({ device, serial }));
  }

  /**
   * `adb connect host:port` through this server, then waits (within `timeoutMs`, default 10 s) until the server
   * lists the device as usable.
   * @throws DeviceError('offline') when the connect fails or the device does not come online in time.
   */
  async connect(host: string, port: number, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    this.start();
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const serial = formatServerAddress({ host, port });
    const online = waitForEvent(this.tracker.onDidChangeDevices, () => this.tracker.stateOf(serial) === 'device', timeoutMs, opts.signal);
    online.catch(() => undefined);
    await this.client.connectDevice(host, port, { timeoutMs, signal: opts.signal });
    if (this.tracker.stateOf(serial) !== 'device') {
      try {
        await online;
      } catch {
        throw new DeviceError('offline', `the adb server at ${this.server} connected ${serial} but lists it as ${this.tracker.stateOf(serial)}`, serial);
      }
    }
    return serial;
  }

  async close(): Promise<void> {
    for (const sub of this.subscriptions) {
      sub.dispose();
    }
    this._onDidChange.dispose();
    await this.tracker.stop();
  }

  /** Asks the server once for the models of online devices it has not named yet (`host:devices-l`). */
  private fetchModels(): void {
    if (this.modelQuery || !this.tracker.devices().some((d) => d.state === 'device' && !this.models.has(d.serial))) {
      return;
    }
    this.modelQuery = this.client
      .devicesLong({ timeoutMs: 5000 })
      .then((list) => {
        let learned = false;
        for (const d of list) {
          if (d.model && this.models.get(d.serial) !== d.model) {
            this.models.set(d.serial, d.model);
            learned = true;
          }
        }
        if (learned) {
          this._onDidChange.fire();
        }
      })
      .catch((e: unknown) => this.logger.log('debug', 'listing device models failed', { error: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        this.modelQuery = undefined;
      });
  }
}
