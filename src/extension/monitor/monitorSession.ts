/**
 * The monitor's host side, one per panel: the typed message loop with the webview (no vscode import: the panel
 * passes `post` and the ports; tests pass a fake webview).
 *
 * - Every inbound message goes through `parseFromMonitor`; a reject is logged with its reason and nothing else
 *   happens. Each request (`command`, `takeover`, `recorder`) gets exactly one reply.
 * - `ready` / `requestSnapshot`: a `snapshot` (with the fleet's session id), then the events with a greater `seq`,
 *   coalesced into one `events` message per tick (`batchMs`). Nothing is posted while the panel is hidden; on
 *   becoming visible again a fresh snapshot goes first.
 * - Frames: only for the bots whose tiles are on screen (`setVisibleTiles`) and the zoomed bot, from the bots' own
 *   captures (`bot.frame` + `latestFrame`), JPEG-encoded off the thread, at most one unacknowledged frame per bot
 *   (a newer capture replaces an unsent one), tiles at `thumbnailFps`, the zoomed bot at every capture (and fresher
 *   ones through `requestFrame` while the view keeps up). The current step's matches ride along when the view
 *   lacks them (the first frame of a bot after a snapshot).
 * - Takeover: refused unless the bot is paused; coordinates clamped to the device; recorded as user input.
 */
import type { Disposable } from '../../shared/lifecycle';
import type { Logger } from '../../shared/ports';
import type { FlightRecorder } from '../../orchestrator/recorder';
import { botKey, parseFromMonitor, type BotRef, type FrameMatch, type FromMonitor, type MonitorCommand, type RecorderReply, type RecorderRequest, type TakeoverInput, type ToMonitor } from '../../shared/monitorProtocol';
import type { FleetSnapshot, FleetEvent } from '../../shared/fleetTypes';
import type { Size } from '../../shared/geometry';
import { realTimers, type JpegEncoder, type MonitorFleetPort, type MonitorFrame, type MonitorResult, type MonitorSavePort, type MonitorUiPort, type TimerPort } from './monitorPorts';

/** The command id of the create-group wizard (registered by the tree's commands). */
export const CREATE_GROUP_COMMAND = 'emulatorFleet.group.create';

export interface MonitorSessionOptions {
  /** Posts to the webview (VS Code's `webview.postMessage`). */
  post: (msg: ToMonitor) => PromiseLike<boolean>;
  logger: Logger;
  ui: MonitorUiPort;
  encodeJpeg: JpegEncoder;
  recorder?: FlightRecorder;
  save?: MonitorSavePort;
  /** Frames per second per visible tile (default 4). */
  thumbnailFps?: () => number;
  /** Event coalescing window (ms, default 60). */
  batchMs?: number;
  /** How long an unacknowledged frame blocks its bot (ms, default 3000): the view may have dropped it silently. */
  ackTimeoutMs?: number;
  timers?: TimerPort;
  /** Thumbnail bounds (device pixels are scaled down to fit). */
  thumbnail?: { maxWidth: number; maxHeight: number; quality: number };
  zoomQuality?: number;
  /** Visible at start (the panel's state). */
  visible?: boolean;
}

interface TileState {
  ref: BotRef;
  visible: boolean;
  zoomed: boolean;
  /** The posted, unacknowledged frame. */
  inFlight?: { frame: number; since: number };
  /** Encoding or posting now. */
  busy: boolean;
  /** A capture newer than the last sent one exists. */
  dirty: boolean;
  lastSentFrame: number;
  lastSentAt: number;
  timer?: unknown;
  fetching: boolean;
}

interface BotTrack {
  /** The current step's matches (from `bot.routine`). */
  matches: FrameMatch[];
  device?: Size;
  state?: string;
}

const MAX_MATCHES = 32;
const DEFAULT_THUMBNAIL = { maxWidth: 320, maxHeight: 400, quality: 70 };

function errorResult(inReplyTo: string, code: string, message: string): ToMonitor {
  return { type: 'result', inReplyTo, ok: false, error: { code, message } };
}

/** The user dismissed a prompt (the commands' CancelledByUser; matched by name: that module imports vscode). */
function isCancelled(e: unknown): boolean {
  return e instanceof Error && e.name === 'CancelledByUser';
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The bytes as a plain Uint8Array of their own: a Node Buffer (what sharp gives) is not transferred to a webview as
 * a typed array (the view rejects it), and a view on a larger (pooled) buffer would carry all of it.
 */
export function plainBytes(b: Uint8Array): Uint8Array {
  if (Object.getPrototypeOf(b) === Uint8Array.prototype && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) {
    return b;
  }
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out;
}

/** A routine `var` event whose value is undefined: the protocol needs a value (JSON has no undefined). */
function postable(e: FleetEvent): FleetEvent {
  if (e.type === 'bot.routine' && e.event.type === 'var' && e.event.value === undefined) {
    return { ...e, event: { ...e.event, value: null } };
  }
  return e;
}

function clamp(v: number, max: number): number {
  return Math.min(Math.max(0, Math.round(v)), Math.max(0, max - 1));
}

/** Takeover input clamped to a device of `size` (unchanged when the size is unknown). */
export function clampInput(input: TakeoverInput, size: Size | undefined): TakeoverInput {
  if (!size) {
    return input;
  }
  switch (input.kind) {
    case 'tap':
      return { kind: 'tap', x: clamp(input.x, size.width), y: clamp(input.y, size.height) };
    case 'swipe':
      return {
        kind: 'swipe',
        from: { x: clamp(input.from.x, size.width), y: clamp(input.from.y, size.height) },
        to: { x: clamp(input.to.x, size.width), y: clamp(input.to.y, size.height) },
        durationMs: input.durationMs,
      };
    default:
      return input;
  }
}

export class MonitorSession implements Disposable {
  private fleet: MonitorFleetPort | undefined;
  private fleetSub: Disposable | undefined;
  private ready = false;
  private visible: boolean;
  /** The seq of the last snapshot or event posted. */
  private sentSeq = -1;
  private batch: FleetEvent[] = [];
  private batchTimer: unknown;
  private snapshotWanted = false;
  private readonly tiles = new Map<string, TileState>();
  private readonly bots = new Map<string, BotTrack>();
  /** Bots whose matches went with a frame since the last snapshot. */
  private readonly matchesSent = new Set<string>();
  private zoomKey: string | undefined;
  private disposed = false;
  private readonly timers: TimerPort;
  private readonly log: Logger;
  /** Counters (tests and the bench read them). */
  readonly stats = { rejected: 0, framesPosted: 0, eventsPosted: 0, batches: 0, snapshots: 0 };

  constructor(private readonly o: MonitorSessionOptions) {
    this.timers = o.timers ?? realTimers;
    this.visible = o.visible ?? true;
    this.log = o.logger.child('monitor');
  }

  /** The fleet it shows (a new one after a rebuild: a new session id; undefined while there is none). */
  setFleet(fleet: MonitorFleetPort | undefined): void {
    if (fleet === this.fleet) {
      return;
    }
    this.fleetSub?.dispose();
    this.fleetSub = undefined;
    this.fleet = fleet;
    this.batch = [];
    this.bots.clear();
    for (const t of this.tiles.values()) {
      this.clearTile(t);
      t.lastSentFrame = 0;
    }
    if (fleet) {
      this.fleetSub = fleet.onEvent((e) => this.onFleetEvent(e));
    }
    if (this.ready) {
      this.postSnapshot(undefined);
    }
  }

  /** The panel became visible or hidden. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) {
      return;
    }
    this.visible = visible;
    if (!visible) {
      for (const t of this.tiles.values()) {
        this.clearTile(t);
      }
      return;
    }
    if (this.ready && (this.snapshotWanted || this.batch.length > 0)) {
      this.postSnapshot(undefined);
    }
    for (const t of this.tiles.values()) {
      t.dirty = true;
      this.pump(t);
    }
  }

  /** One inbound message from the webview. Never throws. */
  receive(raw: unknown): void {
    if (this.disposed) {
      return;
    }
    const parsed = parseFromMonitor(raw);
    if (!parsed.ok) {
      this.stats.rejected++;
      this.log.log('warn', `ignored a message from the monitor view: ${parsed.reason}`);
      return;
    }
    try {
      this.handle(parsed.msg);
    } catch (e) {
      this.log.log('error', `the monitor failed on a '${parsed.msg.type}' message: ${messageOf(e)}`);
    }
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.o.recorder?.setLosslessBots([]);
    this.fleetSub?.dispose();
    if (this.batchTimer !== undefined) {
      this.timers.clear(this.batchTimer);
    }
    for (const t of this.tiles.values()) {
      this.clearTile(t);
    }
    this.tiles.clear();
  }

  // ---- inbound ----

  private handle(msg: FromMonitor): void {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.postSnapshot(msg.id);
        return;
      case 'requestSnapshot':
        this.postSnapshot(msg.id);
        return;
      case 'command':
        this.reply(msg.id, () => this.command(msg.id, msg.command));
        return;
      case 'setVisibleTiles':
        this.setVisibleTiles(msg.bots);
        return;
      case 'zoom':
        this.setZoom(msg.bot);
        return;
      case 'frameAck':
        this.frameAck(msg.bot, msg.frame);
        return;
      case 'takeover':
        this.reply(msg.id, () => this.takeover(msg.id, msg.bot, msg.input));
        return;
      case 'recorder':
        this.reply(msg.id, async () => ({ type: 'recorder', inReplyTo: msg.id, reply: await this.recorderRequest(msg.request) }));
        return;
      case 'log':
        this.log.log(msg.level, `monitor view: ${msg.message}`);
        return;
    }
  }

  /** Runs a request and posts its one reply (an error result when it throws). */
  private reply(id: string, f: () => Promise<ToMonitor>): void {
    let p: Promise<ToMonitor>;
    try {
      p = f();
    } catch (e) {
      p = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    void p
      .catch((e: unknown): ToMonitor => {
        this.log.log('error', `monitor request failed: ${messageOf(e)}`);
        return errorResult(id, 'failed', messageOf(e));
      })
      .then((m) => this.post(m, true));
  }

  private noFleet(id: string): ToMonitor {
    return errorResult(id, 'no-fleet', 'the fleet is not running in this window (open a folder with groups/ and routines/)');
  }

  private async command(id: string, c: MonitorCommand): Promise<ToMonitor> {
    const fleet = this.fleet;
    const done = (r: MonitorResult): ToMonitor => (r.ok ? { type: 'result', inReplyTo: id, ok: true, ...(r.message !== undefined ? { message: r.message } : {}) } : { type: 'result', inReplyTo: id, ok: false, error: r.error });
    switch (c.kind) {
      case 'createGroup':
        await this.o.ui.executeCommand(CREATE_GROUP_COMMAND);
        return { type: 'result', inReplyTo: id, ok: true };
      case 'openRoutine':
        return this.openRoutine(id, c);
      case 'group': {
        if (!fleet) {
          return this.noFleet(id);
        }
        if (c.action === 'edit') {
          const def = fleet.snapshot().definitions.find((d) => d.name === c.group);
          if (!def) {
            return errorResult(id, 'unknown-group', `there is no group '${c.group}'`);
          }
          await this.o.ui.openFile(def.file);
          return { type: 'result', inReplyTo: id, ok: true };
        }
        if (c.action === 'delete') {
          const ok = await this.o.ui.confirm(`Delete the group '${c.group}'?`, 'Its definition file is deleted. Running bots are not affected: stop the group first.', 'Delete');
          if (!ok) {
            return errorResult(id, 'cancelled', 'the deletion was cancelled');
          }
          return done(await fleet.deleteGroup(c.group));
        }
        return done(await fleet.groupCommand(c.action, c.group));
      }
      case 'bot':
        if (!fleet) {
          return this.noFleet(id);
        }
        return done(await fleet.botCommand(c.action, c.bot));
    }
  }

  private async openRoutine(id: string, c: Extract<MonitorCommand, { kind: 'openRoutine' }>): Promise<ToMonitor> {
    const routines = this.fleet?.snapshot().routines ?? [];
    if (c.location) {
      const loc = c.location;
      const r = routines.find((x) => x.file === loc.file);
      if (!r) {
        return errorResult(id, 'unknown-file', `'${loc.file}' is not a routine file of this fleet`);
      }
      await this.o.ui.openFile(r.file, loc.line, loc.col);
      return { type: 'result', inReplyTo: id, ok: true };
    }
    const r = routines.find((x) => x.name === c.routine);
    if (!r) {
      return errorResult(id, 'unknown-routine', `there is no routine '${c.routine ?? ''}'`);
    }
    await this.o.ui.openFile(r.file);
    return { type: 'result', inReplyTo: id, ok: true };
  }

  private async takeover(id: string, bot: BotRef, input: TakeoverInput): Promise<ToMonitor> {
    const fleet = this.fleet;
    if (!fleet) {
      return this.noFleet(id);
    }
    const snap = fleet.snapshot().groups.find((g) => g.name === bot.group)?.bots.find((b) => b.instance === bot.instance);
    if (!snap) {
      return errorResult(id, 'unknown-bot', `group '${bot.group}' has no bot on instance ${bot.instance}`);
    }
    if (snap.state !== 'paused') {
      return errorResult(id, 'not-paused', `bot ${bot.instance} of '${bot.group}' is ${snap.state}: pause it to take over its screen`);
    }
    const clamped = clampInput(input, this.bots.get(botKey(bot))?.device);
    const r = await fleet.botInput(bot, clamped);
    if (r.ok) {
      this.o.recorder?.recordEvent(bot, { kind: 'input', time: Date.now(), by: 'user', input: clamped });
      return { type: 'result', inReplyTo: id, ok: true, ...(r.message !== undefined ? { message: r.message } : {}) };
    }
    return { type: 'result', inReplyTo: id, ok: false, error: r.error };
  }

  private async recorderRequest(req: RecorderRequest): Promise<RecorderReply> {
    const rec = this.o.recorder;
    if (!rec) {
      return { op: 'error', code: 'no-recorder', message: 'the flight recorder is off' };
    }
    const { group, instance } = req.bot;
    switch (req.op) {
      case 'list':
        return {
          op: 'list',
          bot: req.bot,
          capacity: rec.capacity.framesPerBot,
          frames: rec.frames(group, instance).map((f) => ({ frame: f.frame, time: f.time, ...(f.step !== undefined ? { step: f.step } : {}), ...(f.error ? { error: true } : {}), ...(f.png ? { lossless: true } : {}) })),
        };
      case 'frame': {
        const f = rec.frame(group, instance, req.frame);
        if (!f) {
          return { op: 'error', code: 'no-frame', message: `frame ${req.frame} of bot ${instance} is no longer recorded` };
        }
        return { op: 'frame', bot: req.bot, events: f.events.map((e) => (e.kind === 'routine' && e.event.type === 'var' && e.event.value === undefined ? { ...e, event: { ...e.event, value: null } } : e)), frame: f.frame, time: f.time, width: f.width, height: f.height, device: f.device, mime: 'image/jpeg', data: plainBytes(f.jpeg) };
      }
      case 'saveFrame':
      case 'saveBugReport': {
        const save = this.o.save;
        if (!save) {
          return { op: 'error', code: 'no-folder', message: 'saving needs a fleet folder' };
        }
        try {
          if (req.op === 'saveFrame') {
            const f = await save.saveFrame(req.bot, req.frame);
            return { op: 'saved', kind: 'frame', path: f.path, lossless: f.lossless, ...(f.note !== undefined ? { note: f.note } : {}) };
          }
          return { op: 'saved', kind: 'bugReport', path: await save.saveBugReport(req.bot, req.askFolder ? { askFolder: true } : {}) };
        } catch (e) {
          if (isCancelled(e)) {
            return { op: 'error', code: 'cancelled', message: 'no folder was chosen: nothing was written' };
          }
          return { op: 'error', code: 'save-failed', message: messageOf(e) };
        }
      }
    }
  }

  // ---- snapshot and events ----

  private postSnapshot(inReplyTo: string | undefined): void {
    const fleet = this.fleet;
    if (!this.visible) {
      this.snapshotWanted = true;
      if (inReplyTo === undefined) {
        return;
      }
    }
    this.snapshotWanted = false;
    let snapshot: FleetSnapshot;
    if (fleet) {
      snapshot = fleet.snapshot();
    } else {
      snapshot = { seq: 0, time: Date.now(), definitions: [], groups: [], devices: [], pools: [], routines: [], templates: [] };
    }
    this.sentSeq = snapshot.seq;
    // Events up to the snapshot are in it.
    this.batch = this.batch.filter((e) => e.seq > snapshot.seq);
    this.matchesSent.clear();
    this.stats.snapshots++;
    this.post({ type: 'snapshot', ...(inReplyTo !== undefined ? { inReplyTo } : {}), ...(fleet ? { session: fleet.sessionId } : {}), snapshot });
    if (this.batch.length > 0) {
      this.scheduleBatch();
    }
  }

  private onFleetEvent(e: FleetEvent): void {
    this.track(e);
    if (!this.ready) {
      return;
    }
    if (e.seq <= this.sentSeq) {
      return;
    }
    if (!this.visible) {
      // A snapshot goes when the panel shows again.
      this.snapshotWanted = true;
      return;
    }
    this.batch.push(e);
    this.scheduleBatch();
  }

  private scheduleBatch(): void {
    if (this.batchTimer !== undefined) {
      return;
    }
    this.batchTimer = this.timers.set(() => {
      this.batchTimer = undefined;
      this.flush();
    }, this.o.batchMs ?? 60);
  }

  private flush(): void {
    if (this.disposed || !this.visible || this.batch.length === 0) {
      return;
    }
    const events = this.batch.filter((e) => e.seq > this.sentSeq);
    this.batch = [];
    if (events.length === 0) {
      return;
    }
    this.sentSeq = events[events.length - 1]?.seq ?? this.sentSeq;
    this.stats.batches++;
    this.stats.eventsPosted += events.length;
    this.post({ type: 'events', events: events.map(postable) });
  }

  /** Keeps what the frames need from the events: device sizes, the current step's matches, new captures. */
  private track(e: FleetEvent): void {
    if (e.type === 'bot.frame') {
      const key = botKey(e);
      this.botTrack(key).device = { width: e.width, height: e.height };
      const t = this.tiles.get(key);
      if (t) {
        t.dirty = true;
        this.pump(t);
      }
    } else if (e.type === 'bot.routine') {
      const key = botKey(e);
      const r = e.event;
      if (r.type === 'step.start') {
        this.botTrack(key).matches = [];
      } else if (r.type === 'match') {
        const m = this.botTrack(key).matches;
        m.push({ template: r.template, box: r.box, score: r.score, found: r.found, threshold: r.threshold });
        if (m.length > MAX_MATCHES) {
          m.shift();
        }
      }
    } else if (e.type === 'group.state' && (e.state === 'stopped' || e.state === 'failed')) {
      for (const [k, t] of this.tiles) {
        if (t.ref.group === e.group) {
          this.clearTile(t);
          this.bots.delete(k);
        }
      }
    }
  }

  private botTrack(key: string): BotTrack {
    let b = this.bots.get(key);
    if (!b) {
      b = { matches: [] };
      this.bots.set(key, b);
    }
    return b;
  }

  // ---- frames ----

  private setVisibleTiles(bots: BotRef[]): void {
    const keep = new Set<string>();
    for (const ref of bots) {
      const key = botKey(ref);
      keep.add(key);
      const t = this.tile(ref);
      if (!t.visible) {
        t.visible = true;
        t.dirty = true;
        this.pump(t);
      }
    }
    for (const [key, t] of this.tiles) {
      if (!keep.has(key) && t.visible) {
        t.visible = false;
        this.maybeDrop(key, t);
      }
    }
  }

  private setZoom(bot: BotRef | null): void {
    const key = bot ? botKey(bot) : undefined;
    if (key === this.zoomKey) {
      return;
    }
    if (this.zoomKey !== undefined) {
      const old = this.tiles.get(this.zoomKey);
      if (old) {
        old.zoomed = false;
        this.maybeDrop(this.zoomKey, old);
      }
    }
    this.zoomKey = key;
    // Lossless copies of recorded frames cost a PNG each: only the zoomed bot's (its timeline saves frames).
    this.o.recorder?.setLosslessBots(bot ? [bot] : []);
    if (bot) {
      const t = this.tile(bot);
      t.zoomed = true;
      // The zoom view wants a full-size frame now, even when the tile had a thumbnail of the same capture.
      t.lastSentFrame = 0;
      t.dirty = true;
      this.pump(t);
    }
  }

  private frameAck(bot: BotRef, frame: number): void {
    const t = this.tiles.get(botKey(bot));
    if (!t?.inFlight || t.inFlight.frame !== frame) {
      return;
    }
    delete t.inFlight;
    // The timer waited for this ack (or its timeout): the next frame may go now, or at the tile's rate.
    if (t.timer !== undefined) {
      this.timers.clear(t.timer);
      delete t.timer;
    }
    this.pump(t);
  }

  private tile(ref: BotRef): TileState {
    const key = botKey(ref);
    let t = this.tiles.get(key);
    if (!t) {
      t = { ref: { group: ref.group, instance: ref.instance }, visible: false, zoomed: false, busy: false, dirty: false, lastSentFrame: 0, lastSentAt: -Infinity, fetching: false };
      this.tiles.set(key, t);
    }
    return t;
  }

  private maybeDrop(key: string, t: TileState): void {
    if (!t.visible && !t.zoomed) {
      this.clearTile(t);
      this.tiles.delete(key);
    }
  }

  private clearTile(t: TileState): void {
    if (t.timer !== undefined) {
      this.timers.clear(t.timer);
      delete t.timer;
    }
    delete t.inFlight;
  }

  /** Sends the tile's next frame when everything allows it. */
  private pump(t: TileState): void {
    const fleet = this.fleet;
    if (this.disposed || !fleet || !this.ready || !this.visible || (!t.visible && !t.zoomed) || t.busy || t.timer !== undefined) {
      return;
    }
    const now = this.timers.now();
    if (t.inFlight) {
      const left = t.inFlight.since + (this.o.ackTimeoutMs ?? 3000) - now;
      if (left > 0) {
        this.wake(t, left);
        return;
      }
      this.log.log('debug', `frame ${t.inFlight.frame} of ${t.ref.group}/${t.ref.instance} was never acknowledged`);
      delete t.inFlight;
    }
    if (!t.dirty) {
      if (t.zoomed) {
        this.fetchFresh(t, fleet);
      }
      return;
    }
    const interval = t.zoomed ? 0 : 1000 / Math.max(0.1, this.o.thumbnailFps?.() ?? 4);
    const wait = t.lastSentAt + interval - now;
    if (wait > 0) {
      this.wake(t, wait);
      return;
    }
    t.dirty = false;
    let frame: MonitorFrame | undefined;
    try {
      frame = fleet.latestFrame(t.ref);
    } catch (e) {
      this.log.log('debug', `no frame for ${t.ref.group}/${t.ref.instance}: ${messageOf(e)}`);
    }
    if (!frame) {
      // No capture yet (a bot waiting or starting): the zoom asks for one.
      if (t.zoomed) {
        this.fetchFresh(t, fleet);
      }
      return;
    }
    if (frame.frame <= t.lastSentFrame) {
      frame.release();
      if (t.zoomed) {
        this.fetchFresh(t, fleet);
      }
      return;
    }
    t.busy = true;
    void this.sendFrame(t, frame).finally(() => {
      t.busy = false;
      this.pump(t);
    });
  }

  private wake(t: TileState, ms: number): void {
    t.timer = this.timers.set(() => {
      delete t.timer;
      this.pump(t);
    }, Math.max(1, Math.ceil(ms)));
  }

  /** The zoomed bot's view is current: ask for a fresher capture (joins one under way). */
  private fetchFresh(t: TileState, fleet: MonitorFleetPort): void {
    if (t.fetching) {
      return;
    }
    t.fetching = true;
    fleet.requestFrame(t.ref, { maxAgeMs: 0 }).then(
      (f) => {
        t.fetching = false;
        const fresh = f.frame > t.lastSentFrame;
        f.release();
        if (fresh) {
          t.dirty = true;
          this.pump(t);
        } else if (t.zoomed) {
          this.wake(t, 30);
        }
      },
      (e: unknown) => {
        t.fetching = false;
        this.log.log('debug', `no fresh frame for ${t.ref.group}/${t.ref.instance}: ${messageOf(e)}`);
        if (t.zoomed) {
          // The bot has no device now (starting, ended): look again later.
          this.wake(t, 500);
        }
      },
    );
  }

  private async sendFrame(t: TileState, f: MonitorFrame): Promise<void> {
    const key = botKey(t.ref);
    const zoomed = t.zoomed;
    const thumb = this.o.thumbnail ?? DEFAULT_THUMBNAIL;
    let data: Uint8Array;
    let size: Size;
    try {
      const opts = zoomed ? { quality: this.o.zoomQuality ?? 80 } : { quality: thumb.quality, maxWidth: thumb.maxWidth, maxHeight: thumb.maxHeight };
      data = plainBytes(await this.o.encodeJpeg(f.raw, opts));
      const k = zoomed ? 1 : Math.min(1, thumb.maxWidth / f.width, thumb.maxHeight / f.height);
      size = { width: Math.max(1, Math.round(f.width * k)), height: Math.max(1, Math.round(f.height * k)) };
    } catch (e) {
      this.log.log('debug', `encoding frame ${f.frame} of ${t.ref.group}/${t.ref.instance} failed: ${messageOf(e)}`);
      return;
    } finally {
      f.release();
    }
    if (this.disposed || !this.visible || (!t.visible && !t.zoomed)) {
      return;
    }
    const track = this.botTrack(key);
    track.device = { width: f.width, height: f.height };
    const withMatches = !this.matchesSent.has(key);
    if (withMatches) {
      this.matchesSent.add(key);
    }
    t.inFlight = { frame: f.frame, since: this.timers.now() };
    t.lastSentFrame = f.frame;
    t.lastSentAt = this.timers.now();
    this.stats.framesPosted++;
    this.post({
      type: 'frame',
      group: t.ref.group,
      instance: t.ref.instance,
      frame: f.frame,
      time: f.time,
      width: size.width,
      height: size.height,
      device: { width: f.width, height: f.height },
      mime: 'image/jpeg',
      data,
      ...(withMatches ? { matches: track.matches.slice() } : {}),
    });
  }

  private post(msg: ToMonitor, always = false): void {
    if (this.disposed || (!always && !this.visible)) {
      return;
    }
    let p: PromiseLike<boolean>;
    try {
      p = this.o.post(msg);
    } catch (e) {
      this.log.log('warn', `posting to the monitor view failed: ${messageOf(e)}`);
      return;
    }
    Promise.resolve(p).catch((e: unknown) => this.log.log('warn', `posting to the monitor view failed: ${messageOf(e)}`));
  }
}
