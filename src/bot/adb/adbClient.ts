/**
 * The adbkit client we use everywhere: adbkit's `Client`, with two changes.
 * - It never spawns an adb server. adbkit runs `adb start-server` when a connection is refused, which would start
 *   a stray local server (even for a remote host:port); here a refused connection is simply an `offline` error.
 * - It can hand over the connections a call opens, so a timed-out call can destroy its socket even while adbkit's
 *   promise is still pending (adbkit itself has no way to cancel a call).
 * Plus small host-service queries adbkit lacks (`get-state`, `features`, `devices-l` parsed by key), and
 * {@link FleetAdbClient.readServiceInto}, which streams a device service's reply straight into memory the caller
 * provides (raw screenshots), with no allocation per read.
 */
import { Client, Parser } from '@devicefarmer/adbkit';
import Connection from '@devicefarmer/adbkit/dist/src/adb/connection';
import Protocol from '@devicefarmer/adbkit/dist/src/adb/protocol';
import * as net from 'node:net';
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

/**
 * Where {@link FleetAdbClient.readServiceInto} puts a reply: the socket reads straight into the memory `next()`
 * hands out, and `wrote(n)` says how much of it the read filled.
 */
export interface ReplyTarget {
  /** The memory for the next socket read; never empty. */
  next(): Uint8Array;
  /** The last read put `n` bytes (n > 0) at the start of the memory the last `next()` returned. */
  wrote(n: number): void;
}

export interface HostCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The adbkit client with no server auto-start and cancellable connections. */
export class FleetAdbClient extends Client {
  private collectors: Connection[][] = [];
  /** Status buffers of finished {@link readServiceInto} calls, for reuse. */
  private readonly statusBuffers: Uint8Array[] = [];

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

  /**
   * Opens `service` (`exec:screencap`) on a device and streams its whole reply into `target`. The host protocol is
   * spoken here on a socket of its own, as adbkit's `openLocal` does (`host:transport:<serial>`, OKAY, the service,
   * OKAY, then the reply until the device closes the stream), but the socket reads directly into the target's
   * memory: no buffer is allocated per read and no byte is copied or concatenated. The status replies are read
   * into a buffer of exactly their size, so not one reply byte lands anywhere but in the target.
   *
   * Settles only once the socket is closed, so the target's memory is never written after that; a cut-off call
   * (`ctx`) destroys the socket at once. Errors are what adbkit would throw (FAIL replies as `Parser.FailError`),
   * for `toDeviceError` to map.
   */
  readServiceInto(serial: string, service: string, target: ReplyTarget, ctx: GuardContext): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // Nothing here allocates memory outside V8's heap per call (a status buffer is reused, requests are written
      // as strings): while recycled frame memory is young, any such allocation makes V8 run a scavenge.
      const status = this.statusBuffers.pop() ?? new Uint8Array(new ArrayBuffer(4));
      let statusFilled = 0;
      let stage: 'transport' | 'service' | 'fail-length' | 'fail-message' | 'reply' = 'transport';
      let failMessage: Uint8Array | undefined;
      let error: Error | undefined;
      let ended = false;
      let reading: Uint8Array = status;
      const fail = (e: Error) => {
        error ??= e;
        sock.destroy();
      };
      const onRead = (n: number): boolean => {
        if (stage === 'reply') {
          target.wrote(n);
          reading = target.next();
          return true;
        }
        statusFilled += n;
        if (stage === 'fail-message') {
          if (statusFilled < failMessage!.length) {
            reading = failMessage!.subarray(statusFilled);
          } else {
            fail(new Parser.FailError(Buffer.from(failMessage!).toString('utf8')));
          }
          return true;
        }
        if (statusFilled < 4) {
          reading = status.subarray(statusFilled);
          return true;
        }
        statusFilled = 0;
        reading = status;
        if (stage === 'fail-length') {
          const word = String.fromCharCode(status[0], status[1], status[2], status[3]);
          const len = /^[0-9a-fA-F]{4}$/.test(word) ? parseInt(word, 16) : -1;
          if (len < 0) {
            fail(new Parser.UnexpectedDataError(word, 'a hexadecimal length'));
          } else if (len === 0) {
            fail(new Parser.FailError(''));
          } else {
            stage = 'fail-message';
            failMessage = new Uint8Array(len);
            reading = failMessage;
          }
        } else if (isWord(status, OKAY)) {
          if (stage === 'transport') {
            stage = 'service';
            sock.write(hostRequest(service), 'utf8');
          } else {
            stage = 'reply';
            reading = target.next();
          }
        } else if (isWord(status, FAIL)) {
          stage = 'fail-length';
        } else {
          fail(new Parser.UnexpectedDataError(String.fromCharCode(status[0], status[1], status[2], status[3]), 'OKAY or FAIL'));
        }
        return true;
      };
      const sock = net.connect({
        host: this.host,
        port: Number(this.port),
        onread: { buffer: () => reading, callback: onRead },
      });
      ctx.onCancel(() => sock.destroy());
      sock.setNoDelay(true);
      sock.once('connect', () => sock.write(hostRequest(`host:transport:${serial}`), 'utf8'));
      sock.once('end', () => {
        ended = true;
        if (stage !== 'reply') {
          error ??= new Parser.PrematureEOFError(stage === 'fail-message' ? failMessage!.length - statusFilled : 4 - statusFilled);
        }
        sock.destroy();
      });
      sock.once('error', (e) => {
        error ??= e;
      });
      sock.once('close', () => {
        if (this.statusBuffers.length < 8) {
          this.statusBuffers.push(status);
        }
        if (error) {
          reject(error);
        } else if (!ended) {
          reject(Object.assign(new Error('connection closed before the reply ended'), { code: 'ECONNRESET' }));
        } else {
          resolve();
        }
      });
    });
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

const OKAY = [0x4f, 0x4b, 0x41, 0x59];
const FAIL = [0x46, 0x41, 0x49, 0x4c];

function isWord(b: Uint8Array, word: readonly number[]): boolean {
  return b[0] === word[0] && b[1] === word[1] && b[2] === word[2] && b[3] === word[3];
}

/** A host-protocol request as a string: the text's UTF-8 length in 4 hex digits, then the text. */
function hostRequest(text: string): string {
  return `${Buffer.byteLength(text, 'utf8').toString(16).padStart(4, '0')}${text}`;
}

/** Destroys a connection's socket at once (an `end()` would wait for the peer). */
export function destroyConnection(conn: Connection): void {
  const socket = conn.socket as net.Socket | undefined;
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
