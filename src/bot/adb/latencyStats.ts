/** Per-device latency samples in a fixed-size ring, summarised as p50/p95 for the monitor. */

export interface LatencySummary {
  /** Median in ms (0 when there are no samples). */
  p50: number;
  /** 95th percentile in ms (nearest rank; 0 when there are no samples). */
  p95: number;
  /** Number of samples the summary is computed over (at most the ring's capacity). */
  n: number;
}

export interface DeviceStats {
  capture: LatencySummary;
  input: LatencySummary;
}

/** Keeps the last `capacity` samples; older ones are overwritten. */
export class LatencyRing {
  private readonly samples: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly capacity = 256) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    }
    this.samples = new Float64Array(capacity);
  }

  /** Adds one sample in ms; negative or non-finite values are ignored. */
  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      return;
    }
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

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

  summary(): LatencySummary {
    const sorted = this.values().sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), n: sorted.length };
  }

  clear(): void {
    this.next = 0;
    this.count = 0;
  }
}

/** Nearest-rank percentile of an ascending array (0 for an empty one). `p` is in [0, 1]. */
export function percentile(sortedAsc: readonly number[], p: number): number {
  if (sortedAsc.length === 0) {
    return 0;
  }
  const rank = Math.ceil(Math.min(1, Math.max(0, p)) * sortedAsc.length);
  return sortedAsc[Math.max(0, rank - 1)];
}
