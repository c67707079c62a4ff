/**
 * One screenshot shared by every condition that looks at the screen, until something may have changed it: any
 * device action (tap, swipe, text, key, app start/stop, push) invalidates it, and it expires after a small max
 * age (a frame exactly `maxAgeMs` old is stale) so that polling loops (`waitFor`, `while: {image: ...}`) see new frames.
 */
import { isFrameValid, type CallOptions, type Device, type RawFrame } from '../device';
import type { Clock } from '../../shared/ports';

/** Default max age of a cached frame, ms. */
export const DEFAULT_FRAME_MAX_AGE_MS = 100;

export class FrameCache {
  private frame: RawFrame | undefined;
  private takenAt = 0;
  private generation = 0;
  private pending: { gen: number; promise: Promise<RawFrame> } | undefined;
  private _captures = 0;
  private _hits = 0;

  constructor(
    private readonly device: Device,
    private readonly clock: Clock,
    readonly maxAgeMs = DEFAULT_FRAME_MAX_AGE_MS,
  ) {}

  /** Screenshots taken so far. */
  get captures(): number {
    return this._captures;
  }

  /** Requests answered from the cache. */
  get hits(): number {
    return this._hits;
  }

  /** Age (ms) of the cached frame, or undefined when none is cached. */
  get age(): number | undefined {
    return this.frame ? this.clock.now() - this.takenAt : undefined;
  }

  /** The cached frame if it is still valid, without capturing. */
  peek(): RawFrame | undefined {
    if (this.frame && this.clock.now() - this.takenAt < this.maxAgeMs) {
      return this.frame;
    }
    return undefined;
  }

  /**
   * The last frame captured, whatever its age, while nothing changed the screen since (undefined after an
   * invalidation, or when the device recycled its memory): what the conditions last looked at.
   */
  latest(): RawFrame | undefined {
    return this.frame && isFrameValid(this.frame) ? this.frame : undefined;
  }

  /** A frame no older than `maxAgeMs` and taken after the last invalidation; captures when needed. */
  async get(opts?: CallOptions): Promise<RawFrame> {
    const cached = this.peek();
    if (cached) {
      this._hits++;
      return cached;
    }
    if (this.pending && this.pending.gen === this.generation) {
      this._hits++;
      return this.pending.promise;
    }
    return this.capture(opts);
  }

  /** Always captures a new frame (and caches it). */
  async fresh(opts?: CallOptions): Promise<RawFrame> {
    this.invalidate();
    return this.capture(opts);
  }

  /** Forgets the cached frame: the next `get` captures. */
  invalidate(): void {
    this.frame = undefined;
    this.generation++;
  }

  private async capture(opts?: CallOptions): Promise<RawFrame> {
    const gen = this.generation;
    const promise = this.device.screenshot(opts);
    this.pending = { gen, promise };
    try {
      const frame = await promise;
      this._captures++;
      if (gen === this.generation) {
        this.frame = frame;
        this.takenAt = this.clock.now();
      }
      return frame;
    } finally {
      if (this.pending?.promise === promise) {
        this.pending = undefined;
      }
    }
  }
}
