/** PNG (and other still image) decoding and encoding through sharp, behind a small port tests can replace. */
import type sharpType from 'sharp';
import { retainFrame, type FrameLease } from '../device';
import { VisionError } from './visionError';

/** Tightly packed RGBA pixels. */
export interface RgbaImage {
  width: number;
  height: number;
  /** `width * height * 4` bytes. */
  data: Uint8Array;
}

export interface ImageInfo {
  width: number;
  height: number;
  /** The file has an alpha channel (its pixels may still all be opaque). */
  hasAlpha: boolean;
  format: string;
}

/** Decodes image files; the registry and the CLI use it. */
export interface ImageDecoder {
  decode(bytes: Uint8Array, label?: string): Promise<RgbaImage>;
  info(bytes: Uint8Array, label?: string): Promise<ImageInfo>;
}

let sharpModule: typeof sharpType | undefined;
function loadSharp(): typeof sharpType {
  sharpModule ??= require('sharp') as typeof sharpType;
  return sharpModule;
}

/** The sharp-backed decoder (libvips works off the event loop). Failures are VisionError `image-invalid`. */
export const sharpDecoder: ImageDecoder = {
  async decode(bytes, label = 'image') {
    try {
      const { data, info } = await loadSharp()(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== 4) {
        throw new Error(`unexpected channel count ${info.channels}`);
      }
      return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    } catch (e) {
      throw new VisionError('image-invalid', `${label}: not a readable image (${e instanceof Error ? e.message : String(e)})`, { cause: e });
    }
  },
  async info(bytes, label = 'image') {
    try {
      const m = await loadSharp()(bytes).metadata();
      if (!m.width || !m.height) {
        throw new Error('no dimensions');
      }
      return { width: m.width, height: m.height, hasAlpha: Boolean(m.hasAlpha), format: m.format ?? 'unknown' };
    } catch (e) {
      throw new VisionError('image-invalid', `${label}: not a readable image (${e instanceof Error ? e.message : String(e)})`, { cause: e });
    }
  },
};

/**
 * Encodes RGBA pixels as PNG (zlib level `compressionLevel`, 9 by default: 1 is several times faster for noisy
 * frames, at a larger size). A frame in recycled memory (with a lease, see FrameLease) is retained until sharp
 * has read it.
 */
export async function encodePng(img: RgbaImage & { readonly lease?: FrameLease }, compressionLevel = 9): Promise<Buffer> {
  const release = retainFrame(img);
  try {
    return await loadSharp()(img.data, { raw: { width: img.width, height: img.height, channels: 4 } })
      .png({ compressionLevel })
      .toBuffer();
  } finally {
    release();
  }
}
