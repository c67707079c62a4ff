/** An in-memory FileStore for the pool unit tests (no disk, no watching). */
import type { FileStat, FileStore } from '../../../src/bot/ports';

export class MemoryFileStore implements FileStore {
  readonly root = '/ws';
  readonly files = new Map<string, Uint8Array>();

  constructor(initial: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(initial)) {
      this.files.set(k, new TextEncoder().encode(v));
    }
  }

  resolve(p: string): string {
    return `${this.root}/${p}`;
  }
  async readFile(p: string): Promise<Uint8Array> {
    const f = this.files.get(p);
    if (!f) {
      throw new Error(`ENOENT: ${p}`);
    }
    return f;
  }
  async readText(p: string): Promise<string> {
    return new TextDecoder().decode(await this.readFile(p));
  }
  async writeFileAtomic(p: string, data: Uint8Array | string): Promise<void> {
    this.files.set(p, typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }
  async delete(p: string): Promise<void> {
    this.files.delete(p);
  }
  async stat(p: string): Promise<FileStat | undefined> {
    const f = this.files.get(p);
    if (f) {
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
  watch(_dir: string, _onChange: (paths: string[]) => void): { dispose(): void } {
    return { dispose() {} };
  }
}
