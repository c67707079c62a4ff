/** The routine's inputs as events: one `input` event per tap, long press, swipe, text and key the device took. */
import { strict as assert } from 'node:assert';
import { harness } from './interpreterHarness';

function y(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

describe('(unit) routine interpreter: input events', () => {
  it('emits an input event for each input the device took, in device pixels, with the step (name, id, path, range)', async () => {
    const h = harness({
      routines: {
        t: y(
          'steps:',
          '  - tap: { x: 270, y: 480 }',
          '    id: open',
          '  - longPress: { x: 100, y: 200, duration: 2s }',
          '    name: Hold',
          '  - swipe: { from: { x: 270, y: 800 }, to: { x: 270, y: 200 }, duration: 500ms }',
          '  - text: "hello"',
          '  - text: "${secret}"',
          '  - key: BACK',
        ),
      },
      device: { size: { width: 1080, height: 1920 } },
    });
    const r = await h.run('t', {}, { variables: { secret: 'hunter2' } });
    assert.equal(r.ok, true, r.error?.message);
    const inputs = h.of('input');
    assert.deepEqual(
      inputs.map((e) => e.input),
      [
        { kind: 'tap', x: 540, y: 960 },
        { kind: 'longPress', x: 200, y: 400, durationMs: 2000 },
        { kind: 'swipe', from: { x: 540, y: 1600 }, to: { x: 540, y: 400 }, durationMs: 500 },
        { kind: 'text', chars: 5, text: 'hello' },
        { kind: 'text', chars: 7 },
        { kind: 'key', key: 'KEYCODE_BACK' },
      ],
    );
    assert.deepEqual(
      inputs.map((e) => [e.step, e.id, e.path, e.range?.start.line]),
      [
        ['open', 'open', 'steps[0]', 2],
        ['Hold', undefined, 'steps[1]', 4],
        ['swipe', undefined, 'steps[2]', 6],
        ['text', undefined, 'steps[3]', 7],
        ['text', undefined, 'steps[4]', 8],
        ['key', undefined, 'steps[5]', 9],
      ],
    );
    assert.ok(!JSON.stringify(h.events).includes('hunter2'), 'a text from a variable is not in the events');
    // Each input event follows its step's start and comes before its end.
    const order = h.events.filter((e) => e.type === 'step.start' || e.type === 'input' || e.type === 'step.end').map((e) => e.type);
    assert.deepEqual(order.slice(0, 3), ['step.start', 'input', 'step.end']);
  });

  it('emits none for a skipped optional tap (nothing reached the device)', async () => {
    const h = harness({ routines: { t: y('steps:', '  - tap: { template: nothing_here, optional: true }') } });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(h.of('input').length, 0);
  });
});
