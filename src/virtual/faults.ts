/**
 * Fault injection for the virtual device: dropped connections (optionally refusing new ones for a while), stalls,
 * a corrupt next frame, slow frames and an app crash. Set programmatically or through `vdev fault ...`.
 */
import { Emitter, type Event } from '../shared/lifecycle';

export type FrameCorruption = 'truncate' | 'garble';

export interface FaultSnapshot {
  /** Milliseconds left during which new connections are refused (0 = accepting). */
  refusingMs: number;
  /** Milliseconds left of the current stall (0 = answering). */
  stalledMs: number;
  /** Corruption waiting for the next screencap. */
  corruptNextFrame?: FrameCorruption;
  /** Delay added to every screencap. */
  slowFramesMs: number;
}

export class Faults {
  private refuseUntil = 0;
  private stallUntil = 0;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  private corruption: FrameCorruption | undefined;
  private slowMs = 0;

  private readonly _onDidDropConnections = new Emitter<{ refuseMs: number }>();
  /** Every transport (adbd connections, host-endpoint sessions) must close its connections to the device. */
  readonly onDidDropConnections: Event<{ refuseMs: number }> = this._onDidDropConnections.event;
  private readonly _onDidChangeStall = new Emitter<{ stalled: boolean }>();
  /** A stall started or ended. */
  readonly onDidChangeStall: Event<{ stalled: boolean }> = this._onDidChangeStall.event;

  constructor(
    private readonly onCrash: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Drops every connection now; with `refuseMs`, new connections are refused for that long. */
  drop(opts: { refuseMs?: number } = {}): void {
    const refuseMs = Math.max(0, opts.refuseMs ?? 0);
    this.refuseUntil = refuseMs > 0 ? this.now() + refuseMs : 0;
    this._onDidDropConnections.fire({ refuseMs });
  }

  /** Stops answering (no replies, no data, no new handshakes) for `ms`. */
  stall(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0 || ms > 2_147_483_647) {
      throw new RangeError(`stall expects a duration in ms from 0 to 2147483647, got ${ms}`);
    }
    if (this.stallTimer) {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
    }
    if (ms <= 0) {
      this.endStall();
      return;
    }
    const wasStalled = this.isStalled();
    this.stallUntil = this.now() + ms;
    this.stallTimer = setTimeout(() => this.endStall(), ms);
    this.stallTimer.unref?.();
    if (!wasStalled) {
      this._onDidChangeStall.fire({ stalled: true });
    }
  }

  /** The next screencap (raw or PNG) is truncated or has garbled bytes. */
  corruptNextFrame(mode: FrameCorruption = 'truncate'): void {
    this.corruption = mode;
  }

  /** Every screencap waits `ms` before answering (0 = normal speed). */
  slowFrames(ms: number): void {
    this.slowMs = Math.max(0, ms);
  }

  /** The app crashes to the launcher. */
  crash(): void {
    this.onCrash();
  }

  /** Ends every fault now. */
  clear(): void {
    this.refuseUntil = 0;
    this.corruption = undefined;
    this.slowMs = 0;
    this.stall(0);
  }

  isRefusing(): boolean {
    return this.refuseUntil > 0 && this.now() < this.refuseUntil;
  }

  isStalled(): boolean {
    return this.stallUntil > 0;
  }

  get slowFramesMs(): number {
    return this.slowMs;
  }

  /** Returns and clears the pending frame corruption. */
  takeFrameCorruption(): FrameCorruption | undefined {
    const c = this.corruption;
    this.corruption = undefined;
    return c;
  }

  snapshot(): FaultSnapshot {
    const now = this.now();
    return {
      refusingMs: this.isRefusing() ? Math.ceil(this.refuseUntil - now) : 0,
      stalledMs: this.isStalled() ? Math.max(0, Math.ceil(this.stallUntil - now)) : 0,
      corruptNextFrame: this.corruption,
      slowFramesMs: this.slowMs,
    };
  }

  dispose(): void {
    if (this.stallTimer) {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
    }
    this.stallUntil = 0;
    this._onDidDropConnections.dispose();
    this._onDidChangeStall.dispose();
  }

  private endStall(): void {
    if (this.stallUntil > 0) {
      this.stallUntil = 0;
      this._onDidChangeStall.fire({ stalled: false });
    }
  }
}

/** Applies a corruption to a frame's bytes without touching the original (which may be cached). */
export function corruptBytes(parts: readonly Buffer[], mode: FrameCorruption): Buffer[] {
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (mode === 'truncate') {
    let keep = Math.floor(total / 2);
    const out: Buffer[] = [];
    for (const p of parts) {
      if (keep <= 0) {
        break;
      }
      out.push(p.length <= keep ? p : p.subarray(0, keep));
      keep -= p.length;
    }
    return out;
  }
  // garble: a copy with runs of 64 inverted bytes, one in the middle of every eighth of the data. A raw frame keeps
  // its header (a plausible frame with wrong pixels); a PNG fails its chunk CRCs.
  const copy = Buffer.concat(parts as Buffer[], total);
  const step = Math.max(1, Math.floor(total / 8));
  for (let at = Math.floor(step / 2); at < total; at += step) {
    const end = Math.min(total, at + 64);
    for (let i = at; i < end; i++) {
      copy[i] = ~copy[i] & 0xff;
    }
  }
  return [copy];
}
