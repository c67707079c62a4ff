/**
 * Node implementations of the core's ports (the CLI, the extension host, integration tests): the workspace
 * FileStore and the ProcessRunner of emulator launch / stop commands.
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, promises as fsp, readdirSync, readFileSync, readSync, realpathSync, statSync, watch as fsWatch, type FSWatcher, type Stats } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ProcessResult, ProcessRunner, ProcessRunOptions } from '../orchestrator/emulators/processRunner';
import { FileTooLargeError, PathEscapeError, type FileStat, type FileStore, type ReadOptions } from '../shared/ports';

/** `fs.watch`, as NodeFileStore uses it (tests pass a fake to provoke watcher errors). */
export type WatchFunction = (dir: string, options: { persistent: boolean }, listener: (event: string, name: string | Buffer | null) => void) => FSWatcher;

export interface NodeFileStoreOptions {
  watch?: WatchFunction;
  /** First delay before re-establishing a failed watch (doubled per failure in a row, at most 30 s). Default 500 ms. */
  rewatchDelayMs?: number;
  /**
   * Reads, stats, listings and link resolution with the synchronous calls, which block the calling thread but skip
   * the round trip through the thread pool (several times faster per call). Only for a thread that does nothing
   * else meanwhile: the language server's validation worker. Same results and errors as the default.
   */
  syncReads?: boolean;
}

/** The read-side file system calls of {@link NodeFileStore} (same results and errors either way). */
interface ReadCalls {
  realpath(p: string): Promise<string>;
  stat(p: string): Promise<Stats>;
  readdir(p: string): Promise<string[]>;
  readFile(p: string): Promise<Uint8Array>;
  /** An open file: its size, positional reads, close. */
  open(p: string): Promise<{ size(): Promise<number>; read(buf: Uint8Array, offset: number, length: number, position: number): Promise<number>; close(): Promise<void> }>;
}

const asyncReads: ReadCalls = {
  realpath: (p) => fsp.realpath(p),
  stat: (p) => fsp.stat(p),
  readdir: (p) => fsp.readdir(p),
  readFile: (p) => fsp.readFile(p),
  open: async (p) => {
    const fh = await fsp.open(p, 'r');
    return {
      size: async () => (await fh.stat()).size,
      read: async (buf, offset, length, position) => (await fh.read(buf, offset, length, position)).bytesRead,
      close: () => fh.close(),
    };
  },
};

// `realpathSync.native` is the call `fsp.realpath` makes (not the JavaScript walk of `realpathSync`).
const syncReads: ReadCalls = {
  realpath: async (p) => realpathSync.native(p),
  stat: async (p) => statSync(p),
  readdir: async (p) => readdirSync(p),
  readFile: async (p) => readFileSync(p),
  open: async (p) => {
    const fd = openSync(p, 'r');
    return {
      size: async () => fstatSync(fd).size,
      read: async (buf, offset, length, position) => readSync(fd, buf, offset, length, position),
      close: async () => closeSync(fd),
    };
  },
};

const MAX_REWATCH_DELAY_MS = 30_000;

/**
 * FileStore on the real filesystem, confined to `root`: no path may leave it by `..`, and what is read, listed or
 * statted may not leave it through a symbolic link either (links are resolved and the real path must be inside
 * the real root).
 */
export class NodeFileStore implements FileStore {
  readonly root: string;
  private realRoot: string | undefined;
  private readonly watchImpl: WatchFunction;
  private readonly rewatchDelayMs: number;
  private readonly io: ReadCalls;
  /** Links resolved and files statted while a snapshot is open (see {@link snapshot}), by absolute path. */
  private memo: { real: Map<string, Promise<string>>; stat: Map<string, Promise<Stats>> } | undefined;
  private openSnapshots = 0;

  constructor(root: string, options: NodeFileStoreOptions = {}) {
    this.root = path.resolve(root);
    this.watchImpl = options.watch ?? ((d, o, l) => fsWatch(d, o, l));
    this.rewatchDelayMs = options.rewatchDelayMs ?? 500;
    this.io = options.syncReads ? syncReads : asyncReads;
  }

  resolve(p: string): string {
    const abs = path.resolve(this.root, p);
    const rel = path.relative(this.root, abs);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new PathEscapeError(p, this.root);
    }
    return abs;
  }

  async readFile(p: string, options: ReadOptions = {}): Promise<Uint8Array> {
    const real = await this.contained(p);
    if (options.maxBytes === undefined) {
      return this.io.readFile(real);
    }
    const fh = await this.io.open(real);
    try {
      const size = await fh.size();
      if (size > options.maxBytes) {
        throw new FileTooLargeError(p, size, options.maxBytes);
      }
      // Read at most one byte more than allowed: a file growing meanwhile is still refused, never read whole.
      const buf = Buffer.alloc(size + 1);
      let n = 0;
      for (;;) {
        const bytesRead = await fh.read(buf, n, buf.length - n, n);
        if (bytesRead === 0) {
          break;
        }
        n += bytesRead;
        if (n > options.maxBytes) {
          throw new FileTooLargeError(p, n, options.maxBytes);
        }
        if (n === buf.length) {
          break;
        }
      }
      return buf.subarray(0, n);
    } finally {
      await fh.close();
    }
  }

  async readText(p: string, options: ReadOptions = {}): Promise<string> {
    return Buffer.from(await this.readFile(p, options)).toString('utf8');
  }

  // Writes check the path lexically only: the data folder (`.fleet`) may be a link to another disk.
  async writeFileAtomic(p: string, data: Uint8Array | string): Promise<void> {
    const target = this.resolve(p);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await fsp.rename(tmp, target);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
  }

  async delete(p: string): Promise<void> {
    await fsp.rm(this.resolve(p), { force: true });
  }

  async stat(p: string): Promise<FileStat | undefined> {
    let real: string;
    try {
      real = await this.contained(p);
    } catch (e) {
      if (e instanceof PathEscapeError) {
        throw e;
      }
      return undefined;
    }
    try {
      const s = await this.statOf(real);
      return { isFile: s.isFile(), isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs, size: s.size };
    } catch {
      return undefined;
    }
  }

  async list(dir: string): Promise<string[]> {
    let real: string;
    try {
      real = await this.contained(dir);
    } catch (e) {
      if (e instanceof PathEscapeError) {
        throw e;
      }
      return [];
    }
    try {
      return (await this.io.readdir(real)).sort();
    } catch {
      return [];
    }
  }

  async mkdirp(dir: string): Promise<void> {
    await fsp.mkdir(this.resolve(dir), { recursive: true });
  }

  async realPath(p: string): Promise<string> {
    const real = await this.contained(p);
    return path.relative(await this.rootReal(), real).split(path.sep).join('/');
  }

  watch(dir: string, onChange: (paths: string[]) => void, onError?: (error: Error) => void): { dispose(): void } {
    const abs = this.resolve(dir);
    let pending = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    let retry: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;
    let disposed = false;
    let failures = 0;
    /** Whether the next successful start must report "anything may have changed". */
    let missed = false;
    const flush = () => {
      timer = undefined;
      const paths = [...pending];
      pending = new Set();
      if (paths.length && !disposed) {
        onChange(paths);
      }
    };
    const stop = () => {
      const w = watcher;
      watcher = undefined;
      try {
        w?.close();
      } catch {
        // already closed
      }
    };
    const later = (ms: number) => {
      if (!disposed) {
        retry = setTimeout(() => {
          retry = undefined;
          start();
        }, ms);
        retry.unref();
      }
    };
    const failed = (e: unknown) => {
      stop();
      failures++;
      missed = true;
      const delay = Math.min(MAX_REWATCH_DELAY_MS, this.rewatchDelayMs * 2 ** (failures - 1));
      const err = e instanceof Error ? e : new Error(String(e));
      onError?.(new Error(`watching '${dir}' failed (${errorText(err)}); retrying in ${delay < 1000 ? `${delay} ms` : `${Math.round(delay / 1000)} s`}`, { cause: err }));
      later(delay);
    };
    const start = () => {
      if (disposed) {
        return;
      }
      let w: FSWatcher;
      try {
        w = this.watchImpl(abs, { persistent: false }, (_ev, name) => {
          if (watcher !== w || disposed) {
            return;
          }
          const n = name?.toString();
          if (n === path.basename(abs)) {
            // The watched folder itself was removed or renamed: the watch is dead; wait for the folder to return.
            void fsp.stat(abs).then(
              () => undefined,
              () => {
                if (watcher === w) {
                  stop();
                  missed = true;
                  later(this.rewatchDelayMs);
                }
              },
            );
          }
          if (!n || n.startsWith('.') || n.endsWith('.tmp')) {
            return;
          }
          pending.add(path.relative(this.root, path.join(abs, n)));
          timer ??= setTimeout(flush, 50);
        });
      } catch (e) {
        if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) {
          // The folder does not exist (yet): look again later; it counts as changed when it appears.
          missed = true;
          later(this.rewatchDelayMs);
        } else {
          failed(e);
        }
        return;
      }
      watcher = w;
      w.on('error', (e: unknown) => {
        if (watcher === w && !disposed) {
          failed(e);
        }
      });
      failures = 0;
      if (missed) {
        missed = false;
        onChange([]);
      }
    };
    start();
    // The first start reports nothing missed: the caller has just read the folder.
    return {
      dispose() {
        disposed = true;
        stop();
        if (timer) {
          clearTimeout(timer);
        }
        if (retry) {
          clearTimeout(retry);
        }
      },
    };
  }

  /**
   * Until `end()`, each path's links are resolved, and each file statted, once (errors included): for a caller that
   * reads the whole workspace as of one moment, such as a validation, which resolves the same paths several times
   * (listing, stat, read). File contents are read every time; after `end()` everything is looked up afresh.
   */
  snapshot(): { end(): void } {
    this.openSnapshots++;
    this.memo ??= { real: new Map(), stat: new Map() };
    let ended = false;
    return {
      end: () => {
        if (!ended) {
          ended = true;
          if (--this.openSnapshots === 0) {
            this.memo = undefined;
          }
        }
      },
    };
  }

  private realpathOf(abs: string): Promise<string> {
    return this.memoised(this.memo?.real, abs, () => this.io.realpath(abs));
  }

  private statOf(real: string): Promise<Stats> {
    return this.memoised(this.memo?.stat, real, () => this.io.stat(real));
  }

  private memoised<T>(memo: Map<string, Promise<T>> | undefined, key: string, get: () => Promise<T>): Promise<T> {
    if (!memo) {
      return get();
    }
    let p = memo.get(key);
    if (!p) {
      p = get();
      memo.set(key, p);
    }
    return p;
  }

  private async rootReal(): Promise<string> {
    if (this.realRoot === undefined) {
      try {
        this.realRoot = await this.io.realpath(this.root);
      } catch {
        return this.root;
      }
    }
    return this.realRoot;
  }

  /**
   * The real (links resolved) absolute path of `p`. Throws PathEscapeError, naming the link, when it leaves the
   * real root, and the file system's error (ENOENT, ELOOP...) when it cannot be resolved.
   */
  private async contained(p: string): Promise<string> {
    const abs = this.resolve(p);
    const real = await this.realpathOf(abs);
    const root = await this.rootReal();
    if (!isInside(root, real)) {
      const st = await this.io.stat(real).catch(() => undefined);
      throw new PathEscapeError(p, this.root, await this.escapingLink(abs, root), st ? (st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other') : undefined);
    }
    return real;
  }

  /** The first component of `abs` (workspace-relative) whose real path is outside the root. */
  private async escapingLink(abs: string, root: string): Promise<string | undefined> {
    const parts = path.relative(this.root, abs).split(path.sep).filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const prefix = path.join(this.root, ...parts.slice(0, i));
      try {
        if (!isInside(root, await this.io.realpath(prefix))) {
          return parts.slice(0, i).join('/');
        }
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}

function isInside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`);
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

function errorText(e: Error): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
}

/** Output kept per stream. */
const MAX_OUTPUT = 1024 * 1024;

/**
 * After the program exited, how long to wait for its output streams to close. A launch command that starts the
 * emulator in the background leaves it holding them (possibly for hours): the command is done when it exits.
 */
const EXIT_GRACE_MS = 200;

/**
 * Runs a program with `spawn` (never a shell) and a timeout; it is done when the program exits (a program it
 * started in the background may keep the output pipes open).
 */
export class NodeProcessRunner implements ProcessRunner {
  run(file: string, args: readonly string[], opts: ProcessRunOptions): Promise<ProcessResult> {
    return new Promise((resolve) => {
      let timedOut = false;
      let aborted = false;
      let settled = false;
      let exitCode: number | null = null;
      let spawnError: string | undefined;
      const out = { stdout: '', stderr: '' };
      let grace: ReturnType<typeof setTimeout> | undefined;
      const child = spawn(file, [...args], { shell: false, windowsHide: true, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      for (const name of ['stdout', 'stderr'] as const) {
        const stream = child[name];
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          if (out[name].length < MAX_OUTPUT) {
            out[name] += chunk.slice(0, MAX_OUTPUT - out[name].length);
          }
        });
        stream.on('error', () => undefined);
      }
      const finish = () => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(timer);
        clearTimeout(grace);
        opts.signal?.removeEventListener('abort', onAbort);
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ exitCode, stdout: out.stdout, stderr: out.stderr, timedOut, aborted, spawnError });
      };
      const kill = () => {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      };
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (child.pid === undefined) {
          spawnError = `${e.code ?? 'error'}: ${e.message}`;
          finish();
        }
      });
      child.on('exit', (code) => {
        exitCode = code;
        clearTimeout(timer);
        grace = setTimeout(finish, EXIT_GRACE_MS);
      });
      child.on('close', finish);
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, Math.max(1, opts.timeoutMs));
      const onAbort = () => {
        aborted = true;
        kill();
      };
      if (opts.signal?.aborted) {
        onAbort();
      } else {
        opts.signal?.addEventListener('abort', onAbort, { once: true });
      }
    });
  }
}
