/** An in-memory FileStore for the orchestration unit tests; `edit` simulates an edit on disk (watchers hear it). */
import type { FileStat, FileStore } from '../../../src/bot/ports';

export class MemoryFiles implements FileStore {
  readonly root = '/workspace';
  readonly files = new Map<string, string>();
  readonly writes: string[] = [];
  private watchers: Array<{ dir: string; cb: (paths: string[]) => void }> = [];

  constructor(initial: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(initial)) {
      this.files.set(k, v);
    }
  }

  /** Changes a file as an editor would, then notifies watchers of its folder. */
  edit(path: string, text: string | undefined): void {
    if (text === undefined) {
      this.files.delete(path);
    } else {
      this.files.set(path, text);
    }
    for (const w of this.watchers) {
      if (path.startsWith(`${w.dir}/`)) {
        w.cb([path]);
      }
    }
  }

  resolve(p: string): string {
    return `${this.root}/${p}`;
  }
  async readFile(p: string): Promise<Uint8Array> {
    return new TextEncoder().encode(await this.readText(p));
  }
  async readText(p: string): Promise<string> {
    const f = this.files.get(p);
    if (f === undefined) {
      throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    }
    return f;
  }
  async writeFileAtomic(p: string, data: Uint8Array | string): Promise<void> {
    this.writes.push(p);
    this.files.set(p, typeof data === 'string' ? data : new TextDecoder().decode(data));
  }
  async delete(p: string): Promise<void> {
    this.files.delete(p);
  }
  async stat(p: string): Promise<FileStat | undefined> {
    const f = this.files.get(p);
    if (f !== undefined) {
      return { isFile: true, isDirectory: false, mtimeMs: 0, size: f.length };
    }
    return [...this.files.keys()].some((k) => k.startsWith(`${p}/`)) ? { isFile: false, isDirectory: true, mtimeMs: 0, size: 0 } : undefined;
  }
  async list(dir: string): Promise<string[]> {
    const names = new Set<string>();
    for (const k of this.files.keys()) {
      if (k.startsWith(`${dir}/`)) {
        names.add(k.slice(dir.length + 1).split('/')[0]);
      }
    }
    return [...names].sort();
  }
  async mkdirp(_dir: string): Promise<void> {}
  watch(dir: string, onChange: (paths: string[]) => void): { dispose(): void } {
    const w = { dir, cb: onChange };
    this.watchers.push(w);
    return {
      dispose: () => {
        this.watchers = this.watchers.filter((x) => x !== w);
      },
    };
  }
}
