/**
 * The matching engine on opencv-wasm: TM_CCOEFF_NORMED on gray (default) or RGB, masked matching from the image's
 * alpha, multi-scale, and every match above the threshold with non-maximum suppression. A contrast check keeps
 * elements dimmed behind a dialog from matching (see CONTRAST_SLACK). Frames are converted (and shrunk to the
 * plan's working size) once per frame key. It runs inside the matcher workers (one instance per worker) and
 * directly in unit tests.
 *
 * Memory: every Mat is created and deleted here. Converted frames and prepared templates are kept in small LRU
 * caches whose evictions delete their Mats, so the wasm heap stays flat however many matches run.
 */
import type { Rect } from '../../shared/geometry';
import { cvErrorMessage, cvHeapStats, type Cv, type CvMat, type CvMatVector } from './cvTypes';
import { toFramePixels, type MatchPlan, type MatchSize } from './matchPlan';
import { nonMaxSuppression } from './nms';
import type { Match } from './types';
import { VisionError } from './visionError';

/** RGBA pixels shared with the worker (a view over a SharedArrayBuffer, or a plain array in tests). */
export interface PixelsRef {
  /** Unique per content: caches are keyed by it. */
  key: string | number;
  width: number;
  height: number;
  /** `width * height * 4` RGBA bytes. */
  pixels: Uint8Array;
}

export interface MatchOutput {
  /** Best candidate over every size tried, whatever its score; null only when nothing could be scored. */
  best: Match | null;
  /** Matches at or above the threshold, best first (one at most unless `plan.all`). */
  matches: Match[];
}

export interface MatcherStats {
  /** Bytes reserved by the wasm heap. */
  heapBytes: number;
  /** Allocator high-water mark (sbrk); grows only when freed memory cannot be reused. */
  heapTop: number;
  cachedFrames: number;
  cachedTemplates: number;
  matches: number;
}

interface FrameEntry {
  ref: PixelsRef;
  /** Conversions of the frame, by mode and working size. */
  mats: Map<string, CvMat>;
}

interface MaskedParts {
  /** Template minus its masked mean, zero outside the mask (32F, 1 or 3 channels). */
  tPrime: CvMat;
  /** The mask as 32F ones and zeros. */
  mask: CvMat;
  /** Number of mask pixels. */
  n: number;
  /** Sum of squares of tPrime. */
  tNorm2: number;
}

interface TemplateEntry {
  /** 8UC1 (gray) or 8UC3 (colour) template. */
  mat: CvMat;
  masked?: MaskedParts;
  /** Variance is zero: TM_CCOEFF_NORMED cannot tell anything from it. */
  flat: boolean;
  /** Standard deviation of the template's values (under the mask), for the contrast check. */
  sigma: number;
  /** 1 where the mask lets a pixel count (masked templates only). */
  maskBits?: Uint8Array;
  channels: number;
}

/** A Map used as an LRU: `get` refreshes, `set` evicts the oldest beyond `max` through `onEvict`. */
class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(
    private readonly max: number,
    private readonly onEvict: (v: V) => void,
  ) {}
  get size(): number {
    return this.map.size;
  }
  get(k: K): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    const old = this.map.get(k);
    if (old !== undefined) {
      this.map.delete(k);
      if (old !== v) {
        this.onEvict(old);
      }
    }
    this.map.set(k, v);
    while (this.map.size > this.max) {
      const [oldestKey, oldest] = this.map.entries().next().value as [K, V];
      this.map.delete(oldestKey);
      this.onEvict(oldest);
    }
  }
  clear(): void {
    for (const v of this.map.values()) {
      this.onEvict(v);
    }
    this.map.clear();
  }
}

/** Frees Mats (and MatVectors) in reverse order, ignoring the ones never created. */
function free(...mats: Array<CvMat | CvMatVector | undefined>): void {
  for (let i = mats.length - 1; i >= 0; i--) {
    mats[i]?.delete();
  }
}

export interface MatcherOptions {
  /** Converted frames kept (default 8). */
  frameCache?: number;
  /** Prepared templates kept, each size and mode counting once (default 256). */
  templateCache?: number;
  /** Decoded template images kept (default 128). */
  imageCache?: number;
}

export class Matcher {
  private readonly frames: Lru<string | number, FrameEntry>;
  private readonly images: Lru<string | number, CvMat>;
  private readonly templates: Lru<string, TemplateEntry>;
  private matchCount = 0;

  constructor(
    private readonly cv: Cv,
    opts: MatcherOptions = {},
  ) {
    this.frames = new Lru(opts.frameCache ?? 8, (e) => free(...e.mats.values()));
    this.images = new Lru(opts.imageCache ?? 128, (m) => m.delete());
    this.templates = new Lru(opts.templateCache ?? 256, (t) => free(t.mat, t.masked?.tPrime, t.masked?.mask));
  }

  /** Runs one plan. Throws VisionError (`match-failed` for OpenCV errors). */
  match(frame: PixelsRef, image: PixelsRef, plan: MatchPlan): MatchOutput {
    try {
      return this.matchUnchecked(frame, image, plan);
    } catch (e) {
      if (e instanceof VisionError) {
        throw e;
      }
      throw new VisionError('match-failed', `template matching failed: ${cvErrorMessage(this.cv, e)}`, { cause: e });
    } finally {
      this.matchCount++;
    }
  }

  stats(): MatcherStats {
    return { ...cvHeapStats(this.cv), cachedFrames: this.frames.size, cachedTemplates: this.templates.size, matches: this.matchCount };
  }

  /** Frees every cached Mat. */
  clear(): void {
    this.frames.clear();
    this.templates.clear();
    this.images.clear();
  }

  private matchUnchecked(frame: PixelsRef, image: PixelsRef, plan: MatchPlan): MatchOutput {
    checkPixels(frame, 'frame');
    checkPixels(image, 'template image');
    const source = this.frameMat(frame, plan.mode, plan.work);
    const region = source.roi(new this.cv.Rect(plan.region.x, plan.region.y, plan.region.w, plan.region.h));
    try {
      let best: Match | null = null;
      const candidates: Match[] = [];
      for (const size of plan.sizes) {
        const tpl = this.template(image, plan.mode, plan.mask, size);
        if (tpl.flat) {
          // A uniform template correlates with nothing; report a zero score at the region's corner.
          best ??= { x: plan.region.x, y: plan.region.y, w: size.w, h: size.h, score: 0, scale: size.scale };
          continue;
        }
        const r = tpl.masked ? this.scoreMasked(region, tpl.masked, plan.mode) : this.scorePlain(region, tpl.mat);
        try {
          const toMatch = (x: number, y: number, raw: number): Match => {
            const fx = plan.region.x + x;
            const fy = plan.region.y + y;
            const score = clampScore(raw) * contrastFactor(tpl, source, fx, fy);
            return { x: fx, y: fy, w: size.w, h: size.h, score, scale: size.scale };
          };
          const top = this.bestOf(r.mat, r.scores);
          let m = toMatch(top.x, top.y, top.score);
          const scores = (): Float32Array => r.scores ?? r.mat.data32F;
          if (m.score < clampScore(top.score) - 1e-9 && top.score >= plan.threshold) {
            // The best raw peak failed the contrast check (for example a button dimmed behind a dialog): another
            // peak above the threshold may be the real thing.
            const peaks = topPeaks(scores(), r.mat.cols, r.mat.rows, plan.threshold, 16);
            for (const p of peaks) {
              const c = toMatch(p.x, p.y, p.score);
              if (c.score > m.score) {
                m = c;
              }
            }
          }
          if (!best || m.score > best.score + 1e-9) {
            best = m;
          }
          if (plan.all) {
            for (const p of topPeaks(scores(), r.mat.cols, r.mat.rows, plan.threshold, plan.maxCount * 8 + 16)) {
              const c = toMatch(p.x, p.y, p.score);
              if (c.score >= plan.threshold) {
                candidates.push(c);
              }
            }
          }
        } finally {
          r.mat.delete();
        }
      }
      let matches: Match[];
      if (plan.all) {
        matches = nonMaxSuppression(candidates, plan.nmsIou, plan.maxCount);
      } else {
        matches = best && best.score >= plan.threshold ? [best] : [];
      }
      if (matches.length && best && matches[0].score >= best.score - 1e-9) {
        best = matches[0];
      }
      const back = (m: Match): Match => toFramePixels(m, plan.work, frame);
      return { best: best && back(best), matches: matches.map(back) };
    } finally {
      region.delete();
    }
  }

  /** The frame converted to gray or RGB at the working size, once per frame key. */
  private frameMat(frame: PixelsRef, mode: 'gray' | 'color', work: { width: number; height: number }): CvMat {
    const cv = this.cv;
    let entry = this.frames.get(frame.key);
    if (!entry || entry.ref.width !== frame.width || entry.ref.height !== frame.height) {
      entry = { ref: frame, mats: new Map() };
      this.frames.set(frame.key, entry);
    }
    const k = `${mode}|${work.width}x${work.height}`;
    const hit = entry.mats.get(k);
    if (hit) {
      return hit;
    }
    const rgba = new cv.Mat(frame.height, frame.width, cv.CV_8UC4);
    let small: CvMat | undefined;
    let out: CvMat | undefined = new cv.Mat();
    try {
      rgba.data.set(frame.pixels);
      let src = rgba;
      if (work.width !== frame.width || work.height !== frame.height) {
        small = new cv.Mat();
        cv.resize(rgba, small, new cv.Size(work.width, work.height), 0, 0, cv.INTER_AREA);
        src = small;
      }
      cv.cvtColor(src, out, mode === 'gray' ? cv.COLOR_RGBA2GRAY : cv.COLOR_RGBA2RGB);
      entry.mats.set(k, out);
      const result = out;
      out = undefined;
      return result;
    } finally {
      free(rgba, small, out);
    }
  }

  /** The decoded RGBA image as a Mat, once per image key. */
  private imageMat(image: PixelsRef): CvMat {
    const cached = this.images.get(image.key);
    if (cached && cached.cols === image.width && cached.rows === image.height) {
      return cached;
    }
    const m = new this.cv.Mat(image.height, image.width, this.cv.CV_8UC4);
    m.data.set(image.pixels);
    this.images.set(image.key, m);
    return m;
  }

  /** The template at `size` in `mode`, with its mask parts, once per (image, mode, mask, size). */
  private template(image: PixelsRef, mode: 'gray' | 'color', useMask: boolean, size: MatchSize): TemplateEntry {
    const key = `${image.key}|${mode}|${useMask ? 'm' : '-'}|${size.w}x${size.h}`;
    const cached = this.templates.get(key);
    if (cached) {
      return cached;
    }
    const cv = this.cv;
    const base = this.imageMat(image);
    let resized: CvMat | undefined;
    let mat: CvMat | undefined = new cv.Mat();
    try {
      let rgba = base;
      if (size.w !== image.width || size.h !== image.height) {
        resized = new cv.Mat();
        const shrink = size.w * size.h < image.width * image.height;
        cv.resize(base, resized, new cv.Size(size.w, size.h), 0, 0, shrink ? cv.INTER_AREA : cv.INTER_LINEAR);
        rgba = resized;
      }
      cv.cvtColor(rgba, mat, mode === 'gray' ? cv.COLOR_RGBA2GRAY : cv.COLOR_RGBA2RGB);
      const channels = mode === 'gray' ? 1 : 3;
      const entry: TemplateEntry = { mat, flat: false, sigma: 0, channels };
      if (useMask) {
        const alpha = rgba.data;
        const maskBits = new Uint8Array(size.w * size.h);
        let n = 0;
        for (let i = 0; i < maskBits.length; i++) {
          if (alpha[i * 4 + 3] >= 128) {
            maskBits[i] = 1;
            n++;
          }
        }
        if (n === 0) {
          throw new VisionError('match-failed', `template image ${image.key}: the mask is fully transparent`);
        }
        if (n < maskBits.length) {
          entry.masked = this.maskedParts(mat, maskBits, n, channels);
          entry.maskBits = maskBits;
          entry.flat = entry.masked.tNorm2 < 1e-6 * n;
        }
      }
      if (!entry.masked) {
        entry.flat = isFlat(mat.data);
      }
      entry.sigma = windowSigma(mat.data, size.w, channels, 0, 0, size.w, size.h, entry.maskBits);
      mat = undefined;
      this.templates.set(key, entry);
      return entry;
    } finally {
      free(resized, mat);
    }
  }

  private maskedParts(tpl: CvMat, maskBits: Uint8Array, n: number, ch: number): MaskedParts {
    const cv = this.cv;
    const px = tpl.data;
    const mean = new Float64Array(ch);
    for (let i = 0; i < maskBits.length; i++) {
      if (maskBits[i]) {
        for (let c = 0; c < ch; c++) {
          mean[c] += px[i * ch + c];
        }
      }
    }
    for (let c = 0; c < ch; c++) {
      mean[c] /= n;
    }
    const tp = new Float32Array(maskBits.length * ch);
    let tNorm2 = 0;
    for (let i = 0; i < maskBits.length; i++) {
      if (maskBits[i]) {
        for (let c = 0; c < ch; c++) {
          const v = px[i * ch + c] - mean[c];
          tp[i * ch + c] = v;
          tNorm2 += v * v;
        }
      }
    }
    const tPrime = new cv.Mat(tpl.rows, tpl.cols, ch === 1 ? cv.CV_32FC1 : cv.CV_32FC3);
    tPrime.data32F.set(tp);
    const mask = new cv.Mat(tpl.rows, tpl.cols, cv.CV_32FC1);
    const m32 = new Float32Array(maskBits.length);
    for (let i = 0; i < maskBits.length; i++) {
      m32[i] = maskBits[i];
    }
    mask.data32F.set(m32);
    return { tPrime, mask, n, tNorm2 };
  }

  /** TM_CCOEFF_NORMED of the template over the region; the caller deletes the result Mat. */
  private scorePlain(region: CvMat, tpl: CvMat): { mat: CvMat; scores?: Float32Array } {
    const res = new this.cv.Mat();
    try {
      this.cv.matchTemplate(region, tpl, res, this.cv.TM_CCOEFF_NORMED);
    } catch (e) {
      res.delete();
      throw e;
    }
    return { mat: res };
  }

  /**
   * Masked TM_CCOEFF_NORMED (opencv-wasm 4.3 has no masked CCOEFF): correlations of the region with the
   * mean-free masked template, with the mask, and of the squared region with the mask, combined per pixel.
   */
  private scoreMasked(region: CvMat, parts: MaskedParts, mode: 'gray' | 'color'): { mat: CvMat; scores: Float32Array } {
    const cv = this.cv;
    const owned: Array<CvMat | CvMatVector> = [];
    const mk = (): CvMat => {
      const m = new cv.Mat();
      owned.push(m);
      return m;
    };
    let num: CvMat | undefined;
    try {
      const f = mk();
      region.convertTo(f, cv.CV_32F);
      num = new cv.Mat();
      cv.matchTemplate(f, parts.tPrime, num, cv.TM_CCORR);
      const planes: CvMat[] = [];
      if (mode === 'gray') {
        planes.push(f);
      } else {
        const mv = new cv.MatVector();
        owned.push(mv);
        cv.split(f, mv);
        for (let c = 0; c < mv.size(); c++) {
          const p = mv.get(c);
          owned.push(p);
          planes.push(p);
        }
      }
      const len = num.rows * num.cols;
      const variance = new Float64Array(len);
      for (const p of planes) {
        const sq = mk();
        cv.multiply(p, p, sq);
        const s1 = mk();
        const s2 = mk();
        cv.matchTemplate(p, parts.mask, s1, cv.TM_CCORR);
        cv.matchTemplate(sq, parts.mask, s2, cv.TM_CCORR);
        const a = s1.data32F;
        const b = s2.data32F;
        for (let i = 0; i < len; i++) {
          variance[i] += b[i] - (a[i] * a[i]) / parts.n;
        }
      }
      const scores = new Float32Array(len);
      const nd = num.data32F;
      // Windows whose masked standard deviation is below 0.5 grey levels count as flat (score 0), like OpenCV.
      const flatLimit = 0.25 * parts.n * planes.length;
      for (let i = 0; i < len; i++) {
        const v = variance[i];
        if (!(v > flatLimit)) {
          scores[i] = 0;
          continue;
        }
        const t = Math.sqrt(v * parts.tNorm2);
        const x = nd[i];
        scores[i] = Math.abs(x) < t ? x / t : Math.abs(x) < t * 1.125 ? Math.sign(x) : 0;
      }
      const out = num;
      num = undefined;
      return { mat: out, scores };
    } finally {
      free(num);
      free(...owned);
    }
  }

  private bestOf(res: CvMat, scores?: Float32Array): { x: number; y: number; score: number } {
    if (!scores) {
      const mm = this.cv.minMaxLoc(res);
      return { x: mm.maxLoc.x, y: mm.maxLoc.y, score: Number.isFinite(mm.maxVal) ? mm.maxVal : 0 };
    }
    let bi = 0;
    let bv = -Infinity;
    for (let i = 0; i < scores.length; i++) {
      if (scores[i] > bv) {
        bv = scores[i];
        bi = i;
      }
    }
    return { x: bi % res.cols, y: Math.floor(bi / res.cols), score: bv };
  }
}

function checkPixels(p: PixelsRef, what: string): void {
  if (p.pixels.byteLength !== p.width * p.height * 4) {
    throw new VisionError(what === 'frame' ? 'invalid-frame' : 'image-invalid', `${what} data is ${p.pixels.byteLength} bytes, expected ${p.width * p.height * 4}`);
  }
}

function clampScore(s: number): number {
  return Number.isFinite(s) ? Math.max(-1, Math.min(1, s)) : 0;
}

function isFlat(px: Uint8Array): boolean {
  const first = px[0];
  for (let i = 1; i < px.length; i++) {
    if (px[i] !== first) {
      return false;
    }
  }
  return true;
}

/** Local maxima (3x3) at or above `threshold` of a score map, as matches in frame pixels. */
function collectPeaks(scores: Float32Array, cols: number, rows: number, threshold: number, region: Rect, size: MatchSize, out: Match[]): void {
  const start = out.length;
  for (let y = 0; y < rows; y++) {
    const row = y * cols;
    for (let x = 0; x < cols; x++) {
      const v = scores[row + x];
      if (!(v >= threshold)) {
        continue;
      }
      let peak = true;
      for (let dy = -1; dy <= 1 && peak; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= rows) {
          continue;
        }
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if ((dx === 0 && dy === 0) || xx < 0 || xx >= cols) {
            continue;
          }
          const u = scores[yy * cols + xx];
          // Ties: only the first (top-left) pixel of a plateau is a peak.
          if (u > v || (u === v && (dy < 0 || (dy === 0 && dx < 0)))) {
            peak = false;
            break;
          }
        }
      }
      if (peak) {
        out.push({ x: region.x + x, y: region.y + y, w: size.w, h: size.h, score: clampScore(v), scale: size.scale });
        if (out.length - start > 20000) {
          return;
        }
      }
    }
  }
}

/**
 * Contrast check. TM_CCOEFF_NORMED ignores gain, so a button dimmed to 45 % behind a dialog's overlay still
 * scores about 1. Scores are scaled down when the window's contrast (standard deviation) differs from the
 * template's by more than CONTRAST_SLACK either way; +-10 % brightness and compression artefacts stay inside.
 * Templates of very low contrast skip the check (their deviation is mostly noise).
 */
export const CONTRAST_SLACK = 1.3;
const MIN_SIGMA_FOR_CHECK = 6;

function contrastFactor(tpl: TemplateEntry, source: CvMat, x: number, y: number): number {
  if (tpl.sigma < MIN_SIGMA_FOR_CHECK) {
    return 1;
  }
  const w = tpl.mat.cols;
  const h = tpl.mat.rows;
  const sigma = windowSigma(source.data, source.cols, tpl.channels, x, y, w, h, tpl.maskBits);
  const c = sigma / tpl.sigma;
  if (c < 1 / CONTRAST_SLACK) {
    return c * CONTRAST_SLACK;
  }
  if (c > CONTRAST_SLACK) {
    return CONTRAST_SLACK / c;
  }
  return 1;
}

/** Standard deviation of a window of an interleaved 8-bit image (per-channel means), under an optional mask. */
function windowSigma(px: Uint8Array, stridePx: number, ch: number, x: number, y: number, w: number, h: number, mask?: Uint8Array): number {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let n = 0;
  for (let row = 0; row < h; row++) {
    let i = ((y + row) * stridePx + x) * ch;
    const mrow = row * w;
    for (let col = 0; col < w; col++, i += ch) {
      if (mask && !mask[mrow + col]) {
        continue;
      }
      n++;
      for (let c = 0; c < ch; c++) {
        const v = px[i + c];
        sum[c] += v;
        sq[c] += v * v;
      }
    }
  }
  if (!n) {
    return 0;
  }
  let variance = 0;
  for (let c = 0; c < ch; c++) {
    variance += sq[c] / n - (sum[c] / n) ** 2;
  }
  return Math.sqrt(Math.max(0, variance / ch));
}

/** The `limit` best 3x3 local maxima at or above `threshold` of a score map, best first. */
function topPeaks(scores: Float32Array, cols: number, rows: number, threshold: number, limit: number): Array<{ x: number; y: number; score: number }> {
  const out: Match[] = [];
  collectPeaks(scores, cols, rows, threshold, { x: 0, y: 0, w: cols, h: rows }, { w: 0, h: 0, scale: 1 }, out);
  out.sort((a, b) => b.score - a.score);
  return out.slice(0, limit).map((p) => ({ x: p.x, y: p.y, score: p.score }));
}
