/**
 * The ADB transport protocol (device <-> adb server over TCP): 24-byte message headers, payloads, and an
 * incremental parser that copes with messages split across or merged within TCP chunks.
 *
 * Header (all little-endian uint32): command, arg0, arg1, data length, data checksum, magic (= command ^ 0xffffffff).
 */
import { ChunkQueue } from './chunkQueue';
import { FleetError } from '../shared/errors';

export const A_SYNC = 0x434e5953;
export const A_CNXN = 0x4e584e43;
export const A_OPEN = 0x4e45504f;
export const A_OKAY = 0x59414b4f;
export const A_CLSE = 0x45534c43;
export const A_WRTE = 0x45545257;
export const A_AUTH = 0x48545541;
export const A_STLS = 0x534c5453;

/** Protocol version that lets both sides skip payload checksums. */
export const A_VERSION_SKIP_CHECKSUM = 0x01000001;
/** Largest payload we accept and offer: 1 MiB. */
export const MAX_PAYLOAD = 1024 * 1024;
export const HEADER_SIZE = 24;

const KNOWN_COMMANDS = new Set([A_SYNC, A_CNXN, A_OPEN, A_OKAY, A_CLSE, A_WRTE, A_AUTH, A_STLS]);

export type AdbProtocolErrorCode = 'bad-magic' | 'unknown-command' | 'payload-too-large' | 'bad-checksum';

/** A malformed message: the connection it came from cannot be trusted any more and should be dropped. */
export class AdbProtocolError extends FleetError<AdbProtocolErrorCode> {
  constructor(code: AdbProtocolErrorCode, message: string) {
    super(code, message);
    this.name = 'AdbProtocolError';
  }
}

export interface AdbMessage {
  command: number;
  arg0: number;
  arg1: number;
  /** The payload; a view into the received bytes when it arrived in one chunk. */
  data: Buffer;
}

/** `CNXN` -> "CNXN" (for logs and errors). */
export function commandName(command: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(command >>> 0, 0);
  return /^[A-Z]{4}$/.test(b.toString('latin1')) ? b.toString('latin1') : `0x${(command >>> 0).toString(16).padStart(8, '0')}`;
}

/** The ADB payload checksum: the byte sum of the payload modulo 2^32. */
export function payloadChecksum(parts: Buffer | readonly Buffer[]): number {
  let sum = 0;
  for (const p of Buffer.isBuffer(parts) ? [parts] : parts) {
    for (let i = 0; i < p.length; i++) {
      sum += p[i];
    }
  }
  return sum >>> 0;
}

/** The 24-byte header of a message whose payload is `dataLength` bytes long. */
export function encodeHeader(command: number, arg0: number, arg1: number, dataLength: number, checksum = 0): Buffer {
  const h = Buffer.allocUnsafe(HEADER_SIZE);
  h.writeUInt32LE(command >>> 0, 0);
  h.writeUInt32LE(arg0 >>> 0, 4);
  h.writeUInt32LE(arg1 >>> 0, 8);
  h.writeUInt32LE(dataLength >>> 0, 12);
  h.writeUInt32LE(checksum >>> 0, 16);
  h.writeUInt32LE((command ^ 0xffffffff) >>> 0, 20);
  return h;
}

/** A whole message as one buffer (header and payload); for small messages and tests. */
export function encodeMessage(command: number, arg0: number, arg1: number, data: Buffer | string = Buffer.alloc(0), withChecksum = false): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([encodeHeader(command, arg0, arg1, payload.length, withChecksum ? payloadChecksum(payload) : 0), payload]);
}

export interface ConnectBanner {
  /** `device`, `host`, ... */
  systemType: string;
  serial: string;
  props: Record<string, string>;
  features: string[];
}

/** Parses a CNXN banner like `device::ro.product.name=x;ro.product.model=y;features=shell_v2,cmd`. */
export function parseBanner(banner: string): ConnectBanner {
  const text = banner.replace(/\0+$/, '');
  const [systemType = '', serial = '', ...rest] = text.split(':');
  const props: Record<string, string> = {};
  let features: string[] = [];
  for (const item of rest.join(':').split(';')) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      continue;
    }
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (key === 'features') {
      features = value.split(',').filter((f) => f.length > 0);
    } else {
      props[key] = value;
    }
  }
  return { systemType, serial, props, features };
}

/** Builds a device banner: `device::key=value;...;features=a,b`. */
export function formatBanner(props: Record<string, string>, features: readonly string[]): string {
  const items = Object.entries(props).map(([k, v]) => `${k}=${v}`);
  items.push(`features=${features.join(',')}`);
  return `device::${items.join(';')}`;
}

export interface ParserOptions {
  /** Largest payload accepted (default 1 MiB). */
  maxPayload?: number;
  /** Reject payloads whose checksum is wrong (protocol versions before 0x01000001). Default false. */
  verifyChecksum?: boolean;
}

/**
 * Incremental message parser. `push` returns the messages completed by a chunk; it throws AdbProtocolError on
 * garbage (bad magic, unknown command, oversized payload, wrong checksum when verified), after which the parser
 * should be discarded with its connection.
 */
export class AdbMessageParser {
  private readonly queue = new ChunkQueue();
  private header: { command: number; arg0: number; arg1: number; length: number; checksum: number } | undefined;
  private readonly maxPayload: number;
  verifyChecksum: boolean;

  constructor(opts: ParserOptions = {}) {
    this.maxPayload = opts.maxPayload ?? MAX_PAYLOAD;
    this.verifyChecksum = opts.verifyChecksum ?? false;
  }

  /** Bytes received but not yet part of a complete message. */
  get pendingBytes(): number {
    return this.queue.length;
  }

  push(chunk: Buffer): AdbMessage[] {
    this.queue.push(chunk);
    const out: AdbMessage[] = [];
    for (;;) {
      if (!this.header) {
        if (this.queue.length < HEADER_SIZE) {
          break;
        }
        const h = this.queue.take(HEADER_SIZE);
        const command = h.readUInt32LE(0);
        const magic = h.readUInt32LE(20);
        if (((command ^ 0xffffffff) >>> 0) !== magic) {
          throw new AdbProtocolError('bad-magic', `bad magic 0x${magic.toString(16)} for command 0x${command.toString(16)}`);
        }
        if (!KNOWN_COMMANDS.has(command)) {
          throw new AdbProtocolError('unknown-command', `unknown command ${commandName(command)}`);
        }
        const length = h.readUInt32LE(12);
        if (length > this.maxPayload) {
          throw new AdbProtocolError('payload-too-large', `payload of ${length} bytes exceeds ${this.maxPayload}`);
        }
        this.header = { command, arg0: h.readUInt32LE(4), arg1: h.readUInt32LE(8), length, checksum: h.readUInt32LE(16) };
      }
      const hdr = this.header;
      if (this.queue.length < hdr.length) {
        break;
      }
      const data = hdr.length === 0 ? Buffer.alloc(0) : this.queue.take(hdr.length);
      this.header = undefined;
      if (this.verifyChecksum && hdr.length > 0 && payloadChecksum(data) !== hdr.checksum) {
        throw new AdbProtocolError('bad-checksum', `bad checksum on ${commandName(hdr.command)}`);
      }
      out.push({ command: hdr.command, arg0: hdr.arg0, arg1: hdr.arg1, data });
    }
    return out;
  }
}

/**
 * Splits a list of buffers into consecutive pieces of at most `max` bytes without copying: each piece is a list
 * of subarrays. Empty input gives no pieces.
 */
export function chunkParts(parts: readonly Buffer[], max: number): Buffer[][] {
  const out: Buffer[][] = [];
  let cur: Buffer[] = [];
  let curLen = 0;
  for (const p of parts) {
    let off = 0;
    while (off < p.length) {
      const k = Math.min(max - curLen, p.length - off);
      cur.push(off === 0 && k === p.length ? p : p.subarray(off, off + k));
      curLen += k;
      off += k;
      if (curLen === max) {
        out.push(cur);
        cur = [];
        curLen = 0;
      }
    }
  }
  if (curLen > 0) {
    out.push(cur);
  }
  return out;
}

// ---- shell protocol v2 (inside a `shell,v2` stream) ----

export const SHELL_ID_STDIN = 0;
export const SHELL_ID_STDOUT = 1;
export const SHELL_ID_STDERR = 2;
/** Device -> host: the exit code (1 byte). Host -> device: stdin is closed. */
export const SHELL_ID_EXIT = 3;
export const SHELL_ID_CLOSE_STDIN = 3;

/** The 5-byte header of a shell v2 packet: 1-byte id, 4-byte little-endian length. */
export function shellPacketHeader(id: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(5);
  h.writeUInt8(id, 0);
  h.writeUInt32LE(length >>> 0, 1);
  return h;
}

/** A whole shell v2 packet as parts (header + payload, no copy). */
export function shellPacket(id: number, data: Buffer): Buffer[] {
  return data.length > 0 ? [shellPacketHeader(id, data.length), data] : [shellPacketHeader(id, 0)];
}

export interface ShellPacket {
  id: number;
  data: Buffer;
}

/** Incremental parser for shell v2 packets (the host's stdin / close-stdin / window-size packets). */
export class ShellPacketParser {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPacket = MAX_PAYLOAD) {}

  push(chunk: Buffer): ShellPacket[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: ShellPacket[] = [];
    let off = 0;
    while (this.buf.length - off >= 5) {
      const id = this.buf.readUInt8(off);
      const len = this.buf.readUInt32LE(off + 1);
      if (len > this.maxPacket) {
        throw new AdbProtocolError('payload-too-large', `shell packet of ${len} bytes`);
      }
      if (this.buf.length - off - 5 < len) {
        break;
      }
      out.push({ id, data: this.buf.subarray(off + 5, off + 5 + len) });
      off += 5 + len;
    }
    this.buf = this.buf.subarray(off);
    return out;
  }
}
