/**
 * Turns a template spec, its image size, a frame size and call overrides into what a worker executes: the search
 * region and the template sizes to try. Pure.
 *
 * A frame larger than the template's reference resolution (a 1080x1920 device for templates authored at 540x960)
 * is matched at the reference resolution: the worker shrinks the frame once (INTER_AREA) and matches the
 * templates at their authored size, which is about four times cheaper and loses nothing the template could see.
 * Results are mapped back to frame pixels.
 */
import type { Rect, Size } from '../../shared/geometry';
import { clampRect, scaleFactors, scaleRect } from './frame';
import type { MatchOverrides, ScaleRange, TemplateSpec } from './types';
import { VisionError } from './visionError';

/** One template size to try: pixels in the working image and the multi-scale factor it stands for. */
export interface MatchSize {
  w: number;
  h: number;
  scale: number;
}

export interface MatchPlan {
  /** Size the frame is matched at: the frame itself, or the frame shrunk towards the reference resolution. */
  work: Size;
  /** Search region in working-image pixels (inside the working image). */
  region: Rect;
  /** The same region in frame pixels. */
  frameRegion: Rect;
  /** Template sizes to try in working-image pixels, nominal (scale 1 or closest) first. */
  sizes: MatchSize[];
  threshold: number;
  all: boolean;
  maxCount: number;
  nmsIou: number;
  mode: 'gray' | 'color';
  mask: boolean;
}

/** The scales of a range, `min` to `max` inclusive by `step` (rounded to 1e-6); [1] without a range. */
export function scaleList(range?: ScaleRange): number[] {
  if (!range) {
    return [1];
  }
  const out: number[] = [];
  const n = Math.min(40, Math.floor((range.max - range.min) / range.step + 1e-9));
  for (let i = 0; i <= n; i++) {
    out.push(Math.round((range.min + i * range.step) * 1e6) / 1e6);
  }
  return out;
}

/**
 * The size a frame is matched at for a reference resolution: the frame itself when it is not larger than the
 * reference, else the frame shrunk (same aspect) until one side meets the reference.
 */
export function workingSize(reference: Size, frame: Size): Size {
  const { sx, sy } = scaleFactors(reference, frame);
  const down = Math.min(sx, sy);
  if (down <= 1.01) {
    return { width: frame.width, height: frame.height };
  }
  return { width: Math.max(1, Math.round(frame.width / down)), height: Math.max(1, Math.round(frame.height / down)) };
}

/** Builds the plan; throws VisionError `invalid-region` or `template-too-large`. */
export function planMatch(spec: TemplateSpec, image: Size, frame: Size, overrides: MatchOverrides = {}): MatchPlan {
  const ref = spec.referenceSize;
  const work = workingSize(ref, frame);
  const refRegion = overrides.region ?? spec.region;
  let frameRegion: Rect | undefined;
  let region: Rect | undefined;
  if (refRegion) {
    if (!(refRegion.w > 0 && refRegion.h > 0)) {
      throw new VisionError('invalid-region', `template '${spec.name}': region ${refRegion.x},${refRegion.y},${refRegion.w},${refRegion.h} is empty`);
    }
    frameRegion = clampRect(scaleRect(refRegion, ref, frame), frame);
    region = clampRect(scaleRect(refRegion, ref, work), work);
    if (!frameRegion || !region) {
      throw new VisionError(
        'invalid-region',
        `template '${spec.name}': region ${refRegion.x},${refRegion.y},${refRegion.w},${refRegion.h} (at ${ref.width}x${ref.height}) lies outside the ${frame.width}x${frame.height} frame`,
      );
    }
  } else {
    frameRegion = { x: 0, y: 0, w: frame.width, h: frame.height };
    region = { x: 0, y: 0, w: work.width, h: work.height };
  }
  const { sx, sy } = scaleFactors(ref, work);
  const scales = scaleList(spec.scales).sort((a, b) => Math.abs(a - 1) - Math.abs(b - 1) || a - b);
  const sizes: MatchSize[] = [];
  const seen = new Set<string>();
  for (const s of scales) {
    const w = Math.max(1, Math.round(image.width * sx * s));
    const h = Math.max(1, Math.round(image.height * sy * s));
    const k = `${w}x${h}`;
    if (w > region.w || h > region.h || seen.has(k)) {
      continue;
    }
    seen.add(k);
    sizes.push({ w, h, scale: s });
  }
  if (!sizes.length) {
    const f = scaleFactors(ref, frame);
    const w = Math.round(image.width * f.sx);
    const h = Math.round(image.height * f.sy);
    throw new VisionError(
      'template-too-large',
      `template '${spec.name}' (${w}x${h} on this ${frame.width}x${frame.height} frame) does not fit in the search region ${frameRegion.w}x${frameRegion.h}`,
    );
  }
  const threshold = overrides.threshold ?? spec.threshold;
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new VisionError('match-failed', `threshold ${threshold} is not between 0 and 1`);
  }
  return { work, region, frameRegion, sizes, threshold, all: overrides.all ?? false, maxCount: spec.maxCount, nmsIou: spec.nmsIou, mode: spec.mode, mask: spec.mask };
}

/** A box from working-image pixels to frame pixels. */
export function toFramePixels<T extends Rect>(box: T, work: Size, frame: Size): T {
  if (work.width === frame.width && work.height === frame.height) {
    return box;
  }
  const fx = frame.width / work.width;
  const fy = frame.height / work.height;
  const x = Math.round(box.x * fx);
  const y = Math.round(box.y * fy);
  return { ...box, x, y, w: Math.min(frame.width - x, Math.round(box.w * fx)), h: Math.min(frame.height - y, Math.round(box.h * fy)) };
}
