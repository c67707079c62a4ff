/**
 * The group definitions of a workspace: every `groups/*.yaml` file, valid or not, kept in memory and watched so
 * that edits on disk appear at once. Saving edits an existing file's YAML document in place (comments and layout
 * survive) and writes atomically; a file with errors stays listed with its located diagnostics.
 */
import type { GroupDefinitionSummary } from '../shared/fleetTypes';
import type { Diagnostic } from '../shared/geometry';
import { Emitter, type Disposable, type Event } from '../shared/lifecycle';
import { diagnosticAt, parseYaml } from '../shared/yamlSource';
import type { Clock, FileStore, Logger } from '../shared/ports';
import { nullLogger } from '../shared/loggers';
import { fileErrorDiagnostic, isYamlName, listWorkspaceFiles, readWorkspaceYaml } from '../bot/workspaceFiles';
import {
  applyDefinitionToDocument,
  cloneGroupDefinition,
  definitionFileStem,
  definitionInstanceKeys,
  GroupDefinitionError,
  newDefinitionText,
  parseGroupDefinition,
  sameGroupConfiguration,
  validateGroupDefinition,
  type BotGroupDefinition,
} from './groupDefinition';

export interface DefinitionEntry {
  /** Workspace-relative path (`groups/premium_farmers.yaml`). */
  readonly file: string;
  /** The definition's name, or the file's stem when the name cannot be read. */
  readonly name: string;
  /** Set when the file is valid (and its name is not taken by an earlier file). */
  readonly definition?: BotGroupDefinition;
  readonly diagnostics: readonly Diagnostic[];
  readonly text: string;
}

/** The summary of a definition file that lists show (`active` says whether its group is running). */
export function definitionSummary(e: DefinitionEntry, active: boolean): GroupDefinitionSummary {
  const d = e.definition;
  return {
    name: e.name,
    file: e.file,
    valid: d !== undefined,
    ...(d?.description !== undefined ? { description: d.description } : {}),
    ...(d ? { routine: d.routine, requestedBotCount: d.requestedBotCount, availableInstances: definitionInstanceKeys(d) } : {}),
    ...(d?.accountPool !== undefined ? { accountPool: d.accountPool } : {}),
    diagnostics: e.diagnostics,
    active,
  };
}

export interface DefinitionsChange {
  /** Names added, changed or removed. */
  names: string[];
}

export interface DefinitionsStoreOptions {
  /** Workspace-relative folder of the definitions. */
  dir: string;
  clock: Clock;
  logger?: Logger;
}

const YAML_FILE = /\.ya?ml$/i;

export class DefinitionsStore implements Disposable {
  private byFile = new Map<string, DefinitionEntry>();
  private readonly _onDidChange = new Emitter<DefinitionsChange>();
  /** Fires when files were added, edited or removed (on disk or through save/delete). */
  readonly onDidChange: Event<DefinitionsChange> = this._onDidChange.event;
  private watcher: { dispose(): void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private readonly dir: string;
  private readonly logger: Logger;

  constructor(
    private readonly files: FileStore,
    private readonly options: DefinitionsStoreOptions,
  ) {
    this.dir = options.dir.replace(/\/+$/, '');
    this.logger = options.logger ?? nullLogger;
  }

  /** Reads every definition file (again). */
  load(): Promise<void> {
    return this.serialize(async () => {
      await this.loadAll();
    });
  }

  private async loadAll(): Promise<string[]> {
    const listing = await listWorkspaceFiles(this.files, this.dir, { include: isYamlName });
    const next = new Map<string, DefinitionEntry>();
    for (const file of listing.files) {
      const entry = await this.readEntry(file);
      if (entry) {
        next.set(file, entry);
      }
    }
    // A refused link is listed as an entry of its own, so its diagnostic shows wherever definitions are listed.
    for (const d of listing.diagnostics) {
      if (d.severity === 'error' && !next.has(d.file)) {
        next.set(d.file, this.refusedEntry(d.file, d));
      }
    }
    const sorted = new Map([...next.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const changed = this.diffNames(this.byFile, sorted);
    this.byFile = sorted;
    this.resolveDuplicates();
    if (changed.length) {
      this._onDidChange.fire({ names: changed });
    }
    return changed;
  }

  /** Starts watching the folder (idempotent); changes are re-read and reported through onDidChange. */
  watch(): void {
    if (this.watcher || this.disposed) {
      return;
    }
    this.watcher = this.files.watch(
      this.dir,
      (paths) => {
        void this.refresh(paths).catch((e: unknown) => this.logger.log('warn', 're-reading group definitions failed', { error: String(e) }));
      },
      (e) => this.logger.log('warn', `live reload of group definitions: ${e.message}`),
    );
  }

  /** Re-reads the given workspace-relative files (added, changed or deleted); all of them for an empty list. */
  refresh(paths: readonly string[]): Promise<string[]> {
    return this.serialize(async () => {
      if (paths.length === 0) {
        return this.loadAll();
      }
      const wanted = paths.map((p) => p.replace(/\\/g, '/')).filter((p) => YAML_FILE.test(p) && p.startsWith(`${this.dir}/`) && !p.slice(this.dir.length + 1).includes('/'));
      const before = new Map(this.byFile);
      for (const file of new Set(wanted)) {
        const entry = await this.readEntry(file);
        if (entry === undefined) {
          this.byFile.delete(file);
        } else if (this.byFile.get(file)?.text !== entry.text) {
          this.byFile.set(file, entry);
        }
      }
      this.byFile = new Map([...this.byFile.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      this.resolveDuplicates();
      const changed = this.diffNames(before, this.byFile);
      if (changed.length) {
        this._onDidChange.fire({ names: changed });
      }
      return changed;
    });
  }

  /** Every definition file, in file order. */
  entries(): DefinitionEntry[] {
    return [...this.byFile.values()];
  }

  /** The entry holding the valid definition named `name`, else the first entry of that name. */
  entry(name: string): DefinitionEntry | undefined {
    const all = this.entries().filter((e) => e.name === name);
    return all.find((e) => e.definition) ?? all[0];
  }

  /** The valid definition named `name` (a copy). */
  get(name: string): BotGroupDefinition | undefined {
    const d = this.entry(name)?.definition;
    return d ? cloneGroupDefinition(d) : undefined;
  }

  names(): string[] {
    return [...new Set(this.entries().map((e) => e.name))];
  }

  /**
   * Saves a definition: edits its file in place when it exists (comments and layout kept), otherwise creates
   * `groups/<name>.yaml`. Sets createdAt/updatedAt. Atomic; the written text is re-validated first.
   */
  save(def: BotGroupDefinition): Promise<BotGroupDefinition> {
    return this.serialize(async () => {
      const valid = validateGroupDefinition(def);
      const existing = this.entry(valid.name);
      const now = this.options.clock.wallNow().toISOString();
      const toSave: BotGroupDefinition = { ...valid, createdAt: existing?.definition?.createdAt ?? valid.createdAt ?? now, updatedAt: now };
      let file: string;
      let text: string;
      if (existing) {
        file = existing.file;
        const read = await this.readText(file);
        if (read && 'diagnostic' in read) {
          // Never overwrite a file that could not be read (too large, a link leaving the workspace).
          throw new GroupDefinitionError('invalid-definition', `cannot save '${toSave.name}': ${read.diagnostic.message}`, [read.diagnostic]);
        }
        const current = read?.text ?? '';
        const parsed = parseYaml(current, file);
        if (parsed.diagnostics.some((d) => d.severity === 'error') || current.trim() === '') {
          text = newDefinitionText(toSave);
        } else {
          const previous = parseGroupDefinition(current, file).value;
          applyDefinitionToDocument(parsed.doc, previous, toSave);
          text = parsed.doc.toString({ flowCollectionPadding: false });
        }
      } else {
        file = await this.freeFileName(toSave.name);
        text = newDefinitionText(toSave);
      }
      const check = parseGroupDefinition(text, file);
      if (!check.value || !sameGroupConfiguration(check.value, toSave)) {
        throw new GroupDefinitionError('invalid-definition', `saving '${toSave.name}' would not round-trip; the file was left unchanged`, check.diagnostics);
      }
      await this.files.writeFileAtomic(file, text);
      this.byFile.set(file, this.parseEntry(file, text));
      this.resolveDuplicates();
      this._onDidChange.fire({ names: [toSave.name] });
      return cloneGroupDefinition(check.value);
    });
  }

  /** Deletes the file of the definition named `name`; throws GroupDefinitionError('unknown-group') when none. */
  delete(name: string): Promise<void> {
    return this.serialize(async () => {
      const e = this.entry(name);
      if (!e) {
        throw new GroupDefinitionError('unknown-group', `no group definition is named '${name}'`);
      }
      await this.files.delete(e.file);
      this.byFile.delete(e.file);
      this.resolveDuplicates();
      this._onDidChange.fire({ names: [name] });
    });
  }

  dispose(): void {
    this.disposed = true;
    this.watcher?.dispose();
    this.watcher = undefined;
    this._onDidChange.dispose();
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The text of a definition file, a diagnostic when it cannot be read, undefined when it is not there. */
  private async readText(file: string): Promise<{ text: string } | { diagnostic: Diagnostic } | undefined> {
    let st;
    try {
      st = await this.files.stat(file);
    } catch (e) {
      return { diagnostic: fileErrorDiagnostic(file, e) };
    }
    if (st && !st.isFile) {
      return undefined;
    }
    const read = await readWorkspaceYaml(this.files, file);
    return 'missing' in read ? undefined : read;
  }

  private async readEntry(file: string): Promise<DefinitionEntry | undefined> {
    const read = await this.readText(file);
    if (!read) {
      return undefined;
    }
    return 'diagnostic' in read ? this.refusedEntry(file, read.diagnostic) : this.parseEntry(file, read.text);
  }

  /** An entry for a file that cannot be read: named after the file, invalid, with the reason. */
  private refusedEntry(file: string, diagnostic: Diagnostic): DefinitionEntry {
    const stem = file.slice(file.lastIndexOf('/') + 1).replace(YAML_FILE, '');
    // The text records the refusal, so an unchanged refusal is no change.
    return Object.freeze({ file, name: stem, diagnostics: [diagnostic], text: `\0${diagnostic.message}` });
  }

  private parseEntry(file: string, text: string): DefinitionEntry {
    const r = parseGroupDefinition(text, file);
    const stem = file.slice(file.lastIndexOf('/') + 1).replace(YAML_FILE, '');
    let name = r.value?.name;
    if (name === undefined) {
      const raw: unknown = r.parsed.doc.get('name');
      name = typeof raw === 'string' && raw.trim() ? raw.trim() : stem;
    }
    return Object.freeze({ file, name, definition: r.value, diagnostics: r.diagnostics, text });
  }

  /** A second valid file with an already used name is invalid, with a diagnostic at its `name`. */
  private resolveDuplicates(): void {
    const owners = new Map<string, string>();
    for (const [file, e] of this.byFile) {
      const dupDiag = e.diagnostics.find((d) => d.code === 'duplicate-group');
      let entry = e;
      if (dupDiag && !e.definition) {
        // Re-parse: the earlier owner may be gone.
        entry = this.parseEntry(file, e.text);
        this.byFile.set(file, entry);
      }
      if (!entry.definition) {
        continue;
      }
      const owner = owners.get(entry.name);
      if (owner === undefined) {
        owners.set(entry.name, file);
        continue;
      }
      const parsed = parseYaml(entry.text, file);
      const diag = diagnosticAt(parsed, ['name'], `another definition (${owner}) already uses the name '${entry.name}'`, 'duplicate-group');
      this.byFile.set(file, Object.freeze({ ...entry, definition: undefined, diagnostics: [...entry.diagnostics, diag] }));
    }
  }

  private async freeFileName(name: string): Promise<string> {
    const stem = definitionFileStem(name);
    for (let i = 1; i < 1000; i++) {
      const file = `${this.dir}/${stem}${i === 1 ? '' : `_${i}`}.yaml`;
      if (!this.byFile.has(file) && !(await this.files.stat(file))) {
        return file;
      }
    }
    throw new GroupDefinitionError('invalid-name', `no free file name for '${name}'`);
  }

  private diffNames(before: ReadonlyMap<string, DefinitionEntry>, after: ReadonlyMap<string, DefinitionEntry>): string[] {
    const names = new Set<string>();
    for (const [file, e] of before) {
      const a = after.get(file);
      if (!a || a.text !== e.text || a.name !== e.name) {
        names.add(e.name);
        if (a) {
          names.add(a.name);
        }
      }
    }
    for (const [file, a] of after) {
      if (!before.has(file)) {
        names.add(a.name);
      }
    }
    return [...names];
  }
}
