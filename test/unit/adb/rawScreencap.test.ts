import { strict as assert } from 'node:assert';
import { isDeviceError } from '../../../src/bot/device';
import { encodeRawScreencap, parseRawScreencap, PixelFormat, RawScreencapCollector, type PixelFormatCode } from '../../../src/bot/adb/rawScreencap';

/** A 3x2 test image in RGBA with distinct, non-trivial colours. */
const W = 3;
const H = 2;
const RGBA = Uint8Array.from([
  255, 0, 0, 255, /**/ 0, 255, 0, 255, /**/ 0, 0, 255, 255,
  18, 52, 86, 255, /**/ 255, 255, 255, 255, /**/ 0, 0, 0, 255,
]);

function pixelsFor(format: PixelFormatCode): Uint8Array {
  const n = W * H;
  switch (format) {
    case PixelFormat.RGBA_8888:
      return RGBA.slice();
    case PixelFormat.RGBX_8888: {
      const out = RGBA.slice();
      for (let i = 3; i < out.length; i += 4) {
        out[i] = 0x5a; // X byte: garbage the parser must replace with 255
      }
      return out;
    }
    case PixelFormat.RGB_888: {
      const out = new Uint8Array(n * 3);
      for (let i = 0; i < n; i++) {
        out.set(RGBA.subarray(i * 4, i * 4 + 3), i * 3);
      }
      return out;
    }
    case PixelFormat.RGB_565: {
      const out = new Uint8Array(n * 2);
      for (let i = 0; i < n; i++) {
        const [r, g, b] = RGBA.subarray(i * 4, i * 4 + 3);
        const v = ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3);
        out[i * 2] = v & 0xff;
        out[i * 2 + 1] = v >> 8;
      }
      return out;
    }
  }
}

function expand565(rgba: Uint8Array): Uint8Array {
  const out = rgba.slice();
  for (let i = 0; i < out.length; i += 4) {
    const r = out[i] >> 3;
    const g = out[i + 1] >> 2;
    const b = out[i + 2] >> 3;
    out[i] = (r << 3) | (r >> 2);
    out[i + 1] = (g << 2) | (g >> 4);
    out[i + 2] = (b << 3) | (b >> 2);
  }
  return out;
}

describe('(unit) raw screencap parsing', () => {
  for (const headerSize of [12, 16] as const) {
    for (const [name, format] of Object.entries(PixelFormat)) {
      it(`parses ${name} with a ${headerSize}-byte header`, () => {
        const buf = encodeRawScreencap(W, H, format, pixelsFor(format), headerSize, 1);
        const f = parseRawScreencap(buf);
        assert.equal(f.width, W);
        assert.equal(f.height, H);
        assert.equal(f.format, format);
        assert.equal(f.headerSize, headerSize);
        assert.equal(f.colorspace, headerSize === 16 ? 1 : undefined);
        assert.equal(f.rgba.length, W * H * 4);
        const expected = format === PixelFormat.RGB_565 ? expand565(RGBA) : RGBA;
        assert.deepEqual(Array.from(f.rgba), Array.from(expected));
      });
    }
  }

  it('keeps RGBA_8888 zero-copy (a view on the reply)', () => {
    const buf = encodeRawScreencap(W, H, PixelFormat.RGBA_8888, RGBA);
    const f = parseRawScreencap(buf);
    assert.equal(f.rgba.buffer, buf.buffer);
  });

  it('converts RGBX alpha at an unaligned offset too', () => {
    const inner = encodeRawScreencap(W, H, PixelFormat.RGBX_8888, pixelsFor(PixelFormat.RGBX_8888), 12);
    const shifted = Buffer.alloc(inner.length + 1);
    inner.copy(shifted, 1);
    const f = parseRawScreencap(shifted.subarray(1));
    assert.deepEqual(Array.from(f.rgba), Array.from(RGBA));
  });

  it('handles a full-size frame', () => {
    const w = 540;
    const h = 960;
    const px = new Uint8Array(w * h * 4).map((_, i) => i & 0xff);
    const f = parseRawScreencap(encodeRawScreencap(w, h, PixelFormat.RGBA_8888, px));
    assert.equal(f.rgba.length, w * h * 4);
    assert.equal(f.rgba[w * h * 4 - 1], (w * h * 4 - 1) & 0xff);
  });

  const bad: Array<[string, () => Buffer]> = [
    ['an empty reply', () => Buffer.alloc(0)],
    ['a reply shorter than a header', () => Buffer.alloc(11)],
    ['a truncated frame', () => encodeRawScreencap(W, H, PixelFormat.RGBA_8888, RGBA).subarray(0, 16 + 10)],
    ['a frame missing its last byte', () => encodeRawScreencap(W, H, PixelFormat.RGBA_8888, RGBA, 12).subarray(0, 12 + 23)],
    ['extra trailing bytes', () => Buffer.concat([encodeRawScreencap(W, H, PixelFormat.RGBA_8888, RGBA), Buffer.alloc(3)])],
    ['zero width', () => encodeRawScreencap(0, H, PixelFormat.RGBA_8888, new Uint8Array(0))],
    ['an absurd size', () => encodeRawScreencap(100000, 100000, PixelFormat.RGBA_8888, new Uint8Array(16))],
    ['an unknown format', () => encodeRawScreencap(W, H, 5 as PixelFormatCode, RGBA)],
    ['text instead of pixels', () => Buffer.from('/system/bin/sh: screencap: not found\n')],
  ];
  for (const [name, make] of bad) {
    it(`rejects ${name} with DeviceError('protocol')`, () => {
      assert.throws(() => parseRawScreencap(make(), 'emu-1'), (e: unknown) => isDeviceError(e, 'protocol') && e.serial === 'emu-1');
    });
  }

  /** Feeds `buf` to a collector in chunks of the given sizes (cycled), and returns what it assembled. */
  function collect(buf: Buffer, sizes: number[]): Buffer {
    const c = new RawScreencapCollector();
    for (let off = 0, i = 0; off < buf.length; i++) {
      const n = Math.max(1, sizes[i % sizes.length]);
      c.push(buf.subarray(off, off + n));
      off += n;
    }
    return c.finish();
  }

  for (const format of [PixelFormat.RGBA_8888, PixelFormat.RGBX_8888, PixelFormat.RGB_888, PixelFormat.RGB_565]) {
    for (const headerSize of [12, 16] as const) {
      it(`assembles a chunked format ${format} reply with a ${headerSize}-byte header byte-exact, whatever the chunking`, () => {
        const reply = encodeRawScreencap(W, H, format, pixelsFor(format), headerSize);
        for (const sizes of [[reply.length], [1], [5, 7], [11, 3], [12], [13, 2]]) {
          const got = collect(Buffer.from(reply), sizes);
          assert.ok(got.equals(reply), `chunks ${sizes.join(',')}`);
          assert.deepEqual([...parseRawScreencap(got).rgba], [...(format === PixelFormat.RGB_565 ? expand565(RGBA) : RGBA)]);
        }
      });
    }
  }

  it('assembles into one buffer: RGBA pixels are a view on it, not a copy', () => {
    const reply = encodeRawScreencap(W, H, PixelFormat.RGBA_8888, RGBA);
    const got = collect(Buffer.from(reply), [4, 9]);
    const f = parseRawScreencap(got);
    assert.equal(f.rgba.buffer, got.buffer);
    assert.equal(f.rgba.byteOffset, got.byteOffset + 16);
  });

  for (const [name, make] of bad) {
    it(`passes ${name} through the collector unchanged, so the parser rejects it`, () => {
      const reply = make();
      const got = collect(Buffer.from(reply), [3, 8]);
      assert.ok(got.equals(reply));
      assert.throws(() => parseRawScreencap(got, 'emu-1'), (e: unknown) => isDeviceError(e, 'protocol'));
    });
  }
});
