/**
 * The routine editor while bots run: a gutter mark and an after-line text ("◀ bot 1, bot 3") on each running bot's
 * current step, and a CodeLens on each image condition and each action on a template (`tap: <template>`,
 * `longPress`) with its live score per bot ("0.97 on bot 2 · 0.12 on bot 4"). Reads {@link LiveSteps}; decorations are coalesced (one update of the visible editors per
 * {@link DECORATION_DELAY_MS}) and the CodeLens refreshed at most every {@link LENS_REFRESH_MS}.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { imageConditions } from './imageConditions';
import { markerText, scoresText, type LiveSteps } from './liveSteps';

export const DECORATION_DELAY_MS = 100;
export const LENS_REFRESH_MS = 300;
/** Score changes are compared with the shown lens texts at most this often, for the visible editors' files only. */
export const LENS_CHECK_MS = 100;

/** Routine files: the selector of the CodeLens provider. */
export const ROUTINE_SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/routines/**/*.{yaml,yml}' }];

const GUTTER_SVG =
  "<svg xmlns='http://www.w3.org/2000/svg' width='16' height='16' viewBox='0 0 16 16'><path d='M4 2.5v11L13 8z' fill='%2389d185' stroke='%23388a34' stroke-width='1'/></svg>";

export interface LiveEditorOptions {
  model: LiveSteps;
  /** The fleet's root folder (event files are relative to it); undefined before the fleet is built. */
  root: () => string | undefined;
}

export class LiveEditor implements vscode.Disposable {
  private readonly decoration: vscode.TextEditorDecorationType;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly dirty = new Set<string>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private lensTimer: ReturnType<typeof setTimeout> | undefined;
  private lensCheckTimer: ReturnType<typeof setTimeout> | undefined;
  /** Files whose scores changed since the last lens check ('*': every file). */
  private readonly lensDirty = new Set<string>();
  private lastLensFire = 0;
  private readonly _onDidChangeCodeLenses = new vscode.EventEmitter<void>();
  /** Fires after the decorations of the visible editors were updated (tests wait on it). */
  private readonly _onDidUpdate = new vscode.EventEmitter<void>();
  readonly onDidUpdate = this._onDidUpdate.event;
  private readonly conditionsCache = new Map<string, { version: number; lines: ReturnType<typeof imageConditions> }>();
  /** Per file, the text of its lenses at the last refresh. */
  private readonly lensTexts = new Map<string, string>();

  constructor(private readonly o: LiveEditorOptions) {
    this.decoration = vscode.window.createTextEditorDecorationType({
      gutterIconPath: vscode.Uri.parse(`data:image/svg+xml;utf8,${GUTTER_SVG}`),
      gutterIconSize: 'contain',
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('editor.stackFrameHighlightBackground'),
      overviewRulerColor: new vscode.ThemeColor('debugIcon.startForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Left,
      after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
    });
    this.disposables.push(
      this.decoration,
      this._onDidChangeCodeLenses,
      this._onDidUpdate,
      o.model.onDidChange((files) => this.changed(files)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.changed(undefined)),
      vscode.languages.registerCodeLensProvider(ROUTINE_SELECTOR, {
        onDidChangeCodeLenses: this._onDidChangeCodeLenses.event,
        provideCodeLenses: (doc) => this.lenses(doc),
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.conditionsCache.delete(d.uri.toString())),
    );
  }

  /** The workspace-relative file of a document ('/'-separated), or undefined outside the fleet's folder. */
  relativeFile(uri: vscode.Uri): string | undefined {
    const root = this.o.root();
    if (!root || uri.scheme !== 'file') {
      return undefined;
    }
    const rel = path.relative(root, uri.fsPath);
    return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
  }

  /** Updates the visible editors now (the coalescing timer calls it). */
  flush(): void {
    this.flushTimer = undefined;
    const files = new Set(this.dirty);
    const all = files.has('*');
    this.dirty.clear();
    for (const editor of vscode.window.visibleTextEditors) {
      const file = this.relativeFile(editor.document.uri);
      if (!file || (!all && !files.has(file))) {
        continue;
      }
      const doc = editor.document;
      const options: vscode.DecorationOptions[] = this.o.model
        .markers(file)
        .filter((m) => m.line < doc.lineCount)
        .map((m) => ({
          range: doc.lineAt(m.line).range,
          hoverMessage: new vscode.MarkdownString(m.bots.map((b) => `**${b}**: ${this.o.model.stepOf(b)?.label ?? ''}`).join('  \n')),
          renderOptions: { after: { contentText: markerText(m.bots) } },
        }));
      editor.setDecorations(this.decoration, options);
    }
    this._onDidUpdate.fire();
  }

  dispose(): void {
    clearTimeout(this.flushTimer);
    clearTimeout(this.lensTimer);
    clearTimeout(this.lensCheckTimer);
    for (const d of this.disposables) {
      d.dispose();
    }
  }

  private changed(files: ReadonlySet<string> | undefined): void {
    if (files) {
      for (const f of files) {
        this.dirty.add(f);
      }
    } else {
      this.dirty.add('*');
    }
    this.flushTimer ??= setTimeout(() => this.flush(), DECORATION_DELAY_MS);
    // Bots score many times a second: the lens texts are compared once per LENS_CHECK_MS, not at every match.
    for (const f of files ?? ['*']) {
      this.lensDirty.add(f);
    }
    this.lensCheckTimer ??= setTimeout(() => this.checkLenses(), LENS_CHECK_MS);
  }

  /** Refreshes the lenses when the text of one in a visible editor changed since the last refresh. */
  private checkLenses(): void {
    this.lensCheckTimer = undefined;
    const all = this.lensDirty.has('*');
    const visible = this.visibleFiles();
    const files = all ? visible : visible.filter((f) => this.lensDirty.has(f));
    this.lensDirty.clear();
    if (this.lensTextsChanged(files)) {
      this.refreshLenses();
    }
  }

  /**
   * True when the text of a lens of `files` differs from what the last refresh showed (and records it). VS Code
   * re-asks for the lenses only once their change events pause (a debounce restarted by every event), so firing at
   * each match — a bot scoring twice a second — could keep the lenses at their first text for a long time.
   */
  private lensTextsChanged(files: readonly string[]): boolean {
    let changed = false;
    for (const file of files) {
      const text = this.o.model
        .scoredLines(file)
        .map((line) => `${line}:${scoresText(this.o.model.scoresAt(file, line))}`)
        .join('|');
      if ((this.lensTexts.get(file) ?? '') !== text) {
        this.lensTexts.set(file, text);
        changed = true;
      }
    }
    return changed;
  }

  /** The workspace-relative files of the visible editors (lenses are asked for those only). */
  private visibleFiles(): string[] {
    const out: string[] = [];
    for (const editor of vscode.window.visibleTextEditors) {
      const file = this.relativeFile(editor.document.uri);
      if (file) {
        out.push(file);
      }
    }
    return out;
  }

  /** Fires onDidChangeCodeLenses at most once per LENS_REFRESH_MS (the last change is never lost). */
  private refreshLenses(): void {
    if (this.lensTimer) {
      return;
    }
    const wait = Math.max(0, this.lastLensFire + LENS_REFRESH_MS - Date.now());
    this.lensTimer = setTimeout(() => {
      this.lensTimer = undefined;
      this.lastLensFire = Date.now();
      this._onDidChangeCodeLenses.fire();
    }, wait);
  }

  private lenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const file = this.relativeFile(doc.uri);
    if (!file) {
      return [];
    }
    const model = this.o.model;
    const running = model.markers(file).length > 0 || model.scoredLines(file).length > 0;
    if (!running) {
      return [];
    }
    const key = doc.uri.toString();
    let cached = this.conditionsCache.get(key);
    if (!cached || cached.version !== doc.version) {
      cached = { version: doc.version, lines: imageConditions(doc.getText()) };
      this.conditionsCache.set(key, cached);
    }
    const seen = new Set<number>();
    const lenses: vscode.CodeLens[] = [];
    for (const c of cached.lines) {
      if (seen.has(c.line) || c.line >= doc.lineCount) {
        continue;
      }
      seen.add(c.line);
      const scores = model.scoresAt(file, c.line);
      const title = scores.length ? scoresText(scores) : 'no match yet';
      const tooltip = scores.map((s) => `${s.bot}: ${s.template} ${s.score.toFixed(3)} (threshold ${s.threshold.toFixed(2)}, ${s.found ? 'found' : 'not found'})`).join('\n');
      lenses.push(new vscode.CodeLens(doc.lineAt(c.line).range, { title: `$(eye) ${title}`, command: '', tooltip: tooltip || `no bot has evaluated this ${c.kind === 'image' || c.kind === 'notImage' ? 'condition' : `${c.kind} target`} yet` }));
    }
    return lenses;
  }
}
