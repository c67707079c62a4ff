/** Frame helpers: validation, sharing pixel data with the workers, and reference-to-device geometry. */
import type { Rect, Size } from '../../shared/geometry';
import type { FrameLease, RawFrame } from '../device';
import type { TemplateImage } from './types';
import { VisionError } from './visionError';

/**
 * Throws VisionError `invalid-frame` unless `frame` is tightly packed RGBA of a positive size whose memory was not
 * recycled (see FrameLease).
 */
export function validateFrame(frame: Pick<RawFrame, 'width' | 'height' | 'data'> & { readonly lease?: FrameLease; id?: number }): void {
  const { width, height, data } = frame;
  if (frame.lease && !frame.lease.valid) {
    throw new VisionError('invalid-frame', `frame ${frame.id ?? '?'} was recycled: its memory holds a newer capture (retain a frame to keep it longer)`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new VisionError('invalid-frame', `frame size ${width}x${height} is not a positive integer size`);
  }
  if (!(data instanceof Uint8Array) || data.byteLength !== width * height * 4) {
    throw new VisionError('invalid-frame', `frame data is ${data?.byteLength ?? 0} bytes, expected ${width * height * 4} (RGBA ${width}x${height})`);
  }
}

/**
 * The bytes backed by a SharedArrayBuffer, so any number of workers can read them without a copy each. Data that
 * already lives in a SharedArrayBuffer is returned as is; anything else is copied once.
 */
export function toSharedBytes(data: Uint8Array): Uint8Array {
  if (data.buffer instanceof SharedArrayBuffer) {
    return data;
  }
  const shared = new Uint8Array(new SharedArrayBuffer(data.byteLength));
  shared.set(data);
  return shared;
}

/** Scale factors from a reference resolution to a frame size. */
export function scaleFactors(reference: Size, frame: Size): { sx: number; sy: number } {
  return { sx: frame.width / reference.width, sy: frame.height / reference.height };
}

/** A rectangle scaled from `from` to `to`, rounded outwards so it never loses pixels. */
export function scaleRect(r: Rect, from: Size, to: Size): Rect {
  const { sx, sy } = scaleFactors(from, to);
  if (sx === 1 && sy === 1) {
    return { ...r };
  }
  const x0 = Math.floor(r.x * sx + 1e-9);
  const y0 = Math.floor(r.y * sy + 1e-9);
  const x1 = Math.ceil((r.x + r.w) * sx - 1e-9);
  const y1 = Math.ceil((r.y + r.h) * sy - 1e-9);
  return { x: x0, y: y0, w: Math.max(1, x1 - x0), h: Math.max(1, y1 - y0) };
}

/** The part of `r` inside a `size` frame; undefined when nothing is left. */
export function clampRect(r: Rect, size: Size): Rect | undefined {
  const x0 = Math.max(0, Math.round(r.x));
  const y0 = Math.max(0, Math.round(r.y));
  const x1 = Math.min(size.width, Math.round(r.x + r.w));
  const y1 = Math.min(size.height, Math.round(r.y + r.h));
  if (x1 <= x0 || y1 <= y0) {
    return undefined;
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Copies a rectangle out of an RGBA image. */
export function cropRgba(img: { width: number; height: number; data: Uint8Array }, r: Rect): { width: number; height: number; data: Uint8Array } {
  const c = clampRect(r, img);
  if (!c || c.w !== r.w || c.h !== r.h) {
    throw new VisionError('invalid-region', `crop ${r.x},${r.y},${r.w},${r.h} is not inside the ${img.width}x${img.height} image`);
  }
  const out = new Uint8Array(c.w * c.h * 4);
  for (let row = 0; row < c.h; row++) {
    const src = ((c.y + row) * img.width + c.x) * 4;
    out.set(img.data.subarray(src, src + c.w * 4), row * c.w * 4);
  }
  return { width: c.w, height: c.h, data: out };
}

/** True when some pixel of an RGBA buffer has alpha below 255. */
export function hasTransparency(data: Uint8Array): boolean {
  for (let i = 3; i < data.length; i += 4) {
    if (data[i] !== 255) {
      return true;
    }
  }
  return false;
}

let imageCounter = 0;

/** A TemplateImage from decoded RGBA: pixels copied once into shared memory, under a fresh unique key. */
export function createTemplateImage(path: string, img: { width: number; height: number; data: Uint8Array }): TemplateImage {
  validateFrame(img);
  const data = toSharedBytes(img.data);
  return { key: `${++imageCounter}:${path}`, path, width: img.width, height: img.height, data, hasTransparency: hasTransparency(data) };
}
