/** One bot's live tile: its screen with the match boxes drawn, and what it is doing. Enter/Space/click opens the zoom. */
import type { Size } from '../shared/geometry';
import type { BotRef, FrameImage, FrameMatch } from '../shared/monitorProtocol';
import { tileBoxes } from './model/tileBoxes';
import { h, setAttr, setHidden, setText } from './dom';
import { FrameSink } from './frameSink';
import type { BotTile } from './model/monitorModel';
import { drawOverlay, type OverlayColors } from './overlay';

export interface TileContext {
  colors(): OverlayColors;
  open(ref: BotRef, from: HTMLElement): void;
  log(message: string): void;
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** Keeps a screen box at the frame's aspect ratio (CSSOM, so a strict CSP allows it). */
export function setAspect(el: HTMLElement, size: Size | undefined): void {
  const v = size ? `${size.width} / ${size.height}` : '9 / 16';
  if (el.style.aspectRatio !== v) {
    el.style.aspectRatio = v;
  }
}

export class TileView {
  readonly el: HTMLElement;
  readonly button: HTMLElement;
  readonly sink: FrameSink;
  private readonly screen: HTMLElement;
  private readonly image: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly placeholder: HTMLElement;
  private readonly title: HTMLElement;
  private readonly state: HTMLElement;
  private readonly step: HTMLElement;
  private readonly account: HTMLElement;
  private readonly counts: HTMLElement;
  private readonly capture: HTMLElement;
  private readonly matchList: HTMLElement;
  private readonly alert: HTMLElement;
  private tile: BotTile;
  /** Matches sent with the last frame (drawn when no match event of the current step arrived). */
  private frameMatches: FrameMatch[] | undefined;
  /** The latest matches shown, with their step: kept on the tile (muted) while a later step has none. */
  private lastMatches: { step: string | undefined; matches: readonly FrameMatch[] } | undefined;
  private device: Size | undefined;
  private overlayKey = '';

  constructor(
    tile: BotTile,
    private readonly ctx: TileContext,
  ) {
    this.tile = tile;
    this.image = h('canvas', { class: 'screen-image', 'aria-hidden': 'true' });
    this.overlay = h('canvas', { class: 'screen-overlay', 'aria-hidden': 'true' });
    this.placeholder = h('div', { class: 'screen-placeholder' }, 'Waiting for a frame…');
    this.screen = h('div', { class: 'screen' }, this.image, this.overlay, this.placeholder);
    this.title = h('span', { class: 'tile-title' });
    this.state = h('span', { class: 'status' });
    this.step = h('div', { class: 'tile-line tile-step' });
    this.account = h('div', { class: 'tile-line tile-account' });
    this.counts = h('div', { class: 'tile-line tile-counts' });
    this.capture = h('div', { class: 'tile-line tile-muted' });
    this.matchList = h('div', { class: 'tile-line tile-matches' });
    this.alert = h('div', { class: 'tile-line tone-error', hidden: true });
    this.button = h(
      'div',
      { class: 'tile', role: 'button', tabIndex: 0, 'data-bot': tile.key, 'data-instance': tile.ref.instance },
      this.screen,
      h('div', { class: 'tile-info' }, h('div', { class: 'tile-head' }, this.title, this.state), this.step, this.account, this.counts, this.capture, this.matchList, this.alert),
    );
    this.el = h('div', { class: 'tile-cell', role: 'listitem' }, this.button);
    this.button.addEventListener('click', () => this.ctx.open(this.tile.ref, this.button));
    this.button.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.ctx.open(this.tile.ref, this.button);
      }
    });
    this.sink = new FrameSink(
      this.image,
      (f) => {
        setHidden(this.placeholder, true);
        this.screen.classList.add('has-frame');
        setAspect(this.screen, { width: f.width, height: f.height });
        this.redrawOverlay(true);
      },
      (m) => this.ctx.log(m),
    );
    setAspect(this.screen, undefined);
    this.update(tile);
  }

  get ref(): BotRef {
    return this.tile.ref;
  }

  update(tile: BotTile): void {
    if (tile.step?.since !== this.tile.step?.since || tile.step?.path !== this.tile.step?.path) {
      // A new step: the matches of the last frame belonged to the previous one.
      this.frameMatches = undefined;
    }
    this.tile = tile;
    const t = tile;
    setText(this.title, t.label);
    setAttr(this.title, 'title', t.serial ? `${t.label} (${t.serial})` : t.label);
    setText(this.state, `${t.status.symbol} ${t.status.label}`);
    this.state.className = `status tone-${t.status.tone}`;
    setText(this.step, t.step ? `▶ ${t.step.name}` : 'No step yet');
    setAttr(this.step, 'title', t.step ? `${t.step.name}${t.step.locationLabel ? ` — ${t.step.locationLabel}` : ''}` : undefined);
    setText(this.account, t.account ?? 'No account');
    setAttr(this.account, 'title', t.account ? `Account ${t.account}` : undefined);
    this.account.classList.toggle('tile-muted', !t.account);
    setText(this.counts, `${plural(t.cycles, 'cycle')} · ${plural(t.errors, 'error')}${t.restarts ? ` · ${plural(t.restarts, 'restart')}` : ''}`);
    this.counts.classList.toggle('tone-error', t.errors > 0 && t.cycles === 0);
    setText(this.capture, t.captureLabel);
    setAttr(
      this.capture,
      'title',
      t.capture.count > 0 ? `Screen capture latency over the last ${t.capture.count} captures: median ${t.capture.p50 ?? '?'} ms, 95th percentile ${t.capture.p95 ?? '?'} ms` : 'No capture measured yet',
    );
    this.renderMatchText();
    const alert = t.attention ?? (t.status.tone === 'error' && t.lastError ? t.lastError.message : undefined);
    setHidden(this.alert, alert === undefined);
    setText(this.alert, alert ? `⚠ ${alert}` : '');
    setAttr(this.alert, 'title', alert);
    setAttr(
      this.button,
      'aria-label',
      `${t.label}: ${t.status.label}${t.step ? `, step ${t.step.name}` : ''}, ${plural(t.cycles, 'cycle')}, ${plural(t.errors, 'error')}. Open the live view.`,
    );
    this.button.classList.toggle('is-paused', t.takeover);
    this.redrawOverlay(false);
  }

  /** The step's matches from the routine's events; the last frame's when there are none (after a reload). */
  private matches(): readonly FrameMatch[] {
    return this.tile.matches.length > 0 ? this.tile.matches : (this.frameMatches ?? []);
  }

  private renderMatchText(): void {
    const all = [...this.matches()].sort((a, b) => Number(b.found) - Number(a.found) || b.score - a.score);
    if (all.length > 0) {
      this.lastMatches = { step: this.tile.step?.name, matches: all };
    }
    // Most steps (waits, taps) match nothing: the tile keeps the last step's scores, muted, until this one has some.
    const shown = all.length > 0 ? all : (this.lastMatches?.matches ?? []);
    const earlier = all.length === 0 && shown.length > 0;
    // Score first: a narrow tile cuts the end of the line, and the score is what one reads at a glance.
    const line = (ms: readonly FrameMatch[]): string => ms.map((m) => `${m.found ? '◆' : '◇'} ${m.score.toFixed(2)} ${m.template}`).join('  ');
    setText(this.matchList, shown.length === 0 ? 'No matches yet' : `${earlier ? 'last: ' : ''}${line(shown.slice(0, 2))}`);
    this.matchList.classList.toggle('tile-muted', earlier);
    const detail = shown.map((m) => `${m.template} ${m.score.toFixed(2)}${m.found ? '' : ' (not found)'}`).join('\n');
    setAttr(this.matchList, 'title', earlier ? `Matches of an earlier step${this.lastMatches?.step ? ` (${this.lastMatches.step})` : ''}; this step has none yet:\n${detail}` : detail || undefined);
  }

  /** A live frame for this bot; resolves when drawn or dropped. */
  onFrame(f: FrameImage): Promise<void> {
    this.device = f.device;
    if (f.matches) {
      this.frameMatches = f.matches;
      this.renderMatchText();
    }
    return this.sink.show(f);
  }

  /** Redraws the boxes when what they show changed (or always, after a new image or a theme change). */
  redrawOverlay(force: boolean): void {
    const matches = tileBoxes(this.matches());
    const key = `${this.overlay.clientWidth}x${this.overlay.clientHeight}:${matches.map((m) => `${m.template}${m.score}${m.box.x},${m.box.y}`).join(';')}`;
    if (!force && key === this.overlayKey) {
      return;
    }
    this.overlayKey = key;
    drawOverlay(this.overlay, matches, this.device ?? this.sink.shown?.device, this.ctx.colors(), { labels: 'score' });
  }

  dispose(): void {
    this.sink.dispose();
    this.el.remove();
  }
}

