import { strict as assert } from 'node:assert';
import { tileBoxes } from '../../../src/webview/model/tileBoxes';
import type { FrameMatch } from '../../../src/shared/monitorProtocol';

const m = (template: string, score: number, found: boolean): FrameMatch => ({ template, score, found, box: { x: 0, y: 0, w: 10, h: 10 } });

describe('monitor tile boxes', () => {
  it('draws the found matches only when some were found', () => {
    const found = [m('a', 0.97, true), m('b', 0.41, false), m('c', 0.91, true)];
    assert.deepEqual(
      tileBoxes(found).map((x) => x.template),
      ['a', 'c'],
    );
  });

  it('draws the best miss alone when nothing was found (a step checking many templates)', () => {
    const misses = [m('a', 0.01, false), m('b', 0.54, false), m('c', 0.24, false), m('d', 0.54, false)];
    assert.deepEqual(
      tileBoxes(misses).map((x) => x.template),
      ['b'],
    );
  });

  it('draws nothing without matches', () => {
    assert.deepEqual(tileBoxes([]), []);
  });
});
