/**
 * The zoom of one bot: a large live screen with every match of the current step drawn, the step's routine
 * location, the recorder's timeline, Save frame / Save bug report, and manual takeover while the bot is paused
 * (click = tap, drag = swipe, typing = text, Enter/Backspace/arrows = keys, in device pixels).
 */
import type { Size } from '../shared/geometry';
import type {
  BotAction,
  BotRef,
  FrameImage,
  FrameMatch,
  RecorderFrameInfo,
  RecorderReply,
  RecorderRequest,
  RoutineLocation,
  TakeoverInput,
  TakeoverKey,
} from '../shared/monitorProtocol';
import { h, replaceChildren, setAttr, setHidden, setText } from './dom';
import { FrameSink } from './frameSink';
import { describeRecorderEvent, type BotTile, type RecentEvent } from './model/monitorModel';
import { fitBox, gestureToInput } from './model/takeoverGeometry';
import { drawOverlay, type OverlayColors } from './overlay';

export type CommandOutcome = { ok: true; message?: string } | { ok: false; message: string };

export interface ZoomContext {
  colors(): OverlayColors;
  close(): void;
  botCommand(bot: BotRef, action: BotAction): Promise<CommandOutcome>;
  takeover(bot: BotRef, input: TakeoverInput): Promise<CommandOutcome>;
  recorder(req: RecorderRequest): Promise<RecorderReply>;
  openLocation(loc: RoutineLocation): void;
  log(message: string): void;
}

const KEY_MAP: Record<string, TakeoverKey> = {
  Enter: 'enter',
  Backspace: 'backspace',
  Delete: 'delete',
  ArrowUp: 'up',
  ArrowDown: 'down',
  ArrowLeft: 'left',
  ArrowRight: 'right',
};

/** Typed characters are sent as one text input after this pause (or before a key, or on blur). */
const TEXT_FLUSH_MS = 400;

function clock(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function relative(ms: number): string {
  const s = ms / 1000;
  return `${s >= 0 ? '+' : '−'}${Math.abs(s) < 10 ? Math.abs(s).toFixed(2) : Math.abs(s).toFixed(1)} s`;
}

export class ZoomView {
  readonly el: HTMLElement;
  private readonly backBtn: HTMLElement;
  private readonly title: HTMLElement;
  private readonly status: HTMLElement;
  private readonly pauseBtn: HTMLElement;
  private readonly restartBtn: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly bannerResume: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly screen: HTMLElement;
  private readonly image: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly placeholder: HTMLElement;
  /** Takes the keyboard during takeover: typed, composed (IME, dead keys) and pasted text arrive as input events. */
  private readonly keys: HTMLTextAreaElement;
  private readonly range: HTMLInputElement;
  private readonly rangeLabel: HTMLElement;
  private readonly liveBtn: HTMLElement;
  private readonly saveFrameBtn: HTMLElement;
  private readonly saveReportBtn: HTMLElement;
  private readonly saveReportAsBtn: HTMLElement;
  private readonly saveStatus: HTMLElement;
  private readonly stepRow: HTMLElement;
  private readonly stepLink: HTMLButtonElement;
  private readonly stepWhere: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly matchList: HTMLElement;
  private readonly eventsTitle: HTMLElement;
  private readonly eventList: HTMLElement;
  readonly sink: FrameSink;

  private ref: BotRef | undefined;
  private tile: BotTile | undefined;
  private device: Size | undefined;
  private mode: 'live' | 'recorded' = 'live';
  private frames: RecorderFrameInfo[] = [];
  private capacity = 0;
  private lastLive: FrameImage | undefined;
  private liveMatches: FrameMatch[] | undefined;
  private recorded: Extract<RecorderReply, { op: 'frame' }> | undefined;
  private frameRequest: { inFlight: boolean; wanted?: number } = { inFlight: false };
  private textBuffer = '';
  private textTimer: ReturnType<typeof setTimeout> | undefined;
  private gesture: { id: number; x: number; y: number; t: number; cx: number; cy: number } | undefined;
  private readonly resize: ResizeObserver;
  private eventsKey = '';
  private busy = new Set<string>();
  /** Inputs sent during takeover (for the status line). */
  private sentInputs = 0;

  constructor(private readonly ctx: ZoomContext) {
    const btn = (label: string, secondary = true) => h('vscode-button', { secondary }, label);
    this.backBtn = btn('← Back');
    setAttr(this.backBtn, 'aria-label', 'Back to the groups');
    this.backBtn.addEventListener('click', () => this.ctx.close());
    this.title = h('h2', { class: 'zoom-title', id: 'zoom-title' });
    this.status = h('span', { class: 'status' });
    this.pauseBtn = btn('Pause');
    this.restartBtn = btn('Restart');
    this.pauseBtn.addEventListener('click', () => this.botAction('pause'));
    this.restartBtn.addEventListener('click', () => this.botAction('restart'));
    this.bannerResume = btn('Resume', false);
    this.bannerResume.addEventListener('click', () => this.botAction('resume'));
    this.banner = h(
      'div',
      { class: 'banner', role: 'status', id: 'takeover-banner', hidden: true },
      h('span', { class: 'banner-text' }, h('strong', {}, 'You have control'), ' — clicks tap, drags swipe, typing types on the device. Resume hands it back.'),
      this.bannerResume,
    );

    this.image = h('canvas', { class: 'screen-image', 'aria-hidden': 'true' });
    this.overlay = h('canvas', { class: 'screen-overlay', 'aria-hidden': 'true' });
    this.placeholder = h('div', { class: 'screen-placeholder' }, 'Waiting for a frame…');
    this.keys = h('textarea', { class: 'key-capture', tabIndex: -1, 'aria-label': 'Type on the device', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false' });
    this.screen = h(
      'div',
      { class: 'zoom-screen', tabIndex: 0, role: 'application', 'aria-roledescription': 'device screen' },
      this.image,
      this.overlay,
      this.placeholder,
      this.keys,
    );
    this.range = h('input', { type: 'range', class: 'timeline-range', min: '0', max: '0', value: '0', step: '1', id: 'timeline', disabled: true });
    this.rangeLabel = h('span', { class: 'timeline-label', 'aria-live': 'polite' }, 'Live');
    this.liveBtn = btn('Live');
    this.saveFrameBtn = btn('Save frame');
    this.saveReportBtn = btn('Save bug report');
    this.saveReportAsBtn = btn('Save bug report as…');
    setAttr(this.saveReportAsBtn, 'title', 'Choose the folder the bug report goes into');
    this.saveStatus = h('p', { class: 'zoom-status', role: 'status' });
    this.stage = h(
      'div',
      { class: 'zoom-stage' },
      this.screen,
      h(
        'div',
        { class: 'timeline' },
        h('label', { for: 'timeline', class: 'timeline-title' }, 'Recorder'),
        this.range,
        this.liveBtn,
      ),
      this.rangeLabel,
      h('div', { class: 'zoom-save' }, this.saveFrameBtn, this.saveReportBtn, this.saveReportAsBtn),
      this.saveStatus,
    );
    this.stepLink = h('button', { class: 'link', type: 'button' });
    this.stepWhere = h('span', { class: 'tile-muted' });
    this.stepRow = h('div', { class: 'fact' }, h('span', { class: 'fact-key' }, 'Step: '), this.stepLink, ' ', this.stepWhere);
    this.stepLink.addEventListener('click', () => {
      const loc = this.tile?.step?.location;
      if (loc) {
        this.ctx.openLocation(loc);
      }
    });
    this.facts = h('div', { class: 'zoom-facts' });
    this.matchList = h('ul', { class: 'match-list', 'aria-label': 'Matches of the current step' });
    this.eventsTitle = h('h3', {}, 'Events');
    this.eventList = h('ol', { class: 'event-list', 'aria-label': 'Events' });
    // The takeover banner heads the side column: shown above the screen it would push the screen down and shrink it
    // the moment the user takes control, under the pointer about to click it.
    const side = h('aside', { class: 'zoom-side' }, this.banner, this.stepRow, this.facts, h('h3', {}, 'Matches'), this.matchList, this.eventsTitle, this.eventList);
    this.el = h(
      'section',
      { class: 'zoom', hidden: true, 'aria-labelledby': 'zoom-title' },
      h('div', { class: 'zoom-bar' }, this.backBtn, this.title, this.status, h('div', { class: 'zoom-actions' }, this.pauseBtn, this.restartBtn)),
      h('div', { class: 'zoom-main' }, this.stage, side),
    );

    this.sink = new FrameSink(
      this.image,
      (f) => {
        setHidden(this.placeholder, true);
        this.device = f.device;
        this.layout();
        this.redrawOverlay();
      },
      (m) => this.ctx.log(m),
    );
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.ctx.close();
      }
    });
    // While the bot is paused, the focus goes on to the key capture (so the screen stays one Tab stop).
    this.screen.addEventListener('focus', () => {
      if (this.takeoverDevice()) {
        this.keys.focus({ preventScroll: true });
      }
    });
    this.keys.addEventListener('keydown', (e) => this.onKey(e));
    this.keys.addEventListener('input', (e) => {
      if (!(e as InputEvent).isComposing) {
        this.takeTyped();
      }
    });
    this.keys.addEventListener('compositionend', () => this.takeTyped());
    this.keys.addEventListener('focus', () => this.screen.classList.add('typing'));
    this.keys.addEventListener('blur', () => {
      this.screen.classList.remove('typing');
      this.flushText();
    });
    this.screen.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    this.screen.addEventListener('pointermove', (e) => this.onPointerMove(e));
    this.screen.addEventListener('pointerup', (e) => this.onPointerUp(e));
    this.screen.addEventListener('pointercancel', () => {
      this.gesture = undefined;
      this.redrawOverlay();
    });
    this.range.addEventListener('input', () => this.scrub(Number(this.range.value)));
    this.range.addEventListener('focus', () => {
      if (this.mode === 'live') {
        void this.refreshList();
      }
    });
    this.liveBtn.addEventListener('click', () => this.goLive());
    this.saveFrameBtn.addEventListener('click', () => void this.save('saveFrame'));
    this.saveReportBtn.addEventListener('click', () => void this.save('saveBugReport'));
    this.saveReportAsBtn.addEventListener('click', () => void this.save('saveBugReport', true));
    // Laid out on the next frame: resizing the screen inside the observer's callback would loop.
    let queued = false;
    this.resize = new ResizeObserver(() => {
      if (!queued) {
        queued = true;
        requestAnimationFrame(() => {
          queued = false;
          this.layout();
        });
      }
    });
    this.resize.observe(this.stage);
    window.addEventListener('resize', () => this.layout());
  }

  get bot(): BotRef | undefined {
    return this.ref;
  }

  get isOpen(): boolean {
    return this.ref !== undefined;
  }

  open(ref: BotRef, tile: BotTile | undefined, device: Size | undefined): void {
    this.ref = ref;
    this.tile = undefined;
    this.device = device;
    this.mode = 'live';
    this.frames = [];
    this.recorded = undefined;
    this.lastLive = undefined;
    this.liveMatches = undefined;
    this.eventsKey = '';
    this.sentInputs = 0;
    setText(this.saveStatus, '');
    setHidden(this.placeholder, false);
    const ctx2d = this.image.getContext('2d');
    ctx2d?.clearRect(0, 0, this.image.width, this.image.height);
    this.range.disabled = true;
    this.range.max = '0';
    this.range.value = '0';
    setText(this.rangeLabel, 'Live');
    setHidden(this.el, false);
    this.update(tile);
    this.layout();
    void this.refreshList();
    this.screen.focus();
  }

  close(): void {
    this.flushText();
    this.ref = undefined;
    this.tile = undefined;
    setHidden(this.el, true);
  }

  /** The bot's latest state (undefined: it is gone). */
  update(tile: BotTile | undefined): void {
    if (!this.ref) {
      return;
    }
    const prevStep = this.tile?.step;
    this.tile = tile;
    const ref = this.ref;
    setText(this.title, `${tile?.label ?? ref.instance} · ${ref.group}`);
    if (!tile) {
      setText(this.status, '○ Not running');
      this.status.className = 'status tone-idle';
      for (const b of [this.pauseBtn, this.restartBtn]) {
        setHidden(b, true);
      }
      setHidden(this.banner, true);
      this.screen.classList.remove('takeover');
      setAttr(this.screen, 'aria-label', `Screen of ${ref.instance}: the bot is not running`);
      setHidden(this.stepRow, true);
      this.facts.dataset.key = '';
      replaceChildren(this.facts, h('p', { class: 'hint' }, 'This bot is not running any more. Its recorder may still hold its last frames.'));
      return;
    }
    if (prevStep && (prevStep.since !== tile.step?.since || prevStep.path !== tile.step?.path)) {
      this.liveMatches = undefined;
    }
    setText(this.status, `${tile.status.symbol} ${tile.status.label}`);
    this.status.className = `status tone-${tile.status.tone}`;
    const active = tile.status.state !== 'stopped' && tile.status.state !== 'failed' && tile.status.state !== 'idle';
    setHidden(this.pauseBtn, !(active && !tile.takeover));
    // While paused, Resume sits in the takeover banner.
    setHidden(this.restartBtn, !active);
    for (const [b, a] of [
      [this.pauseBtn, 'pause'],
      [this.restartBtn, 'restart'],
    ] as const) {
      setAttr(b, 'disabled', this.busy.has(a));
      setAttr(b, 'aria-label', `${a[0].toUpperCase()}${a.slice(1)} ${tile.label}`);
    }
    setAttr(this.bannerResume, 'disabled', this.busy.has('resume'));
    setHidden(this.banner, !tile.takeover);
    this.screen.classList.toggle('takeover', tile.takeover);
    setAttr(
      this.screen,
      'aria-label',
      tile.takeover
        ? `Screen of ${tile.label}. You have control: click to tap, drag to swipe, type to enter text, Enter and Backspace send keys.`
        : `Live screen of ${tile.label}. Pause the bot to take control.`,
    );
    setAttr(this.screen, 'aria-describedby', tile.takeover ? 'takeover-banner' : undefined);

    setHidden(this.stepRow, !tile.step);
    setText(this.stepLink, tile.step?.name ?? '');
    setText(this.stepWhere, tile.step?.locationLabel ? `— ${tile.step.locationLabel}` : tile.step ? `— ${tile.step.routine}` : '');
    this.stepLink.disabled = !tile.step?.location;
    setAttr(this.stepLink, 'title', tile.step?.location ? `Open ${tile.step.location.file} at line ${tile.step.location.line}` : undefined);
    const facts: [string, string][] = [
      ['Account', tile.account ?? '—'],
      ['Cycles', `${tile.cycles} done · ${tile.errors} failed · ${tile.restarts} restarts`],
      ['Capture', tile.captureLabel === 'No capture yet' ? '—' : tile.captureLabel],
    ];
    if (tile.serial) {
      facts.push(['Device', tile.serial]);
    }
    if (tile.lastError) {
      facts.push(['Last error', tile.lastError.message]);
    }
    if (tile.attention) {
      facts.push(['Attention', tile.attention]);
    }
    const factsKey = JSON.stringify(facts);
    if (this.facts.dataset.key !== factsKey) {
      this.facts.dataset.key = factsKey;
      replaceChildren(this.facts, ...facts.map(([k, v]) => h('div', { class: 'fact' }, h('span', { class: 'fact-key' }, `${k}: `), h('span', { class: k === 'Last error' || k === 'Attention' ? 'tone-error' : undefined }, v))));
    }
    this.renderMatches();
    this.renderEvents();
    this.redrawOverlay();
  }

  private currentMatches(): readonly FrameMatch[] {
    if (this.mode === 'recorded') {
      return this.recorded?.matches ?? [];
    }
    // Every match of the current step from the routine's events; the last frame's when there are none yet.
    const fromEvents = this.tile?.matches ?? [];
    return fromEvents.length > 0 ? fromEvents : (this.liveMatches ?? []);
  }

  private renderMatches(): void {
    const ms = this.currentMatches();
    const key = JSON.stringify(ms.map((m) => [m.template, m.score, m.found]));
    if (this.matchList.dataset.key === key) {
      return;
    }
    this.matchList.dataset.key = key;
    replaceChildren(
      this.matchList,
      ...(ms.length
        ? [...ms]
            .sort((a, b) => Number(b.found) - Number(a.found) || b.score - a.score)
            .map((m) =>
              h(
                'li',
                { class: m.found ? 'tone-ok' : 'tone-warn' },
                `${m.found ? '◆' : '◇'} ${m.template} `,
                h('strong', {}, m.score.toFixed(2)),
                m.threshold !== undefined ? ` (needs ${m.threshold.toFixed(2)})` : '',
              ),
            )
        : [h('li', { class: 'tile-muted' }, 'No match in this step yet')]),
    );
  }

  private renderEvents(): void {
    let events: RecentEvent[];
    let ref = 0;
    if (this.mode === 'recorded' && this.recorded) {
      events = this.recorded.events.map(describeRecorderEvent);
      ref = this.recorded.time;
      setText(this.eventsTitle, 'Events around this frame');
    } else {
      events = [...(this.tile?.recent ?? [])].reverse();
      setText(this.eventsTitle, 'Recent events');
    }
    const key = JSON.stringify([this.mode, ref, events.length, events[0]?.time, events[0]?.text]);
    if (key === this.eventsKey) {
      return;
    }
    this.eventsKey = key;
    replaceChildren(
      this.eventList,
      ...(events.length
        ? events.map((e) =>
            h(
              'li',
              { class: [e.tone ? `tone-${e.tone}` : '', e.by ? `input-${e.by}` : ''].filter(Boolean).join(' ') || undefined, 'data-by': e.by },
              h('span', { class: 'event-time' }, this.mode === 'recorded' ? relative(e.time - ref) : clock(e.time)),
              ' ',
              e.text,
            ),
          )
        : [h('li', { class: 'tile-muted' }, 'Nothing yet')]),
    );
  }

  /** A live frame of the zoomed bot. */
  onFrame(f: FrameImage): Promise<void> {
    this.lastLive = f;
    if (f.matches) {
      this.liveMatches = f.matches;
    }
    if (this.mode !== 'live') {
      return Promise.resolve();
    }
    this.device = f.device;
    this.renderMatches();
    return this.sink.show(f);
  }

  /** Sizes the screen to the largest box of the device's aspect that fits the stage. */
  layout(): void {
    if (!this.ref) {
      return;
    }
    const aspect = this.device ?? this.tileAspect();
    const stageW = this.stage.clientWidth || 320;
    const top = this.screen.getBoundingClientRect().top;
    const reserved = 130; // timeline, save buttons and status below the screen
    const maxH = Math.max(200, window.innerHeight - Math.max(0, top) - reserved);
    const box = fitBox(aspect, stageW, maxH);
    const w = `${box.width}px`;
    const hgt = `${box.height}px`;
    if (this.screen.style.width !== w || this.screen.style.height !== hgt) {
      this.screen.style.width = w;
      this.screen.style.height = hgt;
      this.redrawOverlay();
    }
  }

  private tileAspect(): Size {
    const f = this.tile?.lastFrame;
    return f ? { width: f.width, height: f.height } : { width: 9, height: 16 };
  }

  redrawOverlay(): void {
    const g = this.gesture;
    const stroke = g && Math.hypot(g.cx - g.x, g.cy - g.y) > 2 ? { from: { x: g.x, y: g.y }, to: { x: g.cx, y: g.cy } } : undefined;
    const device = this.mode === 'recorded' ? (this.recorded?.device ?? this.device) : this.device;
    drawOverlay(this.overlay, this.currentMatches(), device, this.ctx.colors(), { labels: 'full', stroke });
  }

  // --- bot commands ---------------------------------------------------------------------------------------------

  private botAction(action: BotAction): void {
    const ref = this.ref;
    if (!ref || this.busy.has(action)) {
      return;
    }
    this.flushText();
    this.busy.add(action);
    this.update(this.tile);
    void this.ctx.botCommand(ref, action).then((r) => {
      this.busy.delete(action);
      if (!r.ok) {
        this.say(`Could not ${action} ${ref.instance}: ${r.message}`, true);
      }
      if (this.ref === ref) {
        this.update(this.tile);
      }
    });
  }

  // --- takeover -------------------------------------------------------------------------------------------------

  private displayBox(): DOMRect {
    return this.image.getBoundingClientRect();
  }

  private takeoverDevice(): Size | undefined {
    return this.tile?.takeover && this.mode === 'live' ? this.device : undefined;
  }

  private send(input: TakeoverInput): void {
    const ref = this.ref;
    if (!ref) {
      return;
    }
    this.sentInputs++;
    void this.ctx.takeover(ref, input).then((r) => {
      if (!r.ok) {
        this.say(`The device did not take the input: ${r.message}`, true);
      }
    });
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 || !this.takeoverDevice()) {
      return;
    }
    e.preventDefault();
    this.keys.focus({ preventScroll: true });
    this.screen.setPointerCapture(e.pointerId);
    const box = this.displayBox();
    this.gesture = { id: e.pointerId, x: e.clientX - box.left, y: e.clientY - box.top, t: e.timeStamp, cx: e.clientX - box.left, cy: e.clientY - box.top };
  }

  private onPointerMove(e: PointerEvent): void {
    const g = this.gesture;
    if (!g || g.id !== e.pointerId) {
      return;
    }
    const box = this.displayBox();
    g.cx = e.clientX - box.left;
    g.cy = e.clientY - box.top;
    this.redrawOverlay();
  }

  private onPointerUp(e: PointerEvent): void {
    const g = this.gesture;
    this.gesture = undefined;
    const device = this.takeoverDevice();
    if (!g || g.id !== e.pointerId || !device) {
      this.redrawOverlay();
      return;
    }
    const box = this.displayBox();
    this.flushText();
    const input = gestureToInput(
      { x: g.x + box.left, y: g.y + box.top, t: g.t },
      { x: e.clientX, y: e.clientY, t: e.timeStamp },
      { left: box.left, top: box.top, width: box.width, height: box.height },
      device,
    );
    this.send(input);
    this.redrawOverlay();
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.takeoverDevice() || e.isComposing) {
      return;
    }
    if (e.key === 'Escape' || e.key === 'Tab' || e.ctrlKey || e.metaKey || e.altKey) {
      return; // Escape closes the zoom; Tab moves the focus; shortcuts (paste too) stay the browser's.
    }
    const key = KEY_MAP[e.key];
    if (key) {
      e.preventDefault();
      this.flushText();
      this.send({ kind: 'key', key });
    }
    // Characters come through the input event (composition and paste too).
  }

  /** Moves what the key capture received into the text to send. */
  private takeTyped(): void {
    const v = this.keys.value;
    this.keys.value = '';
    if (v && this.takeoverDevice()) {
      this.typed(v);
    }
  }

  private typed(text: string): void {
    this.textBuffer += text;
    if (this.textTimer !== undefined) {
      clearTimeout(this.textTimer);
    }
    this.textTimer = setTimeout(() => this.flushText(), TEXT_FLUSH_MS);
  }

  private flushText(): void {
    if (this.textTimer !== undefined) {
      clearTimeout(this.textTimer);
      this.textTimer = undefined;
    }
    const text = this.textBuffer;
    this.textBuffer = '';
    if (text) {
      for (let i = 0; i < text.length; i += 1000) {
        this.send({ kind: 'text', text: text.slice(i, i + 1000) });
      }
    }
  }

  // --- recorder -------------------------------------------------------------------------------------------------

  private async refreshList(): Promise<void> {
    const ref = this.ref;
    if (!ref) {
      return;
    }
    const reply = await this.ctx.recorder({ op: 'list', bot: ref });
    if (this.ref !== ref) {
      return;
    }
    if (reply.op !== 'list') {
      setText(this.rangeLabel, reply.op === 'error' ? `Recorder: ${reply.message}` : 'Recorder unavailable');
      return;
    }
    this.frames = reply.frames;
    this.capacity = reply.capacity;
    this.range.max = String(this.frames.length);
    this.range.disabled = this.frames.length === 0;
    if (this.mode === 'live') {
      this.range.value = String(this.frames.length);
    }
    this.labelTimeline();
  }

  private labelTimeline(): void {
    const pos = Number(this.range.value);
    const n = this.frames.length;
    let text: string;
    if (this.mode === 'live' || pos >= n) {
      text = n ? `Live · ${n} of ${this.capacity} frames recorded — drag back to replay` : 'Live · nothing recorded yet';
    } else {
      const f = this.frames[pos];
      const last = this.frames[n - 1];
      text = `Frame ${pos + 1} of ${n} · ${clock(f.time)} (${relative(f.time - last.time)})${f.step ? ` · ${f.step}` : ''}${f.error ? ' · error' : ''}${f.lossless ? ' · lossless' : ' · JPEG only'}`;
    }
    setText(this.rangeLabel, text);
    setAttr(this.range, 'aria-valuetext', text);
    this.el.dataset.mode = this.mode;
  }

  private scrub(pos: number): void {
    if (pos >= this.frames.length) {
      this.goLive();
      return;
    }
    this.mode = 'recorded';
    this.labelTimeline();
    const f = this.frames[pos];
    if (f) {
      void this.requestFrame(f.frame);
    }
  }

  private async requestFrame(frame: number): Promise<void> {
    this.frameRequest.wanted = frame;
    if (this.frameRequest.inFlight) {
      return; // the latest wanted frame is asked for when the one in flight returns
    }
    const ref = this.ref;
    while (ref && this.ref === ref && this.frameRequest.wanted !== undefined && this.mode === 'recorded') {
      const want = this.frameRequest.wanted;
      this.frameRequest.wanted = undefined;
      this.frameRequest.inFlight = true;
      let reply: RecorderReply;
      try {
        reply = await this.ctx.recorder({ op: 'frame', bot: ref, frame: want });
      } finally {
        this.frameRequest.inFlight = false;
      }
      if (this.ref !== ref || this.mode !== 'recorded') {
        return;
      }
      if (reply.op === 'frame') {
        if (this.frameRequest.wanted === undefined) {
          this.recorded = reply;
          this.device = reply.device;
          this.renderMatches();
          this.renderEvents();
          await this.sink.show(reply);
          this.el.dataset.shownFrame = String(reply.frame);
          this.redrawOverlay();
        }
      } else if (reply.op === 'error') {
        this.say(`Frame ${want}: ${reply.message}`, true);
        void this.refreshList();
      }
    }
  }

  private goLive(): void {
    this.mode = 'live';
    this.recorded = undefined;
    this.frameRequest.wanted = undefined;
    this.range.value = String(this.frames.length);
    this.labelTimeline();
    delete this.el.dataset.shownFrame;
    this.eventsKey = '';
    this.renderMatches();
    this.renderEvents();
    if (this.lastLive) {
      void this.sink.show(this.lastLive);
    }
    this.redrawOverlay();
    void this.refreshList();
  }

  private async save(op: 'saveFrame' | 'saveBugReport', askFolder = false): Promise<void> {
    const ref = this.ref;
    // One report at a time, whichever button asked for it.
    if (!ref || this.busy.has(op)) {
      return;
    }
    const btns = op === 'saveFrame' ? [this.saveFrameBtn] : [this.saveReportBtn, this.saveReportAsBtn];
    this.busy.add(op);
    btns.forEach((b) => setAttr(b, 'disabled', true));
    this.say(op === 'saveFrame' ? 'Saving the frame…' : askFolder ? 'Choose a folder for the bug report…' : 'Writing the bug report…', false);
    try {
      const req: RecorderRequest =
        op === 'saveFrame' ? { op, bot: ref, frame: this.mode === 'recorded' ? this.recorded?.frame : undefined } : { op, bot: ref, ...(askFolder ? { askFolder: true } : {}) };
      const reply = await this.ctx.recorder(req);
      if (reply.op === 'saved') {
        if (reply.kind === 'frame') {
          this.say(reply.lossless === false ? `Frame saved as its recorded JPEG (${reply.note ?? 'no lossless copy is left'}): ${reply.path}` : `Frame saved losslessly (PNG): ${reply.path}`, false);
        } else {
          this.say(`Bug report written: ${reply.path}`, false);
        }
      } else if (reply.op === 'error' && reply.code === 'cancelled') {
        this.say('No folder chosen: the bug report was not written.', false);
      } else {
        this.say(reply.op === 'error' ? `Could not save: ${reply.message}` : 'Could not save', true);
      }
    } finally {
      this.busy.delete(op);
      btns.forEach((b) => setAttr(b, 'disabled', false));
    }
  }

  private say(text: string, error: boolean): void {
    setText(this.saveStatus, text);
    this.saveStatus.classList.toggle('tone-error', error);
  }

  /** For tests: inputs sent since the zoom opened. */
  get inputsSent(): number {
    return this.sentInputs;
  }
}
