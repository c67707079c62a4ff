/**
 * The virtual devices and the embedded ADB host endpoint that serves them: what runs either on the fleet's own
 * thread (tests reach the device objects) or in a worker thread (`virtualWorker.ts`: the extension and the CLI, so
 * that rendering frames and writing them to sockets stay off the thread that runs the bots).
 */
import type { Logger } from '../shared/ports';
import { AdbHostEndpoint } from '../virtual/hostEndpoint';
import { VirtualDevice } from '../virtual/virtualDevice';

/** A started virtual device, as the fleet names it. */
export interface VirtualDeviceRef {
  readonly serial: string;
  readonly model: string;
  /** The device object, when the devices run on this thread (tests reach its game and faults); unset in a worker. */
  readonly local?: VirtualDevice;
}

/** Serial and state of each device the endpoint lists now (`device` when it answers, `offline` otherwise). */
export type VirtualListing = readonly { serial: string; state: string }[];

export class VirtualDeviceHost {
  private readonly list$: VirtualDevice[] = [];

  private constructor(
    readonly endpoint: AdbHostEndpoint,
    private readonly logger: Logger,
  ) {}

  static async start(logger: Logger): Promise<VirtualDeviceHost> {
    return new VirtualDeviceHost(await AdbHostEndpoint.start({ logger: logger.child('adb-host') }), logger);
  }

  get port(): number {
    return this.endpoint.port;
  }

  get devices(): readonly VirtualDevice[] {
    return this.list$;
  }

  /** Starts devices with these seeds and lists them on the endpoint. */
  add(seeds: readonly number[]): VirtualDevice[] {
    const added = seeds.map((seed) => VirtualDevice.create({ seed, logger: this.logger.child('virtual') }));
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

  /** The first half of a reboot: the device leaves the endpoint's list (open sessions break) and its app dies. */
  unlist(serial: string): boolean {
    const d = this.list$.find((x) => x.serial === serial);
    if (!d || d.closed) {
      return false;
    }
    this.endpoint.removeDevice(serial);
    d.app.forceStop(d.app.packageName);
    return true;
  }

  /** The second half: listed again on the same serial, when it was not stopped meanwhile. */
  relist(serial: string): void {
    const d = this.list$.find((x) => x.serial === serial);
    if (d && !d.closed) {
      this.endpoint.addDevice(d);
    }
  }

  listing(): VirtualListing {
    return this.endpoint.listDevices().map((d) => ({ serial: d.serial, state: d.state }));
  }

  async close(): Promise<void> {
    await this.endpoint.close();
    await Promise.all(this.list$.splice(0).map((d) => d.close()));
  }
}

export function refOf(d: VirtualDevice, local: boolean): VirtualDeviceRef {
  const model = d.properties()['ro.product.model'] ?? 'virtual';
  return local ? { serial: d.serial, model, local: d } : { serial: d.serial, model };
}

/** What the fleet asks of the worker that runs its virtual devices (each request is answered once by its id). */
export type VirtualWorkerRequest =
  | { id: number; type: 'add'; seeds: number[] }
  | { id: number; type: 'remove'; serials?: string[] }
  | { id: number; type: 'unlist'; serial: string }
  | { id: number; type: 'relist'; serial: string }
  | { id: number; type: 'close' };

/** What the worker tells the fleet: `ready` once, `listed` on every change of the endpoint's list, `log`, replies. */
export type VirtualWorkerMessage =
  | { type: 'ready'; port: number }
  | { type: 'start-failed'; message: string }
  | { type: 'listed'; devices: VirtualListing }
  | { type: 'log'; level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; source: string[]; message: string; data?: Record<string, unknown> }
  | { type: 'reply'; id: number; devices?: { serial: string; model: string }[]; unlisted?: boolean; error?: string };
