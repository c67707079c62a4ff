/**
 * A bot's views of its device: the measured device (times every capture and input, and taps every capture for the
 * bot's latest frame), the switchable device the routine runner holds (it follows the instance across restarts), and
 * the frame tap that gives viewers the bot's latest frame, or a fresh one shared with a capture in flight.
 *
 * A tile costs no extra capture: the tap keeps the frame of the routine's last capture (retained per the FrameLease
 * contract: see device.ts) and every viewer reads that one; `requestFrame` captures only when the latest is older
 * than the caller accepts and no capture is under way, and concurrent callers share that one capture.
 */
import { DeviceError, retainFrame, type Device, type RawFrame } from './device';
import { FleetError } from '../shared/errors';
import type { InstanceKey, LatencySummary } from '../shared/fleetTypes';
import type { Clock } from '../shared/ports';

/** Collects latency samples and summarizes them (the orchestrator passes a windowed percentile tracker). */
export interface LatencyTracker {
  add(ms: number): void;
  summary(): LatencySummary;
}

const INPUT_METHODS = new Set(['tap', 'longPress', 'swipe', 'text', 'key']);

/** What a capture of the measured device tells its tap. */
export interface CaptureObserver {
  /** A capture started (called synchronously when screenshot() is called). */
  started(): void;
  /** It finished with `frame` after `ms`. */
  captured(frame: RawFrame, ms: number): void;
  /** It failed. */
  failed(): void;
}

/** A view of `device` that times captures and inputs into the given windows, and reports captures to `observer`. */
export function measuredDevice(device: Device, clock: Clock, capture: LatencyTracker, input: LatencyTracker, observer?: CaptureObserver): Device {
  return new Proxy(device, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') {
        return v;
      }
      const fn = v as (...args: unknown[]) => unknown;
      if (prop === 'screenshot') {
        return async (...args: unknown[]) => {
          observer?.started();
          const t0 = clock.now();
          let frame: RawFrame;
          try {
            frame = (await fn.apply(target, args)) as RawFrame;
          } catch (e) {
            observer?.failed();
            throw e;
          }
          const ms = clock.now() - t0;
          capture.add(ms);
          observer?.captured(frame, ms);
          return frame;
        };
      }
      if (typeof prop === 'string' && INPUT_METHODS.has(prop)) {
        return async (...args: unknown[]) => {
          const t0 = clock.now();
          const r = await fn.apply(target, args);
          input.add(clock.now() - t0);
          return r;
        };
      }
      return fn.bind(target);
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The switchable device
// ---------------------------------------------------------------------------------------------------------------

/** What the switchable device reads from its bot. */
export interface SwitchableDeviceHost {
  readonly instance: InstanceKey;
  /** The (measured) device open now; undefined between an instance restart and the reopen. */
  current(): Device | undefined;
  /** The last device opened (its `serial` and `captureMethod` answer while none is open). */
  lastOpened(): Device | undefined;
  /** Open while the instance restarts: device calls wait for it. */
  gate(): Promise<void> | undefined;
  serial(): string | undefined;
}

/** The AbortSignal of a device call's options (its last object argument with a `signal`), if any. */
function signalOf(args: readonly unknown[]): AbortSignal | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const a = args[i];
    if (a && typeof a === 'object' && 'signal' in a) {
      const s = (a as { signal?: unknown }).signal;
      return s instanceof AbortSignal ? s : undefined;
    }
  }
  return undefined;
}

/** Waits for `p`, or rejects with `error()` when `signal` aborts first. */
function waitUnlessAborted(p: Promise<void>, signal: AbortSignal | undefined, error: () => Error): Promise<void> {
  if (!signal) {
    return p;
  }
  if (signal.aborted) {
    return Promise.reject(error());
  }
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(error());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * The runner's device: waits while the instance restarts, then forwards to the device open now (see
 * instanceRestart.ts). Without an open device its calls fail with `offline`.
 */
export function switchableDevice(host: SwitchableDeviceHost): Device {
  const offline = () => new DeviceError('offline', `instance ${host.instance} has no open device`, host.serial());
  return new Proxy({} as Device, {
    get: (_target, prop) => {
      const ref = host.current() ?? host.lastOpened();
      const v: unknown = ref ? Reflect.get(ref, prop) : undefined;
      if (typeof v !== 'function') {
        return v;
      }
      return async (...args: unknown[]) => {
        const gate = host.gate();
        if (gate && prop !== 'close') {
          await waitUnlessAborted(gate, signalOf(args), () => new DeviceError('aborted', `the call was aborted while instance ${host.instance} restarted`, host.serial()));
        }
        const cur = host.current();
        if (!cur) {
          throw offline();
        }
        const fn: unknown = Reflect.get(cur, prop);
        if (typeof fn !== 'function') {
          throw offline();
        }
        return (fn as (...a: unknown[]) => unknown).apply(cur, args);
      };
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The frame tap
// ---------------------------------------------------------------------------------------------------------------

/** A frame of a bot handed to a viewer. */
export interface BotFrame {
  /** Per-bot frame number: the `frame` of the capture's `bot.frame` event. */
  readonly frame: number;
  /** The pixels; they stay valid until `release()` (the viewer's own retain of the frame's memory). */
  readonly raw: RawFrame;
  readonly width: number;
  readonly height: number;
  /** Wall time the capture finished, epoch ms. */
  readonly time: number;
  /** Clock time (ms) the capture finished: the frame's age is `clock.now() - at`. */
  readonly at: number;
  /** How long the capture took. */
  readonly captureMs: number;
  /** Gives the pixels back; idempotent. Every BotFrame handed out must be released (in a `finally`). */
  release(): void;
}

export type FrameRequestErrorCode = 'no-device' | 'ended' | 'aborted' | 'unknown-bot';

/**
 * What a frame request failed on. `no-device`: the bot has no device open now; `ended`: the bot ended; `aborted`:
 * the caller's signal; `unknown-bot`: (orchestrator pass-through) no such group or bot.
 */
export class FrameRequestError extends FleetError<FrameRequestErrorCode> {
  constructor(code: FrameRequestErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'FrameRequestError';
  }
}

export interface FrameRequestOptions {
  /** The latest frame is good enough when it is at most this old (ms). Default 0: a fresh capture (or one under way). */
  maxAgeMs?: number;
  /** Gives up waiting (the shared capture goes on for the others). */
  signal?: AbortSignal;
}

/** Capture metadata, as the bot publishes it in `bot.frame`. */
export interface TappedFrameInfo {
  frame: number;
  width: number;
  height: number;
  captureMs: number;
  /** Wall time, epoch ms. */
  time: number;
}

/** Captures a frame request tries (joined or its own) before it gives up with the last error. */
const MAX_FRAME_ATTEMPTS = 3;

interface Tapped {
  frame: number;
  raw: RawFrame;
  time: number;
  at: number;
  captureMs: number;
  /** The tap's own retain of the pixels. */
  release: () => void;
}

export interface FrameTapOptions {
  clock: Clock;
  /** Every capture that was kept (the bot publishes `bot.frame`). */
  onFrame: (info: TappedFrameInfo) => void;
  /** Starts a capture of the device open now (through the measured device, so the tap sees it); undefined when none is open. */
  capture: () => Promise<RawFrame> | undefined;
}

/**
 * Keeps a bot's latest frame (retained; released when a newer one replaces it or the tap closes) and serves viewers.
 * It is the measured device's capture observer.
 */
export class FrameTap implements CaptureObserver {
  private latest: Tapped | undefined;
  private seq = 0;
  private inFlight = 0;
  private waiters: Array<(t: Tapped | undefined) => void> = [];
  private closed = false;

  constructor(private readonly o: FrameTapOptions) {}

  /** Captures seen so far (kept ones). */
  get frames(): number {
    return this.seq;
  }

  /** True while a capture of the device is under way. */
  get capturing(): boolean {
    return this.inFlight > 0;
  }

  started(): void {
    this.inFlight++;
  }

  captured(raw: RawFrame, ms: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.closed) {
      this.wake(undefined);
      return;
    }
    let release: () => void;
    try {
      release = retainFrame(raw);
    } catch {
      // Recycled already (a consumer held on to nothing and the device moved on): nothing to keep.
      this.wakeIfIdle();
      return;
    }
    const prev = this.latest;
    const t: Tapped = { frame: ++this.seq, raw, time: this.o.clock.wallNow().getTime(), at: this.o.clock.now(), captureMs: ms, release };
    this.latest = t;
    prev?.release();
    try {
      this.o.onFrame({ frame: t.frame, width: raw.width, height: raw.height, captureMs: Math.round(ms * 100) / 100, time: t.time });
    } finally {
      this.wake(t);
    }
  }

  failed(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.wakeIfIdle();
  }

  /** The latest frame, retained for the caller (who releases it), or undefined before the first capture. */
  latestFrame(): BotFrame | undefined {
    return this.latest ? this.handOut(this.latest) : undefined;
  }

  /**
   * The latest frame when it is at most `maxAgeMs` old; else the frame of the capture under way (the routine's or
   * another viewer's); else one capture, shared by every caller that comes meanwhile. Retained for the caller.
   * @throws FrameRequestError `no-device` (nothing open to capture from), `ended`, `aborted`; or the capture's error.
   */
  async requestFrame(opts: FrameRequestOptions = {}): Promise<BotFrame> {
    const maxAge = Math.max(0, opts.maxAgeMs ?? 0);
    const signal = opts.signal;
    let lastError: unknown;
    // A capture that fails is tried again (joined or own) a few times before its error is the answer.
    for (let attempt = 0; attempt < MAX_FRAME_ATTEMPTS; attempt++) {
      if (signal?.aborted) {
        throw new FrameRequestError('aborted', 'the frame request was aborted');
      }
      if (this.closed) {
        throw new FrameRequestError('ended', 'the bot has ended: it captures no more frames');
      }
      const l = this.latest;
      if (l && this.o.clock.now() - l.at <= maxAge) {
        return this.handOut(l);
      }
      let own: Promise<unknown> = Promise.resolve();
      if (this.inFlight === 0) {
        // Nothing under way: capture now. The measured device counts it as in flight at once, so callers that come
        // meanwhile join it instead of capturing again.
        const capture = this.o.capture();
        if (!capture) {
          throw new FrameRequestError('no-device', 'the bot has no device open to capture from');
        }
        own = capture.catch((e: unknown) => {
          lastError = e;
        });
      }
      const [t] = await Promise.all([this.next(signal), own]);
      if (t) {
        return this.handOut(t);
      }
    }
    if (this.closed) {
      throw new FrameRequestError('ended', 'the bot has ended: it captures no more frames');
    }
    throw lastError instanceof Error ? lastError : new FrameRequestError('no-device', 'the device gave no frame');
  }

  /** Releases the latest frame; later requests fail with `ended`. Idempotent. */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    const l = this.latest;
    this.latest = undefined;
    l?.release();
    this.wake(undefined);
  }

  private handOut(t: Tapped): BotFrame {
    // The tap holds t's pixels, so they cannot have been recycled: this retain succeeds.
    const release = retainFrame(t.raw);
    return Object.freeze({ frame: t.frame, raw: t.raw, width: t.raw.width, height: t.raw.height, time: t.time, at: t.at, captureMs: t.captureMs, release });
  }

  /** The next capture's frame (undefined when it failed, or the tap closed). */
  private next(signal: AbortSignal | undefined): Promise<Tapped | undefined> {
    return new Promise<Tapped | undefined>((resolve, reject) => {
      const done = (t: Tapped | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(t);
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new FrameRequestError('aborted', 'the frame request was aborted'));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(done);
    });
  }

  private wake(t: Tapped | undefined): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) {
      f(t);
    }
  }

  private wakeIfIdle(): void {
    if (this.inFlight === 0) {
      this.wake(undefined);
    }
  }
}
