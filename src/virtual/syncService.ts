/**
 * The `sync:` service (what `adb push`/`adb pull` and adbkit's push/pull/stat/readdir speak): requests are a
 * 4-byte id plus a 4-byte little-endian length, followed by a path (or, for DATA, file bytes).
 *
 * Supported: STAT, STA2, LST2, LIST, LIS2, SEND (DATA chunks, DONE with mtime -> OKAY), RECV (DATA..., DONE or
 * FAIL), QUIT.
 */
import { ChunkQueue } from './chunkQueue';
import type { ServiceStream } from './serviceStream';
import { ERRNO, normalizePath, STRERROR, VfsError, type MemoryFs, type VfsStat } from './vfs';
import { FleetError } from '../shared/errors';

/** The largest DATA chunk either side may send. */
export const SYNC_DATA_MAX = 64 * 1024;
/** Longest path accepted in a request. */
export const SYNC_PATH_MAX = 1024;
/** Largest file accepted by SEND (keeps a misbehaving client from exhausting memory). */
export const SYNC_FILE_MAX = 512 * 1024 * 1024;

export interface SyncRequest {
  id: string;
  /** For DONE: the mtime (seconds); otherwise the payload length. */
  arg: number;
  /** Path bytes, or file bytes for DATA; empty for DONE/QUIT. */
  data: Buffer;
}

export class SyncProtocolError extends FleetError<'sync-protocol'> {
  constructor(message: string) {
    super('sync-protocol', message);
    this.name = 'SyncProtocolError';
  }
}

const NO_PAYLOAD = new Set(['DONE', 'QUIT']);

/** Incremental parser for sync requests; throws SyncProtocolError on oversized or garbled requests. */
export class SyncRequestParser {
  private readonly queue = new ChunkQueue();

  push(chunk: Buffer): SyncRequest[] {
    this.queue.push(chunk);
    const out: SyncRequest[] = [];
    while (this.queue.length >= 8) {
      const head = this.queue.peek(8);
      const id = head.toString('latin1', 0, 4);
      const arg = head.readUInt32LE(4);
      if (!/^[A-Z0-9]{4}$/.test(id)) {
        throw new SyncProtocolError(`garbled sync request id ${JSON.stringify(id)}`);
      }
      const payload = NO_PAYLOAD.has(id) ? 0 : arg;
      const limit = id === 'DATA' ? SYNC_DATA_MAX : SYNC_PATH_MAX;
      if (payload > limit) {
        throw new SyncProtocolError(id === 'DATA' ? `data chunk of ${arg} bytes exceeds ${SYNC_DATA_MAX}` : `path of ${arg} bytes is too long`);
      }
      if (this.queue.length < 8 + payload) {
        break;
      }
      this.queue.take(8);
      out.push({ id, arg, data: payload > 0 ? this.queue.take(payload) : Buffer.alloc(0) });
    }
    return out;
  }
}

/** `id` + uint32 LE. */
export function syncHeader(id: string, value: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.write(id, 0, 4, 'latin1');
  b.writeUInt32LE(value >>> 0, 4);
  return b;
}

/** `FAIL` + length + message. */
export function syncFail(message: string): Buffer {
  const m = Buffer.from(message, 'utf8');
  return Buffer.concat([syncHeader('FAIL', m.length), m]);
}

/** A sync request as the host sends it (for tests and clients). */
export function encodeSyncRequest(id: string, arg: string | Buffer | number): Buffer {
  if (typeof arg === 'number') {
    return syncHeader(id, arg);
  }
  const data = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
  return Buffer.concat([syncHeader(id, data.length), data]);
}

function statV1(st: VfsStat | undefined): Buffer {
  const b = Buffer.alloc(16);
  b.write('STAT', 0, 4, 'latin1');
  if (st) {
    b.writeUInt32LE(st.mode >>> 0, 4);
    b.writeUInt32LE(Math.min(st.size, 0xffffffff), 8);
    b.writeUInt32LE(Math.floor(st.mtimeMs / 1000) >>> 0, 12);
  }
  return b;
}

/** The 68 bytes after the id of a STA2/LST2 reply or a DNT2 entry (without namelen). */
function statV2Body(st: VfsStat | undefined, errno: number, ino: number): Buffer {
  const b = Buffer.alloc(68);
  b.writeUInt32LE(st ? 0 : errno, 0);
  if (st) {
    b.writeBigUInt64LE(BigInt(0xfd00), 4); // dev
    b.writeBigUInt64LE(BigInt(ino), 12); // ino
    b.writeUInt32LE(st.mode >>> 0, 20);
    b.writeUInt32LE(st.isDir ? 2 : 1, 24); // nlink
    b.writeUInt32LE(st.isDir ? 0 : 2000, 28); // uid (shell)
    b.writeUInt32LE(st.isDir ? 0 : 2000, 32); // gid
    b.writeBigUInt64LE(BigInt(st.size), 36);
    const secs = BigInt(Math.floor(st.mtimeMs / 1000));
    b.writeBigInt64LE(secs, 44); // atime
    b.writeBigInt64LE(secs, 52); // mtime
    b.writeBigInt64LE(secs, 60); // ctime
  }
  return b;
}

function inodeOf(path: string): number {
  let h = 2166136261;
  for (let i = 0; i < path.length; i++) {
    h = Math.imul(h ^ path.charCodeAt(i), 16777619);
  }
  return (h >>> 0) + 1;
}

interface SendState {
  path: string;
  mode: number;
  chunks: Buffer[];
  size: number;
}

/**
 * Runs the sync service on a stream until QUIT, an error, or the stream closes. Subscribes to the stream's data
 * synchronously (as `handleService` requires).
 */
export function runSyncService(stream: ServiceStream, fs: MemoryFs): Promise<void> {
  return new Promise<void>((resolve) => {
    const parser = new SyncRequestParser();
    let send: SendState | undefined;
    let done = false;

    const finish = (): void => {
      if (!done) {
        done = true;
        sub.dispose();
        void stream.end().then(resolve, resolve);
      }
    };
    const fail = (message: string): void => {
      void stream.write(syncFail(message));
      finish();
    };

    const handle = (req: SyncRequest): void => {
      if (send) {
        if (req.id === 'DATA') {
          send.size += req.data.length;
          if (send.size > SYNC_FILE_MAX) {
            fail(`file too large (over ${SYNC_FILE_MAX} bytes)`);
            return;
          }
          send.chunks.push(req.data);
          return;
        }
        if (req.id === 'DONE') {
          const s = send;
          send = undefined;
          try {
            fs.write(s.path, s.chunks.length === 1 ? s.chunks[0] : Buffer.concat(s.chunks, s.size), s.mode);
            fs.setMtime(s.path, req.arg * 1000);
          } catch (e) {
            fail(e instanceof VfsError ? `couldn't create file: ${STRERROR[e.code]}` : `couldn't create file: ${String(e)}`);
            return;
          }
          void stream.write(syncHeader('OKAY', 0));
          return;
        }
        fail(`invalid data message: expected DATA or DONE, got ${req.id}`);
        return;
      }
      const path = req.data.toString('utf8');
      switch (req.id) {
        case 'STAT':
          void stream.write(statV1(fs.stat(path)));
          return;
        case 'STA2':
        case 'LST2': {
          const st = fs.stat(path);
          void stream.write([Buffer.from(req.id, 'latin1'), statV2Body(st, ERRNO.ENOENT, inodeOf(normalizePath(path)))]);
          return;
        }
        case 'LIST':
        case 'LIS2':
          void stream.write(listing(fs, path, req.id === 'LIS2'));
          return;
        case 'RECV': {
          const st = fs.stat(path);
          const file = fs.read(path);
          if (!file) {
            fail(`open failed: ${st?.isDir ? STRERROR.EISDIR : STRERROR.ENOENT}`);
            return;
          }
          const parts: Buffer[] = [];
          for (let off = 0; off < file.data.length; off += SYNC_DATA_MAX) {
            const piece = file.data.subarray(off, Math.min(off + SYNC_DATA_MAX, file.data.length));
            parts.push(syncHeader('DATA', piece.length), piece);
          }
          parts.push(syncHeader('DONE', 0));
          void stream.write(parts);
          return;
        }
        case 'SEND': {
          const comma = path.lastIndexOf(',');
          if (comma < 0) {
            fail('missing , in ID_SEND');
            return;
          }
          const target = path.slice(0, comma);
          const mode = Number.parseInt(path.slice(comma + 1), 10);
          if (!target.startsWith('/')) {
            fail(`invalid path '${target}'`);
            return;
          }
          if (fs.stat(target)?.isDir) {
            fail(`couldn't create file: ${STRERROR.EISDIR}`);
            return;
          }
          send = { path: target, mode: Number.isFinite(mode) ? mode : 0o644, chunks: [], size: 0 };
          return;
        }
        case 'QUIT':
          finish();
          return;
        default:
          fail(`unknown command ${req.id}`);
      }
    };

    const sub = stream.onDidReceiveData((chunk) => {
      if (done) {
        return;
      }
      let reqs: SyncRequest[];
      try {
        reqs = parser.push(chunk);
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e));
        return;
      }
      for (const r of reqs) {
        if (done) {
          return;
        }
        handle(r);
      }
    });
    stream.signal.addEventListener('abort', () => {
      done = true;
      sub.dispose();
      resolve();
    });
  });
}

function listing(fs: MemoryFs, path: string, v2: boolean): Buffer[] {
  const parts: Buffer[] = [];
  const st = fs.stat(path);
  if (st?.isDir) {
    const base = normalizePath(path);
    const entries: { name: string; st: VfsStat }[] = [
      { name: '.', st },
      { name: '..', st: fs.stat(normalizePath(`${base}/..`)) ?? st },
    ];
    for (const e of fs.list(base)) {
      entries.push({ name: e.name, st: { isDir: e.isDir, size: e.size, mode: e.mode, mtimeMs: e.mtimeMs } });
    }
    for (const e of entries) {
      const name = Buffer.from(e.name, 'utf8');
      if (v2) {
        const nl = Buffer.allocUnsafe(4);
        nl.writeUInt32LE(name.length, 0);
        parts.push(Buffer.from('DNT2', 'latin1'), statV2Body(e.st, 0, inodeOf(`${base}/${e.name}`)), nl, name);
      } else {
        const h = Buffer.alloc(20);
        h.write('DENT', 0, 4, 'latin1');
        h.writeUInt32LE(e.st.mode >>> 0, 4);
        h.writeUInt32LE(Math.min(e.st.size, 0xffffffff), 8);
        h.writeUInt32LE(Math.floor(e.st.mtimeMs / 1000) >>> 0, 12);
        h.writeUInt32LE(name.length, 16);
        parts.push(h, name);
      }
    }
  }
  const doneMsg = Buffer.alloc(v2 ? 76 : 20);
  doneMsg.write('DONE', 0, 4, 'latin1');
  parts.push(doneMsg);
  return parts;
}
