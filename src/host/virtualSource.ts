/**
 * Virtual devices as a device source of the fleet: in-process virtual devices behind one embedded ADB host
 * endpoint (no adb binary), opened through adbkit like any device. The host loads this module with a dynamic
 * import the first time virtual devices are started, so a fleet without them never loads src/virtual.
 */
import { AdbDevice } from '../bot/adb/adbDevice';
import type { CaptureMethodSetting } from '../bot/adb/captureSelection';
import type { OpenedDevice } from '../bot/bot';
import { InstanceRestartError } from '../bot/instanceRestart';
import { DeviceError } from '../bot/device';
import type { Event } from '../shared/lifecycle';
import type { Clock, Logger } from '../shared/ports';
import { AdbHostEndpoint } from '../virtual/hostEndpoint';
import { VirtualDevice } from '../virtual/virtualDevice';
import type { DeviceSource, SourceDevice } from './adbServerSource';

export interface VirtualSourceOptions {
  clock: Clock;
  logger: Logger;
  /** How bots capture the screens (default `raw`: the endpoint serves raw frames fastest). */
  captureMethod?: CaptureMethodSetting;
  /** How long a restarted device stays off the endpoint's list (default 250 ms). */
  rebootMs?: number;
}

export class VirtualSource implements DeviceSource {
  readonly kind = 'virtual';
  readonly listing = true;
  readonly onDidChange: Event<void>;
  private readonly list$: VirtualDevice[] = [];
  /** Seed of the next device started without an explicit seed. */
  private nextSeed = 1;

  private constructor(
    readonly endpoint: AdbHostEndpoint,
    private readonly o: VirtualSourceOptions,
  ) {
    this.onDidChange = endpoint.onDidChangeDevices;
  }

  static async start(o: VirtualSourceOptions): Promise<VirtualSource> {
    const endpoint = await AdbHostEndpoint.start({ logger: o.logger.child('adb-host') });
    return new VirtualSource(endpoint, o);
  }

  get server(): string {
    return `127.0.0.1:${this.endpoint.port}`;
  }

  /** The virtual devices, in start order (instance n of a fleet without an emulator preset is the n-th). */
  get devices(): readonly VirtualDevice[] {
    return this.list$;
  }

  /** Starts `count` devices; device i gets seed `seed + i` (default: continuing after the last one, from 1). */
  add(count: number, seed?: number): VirtualDevice[] {
    const base = seed ?? this.nextSeed;
    const added: VirtualDevice[] = [];
    for (let i = 0; i < count; i++) {
      const d = VirtualDevice.create({ seed: base + i, logger: this.o.logger.child('virtual') });
      added.push(d);
    }
    this.nextSeed = Math.max(this.nextSeed, base + count);
    this.list$.push(...added);
    for (const d of added) {
      this.endpoint.addDevice(d);
    }
    return added;
  }

  /** Stops the devices with these serials (every device when none are given). */
  async remove(serials?: readonly string[]): Promise<void> {
    const gone = serials === undefined ? [...this.list$] : this.list$.filter((d) => serials.includes(d.serial));
    for (const d of gone) {
      this.list$.splice(this.list$.indexOf(d), 1);
      this.endpoint.removeDevice(d.serial);
    }
    await Promise.all(gone.map((d) => d.close()));
  }

  deviceOf(serial: string): VirtualDevice | undefined {
    return this.list$.find((d) => d.serial === serial);
  }

  start(): void {
    // The endpoint is in-process: its list is always known.
  }

  async whenListed(): Promise<void> {
    // Always listed.
  }

  list(): SourceDevice[] {
    const listed = new Map(this.endpoint.listDevices().map((d) => [d.serial, d.state]));
    return this.list$.map((d) => {
      const state = listed.get(d.serial);
      return { serial: d.serial, state: state === 'device' ? 'online' : 'offline', model: d.properties()['ro.product.model'] };
    });
  }

  async open(serial: string, opts: { signal?: AbortSignal }): Promise<OpenedDevice> {
    if (!this.deviceOf(serial)) {
      throw new DeviceError('offline', `there is no virtual device ${serial}`, serial);
    }
    const device = await AdbDevice.connect({
      serial,
      server: { host: '127.0.0.1', port: this.endpoint.port },
      clock: this.o.clock,
      logger: this.o.logger,
      captureMethod: this.o.captureMethod ?? 'raw',
      signal: opts.signal,
      timeoutMs: 5000,
    });
    return { device, serial };
  }

  /**
   * Restarts a virtual device as an emulator reboot looks from outside: it leaves the endpoint's device list (open
   * sessions break), its app process dies, and after `rebootMs` it is listed again on the same serial, showing the
   * launcher (as a real emulator after a reboot; routines start the app from there).
   * @throws InstanceRestartError('failed') when there is no such (open) virtual device
   */
  async restart(serial: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const d = this.deviceOf(serial);
    if (!d || d.closed) {
      throw new InstanceRestartError('failed', `there is no virtual device ${serial}`);
    }
    this.o.logger.log('info', `restarting virtual device ${d.serial}`);
    this.endpoint.removeDevice(d.serial);
    try {
      d.app.forceStop(d.app.packageName);
      await this.o.clock.sleep(this.o.rebootMs ?? 250, opts.signal);
    } finally {
      if (!d.closed && this.list$.includes(d)) {
        this.endpoint.addDevice(d);
      }
    }
  }

  async close(): Promise<void> {
    await this.endpoint.close();
    await Promise.all(this.list$.splice(0).map((d) => d.close()));
  }
}
