import { strict as assert } from 'node:assert';
import type { ScreenMatch } from '../../../src/shared/debugScreenProtocol';
import { drawnMatches } from '../../../src/webview/debugScreen/app';

function m(template: string, found: boolean): ScreenMatch {
  return { template, found, score: found ? 0.97 : 0.1, threshold: 0.8, box: { x: 1, y: 2, w: 3, h: 4 }, routine: 'r', path: 'steps[0]', time: 1 };
}

describe('(unit) debugger Screen view', () => {
  it('draws the found boxes, and the misses only when nothing was found or a couple were missed', () => {
    const names = (l: ScreenMatch[]) => l.map((x) => x.template);
    assert.deepEqual(names(drawnMatches([m('a', false), m('b', true), m('c', false), m('d', false)])), ['b']);
    assert.deepEqual(names(drawnMatches([m('a', false), m('b', true), m('c', false)])), ['b', 'a', 'c']);
    assert.deepEqual(names(drawnMatches([m('a', false), m('c', false), m('d', false)])), ['a', 'c', 'd']);
    assert.deepEqual(drawnMatches([]), []);
  });
});
