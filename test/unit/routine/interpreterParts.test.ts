import { strict as assert } from 'node:assert';
import { changedFraction } from '../../../src/bot/routine/actions/waits';
import { normaliseKey } from '../../../src/bot/routine/actions/input';
import { compare } from '../../../src/bot/routine/conditions';
import { isRoutineError, RoutineError } from '../../../src/bot/routine/errors';
import { FrameCache } from '../../../src/bot/routine/frameCache';
import { RoutineClock } from '../../../src/bot/routine/routineClock';
import { interpolateDeep, interpolateString, resolveDuration, resolveNumber } from '../../../src/bot/routine/interpolate';
import { SentryScheduler } from '../../../src/bot/routine/sentries';
import { StuckDetector } from '../../../src/bot/routine/stuck';
import { isTruthy, VariableScope } from '../../../src/bot/routine/variables';
import type { RawFrame } from '../../../src/bot/device';
import type { LoadedSentry } from '../../../src/bot/routine/loadedTypes';
import { FakeClock } from '../../support/fakeClock';
import { ScriptedDevice } from '../../support/scriptedDevice';

const RANGE = { file: 'routines/x.yaml', start: { line: 7, col: 3 }, end: { line: 7, col: 9 }, offset: [0, 1] as [number, number] };

function frame(id: number, fill: number, w = 4, h = 4): RawFrame {
  return { width: w, height: h, data: new Uint8Array(w * h * 4).fill(fill), capturedAt: 0, id };
}

describe('(unit) routine interpreter parts: variables, interpolation, stuck detector, frame cache', () => {
  it('variable scopes read through to parents and write locally', () => {
    const root = new VariableScope(undefined, { cycle: 1 });
    const a = new VariableScope(root, { x: 1 });
    const b = new VariableScope(a);
    b.set('x', 2);
    assert.deepEqual([a.get('x'), b.get('x'), b.get('cycle'), b.get('nope')], [1, 2, 1, undefined]);
    assert.deepEqual(b.snapshot(), { cycle: 1, x: 2 });
    assert.deepEqual(b.ownSnapshot(), { x: 2 });
    assert.equal(b.root(), root);
    assert.deepEqual(['true', 'false', '0', '', 0, 2, null, 'x'].map(isTruthy), [true, false, false, false, false, true, false, true]);
  });

  it('interpolation is typed after substitution and errors are located', () => {
    const vars: Record<string, unknown> = { n: 5, s: 'abc', d: '2s' };
    const look = (k: string) => vars[k];
    assert.equal(interpolateString('${n}', look), 5);
    assert.equal(interpolateString('n=${n}${s}', look), 'n=5abc');
    assert.equal(resolveNumber('${n}', look, 'x'), 5);
    assert.equal(resolveDuration('${d}', look, 't'), 2000);
    assert.equal(resolveDuration('1.5s', look, 't'), 1500);
    assert.deepEqual(interpolateDeep({ a: ['${s}', 1], b: { c: '${n}' } }, look), { a: ['abc', 1], b: { c: 5 } });
    assert.throws(
      () => resolveNumber('${s}', look, 'tap.x', RANGE),
      (e: unknown) => isRoutineError(e, 'invalid-value') && e.range === RANGE && /tap.x: expected a number, got 'abc'/.test(e.message),
    );
    assert.throws(
      () => interpolateString('hi ${who}', look, RANGE),
      (e: unknown) => isRoutineError(e, 'missing-variable') && e.range?.start.line === 7 && /'who'/.test(e.message),
    );
    assert.throws(() => resolveNumber(3.5, look, 'n', RANGE, { int: true }), RoutineError);
  });

  it('compares numerically when both sides are numbers, as text otherwise', () => {
    assert.equal(compare('10', 'gt', 9), true);
    assert.equal(compare(5, 'eq', '5'), true);
    assert.equal(compare(true, 'eq', 'true'), true);
    assert.equal(compare('abc', 'ne', 'abd'), true);
    assert.equal(compare('bot_12', 'matches', '^bot_\\d+$'), true);
    assert.throws(() => compare('abc', 'lt', 3), (e: unknown) => isRoutineError(e, 'invalid-value'));
  });

  it('normalises keys', () => {
    assert.deepEqual([normaliseKey('back', RANGE), normaliseKey('KEYCODE_HOME', RANGE), normaliseKey('66', RANGE), normaliseKey(4, RANGE)], ['KEYCODE_BACK', 'KEYCODE_HOME', 66, 4]);
    assert.throws(() => normaliseKey('a b', RANGE), (e: unknown) => isRoutineError(e, 'invalid-value'));
  });

  it('the stuck detector climbs one rung per detection and starts over after a clean window', () => {
    const d = new StuckDetector({ sameTarget: { count: 2, window: 3 }, noProgressMs: 1000, ladder: ['back', 'notify'] }, 0);
    d.stepCompleted(10, 't:a');
    assert.equal(d.check(10), undefined);
    d.stepCompleted(20, 't:a');
    const first = d.check(20);
    assert.deepEqual([first?.reason, first?.rung, first?.rungIndex], ['same-target', 'back', 0]);
    assert.equal(d.check(500), undefined);
    assert.deepEqual(d.check(1020)?.rung, 'notify');
    assert.equal(d.check(2020)?.rung, undefined);
    // Three clean steps reset the ladder.
    for (let i = 0; i < 3; i++) {
      d.stepCompleted(3000 + i, undefined);
    }
    assert.equal(d.nextRungIndex, 0);
    assert.equal(d.deadline(), 4002);
  });

  it('the sentry scheduler reports due sentries and honours cooldowns', () => {
    const s = new SentryScheduler();
    const owner = {};
    const def = { name: 'a' } as LoadedSentry;
    s.push(owner, [{ def, everyMs: 100, cooldownMs: 1000 }], 0);
    const [a] = s.due(0);
    s.checked(a, 0);
    assert.equal(s.nextDue(), 100);
    s.firedAt(a, 150);
    assert.equal(s.nextDue(), 1150);
    s.pop(owner);
    assert.equal(s.nextDue(), undefined);
  });

  it('the frame cache reuses a frame until invalidated or too old', async () => {
    const clock = new FakeClock(false);
    const dev = new ScriptedDevice({ clock, start: 'a', screens: { a: {} } });
    const cache = new FrameCache(dev, clock, 100);
    const f1 = await cache.get();
    assert.equal(await cache.get(), f1);
    await clock.advance(99);
    assert.equal(await cache.get(), f1);
    await clock.advance(1);
    const f2 = await cache.get();
    assert.notEqual(f2, f1);
    cache.invalidate();
    assert.notEqual(await cache.get(), f2);
    assert.equal(dev.screenshots, 3);
    assert.equal(cache.hits, 2);
  });

  it('counts changed pixels inside a region', () => {
    const a = frame(1, 10);
    const b = frame(2, 10);
    b.data.set([200, 200, 200, 255], 0);
    assert.equal(changedFraction(a, b), 1 / 16);
    assert.equal(changedFraction(a, b, { x: 2, y: 2, w: 2, h: 2 }), 0);
    assert.equal(changedFraction(a, b, { x: 0, y: 0, w: 1, h: 1 }), 1);
    assert.equal(changedFraction(a, frame(3, 20)), 0);
    assert.equal(changedFraction(a, frame(4, 10, 8, 8)), 1);
  });

  it('the routine clock stands still while suspended: sleeps are extended by the suspension, wall time is the real one', async () => {
    const real = new FakeClock(false);
    const rc = new RoutineClock(real);
    let woke = -1;
    const sleeping = rc.sleep(1000).then(() => (woke = real.now()));
    await real.advance(300);
    rc.suspend();
    rc.suspend();
    assert.equal(rc.suspended, true);
    await real.advance(5000);
    assert.deepEqual([rc.now(), woke], [300, -1], 'no routine time passes, the sleep waits');
    const running = rc.whenRunning();
    rc.resume();
    await running;
    assert.equal(rc.now(), 300);
    await real.advance(699);
    assert.equal(woke, -1);
    await real.advance(1);
    await sleeping;
    assert.deepEqual([woke, rc.now()], [6000, 1000]);
    assert.equal(rc.wallNow().getTime(), real.wallNow().getTime());
    rc.suspend();
    const ctrl = new AbortController();
    const waiting = rc.whenRunning(ctrl.signal);
    ctrl.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
    rc.resume();
    rc.resume();
    assert.equal(rc.suspended, false);
  });
});
