/**
 * Capture Template: a webview showing a frame — a live device (a listed one or a new virtual device), a saved PNG
 * (file picker, or the Explorer's context menu on a .png), or a frame of the monitor's recorder — where the user
 * drags a rectangle and names it. Saving writes the exact pixels as a PNG under templates/ and the registry entry
 * (comments kept, atomic writes) with a padded search region and the suggested threshold; the template's score on
 * the frame is shown at once, and the registry's watcher makes it usable right away.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Device } from '../../bot/device';
import { encodePng } from '../../bot/vision/imageCodec';
import { cropRgba } from '../../bot/vision/frame';
import { padRegion, templateImagePath, templateNameProblem } from '../../bot/vision/templateSuggest';
import type { Fleet } from '../../host/fleet';
import type { Logger } from '../../shared/ports';
import type { Rect } from '../../shared/geometry';
import { isMessage, type CaptureFrameInfo, type FromCapture, type ToCapture } from '../../shared/templateToolsProtocol';
import { CancelledByUser } from '../commands/commandRunner';
import type { FleetSession } from '../fleetSession';
import { cropTemplate, evaluateCrop, normalizeRect, rawFrame } from './cropEvaluation';
import { captureBot, captureDevice, decodeImageFile, timeLabel, type OwnedFrame, type RecordedFrames } from './frameSources';
import { addTemplateEntry, templateNamesIn } from './templateEntry';
import { webviewHtml, webviewOptions } from '../webviewHtml';

/** Recorded frames compared with for the threshold (the newest). */
export const RECORDER_FRAMES_FOR_THRESHOLD = 40;

export interface CaptureDeps {
  session: FleetSession;
  extensionUri: vscode.Uri;
  logger: Logger;
  recorder: () => RecordedFrames;
}

/** What to capture from when the command is called with arguments (tests, other commands). */
export interface CaptureArgs {
  device?: 'virtual' | string;
  png?: string;
  recorded?: string;
}

/** Writes a file through a temporary sibling and a rename: readers never see half a file. */
export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

interface FrameFeed {
  frame: OwnedFrame;
  /** A new capture (live devices only). */
  refresh?: () => Promise<OwnedFrame>;
  dispose(): Promise<void>;
}

async function deviceFeed(fleet: Fleet, serial: string): Promise<FrameFeed> {
  const held = fleet.devices.list().find((d) => d.serial === serial)?.heldBy;
  if (held) {
    // A bot drives it: its frames come from the bot (no second connection fighting it for the screen).
    const take = () => captureBot(fleet.orchestrator, held.group, held.instance, `device ${serial} (bot ${held.instance} of ${held.group})`);
    return { frame: await take(), refresh: take, dispose: () => Promise.resolve() };
  }
  const opened = await fleet.devices.open(serial, { serial });
  const device: Device = opened.device;
  try {
    const frame = await captureDevice(device, `device ${serial}`);
    return { frame, refresh: () => captureDevice(device, `device ${serial}`), dispose: () => device.close() };
  } catch (e) {
    await device.close();
    throw e;
  }
}

async function fileFeed(file: string, root: string): Promise<FrameFeed> {
  const bytes = await fsp.readFile(file);
  const rel = path.relative(root, file);
  const frame = await decodeImageFile(bytes, `file ${rel.startsWith('..') ? file : rel.split(path.sep).join('/')}`);
  return { frame, dispose: () => Promise.resolve() };
}

async function pickSource(deps: CaptureDeps, fleet: Fleet, root: string): Promise<FrameFeed> {
  type Item = vscode.QuickPickItem & { run: () => Promise<FrameFeed> };
  const items: Item[] = fleet.devices
    .list()
    .filter((d) => d.state === 'online')
    .map((d) => ({
      label: `$(device-mobile) ${d.serial}`,
      description: [d.source === 'virtual' ? 'virtual' : d.model, d.heldBy ? `bot ${d.heldBy.instance} of ${d.heldBy.group}` : undefined].filter(Boolean).join(' · '),
      run: () => deviceFeed(fleet, d.serial),
    }));
  items.push({
    label: '$(add) New virtual device',
    description: 'the demo game',
    run: async () => {
      const [info] = await fleet.startVirtualDevices(1);
      return deviceFeed(fleet, info!.serial);
    },
  });
  items.push({
    label: '$(file-media) Saved frame (PNG)…',
    run: async () => {
      const picked = await vscode.window.showOpenDialog({ title: 'Capture Template: a saved frame', canSelectMany: false, filters: { Images: ['png'] }, defaultUri: vscode.Uri.file(root), openLabel: 'Capture From' });
      if (!picked?.[0]) {
        throw new CancelledByUser();
      }
      return fileFeed(picked[0].fsPath, root);
    },
  });
  const recorder = deps.recorder();
  const recorded = await recorder.list({ limit: 200 }).catch(() => []);
  if (recorded.length) {
    items.push({
      label: '$(history) Frame from the recorder…',
      description: `${recorded.length} recorded`,
      run: async () => {
        const pick = await vscode.window.showQuickPick(
          recorded.map((r) => ({ label: `${r.bot} at ${timeLabel(r.time)}`, description: r.step ? `${r.step.routine}: ${r.step.step}` : undefined, id: r.id })),
          { title: 'Capture Template: a recorded frame' },
        );
        if (!pick) {
          throw new CancelledByUser();
        }
        const frame = await recorder.read(pick.id);
        return { frame: { ...frame, label: `recorder: ${pick.label}` }, dispose: () => Promise.resolve() };
      },
    });
  }
  const pick = await vscode.window.showQuickPick(items, { title: 'Capture Template', placeHolder: 'Capture from…' });
  if (!pick) {
    throw new CancelledByUser();
  }
  return pick.run();
}

/** The templates/*.yaml files of the workspace (workspace-relative), the default first. */
async function registryFiles(root: string): Promise<string[]> {
  const dir = path.join(root, 'templates');
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const files = names.filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => `templates/${n}`);
  return files.length ? files : ['templates/templates.yaml'];
}

export class CapturePanel implements vscode.Disposable {
  private static readonly panels = new Set<CapturePanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly _onDidSave = new vscode.EventEmitter<{ name: string; image: string; file: string }>();
  /** Fires after a template was saved (tests wait on it). */
  readonly onDidSave = this._onDidSave.event;
  private evalSeq = 0;

  private constructor(
    private readonly deps: CaptureDeps,
    private readonly fleet: Fleet,
    private readonly root: string,
    private feed: FrameFeed,
    readonly panel: vscode.WebviewPanel,
  ) {
    CapturePanel.panels.add(this);
    panel.webview.html = webviewHtml(panel.webview, deps.extensionUri, 'templateCapture', 'Capture Template');
    this.disposables.push(
      this._onDidSave,
      panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m).catch((e: unknown) => this.fail(e))),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  static async open(deps: CaptureDeps, uri?: vscode.Uri, args: CaptureArgs = {}): Promise<CapturePanel> {
    const fleet = await deps.session.fleet();
    const root = deps.session.root!;
    let feed: FrameFeed;
    if (uri?.scheme === 'file' && /\.png$/i.test(uri.fsPath)) {
      feed = await fileFeed(uri.fsPath, root);
    } else if (args.png) {
      feed = await fileFeed(path.resolve(root, args.png), root);
    } else if (args.recorded) {
      const frame = await deps.recorder().read(args.recorded);
      feed = { frame, dispose: () => Promise.resolve() };
    } else if (args.device === 'virtual') {
      deps.session.requireTrust('Starting a virtual device');
      const [info] = await fleet.startVirtualDevices(1);
      feed = await deviceFeed(fleet, info!.serial);
    } else if (args.device) {
      feed = await deviceFeed(fleet, args.device);
    } else {
      feed = await pickSource(deps, fleet, root);
    }
    const panel = vscode.window.createWebviewPanel('emulatorFleet.captureTemplate', `Capture Template: ${feed.frame.label}`, vscode.ViewColumn.Active, webviewOptions(deps.extensionUri));
    return new CapturePanel(deps, fleet, root, feed, panel);
  }

  /** The panels open now (tests). */
  static all(): CapturePanel[] {
    return [...CapturePanel.panels];
  }

  dispose(): void {
    if (!CapturePanel.panels.delete(this)) {
      return;
    }
    void this.feed.dispose().catch((e: unknown) => this.deps.logger.log('warn', `closing the capture source failed: ${String(e)}`));
    for (const d of this.disposables) {
      d.dispose();
    }
    this.panel.dispose();
  }

  private post(m: ToCapture): void {
    void this.panel.webview.postMessage(m);
  }

  private fail(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.deps.logger.log('warn', `capture template: ${message}`);
    this.post({ type: 'error', message });
  }

  private async frameInfo(): Promise<CaptureFrameInfo> {
    const f = this.feed.frame;
    const png = await encodePng(f);
    return { dataUrl: `data:image/png;base64,${png.toString('base64')}`, width: f.width, height: f.height, label: f.label, live: !!this.feed.refresh };
  }

  private existingNames(): string[] {
    return this.fleet.orchestrator.templateRegistry()?.names() ?? [];
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isMessage<FromCapture>(m, ['ready', 'refresh', 'evaluate', 'save'])) {
      return;
    }
    switch (m.type) {
      case 'ready': {
        const files = await registryFiles(this.root);
        this.post({ type: 'init', frame: await this.frameInfo(), files, defaultFile: files[0]!, names: this.existingNames() });
        break;
      }
      case 'refresh':
        if (this.feed.refresh) {
          this.feed = { ...this.feed, frame: await this.feed.refresh() };
          this.post({ type: 'frame', frame: await this.frameInfo() });
        }
        break;
      case 'evaluate': {
        const seq = ++this.evalSeq;
        const recorded = await this.recordedFrames();
        const evaluation = await evaluateCrop(this.fleet.vision, this.feed.frame, m.rect, recorded);
        if (seq === this.evalSeq) {
          this.post({ type: 'evaluation', evaluation });
        }
        break;
      }
      case 'save':
        await this.save(m.rect, m.name, m.file, m.threshold);
        break;
    }
  }

  private async recordedFrames(): Promise<OwnedFrame[]> {
    const recorder = this.deps.recorder();
    const list = await recorder.list({ limit: RECORDER_FRAMES_FOR_THRESHOLD }).catch(() => []);
    const out: OwnedFrame[] = [];
    for (const r of list) {
      const f = await recorder.read(r.id).catch(() => undefined);
      if (f) {
        out.push(f);
      }
    }
    return out;
  }

  /** Writes the PNG (exact pixels of the crop) and the registry entry; replies with the new template's score. */
  async save(rectIn: Rect, nameIn: string, file: string, threshold: number): Promise<void> {
    const name = nameIn.trim();
    const frame = this.feed.frame;
    const rect = normalizeRect(rectIn, frame);
    if (!/^templates\/[^/]+\.ya?ml$/.test(file)) {
      throw new Error(`${file}: pick a registry file templates/*.yaml`);
    }
    if (!(threshold > 0 && threshold <= 1)) {
      throw new Error(`threshold: expected a number in (0, 1], got ${threshold}`);
    }
    const yamlPath = path.join(this.root, ...file.split('/'));
    const text = await fsp.readFile(yamlPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        return '';
      }
      throw e;
    });
    const problem = templateNameProblem(name, [...this.existingNames(), ...templateNamesIn(text)]);
    if (problem) {
      throw new Error(problem);
    }
    const image = templateImagePath(name, path.basename(file).replace(/\.ya?ml$/, ''));
    const pngPath = path.join(this.root, ...image.split('/'));
    if (await fsp.stat(pngPath).then(() => true, () => false)) {
      throw new Error(`${image} exists already: pick another name (nothing was overwritten)`);
    }
    const region = padRegion(rect, frame);
    // The entry first in memory (a file that does not parse is refused before anything is written).
    const nextText = addTemplateEntry(text, { name, image, threshold, region, referenceSize: { width: frame.width, height: frame.height } }, file);
    await writeAtomic(pngPath, await encodePng(cropRgba(frame, rect)));
    try {
      await writeAtomic(yamlPath, nextText);
    } catch (e) {
      await fsp.rm(pngPath, { force: true });
      throw e;
    }
    const { spec, image: img } = cropTemplate(frame, rect, name, threshold);
    const r = await this.fleet.vision.matchImage(rawFrame(frame), { ...spec, region }, img);
    this.deps.logger.log('info', `template ${name} saved: ${image} in ${file} (threshold ${threshold}, region ${region.x},${region.y},${region.w},${region.h}; score ${r.score.toFixed(3)} on the frame)`);
    this.post({ type: 'saved', name, image, file, threshold, region, score: r.score, found: r.found });
    this._onDidSave.fire({ name, image, file });
  }
}
