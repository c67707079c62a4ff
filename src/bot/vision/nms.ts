/** Intersection over union and greedy non-maximum suppression of match boxes. Pure. */
import type { Match } from './types';

type Box = Pick<Match, 'x' | 'y' | 'w' | 'h'>;

/** Intersection over union of two boxes (0 when they do not overlap). */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  if (inter === 0) {
    return 0;
  }
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/**
 * Greedy non-maximum suppression: best score first, a candidate overlapping a kept match by more than `maxIou`
 * is dropped; at most `maxCount` are kept.
 */
export function nonMaxSuppression<T extends Match>(candidates: readonly T[], maxIou: number, maxCount: number): T[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score || a.y - b.y || a.x - b.x);
  const kept: T[] = [];
  for (const c of sorted) {
    if (kept.length >= maxCount) {
      break;
    }
    if (kept.every((k) => iou(k, c) <= maxIou)) {
      kept.push(c);
    }
  }
  return kept;
}
