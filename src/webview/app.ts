/**
 * The monitor's controller: talks to the host (protocol in shared/monitorProtocol), keeps the view model, renders
 * the cards and the zoom, routes frames, tracks which tiles are on screen and keeps the UI state across reloads.
 */
import {
  MONITOR_PROTOCOL_VERSION,
  botKey,
  parseToMonitor,
  type BotAction,
  type BotRef,
  type FromMonitor,
  type FrameImage,
  type GroupAction,
  type MonitorCommand,
  type RecorderReply,
  type RecorderRequest,
  type RoutineLocation,
  type TakeoverInput,
  type ToMonitorParsed,
} from '../shared/monitorProtocol';
import { CardView } from './cardView';
import { h, replaceChildren, setHidden, setText } from './dom';
import { MonitorModel } from './model/monitorModel';
import { readUiState, type UiState } from './model/uiState';
import { overlayColors, type OverlayColors } from './overlay';
import type { TileView } from './tileView';
import type { VsCodeApi } from './vscodeApi';
import { ZoomView, type CommandOutcome } from './zoomView';

type Reply = Extract<ToMonitorParsed, { type: 'result' }> | Extract<ToMonitorParsed, { type: 'recorder' }>;

/** A request without an answer in this time fails (the host may have gone). */
const REQUEST_TIMEOUT_MS = 30_000;
/** At most this many log messages to the host per window, so a flood of bad messages cannot flood the log. */
const LOG_BUDGET = 20;
const LOG_WINDOW_MS = 10_000;
/** A host that keeps answering with a snapshot that does not close the gap is not asked in a tight loop. */
const SNAPSHOT_REQUEST_INTERVAL_MS = 1000;

export class MonitorApp {
  private readonly model = new MonitorModel();
  private ui: UiState;
  private readonly cards = new Map<string, CardView>();
  private readonly tilesByKey = new Map<string, TileView>();
  private readonly visible = new Set<string>();
  private lastVisibleSent = '';
  private readonly pending = new Map<string, { resolve: (r: Reply | undefined) => void; timer: ReturnType<typeof setTimeout> }>();
  private readonly pendingGroupActions = new Map<string, Set<GroupAction>>();
  private nextId = 0;
  private renderQueued = false;
  private snapshotRequest: { id: string; at: number } | undefined;
  private lastSnapshotRequestAt = -Infinity;
  private snapshotRetry: ReturnType<typeof setTimeout> | undefined;
  private restored = false;
  private colorsCache: OverlayColors | undefined;
  private logWindow = { start: 0, sent: 0, dropped: 0 };
  private zoomReturnFocus: HTMLElement | undefined;
  /** The last frame of each bot, so a zoom opens with an image at once. */
  private readonly lastFrames = new Map<string, FrameImage>();
  private readonly io: IntersectionObserver;

  private readonly listEl: HTMLElement;
  private readonly cardsEl: HTMLElement;
  private readonly emptyEl: HTMLElement;
  private readonly hintEl: HTMLElement;
  private readonly announceEl: HTMLElement;
  private readonly summaryEl: HTMLElement;
  private readonly zoom: ZoomView;
  /** Counters for tests and diagnostics (read by the browser harness). */
  readonly stats = { messages: 0, ignored: 0, failed: 0, frames: 0, renders: 0 };

  constructor(
    root: HTMLElement,
    private readonly api: VsCodeApi<UiState>,
  ) {
    this.ui = readUiState(api.getState());
    // The view restores its scroll position itself (from the webview state), once the cards are there.
    history.scrollRestoration = 'manual';
    const createBtn = h('vscode-button', { 'aria-label': 'Create a group' }, '+ Create');
    createBtn.addEventListener('click', () => void this.command({ kind: 'createGroup' }));
    this.summaryEl = h('span', { class: 'summary' });
    this.announceEl = h('div', { class: 'announce', role: 'status', 'aria-live': 'polite' });
    this.cardsEl = h('div', { class: 'cards' });
    this.emptyEl = h('div', { class: 'empty' });
    this.hintEl = h('p', { class: 'hint', hidden: true }, 'Start a group to see its bots’ screens.');
    this.listEl = h(
      'section',
      { class: 'list', 'aria-label': 'Orchestration groups' },
      h('header', { class: 'toolbar' }, h('h1', {}, 'Orchestration Groups'), this.summaryEl, createBtn),
      this.announceEl,
      this.hintEl,
      this.emptyEl,
      this.cardsEl,
    );
    this.zoom = new ZoomView({
      colors: () => this.colors(),
      close: () => this.closeZoom(),
      botCommand: (bot, action) => this.botCommand(bot, action),
      takeover: (bot, input) => this.takeover(bot, input),
      recorder: (req) => this.recorder(req),
      openLocation: (loc) => void this.openRoutine({ location: loc }),
      log: (m) => this.log('warn', m),
    });
    replaceChildren(root, this.listEl, this.zoom.el);
    this.renderEmpty();

    this.io = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const key = (e.target as HTMLElement).dataset.bot;
        if (key === undefined) {
          continue;
        }
        if (e.isIntersecting) {
          this.visible.add(key);
        } else {
          this.visible.delete(key);
        }
      }
      this.sendVisible();
    });
    document.addEventListener('visibilitychange', () => this.sendVisible());
    let scrollQueued = false;
    window.addEventListener('scroll', () => {
      if (scrollQueued || this.zoom.isOpen) {
        return;
      }
      scrollQueued = true;
      requestAnimationFrame(() => {
        scrollQueued = false;
        this.saveUi({ scrollY: Math.round(window.scrollY) });
      });
    });
    // A theme change sets VS Code's variables on <html> and the body's classes: read the colours again, redraw the boxes.
    const themeObserver = new MutationObserver(() => {
      this.colorsCache = undefined;
      for (const t of this.tilesByKey.values()) {
        t.redrawOverlay(true);
      }
      this.zoom.redrawOverlay();
    });
    themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
    themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
  }

  /** Says hello to the host (it answers with a snapshot). */
  start(): void {
    this.post({ type: 'ready', id: this.newId(), protocol: MONITOR_PROTOCOL_VERSION });
  }

  // --- messages -------------------------------------------------------------------------------------------------

  private post(msg: FromMonitor): void {
    this.api.postMessage(msg);
  }

  private newId(): string {
    this.nextId++;
    return `m${this.nextId}`;
  }

  /** Every message from the host comes here. Never throws: a bad message is logged (rate-limited) and ignored. */
  handleMessage(raw: unknown): void {
    this.stats.messages++;
    try {
      const p = parseToMonitor(raw);
      if (!p.ok) {
        this.stats.ignored++;
        this.log('warn', `ignored a host message: ${p.reason}`);
        return;
      }
      this.dispatch(p.msg);
    } catch (e) {
      // A bug of the view, not of the message: counted apart (the browser tests require none).
      this.stats.failed++;
      this.log('error', `a host message failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }

  private dispatch(msg: ToMonitorParsed): void {
    switch (msg.type) {
      case 'snapshot': {
        if (this.snapshotRequest && (msg.inReplyTo === undefined || msg.inReplyTo === this.snapshotRequest.id)) {
          this.snapshotRequest = undefined;
        }
        this.model.applySnapshot(msg.snapshot, msg.session);
        this.afterModelChange();
        return;
      }
      case 'events': {
        const r = this.model.applyEvents(msg.events);
        if (r.problems.length) {
          this.log('warn', `events: ${r.problems.slice(0, 3).join('; ')}${r.problems.length > 3 ? ` (and ${r.problems.length - 3} more)` : ''}`);
        }
        this.afterModelChange();
        return;
      }
      case 'frame':
        this.onFrame(msg);
        return;
      case 'result':
      case 'recorder': {
        const p = this.pending.get(msg.inReplyTo);
        if (p) {
          this.pending.delete(msg.inReplyTo);
          clearTimeout(p.timer);
          p.resolve(msg);
        }
        return;
      }
    }
  }

  private afterModelChange(): void {
    this.maybeRequestSnapshot();
    this.scheduleRender();
  }

  /** Asks for a snapshot when the model wants one: one request at a time, at most one per second. */
  private maybeRequestSnapshot(): void {
    const want = this.model.snapshotWanted;
    const now = Date.now();
    const stale = this.snapshotRequest && now - this.snapshotRequest.at > REQUEST_TIMEOUT_MS;
    if (!want || !this.model.hasSnapshot || (this.snapshotRequest && !stale)) {
      return;
    }
    const wait = this.lastSnapshotRequestAt + SNAPSHOT_REQUEST_INTERVAL_MS - now;
    if (wait > 0) {
      if (this.snapshotRetry === undefined) {
        this.snapshotRetry = setTimeout(() => {
          this.snapshotRetry = undefined;
          this.maybeRequestSnapshot();
        }, wait);
      }
      return;
    }
    const id = this.newId();
    this.lastSnapshotRequestAt = now;
    this.snapshotRequest = { id, at: now };
    this.post({ type: 'requestSnapshot', id, reason: want, seq: Math.max(0, this.model.seq) });
  }

  private request(msg: FromMonitor & { id: string }): Promise<Reply | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(msg.id);
        resolve(undefined);
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(msg.id, { resolve, timer });
      this.post(msg);
    });
  }

  private async command(command: MonitorCommand): Promise<CommandOutcome> {
    const r = await this.request({ type: 'command', id: this.newId(), command });
    return outcomeOf(r);
  }

  private async groupCommand(group: string, action: GroupAction): Promise<void> {
    let set = this.pendingGroupActions.get(group);
    if (!set) {
      set = new Set();
      this.pendingGroupActions.set(group, set);
    }
    if (set.has(action)) {
      return;
    }
    set.add(action);
    this.scheduleRender();
    const r = await this.command({ kind: 'group', action, group });
    set.delete(action);
    if (!r.ok) {
      this.announce(`Could not ${action} ${group}: ${r.message}`, true);
    } else if (r.message) {
      this.announce(r.message, false);
    }
    this.scheduleRender();
  }

  private botCommand(bot: BotRef, action: BotAction): Promise<CommandOutcome> {
    return this.command({ kind: 'bot', action, bot });
  }

  private async takeover(bot: BotRef, input: TakeoverInput): Promise<CommandOutcome> {
    return outcomeOf(await this.request({ type: 'takeover', id: this.newId(), bot, input }));
  }

  private async recorder(request: RecorderRequest): Promise<RecorderReply> {
    const r = await this.request({ type: 'recorder', id: this.newId(), request });
    if (r?.type === 'recorder') {
      return r.reply;
    }
    if (r?.type === 'result' && !r.ok) {
      return { op: 'error', code: r.error.code, message: r.error.message };
    }
    return { op: 'error', code: 'no-answer', message: 'the extension did not answer' };
  }

  private async openRoutine(target: { routine?: string; location?: RoutineLocation }): Promise<void> {
    const r = await this.command({ kind: 'openRoutine', ...target });
    if (!r.ok) {
      this.announce(`Could not open the routine: ${r.message}`, true);
    }
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    const now = Date.now();
    const w = this.logWindow;
    if (now - w.start > LOG_WINDOW_MS) {
      if (w.dropped > 0) {
        this.post({ type: 'log', level: 'warn', message: `${w.dropped} more monitor messages were not logged` });
      }
      this.logWindow = { start: now, sent: 0, dropped: 0 };
    }
    if (this.logWindow.sent >= LOG_BUDGET) {
      this.logWindow.dropped++;
      return;
    }
    this.logWindow.sent++;
    this.post({ type: 'log', level, message: message.slice(0, 4000) });
  }

  private announce(text: string, error: boolean): void {
    setText(this.announceEl, text);
    this.announceEl.classList.toggle('tone-error', error);
  }

  // --- frames ---------------------------------------------------------------------------------------------------

  private onFrame(msg: Extract<ToMonitorParsed, { type: 'frame' }>): void {
    this.stats.frames++;
    const ref = { group: msg.group, instance: msg.instance };
    const key = botKey(ref);
    const f: FrameImage = msg;
    this.lastFrames.set(key, f);
    const shows: Promise<void>[] = [];
    const tile = this.tilesByKey.get(key);
    if (tile) {
      shows.push(tile.onFrame(f));
    }
    const z = this.zoom.bot;
    if (z && botKey(z) === key) {
      shows.push(this.zoom.onFrame(f));
    }
    void Promise.all(shows).then(() => this.post({ type: 'frameAck', bot: ref, frame: msg.frame }));
  }

  private sendVisible(): void {
    const bots = document.hidden ? [] : [...this.visible].sort();
    const key = bots.join('\n');
    if (key === this.lastVisibleSent) {
      return;
    }
    this.lastVisibleSent = key;
    this.post({
      type: 'setVisibleTiles',
      bots: bots.map((k) => {
        const i = k.indexOf('\u0000');
        return { group: k.slice(0, i), instance: k.slice(i + 1) };
      }),
    });
  }

  colors(): OverlayColors {
    this.colorsCache ??= overlayColors();
    return this.colorsCache;
  }

  // --- rendering ------------------------------------------------------------------------------------------------

  private scheduleRender(): void {
    if (this.renderQueued) {
      return;
    }
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private renderEmpty(): void {
    if (!this.model.hasSnapshot) {
      replaceChildren(this.emptyEl, h('p', {}, 'Connecting to Emulator Fleet…'));
      return;
    }
    const create = h('vscode-button', {}, '+ Create group');
    create.addEventListener('click', () => void this.command({ kind: 'createGroup' }));
    replaceChildren(
      this.emptyEl,
      h('p', { class: 'empty-title' }, 'No groups yet'),
      h('p', {}, 'A group runs a routine on a set of emulator instances with accounts from a pool. Create one to get started.'),
      create,
    );
  }

  private render(): void {
    this.stats.renders++;
    const view = this.model.view();
    const names = new Set(view.cards.map((c) => c.name));
    for (const [n, v] of this.cards) {
      if (!names.has(n)) {
        v.dispose();
        this.cards.delete(n);
      }
    }
    const collapsed = new Set(this.ui.collapsed);
    view.cards.forEach((c, i) => {
      let v = this.cards.get(c.name);
      if (!v) {
        v = new CardView(c.name, {
          colors: () => this.colors(),
          open: (ref, from) => this.openZoom(ref, from),
          log: (m) => this.log('warn', m),
          command: (group, action) => void this.groupCommand(group, action),
          openRoutine: (r) => void this.openRoutine({ routine: r.name }),
          toggle: (group) => this.toggle(group),
          tileAdded: (t) => {
            this.tilesByKey.set(botKey(t.ref), t);
            this.io.observe(t.button);
          },
          tileRemoved: (t) => {
            this.io.unobserve(t.button);
            const k = botKey(t.ref);
            if (this.tilesByKey.get(k) === t) {
              this.tilesByKey.delete(k);
            }
            if (this.visible.delete(k)) {
              this.sendVisible();
            }
            if (!this.zoom.bot || botKey(this.zoom.bot) !== k) {
              this.lastFrames.delete(k);
            }
          },
        });
        this.cards.set(c.name, v);
      }
      v.update(c, collapsed.has(c.name), this.pendingGroupActions.get(c.name) ?? new Set());
      if (this.cardsEl.children[i] !== v.el) {
        this.cardsEl.insertBefore(v.el, this.cardsEl.children[i] ?? null);
      }
    });
    setHidden(this.emptyEl, view.cards.length > 0);
    if (view.cards.length === 0) {
      this.renderEmpty();
    }
    setHidden(this.hintEl, view.cards.length === 0 || view.anyLive);
    const bots = view.cards.reduce((n, c) => n + c.tiles.length, 0);
    const running = view.cards.filter((c) => c.live).length;
    setText(this.summaryEl, view.cards.length ? `${running} running · ${bots} ${bots === 1 ? 'bot' : 'bots'}` : '');
    const z = this.zoom.bot;
    if (z) {
      this.zoom.update(this.model.tile(z));
    }
    if (!this.restored && this.model.hasSnapshot) {
      this.restored = true;
      this.restore();
    }
  }

  private restore(): void {
    const z = this.ui.zoom;
    if (z) {
      this.openZoom(z, undefined);
    } else if (this.ui.scrollY > 0) {
      void this.restoreScroll(this.ui.scrollY);
    }
  }

  /** Scrolls once the buttons (Lit elements, rendered asynchronously) have their height. */
  private async restoreScroll(y: number): Promise<void> {
    const pending = [...document.querySelectorAll('vscode-button')].map((b) => (b as unknown as { updateComplete?: Promise<unknown> }).updateComplete);
    await Promise.all(pending.map((p) => p?.catch(() => undefined)));
    window.scrollTo(0, y);
  }

  private toggle(group: string): void {
    const set = new Set(this.ui.collapsed);
    if (set.has(group)) {
      set.delete(group);
    } else {
      set.add(group);
    }
    this.saveUi({ collapsed: [...set] });
    this.render();
  }

  private saveUi(patch: Partial<UiState>): void {
    this.ui = { ...this.ui, ...patch };
    this.api.setState(this.ui);
  }

  private openZoom(ref: BotRef, from: HTMLElement | undefined): void {
    this.zoomReturnFocus = from;
    if (!this.zoom.isOpen) {
      this.saveUi({ scrollY: Math.round(window.scrollY) });
    }
    this.saveUi({ zoom: ref });
    setHidden(this.listEl, true);
    const last = this.lastFrames.get(botKey(ref));
    this.zoom.open(ref, this.model.tile(ref), last?.device);
    if (last) {
      void this.zoom.onFrame(last);
    }
    this.post({ type: 'zoom', bot: ref });
    window.scrollTo(0, 0);
  }

  private closeZoom(): void {
    if (!this.zoom.isOpen) {
      return;
    }
    const ref = this.zoom.bot;
    this.zoom.close();
    this.post({ type: 'zoom', bot: null });
    this.saveUi({ zoom: undefined });
    setHidden(this.listEl, false);
    void this.restoreScroll(this.ui.scrollY);
    const back = this.zoomReturnFocus?.isConnected ? this.zoomReturnFocus : ref ? this.tilesByKey.get(botKey(ref))?.button : undefined;
    back?.focus();
    this.zoomReturnFocus = undefined;
  }

  /** For tests and diagnostics. */
  debug(): { seq: number; zoom?: BotRef; visible: string[]; inputs: number } {
    return { seq: this.model.seq, zoom: this.zoom.bot, visible: [...this.visible], inputs: this.zoom.inputsSent };
  }
}

function outcomeOf(r: Reply | undefined): CommandOutcome {
  if (!r) {
    return { ok: false, message: 'the extension did not answer' };
  }
  if (r.type === 'result') {
    return r.ok ? { ok: true, message: r.message } : { ok: false, message: r.error.message };
  }
  return r.reply.op === 'error' ? { ok: false, message: r.reply.message } : { ok: true };
}
