/**
 * Sample statistics shared by the devices, the fleet metrics and the benchmarks: the one nearest-rank percentile, a
 * sample ring, and the latency window that gives every LatencySummary.
 */
import type { LatencySummary } from './fleetTypes';

/**
 * Nearest-rank percentile of an ascending-sorted array; `fraction` is in [0, 1] (clamped), so 0.5 is the median
 * (the lower one for an even count) and 0.95 the 95th percentile. Undefined for an empty array.
 */
export function percentile(sortedAsc: readonly number[], fraction: number): number | undefined {
  if (sortedAsc.length === 0) {
    return undefined;
  }
  const rank = Math.ceil(Math.min(1, Math.max(0, fraction)) * sortedAsc.length);
  return sortedAsc[Math.max(0, rank - 1)];
}

/** The last `capacity` numeric samples (a ring buffer); older ones are overwritten. */
export class SampleRing {
  private readonly samples: Float64Array;
  private next = 0;
  private count = 0;

  /** @throws RangeError when `capacity` is not a positive integer. */
  constructor(readonly capacity = 256) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    }
    this.samples = new Float64Array(capacity);
  }

  /** Adds one sample; negative or non-finite values are ignored (returns whether it was kept). */
  add(value: number): boolean {
    if (!Number.isFinite(value) || value < 0) {
      return false;
    }
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    return true;
  }

  /** Number of samples held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** The samples currently held, oldest first. */
  values(): number[] {
    const out: number[] = [];
    const start = this.count < this.capacity ? 0 : this.next;
    for (let i = 0; i < this.count; i++) {
      out.push(this.samples[(start + i) % this.capacity]);
    }
    return out;
  }

  /** The samples currently held, ascending. */
  sorted(): number[] {
    return this.values().sort((a, b) => a - b);
  }

  clear(): void {
    this.next = 0;
    this.count = 0;
  }
}

/** The last `capacity` latency samples (a ring buffer); `summary()` gives p50/p95 over them. */
export class LatencyWindow {
  private readonly ring: SampleRing;
  private total = 0;
  private lastValue: number | undefined;

  constructor(readonly capacity = 256) {
    this.ring = new SampleRing(capacity);
  }

  add(ms: number): void {
    if (this.ring.add(ms)) {
      this.total++;
      this.lastValue = ms;
    }
  }

  /** Samples ever added (not only those in the window). */
  get count(): number {
    return this.total;
  }

  summary(): LatencySummary {
    if (this.ring.size === 0) {
      return { count: 0 };
    }
    const sorted = this.ring.sorted();
    return { count: this.total, p50: round2(percentile(sorted, 0.5)!), p95: round2(percentile(sorted, 0.95)!), last: round2(this.lastValue!) };
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
