/**
 * A FileStore whose open documents override the disk: the validator, the loaders and the index read the
 * editor's unsaved text through it, exactly as `emulator-fleet validate` reads the saved files. Writes go to
 * the underlying store (the server never writes; the client applies edits).
 */
import type { FileStat, FileStore } from '../shared/ports';

function normalize(p: string): string {
  return p
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

export class OverlayFileStore implements FileStore {
  private readonly overlays = new Map<string, string>();

  constructor(private readonly base: FileStore) {}

  get root(): string {
    return this.base.root;
  }

  /** Sets the text of an open document (workspace-relative path). */
  set(path: string, text: string): void {
    this.overlays.set(normalize(path), text);
  }

  /** Forgets an open document: the disk version applies again. */
  remove(path: string): void {
    this.overlays.delete(normalize(path));
  }

  /** The overlaid text of a path, if the document is open. */
  get(path: string): string | undefined {
    return this.overlays.get(normalize(path));
  }

  /** Every open document: [path, text]. */
  entries(): Array<[string, string]> {
    return [...this.overlays];
  }

  resolve(path: string): string {
    return this.base.resolve(path);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const text = this.overlays.get(normalize(path));
    return text !== undefined ? new TextEncoder().encode(text) : this.base.readFile(path);
  }

  async readText(path: string): Promise<string> {
    return this.overlays.get(normalize(path)) ?? this.base.readText(path);
  }

  writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
    return this.base.writeFileAtomic(path, data);
  }

  delete(path: string): Promise<void> {
    return this.base.delete(path);
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const p = normalize(path);
    const text = this.overlays.get(p);
    if (text !== undefined) {
      const disk = await this.base.stat(path);
      return { isFile: true, isDirectory: false, mtimeMs: disk?.mtimeMs ?? 0, size: Buffer.byteLength(text) };
    }
    const disk = await this.base.stat(path);
    if (disk) {
      return disk;
    }
    // A folder that holds only unsaved documents.
    const prefix = p ? `${p}/` : '';
    for (const k of this.overlays.keys()) {
      if (k.startsWith(prefix)) {
        return { isFile: false, isDirectory: true, mtimeMs: 0, size: 0 };
      }
    }
    return undefined;
  }

  async list(dir: string): Promise<string[]> {
    const names = new Set(await this.base.list(dir));
    const prefix = normalize(dir) ? `${normalize(dir)}/` : '';
    for (const k of this.overlays.keys()) {
      if (k.startsWith(prefix)) {
        names.add(k.slice(prefix.length).split('/')[0]);
      }
    }
    return [...names].sort();
  }

  mkdirp(dir: string): Promise<void> {
    return this.base.mkdirp(dir);
  }

  watch(dir: string, onChange: (paths: string[]) => void): { dispose(): void } {
    return this.base.watch(dir, onChange);
  }
}
