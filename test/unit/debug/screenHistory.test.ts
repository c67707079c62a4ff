import { strict as assert } from 'node:assert';
import { historyFrames, stepHistory } from '../../../src/extension/debug/screenHistory';
import type { RecordedFrame } from '../../../src/orchestrator/recorder';

function frame(n: number, step: string | undefined, error = false): RecordedFrame {
  return { frame: n, time: 1000 + n, width: 540, height: 960, device: { width: 540, height: 960 }, jpeg: new Uint8Array([n]), ...(step !== undefined ? { step } : {}), error, events: [] };
}

describe('(unit) debugger screen history', () => {
  it('keeps the newest frame of each of the last step runs, newest first', () => {
    const frames = [frame(1, undefined), frame(2, 'waitFor'), frame(3, 'waitFor'), frame(4, 'tap'), frame(5, 'waitFor'), frame(6, 'waitFor', true), frame(7, 'log')];
    assert.deepEqual(stepHistory(frames).map((f) => [f.frame, f.step ?? '-']), [[7, 'log'], [6, 'waitFor'], [4, 'tap'], [3, 'waitFor'], [1, '-']]);
    assert.deepEqual(stepHistory(frames, 2).map((f) => f.frame), [7, 6]);
    assert.deepEqual(stepHistory([]), []);
  });

  it('sends the step name, the capture time, the device size and the JPEG', () => {
    const [h] = historyFrames([frame(1, undefined), frame(2, 'tap', true)], 1);
    assert.deepEqual(h, { frame: 2, step: 'tap', time: 1002, jpeg: Buffer.from([2]).toString('base64'), width: 540, height: 960, error: true });
    assert.equal(historyFrames([frame(1, undefined)])[0]!.step, '(start)');
  });
});
