/**
 * The workspace as the editor features see it: every served file (routines, template registries, groups,
 * pools) parsed on demand into a {@link FileModel} and cached until its text changes. Reads go through the
 * overlay store, so open documents count with their unsaved text; disk files are re-read only after the
 * client reports a change.
 */
import type { OverlayFileStore } from './overlayFileStore';
import { buildFileModel, type FileModel } from './fileModel';
import type { TemplateDef } from './templateFacts';
import type { RoutineFacts } from './routineFacts';
import { fileKind, routinePath, type FleetFileKind } from './workspacePaths';

const MAX_DEPTH = 16;
const MAX_FILES = 5000;

export interface TemplateEntry {
  def: TemplateDef;
  file: FileModel & { facts: { kind: 'templates' } };
}

export interface RoutineModel extends FileModel {
  routineName: string;
  facts: RoutineFacts;
}

export class WorkspaceIndex {
  private listing: Promise<string[]> | undefined;
  /** Disk texts read so far (undefined value: unreadable). */
  private readonly disk = new Map<string, string | undefined>();
  private readonly models = new Map<string, FileModel>();

  constructor(private readonly store: OverlayFileStore) {}

  /**
   * Disk changed: the cached texts of `paths` are dropped; `structural` (files created or deleted) also drops the
   * listing. Without paths everything is dropped.
   */
  invalidate(paths?: readonly string[], structural = true): void {
    if (!paths) {
      this.disk.clear();
      this.listing = undefined;
      return;
    }
    for (const p of paths) {
      this.disk.delete(p);
    }
    if (structural) {
      this.listing = undefined;
    }
  }

  /** Every served file: the listing of the four folders plus open documents. */
  async paths(): Promise<string[]> {
    this.listing ??= this.scan();
    const listed = await this.listing;
    const extra = this.store
      .entries()
      .map(([p]) => p)
      .filter((p) => fileKind(p) && !listed.includes(p));
    return extra.length ? [...listed, ...extra].sort() : listed;
  }

  private async scan(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, depth: number, recursive: boolean): Promise<void> => {
      if (depth > MAX_DEPTH || out.length >= MAX_FILES) {
        return;
      }
      for (const name of await this.store.list(dir)) {
        if (name.startsWith('.') || name.endsWith('.tmp')) {
          continue;
        }
        const p = `${dir}/${name}`;
        if (name.endsWith('.yaml')) {
          if (fileKind(p)) {
            out.push(p);
          }
          continue;
        }
        if (recursive && !/\.(png|jpe?g|webp|json|yml|md|txt|tmp)$/i.test(name)) {
          const st = await this.store.stat(p);
          if (st?.isDirectory) {
            await walk(p, depth + 1, recursive);
          }
        }
      }
    };
    await walk('routines', 0, true);
    await walk('templates', 0, true);
    await walk('groups', 0, false);
    await walk('pools', 0, false);
    return out.sort();
  }

  /** The text of a served file (an open document's, else the disk's); undefined when unreadable. */
  async text(path: string): Promise<string | undefined> {
    const open = this.store.get(path);
    if (open !== undefined) {
      return open;
    }
    if (this.disk.has(path)) {
      return this.disk.get(path);
    }
    let text: string | undefined;
    try {
      text = await this.store.readText(path);
    } catch {
      text = undefined;
    }
    this.disk.set(path, text);
    return text;
  }

  /** The model of a text (cached while the text of that path stays the same). */
  modelOf(path: string, text: string): FileModel | undefined {
    const cached = this.models.get(path);
    if (cached && cached.text === text) {
      return cached;
    }
    const m = buildFileModel(path, text);
    if (m) {
      this.models.set(path, m);
    }
    return m;
  }

  async model(path: string): Promise<FileModel | undefined> {
    const text = await this.text(path);
    return text === undefined ? undefined : this.modelOf(path, text);
  }

  async modelsOf(kind: FleetFileKind): Promise<FileModel[]> {
    const out: FileModel[] = [];
    for (const p of await this.paths()) {
      if (fileKind(p) === kind) {
        const m = await this.model(p);
        if (m) {
          out.push(m);
        }
      }
    }
    // Forget models of files that are gone.
    for (const p of [...this.models.keys()]) {
      if (fileKind(p) === kind && !out.some((m) => m.path === p)) {
        this.models.delete(p);
      }
    }
    return out;
  }

  /** Every template and colour check of every registry file, in file order. */
  async templates(): Promise<TemplateEntry[]> {
    const out: TemplateEntry[] = [];
    for (const m of await this.modelsOf('templates')) {
      if (m.facts.kind === 'templates') {
        for (const def of m.facts.defs) {
          out.push({ def, file: m as TemplateEntry['file'] });
        }
      }
    }
    return out;
  }

  /** The first definition of a template name. */
  async template(name: string): Promise<TemplateEntry | undefined> {
    return (await this.templates()).find((t) => t.def.name === name);
  }

  async routines(): Promise<RoutineModel[]> {
    return (await this.modelsOf('routine')).filter((m): m is RoutineModel => m.facts.kind === 'routine' && m.routineName !== undefined);
  }

  async routineNames(): Promise<string[]> {
    return (await this.paths()).filter((p) => fileKind(p) === 'routine').map((p) => p.slice('routines/'.length, -'.yaml'.length));
  }

  async routine(name: string): Promise<RoutineModel | undefined> {
    const m = await this.model(routinePath(name));
    return m && m.facts.kind === 'routine' && m.routineName !== undefined ? (m as RoutineModel) : undefined;
  }

  /** Pool names: each pool file's `name`, else its file name (as the validator accepts both). */
  async pools(): Promise<Array<{ name: string; file: FileModel; description?: string }>> {
    const out: Array<{ name: string; file: FileModel; description?: string }> = [];
    for (const m of await this.modelsOf('pool')) {
      if (m.facts.kind === 'pool') {
        const stem = m.path.slice('pools/'.length, -'.yaml'.length);
        out.push({ name: m.facts.nameRef?.name ?? stem, file: m, description: m.facts.description });
      }
    }
    return out;
  }
}
