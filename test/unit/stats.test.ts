import { strict as assert } from 'node:assert';
import { LatencyWindow, percentile, SampleRing } from '../../src/shared/stats';

describe('(unit) sample statistics', () => {
  it('the nearest-rank percentile: undefined with no samples, the lower median for an even count', () => {
    assert.equal(percentile([], 0.5), undefined);
    assert.equal(percentile([7], 0.95), 7);
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
    assert.equal(percentile([1, 2, 3, 4], 0.95), 4);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), 5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95), 10);
    assert.equal(percentile([1, 2, 3], -1), 1, 'fractions are clamped');
    assert.equal(percentile([1, 2, 3], 2), 3);
  });

  it('a latency window summarises its recent samples: p50, p95, the last one, and every sample counted', () => {
    const w = new LatencyWindow(100);
    assert.deepEqual(w.summary(), { count: 0 });
    for (let i = 100; i >= 1; i--) {
      w.add(i);
    }
    assert.deepEqual(w.summary(), { count: 100, p50: 50, p95: 95, last: 1 });
    const small = new LatencyWindow(4);
    for (const v of [100, 1, 2, 3, 4]) {
      small.add(v);
    }
    small.add(Number.NaN);
    small.add(-1);
    assert.deepEqual(small.summary(), { count: 5, p50: 2, p95: 4, last: 4 });
  });

  it('a sample ring keeps only the most recent samples, oldest first; ignores invalid ones; clears', () => {
    const r = new SampleRing(3);
    [1, 2, 3, 4, 5].forEach((v) => r.add(v));
    assert.deepEqual(r.values(), [3, 4, 5]);
    const q = new SampleRing(4);
    q.add(-1);
    q.add(Number.NaN);
    q.add(Number.POSITIVE_INFINITY);
    q.add(2.5);
    assert.deepEqual(q.values(), [2.5]);
    q.clear();
    assert.equal(q.size, 0);
  });

  it('rejects a bad capacity', () => {
    assert.throws(() => new SampleRing(0), RangeError);
    assert.throws(() => new LatencyWindow(0), RangeError);
  });
});
