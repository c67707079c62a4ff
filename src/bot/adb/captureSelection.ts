/**
 * Choosing the capture method at connect: both methods are measured (interleaved, after a warm-up each) and the
 * faster median wins (PNG must win by a margin, see {@link PNG_MARGIN}). A method that fails is out; when both
 * fail, connecting fails with the raw method's error.
 */
import type { CaptureMethod } from '../device';
import { percentile } from '../../shared/stats';

export type CaptureMethodSetting = 'auto' | CaptureMethod;

export interface CaptureProbe {
  method: CaptureMethod;
  /** Milliseconds of each measured capture (warm-up excluded). */
  samples: number[];
  /** Median of `samples` (Infinity when it failed). */
  medianMs: number;
  /** Set when the method failed; then it was not picked. */
  error?: Error;
}

export interface CaptureSelection {
  method: CaptureMethod;
  /** How the choice was made: measured, forced by the option, or the only method that worked. */
  reason: 'measured' | 'forced' | 'only-working';
  probes: CaptureProbe[];
}

/**
 * How much faster PNG must measure to be picked over raw. Raw frames cost us no decoding, so PNG's extra CPU
 * (shared with every other bot) is only worth it when it is clearly faster, not within measurement noise.
 */
export const PNG_MARGIN = 0.15;

/** Picks the faster working method from probe results. @throws the first probe's error when none worked. */
export function pickCaptureMethod(probes: readonly CaptureProbe[], pngMargin = PNG_MARGIN): CaptureSelection {
  const working = probes.filter((p) => !p.error && p.samples.length > 0);
  if (working.length === 0) {
    throw probes.find((p) => p.error)?.error ?? new Error('no capture method was measured');
  }
  let best = working.reduce((a, b) => (b.medianMs < a.medianMs ? b : a));
  const raw = working.find((p) => p.method === 'raw');
  if (raw && best !== raw && best.medianMs > raw.medianMs * (1 - pngMargin)) {
    best = raw;
  }
  return { method: best.method, reason: working.length === probes.length ? 'measured' : 'only-working', probes: [...probes] };
}

/**
 * Measures the given methods: one warm-up capture each, then `rounds` interleaved captures (raw, png, raw, png...)
 * so that run-order effects hit both alike. `capture` returns nothing; its duration is measured with `now`.
 */
export async function probeCaptureMethods(
  methods: readonly CaptureMethod[],
  rounds: number,
  now: () => number,
  capture: (method: CaptureMethod) => Promise<unknown>,
): Promise<CaptureProbe[]> {
  const probes = methods.map<CaptureProbe>((method) => ({ method, samples: [], medianMs: Infinity }));
  for (const p of probes) {
    try {
      await capture(p.method);
    } catch (e) {
      p.error = e instanceof Error ? e : new Error(String(e));
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const p of probes) {
      if (p.error) {
        continue;
      }
      const t0 = now();
      try {
        await capture(p.method);
        p.samples.push(now() - t0);
      } catch (e) {
        p.error = e instanceof Error ? e : new Error(String(e));
      }
    }
  }
  for (const p of probes) {
    p.medianMs = p.error ? Infinity : (percentile([...p.samples].sort((a, b) => a - b), 0.5) ?? Infinity);
  }
  return probes;
}
