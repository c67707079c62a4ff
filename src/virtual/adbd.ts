/**
 * The device side of the ADB transport over TCP (what `adb connect host:port` talks to): CNXN handshake without
 * AUTH, OPEN/OKAY/WRTE/CLSE streams (many at once per connection), one WRTE in flight per stream, payloads cut to
 * the negotiated maxdata with zero-copy subarrays. Garbage drops the connection; nothing here throws out of an
 * event handler.
 */
import * as net from 'node:net';
import type { Logger } from '../shared/ports';
import {
  A_AUTH,
  A_CLSE,
  A_CNXN,
  A_OKAY,
  A_OPEN,
  A_STLS,
  A_SYNC,
  A_VERSION_SKIP_CHECKSUM,
  A_WRTE,
  AdbMessageParser,
  AdbProtocolError,
  commandName,
  encodeHeader,
  MAX_PAYLOAD,
  payloadChecksum,
  type AdbMessage,
} from './adbProtocol';
import type { Faults } from './faults';
import { ServiceStreamBase, toParts, type ServiceStream } from './serviceStream';

/** What adbd serves: the device's banner and its services. */
export interface AdbdTarget {
  readonly faults: Faults;
  /** The CNXN banner, e.g. `device::ro.product.name=...;features=...`. */
  banner(): string;
  /** Starts `service` on `stream`; false when unknown. */
  handleService(service: string, stream: ServiceStream): boolean;
}

/** Bytes buffered from a host while the device is stalled before the connection is dropped. */
const MAX_STALLED_INPUT = 64 * 1024 * 1024;

const SILENT: Logger = { log: () => undefined, child: () => SILENT };

export class AdbDaemon {
  private server: net.Server | undefined;
  private readonly connections = new Set<AdbdConnection>();
  private readonly subs: { dispose(): void }[] = [];

  constructor(
    private readonly target: AdbdTarget,
    private readonly logger: Logger = SILENT,
  ) {
    this.subs.push(
      target.faults.onDidDropConnections(() => {
        for (const c of [...this.connections]) {
          c.drop('fault: drop');
        }
      }),
      target.faults.onDidChangeStall(({ stalled }) => {
        if (!stalled) {
          for (const c of [...this.connections]) {
            c.resume();
          }
        }
      }),
    );
  }

  /** Starts listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.logger.log('warn', `adbd server error: ${e.message}`));
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get streamCount(): number {
    let n = 0;
    for (const c of this.connections) {
      n += c.streamCount;
    }
    return n;
  }

  /** Stops listening and destroys every connection. */
  close(): Promise<void> {
    for (const s of this.subs) {
      s.dispose();
    }
    for (const c of [...this.connections]) {
      c.destroy('device closing');
    }
    const server = this.server;
    this.server = undefined;
    if (!server) {
      return Promise.resolve();
    }
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => undefined);
    if (this.target.faults.isRefusing()) {
      socket.resetAndDestroy();
      return;
    }
    socket.setNoDelay(true);
    const conn = new AdbdConnection(socket, this.target, this.logger, () => this.connections.delete(conn));
    this.connections.add(conn);
  }
}

class AdbdConnection {
  private readonly parser = new AdbMessageParser();
  private readonly streams = new Map<number, AdbdStream>();
  private nextLocalId = 1;
  private online = false;
  private sendChecksums = false;
  maxPayload = MAX_PAYLOAD;
  private stalledInput: Buffer[] = [];
  private stalledBytes = 0;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly target: AdbdTarget,
    private readonly logger: Logger,
    private readonly onClosed: () => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.cleanup('socket closed'));
    socket.on('end', () => this.destroy('host ended the connection'));
  }

  get streamCount(): number {
    return this.streams.size;
  }

  get stalled(): boolean {
    return this.target.faults.isStalled();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) {
      return;
    }
    if (this.stalled || this.stalledInput.length > 0) {
      this.stalledInput.push(chunk);
      this.stalledBytes += chunk.length;
      if (this.stalledBytes > MAX_STALLED_INPUT) {
        this.destroy('too much input while stalled');
      }
      return;
    }
    this.process(chunk);
  }

  private process(chunk: Buffer): void {
    let messages: AdbMessage[];
    try {
      messages = this.parser.push(chunk);
    } catch (e) {
      const code = e instanceof AdbProtocolError ? e.code : 'error';
      this.logger.log('warn', `adbd: dropping connection: ${e instanceof Error ? e.message : String(e)}`, { code });
      this.destroy(`protocol error (${code})`);
      return;
    }
    for (const m of messages) {
      if (this.closed) {
        return;
      }
      try {
        this.handle(m);
      } catch (e) {
        this.logger.log('error', `adbd: ${commandName(m.command)} failed: ${e instanceof Error ? e.message : String(e)}`);
        this.destroy('internal error');
        return;
      }
    }
  }

  /** The stall ended: handle what arrived meanwhile, then let the streams send again. */
  resume(): void {
    if (this.closed) {
      return;
    }
    const pending = this.stalledInput;
    this.stalledInput = [];
    this.stalledBytes = 0;
    for (const chunk of pending) {
      if (this.closed || this.stalled) {
        // Stalled again while catching up: keep the rest for later.
        this.stalledInput.push(chunk);
        this.stalledBytes += chunk.length;
        continue;
      }
      this.process(chunk);
    }
    for (const s of [...this.streams.values()]) {
      s.pump();
    }
  }

  private handle(m: AdbMessage): void {
    switch (m.command) {
      case A_CNXN: {
        const hostVersion = m.arg0;
        this.sendChecksums = hostVersion < A_VERSION_SKIP_CHECKSUM;
        this.parser.verifyChecksum = this.sendChecksums;
        this.maxPayload = Math.max(256, Math.min(m.arg1 || MAX_PAYLOAD, MAX_PAYLOAD));
        if (this.online) {
          // A new handshake resets the connection's streams.
          const old = [...this.streams.values()];
          this.streams.clear();
          for (const s of old) {
            s.onTransportClosed('reconnect');
          }
        }
        this.online = true;
        this.send(A_CNXN, A_VERSION_SKIP_CHECKSUM, MAX_PAYLOAD, [Buffer.from(this.target.banner(), 'utf8')]);
        return;
      }
      case A_OPEN: {
        if (!this.online || m.arg0 === 0) {
          return;
        }
        const service = m.data.toString('utf8').replace(/\0+$/, '');
        const localId = this.nextLocalId++;
        if (this.nextLocalId > 0x7fffffff) {
          this.nextLocalId = 1;
        }
        const stream = new AdbdStream(this, localId, m.arg0);
        this.streams.set(localId, stream);
        let ok = false;
        try {
          ok = this.target.handleService(service, stream);
        } catch (e) {
          this.logger.log('warn', `adbd: service '${service}' failed to start: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (!ok) {
          this.streams.delete(localId);
          stream.onTransportClosed('refused');
          this.send(A_CLSE, 0, m.arg0);
          return;
        }
        this.send(A_OKAY, localId, m.arg0);
        stream.accept();
        return;
      }
      case A_OKAY: {
        this.streams.get(m.arg1)?.onAck(m.arg0);
        return;
      }
      case A_WRTE: {
        const s = this.streams.get(m.arg1);
        if (!s) {
          return;
        }
        // Acknowledge first (the data is handled synchronously below, so flow control holds).
        this.send(A_OKAY, m.arg1, m.arg0);
        s.onHostData(m.data);
        return;
      }
      case A_CLSE: {
        const s = this.streams.get(m.arg1);
        if (s && (m.arg0 === 0 || m.arg0 === s.remoteId)) {
          this.streams.delete(m.arg1);
          s.onTransportClosed('closed by host');
        }
        return;
      }
      case A_AUTH:
      case A_STLS:
      case A_SYNC:
        // We never ask for AUTH or TLS; SYNC is obsolete. Ignore.
        return;
      default:
        return;
    }
  }

  /** Writes one message: header plus payload parts, without copying the parts. */
  send(command: number, arg0: number, arg1: number, parts: readonly Buffer[] = []): void {
    if (this.closed) {
      return;
    }
    const len = parts.reduce((n, p) => n + p.length, 0);
    const header = encodeHeader(command, arg0, arg1, len, this.sendChecksums && len > 0 ? payloadChecksum(parts) : 0);
    if (parts.length === 0) {
      this.socket.write(header);
      return;
    }
    this.socket.cork();
    this.socket.write(header);
    for (const p of parts) {
      this.socket.write(p);
    }
    this.socket.uncork();
  }

  forget(localId: number): void {
    this.streams.delete(localId);
  }

  /** Fault: close now, after flushing what is already queued on the socket (bounded). */
  drop(reason: string): void {
    if (this.closed) {
      return;
    }
    if (this.socket.writableLength === 0) {
      this.destroy(reason);
      return;
    }
    const t = setTimeout(() => this.destroy(reason), 200);
    t.unref();
    this.socket.once('drain', () => {
      clearTimeout(t);
      this.destroy(reason);
    });
  }

  destroy(reason: string): void {
    if (!this.socket.destroyed) {
      this.socket.destroy();
    }
    this.cleanup(reason);
  }

  private cleanup(reason: string): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.stalledInput = [];
    for (const s of [...this.streams.values()]) {
      s.onTransportClosed(reason);
    }
    this.streams.clear();
    this.onClosed();
  }
}

/** One ADB stream: queued output sent one WRTE at a time, each waiting for the host's OKAY. */
class AdbdStream extends ServiceStreamBase {
  private pending: Buffer[] = [];
  private queuedBytes = 0;
  private sentBytes = 0;
  private waiters: { upTo: number; resolve: () => void }[] = [];
  private inFlight = false;
  private accepted = false;
  private ending: (() => void)[] | undefined;

  constructor(
    private readonly conn: AdbdConnection,
    readonly localId: number,
    readonly remoteId: number,
  ) {
    super();
  }

  accept(): void {
    this.accepted = true;
    this.pump();
  }

  write(data: Buffer | readonly Buffer[]): Promise<void> {
    const parts = toParts(data);
    if (this.closed || this.ending || parts.length === 0) {
      return Promise.resolve();
    }
    for (const p of parts) {
      this.pending.push(p);
      this.queuedBytes += p.length;
    }
    const upTo = this.queuedBytes;
    const done = new Promise<void>((resolve) => this.waiters.push({ upTo, resolve }));
    this.pump();
    return done;
  }

  end(): Promise<void> {
    if (this.closed) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      (this.ending ??= []).push(resolve);
      this.pump();
    });
  }

  pump(): void {
    if (!this.accepted || this.inFlight || this.closed || this.conn.stalled) {
      return;
    }
    if (this.pending.length > 0) {
      const max = this.conn.maxPayload;
      const parts: Buffer[] = [];
      let n = 0;
      while (n < max && this.pending.length > 0) {
        const p = this.pending[0];
        const k = Math.min(p.length, max - n);
        if (k === p.length) {
          parts.push(p);
          this.pending.shift();
        } else {
          parts.push(p.subarray(0, k));
          this.pending[0] = p.subarray(k);
        }
        n += k;
      }
      this.inFlight = true;
      this.sentBytes += n;
      this.conn.send(A_WRTE, this.localId, this.remoteId, parts);
      while (this.waiters.length > 0 && this.waiters[0].upTo <= this.sentBytes) {
        this.waiters.shift()!.resolve();
      }
      return;
    }
    if (this.ending) {
      this.conn.send(A_CLSE, this.localId, this.remoteId);
      this.conn.forget(this.localId);
      this.finish('ended by device');
    }
  }

  onAck(remoteId: number): void {
    if (remoteId !== this.remoteId) {
      return;
    }
    this.inFlight = false;
    this.pump();
  }

  onHostData(data: Buffer): void {
    if (!this.closed) {
      this._onDidReceiveData.fire(data);
    }
  }

  onTransportClosed(reason: string): void {
    this.finish(reason);
  }

  private finish(reason: string): void {
    this.pending = [];
    for (const w of this.waiters) {
      w.resolve();
    }
    this.waiters = [];
    const ending = this.ending ?? [];
    this.ending = undefined;
    this.markClosed(reason);
    for (const r of ending) {
      r();
    }
  }
}
