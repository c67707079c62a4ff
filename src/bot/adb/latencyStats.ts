/** Per-device latency samples in a fixed-size ring, summarised as p50/p95 for the monitor. */
import { nearestRank, SampleRing } from '../../shared/stats';

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

/** Keeps the last `capacity` samples in ms; older ones are overwritten; negative or non-finite values are ignored. */
export class LatencyRing extends SampleRing {
  summary(): LatencySummary {
    const sorted = this.sorted();
    return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), n: sorted.length };
  }
}

/** Nearest-rank percentile of an ascending array (0 for an empty one). `p` is in [0, 1]. */
export function percentile(sortedAsc: readonly number[], p: number): number {
  return nearestRank(sortedAsc, p) ?? 0;
}
