/**
 * The flight recorder: each bot's last N frames (compressed) with the events around each, in one memory-capped ring
 * for the whole fleet, plus each bot's latest RAW frame (retained) so the current frame can be saved losslessly.
 *
 * - Frames are recorded as JPEG through an injected encoder (the host passes sharp's, which runs in the threadpool).
 *   At most one encode is in flight per bot: a frame that arrives meanwhile waits, and a newer one replaces it.
 *   `minIntervalMs` thins the recording (the latest raw frame is updated on every capture regardless).
 * - Lossless copies: with an `encodePng` and `losslessFrames` > 0, each recorded frame is also encoded as PNG (in
 *   the same job, while the raw frame is retained), and the newest `losslessFrames` frames of each bot keep it, so
 *   a frame picked on the timeline can be saved with the exact pixels the bot saw. Raw frames are not kept for
 *   this: they live in the devices' recycled capture memory, and holding more of them would make the devices
 *   allocate (and V8 collect) a new 2-8 MB buffer per capture.
 * - The events of a bot are attached to the frame that was on screen when they happened (the newest recorded frame
 *   at that time; events before the first frame wait for it). A frame is marked `error` when an error happened
 *   around it; `step` is the step running when it was captured.
 * - Memory: the recorder counts the bytes it really holds (JPEG and PNG bytes, the retained raw frames, the events'
 *   JSON size). Over the cap, lossless copies go first (the oldest of the fleet first), then the OLDEST frame of the
 *   bot holding the MOST bytes, so a busy bot cannot push the others out. Each bot also keeps at most
 *   `framesPerBot` frames (0 turns recording off). Worst case held: the cap, plus one raw frame per bot when the
 *   cap is smaller than the raw frames alone (those are the devices' own capture buffers).
 *
 * Pure: no Node, no vscode. Readers (the monitor, the template capture view, the debugger's Screen view) use
 * `frames`, `frame`, `frameAt` and `latestRaw`.
 */
import { retainFrame, type RawFrame } from '../bot/device';
import type { InstanceKey } from '../shared/fleetTypes';
import type { Size } from '../shared/geometry';
import type { RecorderEvent } from '../shared/monitorProtocol';

export interface RecorderLimits {
  /** Frames kept per bot (0: nothing is recorded). */
  framesPerBot: number;
  /** Cap on the bytes held for the whole fleet. */
  memoryBytes: number;
  /** Least time between two recorded frames of a bot (ms; default 0: every capture). */
  minIntervalMs?: number;
  /** The newest recorded frames of each bot that keep a lossless copy (default 0; needs `encodePng`). */
  losslessFrames?: number;
}

export interface FlightRecorderOptions extends RecorderLimits {
  /** JPEG encoder (off the caller's thread). It must retain a leased frame while it reads it. */
  encodeJpeg: (frame: RawFrame) => Promise<Uint8Array>;
  /** Lossless encoder for the copies of the newest frames (off the caller's thread, same contract). */
  encodePng?: (frame: RawFrame) => Promise<Uint8Array>;
  /** Told about encode failures (the frame is dropped). */
  onError?: (error: unknown, bot: RecorderBotRef) => void;
}

export interface RecorderBotRef {
  group: string;
  instance: InstanceKey;
}

/** What a caller knows about a capture when it records it. */
export interface RecordFrameMeta {
  /** Per-bot frame sequence number (the `frame` of `bot.frame`). */
  frame: number;
  /** Capture wall time, epoch ms. */
  time: number;
}

export interface RecordedFrame {
  readonly frame: number;
  readonly time: number;
  /** The JPEG's size (the device's screen size: frames are recorded unscaled). */
  readonly width: number;
  readonly height: number;
  readonly device: Size;
  readonly jpeg: Uint8Array;
  /** The lossless copy (PNG), while the frame is among the bot's newest `losslessFrames`. */
  readonly png?: Uint8Array;
  /** The step running when it was captured. */
  readonly step?: string;
  /** True when an error happened around it. */
  readonly error: boolean;
  /** The events from this frame until the next one, oldest first. */
  readonly events: readonly RecorderEvent[];
}

/** A frame slot; `jpeg` is undefined while it is being encoded. */
interface Slot {
  frame: number;
  time: number;
  width: number;
  height: number;
  step?: string;
  error: boolean;
  events: RecorderEvent[];
  eventBytes: number;
  jpeg?: Uint8Array;
  png?: Uint8Array;
}

interface Pending {
  frame: RawFrame;
  meta: RecordFrameMeta;
  release: () => void;
}

interface BotRecord {
  ref: RecorderBotRef;
  /** Oldest first; the last slot may still be encoding. */
  slots: Slot[];
  /** Events before the first frame. */
  early: RecorderEvent[];
  earlyBytes: number;
  /** Bytes of the encoded frames and the events. */
  bytes: number;
  step?: string;
  lastRecordedTime: number;
  encoding: boolean;
  pending?: Pending;
  raw?: { frame: RawFrame; meta: RecordFrameMeta; release: () => void };
  /** Generation: bumped when the bot is forgotten, so late encodes are dropped. */
  gen: number;
}

/** Fixed overhead counted per event and per frame (objects, arrays). */
const EVENT_OVERHEAD = 64;
const SLOT_OVERHEAD = 128;
const MAX_EARLY_EVENTS = 200;

/**
 * The label of the step running when a frame is captured: the step and its line, so consecutive steps of one kind
 * (a chain of ifs) stay apart. The debugger's Screen history shows it for launched and attached bots alike.
 */
export function stepLabel(e: { step: string; range?: { start: { line: number } } }): string {
  return e.range ? `${e.step} · line ${e.range.start.line}` : e.step;
}

export function recorderKey(group: string, instance: InstanceKey): string {
  return `${group}\u0000${instance}`;
}

function eventBytes(e: RecorderEvent): number {
  try {
    return JSON.stringify(e).length + EVENT_OVERHEAD;
  } catch {
    return EVENT_OVERHEAD;
  }
}

function isErrorEvent(e: RecorderEvent): boolean {
  if (e.kind === 'state') {
    return e.state === 'failed';
  }
  if (e.kind === 'routine') {
    const r = e.event;
    return r.type === 'error' || r.type === 'stuck' || (r.type === 'step.end' && !r.ok) || (r.type === 'routine.end' && !r.ok);
  }
  return false;
}

export class FlightRecorder {
  private readonly bots = new Map<string, BotRecord>();
  private limits: Required<RecorderLimits>;
  private disposed = false;
  private heldBytes = 0;
  private losslessOnly: Set<string> | undefined;

  constructor(private readonly opts: FlightRecorderOptions) {
    this.limits = normalLimits(opts);
  }

  /** The limits in force. */
  get capacity(): Readonly<Required<RecorderLimits>> {
    return this.limits;
  }

  /** True when recorded frames get lossless copies (an encoder and `losslessFrames` > 0). */
  get keepsLossless(): boolean {
    return this.opts.encodePng !== undefined && this.limits.losslessFrames > 0;
  }

  /**
   * Makes lossless copies of the frames recorded from now on only for these bots (undefined: every bot, the
   * default). A PNG per recorded frame costs CPU all the time, so the monitor asks for them only for the bot it
   * zooms (the one whose timeline you save frames from); copies already made stay.
   */
  setLosslessBots(bots: readonly RecorderBotRef[] | undefined): void {
    this.losslessOnly = bots && new Set(bots.map((r) => recorderKey(r.group, r.instance)));
  }

  /** True when the frames recorded now for this bot get a lossless copy. */
  losslessFor(ref: RecorderBotRef): boolean {
    return this.keepsLossless && (this.losslessOnly === undefined || this.losslessOnly.has(recorderKey(ref.group, ref.instance)));
  }

  /** Changes the limits (a setting changed); frames and copies over them go at once, the rate applies next frame. */
  setLimits(limits: RecorderLimits): void {
    this.limits = normalLimits(limits);
    for (const b of this.bots.values()) {
      this.trimBot(b);
      this.trimLossless(b);
    }
    this.enforceCap();
  }

  /** The bytes the recorder holds now: encoded frames, events and the retained raw frames. */
  bytesHeld(): number {
    return this.heldBytes;
  }

  /** The bots it holds anything for. */
  botRefs(): RecorderBotRef[] {
    return [...this.bots.values()].map((b) => ({ ...b.ref }));
  }

  /**
   * Records a capture of a bot. The raw frame becomes the bot's latest (retained until a newer one replaces it);
   * its JPEG is recorded unless the bot was recorded less than `minIntervalMs` ago. Never throws: a recycled frame
   * or a failed encode is dropped (and reported to `onError`).
   */
  recordFrame(bot: RecorderBotRef, frame: RawFrame, meta: RecordFrameMeta): void {
    if (this.disposed) {
      return;
    }
    const b = this.bot(bot);
    let release: () => void;
    try {
      release = retainFrame(frame);
    } catch (e) {
      this.opts.onError?.(e, bot);
      return;
    }
    if (b.raw) {
      this.heldBytes -= b.raw.frame.data.byteLength;
      b.raw.release();
    }
    b.raw = { frame, meta, release };
    this.heldBytes += frame.data.byteLength;
    if (this.limits.framesPerBot === 0 || meta.time - b.lastRecordedTime < this.limits.minIntervalMs) {
      this.enforceCap();
      return;
    }
    b.lastRecordedTime = meta.time;
    const slot: Slot = { frame: meta.frame, time: meta.time, width: frame.width, height: frame.height, error: false, events: [], eventBytes: 0 };
    if (b.step !== undefined) {
      slot.step = b.step;
    }
    if (b.slots.length === 0 && b.early.length > 0) {
      slot.events = b.early;
      slot.eventBytes = b.earlyBytes;
      slot.error = b.early.some(isErrorEvent);
      b.early = [];
      b.earlyBytes = 0;
    }
    b.slots.push(slot);
    this.addBytes(b, SLOT_OVERHEAD + slot.eventBytes);
    const pendingRelease = retainOrNull(frame);
    if (pendingRelease === undefined) {
      this.dropSlot(b, slot);
      return;
    }
    const p: Pending = { frame, meta, release: pendingRelease };
    if (b.encoding) {
      // A newer frame replaces the one waiting: its slot goes too.
      if (b.pending) {
        const old = b.pending;
        old.release();
        const oldSlot = b.slots.find((s) => s.frame === old.meta.frame && s.jpeg === undefined);
        if (oldSlot) {
          this.dropSlot(b, oldSlot);
        }
      }
      b.pending = p;
    } else {
      this.encode(b, p);
    }
    this.trimBot(b);
    this.enforceCap();
  }

  /** Records an event of a bot: it goes with the frame on screen when it happened. */
  recordEvent(bot: RecorderBotRef, event: RecorderEvent): void {
    if (this.disposed) {
      return;
    }
    const b = this.bot(bot);
    if (event.kind === 'routine') {
      const r = event.event;
      if (r.type === 'step.start') {
        b.step = stepLabel(r);
      } else if (r.type === 'routine.end' && r.depth === 0) {
        delete b.step;
      }
    }
    const size = eventBytes(event);
    const slot = b.slots[b.slots.length - 1];
    if (slot === undefined) {
      b.early.push(event);
      b.earlyBytes += size;
      this.addBytes(b, size);
      while (b.early.length > MAX_EARLY_EVENTS) {
        const dropped = b.early.shift();
        if (dropped) {
          const s = eventBytes(dropped);
          b.earlyBytes -= s;
          this.addBytes(b, -s);
        }
      }
    } else {
      slot.events.push(event);
      slot.eventBytes += size;
      slot.error ||= isErrorEvent(event);
      this.addBytes(b, size);
    }
    this.enforceCap();
  }

  /** The recorded (encoded) frames of a bot, oldest first. */
  frames(group: string, instance: InstanceKey): RecordedFrame[] {
    const b = this.bots.get(recorderKey(group, instance));
    return b ? b.slots.filter((s) => s.jpeg !== undefined).map((s) => toRecorded(s)) : [];
  }

  /**
   * One recorded frame by its per-bot frame number. A bot numbers its frames again at each run of its group while
   * the earlier run's frames stay recorded: the newest frame of that number is the one, unless `time` (its capture
   * time) names another.
   */
  frame(group: string, instance: InstanceKey, frame: number, time?: number): RecordedFrame | undefined {
    const slots = this.bots.get(recorderKey(group, instance))?.slots ?? [];
    const s = slots.findLast((x) => x.frame === frame && x.jpeg !== undefined && (time === undefined || x.time === time));
    return s ? toRecorded(s) : undefined;
  }

  /** The frame the bot saw at `time` (epoch ms): the newest recorded frame captured at or before it. */
  frameAt(group: string, instance: InstanceKey, time: number): RecordedFrame | undefined {
    const slots = this.bots.get(recorderKey(group, instance))?.slots ?? [];
    for (let i = slots.length - 1; i >= 0; i--) {
      const s = slots[i];
      if (s !== undefined && s.jpeg !== undefined && s.time <= time) {
        return toRecorded(s);
      }
    }
    return undefined;
  }

  /**
   * The bot's latest raw capture (lossless), retained by the recorder until a newer capture replaces it. A caller
   * that keeps it past the current turn (an encode, a save) retains it itself (`retainFrame`).
   */
  latestRaw(group: string, instance: InstanceKey): { frame: RawFrame; meta: RecordFrameMeta } | undefined {
    const r = this.bots.get(recorderKey(group, instance))?.raw;
    return r ? { frame: r.frame, meta: { ...r.meta } } : undefined;
  }

  /** Drops everything held for a bot (its group was removed). */
  forget(group: string, instance: InstanceKey): void {
    const key = recorderKey(group, instance);
    const b = this.bots.get(key);
    if (!b) {
      return;
    }
    this.clearBot(b);
    this.bots.delete(key);
  }

  /** Drops everything held for a group's bots. */
  forgetGroup(group: string): void {
    for (const b of [...this.bots.values()]) {
      if (b.ref.group === group) {
        this.forget(group, b.ref.instance);
      }
    }
  }

  /** Drops everything held (a new fleet); the recorder goes on recording. */
  clear(): void {
    for (const b of this.bots.values()) {
      this.clearBot(b);
    }
    this.bots.clear();
    this.heldBytes = 0;
  }

  dispose(): void {
    this.disposed = true;
    for (const b of this.bots.values()) {
      this.clearBot(b);
    }
    this.bots.clear();
    this.heldBytes = 0;
  }

  private bot(ref: RecorderBotRef): BotRecord {
    const key = recorderKey(ref.group, ref.instance);
    let b = this.bots.get(key);
    if (!b) {
      b = { ref: { group: ref.group, instance: ref.instance }, slots: [], early: [], earlyBytes: 0, bytes: 0, lastRecordedTime: -Infinity, encoding: false, gen: 0 };
      this.bots.set(key, b);
    }
    return b;
  }

  private clearBot(b: BotRecord): void {
    b.gen++;
    b.pending?.release();
    delete b.pending;
    if (b.raw) {
      this.heldBytes -= b.raw.frame.data.byteLength;
      b.raw.release();
      delete b.raw;
    }
    this.heldBytes -= b.bytes;
    b.bytes = 0;
    b.slots = [];
    b.early = [];
    b.earlyBytes = 0;
  }

  private addBytes(b: BotRecord, n: number): void {
    b.bytes += n;
    this.heldBytes += n;
  }

  private encode(b: BotRecord, p: Pending): void {
    b.encoding = true;
    const gen = b.gen;
    const done = (jpeg: Uint8Array | undefined, error?: unknown, png?: Uint8Array): void => {
      p.release();
      if (this.disposed || b.gen !== gen) {
        return;
      }
      b.encoding = false;
      const slot = b.slots.find((s) => s.frame === p.meta.frame && s.jpeg === undefined);
      if (slot) {
        if (jpeg) {
          slot.jpeg = jpeg;
          this.addBytes(b, jpeg.byteLength);
          if (png && this.keepsLossless) {
            slot.png = png;
            this.addBytes(b, png.byteLength);
            this.trimLossless(b);
          }
        } else {
          this.opts.onError?.(error, b.ref);
          this.dropSlot(b, slot);
        }
      }
      const next = b.pending;
      delete b.pending;
      if (next) {
        this.encode(b, next);
      }
      this.enforceCap();
    };
    const encodePng = this.losslessFor(b.ref) ? this.opts.encodePng : undefined;
    const jpegJob = call(() => this.opts.encodeJpeg(p.frame));
    // A failed lossless copy leaves the JPEG (the frame is still recorded).
    const pngJob = encodePng ? call(() => encodePng(p.frame)).catch(() => undefined) : Promise.resolve(undefined);
    Promise.all([jpegJob, pngJob]).then(
      ([jpeg, png]) => done(jpeg, undefined, png),
      (e: unknown) => done(undefined, e),
    );
  }

  /** Removes a slot; its events move to the previous frame (or wait for the first). */
  private dropSlot(b: BotRecord, slot: Slot): void {
    const i = b.slots.indexOf(slot);
    if (i < 0) {
      return;
    }
    b.slots.splice(i, 1);
    this.addBytes(b, -(SLOT_OVERHEAD + (slot.jpeg?.byteLength ?? 0) + (slot.png?.byteLength ?? 0)));
    const prev = i > 0 ? b.slots[i - 1] : undefined;
    if (prev) {
      prev.events.push(...slot.events);
      prev.eventBytes += slot.eventBytes;
      prev.error ||= slot.error;
    } else {
      const next = b.slots[i];
      if (next) {
        next.events.unshift(...slot.events);
        next.eventBytes += slot.eventBytes;
        next.error ||= slot.error;
      } else {
        b.early.unshift(...slot.events);
        b.earlyBytes += slot.eventBytes;
      }
    }
  }

  /** Evicts the oldest slot of a bot with its events. */
  private evictOldest(b: BotRecord): void {
    const slot = b.slots.shift();
    if (slot) {
      this.addBytes(b, -(SLOT_OVERHEAD + slot.eventBytes + (slot.jpeg?.byteLength ?? 0) + (slot.png?.byteLength ?? 0)));
    }
  }

  /** Drops a frame's lossless copy. */
  private dropPng(b: BotRecord, slot: Slot): void {
    if (slot.png) {
      this.addBytes(b, -slot.png.byteLength);
      delete slot.png;
    }
  }

  /** Only the bot's newest `losslessFrames` frames keep their lossless copy. */
  private trimLossless(b: BotRecord): void {
    const keep = this.keepsLossless ? this.limits.losslessFrames : 0;
    let kept = 0;
    for (let i = b.slots.length - 1; i >= 0; i--) {
      const s = b.slots[i];
      if (s?.png === undefined) {
        continue;
      }
      if (kept < keep) {
        kept++;
      } else {
        this.dropPng(b, s);
      }
    }
  }

  /** The oldest lossless copy of the fleet (over the cap, these go before any frame). */
  private oldestPng(): { b: BotRecord; slot: Slot } | undefined {
    let best: { b: BotRecord; slot: Slot } | undefined;
    for (const b of this.bots.values()) {
      const slot = b.slots.find((s) => s.png !== undefined);
      if (slot && (best === undefined || slot.time < best.slot.time)) {
        best = { b, slot };
      }
    }
    return best;
  }

  private trimBot(b: BotRecord): void {
    while (b.slots.length > this.limits.framesPerBot) {
      this.evictOldest(b);
    }
  }

  /** Over the cap: the oldest frame of the bot holding the most bytes goes, until under it or nothing is left. */
  private enforceCap(): void {
    while (this.heldBytes > this.limits.memoryBytes) {
      const copy = this.oldestPng();
      if (copy) {
        this.dropPng(copy.b, copy.slot);
        continue;
      }
      let victim: BotRecord | undefined;
      for (const b of this.bots.values()) {
        const oldest = b.slots[0];
        // Never evict a slot still being encoded while it is the only one (its encode will add bytes again).
        if (oldest === undefined || (oldest.jpeg === undefined && b.slots.length === 1)) {
          continue;
        }
        if (victim === undefined || b.bytes > victim.bytes || (b.bytes === victim.bytes && oldest.time < (victim.slots[0]?.time ?? Infinity))) {
          victim = b;
        }
      }
      if (!victim) {
        return;
      }
      this.evictOldest(victim);
    }
  }
}

function normalLimits(l: RecorderLimits): Required<RecorderLimits> {
  const n = (v: number | undefined): number => (v !== undefined && !Number.isNaN(v) ? Math.max(0, v) : 0);
  return { framesPerBot: Math.floor(n(l.framesPerBot)), memoryBytes: n(l.memoryBytes), minIntervalMs: n(l.minIntervalMs), losslessFrames: Math.floor(n(l.losslessFrames)) };
}

function call(f: () => Promise<Uint8Array>): Promise<Uint8Array> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

function retainOrNull(frame: RawFrame): (() => void) | undefined {
  try {
    return retainFrame(frame);
  } catch {
    return undefined;
  }
}

function toRecorded(s: Slot): RecordedFrame {
  const out: RecordedFrame = {
    frame: s.frame,
    time: s.time,
    width: s.width,
    height: s.height,
    device: { width: s.width, height: s.height },
    jpeg: s.jpeg ?? new Uint8Array(0),
    error: s.error,
    events: s.events.slice(),
    ...(s.png !== undefined ? { png: s.png } : {}),
    ...(s.step !== undefined ? { step: s.step } : {}),
  };
  return out;
}
