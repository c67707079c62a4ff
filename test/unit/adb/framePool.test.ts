import { strict as assert } from 'node:assert';
import { FrameRecycledError, isFrameValid, retainFrame, type RawFrame } from '../../../src/bot/device';
import { FramePool, type PoolBuffer } from '../../../src/bot/adb/framePool';
import { validateFrame } from '../../../src/bot/vision/frame';
import { isVisionError } from '../../../src/bot/vision/visionError';

const W = 4;
const H = 2;
const BYTES = W * H * 4;

/** A "capture" through the pool: memory acquired, filled with `fill`, published as a frame (like AdbDevice). */
function capture(pool: FramePool, id: number, fill: number, byteLength = BYTES): { frame: RawFrame; memory: PoolBuffer } {
  const memory = pool.acquire(byteLength);
  memory.bytes.fill(fill);
  const lease = pool.publish(memory, id);
  const data = new Uint8Array(memory.bytes.buffer, 0, byteLength);
  return { frame: { width: W, height: byteLength / (W * 4), data, capturedAt: id, id, lease }, memory };
}

describe('(unit) adb frame pool: recycled capture memory and its contract', () => {
  it('keeps the most recent `keep` frames readable and reuses the memory of older ones', () => {
    const pool = new FramePool(2);
    const frames = [1, 2, 3, 4, 5].map((i) => capture(pool, i, i).frame);
    // In steady state: `keep` frames plus the one being written.
    assert.equal(pool.stats().buffers, 3);
    const [f1, f2, f3, f4, f5] = frames;
    for (const f of [f4, f5]) {
      assert.ok(f.lease!.valid);
      assert.deepEqual([...new Set(f.data)], [f.id], `frame ${f.id} still holds its own pixels`);
    }
    for (const f of [f1, f2]) {
      assert.equal(f.lease!.valid, false, `frame ${f.id} was recycled`);
    }
    // f3 has exactly `keep` newer frames: still valid until the next capture starts.
    assert.ok(f3.lease!.valid);
    capture(pool, 6, 6);
    assert.equal(f3.lease!.valid, false);
    assert.equal(pool.stats().buffers, 3, 'no new memory in steady state');
  });

  it('catches use after recycle: a recycled frame reads nothing, never a newer frame\'s pixels', () => {
    const pool = new FramePool(1);
    const { frame: old } = capture(pool, 1, 0x11);
    const kept = old.data; // a consumer that kept the view past the contract
    capture(pool, 2, 0x22);
    const { memory } = capture(pool, 3, 0x33); // reuses frame 1's memory
    assert.equal(memory.bytes[0], 0x33);
    // The same memory now holds frame 3, but frame 1's view is detached: zero bytes, every read undefined.
    assert.equal(kept.byteLength, 0);
    assert.equal(kept.length, 0);
    assert.equal(kept[0], undefined);
    assert.equal(old.data.byteLength, 0);
    assert.equal(isFrameValid(old), false);
    assert.throws(() => retainFrame(old), (e: unknown) => e instanceof FrameRecycledError && e.frameId === 1);
    // Vision refuses it with a clear message instead of matching on nothing.
    assert.throws(() => validateFrame(old), (e: unknown) => isVisionError(e, 'invalid-frame') && /frame 1 was recycled/.test(e.message));
    // Native code gets no pointer either: no Buffer can even be made over the detached memory.
    assert.throws(() => Buffer.from(kept.buffer), TypeError);
  });

  it('never recycles a retained frame (it allocates instead) and reuses it once released', () => {
    const pool = new FramePool(1);
    const { frame: f1 } = capture(pool, 1, 1);
    const release = retainFrame(f1);
    for (let i = 2; i <= 6; i++) {
      capture(pool, i, i);
    }
    assert.ok(f1.lease!.valid);
    assert.deepEqual([...new Set(f1.data)], [1], 'a retained frame keeps its pixels');
    assert.equal(pool.stats().retained, 1);
    assert.equal(pool.stats().buffers, 3, 'keep 1 + the one written + the retained one');
    release();
    release(); // idempotent: the second call must not release someone else's retain
    assert.equal(pool.stats().retained, 0);
    capture(pool, 7, 7);
    assert.equal(f1.lease!.valid, false, 'released and old: recycled');
    assert.equal(pool.stats().buffers, 3);
  });

  it('counts retains: the memory stays until every holder released it', () => {
    const pool = new FramePool(1);
    const { frame } = capture(pool, 1, 9);
    const a = retainFrame(frame);
    const b = retainFrame(frame);
    capture(pool, 2, 2);
    capture(pool, 3, 3);
    a();
    capture(pool, 4, 4);
    assert.ok(frame.lease!.valid, 'still retained by b');
    b();
    capture(pool, 5, 5);
    assert.equal(frame.lease!.valid, false);
  });

  it('reuses the memory of a frame released early first', () => {
    const pool = new FramePool(3);
    const { frame: f1 } = capture(pool, 1, 1);
    const { frame: f2 } = capture(pool, 2, 2);
    f2.lease!.release();
    f2.lease!.release();
    capture(pool, 3, 3);
    assert.equal(f2.lease!.valid, false, 'the released frame went first');
    assert.ok(f1.lease!.valid, 'an older frame still within `keep` is untouched');
    assert.equal(pool.stats().buffers, 2);
  });

  it('a release does not cut a retain short', () => {
    const pool = new FramePool(1);
    const { frame } = capture(pool, 1, 1);
    const hold = retainFrame(frame);
    frame.lease!.release();
    capture(pool, 2, 2);
    capture(pool, 3, 3);
    assert.ok(frame.lease!.valid);
    hold();
    capture(pool, 4, 4);
    assert.equal(frame.lease!.valid, false);
  });

  it('keeps sizes apart, drops discarded memory, and leaves frames valid when disposed', () => {
    const pool = new FramePool(1);
    const small = capture(pool, 1, 1).frame;
    const big = capture(pool, 2, 2, BYTES * 2).frame;
    capture(pool, 3, 3);
    assert.ok(big.lease!.valid, 'another size never takes its memory');
    assert.equal(small.lease!.valid, false);
    const failed = pool.acquire(BYTES);
    const before = pool.stats().buffers;
    pool.discard(failed);
    assert.equal(pool.stats().buffers, before - 1);
    const last = capture(pool, 4, 4).frame;
    pool.dispose();
    assert.ok(last.lease!.valid);
    assert.deepEqual([...new Set(last.data)], [4]);
    assert.equal(pool.stats().buffers, 0);
    // After dispose, captures still work, unpooled.
    assert.deepEqual([...new Set(capture(pool, 5, 5).frame.data)], [5]);
  });

  it('frames that own their memory need no retain', () => {
    const frame: RawFrame = { width: 1, height: 1, data: new Uint8Array(4), capturedAt: 0, id: 1 };
    assert.ok(isFrameValid(frame));
    const release = retainFrame(frame);
    release();
    validateFrame(frame);
  });

  it('refuses a keep below 1', () => {
    assert.throws(() => new FramePool(0), RangeError);
  });
});
