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
import type { ReplyTarget } from './adbClient';
import type { FramePool, PoolBuffer } from './framePool';

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

/** Where a frame's pixels are in a raw reply of `totalLength` bytes, checked against the header. */
export interface RawLayout {
  width: number;
  height: number;
  format: PixelFormatCode;
  /** 12 or 16. */
  headerSize: number;
  /** `width * height * bytesPerPixel`. */
  pixelBytes: number;
}

/** The unsigned 32-bit little-endian integer at `off` (no DataView: `.buffer` of a small array would allocate). */
function u32le(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

/** Width, height and format from the first 12 bytes, or undefined when they cannot describe a frame. */
function plausibleHeader(head: Uint8Array): { width: number; height: number; format: PixelFormatCode } | undefined {
  const width = u32le(head, 0);
  const height = u32le(head, 4);
  const format = u32le(head, 8);
  if (width === 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE || !isSupportedFormat(format)) {
    return undefined;
  }
  return { width, height, format };
}

/**
 * Checks a raw reply's header (`head`: at least its first 12 bytes, when it has them) against its total length.
 * @throws DeviceError('protocol') for a short, truncated or otherwise inconsistent frame.
 */
export function rawLayout(head: Uint8Array, totalLength: number, serial?: string): RawLayout {
  if (totalLength < 12 || head.length < 12) {
    throw new DeviceError('protocol', `raw screencap reply too short (${totalLength} bytes)`, serial);
  }
  const width = u32le(head, 0);
  const height = u32le(head, 4);
  const format = u32le(head, 8);
  if (width === 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new DeviceError('protocol', `raw screencap header has an invalid size ${width}x${height}`, serial);
  }
  if (!isSupportedFormat(format)) {
    throw new DeviceError('protocol', `raw screencap pixel format ${format} is not supported`, serial);
  }
  const pixelBytes = width * height * BYTES_PER_PIXEL[format];
  const headerSize = totalLength - pixelBytes;
  if (headerSize !== 12 && headerSize !== 16) {
    const missing = headerSize < 12 ? ` (${12 - headerSize} bytes missing)` : '';
    throw new DeviceError(
      'protocol',
      `raw screencap reply of ${totalLength} bytes does not match a ${width}x${height} frame of format ${format}${missing}`,
      serial,
    );
  }
  return { width, height, format, headerSize, pixelBytes };
}

/**
 * Parses a whole raw `screencap` reply and converts it to RGBA. The input buffer is consumed: RGBA_8888 is
 * returned as a view on it and RGBX_8888 has its alpha bytes set in place.
 * @throws DeviceError('protocol') for a short, truncated or otherwise inconsistent frame.
 */
export function parseRawScreencap(buf: Buffer, serial?: string): RawScreencap {
  const { width, height, format, headerSize } = rawLayout(buf, buf.length, serial);
  const colorspace = headerSize === 16 ? buf.readUInt32LE(12) : undefined;
  const pixels = buf.subarray(headerSize);
  return { width, height, format, headerSize, colorspace, rgba: toRgba(pixels, width * height, format) };
}

function isSupportedFormat(f: number): f is PixelFormatCode {
  return f === 1 || f === 2 || f === 3 || f === 4;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Converts `count` pixels of `format` to RGBA: RGBA_8888 is returned as is and RGBX_8888 converted in place; the
 * 3- and 2-byte formats are expanded into `out` (`count * 4` bytes; a new array when absent).
 */
export function toRgba(pixels: Uint8Array, count: number, format: PixelFormatCode, out?: Uint8Array): Uint8Array {
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
      out ??= new Uint8Array(count * 4);
      for (let i = 0, j = 0; i < count * 3; i += 3, j += 4) {
        out[j] = pixels[i];
        out[j + 1] = pixels[i + 1];
        out[j + 2] = pixels[i + 2];
        out[j + 3] = 0xff;
      }
      return out;
    }
    case PixelFormat.RGB_565: {
      out ??= new Uint8Array(count * 4);
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

/** Largest frame received into pooled memory sized from its header (8K RGBA); a larger header is not trusted. */
const MAX_PREALLOCATED_BYTES = 7680 * 4320 * 4;
/**
 * Where bytes that cannot be part of a frame are read and dropped (an implausible header, a reply too long), and
 * where a read would go once a frame's memory is exactly full: one buffer shared by every capture (its content is
 * never used), allocated once, since allocating memory outside V8's heap while recycled frame memory is young
 * makes V8 run a scavenge.
 */
let discardBuffer: Uint8Array | undefined;

/** A received frame: RGBA `data` inside `memory`, a buffer of the receiver's pool. */
export interface ReceivedFrame extends RawScreencap {
  memory: PoolBuffer;
}

/**
 * Receives a raw `screencap` reply straight from the socket into pooled memory ({@link ReplyTarget}): the first 12
 * bytes go to a small header buffer, and once the size is known every following read lands in a buffer of the
 * device's {@link FramePool} sized for the frame, where the pixels stay (RGBA_8888 as is, RGBX_8888 converted in
 * place). No chunk is allocated per read and no byte is copied. A reply that cannot be a frame is read to its end
 * and dropped, then reported exactly as {@link parseRawScreencap} would.
 */
export class RawScreencapReceiver implements ReplyTarget {
  /** The first 12 bytes (a reused buffer of the pool: nothing is allocated per capture). */
  private readonly head: Uint8Array;
  private headFilled = 0;
  private memory: PoolBuffer | undefined;
  private filled = 0;
  /** Bytes that fitted nowhere: after an untrusted header, or past any frame of the header's size. */
  private dropped = 0;
  /** Where reads go now: the header, the frame's memory, or nowhere (counted and dropped). */
  private mode: 'head' | 'memory' | 'discard' = 'head';
  private finished = false;

  constructor(
    private readonly pool: FramePool,
    private readonly serial?: string,
  ) {
    this.head = pool.borrowHead();
  }

  next(): Uint8Array {
    if (this.mode === 'head') {
      return this.head.subarray(this.headFilled);
    }
    if (this.mode === 'memory') {
      if (this.filled < this.memory!.byteLength) {
        return this.memory!.bytes.subarray(this.filled);
      }
      // Longer than any frame of this header: the rest is counted, and finish() reports the mismatch.
      this.mode = 'discard';
    }
    discardBuffer ??= new Uint8Array(new ArrayBuffer(64 * 1024));
    return discardBuffer;
  }

  wrote(n: number): void {
    if (this.mode === 'memory') {
      this.filled += n;
      return;
    }
    if (this.mode === 'discard') {
      this.dropped += n;
      return;
    }
    this.headFilled += n;
    if (this.headFilled < 12) {
      return;
    }
    const h = plausibleHeader(this.head);
    if (!h || h.width * h.height * 4 > MAX_PREALLOCATED_BYTES) {
      // Not a header we allocate for: the rest is counted and dropped (finish() reports the problem).
      this.mode = 'discard';
      return;
    }
    // Room for the larger (16-byte) header; the actual header size is known from the final length.
    this.memory = this.pool.acquire(16 + h.width * h.height * BYTES_PER_PIXEL[h.format]);
    this.memory.bytes.set(this.head);
    this.filled = 12;
    this.mode = 'memory';
  }

  /**
   * The frame, once the reply has ended. RGB_888 and RGB_565 frames are expanded into a second pooled buffer and
   * the received one is given back.
   * @throws DeviceError('protocol') when the reply is not a consistent frame (the memory is then discarded).
   */
  finish(): ReceivedFrame {
    if (this.finished) {
      throw new Error('RawScreencapReceiver.finish called twice');
    }
    this.finished = true;
    const memory = this.memory;
    let layout: RawLayout;
    try {
      if (!memory) {
        layout = rawLayout(this.head.subarray(0, this.headFilled), this.headFilled + this.dropped, this.serial);
        // A header too large to allocate for whose length nonetheless matches.
        throw new DeviceError('protocol', `raw screencap frame of ${layout.width}x${layout.height} is larger than supported`, this.serial);
      }
      layout = rawLayout(memory.bytes, this.filled + this.dropped, this.serial);
    } catch (e) {
      this.abandon();
      throw e;
    }
    this.pool.returnHead(this.head);
    const { width, height, format, headerSize, pixelBytes } = layout;
    const colorspace = headerSize === 16 ? u32le(memory.bytes, 12) : undefined;
    const pixels = new Uint8Array(memory.bytes.buffer, memory.bytes.byteOffset + headerSize, pixelBytes);
    if (format === PixelFormat.RGBA_8888 || format === PixelFormat.RGBX_8888) {
      return { width, height, format, headerSize, colorspace, rgba: toRgba(pixels, width * height, format), memory };
    }
    const out = this.pool.acquire(width * height * 4);
    const rgba = toRgba(pixels, width * height, format, new Uint8Array(out.bytes.buffer, out.bytes.byteOffset, width * height * 4));
    this.pool.giveBack(memory);
    this.memory = undefined;
    return { width, height, format, headerSize, colorspace, rgba, memory: out };
  }

  /** The capture failed or was cut off: its memory leaves the pool (a cut-off socket may have been handed it). */
  abandon(): void {
    // The header buffer is not given back either: it is small, and this keeps the rule simple.
    this.finished = true;
    if (this.memory) {
      this.pool.discard(this.memory);
      this.memory = undefined;
    }
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
