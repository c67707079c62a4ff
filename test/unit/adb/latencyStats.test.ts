import { strict as assert } from 'node:assert';
import { LatencyRing, percentile } from '../../../src/bot/adb/latencyStats';

describe('(unit) latency stats', () => {
  it('is zero with no samples', () => {
    assert.deepEqual(new LatencyRing(8).summary(), { p50: 0, p95: 0, n: 0 });
  });

  it('computes nearest-rank p50 and p95', () => {
    const r = new LatencyRing(100);
    for (let i = 100; i >= 1; i--) {
      r.add(i);
    }
    assert.deepEqual(r.summary(), { p50: 50, p95: 95, n: 100 });
    assert.equal(percentile([7], 0.95), 7);
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
    assert.equal(percentile([1, 2, 3, 4], 0.95), 4);
  });

  it('keeps only the most recent samples, oldest first', () => {
    const r = new LatencyRing(3);
    [1, 2, 3, 4, 5].forEach((v) => r.add(v));
    assert.deepEqual(r.values(), [3, 4, 5]);
    assert.equal(r.summary().n, 3);
    assert.equal(r.summary().p50, 4);
  });

  it('ignores invalid samples and clears', () => {
    const r = new LatencyRing(4);
    r.add(-1);
    r.add(Number.NaN);
    r.add(Number.POSITIVE_INFINITY);
    r.add(2.5);
    assert.deepEqual(r.values(), [2.5]);
    r.clear();
    assert.equal(r.size, 0);
  });

  it('rejects a bad capacity', () => {
    assert.throws(() => new LatencyRing(0), RangeError);
  });
});
