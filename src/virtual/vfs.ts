/**
 * The virtual device's in-memory filesystem: absolute POSIX paths, files with mode and mtime, directories that
 * exist either explicitly (`mkdir`) or implicitly (a file below them). Shared by `sync:`, the shell and the app.
 */
import { Emitter, type Event } from '../shared/lifecycle';
import type { VirtualFile, VirtualFs } from './types';
import { FleetError } from '../shared/errors';

export type VfsErrorCode = 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'EEXIST' | 'ENOTEMPTY' | 'EINVAL';

export class VfsError extends FleetError<VfsErrorCode> {
  constructor(
    code: VfsErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(code, message);
    this.name = 'VfsError';
  }
}

/** errno numbers (Linux) for the codes, as the sync protocol reports them. */
export const ERRNO: Record<VfsErrorCode, number> = { ENOENT: 2, ENOTDIR: 20, EISDIR: 21, EEXIST: 17, ENOTEMPTY: 39, EINVAL: 22 };

/** Text of each error as Android's toybox prints it. */
export const STRERROR: Record<VfsErrorCode, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
  EINVAL: 'Invalid argument',
};

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;

export interface VfsEntry {
  name: string;
  isDir: boolean;
  size: number;
  mode: number;
  mtimeMs: number;
}

export interface VfsStat {
  isDir: boolean;
  size: number;
  /** Full st_mode including the file type bits. */
  mode: number;
  mtimeMs: number;
}

/** Collapses `//`, `.` and `..`; relative paths are taken from `/`. Never escapes the root. */
export function normalizePath(p: string, cwd = '/'): string {
  const parts: string[] = [];
  const full = p.startsWith('/') ? p : `${cwd}/${p}`;
  for (const seg of full.split('/')) {
    if (seg === '' || seg === '.') {
      continue;
    }
    if (seg === '..') {
      parts.pop();
    } else {
      parts.push(seg);
    }
  }
  return `/${parts.join('/')}`;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export class MemoryFs implements VirtualFs {
  private readonly files = new Map<string, VirtualFile>();
  /** Explicit directories with their mode and mtime; implied directories are derived from file paths. */
  private readonly dirs = new Map<string, { mode: number; mtimeMs: number }>();
  private readonly _onDidChangeFile = new Emitter<{ path: string; kind: 'write' | 'remove' }>();
  /** Fires after a file is written or removed. */
  readonly onDidChangeFile: Event<{ path: string; kind: 'write' | 'remove' }> = this._onDidChangeFile.event;

  constructor(private readonly now: () => number = () => Date.now()) {}

  read(path: string): VirtualFile | undefined {
    return this.files.get(normalizePath(path));
  }

  /** Writes a file, creating its parent directories. `mode` keeps only the permission bits (default 0644). */
  write(path: string, data: Buffer, mode = 0o644): void {
    const p = normalizePath(path);
    if (p === '/' || this.isDir(p)) {
      throw new VfsError('EISDIR', p, `${p}: ${STRERROR.EISDIR}`);
    }
    for (let d = parentOf(p); d !== '/'; d = parentOf(d)) {
      if (this.files.has(d)) {
        throw new VfsError('ENOTDIR', p, `${p}: ${STRERROR.ENOTDIR}`);
      }
    }
    this.files.set(p, { data, mode: mode & 0o7777, mtimeMs: this.now() });
    this._onDidChangeFile.fire({ path: p, kind: 'write' });
  }

  /** Removes a file or an empty explicit directory; false when nothing was there. */
  remove(path: string): boolean {
    const p = normalizePath(path);
    if (this.files.delete(p)) {
      this._onDidChangeFile.fire({ path: p, kind: 'remove' });
      return true;
    }
    if (this.dirs.has(p) && this.list(p).length === 0) {
      this.dirs.delete(p);
      return true;
    }
    return false;
  }

  /** Removes a directory and everything below it (or a file); false when nothing was there. */
  removeTree(path: string): boolean {
    const p = normalizePath(path);
    if (p === '/') {
      throw new VfsError('EINVAL', p, `refusing to remove '/'`);
    }
    if (this.remove(p)) {
      return true;
    }
    if (!this.isDir(p)) {
      return false;
    }
    const prefix = `${p}/`;
    for (const f of [...this.files.keys()]) {
      if (f.startsWith(prefix)) {
        this.files.delete(f);
        this._onDidChangeFile.fire({ path: f, kind: 'remove' });
      }
    }
    for (const d of [...this.dirs.keys()]) {
      if (d === p || d.startsWith(prefix)) {
        this.dirs.delete(d);
      }
    }
    return true;
  }

  /** Creates a directory (and, with `parents`, its missing parents). */
  mkdir(path: string, opts: { parents?: boolean; mode?: number } = {}): void {
    const p = normalizePath(path);
    if (this.files.has(p)) {
      throw new VfsError('EEXIST', p, `${p}: ${STRERROR.EEXIST}`);
    }
    if (this.isDir(p)) {
      if (opts.parents) {
        return;
      }
      throw new VfsError('EEXIST', p, `${p}: ${STRERROR.EEXIST}`);
    }
    const parent = parentOf(p);
    if (!this.isDir(parent)) {
      if (this.files.has(parent)) {
        throw new VfsError('ENOTDIR', p, `${p}: ${STRERROR.ENOTDIR}`);
      }
      if (!opts.parents) {
        throw new VfsError('ENOENT', p, `${p}: ${STRERROR.ENOENT}`);
      }
      this.mkdir(parent, { parents: true, mode: opts.mode });
    }
    this.dirs.set(p, { mode: (opts.mode ?? 0o755) & 0o7777, mtimeMs: this.now() });
  }

  isDir(path: string): boolean {
    const p = normalizePath(path);
    if (p === '/' || this.dirs.has(p)) {
      return true;
    }
    const prefix = `${p}/`;
    for (const f of this.files.keys()) {
      if (f.startsWith(prefix)) {
        return true;
      }
    }
    for (const d of this.dirs.keys()) {
      if (d.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  stat(path: string): VfsStat | undefined {
    const p = normalizePath(path);
    const f = this.files.get(p);
    if (f) {
      return { isDir: false, size: f.data.length, mode: S_IFREG | f.mode, mtimeMs: f.mtimeMs };
    }
    if (this.isDir(p)) {
      const d = this.dirs.get(p);
      return { isDir: true, size: 4096, mode: S_IFDIR | (d?.mode ?? 0o755), mtimeMs: d?.mtimeMs ?? this.dirMtime(p) };
    }
    return undefined;
  }

  /** Sets the permission bits of a file or directory; false when it does not exist. */
  chmod(path: string, mode: number): boolean {
    const p = normalizePath(path);
    const f = this.files.get(p);
    if (f) {
      f.mode = mode & 0o7777;
      return true;
    }
    if (this.isDir(p)) {
      const d = this.dirs.get(p);
      this.dirs.set(p, { mode: mode & 0o7777, mtimeMs: d?.mtimeMs ?? this.now() });
      return true;
    }
    return false;
  }

  /** Sets a file's modification time (sync `DONE` carries it). */
  setMtime(path: string, mtimeMs: number): void {
    const f = this.files.get(normalizePath(path));
    if (f) {
      f.mtimeMs = mtimeMs;
    }
  }

  list(dir: string): VfsEntry[] {
    const p = normalizePath(dir);
    const prefix = p === '/' ? '/' : `${p}/`;
    const byName = new Map<string, VfsEntry>();
    for (const [f, file] of this.files) {
      if (!f.startsWith(prefix)) {
        continue;
      }
      const rest = f.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) {
        byName.set(rest, { name: rest, isDir: false, size: file.data.length, mode: S_IFREG | file.mode, mtimeMs: file.mtimeMs });
      } else {
        const name = rest.slice(0, slash);
        if (!byName.has(name)) {
          const st = this.stat(prefix + name);
          byName.set(name, { name, isDir: true, size: 4096, mode: st?.mode ?? S_IFDIR | 0o755, mtimeMs: st?.mtimeMs ?? 0 });
        }
      }
    }
    for (const [d, info] of this.dirs) {
      if (!d.startsWith(prefix) || d === p) {
        continue;
      }
      const name = d.slice(prefix.length).split('/')[0];
      if (!byName.has(name)) {
        const explicit = this.dirs.get(prefix + name) ?? info;
        byName.set(name, { name, isDir: true, size: 4096, mode: S_IFDIR | explicit.mode, mtimeMs: explicit.mtimeMs });
      }
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every file path (sorted); for tests and debugging. */
  allFiles(): string[] {
    return [...this.files.keys()].sort();
  }

  private dirMtime(p: string): number {
    let t = 0;
    const prefix = `${p}/`;
    for (const [f, file] of this.files) {
      if (f.startsWith(prefix) && file.mtimeMs > t) {
        t = file.mtimeMs;
      }
    }
    return t;
  }
}
