import { strict as assert } from 'node:assert';
import { DisposableStore, Emitter, toDisposable, waitForEvent } from '../../src/shared/lifecycle';

describe('(unit) lifecycle', () => {
  it('isolates listener errors and unsubscribes', () => {
    const errors: unknown[] = [];
    const em = new Emitter<number>((e) => errors.push(e));
    const seen: number[] = [];
    em.event(() => {
      throw new Error('boom');
    });
    const sub = em.event((n) => seen.push(n));
    em.fire(1);
    sub.dispose();
    em.fire(2);
    assert.deepEqual(seen, [1]);
    assert.equal(errors.length, 2);
  });

  it('disposes items added after dispose at once', () => {
    const store = new DisposableStore();
    store.dispose();
    let n = 0;
    store.add(toDisposable(() => n++));
    assert.equal(n, 1);
  });

  it('waitForEvent resolves on a matching event', async () => {
    const em = new Emitter<number>();
    const p = waitForEvent(em.event, (n) => n > 2, 1000);
    em.fire(1);
    em.fire(3);
    assert.equal(await p, 3);
  });
});
