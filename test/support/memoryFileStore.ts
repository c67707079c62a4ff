/** An in-memory FileStore for unit tests (registries, validation, pools): binary-safe, with non-recursive watching. */
import { FileTooLargeError, PathEscapeError, type FileStat, type FileStore, type ReadOptions } from '../../src/shared/ports';

export class MemoryFileStore implements FileStore {
  readonly root = '/memory';
  private readonly files = new Map<string, { data: Uint8Array; mtimeMs: number }>();
  private readonly watchers = new Set<{ dir: string; cb: (paths: string[]) => void }>();
  private clock = 0;

  constructor(initial: Record<string, string> = {}) {
    for (const [p, t] of Object.entries(initial)) {
      this.files.set(norm(p), { data: new TextEncoder().encode(t), mtimeMs: ++this.clock });
    }
  }

  resolve(p: string): string {
    return `${this.root}/${norm(p)}`;
  }

  /** How many times a file was read (tests of caches count them). */
  reads = 0;

  async readFile(p: string, options: ReadOptions = {}): Promise<Uint8Array> {
    this.reads++;
    const f = this.files.get(norm(p));
    if (!f) {
      throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    }
    if (options.maxBytes !== undefined && f.data.byteLength > options.maxBytes) {
      throw new FileTooLargeError(p, f.data.byteLength, options.maxBytes);
    }
    return f.data;
  }

  async readText(p: string, options: ReadOptions = {}): Promise<string> {
    return new TextDecoder().decode(await this.readFile(p, options));
  }

  /** No links in memory: a path is its own real path (ENOENT when nothing is there). */
  async realPath(p: string): Promise<string> {
    if (!(await this.stat(p))) {
      throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    }
    return norm(p);
  }

  /** Paths written through `writeFileAtomic`, in order (tests of "no needless write"). */
  readonly writes: string[] = [];

  async writeFileAtomic(p: string, data: Uint8Array | string): Promise<void> {
    this.writes.push(norm(p));
    this.set(p, data);
  }

  /** The text of a file, or undefined when it does not exist. */
  text(p: string): string | undefined {
    const f = this.files.get(norm(p));
    return f && new TextDecoder().decode(f.data);
  }

  has(p: string): boolean {
    return this.files.has(norm(p));
  }

  /** Changes (or with undefined deletes) a file as an editor would; watchers of its folder hear it. */
  edit(p: string, text: string | undefined): void {
    if (text === undefined) {
      this.files.delete(norm(p));
      this.notify(norm(p));
    } else {
      this.set(p, text);
    }
  }

  /** Synchronous write that notifies watchers (as a real watcher would, after the change). */
  set(p: string, data: Uint8Array | string): void {
    this.put(p, data);
    this.notify(norm(p));
  }

  /** Synchronous write without notifying watchers (test setup). */
  put(p: string, data: Uint8Array | string): void {
    this.files.set(norm(p), { data: typeof data === 'string' ? new TextEncoder().encode(data) : data, mtimeMs: ++this.clock });
  }

  /** Tells the watchers of the file's folder that it changed. */
  touch(p: string): void {
    this.notify(norm(p));
  }

  async delete(p: string): Promise<void> {
    this.files.delete(norm(p));
    this.notify(norm(p));
  }

  async stat(p: string): Promise<FileStat | undefined> {
    const n = norm(p);
    const f = this.files.get(n);
    if (f) {
      return { isFile: true, isDirectory: false, mtimeMs: f.mtimeMs, size: f.data.byteLength };
    }
    const prefix = n === '' ? '' : `${n}/`;
    if ([...this.files.keys()].some((k) => k.startsWith(prefix))) {
      return { isFile: false, isDirectory: true, mtimeMs: 0, size: 0 };
    }
    return undefined;
  }

  async list(dir: string): Promise<string[]> {
    const n = norm(dir);
    const prefix = n === '' ? '' : `${n}/`;
    const names = new Set<string>();
    for (const k of this.files.keys()) {
      if (k.startsWith(prefix)) {
        names.add(k.slice(prefix.length).split('/')[0]);
      }
    }
    return [...names].sort();
  }

  async mkdirp(): Promise<void> {
    // directories exist implicitly
  }

  watch(dir: string, onChange: (paths: string[]) => void): { dispose(): void } {
    const w = { dir: norm(dir), cb: onChange };
    this.watchers.add(w);
    return { dispose: () => this.watchers.delete(w) };
  }

  /** Number of active watchers (tests check they are disposed). */
  get watcherCount(): number {
    return this.watchers.size;
  }

  private notify(p: string): void {
    for (const w of [...this.watchers]) {
      // Like fs.watch (not recursive): only direct children of the watched directory.
      if ((p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') === w.dir) {
        w.cb([p]);
      }
    }
  }
}

/** Normalises a workspace-relative path; like NodeFileStore, refuses one that escapes the root. */
function norm(p: string): string {
  const parts: string[] = [];
  for (const seg of p.replace(/\\/g, '/').split('/')) {
    if (!seg || seg === '.') {
      continue;
    }
    if (seg === '..') {
      if (!parts.length) {
        throw new PathEscapeError(p, '/memory');
      }
      parts.pop();
    } else {
      parts.push(seg);
    }
  }
  return parts.join('/');
}
