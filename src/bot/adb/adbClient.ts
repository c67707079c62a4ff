/**
 * The adbkit client we use everywhere: adbkit's `Client`, with two changes.
 * - It never spawns an adb server. adbkit runs `adb start-server` when a connection is refused, which would start
 *   a stray local server (even for a remote host:port); here a refused connection is simply an `offline` error.
 * - It can hand over the connections a call opens, so a timed-out call can destroy its socket even while adbkit's
 *   promise is still pending (adbkit itself has no way to cancel a call).
 * Plus small host-service queries adbkit lacks (`get-state`, `features`, `devices-l` parsed by key).
 */
import { Client } from '@devicefarmer/adbkit';
import Connection from '@devicefarmer/adbkit/dist/src/adb/connection';
import Protocol from '@devicefarmer/adbkit/dist/src/adb/protocol';
import type { Socket } from 'node:net';
import { guardCall, type GuardContext } from './callGuard';

export interface AdbServerAddress {
  host: string;
  port: number;
}

export const DEFAULT_ADB_HOST = '127.0.0.1';
export const DEFAULT_ADB_PORT = 5037;

/** One row of `host:devices-l`. */
export interface AdbDeviceEntry {
  serial: string;
  /** `device`, `offline`, `unauthorized`, `recovery`, `authorizing`, `connecting`, ... as the server says it. */
  state: string;
  model?: string;
  product?: string;
  device?: string;
  transportId?: string;
}

export interface HostCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The adbkit client with no server auto-start and cancellable connections. */
export class FleetAdbClient extends Client {
  private collectors: Connection[][] = [];

  constructor(address: Partial<AdbServerAddress> = {}, onError: (err: Error) => void = () => undefined) {
    super({ host: address.host ?? DEFAULT_ADB_HOST, port: address.port ?? DEFAULT_ADB_PORT, bin: 'adb', timeout: 0 });
    // adbkit re-emits socket errors on the client; without a listener they would crash the process.
    this.on('error', onError);
  }

  get address(): AdbServerAddress {
    return { host: this.host, port: Number(this.port) };
  }

  override connection() {
    const conn = new Connection(this.options);
    // adbkit starts `adb start-server` once on ECONNREFUSED unless it already tried: say it did.
    (conn as unknown as { triedStarting: boolean }).triedStarting = true;
    conn.on('error', (err: Error) => this.emit('error', err));
    for (const c of this.collectors) {
      c.push(conn);
    }
    return conn.connect();
  }

  /**
   * Calls `start` (an adbkit call) and returns the connections it opened. adbkit opens its connection synchronously
   * inside the call, before any await, so they are all known when this returns.
   */
  withConnections<T>(start: () => T): { result: T; connections: Connection[] } {
    const collected: Connection[] = [];
    this.collectors.push(collected);
    try {
      return { result: start(), connections: collected };
    } finally {
      this.collectors = this.collectors.filter((c) => c !== collected);
    }
  }

  /** Like {@link withConnections}, registering the connections with `ctx` so a cut-off call destroys them. */
  tracked<T>(ctx: GuardContext, start: () => T): T {
    const { result, connections } = this.withConnections(start);
    for (const conn of connections) {
      ctx.onCancel(() => destroyConnection(conn));
    }
    return result;
  }

  /** Runs a host service (`host:version`, `host-serial:<s>:features`, ...) and returns its length-prefixed reply. */
  hostQuery(service: string, opts: HostCallOptions = {}): Promise<string> {
    return guardCall({ what: service, timeoutMs: opts.timeoutMs ?? 5000, signal: opts.signal }, async (ctx) => {
      const conn: Connection = await this.tracked(ctx, () => this.connection());
      ctx.onCancel(() => destroyConnection(conn));
      try {
        conn.write(Protocol.encodeData(service));
        const reply = await conn.parser.readAscii(4);
        if (reply === Protocol.OKAY) {
          return (await conn.parser.readValue()).toString('utf8');
        }
        if (reply === Protocol.FAIL) {
          return await conn.parser.readError();
        }
        return await conn.parser.unexpected(reply, 'OKAY or FAIL');
      } finally {
        destroyConnection(conn);
      }
    });
  }

  /** The device's adb state as the server sees it (`device`, `offline`, `unauthorized`, ...). */
  async getState(serial: string, opts: HostCallOptions = {}): Promise<string> {
    return (await this.hostQuery(`host-serial:${serial}:get-state`, opts)).trim();
  }

  /** The adb transport features the device announced (`shell_v2`, `cmd`, `stat_v2`, ...). */
  async transportFeatures(serial: string, opts: HostCallOptions = {}): Promise<Set<string>> {
    const text = await this.hostQuery(`host-serial:${serial}:features`, opts);
    return new Set(text.split(/[,\s]+/).filter(Boolean));
  }

  /** `adb devices -l`, parsed by `key:value` tokens (adbkit's positional parse breaks on TCP devices). */
  async devicesLong(opts: HostCallOptions = {}): Promise<AdbDeviceEntry[]> {
    return parseDevicesLong(await this.hostQuery('host:devices-l', opts));
  }

  /** `adb connect host:port`; resolves with the serial, rejects with DeviceError('offline') on failure. */
  connectDevice(host: string, port: number, opts: HostCallOptions = {}): Promise<string> {
    return guardCall({ what: `connect ${host}:${port}`, timeoutMs: opts.timeoutMs ?? 10000, signal: opts.signal }, async (ctx) => {
      const result = await this.tracked(ctx, () => this.connect(host, port));
      return String(result);
    });
  }

  /** `adb disconnect host:port`. */
  disconnectDevice(host: string, port: number, opts: HostCallOptions = {}): Promise<void> {
    return guardCall({ what: `disconnect ${host}:${port}`, timeoutMs: opts.timeoutMs ?? 5000, signal: opts.signal }, async (ctx) => {
      await this.tracked(ctx, () => this.disconnect(host, port));
    });
  }

}

/** Destroys a connection's socket at once (an `end()` would wait for the peer). */
export function destroyConnection(conn: Connection): void {
  const socket = conn.socket as Socket | undefined;
  socket?.destroy();
}

/** Parses the `host:devices-l` reply: `<serial> <state> [usb:...] product:x model:y device:z transport_id:n`. */
export function parseDevicesLong(text: string): AdbDeviceEntry[] {
  const out: AdbDeviceEntry[] = [];
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    if (tokens.length < 2) {
      continue;
    }
    const [serial, ...rest] = tokens;
    const entry: AdbDeviceEntry = { serial, state: '' };
    const stateWords: string[] = [];
    for (const t of rest) {
      const m = /^([a-z_]+):(.*)$/.exec(t);
      if (m && ['model', 'product', 'device', 'transport_id', 'usb'].includes(m[1])) {
        if (m[1] === 'model') {
          entry.model = m[2];
        } else if (m[1] === 'product') {
          entry.product = m[2];
        } else if (m[1] === 'device') {
          entry.device = m[2];
        } else if (m[1] === 'transport_id') {
          entry.transportId = m[2];
        }
      } else if (!m) {
        stateWords.push(t);
      }
    }
    // "no permissions (...)" and similar multi-word states are kept whole.
    entry.state = stateWords.join(' ');
    out.push(entry);
  }
  return out;
}
