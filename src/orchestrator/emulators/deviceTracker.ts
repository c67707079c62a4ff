/**
 * Tracks the devices of one ADB server with `host:track-devices` over an adbkit connection, turning its
 * updates into typed events with immutable snapshots. When the server goes away (killed, restarted, network), every
 * device it had is reported disconnected and the tracker reconnects with exponential backoff until disposed.
 */
import { DisposableBase, Emitter, toDisposable, type Event } from '../../shared/lifecycle';
import type { Clock, Logger } from '../../shared/ports';
import type Connection from '@devicefarmer/adbkit/dist/src/adb/connection';
import Protocol from '@devicefarmer/adbkit/dist/src/adb/protocol';
import { destroyConnection, type FleetAdbClient } from '../../bot/adb/adbClient';
import { guardCall } from '../../bot/adb/callGuard';

/** A device's state as the adb server reports it, or `absent` once it left the list. */
export type DeviceState =
  | 'device'
  | 'offline'
  | 'unauthorized'
  | 'authorizing'
  | 'connecting'
  | 'recovery'
  | 'rescue'
  | 'bootloader'
  | 'sideload'
  | 'host'
  | 'no permissions'
  | 'absent'
  | 'unknown';

export interface TrackedDevice {
  /** The server's `host:port`. */
  readonly server: string;
  readonly serial: string;
  readonly state: DeviceState;
}

export interface DeviceTransition extends TrackedDevice {
  readonly previousState: DeviceState;
}

export interface DevicesSnapshot {
  readonly server: string;
  /** Whether the tracker currently has a live connection to the server. */
  readonly connected: boolean;
  readonly devices: readonly TrackedDevice[];
}

export interface ServerStateChange {
  readonly server: string;
  readonly connected: boolean;
  /** Why the connection ended or could not be made. */
  readonly error?: string;
  /** When disconnected: the delay before the next attempt. */
  readonly retryInMs?: number;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 250, maxMs: 5000, factor: 2 });

export interface DeviceTrackerOptions {
  client: FleetAdbClient;
  /** Label of the server in snapshots (`host:port`); defaults to the client's address. */
  server?: string;
  clock: Clock;
  logger: Logger;
  backoff?: Partial<BackoffOptions>;
  /** Deadline for opening the tracking connection (default 5000 ms). */
  connectTimeoutMs?: number;
}

const KNOWN_STATES = new Set<string>(['device', 'offline', 'unauthorized', 'authorizing', 'connecting', 'recovery', 'rescue', 'bootloader', 'sideload', 'host', 'no permissions']);

/** Maps the server's state word to a DeviceState (`emulator` and `device` both mean online). */
export function normalizeState(s: string | undefined): DeviceState {
  const t = (s ?? '').trim().toLowerCase();
  if (t === 'emulator') {
    return 'device';
  }
  if (t.startsWith('no permissions')) {
    return 'no permissions';
  }
  return KNOWN_STATES.has(t) ? (t as DeviceState) : 'unknown';
}

/** Parses a `host:devices` / `host:track-devices` list: one `serial<TAB>state` per line. */
export function parseDeviceList(text: string): Array<{ serial: string; state: DeviceState }> {
  const out: Array<{ serial: string; state: DeviceState }> = [];
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    const serial = (tab >= 0 ? line.slice(0, tab) : line).trim();
    if (!serial) {
      continue;
    }
    out.push({ serial, state: normalizeState(tab >= 0 ? line.slice(tab + 1) : '') });
  }
  return out;
}

/** Device tracking for one ADB server. Call {@link start}; dispose to stop. */
export class DeviceTracker extends DisposableBase {
  readonly server: string;
  private readonly client: FleetAdbClient;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly backoff: BackoffOptions;
  private readonly connectTimeoutMs: number;
  private readonly stopController = new AbortController();
  private readonly map = new Map<string, DeviceState>();
  private live = false;
  private started = false;
  private loopDone: Promise<void> = Promise.resolve();

  private readonly _onDidChangeDevices = this.register(new Emitter<DevicesSnapshot>((e) => this.listenerError(e)));
  /** After every update of the server's list (and when the server connection is lost or regained). */
  readonly onDidChangeDevices: Event<DevicesSnapshot> = this._onDidChangeDevices.event;
  private readonly _onDidConnectDevice = this.register(new Emitter<DeviceTransition>((e) => this.listenerError(e)));
  /** A device reached the `device` state (usable). */
  readonly onDidConnectDevice: Event<DeviceTransition> = this._onDidConnectDevice.event;
  private readonly _onDidDisconnectDevice = this.register(new Emitter<DeviceTransition>((e) => this.listenerError(e)));
  /** A device left the `device` state: gone, offline, or its server was lost. */
  readonly onDidDisconnectDevice: Event<DeviceTransition> = this._onDidDisconnectDevice.event;
  private readonly _onDidChangeServerState = this.register(new Emitter<ServerStateChange>((e) => this.listenerError(e)));
  /** The tracking connection to the server was made or lost. */
  readonly onDidChangeServerState: Event<ServerStateChange> = this._onDidChangeServerState.event;

  constructor(opts: DeviceTrackerOptions) {
    super();
    this.client = opts.client;
    const a = opts.client.address;
    this.server = opts.server ?? `${a.host}:${a.port}`;
    this.clock = opts.clock;
    this.logger = opts.logger.child(`adb:${this.server}`);
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.register(toDisposable(() => this.stopController.abort()));
  }

  /** Starts tracking (idempotent). Connection failures are retried in the background, never thrown. */
  start(): void {
    if (this.started || this.store.isDisposed) {
      return;
    }
    this.started = true;
    this.loopDone = this.loop();
  }

  /** Whether the server connection is live. */
  get connected(): boolean {
    return this.live;
  }

  /** The devices last reported (empty while disconnected). */
  devices(): TrackedDevice[] {
    return [...this.map].map(([serial, state]) => Object.freeze({ server: this.server, serial, state }));
  }

  /** State of one serial (`absent` when not listed). */
  stateOf(serial: string): DeviceState {
    return this.map.get(serial) ?? 'absent';
  }

  /** Stops tracking and waits for the loop to finish. */
  async stop(): Promise<void> {
    this.dispose();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    const signal = this.stopController.signal;
    let delay = this.backoff.initialMs;
    while (!signal.aborted) {
      let error: string | undefined;
      let hadSession = false;
      try {
        hadSession = await this.session(signal);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      if (hadSession) {
        delay = this.backoff.initialMs;
      }
      this.lose(error);
      if (signal.aborted) {
        break;
      }
      this.logger.log(hadSession ? 'warn' : 'debug', 'adb server connection lost; retrying', { error, retryInMs: delay });
      this._onDidChangeServerState.fire(Object.freeze({ server: this.server, connected: false, error, retryInMs: delay }));
      try {
        await this.clock.sleep(delay, signal);
      } catch {
        break;
      }
      delay = Math.min(this.backoff.maxMs, Math.max(1, delay * this.backoff.factor));
    }
  }

  /**
   * One tracking connection (`host:track-devices`): every message is the server's full device list, diffed against
   * ours. Resolves when the connection ends (true if it was established). The lists are read directly (not through
   * adbkit's Tracker, whose first update can fire before a listener can be attached).
   */
  private async session(signal: AbortSignal): Promise<boolean> {
    const conn = await guardCall({ what: `track devices on ${this.server}`, timeoutMs: this.connectTimeoutMs, signal }, async (ctx) => {
      const c: Connection = await this.client.tracked(ctx, () => this.client.connection());
      ctx.onCancel(() => destroyConnection(c));
      c.write(Protocol.encodeData('host:track-devices'));
      const reply = await c.parser.readAscii(4);
      if (reply === Protocol.FAIL) {
        await c.parser.readError();
      } else if (reply !== Protocol.OKAY) {
        await c.parser.unexpected(reply, 'OKAY or FAIL');
      }
      return c;
    });
    const onStop = () => destroyConnection(conn);
    signal.addEventListener('abort', onStop, { once: true });
    if (signal.aborted) {
      onStop();
      return false;
    }
    // adbkit's parser waits for 'end' or 'error'; a socket destroyed here only emits 'close'.
    const closed = new Promise<never>((_, reject) => {
      const socket = conn.socket;
      const fail = () => reject(new Error('the tracking connection was closed'));
      if (socket.destroyed) {
        fail();
      } else {
        socket.once('close', fail);
      }
    });
    closed.catch(() => undefined);
    this.live = true;
    this.logger.log('debug', 'tracking devices');
    this._onDidChangeServerState.fire(Object.freeze({ server: this.server, connected: true }));
    try {
      for (;;) {
        const value: Buffer = await Promise.race([conn.parser.readValue(), closed]);
        this.applyList(parseDeviceList(value.toString('utf8')));
      }
    } catch (e) {
      if (signal.aborted) {
        return true;
      }
      throw e instanceof Error && /Premature end of stream/.test(e.message) ? new Error('the adb server closed the tracking connection') : e;
    } finally {
      signal.removeEventListener('abort', onStop);
      destroyConnection(conn);
    }
  }

  private applyList(list: ReadonlyArray<{ serial: string; state: DeviceState }>): void {
    const connects: DeviceTransition[] = [];
    const disconnects: DeviceTransition[] = [];
    const seen = new Set<string>();
    for (const d of list) {
      seen.add(d.serial);
      const prev = this.map.get(d.serial) ?? 'absent';
      this.map.set(d.serial, d.state);
      this.classify(d.serial, prev, d.state, connects, disconnects);
    }
    for (const [serial, prev] of [...this.map]) {
      if (!seen.has(serial)) {
        this.map.delete(serial);
        this.classify(serial, prev, 'absent', connects, disconnects);
      }
    }
    this.publish(connects, disconnects);
  }

  private classify(serial: string, prev: DeviceState, next: DeviceState, connects: DeviceTransition[], disconnects: DeviceTransition[]): void {
    if (prev === next) {
      return;
    }
    const t = Object.freeze({ server: this.server, serial, state: next, previousState: prev });
    if (next === 'device') {
      connects.push(t);
    } else if (prev === 'device') {
      disconnects.push(t);
    }
  }

  /** The server connection ended: every device it listed is gone from our point of view. */
  private lose(error: string | undefined): void {
    const wasLive = this.live;
    this.live = false;
    const disconnects: DeviceTransition[] = [];
    for (const [serial, state] of this.map) {
      if (state === 'device') {
        disconnects.push(Object.freeze({ server: this.server, serial, state: 'absent', previousState: state }));
      }
    }
    const hadDevices = this.map.size > 0;
    this.map.clear();
    if (wasLive || hadDevices) {
      if (error) {
        this.logger.log('debug', 'device list cleared', { error });
      }
      this.publish([], disconnects);
    }
  }

  private publish(connects: DeviceTransition[], disconnects: DeviceTransition[]): void {
    this._onDidChangeDevices.fire(Object.freeze({ server: this.server, connected: this.live, devices: Object.freeze(this.devices()) }));
    for (const d of disconnects) {
      this._onDidDisconnectDevice.fire(d);
    }
    for (const c of connects) {
      this._onDidConnectDevice.fire(c);
    }
  }

  private listenerError(e: unknown): void {
    this.logger.log('error', 'device event listener failed', { error: e instanceof Error ? e.message : String(e) });
  }
}
