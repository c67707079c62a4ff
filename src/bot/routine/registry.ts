/**
 * The routine registry: every `routines/**\/*.yaml` of the workspace, loaded eagerly, named by its path under
 * `routines/` without `.yaml` (`sentries/popups`). Invalid routines stay listed with their diagnostics.
 * Cross-file checks (called routines, their parameters, template names, call cycles) run on every reload.
 */
import { formatDiagnostic, type Diagnostic } from '../../shared/geometry';
import { Emitter, toDisposable, DisposableBase, type Disposable } from '../../shared/lifecycle';
import type { ParsedYaml } from '../../shared/yamlSource';
import type { FileStore, Logger } from '../../shared/ports';
import { parseRoutine, sortDiagnostics } from './loader';
import type { LoadedRoutine } from './loadedTypes';
import { checkRoutineReferences, findCallCycles, type RoutineLookup, type TemplateLookup } from './staticChecks';
import { listWorkspaceFiles, readWorkspaceYaml } from '../workspaceFiles';

export interface RoutineEntry {
  /** Registry name: path under the routines folder without `.yaml`, `/`-separated. */
  readonly name: string;
  /** Path relative to the workspace root (as used in diagnostics), for example `routines/common/open_pack.yaml`. */
  readonly file: string;
  /** The loaded routine when the file itself is valid (cross-file errors may remain: see `valid`). */
  readonly routine?: LoadedRoutine;
  /** The file's own diagnostics followed by cross-file ones. */
  readonly diagnostics: readonly Diagnostic[];
  /** True when there is no error at all (file or cross-file). */
  readonly valid: boolean;
}

/** Payload of `onDidChangeRoutines`: registry names added, removed, or whose content or diagnostics changed. */
export interface RoutinesChangeEvent {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

export interface RoutineRegistryOptions {
  /** Folder of the routines, relative to the file store root (default `routines`). */
  dir?: string;
  /** Template names to check routine references against; unchecked when absent. */
  templates?: TemplateLookup;
  /** Most files loaded (a guard against runaway trees; default 5000). */
  maxFiles?: number;
}

interface FileRecord {
  name: string;
  file: string;
  text: string;
  routine?: LoadedRoutine;
  /** The valid parts of a file with errors: its references to other files are still checked. */
  partial?: LoadedRoutine;
  fileDiagnostics: Diagnostic[];
  crossDiagnostics: Diagnostic[];
  parsed?: ParsedYaml;
}

const MAX_DIR_DEPTH = 16;

export class RoutineRegistry extends DisposableBase implements RoutineLookup {
  private readonly _onDidChangeRoutines = this.register(new Emitter<RoutinesChangeEvent>());
  /** Fires after a reload that changed anything (files added, removed, edited, or diagnostics changed). */
  readonly onDidChangeRoutines = this._onDidChangeRoutines.event;

  private records = new Map<string, FileRecord>();
  /** Problems of the folder itself (files ignored, name clashes). */
  private folderDiagnostics: Diagnostic[] = [];
  private readonly dir: string;
  private templates: TemplateLookup | undefined;
  private readonly maxFiles: number;
  private loading: Promise<RoutinesChangeEvent> | undefined;
  private reloadAgain = false;
  private watchers = new Map<string, Disposable>();
  private watching = false;
  private directories: string[] = [];

  constructor(
    private readonly files: FileStore,
    private readonly logger: Logger,
    options: RoutineRegistryOptions = {},
  ) {
    super();
    this.dir = (options.dir ?? 'routines').replace(/\/+$/, '');
    this.templates = options.templates;
    this.maxFiles = options.maxFiles ?? 5000;
    this.register(toDisposable(() => this.stopWatching()));
  }

  /**
   * Sets (or clears) the template lookup and re-runs the cross-file checks; with `recheck: false` they are left to
   * the {@link reload} that the caller runs next (which runs them, and reports what changed).
   */
  setTemplates(templates: TemplateLookup | undefined, options: { recheck?: boolean } = {}): void {
    this.templates = templates;
    if (options.recheck === false) {
      return;
    }
    const before = this.snapshotDiagnostics();
    this.runCrossFileChecks();
    const changed = [...this.records.keys()].filter((n) => before.get(n) !== this.diagnosticsKey(n));
    if (changed.length) {
      this._onDidChangeRoutines.fire({ added: [], removed: [], changed });
    }
  }

  /**
   * (Re)loads every routine file. Concurrent calls share one load; a call during a load schedules one more.
   * Resolves with what changed.
   */
  reload(): Promise<RoutinesChangeEvent> {
    if (this.loading) {
      this.reloadAgain = true;
      return this.loading;
    }
    this.loading = (async () => {
      let total: RoutinesChangeEvent = { added: [], removed: [], changed: [] };
      do {
        this.reloadAgain = false;
        const ev = await this.loadOnce();
        total = mergeEvents(total, ev);
      } while (this.reloadAgain && !this.store.isDisposed);
      return total;
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** The routine when it is valid (no error in its file nor cross-file); undefined otherwise. */
  get(name: string): LoadedRoutine | undefined {
    const r = this.records.get(name);
    if (!r?.routine || hasError(r.crossDiagnostics)) {
      return undefined;
    }
    return r.routine;
  }

  /** The routine when its own file is valid, even if references to other files are broken. */
  routine(name: string): LoadedRoutine | undefined {
    return this.records.get(name)?.routine;
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  /** Every routine name, valid or not, sorted. */
  names(): string[] {
    return [...this.records.keys()].sort();
  }

  entry(name: string): RoutineEntry | undefined {
    const r = this.records.get(name);
    return r ? this.toEntry(r) : undefined;
  }

  entries(): RoutineEntry[] {
    return this.names().map((n) => this.toEntry(this.records.get(n)!));
  }

  /** The parsed YAML of a routine file (for locating further diagnostics). */
  parsed(name: string): ParsedYaml | undefined {
    return this.records.get(name)?.parsed;
  }

  /** Every diagnostic: folder problems, then per file (sorted by file, then position). */
  diagnostics(): Diagnostic[] {
    const out = [...this.folderDiagnostics];
    for (const n of this.names()) {
      const r = this.records.get(n)!;
      out.push(...sortDiagnostics([...r.fileDiagnostics, ...r.crossDiagnostics]));
    }
    return out;
  }

  /**
   * Watches the routines folder (and its subfolders) and reloads on change; `onDidChangeRoutines` reports what
   * changed. Returns a disposable that stops watching (also stopped when the registry is disposed).
   */
  watch(): Disposable {
    if (!this.watching) {
      this.watching = true;
      this.syncWatchers();
    }
    return toDisposable(() => this.stopWatching());
  }

  private stopWatching(): void {
    this.watching = false;
    for (const w of this.watchers.values()) {
      w.dispose();
    }
    this.watchers.clear();
  }

  private syncWatchers(): void {
    if (!this.watching || this.store.isDisposed) {
      return;
    }
    const wanted = new Set([this.dir, ...this.directories]);
    for (const [d, w] of this.watchers) {
      if (!wanted.has(d)) {
        w.dispose();
        this.watchers.delete(d);
      }
    }
    for (const d of wanted) {
      if (!this.watchers.has(d)) {
        this.watchers.set(
          d,
          this.files.watch(
            d,
            () => {
              const folderBefore = new Set(this.folderDiagnostics.map(formatDiagnostic));
              this.reload().then(
                (ev) => this.reportNewProblems(ev, folderBefore),
                (e: unknown) => this.logger.log('error', `reloading routines failed: ${e instanceof Error ? e.message : String(e)}`),
              );
            },
            (e) => this.logger.log('warn', `live reload of routines: ${e.message}`),
          ),
        );
      }
    }
  }

  /** After a reload caused by an edit: the errors of the files that changed, so a running fleet tells its user. */
  private reportNewProblems(ev: RoutinesChangeEvent, folderBefore: ReadonlySet<string>): void {
    const problems = this.folderDiagnostics.map(formatDiagnostic).filter((d) => !folderBefore.has(d));
    for (const name of [...ev.added, ...ev.changed]) {
      const r = this.records.get(name);
      problems.push(...(r?.fileDiagnostics ?? []).filter((d) => d.severity === 'error').map(formatDiagnostic));
    }
    for (const p of problems) {
      this.logger.log('warn', p);
    }
  }

  private toEntry(r: FileRecord): RoutineEntry {
    const diagnostics = sortDiagnostics([...r.fileDiagnostics, ...r.crossDiagnostics]);
    return { name: r.name, file: r.file, routine: r.routine, diagnostics, valid: !!r.routine && !hasError(diagnostics) };
  }

  private diagnosticsKey(name: string): string {
    const r = this.records.get(name);
    return r ? JSON.stringify([...r.fileDiagnostics, ...r.crossDiagnostics]) : '';
  }

  private snapshotDiagnostics(): Map<string, string> {
    return new Map([...this.records.keys()].map((n) => [n, this.diagnosticsKey(n)]));
  }

  private async loadOnce(): Promise<RoutinesChangeEvent> {
    const before = this.snapshotDiagnostics();
    const beforeText = new Map([...this.records].map(([n, r]) => [n, r.text]));
    const listing = await listWorkspaceFiles(this.files, this.dir, {
      recursive: true,
      include: (n) => n.endsWith('.yaml'),
      ignore: (n) => n.endsWith('.yml'),
      maxDepth: MAX_DIR_DEPTH,
      maxFiles: this.maxFiles,
    });
    const { files, dirs, ignored } = listing;
    const next = new Map<string, FileRecord>();
    const folder: Diagnostic[] = [];
    for (const d of listing.diagnostics) {
      if (d.severity === 'error' && d.file.endsWith('.yaml') && d.file.startsWith(`${this.dir}/`)) {
        // A refused routine file (a link leaving the workspace) stays listed under its name, with the reason.
        const name = d.file.slice(this.dir.length + 1, -'.yaml'.length);
        next.set(name, { name, file: d.file, text: `\0${d.message}`, fileDiagnostics: [d], crossDiagnostics: [] });
      } else {
        folder.push(d);
      }
    }
    for (const file of files) {
      const name = file.slice(this.dir.length + 1, -'.yaml'.length);
      // Checked by size before reading: a huge file is refused without being read, let alone parsed.
      const read = await readWorkspaceYaml(this.files, file);
      if ('missing' in read) {
        continue;
      }
      if ('diagnostic' in read) {
        // The text records the refusal, so an unchanged refusal is no change.
        next.set(name, { name, file, text: `\0${read.diagnostic.message}`, fileDiagnostics: [read.diagnostic], crossDiagnostics: [] });
        continue;
      }
      const text = read.text;
      const old = this.records.get(name);
      if (old && old.text === text && old.file === file) {
        next.set(name, { ...old, crossDiagnostics: [] });
        continue;
      }
      const r = parseRoutine(text, file, name);
      next.set(name, { name, file, text, routine: r.value, partial: r.partial, fileDiagnostics: r.diagnostics, crossDiagnostics: [], parsed: r.parsed });
    }
    for (const p of ignored) {
      folder.push({ file: p, line: 1, col: 1, severity: 'warning', message: 'ignored: routine files end in .yaml', code: 'ignored-file' });
    }
    this.records = next;
    this.folderDiagnostics = folder;
    this.directories = dirs;
    this.runCrossFileChecks();
    this.syncWatchers();

    const added = [...next.keys()].filter((n) => !beforeText.has(n)).sort();
    const removed = [...beforeText.keys()].filter((n) => !next.has(n)).sort();
    const changed = [...next.keys()].filter((n) => beforeText.has(n) && (beforeText.get(n) !== next.get(n)!.text || before.get(n) !== this.diagnosticsKey(n))).sort();
    const ev = { added, removed, changed };
    this.logger.log('debug', `routines loaded: ${next.size} (${[...next.values()].filter((r) => !r.routine).length} invalid)`);
    if (added.length || removed.length || changed.length) {
      this._onDidChangeRoutines.fire(ev);
    }
    return ev;
  }

  private runCrossFileChecks(): void {
    const valid = new Map<string, LoadedRoutine>();
    for (const r of this.records.values()) {
      r.crossDiagnostics = [];
      if (r.routine) {
        valid.set(r.name, r.routine);
      }
    }
    for (const r of this.records.values()) {
      const checked = r.routine ?? r.partial;
      if (checked && r.parsed) {
        r.crossDiagnostics.push(...checkRoutineReferences(checked, r.parsed, { routines: this, templates: this.templates }));
      }
    }
    for (const d of findCallCycles(valid, (n) => this.records.get(n)?.parsed)) {
      const rec = [...this.records.values()].find((r) => r.file === d.file);
      rec?.crossDiagnostics.push(d);
    }
  }
}

function hasError(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

function mergeEvents(a: RoutinesChangeEvent, b: RoutinesChangeEvent): RoutinesChangeEvent {
  const added = new Set([...a.added, ...b.added]);
  const removed = new Set([...a.removed, ...b.removed]);
  for (const n of b.added) {
    removed.delete(n);
  }
  for (const n of b.removed) {
    added.delete(n);
  }
  const changed = new Set([...a.changed, ...b.changed].filter((n) => !added.has(n) && !removed.has(n)));
  return { added: [...added].sort(), removed: [...removed].sort(), changed: [...changed].sort() };
}
