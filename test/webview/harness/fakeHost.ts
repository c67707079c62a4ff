/**
 * The browser harness's fake VS Code: `acquireVsCodeApi()` (state kept in sessionStorage, so a reload restores it)
 * and a scripted extension host that answers the monitor's requests and sends what a test tells it to. Bundled into
 * harness.js and loaded before the monitor's bundle. Query: `?scenario=demo|empty|sixteen|connecting&theme=light|dark|hc`.
 */
import type { FleetSnapshot } from '../../../src/shared/fleetTypes';
import type { FrameMatch, FromMonitor, RecorderEvent, ToMonitor } from '../../../src/shared/monitorProtocol';
import { demoFleet, snapshot as emptySnapshot } from '../fleetFixtures';

export interface FrameAsset {
  width: number;
  height: number;
  device: { width: number; height: number };
  b64: string;
}

interface Recorded {
  frame: number;
  time: number;
  asset: string;
  matches: FrameMatch[];
}

type Theme = 'light' | 'dark' | 'hc';

const THEME_CLASS: Record<Theme, string> = { light: 'vscode-light', dark: 'vscode-dark', hc: 'vscode-high-contrast' };
const STATE_KEY = 'harness.vscode-state';

declare global {
  interface Window {
    __harnessFrames: Record<string, FrameAsset>;
    harness: FakeHost;
  }
}

function bytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) {
    out[i] = bin.charCodeAt(i);
  }
  return out;
}

function scenario(name: string): FleetSnapshot | undefined {
  switch (name) {
    case 'connecting':
      return undefined;
    case 'empty':
      return emptySnapshot({ seq: 1 });
    case 'sixteen':
      return demoFleet({ runningBots: 16 }).snapshot;
    default:
      return demoFleet().snapshot;
  }
}

export class FakeHost {
  /** Every message the view posted, in order. */
  readonly posted: FromMonitor[] = [];
  readonly cspViolations: string[] = [];
  readonly errors: string[] = [];
  snapshot: FleetSnapshot | undefined;
  /** The next command, takeover or recorder request fails with this error. */
  failNext: { code: string; message: string } | undefined;
  /** Requests are recorded but not answered (to see a pending state). */
  holdReplies = false;
  private readonly recorder = new Map<string, Recorded[]>();
  private readonly frameNumbers = new Map<string, number>();
  private readonly params = new URLSearchParams(location.search);

  constructor() {
    this.snapshot = scenario(this.params.get('scenario') ?? 'demo');
    document.addEventListener('securitypolicyviolation', (e) => this.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
    window.addEventListener('error', (e) => this.errors.push(String(e.error?.stack ?? e.message)));
    window.addEventListener('unhandledrejection', (e) => this.errors.push(String(e.reason?.stack ?? e.reason)));
    let acquired = false;
    (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => {
      if (acquired) {
        throw new Error('acquireVsCodeApi may be called only once');
      }
      acquired = true;
      return {
        postMessage: (m: unknown) => this.receive(m as FromMonitor),
        getState: () => {
          const s = sessionStorage.getItem(STATE_KEY);
          return s ? JSON.parse(s) : undefined;
        },
        setState: (s: unknown) => {
          sessionStorage.setItem(STATE_KEY, JSON.stringify(s));
          return s;
        },
      };
    };
    const theme = this.params.get('theme');
    if (theme === 'light' || theme === 'dark' || theme === 'hc') {
      document.addEventListener('DOMContentLoaded', () => this.setTheme(theme));
    }
  }

  /** Switches the theme like VS Code does: the variables first (once the sheet loaded), then the body's class. */
  setTheme(theme: Theme): void {
    const link = document.getElementById('theme') as HTMLLinkElement;
    link.addEventListener(
      'load',
      () => {
        document.body.className = THEME_CLASS[theme];
        document.body.dataset.vscodeThemeKind = THEME_CLASS[theme];
      },
      { once: true },
    );
    link.href = `themes/${theme}.css`;
  }

  /** Posts a message to the view, as the extension host's `webview.postMessage` does. */
  send(msg: ToMonitor | Record<string, unknown> | unknown): void {
    window.postMessage(msg, '*');
  }

  /** Posts a frame of a bot, made of a rendered game screen. */
  frame(group: string, instance: string, asset: string, opts: { matches?: FrameMatch[]; base64?: boolean } = {}): number {
    const a = window.__harnessFrames[asset];
    if (!a) {
      throw new Error(`no frame asset "${asset}"`);
    }
    const key = `${group}/${instance}`;
    const n = (this.frameNumbers.get(key) ?? 0) + 1;
    this.frameNumbers.set(key, n);
    const time = Date.now();
    const list = this.recorder.get(key) ?? [];
    list.push({ frame: n, time, asset, matches: opts.matches ?? [] });
    if (list.length > 120) {
      list.shift();
    }
    this.recorder.set(key, list);
    this.send({
      type: 'frame',
      group,
      instance,
      frame: n,
      time,
      width: a.width,
      height: a.height,
      device: a.device,
      mime: 'image/jpeg',
      data: opts.base64 ? a.b64 : bytes(a.b64),
      matches: opts.matches,
    });
    return n;
  }

  /** Messages of one type the view posted. */
  of<T extends FromMonitor['type']>(type: T): Extract<FromMonitor, { type: T }>[] {
    return this.posted.filter((m): m is Extract<FromMonitor, { type: T }> => m.type === type);
  }

  clearPosted(): void {
    this.posted.length = 0;
  }

  private reply(msg: ToMonitor): void {
    if (!this.holdReplies) {
      // A real host answers asynchronously.
      setTimeout(() => this.send(msg), 0);
    }
  }

  private fail(inReplyTo: string): boolean {
    const f = this.failNext;
    if (!f) {
      return false;
    }
    this.failNext = undefined;
    this.reply({ type: 'result', inReplyTo, ok: false, error: f });
    return true;
  }

  private receive(m: FromMonitor): void {
    this.posted.push(structuredClone(m));
    switch (m.type) {
      case 'ready':
      case 'requestSnapshot':
        if (this.snapshot) {
          this.reply({ type: 'snapshot', inReplyTo: m.id, snapshot: this.snapshot });
        }
        return;
      case 'command':
        if (!this.fail(m.id)) {
          this.reply({ type: 'result', inReplyTo: m.id, ok: true });
        }
        return;
      case 'takeover':
        if (!this.fail(m.id)) {
          this.reply({ type: 'result', inReplyTo: m.id, ok: true });
        }
        return;
      case 'recorder': {
        if (this.fail(m.id)) {
          return;
        }
        const r = m.request;
        const key = `${r.bot.group}/${r.bot.instance}`;
        const list = this.recorder.get(key) ?? [];
        if (r.op === 'list') {
          this.reply({
            type: 'recorder',
            inReplyTo: m.id,
            reply: { op: 'list', bot: r.bot, capacity: 120, frames: list.map((f, i) => ({ frame: f.frame, time: f.time, step: `step ${i + 1}`, error: i === 1, ...(i === list.length - 1 ? { lossless: true } : {}) })) },
          });
        } else if (r.op === 'frame') {
          const f = list.find((x) => x.frame === r.frame);
          if (!f) {
            this.reply({ type: 'recorder', inReplyTo: m.id, reply: { op: 'error', code: 'evicted', message: `frame ${r.frame} is no longer recorded` } });
            return;
          }
          const a = window.__harnessFrames[f.asset];
          const events: RecorderEvent[] = [
            { kind: 'routine', time: f.time - 40, event: { type: 'step.start', time: f.time - 40, routine: 'farm_premium', step: `recorded step of frame ${f.frame}`, path: 'steps[1]' } },
            ...f.matches.map(
              (x): RecorderEvent => ({
                kind: 'routine',
                time: f.time + 5,
                event: { type: 'match', time: f.time + 5, routine: 'farm_premium', template: x.template, found: x.found, score: x.score, threshold: 0.9, box: x.box, ms: 9 },
              }),
            ),
            { kind: 'input', time: f.time + 20, by: 'routine', input: { kind: 'tap', x: 270, y: 440 }, step: 'Open packs', stepId: 'open', path: 'steps[1]' },
            { kind: 'input', time: f.time + 30, by: 'user', input: { kind: 'tap', x: 10, y: 20 } },
          ];
          this.reply({
            type: 'recorder',
            inReplyTo: m.id,
            reply: { op: 'frame', bot: r.bot, events, frame: f.frame, time: f.time, width: a.width, height: a.height, device: a.device, mime: 'image/jpeg', data: bytes(a.b64), matches: f.matches },
          });
        } else if (r.op === 'saveFrame') {
          // The newest recorded frame (and the live one) still has its lossless copy; older ones only their JPEG.
          const newest = list[list.length - 1]?.frame;
          const lossless = r.frame === undefined || r.frame === newest;
          this.reply({
            type: 'recorder',
            inReplyTo: m.id,
            reply: lossless
              ? { op: 'saved', kind: 'frame', path: `.fleet/frames/${r.bot.group}-${r.bot.instance}-${r.frame ?? 'live'}.png`, lossless: true }
              : { op: 'saved', kind: 'frame', path: `.fleet/frames/${r.bot.group}-${r.bot.instance}-${r.frame}-recorded.jpg`, lossless: false, note: 'only its recorded JPEG is left' },
          });
        } else if (r.askFolder) {
          this.reply({ type: 'recorder', inReplyTo: m.id, reply: { op: 'saved', kind: 'bugReport', path: `/picked/${r.bot.group}-${r.bot.instance}` } });
        } else {
          this.reply({ type: 'recorder', inReplyTo: m.id, reply: { op: 'saved', kind: 'bugReport', path: `.fleet/bug-reports/${r.bot.group}-${r.bot.instance}` } });
        }
        return;
      }
      default:
        return;
    }
  }
}

window.harness = new FakeHost();
