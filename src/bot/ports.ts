/**
 * The small interfaces through which the core talks to the outside world. Production code passes
 * real implementations (see `src/bot/node/`), tests pass fakes; nothing is global.
 */

export interface Clock {
  /** Milliseconds, monotonic within a run. */
  now(): number;
  /** Wall-clock time for timestamps that are stored or shown. */
  wallNow(): Date;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  level: LogLevel;
  message: string;
  time: number;
  /** Who logged: for example `group:Premium Farmers/bot:1`. */
  source?: string;
  data?: Record<string, unknown>;
}

export interface Logger {
  log(level: LogLevel, message: string, data?: Record<string, unknown>): void;
  /** A logger whose records carry `source` (joined with `/` onto the parent's). */
  child(source: string): Logger;
}

export interface FileStat {
  isFile: boolean;
  isDirectory: boolean;
  mtimeMs: number;
  size: number;
}

/**
 * Workspace file access. Paths are absolute or relative to the store's root; implementations refuse
 * paths that escape the root.
 */
export interface FileStore {
  readonly root: string;
  resolve(path: string): string;
  readFile(path: string): Promise<Uint8Array>;
  readText(path: string): Promise<string>;
  /** Writes through a temp file and a rename, so a reader never sees a half-written file. */
  writeFileAtomic(path: string, data: Uint8Array | string): Promise<void>;
  delete(path: string): Promise<void>;
  stat(path: string): Promise<FileStat | undefined>;
  /** Names (not paths) of the entries of a directory; [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  mkdirp(dir: string): Promise<void>;
  /** Calls back (debounced) with the relative paths that changed under `dir`. */
  watch(dir: string, onChange: (paths: string[]) => void): { dispose(): void };
}
