import { strict as assert } from 'node:assert';
import { isDeviceError } from '../../../src/bot/device';
import { FramePool } from '../../../src/bot/adb/framePool';
import { encodeRawScreencap, parseRawScreencap, PixelFormat, RawScreencapReceiver, type PixelFormatCode, type ReceivedFrame } from '../../../src/bot/adb/rawScreencap';

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

  for (const [name, make] of bad) {
    it(`rejects ${name} with DeviceError('protocol')`, () => {
      assert.throws(() => parseRawScreencap(make(), 'emu-1'), (e: unknown) => isDeviceError(e, 'protocol') && e.serial === 'emu-1');
    });
  }
});

describe('(unit) raw screencap received straight into pooled frame memory', () => {
  /**
   * Delivers `reply` to a receiver the way the socket does: each read fills at most `sizes[i]` bytes (cycled) of
   * the memory `next()` hands out, and Node asks for the next buffer after every read, the last one included.
   */
  function receive(pool: FramePool, reply: Uint8Array, sizes: number[], serial = 'emu-1'): ReceivedFrame {
    const r = new RawScreencapReceiver(pool, serial);
    for (let off = 0, i = 0; off < reply.length; i++) {
      const dest = r.next();
      assert.ok(dest.length > 0, 'never an empty buffer');
      const n = Math.min(dest.length, Math.max(1, sizes[i % sizes.length]), reply.length - off);
      dest.set(reply.subarray(off, off + n));
      r.wrote(n);
      off += n;
    }
    assert.ok(r.next().length > 0);
    return r.finish();
  }

  for (const format of [PixelFormat.RGBA_8888, PixelFormat.RGBX_8888, PixelFormat.RGB_888, PixelFormat.RGB_565]) {
    for (const headerSize of [12, 16] as const) {
      it(`receives a format ${format} reply with a ${headerSize}-byte header pixel-exact, whatever the reads`, () => {
        const reply = encodeRawScreencap(W, H, format, pixelsFor(format), headerSize, 1);
        for (const sizes of [[reply.length + 100], [1], [5, 7], [11, 3], [12], [13, 2], [4096]]) {
          const pool = new FramePool(1);
          const f = receive(pool, reply, sizes);
          assert.equal(f.width, W);
          assert.equal(f.height, H);
          assert.equal(f.format, format);
          assert.equal(f.headerSize, headerSize);
          assert.equal(f.colorspace, headerSize === 16 ? 1 : undefined);
          assert.deepEqual([...f.rgba], [...(format === PixelFormat.RGB_565 ? expand565(RGBA) : RGBA)], `reads ${sizes.join(',')}`);
          assert.equal(f.rgba.buffer, f.memory.bytes.buffer, 'the pixels live in pooled memory');
          assert.equal(pool.stats().buffers, format === PixelFormat.RGB_888 || format === PixelFormat.RGB_565 ? 2 : 1, 'a staging buffer only for expanded formats');
        }
      });
    }
  }

  it('keeps RGBA_8888 where the socket put it (a view, no copy)', () => {
    const pool = new FramePool(1);
    const f = receive(pool, encodeRawScreencap(W, H, PixelFormat.RGBA_8888, RGBA), [9]);
    assert.equal(f.rgba.byteOffset, 16);
    assert.equal(f.rgba.byteLength, W * H * 4);
  });

  it('reuses memory across captures: keep + 1 buffers in steady state', () => {
    const pool = new FramePool(2);
    const reply = encodeRawScreencap(W, H, PixelFormat.RGBA_8888, RGBA);
    for (let id = 1; id <= 10; id++) {
      const f = receive(pool, reply, [7]);
      pool.publish(f.memory, id);
    }
    assert.equal(pool.stats().buffers, 3);
  });

  for (const [name, make] of bad) {
    it(`reports ${name} exactly as the parser does, and gives no memory to the pool`, () => {
      const reply = make();
      let expected = '';
      try {
        parseRawScreencap(Buffer.from(reply), 'emu-1');
      } catch (e) {
        expected = (e as Error).message;
      }
      assert.ok(expected, 'the parser rejects it');
      for (const sizes of [[3, 8], [reply.length + 1]]) {
        const pool = new FramePool(1);
        assert.throws(
          () => receive(pool, reply, sizes),
          (e: unknown) => isDeviceError(e, 'protocol') && e.message === expected && e.serial === 'emu-1',
        );
        assert.equal(pool.stats().buffers, 0, 'the failed capture\'s memory was discarded');
      }
    });
  }

  it('reads a reply far longer than its header says to the end, then rejects it', () => {
    const pool = new FramePool(1);
    const reply = Buffer.concat([encodeRawScreencap(W, H, PixelFormat.RGBA_8888, RGBA), Buffer.alloc(200_000, 7)]);
    assert.throws(() => receive(pool, reply, [50_000]), (e: unknown) => isDeviceError(e, 'protocol') && e.message === `raw screencap reply of ${reply.length} bytes does not match a 3x2 frame of format 1`);
    assert.equal(pool.stats().buffers, 0);
  });

  it('never allocates for a header larger than 8K, however plausible', () => {
    const pool = new FramePool(1);
    const reply = encodeRawScreencap(16000, 16000, PixelFormat.RGBA_8888, new Uint8Array(64));
    assert.throws(() => receive(pool, reply, [30]), (e: unknown) => isDeviceError(e, 'protocol') && /does not match a 16000x16000 frame/.test(e.message));
    assert.equal(pool.stats().buffers, 0);
  });

  it('an abandoned capture leaves nothing in the pool', () => {
    const pool = new FramePool(1);
    const r = new RawScreencapReceiver(pool);
    const reply = encodeRawScreencap(W, H, PixelFormat.RGBA_8888, RGBA);
    const dest = r.next();
    dest.set(reply.subarray(0, dest.length));
    r.wrote(dest.length);
    r.next();
    assert.equal(pool.stats().buffers, 1);
    r.abandon();
    assert.equal(pool.stats().buffers, 0);
  });
});
