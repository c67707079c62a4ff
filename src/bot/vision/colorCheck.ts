/** Colour checks: a pixel, or the mean colour of an area, compared with a tolerance. Runs in the caller (cheap). */
import type { Rect } from '../../shared/geometry';
import type { RawFrame } from '../device';
import { clampRect, scaleRect, validateFrame } from './frame';
import { TEMPLATE_DEFAULTS } from './templateSchema';
import type { ColorResult, ColorSpec } from './types';
import { VisionError } from './visionError';

/** `#rrggbb` to [r, g, b]; throws VisionError `invalid-color`. */
export function parseHexColor(s: string): [number, number, number] {
  const m = /^#?([0-9a-fA-F]{6})$/.exec(s.trim());
  if (!m) {
    throw new VisionError('invalid-color', `'${s}' is not a colour: expected #rrggbb`);
  }
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** [r, g, b] (0-255, rounded) to `#rrggbb`. */
export function toHexColor(rgb: readonly number[]): string {
  return `#${rgb
    .slice(0, 3)
    .map((v) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0'))
    .join('')}`;
}

/** Mean RGB of a frame area (frame pixels; must be inside the frame). */
export function meanColor(frame: Pick<RawFrame, 'width' | 'data'>, r: Rect): [number, number, number] {
  let sr = 0;
  let sg = 0;
  let sb = 0;
  for (let y = r.y; y < r.y + r.h; y++) {
    let i = (y * frame.width + r.x) * 4;
    for (let x = 0; x < r.w; x++, i += 4) {
      sr += frame.data[i];
      sg += frame.data[i + 1];
      sb += frame.data[i + 2];
    }
  }
  const n = r.w * r.h;
  return [sr / n, sg / n, sb / n];
}

/**
 * Compares the colour at a point (or the mean of an area) with `spec.color`: ok when every channel is within
 * `spec.tolerance`. `at` is at `spec.referenceSize` (default 540x960) and is scaled to the frame.
 */
export function checkColor(frame: RawFrame, spec: ColorSpec): ColorResult {
  validateFrame(frame);
  const want = parseHexColor(spec.color);
  const ref = spec.referenceSize ?? TEMPLATE_DEFAULTS.referenceSize;
  const area: Rect = 'w' in spec.at ? { x: spec.at.x, y: spec.at.y, w: spec.at.w, h: spec.at.h } : { x: spec.at.x, y: spec.at.y, w: 1, h: 1 };
  let scaled = scaleRect(area, ref, frame);
  if (!('w' in spec.at)) {
    // A point stays a single pixel: the one under the scaled point.
    scaled = { x: Math.floor((spec.at.x + 0.5) * (frame.width / ref.width)), y: Math.floor((spec.at.y + 0.5) * (frame.height / ref.height)), w: 1, h: 1 };
  }
  const inside = clampRect(scaled, frame);
  if (!inside) {
    throw new VisionError('invalid-region', `colour check at ${area.x},${area.y} is outside the ${frame.width}x${frame.height} frame`);
  }
  const actual = meanColor(frame, inside);
  const distance = Math.max(...actual.map((v, i) => Math.abs(Math.round(v) - want[i])));
  return { ok: distance <= spec.tolerance, actual: toHexColor(actual), distance };
}
