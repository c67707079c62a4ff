import { strict as assert } from 'node:assert';
import { RoutineDebugError } from '../../../src/bot/routine/debug';
import { debugHarness, y } from './debugHarness';

const SCREENS = { home: { templates: { ok_button: { x: 100, y: 200, w: 80, h: 40 } } }, other: {} };

describe('(unit) routine debugger: screen', () => {
  it('gives the frame the conditions looked at while nothing changed the screen, else a capture made now', async () => {
    const h = debugHarness({
      screens: SCREENS,
      routines: {
        main: y(
          'steps:', // 1
          '  - if: { image: ok_button }', // 2
          '    then: [ { log: seen } ]', // 3
          '  - log: after', // 4
          '  - tap: { x: 1, y: 1 }', // 5
          '  - log: tapped', // 6
        ),
      },
    });
    h.dbg.setBreakpoints('routines/main.yaml', [{ line: 4 }, { line: 6 }]);
    const run = h.run('main');
    assert.equal((await h.stop()).line, 4);
    const shots = h.device.screenshots;
    const seen = await h.dbg.screen();
    assert.equal(seen.fresh, false, 'the frame the if looked at');
    assert.equal(h.device.screenshots, shots, 'no capture');
    assert.equal(seen.frame.width, h.device.frameSize.width);
    const now = await h.dbg.screen({ fresh: true });
    assert.equal(now.fresh, true);
    assert.equal(h.device.screenshots, shots + 1);
    assert.notEqual(now.frame, seen.frame);
    h.dbg.continue();
    assert.equal((await h.stop()).line, 6);
    const afterTap = await h.dbg.screen();
    assert.equal(afterTap.fresh, true, 'a tap invalidated the cached frame: a new capture');
    assert.equal(h.device.screenshots, shots + 2);
    h.dbg.continue();
    assert.equal((await run).ok, true);
    await assert.rejects(h.dbg.screen(), (e: unknown) => e instanceof RoutineDebugError && e.code === 'not-stopped');
  });

  it('a capture that fails is a located debugger error and the run goes on', async () => {
    const h = debugHarness({ screens: SCREENS, routines: { main: y('steps:', '  - log: a', '  - log: b') } }, { stopOnEntry: true });
    const run = h.run('main');
    await h.stop();
    h.device.failNext('screenshot', new Error('device gone'));
    await assert.rejects(h.dbg.screen(), (e: unknown) => e instanceof RoutineDebugError && e.code === 'evaluation-failed' && /device gone/.test(e.message));
    h.dbg.continue();
    assert.equal((await run).ok, true);
  });
});
