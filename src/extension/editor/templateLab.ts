/**
 * Template Lab: one template, or every template a routine references, run against the recorder's frames and the
 * live devices' frames (a capture of each online device). A table of scores, positions and margins. What is expected
 * on a recorded frame is inferred from the run (its match of the template on that frame: found or not); the user
 * marks or overrides it per row (the marks are kept in the workspace's state), and false positives and misses are
 * called out; a click shows the frame with the match's box.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Fleet } from '../../host/fleet';
import type { Logger } from '../../shared/ports';
import { isMessage, type FromLab, type LabRow, type ToLab } from '../../shared/templateToolsProtocol';
import { encodePng } from '../../bot/vision/imageCodec';
import { CancelledByUser } from '../commands/commandRunner';
import type { FleetSession } from '../fleetSession';
import { rawFrame } from './cropEvaluation';
import { captureBot, captureDevice, timeLabel, type OwnedFrame, type RecordedFrameInfo, type RecordedFrames } from './frameSources';
import { markKey, type LabExpectations } from './labExpectations';
import { inferExpected, labRow, sortRows, templatesReferenced } from './labRows';
import { routineNameOf } from './routineParams';
import { webviewHtml, webviewOptions } from '../webviewHtml';

/** Recorded frames the lab runs on (the newest). */
export const LAB_RECORDER_FRAMES = 100;

export interface LabDeps {
  session: FleetSession;
  extensionUri: vscode.Uri;
  logger: Logger;
  recorder: () => RecordedFrames;
  /** What the user marked (template on a frame → expected), kept in the workspace's state. */
  expectations: LabExpectations;
}

export interface LabArgs {
  template?: string;
  routine?: string;
}

interface LabFrame {
  id: string;
  label: string;
  frame: OwnedFrame;
  /** A recorded frame's capture time (names it in the marks). */
  time?: number;
  /** The recorded run's matches on it. */
  matches?: RecordedFrameInfo['matches'];
}

async function liveFrames(fleet: Fleet, logger: Logger): Promise<LabFrame[]> {
  const out: LabFrame[] = [];
  for (const d of fleet.devices.list().filter((x) => x.state === 'online')) {
    try {
      if (d.heldBy) {
        const label = `live: ${d.serial} (bot ${d.heldBy.instance})`;
        out.push({ id: `live:${d.serial}`, label, frame: await captureBot(fleet.orchestrator, d.heldBy.group, d.heldBy.instance, label) });
        continue;
      }
      const opened = await fleet.devices.open(d.serial, { serial: d.serial });
      try {
        const frame = await captureDevice(opened.device, `live: ${d.serial}`);
        out.push({ id: `live:${d.serial}`, label: `live: ${d.serial}`, frame });
      } finally {
        await opened.device.close();
      }
    } catch (e) {
      logger.log('warn', `template lab: no frame from ${d.serial}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

/** The recorder's newest frames; each named time first (tenths tell two frames of one second apart), then its bot. */
async function recordedFrames(recorder: RecordedFrames): Promise<LabFrame[]> {
  const list = await recorder.list({ limit: LAB_RECORDER_FRAMES }).catch(() => []);
  const out: LabFrame[] = [];
  for (const r of list) {
    const frame = await recorder.read(r.id).catch(() => undefined);
    if (frame) {
      out.push({ id: `rec:${r.id}`, label: `rec ${timeLabel(r.time)}.${Math.floor((r.time % 1000) / 100)} · ${r.bot}${r.step ? ` (${r.step.step})` : ''}`, frame, time: r.time, ...(r.matches ? { matches: r.matches } : {}) });
    }
  }
  return out;
}

export class TemplateLab implements vscode.Disposable {
  private static readonly labs = new Set<TemplateLab>();
  private readonly disposables: vscode.Disposable[] = [];
  private frames: LabFrame[] = [];
  private rows: LabRow[] = [];
  private readonly _onDidRun = new vscode.EventEmitter<readonly LabRow[]>();
  /** Fires with the rows after each run (tests wait on it). */
  readonly onDidRun = this._onDidRun.event;

  private constructor(
    private readonly deps: LabDeps,
    private readonly fleet: Fleet,
    readonly templates: readonly string[],
    private readonly title: string,
    readonly panel: vscode.WebviewPanel,
  ) {
    TemplateLab.labs.add(this);
    panel.webview.html = webviewHtml(panel.webview, deps.extensionUri, 'templateLab', 'Template Lab');
    this.disposables.push(
      this._onDidRun,
      panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m).catch((e: unknown) => this.fail(e))),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  static all(): TemplateLab[] {
    return [...TemplateLab.labs];
  }

  static async open(deps: LabDeps, uri?: vscode.Uri, args: LabArgs = {}): Promise<TemplateLab> {
    const fleet = await deps.session.fleet();
    const root = deps.session.root!;
    const registry = fleet.orchestrator.templateRegistry();
    const known = new Set(registry?.names() ?? []);
    let templates: string[];
    let title: string;
    const routineFile = (): string | undefined => {
      if (args.routine) {
        return `routines/${args.routine}.yaml`;
      }
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      if (!target || target.scheme !== 'file') {
        return undefined;
      }
      const rel = path.relative(root, target.fsPath).split(path.sep).join('/');
      return routineNameOf(rel) ? rel : undefined;
    };
    if (args.template) {
      if (!known.has(args.template)) {
        throw new Error(`unknown template '${args.template}'`);
      }
      templates = [args.template];
      title = args.template;
    } else if (uri || args.routine) {
      const file = routineFile();
      if (!file) {
        throw new Error('Template Lab runs on a routine file (routines/*.yaml) or on one template');
      }
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(root, ...file.split('/'))));
      templates = templatesReferenced(doc.getText(), known);
      title = `templates of ${routineNameOf(file)}`;
      if (!templates.length) {
        throw new Error(`${file} references no template of the registry`);
      }
    } else {
      const file = routineFile();
      type Item = vscode.QuickPickItem & { templates: string[]; title: string };
      const items: Item[] = [];
      if (file) {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(root, ...file.split('/'))));
        const t = templatesReferenced(doc.getText(), known);
        if (t.length) {
          items.push({ label: `$(list-tree) Every template of ${routineNameOf(file)}`, description: `${t.length} templates`, templates: t, title: `templates of ${routineNameOf(file)}` });
        }
      }
      for (const n of known) {
        items.push({ label: n, description: registry?.source(n)?.file, templates: [n], title: n });
      }
      const pick = await vscode.window.showQuickPick(items, { title: 'Template Lab', placeHolder: 'A template, or every template of the routine' });
      if (!pick) {
        throw new CancelledByUser();
      }
      templates = pick.templates;
      title = pick.title;
    }
    const panel = vscode.window.createWebviewPanel('emulatorFleet.templateLab', `Template Lab: ${title}`, vscode.ViewColumn.Active, webviewOptions(deps.extensionUri));
    return new TemplateLab(deps, fleet, templates, title, panel);
  }

  dispose(): void {
    if (!TemplateLab.labs.delete(this)) {
      return;
    }
    for (const d of this.disposables) {
      d.dispose();
    }
    this.panel.dispose();
  }

  /** Runs every template on every frame (frames taken anew) and sends the table. */
  async run(): Promise<readonly LabRow[]> {
    this.frames = [...(await recordedFrames(this.deps.recorder())), ...(await liveFrames(this.fleet, this.deps.logger))];
    const registry = this.fleet.orchestrator.templateRegistry();
    if (!registry) {
      throw new Error('the workspace has no template registry');
    }
    const rows: LabRow[] = [];
    for (const t of this.templates) {
      let spec;
      let image;
      try {
        spec = registry.resolve(t);
        image = await registry.image(spec.image);
      } catch (e) {
        this.deps.logger.log('warn', `template lab: ${t}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      for (const f of this.frames) {
        const r = await this.fleet.vision.matchImage(rawFrame(f.frame), spec, image);
        rows.push(labRow({ template: t, frameId: f.id, frameLabel: f.label, score: r.score, threshold: r.threshold, found: r.found, box: r.box, ...this.expectationOf(t, f) }));
      }
    }
    this.rows = sortRows(rows);
    this.post({ type: 'rows', title: this.title, rows: this.rows, frames: this.frames.length, templates: this.templates.length });
    this._onDidRun.fire(this.rows);
    return this.rows;
  }

  private post(m: ToLab): void {
    void this.panel.webview.postMessage(m);
  }

  private fail(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.deps.logger.log('warn', `template lab: ${message}`);
    this.post({ type: 'error', message });
  }

  /** What is expected of template `t` on frame `f`: the user's mark, else what the recorded run's matches say. */
  private expectationOf(t: string, f: LabFrame): { expected?: boolean; inferred?: boolean } {
    const marked = this.deps.expectations.get(markKey(t, f.id, f.time));
    if (marked !== undefined) {
      return { expected: marked };
    }
    const inferred = inferExpected(f.matches, t);
    return inferred !== undefined ? { expected: inferred, inferred: true } : {};
  }

  /**
   * Marks a row expected (true), not expected (false) or unmarked (null: what the run says applies again), and
   * updates its verdict.
   */
  expect(rowId: string, expected: boolean | null): void {
    const row = this.rows.find((r) => r.id === rowId);
    const f = row && this.frames.find((x) => x.id === row.frameId);
    if (!row || !f) {
      return;
    }
    this.deps.expectations.set(markKey(row.template, f.id, f.time), expected);
    const { expected: _e, inferred: _i, ...rest } = row;
    this.rows = sortRows(this.rows.map((r) => (r.id === rowId ? labRow({ ...rest, ...this.expectationOf(row.template, f) }) : r)));
    this.post({ type: 'rows', title: this.title, rows: this.rows, frames: this.frames.length, templates: this.templates.length });
    this._onDidRun.fire(this.rows);
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isMessage<FromLab>(m, ['ready', 'rerun', 'show', 'expect'])) {
      return;
    }
    switch (m.type) {
      case 'ready':
      case 'rerun':
        await this.run();
        break;
      case 'expect':
        this.expect(m.rowId, m.expected);
        break;
      case 'show': {
        const row = this.rows.find((r) => r.id === m.rowId);
        const f = row && this.frames.find((x) => x.id === row.frameId);
        if (row && f) {
          const png = await encodePng(f.frame);
          this.post({ type: 'frame', rowId: row.id, dataUrl: `data:image/png;base64,${png.toString('base64')}`, width: f.frame.width, height: f.frame.height, box: row.box, found: row.found });
        }
        break;
      }
    }
  }
}
