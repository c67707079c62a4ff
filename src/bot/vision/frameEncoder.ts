/**
 * JPEG encoding of frames (thumbnails, recordings) with sharp. The work (scaling and encoding) runs in libuv's
 * threadpool; the caller's thread only builds the pipeline, a fraction of a millisecond per call
 * (`npm run bench -- device` measures it). The frame is not copied: it is retained (see FrameLease) until sharp is
 * done reading it, so the device cannot recycle its memory mid-encode.
 */
import type sharpType from 'sharp';
import { retainFrame, type FrameLease } from '../device';
import { validateFrame } from './frame';
import { VisionError } from './visionError';

export interface JpegOptions {
  /** 1-100 (default 80). */
  quality?: number;
  /** Scale factor in (0, 1] applied to both sides (default 1). Combined with the limits below, the smallest wins. */
  scale?: number;
  /** Largest output width in pixels; the aspect ratio is kept. */
  maxWidth?: number;
  /** Largest output height in pixels; the aspect ratio is kept. */
  maxHeight?: number;
}

/** What can be encoded: tightly packed RGBA, and a lease when its memory is recycled (a RawFrame). */
export interface EncodableFrame {
  width: number;
  height: number;
  data: Uint8Array;
  readonly lease?: FrameLease;
}

export const DEFAULT_JPEG_QUALITY = 80;

let sharpModule: typeof sharpType | undefined;
function loadSharp(): typeof sharpType {
  sharpModule ??= require('sharp') as typeof sharpType;
  return sharpModule;
}

/** Output size for a frame under `opts`: scaled down only, aspect ratio kept, at least 1x1. */
export function jpegSize(frame: { width: number; height: number }, opts: JpegOptions = {}): { width: number; height: number } {
  let k = opts.scale ?? 1;
  if (!(k > 0 && k <= 1)) {
    throw new VisionError('invalid-frame', `JPEG scale must be in (0, 1], got ${String(opts.scale)}`);
  }
  for (const [limit, side, name] of [
    [opts.maxWidth, frame.width, 'maxWidth'],
    [opts.maxHeight, frame.height, 'maxHeight'],
  ] as const) {
    if (limit === undefined) {
      continue;
    }
    if (!Number.isInteger(limit) || limit < 1) {
      throw new VisionError('invalid-frame', `JPEG ${name} must be a positive integer, got ${String(limit)}`);
    }
    k = Math.min(k, limit / side);
  }
  return { width: Math.max(1, Math.round(frame.width * k)), height: Math.max(1, Math.round(frame.height * k)) };
}

/**
 * Encodes a frame as JPEG, optionally scaled down (thumbnails). Resolves with the JPEG bytes; the frame is
 * retained until sharp has read it and may be released or recycled as soon as the promise settles.
 * @throws VisionError `invalid-frame` for a bad frame or options (synchronously checked, returned as a rejection),
 *   `image-invalid` when sharp fails; FrameRecycledError when the frame was already recycled.
 */
export async function encodeJpeg(frame: EncodableFrame, opts: JpegOptions = {}): Promise<Buffer> {
  const quality = opts.quality ?? DEFAULT_JPEG_QUALITY;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new VisionError('invalid-frame', `JPEG quality must be an integer from 1 to 100, got ${String(opts.quality)}`);
  }
  const release = retainFrame(frame);
  try {
    validateFrame(frame);
    const out = jpegSize(frame, opts);
    const input = Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
    let pipeline = loadSharp()(input, { raw: { width: frame.width, height: frame.height, channels: 4 } }).removeAlpha();
    if (out.width !== frame.width || out.height !== frame.height) {
      pipeline = pipeline.resize(out.width, out.height, { fit: 'fill', kernel: 'linear' });
    }
    return await pipeline.jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
  } catch (e) {
    if (e instanceof VisionError) {
      throw e;
    }
    throw new VisionError('image-invalid', `JPEG encoding failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    release();
  }
}
