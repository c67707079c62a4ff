/**
 * The debugger's Screen view: the paused bot's frame with the matches of the current step drawn on it (found boxes
 * solid, misses dashed; the matches of a condition evaluated in the debug console too), the stop's reason and
 * location, a button to capture the screen again, and the frames the last steps saw (from the flight recorder):
 * clicking one shows it large until "Back to the paused frame". The host sends a new screen at each stop.
 */
import type { FromDebugScreen, ScreenHistoryFrame, ScreenMatch, ScreenPayload, ToDebugScreen } from '../../shared/debugScreenProtocol';
import { drawOverlay, overlayColors } from '../overlay';
import type { VsCodeApi } from '../vscodeApi';

interface SavedState {
  screen?: ScreenPayload;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, parent: HTMLElement): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  parent.appendChild(e);
  return e;
}

/** One line per match for the list under the frame (what the boxes show, readable by a screen reader). */
export function matchLine(m: ScreenMatch): string {
  const verdict = m.found ? 'found' : 'not found';
  return `${m.template}: ${verdict}, score ${m.score.toFixed(3)} (threshold ${m.threshold}) at (${m.box.x}, ${m.box.y}, ${m.box.w}x${m.box.h})`;
}

/**
 * The matches drawn: the current step's; when it has looked at nothing yet (a stop comes before its step runs), the
 * ones of the last step that looked (newest per template), which is what the frame shown was captured for.
 */
export function shownMatches(s: ScreenPayload): { kind: 'current' | 'previous'; matches: ScreenMatch[] } {
  if (s.matches.length || !s.recent.length) {
    return { kind: 'current', matches: s.matches };
  }
  const last = s.recent[0];
  const seen = new Set<string>();
  const matches = s.recent.filter((m) => {
    if (m.routine !== last.routine || m.path !== last.path || seen.has(m.template)) {
      return false;
    }
    seen.add(m.template);
    return true;
  });
  return { kind: 'previous', matches };
}

/** Boxes drawn on the frame: the found ones, and the misses when nothing was found or only a couple were missed (the list names them all). */
export function drawnMatches(matches: readonly ScreenMatch[]): ScreenMatch[] {
  const found = matches.filter((m) => m.found);
  const missed = matches.filter((m) => !m.found);
  return found.length && missed.length > 2 ? found : [...found, ...missed];
}

function timeOf(t: number): string {
  return new Date(t).toLocaleTimeString();
}

/** The status line of a stop: why, where, on which bot, and which frame is shown. */
export function pausedText(s: ScreenPayload): string {
  const where = s.location ? `${s.location.file}:${s.location.line}` : '';
  const who = s.target.group ? `${s.target.group} / bot ${s.target.instance ?? '?'}` : (s.target.serial ?? '');
  return [`Paused (${s.reason ?? 'stopped'})`, where, who, s.fresh ? 'captured now' : 'the frame the step looked at'].filter(Boolean).join(' · ');
}

/** The stage's size: the frame's aspect ratio, as wide as the view allows but never taller than about half of it. */
function sizeStage(stage: HTMLElement, width: number, height: number): void {
  stage.style.aspectRatio = `${width} / ${height}`;
  stage.style.setProperty('--ratio', String(width / Math.max(1, height)));
}

export class DebugScreenApp {
  private readonly status: HTMLDivElement;
  private readonly stage: HTMLDivElement;
  private readonly img: HTMLImageElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly list: HTMLUListElement;
  private readonly refresh: HTMLButtonElement;
  private readonly back: HTMLButtonElement;
  private readonly history: HTMLElement;
  private readonly strip: HTMLDivElement;
  private screen: ScreenPayload | undefined;
  /** The earlier step's frame shown instead of the paused one. */
  private viewing: ScreenHistoryFrame | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly api: VsCodeApi<SavedState>,
  ) {
    root.classList.add('debug-screen');
    const bar = el('div', 'bar', root);
    this.status = el('div', 'status', bar);
    this.status.setAttribute('role', 'status');
    this.refresh = el('button', 'refresh', bar);
    this.refresh.textContent = 'Capture again';
    this.refresh.title = 'Capture the screen now (the run stays stopped)';
    this.refresh.disabled = true;
    this.refresh.addEventListener('click', () => this.post({ type: 'refresh', fresh: true }));
    this.back = el('button', 'back', bar);
    this.back.textContent = 'Back to the paused frame';
    this.back.hidden = true;
    this.back.addEventListener('click', () => this.viewCurrent());
    // The frame, and the last steps' frames beside it (below it when the view is narrow); the matches under both.
    const main = el('div', 'main', root);
    this.stage = el('div', 'stage', main);
    this.img = el('img', 'frame', this.stage);
    this.img.alt = 'The paused bot\'s screen';
    this.canvas = el('canvas', 'overlay', this.stage);
    this.history = el('section', 'history', main);
    this.history.hidden = true;
    el('h3', 'history-title', this.history).textContent = 'Last steps';
    this.strip = el('div', 'strip', this.history);
    this.list = el('ul', 'matches', root);
    this.img.addEventListener('load', () => this.draw());
    new ResizeObserver(() => this.draw()).observe(this.stage);
  }

  start(): void {
    const saved = this.api.getState()?.screen;
    if (saved) {
      this.show(saved);
    } else {
      this.setState('idle');
    }
    this.post({ type: 'ready' });
  }

  handleMessage(m: ToDebugScreen): void {
    if (m.type === 'screen') {
      this.show(m.screen);
    } else if (m.type === 'state') {
      this.setState(m.state, m.message);
    }
  }

  private post(m: FromDebugScreen): void {
    this.api.postMessage(m);
  }

  private setState(state: 'idle' | 'running' | 'ended' | 'error', message?: string): void {
    const text: Record<typeof state, string> = {
      idle: 'Start an Emulator Fleet debug session: the screen shows here when the routine stops.',
      running: 'Running…',
      ended: 'The debug session ended.',
      error: `The screen could not be shown${message ? `: ${message}` : ''}`,
    };
    this.root.dataset.state = state;
    this.refresh.disabled = true;
    if (state !== 'error') {
      this.screen = undefined;
      this.viewing = undefined;
      this.back.hidden = true;
      this.api.setState({});
      this.stage.hidden = true;
      this.list.replaceChildren();
      this.history.hidden = true;
      this.strip.replaceChildren();
    }
    this.status.textContent = text[state];
  }

  private show(s: ScreenPayload): void {
    this.screen = s;
    this.viewing = undefined;
    delete this.root.dataset.viewing;
    this.back.hidden = true;
    this.api.setState({ screen: s });
    this.root.dataset.state = 'stopped';
    this.refresh.disabled = false;
    this.status.textContent = pausedText(s);
    this.stage.hidden = false;
    sizeStage(this.stage, s.frameWidth, s.frameHeight);
    this.img.src = `data:image/jpeg;base64,${s.jpeg}`;
    this.showHistory(s.history ?? []);
    const shown = shownMatches(s);
    const found = shown.matches.filter((m) => m.found);
    const missed = shown.matches.filter((m) => !m.found);
    const items = [...[...found, ...missed].map((m) => [shown.kind, m] as const), ...s.evaluated.map((m) => ['evaluated', m] as const)];
    this.list.replaceChildren(
      ...items.map(([kind, m]) => {
        const li = document.createElement('li');
        li.className = `${kind} ${m.found ? 'found' : 'missed'}`;
        const prefix = kind === 'evaluated' ? '(console) ' : kind === 'previous' ? `(${m.path ?? m.routine}) ` : '';
        li.textContent = `${prefix}${matchLine(m)}`;
        return li;
      }),
    );
    if (!items.length) {
      const li = document.createElement('li');
      li.className = 'none';
      li.textContent = 'No step has matched a template yet.';
      this.list.appendChild(li);
    }
    this.draw();
  }

  /** The strip of the last steps' frames, newest first. */
  private showHistory(frames: readonly ScreenHistoryFrame[]): void {
    this.history.hidden = frames.length === 0;
    this.strip.replaceChildren(
      ...frames.map((h) => {
        const b = document.createElement('button');
        b.className = `shot${h.error ? ' error' : ''}`;
        b.title = `${h.step} · ${timeOf(h.time)}: show this frame`;
        b.dataset.frame = String(h.frame);
        const img = document.createElement('img');
        img.src = `data:image/jpeg;base64,${h.jpeg}`;
        img.alt = `The frame step '${h.step}' saw`;
        img.style.aspectRatio = `${h.width} / ${h.height}`;
        const label = document.createElement('span');
        label.className = 'step';
        label.textContent = h.step;
        b.append(img, label);
        b.addEventListener('click', () => this.viewHistory(h));
        return b;
      }),
    );
  }

  private viewHistory(h: ScreenHistoryFrame): void {
    this.viewing = h;
    this.root.dataset.viewing = String(h.frame);
    for (const b of this.strip.querySelectorAll<HTMLButtonElement>('.shot')) {
      b.classList.toggle('selected', b.dataset.frame === String(h.frame));
    }
    this.back.hidden = false;
    this.status.textContent = `Step '${h.step}' at ${timeOf(h.time)} (recorded; no boxes)`;
    sizeStage(this.stage, h.width, h.height);
    this.img.src = `data:image/jpeg;base64,${h.jpeg}`;
    this.draw();
  }

  private viewCurrent(): void {
    const s = this.screen;
    if (s) {
      this.show(s);
    }
  }

  private draw(): void {
    const s = this.screen;
    if (!s) {
      return;
    }
    if (this.viewing) {
      drawOverlay(this.canvas, [], { width: this.viewing.width, height: this.viewing.height }, overlayColors(), { labels: 'full' });
      return;
    }
    drawOverlay(this.canvas, [...drawnMatches(shownMatches(s).matches), ...s.evaluated], { width: s.frameWidth, height: s.frameHeight }, overlayColors(), { labels: 'full' });
  }
}
