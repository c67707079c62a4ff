/**
 * The debugger's Screen view: the paused bot's frame with the matches of the current step drawn on it (found boxes
 * solid, misses dashed; the matches of a condition evaluated in the debug console too), the stop's reason and
 * location, and a button to capture the screen again. The host sends a new screen at each stop.
 */
import type { FromDebugScreen, ScreenMatch, ScreenPayload, ToDebugScreen } from '../../shared/debugScreenProtocol';
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

export class DebugScreenApp {
  private readonly status: HTMLDivElement;
  private readonly stage: HTMLDivElement;
  private readonly img: HTMLImageElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly list: HTMLUListElement;
  private readonly refresh: HTMLButtonElement;
  private screen: ScreenPayload | undefined;

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
    this.stage = el('div', 'stage', root);
    this.img = el('img', 'frame', this.stage);
    this.img.alt = 'The paused bot\'s screen';
    this.canvas = el('canvas', 'overlay', this.stage);
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
      this.api.setState({});
      this.stage.hidden = true;
      this.list.replaceChildren();
    }
    this.status.textContent = text[state];
  }

  private show(s: ScreenPayload): void {
    this.screen = s;
    this.api.setState({ screen: s });
    this.root.dataset.state = 'stopped';
    this.refresh.disabled = false;
    const where = s.location ? `${s.location.file}:${s.location.line}` : '';
    const who = s.target.group ? `${s.target.group} / bot ${s.target.instance ?? '?'}` : (s.target.serial ?? '');
    this.status.textContent = [`Paused (${s.reason ?? 'stopped'})`, where, who, s.fresh ? 'captured now' : 'the frame the step looked at'].filter(Boolean).join(' · ');
    this.stage.hidden = false;
    this.stage.style.aspectRatio = `${s.frameWidth} / ${s.frameHeight}`;
    this.img.src = `data:image/jpeg;base64,${s.jpeg}`;
    const shown = shownMatches(s);
    const items = [...shown.matches.map((m) => [shown.kind, m] as const), ...s.evaluated.map((m) => ['evaluated', m] as const)];
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

  private draw(): void {
    const s = this.screen;
    if (!s) {
      return;
    }
    drawOverlay(this.canvas, [...shownMatches(s).matches, ...s.evaluated], { width: s.frameWidth, height: s.frameHeight }, overlayColors(), { labels: 'full' });
  }
}
