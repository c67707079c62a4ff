/** Perturbed copies of RGBA frames for the accuracy tests: JPEG artefacts, shifts, brightness, zoom. */
import sharp from 'sharp';
import type { Rgba } from './synthetic';

/** JPEG round trip at `quality` (artefacts on edges and text). */
export async function jpeg(img: Rgba, quality = 70): Promise<Rgba> {
  const buf = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 4 } })
    .jpeg({ quality })
    .toBuffer();
  const { data, info } = await sharp(buf).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** Content moved by (dx, dy) pixels; the uncovered edge repeats the border pixels. */
export function shift(img: Rgba, dx: number, dy: number): Rgba {
  const { width, height } = img;
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(height - 1, Math.max(0, y - dy));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(width - 1, Math.max(0, x - dx));
      const s = (sy * width + sx) * 4;
      const d = (y * width + x) * 4;
      data[d] = img.data[s];
      data[d + 1] = img.data[s + 1];
      data[d + 2] = img.data[s + 2];
      data[d + 3] = img.data[s + 3];
    }
  }
  return { width, height, data };
}

/** RGB multiplied by `factor` (0.9 = 10 % darker), clamped. */
export function brightness(img: Rgba, factor: number): Rgba {
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = Math.min(255, Math.round(img.data[i] * factor));
    data[i + 1] = Math.min(255, Math.round(img.data[i + 1] * factor));
    data[i + 2] = Math.min(255, Math.round(img.data[i + 2] * factor));
    data[i + 3] = img.data[i + 3];
  }
  return { width: img.width, height: img.height, data };
}

/** The picture scaled by `s` about the frame's centre, in a frame of the same size (edges repeated). */
export async function zoom(img: Rgba, s: number): Promise<Rgba> {
  const { width, height } = img;
  const w = Math.round(width * s);
  const h = Math.round(height * s);
  let pipeline = sharp(img.data, { raw: { width, height, channels: 4 } }).resize(w, h, { kernel: 'lanczos3' });
  if (s >= 1) {
    const left = Math.floor((w - width) / 2);
    const top = Math.floor((h - height) / 2);
    const resized = await pipeline.raw().toBuffer();
    pipeline = sharp(resized, { raw: { width: w, height: h, channels: 4 } }).extract({ left, top, width, height });
  } else {
    const left = Math.floor((width - w) / 2);
    const top = Math.floor((height - h) / 2);
    const resized = await pipeline.raw().toBuffer();
    pipeline = sharp(resized, { raw: { width: w, height: h, channels: 4 } }).extend({
      left,
      top,
      right: width - w - left,
      bottom: height - h - top,
      extendWith: 'copy',
    });
  }
  const data = await pipeline.raw().toBuffer();
  return { width, height, data: new Uint8Array(data) };
}
