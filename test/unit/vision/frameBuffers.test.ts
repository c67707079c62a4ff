import { strict as assert } from 'node:assert';
import { FramePool } from '../../../src/bot/adb/framePool';
import type { RawFrame } from '../../../src/bot/device';
import { createTemplateImage, cropRgba } from '../../../src/bot/vision/frame';
import { copyInto, FrameBuffers } from '../../../src/bot/vision/frameBuffers';
import { MatcherPool } from '../../../src/bot/vision/matcherPool';
import { VisionService } from '../../../src/bot/vision/visionService';
import { FakeClock } from '../../support/fakeClock';
import { syntheticImage } from './synthetic';

describe('(unit) vision shared frame buffers', () => {
  it('creates slots up to the limit, then recycles the least recently used idle one', () => {
    const b = new FrameBuffers(2);
    const a1 = b.acquire(16);
    const a2 = b.acquire(16);
    assert.notEqual(a1, a2);
    let reused = 0;
    a1.onReuse = () => reused++;
    a2.inflight = 1; // busy: never handed out
    const a3 = b.acquire(16);
    assert.equal(a3, a1);
    assert.equal(reused, 1);
    a3.inflight = 1;
    const a4 = b.acquire(16);
    assert.ok(a4 !== a1 && a4 !== a2, 'all busy: a new slot');
    assert.notEqual(b.acquire(32), a4, 'sizes are kept apart');
    assert.ok(a1.bytes.buffer instanceof SharedArrayBuffer);
  });

  it('copies into a fresh slot over several event-loop turns, and at once into a used one', async () => {
    const b = new FrameBuffers(1);
    const data = Uint8Array.from({ length: 2 * 1024 * 1024 }, (_, i) => i % 251);
    const slot = b.acquire(data.length);
    const pending = copyInto(slot, data);
    assert.ok(pending, 'fresh and large: asynchronous');
    assert.equal(slot.inflight, 1, 'not recycled while copying');
    await pending;
    assert.equal(slot.inflight, 0);
    assert.ok(Buffer.from(slot.bytes).equals(Buffer.from(data)));
    const again = Uint8Array.from(data, (v) => 255 - v);
    assert.equal(copyInto(slot, again), undefined, 'recycled: synchronous');
    assert.ok(Buffer.from(slot.bytes).equals(Buffer.from(again)));
  });

  it('copies a large frame into a recycled slot over several turns too, never blocking on one big copy', async () => {
    const b = new FrameBuffers(1);
    const data = Uint8Array.from({ length: 5 * 1024 * 1024 + 3 }, (_, i) => (i * 7) % 253);
    const slot = b.acquire(data.length);
    await copyInto(slot, new Uint8Array(data.length));
    assert.equal(slot.fresh, false);
    const pending = copyInto(slot, data);
    assert.ok(pending, 'larger than one warm chunk: asynchronous');
    assert.equal(slot.inflight, 1);
    await pending;
    assert.equal(slot.inflight, 0);
    assert.ok(Buffer.from(slot.bytes).equals(Buffer.from(data)));
    const gen = slot.generation;
    assert.equal(b.acquire(data.length), slot, 'idle again: recycled');
    assert.equal(slot.generation, gen + 1, 'each hand-out is a new generation');
  });

  it('re-prepares a frame whose buffer went to newer frames', () => {
    const pool = new MatcherPool({ size: 1 });
    const vision = new VisionService({ registry: { resolve: () => assert.fail(), image: () => assert.fail() }, pool, clock: new FakeClock(), frameBuffers: 2 });
    const frame = (v: number): RawFrame => ({ width: 4, height: 4, data: new Uint8Array(64).fill(v), capturedAt: 0, id: 1 });
    const f1 = frame(1);
    const p1 = vision.prepareFrame(f1);
    assert.equal(vision.prepareFrame(f1).key, p1.key);
    vision.prepareFrame(frame(2));
    vision.prepareFrame(frame(3)); // takes f1's slot
    const again = vision.prepareFrame(f1);
    assert.notEqual(again.key, p1.key);
    assert.deepEqual([...new Set(again.pixels)], [1]);
    pool.dispose();
  });

  it('retains a frame in recycled capture memory while copying it, so newer captures cannot take its memory mid-copy', async () => {
    const img = syntheticImage(540, 960, 5);
    const capturePool = new FramePool(1);
    const capture = (id: number, pixels: Uint8Array): RawFrame => {
      const memory = capturePool.acquire(pixels.byteLength);
      memory.bytes.set(pixels);
      const lease = capturePool.publish(memory, id);
      return { width: 540, height: 960, data: new Uint8Array(memory.bytes.buffer), capturedAt: id, id, lease };
    };
    const frame = capture(1, img.data);
    const tpl = createTemplateImage('templates/x.png', cropRgba(img, { x: 300, y: 100, w: 48, h: 32 }));
    const spec = { name: 'x', image: tpl.path, threshold: 0.8, referenceSize: { width: 540, height: 960 }, mode: 'gray' as const, mask: false, maxCount: 10, nmsIou: 0.3, preload: false };
    const pool = new MatcherPool({ size: 1 });
    try {
      const vision = new VisionService({ registry: { resolve: () => assert.fail(), image: () => assert.fail() }, pool, clock: new FakeClock(), frameBuffers: 2 });
      // A 2 MB frame into a fresh shared slot is copied over several event-loop turns...
      const pending = vision.matchImage(frame, spec, tpl);
      assert.equal(capturePool.stats().retained, 1, 'the frame is retained during the copy');
      // ...while the device captures more frames: without the retain, the second would recycle frame 1's memory.
      const blank = new Uint8Array(img.data.byteLength);
      capture(2, blank);
      capture(3, blank);
      assert.ok(frame.lease!.valid);
      const r = await pending;
      assert.equal(r.found, true);
      assert.deepEqual(r.box, { x: 300, y: 100, w: 48, h: 32 });
      assert.ok(r.score > 0.99);
      assert.equal(capturePool.stats().retained, 0, 'released once copied');
      capture(4, blank);
      capture(5, blank);
      assert.equal(frame.lease!.valid, false, 'then recycled as usual');
    } finally {
      pool.dispose();
    }
  });
});
