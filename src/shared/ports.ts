/**
 * The small interfaces through which the core (and the virtual device) talk to the outside world, and the errors a
 * FileStore throws. The host passes real implementations (`src/host/nodePorts.ts`, `src/shared/clock.ts`,
 * `src/shared/loggers.ts`), tests pass fakes; nothing is global.
 */
import { FleetError } from './errors';

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

/** Options of a read. */
export interface ReadOptions {
  /** Refuse (FileTooLargeError) a file larger than this many bytes, without reading it. */
  maxBytes?: number;
}

/**
 * Workspace file access. Paths are absolute or relative to the store's root; implementations refuse
 * (PathEscapeError) paths that escape the root by `..`, and reads, listings and stats that escape it through a
 * symbolic link.
 */
export interface FileStore {
  readonly root: string;
  resolve(path: string): string;
  readFile(path: string, options?: ReadOptions): Promise<Uint8Array>;
  readText(path: string, options?: ReadOptions): Promise<string>;
  /** Writes through a temp file and a rename, so a reader never sees a half-written file. */
  writeFileAtomic(path: string, data: Uint8Array | string): Promise<void>;
  delete(path: string): Promise<void>;
  /** Follows symbolic links (inside the root); undefined when the path does not exist. */
  stat(path: string): Promise<FileStat | undefined>;
  /** Names (not paths) of the entries of a directory; [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  mkdirp(dir: string): Promise<void>;
  /**
   * The path with every symbolic link resolved, relative to the root and `/`-separated (`''` for the root
   * itself): two paths name the same file or folder when their real paths are equal. Throws PathEscapeError when
   * it leads outside the root, and the file system's error (ENOENT, ELOOP) when it cannot be resolved. Stores
   * without links may leave it out (paths are then their own real paths).
   */
  realPath?(path: string): Promise<string>;
  /**
   * Calls back (debounced) with the relative paths that changed under `dir`; an empty list means anything under
   * `dir` may have changed (the watch was re-established after an error, or `dir` appeared). `onError` hears
   * every failure of the watch; the store keeps re-establishing it.
   */
  watch(dir: string, onChange: (paths: string[]) => void, onError?: (error: Error) => void): { dispose(): void };
}

/** A path that leaves the workspace root, by `..`, as an absolute path, or through a symbolic link. */
export class PathEscapeError extends FleetError<'EESCAPE'> {
  constructor(
    readonly requested: string,
    readonly root: string,
    /** The symbolic link (workspace-relative) through which the path leaves the root, when it is one. */
    readonly link?: string,
    /** What the path leads to outside the root, when known. */
    readonly targetKind?: 'file' | 'directory' | 'other',
  ) {
    super(
      'EESCAPE',
      link !== undefined
        ? `'${link}' is a symbolic link to a place outside the workspace${link !== requested ? ` (reading '${requested}')` : ''}`
        : `path '${requested}' escapes the workspace root`,
    );
    this.name = 'PathEscapeError';
  }
}

/** A read refused because the file is larger than the reader's `maxBytes`. */
export class FileTooLargeError extends FleetError<'EFBIG'> {
  constructor(
    readonly path: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super('EFBIG', `'${path}' is too large (${size} bytes; at most ${maxBytes} are read)`);
    this.name = 'FileTooLargeError';
  }
}
