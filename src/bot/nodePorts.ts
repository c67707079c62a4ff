/** Real implementations of the core's ports for plain Node (CLI, extension host, integration tests). */
import { promises as fsp, watch as fsWatch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Clock, FileStat, FileStore, Logger, LogLevel, LogRecord } from './ports';

export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }
  wallNow(): Date {
    return new Date();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return abortableSleep(ms, signal);
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'aborted'));
}

const LEVELS: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** A logger that hands records to a sink; `child` prefixes the source. */
export class SinkLogger implements Logger {
  constructor(
    private readonly sink: (r: LogRecord) => void,
    private readonly minLevel: LogLevel = 'info',
    private readonly source?: string,
    private readonly clock: { now(): number } = { now: () => Date.now() },
  ) {}

  log(level: LogLevel, message: string, data?: Record<string, unknown>): void {
    if (LEVELS[level] < LEVELS[this.minLevel]) {
      return;
    }
    this.sink({ level, message, time: this.clock.now(), source: this.source, data });
  }

  child(source: string): Logger {
    return new SinkLogger(this.sink, this.minLevel, this.source ? `${this.source}/${source}` : source, this.clock);
  }
}

/** Keeps records in memory (tests, and the monitor's recent-log buffer). */
export class MemoryLogger extends SinkLogger {
  readonly records: LogRecord[];
  constructor(minLevel: LogLevel = 'trace') {
    const records: LogRecord[] = [];
    super((r) => records.push(r), minLevel);
    this.records = records;
  }
}

export const nullLogger: Logger = {
  log: () => undefined,
  child: () => nullLogger,
};

export class PathEscapeError extends Error {
  constructor(readonly requested: string, readonly root: string) {
    super(`path '${requested}' escapes the workspace root`);
    this.name = 'PathEscapeError';
  }
}

/** FileStore on the real filesystem, confined to `root`. */
export class NodeFileStore implements FileStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  resolve(p: string): string {
    const abs = path.resolve(this.root, p);
    const rel = path.relative(this.root, abs);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new PathEscapeError(p, this.root);
    }
    return abs;
  }

  async readFile(p: string): Promise<Uint8Array> {
    return fsp.readFile(this.resolve(p));
  }

  async readText(p: string): Promise<string> {
    return fsp.readFile(this.resolve(p), 'utf8');
  }

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
    try {
      const s = await fsp.stat(this.resolve(p));
      return { isFile: s.isFile(), isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs, size: s.size };
    } catch {
      return undefined;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return (await fsp.readdir(this.resolve(dir))).sort();
    } catch {
      return [];
    }
  }

  async mkdirp(dir: string): Promise<void> {
    await fsp.mkdir(this.resolve(dir), { recursive: true });
  }

  watch(dir: string, onChange: (paths: string[]) => void): { dispose(): void } {
    const abs = this.resolve(dir);
    let pending = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;
    let disposed = false;
    const flush = () => {
      timer = undefined;
      const paths = [...pending];
      pending = new Set();
      if (paths.length && !disposed) {
        onChange(paths);
      }
    };
    const start = () => {
      try {
        watcher = fsWatch(abs, { persistent: false }, (_ev, name) => {
          if (!name || name.startsWith('.') || name.endsWith('.tmp')) {
            return;
          }
          pending.add(path.relative(this.root, path.join(abs, name.toString())));
          timer ??= setTimeout(flush, 50);
        });
        watcher.on('error', () => undefined);
      } catch {
        // Directory does not exist yet: poll until it does.
        const poll = setInterval(() => {
          if (disposed) {
            clearInterval(poll);
            return;
          }
          fsp.stat(abs).then(
            () => {
              clearInterval(poll);
              if (!disposed) {
                start();
              }
            },
            () => undefined,
          );
        }, 500);
        poll.unref();
      }
    };
    start();
    return {
      dispose() {
        disposed = true;
        watcher?.close();
        if (timer) {
          clearTimeout(timer);
        }
      },
    };
  }
}
