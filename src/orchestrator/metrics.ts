/** Small metric helpers of the fleet: latency windows with percentiles, and counters turned into rates. */
import type { LatencySummary } from '../shared/fleetTypes';
import { nearestRank, SampleRing } from '../shared/stats';

/** Nearest-rank percentile of an ascending-sorted array (`p` in 0..100); undefined when empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  return nearestRank(sorted, p / 100);
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
    return { count: this.total, p50: round2(percentile(sorted, 50)!), p95: round2(percentile(sorted, 95)!), last: round2(this.lastValue!) };
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Turns a growing counter into a rate between successive `sample` calls. */
export class RateMeter {
  private lastCount = 0;
  private lastTime: number | undefined;

  /** Events per second since the previous call (0 on the first call). `now` in ms. */
  sample(count: number, now: number): number {
    const prevTime = this.lastTime;
    const prevCount = this.lastCount;
    this.lastTime = now;
    this.lastCount = count;
    if (prevTime === undefined || now <= prevTime) {
      return 0;
    }
    return Math.round(((count - prevCount) / ((now - prevTime) / 1000)) * 100) / 100;
  }
}
