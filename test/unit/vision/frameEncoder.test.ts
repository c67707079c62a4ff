import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import { FramePool } from '../../../src/bot/adb/framePool';
import { FrameRecycledError, type RawFrame } from '../../../src/bot/device';
import { encodeJpeg, jpegSize } from '../../../src/bot/vision/frameEncoder';
import { isVisionError } from '../../../src/bot/vision/visionError';
import { syntheticImage, type Rgba } from './synthetic';

async function decode(jpeg: Buffer): Promise<Rgba & { format?: string }> {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const meta = await sharp(jpeg).metadata();
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), format: meta.format };
}

/** Mean absolute difference per RGB channel between an RGBA image and an RGB one of the same size. */
function meanError(rgba: Rgba, rgb: Rgba): number {
  let sum = 0;
  const n = rgba.width * rgba.height;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      sum += Math.abs(rgba.data[i * 4 + c] - rgb.data[i * 3 + c]);
    }
  }
  return sum / (n * 3);
}

/** The image shrunk by an integer factor with a box filter (what a thumbnail should look like). */
function boxShrink(img: Rgba, k: number): Rgba {
  const width = img.width / k;
  const height = img.height / k;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let dy = 0; dy < k; dy++) {
          for (let dx = 0; dx < k; dx++) {
            s += img.data[((y * k + dy) * img.width + x * k + dx) * 4 + c];
          }
        }
        data[(y * width + x) * 4 + c] = Math.round(s / (k * k));
      }
    }
  }
  return { width, height, data };
}

describe('(unit) frame encoder: JPEG with sharp', function () {
  this.timeout(20_000);
  const img = syntheticImage(540, 960, 3);
  const frame: RawFrame = { ...img, capturedAt: 0, id: 1 };

  it('encodes a frame as a JPEG that decodes back to the same size and nearly the same pixels', async () => {
    const jpeg = await encodeJpeg(frame, { quality: 90 });
    const back = await decode(jpeg);
    assert.equal(back.format, 'jpeg');
    assert.equal(back.width, 540);
    assert.equal(back.height, 960);
    const err = meanError(img, back);
    assert.ok(err < 4, `mean error ${err.toFixed(2)} per channel`);
    // Lower quality: smaller, still close.
    const small = await encodeJpeg(frame, { quality: 40 });
    assert.ok(small.length < jpeg.length);
    assert.ok(meanError(img, await decode(small)) < 8);
  });

  it('scales thumbnails down by maxWidth, maxHeight or scale, keeping the aspect ratio and the picture', async () => {
    const reference = boxShrink(img, 2);
    for (const opts of [{ maxWidth: 270 }, { scale: 0.5 }, { maxHeight: 480 }, { maxWidth: 300, maxHeight: 480 }]) {
      const back = await decode(await encodeJpeg(frame, opts));
      assert.deepEqual([back.width, back.height], [270, 480], JSON.stringify(opts));
      const err = meanError(reference, back);
      assert.ok(err < 7, `${JSON.stringify(opts)}: mean error ${err.toFixed(2)} against a box-filtered half`);
    }
    const tiny = await decode(await encodeJpeg(frame, { maxWidth: 54 }));
    assert.deepEqual([tiny.width, tiny.height], [54, 96]);
  });

  it('computes output sizes and never enlarges', () => {
    assert.deepEqual(jpegSize({ width: 1080, height: 1920 }, {}), { width: 1080, height: 1920 });
    assert.deepEqual(jpegSize({ width: 1080, height: 1920 }, { maxWidth: 540 }), { width: 540, height: 960 });
    assert.deepEqual(jpegSize({ width: 1080, height: 1920 }, { maxWidth: 4000 }), { width: 1080, height: 1920 });
    assert.deepEqual(jpegSize({ width: 1080, height: 1920 }, { scale: 0.25, maxHeight: 960 }), { width: 270, height: 480 });
    assert.deepEqual(jpegSize({ width: 540, height: 960 }, { maxHeight: 100 }), { width: 56, height: 100 });
    assert.deepEqual(jpegSize({ width: 3, height: 3 }, { scale: 0.01 }), { width: 1, height: 1 });
  });

  it('rejects bad options and bad frames with VisionError invalid-frame', async () => {
    for (const opts of [{ quality: 0 }, { quality: 101 }, { quality: 50.5 }, { scale: 0 }, { scale: 1.5 }, { scale: Number.NaN }, { maxWidth: 0 }, { maxHeight: -3 }, { maxWidth: 10.5 }]) {
      await assert.rejects(encodeJpeg(frame, opts), (e: unknown) => isVisionError(e, 'invalid-frame'), JSON.stringify(opts));
    }
    await assert.rejects(encodeJpeg({ width: 4, height: 4, data: new Uint8Array(10) }), (e: unknown) => isVisionError(e, 'invalid-frame'));
  });

  it('retains a frame in recycled capture memory until sharp has read it, and refuses a recycled one', async () => {
    const pool = new FramePool(1);
    const capture = (id: number, pixels: Uint8Array): RawFrame => {
      const memory = pool.acquire(pixels.byteLength);
      memory.bytes.set(pixels);
      return { width: 540, height: 960, data: new Uint8Array(memory.bytes.buffer), capturedAt: id, id, lease: pool.publish(memory, id) };
    };
    const pooled = capture(1, img.data);
    const pending = encodeJpeg(pooled, { quality: 90 });
    assert.equal(pool.stats().retained, 1, 'retained while encoding');
    // The device captures on meanwhile: frame 1's memory must not be reused under sharp's feet.
    const blank = new Uint8Array(img.data.byteLength);
    capture(2, blank);
    capture(3, blank);
    assert.ok(pooled.lease!.valid);
    const back = await decode(await pending);
    assert.ok(meanError(img, back) < 4, 'the encoded picture is frame 1, not a newer capture');
    assert.equal(pool.stats().retained, 0, 'released when done');
    capture(4, blank);
    capture(5, blank);
    assert.equal(pooled.lease!.valid, false);
    await assert.rejects(encodeJpeg(pooled), (e: unknown) => e instanceof FrameRecycledError && e.frameId === 1);
  });
});
