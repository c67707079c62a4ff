import { strict as assert } from 'node:assert';
import type { RawFrame } from '../../../src/bot/device';
import { copyInto, FrameBuffers } from '../../../src/bot/vision/frameBuffers';
import { MatcherPool } from '../../../src/bot/vision/matcherPool';
import { VisionService } from '../../../src/bot/vision/visionService';
import { FakeClock } from '../../support/fakeClock';

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
});
