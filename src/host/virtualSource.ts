/**
 * Virtual devices as a device source of the fleet: virtual devices behind one embedded ADB host endpoint (no adb
 * binary), opened through adbkit like any device. The host loads this module the first time virtual devices are
 * started, so a fleet without them never loads src/virtual.
 *
 * The devices run on this thread (the default: tests reach their game and faults through `VirtualDeviceRef.local`)
 * or, with `worker`, in a worker thread: the extension and the CLI do, so rendering the devices' screens and writing
 * their frames load another core and another heap, not the event loop that runs the bots, the views and the editor.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AdbDevice } from '../bot/adb/adbDevice';
import type { CaptureMethodSetting } from '../bot/adb/captureSelection';
import type { OpenedDevice } from '../bot/bot';
import { InstanceRestartError } from '../bot/instanceRestart';
import { DeviceError } from '../bot/device';
import { findWorkerEntry, type WorkerEntry } from '../bot/workerEntry';
import { FleetError } from '../shared/errors';
import { Emitter, type Disposable, type Event } from '../shared/lifecycle';
import type { Clock, Logger } from '../shared/ports';
import type { DeviceSource, SourceDevice } from './adbServerSource';
import { refOf, VirtualDeviceHost, type VirtualDeviceRef, type VirtualListing, type VirtualWorkerMessage, type VirtualWorkerRequest } from './virtualDeviceHost';

export type { VirtualDeviceRef } from './virtualDeviceHost';

export interface VirtualSourceOptions {
  clock: Clock;
  logger: Logger;
  /** How bots capture the screens (default `raw`: the endpoint serves raw frames fastest). */
  captureMethod?: CaptureMethodSetting;
  /** How long a restarted device stays off the endpoint's list (default 250 ms). */
  rebootMs?: number;
  /** Run the devices in a worker thread (default: on this thread). */
  worker?: boolean;
  /** The worker's script (tests); default `virtualDevicesWorker.js` beside this code, or the TypeScript source. */
  workerEntry?: WorkerEntry;
}

export class VirtualSourceError extends FleetError<'worker-failed' | 'closed'> {
  constructor(code: VirtualSourceError['code'], message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'VirtualSourceError';
  }
}

/** Where the devices run: this thread or a worker. */
interface Backend {
  readonly port: number;
  /** The endpoint's list changed, or the backend died. */
  readonly onDidChange: Event<void>;
  /** Why the backend can no longer serve (its worker died), or undefined. */
  readonly dead: string | undefined;
  add(seeds: number[]): Promise<VirtualDeviceRef[]>;
  remove(serials?: readonly string[]): Promise<void>;
  unlist(serial: string): Promise<boolean>;
  relist(serial: string): Promise<void>;
  listing(): VirtualListing;
  close(): Promise<void>;
}

export class VirtualSource implements DeviceSource {
  readonly kind = 'virtual';
  readonly listing = true;
  private readonly _onDidChange = new Emitter<void>();
  readonly onDidChange: Event<void> = this._onDidChange.event;
  private readonly refs: VirtualDeviceRef[] = [];
  private readonly sub: Disposable;
  /** Seed of the next device started without an explicit seed. */
  private nextSeed = 1;

  private constructor(
    private readonly backend: Backend,
    private readonly o: VirtualSourceOptions,
  ) {
    this.sub = backend.onDidChange(() => {
      if (backend.dead !== undefined && this.refs.length > 0) {
        this.refs.splice(0);
      }
      this._onDidChange.fire();
    });
  }

  static async start(o: VirtualSourceOptions): Promise<VirtualSource> {
    const backend = o.worker ? await WorkerBackend.start(o.workerEntry ?? resolveWorkerEntry(), o.logger) : new LocalBackend(await VirtualDeviceHost.start(o.logger));
    return new VirtualSource(backend, o);
  }

  get server(): string {
    return `127.0.0.1:${this.backend.port}`;
  }

  /** The endpoint's port (adb clients reach the devices there: `adb -P <port> devices`). */
  get port(): number {
    return this.backend.port;
  }

  /** The virtual devices, in start order (instance n of a fleet without an emulator preset is the n-th). */
  get devices(): readonly VirtualDeviceRef[] {
    return this.refs;
  }

  /** Starts `count` devices; device i gets seed `seed + i` (default: continuing after the last one, from 1). */
  async add(count: number, seed?: number): Promise<VirtualDeviceRef[]> {
    const base = seed ?? this.nextSeed;
    this.nextSeed = Math.max(this.nextSeed, base + count);
    const added = await this.backend.add(Array.from({ length: count }, (_, i) => base + i));
    this.refs.push(...added);
    this._onDidChange.fire();
    return added;
  }

  /** Stops the devices with these serials (every device when none are given). */
  async remove(serials?: readonly string[]): Promise<void> {
    const gone = serials === undefined ? [...this.refs] : this.refs.filter((d) => serials.includes(d.serial));
    for (const d of gone) {
      this.refs.splice(this.refs.indexOf(d), 1);
    }
    if (gone.length > 0) {
      this._onDidChange.fire();
      await this.backend.remove(gone.map((d) => d.serial));
    }
  }

  deviceOf(serial: string): VirtualDeviceRef | undefined {
    return this.refs.find((d) => d.serial === serial);
  }

  start(): void {
    // The endpoint's list is always known here.
  }

  async whenListed(): Promise<void> {
    // Always listed.
  }

  list(): SourceDevice[] {
    const listed = new Map(this.backend.listing().map((d) => [d.serial, d.state]));
    return this.refs.map((d) => ({ serial: d.serial, state: listed.get(d.serial) === 'device' ? 'online' : 'offline', model: d.model }));
  }

  async open(serial: string, opts: { signal?: AbortSignal }): Promise<OpenedDevice> {
    if (!this.deviceOf(serial)) {
      throw new DeviceError('offline', `there is no virtual device ${serial}`, serial);
    }
    const device = await AdbDevice.connect({
      serial,
      server: { host: '127.0.0.1', port: this.backend.port },
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
    if (!d || !(await this.backend.unlist(serial).catch(() => false))) {
      throw new InstanceRestartError('failed', `there is no virtual device ${serial}`);
    }
    this.o.logger.log('info', `restarting virtual device ${serial}`);
    try {
      await this.o.clock.sleep(this.o.rebootMs ?? 250, opts.signal);
    } finally {
      if (this.refs.includes(d)) {
        await this.backend.relist(serial).catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    this.refs.splice(0);
    this.sub.dispose();
    await this.backend.close();
    this._onDidChange.dispose();
  }
}

class LocalBackend implements Backend {
  readonly dead = undefined;
  readonly onDidChange: Event<void>;

  constructor(private readonly host: VirtualDeviceHost) {
    this.onDidChange = host.endpoint.onDidChangeDevices;
  }

  get port(): number {
    return this.host.port;
  }

  async add(seeds: number[]): Promise<VirtualDeviceRef[]> {
    return this.host.add(seeds).map((d) => refOf(d, true));
  }

  remove(serials?: readonly string[]): Promise<void> {
    return this.host.remove(serials);
  }

  async unlist(serial: string): Promise<boolean> {
    return this.host.unlist(serial);
  }

  async relist(serial: string): Promise<void> {
    this.host.relist(serial);
  }

  listing(): VirtualListing {
    return this.host.listing();
  }

  close(): Promise<void> {
    return this.host.close();
  }
}

/**
 * The virtual devices' worker: `virtualDevicesWorker.js` beside this code when bundled; from TypeScript sources,
 * `virtualWorker.ts` through tsx.
 */
export function resolveWorkerEntry(dir: string = __dirname): WorkerEntry {
  const entry = findWorkerEntry(dir, 'virtualDevicesWorker.js', 'virtualWorker.ts');
  if (!entry) {
    throw new VirtualSourceError('worker-failed', `the virtual devices' worker is missing: neither ${path.join(dir, 'virtualDevicesWorker.js')} nor ${path.join(dir, 'virtualWorker.ts')} exists`);
  }
  return entry;
}

/** How long closing waits for the worker to stop its devices before it is terminated. */
const CLOSE_TIMEOUT_MS = 5000;

class WorkerBackend implements Backend {
  private readonly _onDidChange = new Emitter<void>();
  readonly onDidChange: Event<void> = this._onDidChange.event;
  private listed: VirtualListing = [];
  private readonly pending = new Map<number, { resolve: (m: Extract<VirtualWorkerMessage, { type: 'reply' }>) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private deadReason: string | undefined;
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    readonly port: number,
    private readonly logger: Logger,
  ) {
    worker.on('message', (m: VirtualWorkerMessage) => this.onMessage(m));
    worker.on('error', (e: Error) => this.die(`the virtual devices' worker failed: ${e.message}`));
    worker.on('exit', (code) => this.die(`the virtual devices' worker exited (code ${code})`));
  }

  static async start(entry: WorkerEntry, logger: Logger): Promise<WorkerBackend> {
    const worker = new Worker(entry.filename, { eval: entry.eval });
    const early: VirtualWorkerMessage[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      const onMessage = (m: VirtualWorkerMessage): void => {
        if (m.type === 'ready') {
          done();
          resolve(m.port);
        } else if (m.type === 'start-failed') {
          done();
          void worker.terminate();
          reject(new VirtualSourceError('worker-failed', `the virtual devices could not start: ${m.message}`));
        } else {
          early.push(m);
        }
      };
      const onError = (e: Error): void => {
        done();
        reject(new VirtualSourceError('worker-failed', `the virtual devices' worker failed to start: ${e.message}`, { cause: e }));
      };
      const onExit = (code: number): void => {
        done();
        reject(new VirtualSourceError('worker-failed', `the virtual devices' worker exited while starting (code ${code})`));
      };
      const done = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
    const backend = new WorkerBackend(worker, port, logger);
    for (const m of early) {
      backend.onMessage(m);
    }
    logger.log('debug', `virtual devices run in a worker thread (endpoint 127.0.0.1:${port})`);
    return backend;
  }

  get dead(): string | undefined {
    return this.deadReason;
  }

  async add(seeds: number[]): Promise<VirtualDeviceRef[]> {
    return (await this.request({ type: 'add', seeds })).devices ?? [];
  }

  async remove(serials?: readonly string[]): Promise<void> {
    await this.request({ type: 'remove', ...(serials ? { serials: [...serials] } : {}) });
  }

  async unlist(serial: string): Promise<boolean> {
    return (await this.request({ type: 'unlist', serial })).unlisted === true;
  }

  async relist(serial: string): Promise<void> {
    await this.request({ type: 'relist', serial });
  }

  listing(): VirtualListing {
    return this.listed;
  }

  async close(): Promise<void> {
    if (this.closing) {
      return;
    }
    this.closing = true;
    if (this.deadReason === undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.request({ type: 'close' }).catch((e: unknown) => this.logger.log('warn', `stopping the virtual devices: ${e instanceof Error ? e.message : String(e)}`)),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            this.logger.log('warn', `the virtual devices did not stop within ${CLOSE_TIMEOUT_MS / 1000} s: their worker is terminated`);
            resolve();
          }, CLOSE_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    await this.worker.terminate();
    this._onDidChange.dispose();
  }

  private request(r: DistributiveOmit<VirtualWorkerRequest, 'id'>): Promise<Extract<VirtualWorkerMessage, { type: 'reply' }>> {
    if (this.deadReason !== undefined) {
      return Promise.reject(new VirtualSourceError('worker-failed', this.deadReason));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (m) => (m.error !== undefined ? reject(new VirtualSourceError('worker-failed', m.error)) : resolve(m)),
        reject,
      });
      this.worker.postMessage({ ...r, id } as VirtualWorkerRequest);
    });
  }

  private onMessage(m: VirtualWorkerMessage): void {
    switch (m.type) {
      case 'listed':
        this.listed = m.devices;
        this._onDidChange.fire();
        return;
      case 'log': {
        let l = this.logger;
        for (const s of m.source) {
          l = l.child(s);
        }
        l.log(m.level, m.message, m.data);
        return;
      }
      case 'reply': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m);
        return;
      }
      default:
        return;
    }
  }

  private die(reason: string): void {
    if (this.deadReason !== undefined) {
      return;
    }
    this.deadReason = reason;
    if (!this.closing) {
      this.logger.log('error', `${reason}: its virtual devices are gone`);
    }
    for (const p of this.pending.values()) {
      p.reject(new VirtualSourceError(this.closing ? 'closed' : 'worker-failed', reason));
    }
    this.pending.clear();
    this.listed = [];
    if (!this.closing) {
      this._onDidChange.fire();
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
