/**
 * Diagnostics as you type: after an edit (debounced), the whole workspace is validated by the same validator as
 * `emulator-fleet validate`, with the open documents' unsaved text, and each file's diagnostics are published
 * when they changed. A run that a newer edit supersedes is dropped (and stopped when it has run long); runs never
 * overlap. Cross-file problems follow: editing a template file updates the routines that use it.
 */
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Diagnostic } from '../shared/geometry';
import { byFile, toLspDiagnostic } from './diagnostics';
import type { OverlayFileStore } from './overlayFileStore';
import { ValidationCancelled, type ValidationRunner } from './validationRunner';
import type { WorkspacePaths } from './workspacePaths';

export interface DiagnosticsServiceOptions {
  store: OverlayFileStore;
  runner: ValidationRunner;
  paths: WorkspacePaths;
  /** Sends `textDocument/publishDiagnostics`. */
  publish(uri: string, diagnostics: LspDiagnostic[], version: number | undefined): void;
  /** Version of an open document. */
  versionOf(path: string): number | undefined;
  delayMs: number;
  log(message: string): void;
  /** Called after each completed run (tests and benchmarks observe it). */
  onDidValidate?(ms: number, diagnostics: readonly Diagnostic[]): void;
}

export class DiagnosticsService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Incremented by every change; a run publishes only when it is still current when it ends. */
  private generation = 0;
  private readonly published = new Map<string, string>();
  private disposed = false;

  constructor(private readonly o: DiagnosticsServiceOptions) {}

  /** Something changed: validate after the delay (a later change restarts the delay). */
  schedule(): void {
    if (this.disposed) {
      return;
    }
    this.generation++;
    if (this.running) {
      this.o.runner.supersede();
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.o.delayMs);
  }

  private fire(): void {
    this.timer = undefined;
    if (this.disposed) {
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again && !this.disposed) {
        this.again = false;
        this.fire();
      }
    });
  }

  private async run(): Promise<void> {
    const generation = this.generation;
    const overlays = this.o.store.entries();
    const versions = new Map(overlays.map(([p]) => [p, this.o.versionOf(p)]));
    const started = performance.now();
    let diagnostics: Diagnostic[];
    try {
      diagnostics = await this.o.runner.validate({ root: this.o.store.root, overlays });
    } catch (e) {
      if (!(e instanceof ValidationCancelled)) {
        this.o.log(`validation failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      return;
    }
    if (generation !== this.generation || this.disposed) {
      return; // superseded: a newer run is scheduled
    }
    this.o.onDidValidate?.(performance.now() - started, diagnostics);
    this.publishAll(diagnostics, versions);
  }

  private publishAll(diagnostics: readonly Diagnostic[], versions: Map<string, number | undefined>): void {
    const files = byFile(diagnostics.filter((d) => d.file.endsWith('.yaml') || d.file.endsWith('.yml')));
    // Files that had diagnostics, and open documents (whose version moved), get theirs even when empty.
    for (const path of [...this.published.keys(), ...versions.keys()]) {
      if (!files.has(path)) {
        files.set(path, []);
      }
    }
    for (const [path, list] of files) {
      const lsp = list.map(toLspDiagnostic);
      const version = versions.get(path);
      const key = `${version ?? ''}|${JSON.stringify(lsp)}`;
      if (this.published.get(path) === key) {
        continue;
      }
      this.published.set(path, key);
      this.o.publish(this.o.paths.uri(path), lsp, version);
    }
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.o.runner.dispose();
  }
}
