/**
 * Parsing of raw `screencap` output (no `-p`): a small header followed by the pixels, converted to tightly
 * packed RGBA. Two header layouts exist in the wild:
 * - Android 8 and older: 12 bytes, `width, height, format` (uint32 little-endian each);
 * - Android 9 and newer: 16 bytes, `width, height, format, colorspace`.
 * The layout is decided by size arithmetic (`total length - width*height*bytesPerPixel` must be 12 or 16), never
 * by guessing the Android version, so a frame from any device parses the same way.
 */
import { endianness } from 'node:os';
import { DeviceError } from '../device';

/** `android.graphics.PixelFormat` values that `screencap` emits. */
export const PixelFormat = {
  RGBA_8888: 1,
  RGBX_8888: 2,
  RGB_888: 3,
  RGB_565: 4,
} as const;

export type PixelFormatCode = (typeof PixelFormat)[keyof typeof PixelFormat];

/** Bytes per pixel of each supported format. */
export const BYTES_PER_PIXEL: Readonly<Record<PixelFormatCode, number>> = { 1: 4, 2: 4, 3: 3, 4: 2 };

/** Upper bound on a side, so a corrupt header cannot make us allocate gigabytes. */
export const MAX_SIDE = 16384;

export interface RawScreencap {
  width: number;
  height: number;
  format: PixelFormatCode;
  /** 12 or 16. */
  headerSize: number;
  /** Colorspace from a 16-byte header (0 unknown, 1 sRGB, 2 Display P3); undefined for 12-byte headers. */
  colorspace?: number;
  /** Tightly packed RGBA, `width*height*4` bytes. May share memory with the input buffer (it is reused in place). */
  rgba: Uint8Array;
}

/**
 * Parses a whole raw `screencap` reply and converts it to RGBA. The input buffer is consumed: RGBA_8888 is
 * returned as a view on it and RGBX_8888 has its alpha bytes set in place.
 * @throws DeviceError('protocol') for a short, truncated or otherwise inconsistent frame.
 */
export function parseRawScreencap(buf: Buffer, serial?: string): RawScreencap {
  if (buf.length < 12) {
    throw new DeviceError('protocol', `raw screencap reply too short (${buf.length} bytes)`, serial);
  }
  const width = buf.readUInt32LE(0);
  const height = buf.readUInt32LE(4);
  const format = buf.readUInt32LE(8);
  if (width === 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new DeviceError('protocol', `raw screencap header has an invalid size ${width}x${height}`, serial);
  }
  if (!isSupportedFormat(format)) {
    throw new DeviceError('protocol', `raw screencap pixel format ${format} is not supported`, serial);
  }
  const pixelBytes = width * height * BYTES_PER_PIXEL[format];
  const headerSize = buf.length - pixelBytes;
  if (headerSize !== 12 && headerSize !== 16) {
    const missing = headerSize < 12 ? ` (${12 - headerSize} bytes missing)` : '';
    throw new DeviceError(
      'protocol',
      `raw screencap reply of ${buf.length} bytes does not match a ${width}x${height} frame of format ${format}${missing}`,
      serial,
    );
  }
  const colorspace = headerSize === 16 ? buf.readUInt32LE(12) : undefined;
  const pixels = buf.subarray(headerSize);
  return { width, height, format, headerSize, colorspace, rgba: toRgba(pixels, width * height, format) };
}

function isSupportedFormat(f: number): f is PixelFormatCode {
  return f === 1 || f === 2 || f === 3 || f === 4;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** Converts `count` pixels of `format` to RGBA (in place or as a view where possible). */
export function toRgba(pixels: Buffer, count: number, format: PixelFormatCode): Uint8Array {
  switch (format) {
    case PixelFormat.RGBA_8888:
      return pixels;
    case PixelFormat.RGBX_8888: {
      if (LITTLE_ENDIAN && pixels.byteOffset % 4 === 0) {
        const words = new Uint32Array(pixels.buffer, pixels.byteOffset, count);
        for (let i = 0; i < count; i++) {
          words[i] |= 0xff000000;
        }
      } else {
        for (let i = 3; i < count * 4; i += 4) {
          pixels[i] = 0xff;
        }
      }
      return pixels;
    }
    case PixelFormat.RGB_888: {
      const out = new Uint8Array(count * 4);
      for (let i = 0, j = 0; i < count * 3; i += 3, j += 4) {
        out[j] = pixels[i];
        out[j + 1] = pixels[i + 1];
        out[j + 2] = pixels[i + 2];
        out[j + 3] = 0xff;
      }
      return out;
    }
    case PixelFormat.RGB_565: {
      const out = new Uint8Array(count * 4);
      for (let i = 0, j = 0; i < count * 2; i += 2, j += 4) {
        const v = pixels[i] | (pixels[i + 1] << 8);
        const r = (v >> 11) & 0x1f;
        const g = (v >> 5) & 0x3f;
        const b = v & 0x1f;
        out[j] = (r << 3) | (r >> 2);
        out[j + 1] = (g << 2) | (g >> 4);
        out[j + 2] = (b << 3) | (b >> 2);
        out[j + 3] = 0xff;
      }
      return out;
    }
  }
}

/**
 * Assembles a raw `screencap` reply from stream chunks straight into one buffer sized from the header, so the
 * chunks are dropped as they arrive (they die young instead of piling up until a final concat, which keeps the
 * garbage collector's work per frame small) and no second full-frame buffer is ever needed. A reply whose header
 * is unusable or whose length overflows the expected size falls back to collecting the chunks, so
 * {@link parseRawScreencap} reports exactly what is wrong with it.
 */
/** Largest frame assembled in a buffer sized from its header (8K RGBA); a larger header is not trusted. */
const MAX_PREALLOCATED_BYTES = 7680 * 4320 * 4;

export class RawScreencapCollector {
  private head: Buffer[] = [];
  private headBytes = 0;
  private out: Buffer | undefined;
  private filled = 0;
  /** Set once the fast path is abandoned: every byte as received. */
  private spill: Buffer[] | undefined;

  /** Adds the next chunk of the reply. */
  push(chunk: Buffer): void {
    if (this.spill) {
      this.spill.push(chunk);
      return;
    }
    if (this.out) {
      this.write(chunk);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < 12) {
      return;
    }
    const first = this.head.length === 1 ? this.head[0] : Buffer.concat(this.head, this.headBytes);
    const width = first.readUInt32LE(0);
    const height = first.readUInt32LE(4);
    const format = first.readUInt32LE(8);
    this.head = [];
    this.headBytes = 0;
    if (width === 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE || !isSupportedFormat(format) || width * height * 4 > MAX_PREALLOCATED_BYTES) {
      // Unknown or implausible header: keep the bytes as they come (the parser reports the exact problem).
      this.spill = [first];
      return;
    }
    // Room for the larger (16-byte) header; the actual header size is known from the final length.
    this.out = Buffer.allocUnsafeSlow(16 + width * height * BYTES_PER_PIXEL[format]);
    this.write(first);
  }

  /** The whole reply, ready for {@link parseRawScreencap}. */
  finish(): Buffer {
    if (this.spill) {
      return Buffer.concat(this.spill);
    }
    if (this.out) {
      return this.out.subarray(0, this.filled);
    }
    return Buffer.concat(this.head, this.headBytes);
  }

  private write(chunk: Buffer): void {
    const out = this.out!;
    if (this.filled + chunk.length > out.length) {
      // Longer than any frame of this header: keep the bytes so the parser can say so.
      this.spill = [out.subarray(0, this.filled), chunk];
      this.out = undefined;
      return;
    }
    chunk.copy(out, this.filled);
    this.filled += chunk.length;
  }
}

/** Builds a raw `screencap` reply (tests and benchmarks): header of 12 or 16 bytes plus `pixels` as given. */
export function encodeRawScreencap(width: number, height: number, format: PixelFormatCode, pixels: Uint8Array, headerSize: 12 | 16 = 16, colorspace = 0): Buffer {
  const header = Buffer.alloc(headerSize);
  header.writeUInt32LE(width, 0);
  header.writeUInt32LE(height, 4);
  header.writeUInt32LE(format, 8);
  if (headerSize === 16) {
    header.writeUInt32LE(colorspace, 12);
  }
  return Buffer.concat([header, pixels]);
}
