/**
 * What "Capture Template" suggests for a new template (pure): a search region (the crop grown by a margin and
 * clamped to the frame), a threshold from the scores (midway between the best false match and the true match,
 * clamped), the frame with the true occurrence blanked out (to find the best false match), and the name check of
 * the registry.
 */
import type { Rect, Size } from '../../shared/geometry';

export const THRESHOLD_MIN = 0.7;
export const THRESHOLD_MAX = 0.98;
/** The region margin: this fraction of the crop's side, at least {@link REGION_MIN_MARGIN} px. */
export const REGION_MARGIN_RATIO = 0.5;
export const REGION_MIN_MARGIN = 24;

/** The crop grown by a margin on each side (half its size, at least 24 px), clamped to the frame. */
export function padRegion(crop: Rect, frame: Size, opts: { ratio?: number; min?: number } = {}): Rect {
  const ratio = opts.ratio ?? REGION_MARGIN_RATIO;
  const min = opts.min ?? REGION_MIN_MARGIN;
  const mx = Math.max(min, Math.round(crop.w * ratio));
  const my = Math.max(min, Math.round(crop.h * ratio));
  const x0 = Math.max(0, crop.x - mx);
  const y0 = Math.max(0, crop.y - my);
  const x1 = Math.min(frame.width, crop.x + crop.w + mx);
  const y1 = Math.min(frame.height, crop.y + crop.h + my);
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}

export interface ThresholdSuggestion {
  threshold: number;
  /** One sentence for the UI: where the number comes from. */
  explanation: string;
  /** The true match's score minus the best false match's (undefined without a false candidate). */
  gap?: number;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/**
 * The threshold midway between the best false match (`falseScores`: the best score of the template where it is not,
 * on this frame and on the recorder's frames) and the true match's score, clamped to [0.7, 0.98] and rounded to
 * two decimals. Without a false candidate: 0.1 under the true score, clamped the same way.
 */
export function suggestThreshold(trueScore: number, falseScores: readonly number[]): ThresholdSuggestion {
  const finite = falseScores.filter((s) => Number.isFinite(s));
  const clamp = (v: number) => Math.min(THRESHOLD_MAX, Math.max(THRESHOLD_MIN, v));
  if (finite.length === 0) {
    const t = round2(clamp(trueScore - 0.1));
    return { threshold: t, explanation: `no other candidate scored: ${t.toFixed(2)} is 0.10 under the true match (${trueScore.toFixed(3)}), within [${THRESHOLD_MIN}, ${THRESHOLD_MAX}]` };
  }
  const bestFalse = Math.max(...finite);
  const mid = (trueScore + bestFalse) / 2;
  const t = round2(clamp(mid));
  const gap = trueScore - bestFalse;
  let explanation = `midway between the best false match (${bestFalse.toFixed(3)}, over ${finite.length} frame${finite.length === 1 ? '' : 's'}) and the true match (${trueScore.toFixed(3)})`;
  if (t !== round2(mid)) {
    explanation += `, clamped to [${THRESHOLD_MIN}, ${THRESHOLD_MAX}]`;
  }
  if (gap < 0.1) {
    explanation += gap <= 0 ? ': the template matches elsewhere as well as here — pick a more distinctive crop' : ': the margin is thin — a larger or more distinctive crop separates better';
  }
  return { threshold: t, explanation, gap };
}

/**
 * A copy of an RGBA frame with `rect` filled by a flat grey: matching the template on it gives the best false match
 * (the true occurrence can no longer score).
 */
export function blankRect(frame: { width: number; height: number; data: Uint8Array }, rect: Rect): Uint8Array {
  const out = new Uint8Array(frame.data);
  const x0 = Math.max(0, rect.x);
  const y0 = Math.max(0, rect.y);
  const x1 = Math.min(frame.width, rect.x + rect.w);
  const y1 = Math.min(frame.height, rect.y + rect.h);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * frame.width + x) * 4;
      out[i] = 128;
      out[i + 1] = 128;
      out[i + 2] = 128;
      out[i + 3] = 255;
    }
  }
  return out;
}

export const TEMPLATE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;

/** Why `name` cannot be a new template (the registry's rules: allowed characters, unique), or undefined. */
export function templateNameProblem(name: string, existing: Iterable<string>): string | undefined {
  if (!name) {
    return 'give the template a name';
  }
  if (!TEMPLATE_NAME_RE.test(name)) {
    return 'a template name uses letters, digits and _ . - / (for example home.packsButton)';
  }
  for (const e of existing) {
    if (e === name) {
      return `a template named '${name}' exists already`;
    }
  }
  return undefined;
}

/** The PNG path of a new template: `templates/<folder>/<name>.png` with `/` in the name kept as folders. */
export function templateImagePath(name: string, folder: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.\-/]/g, '_');
  return ['templates', folder, `${safe}.png`].filter((p) => p !== '').join('/').replace(/\/+/g, '/');
}

/** Scales a rect from frame pixels to the registry file's reference resolution (rounded). */
export function toReference(r: Rect, frame: Size, reference: Size): Rect {
  if (frame.width === reference.width && frame.height === reference.height) {
    return { ...r };
  }
  const sx = reference.width / frame.width;
  const sy = reference.height / frame.height;
  return { x: Math.round(r.x * sx), y: Math.round(r.y * sy), w: Math.round(r.w * sx), h: Math.round(r.h * sy) };
}
