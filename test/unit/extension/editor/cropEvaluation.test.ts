import { strict as assert } from 'node:assert';
import { cropRgba } from '../../../../src/bot/vision/frame';
import { MatcherPool } from '../../../../src/bot/vision/matcherPool';
import { VisionError } from '../../../../src/bot/vision/visionError';
import { VisionService } from '../../../../src/bot/vision/visionService';
import { evaluateCrop, normalizeRect } from '../../../../src/extension/editor/cropEvaluation';
import { labRow, sortRows, templatesReferenced, verdictOf } from '../../../../src/extension/editor/labRows';
import { FakeClock } from '../../../support/fakeClock';
import { syntheticImage } from '../../vision/synthetic';

describe('capture template: scoring a crop with the real matcher', function () {
  this.timeout(60_000);
  let pool: MatcherPool;
  let vision: VisionService;
  const frame = { ...syntheticImage(270, 480, 5), label: 'synthetic' };

  before(() => {
    pool = new MatcherPool({ size: 1 });
    const none = {
      resolve: () => {
        throw new VisionError('unknown-template', 'none');
      },
      image: () => Promise.reject(new VisionError('image-missing', 'none')),
    };
    vision = new VisionService({ registry: none, pool, clock: new FakeClock() });
  });
  after(() => pool.dispose());

  it('scores the crop at its place (about 1) and its best false match lower, with the threshold between them', async () => {
    const rect = { x: 60, y: 100, w: 48, h: 32 };
    const ev = await evaluateCrop(vision, frame, rect);
    assert.ok(ev.trueScore > 0.99, `true score ${ev.trueScore}`);
    assert.ok(ev.bestFalseHere !== undefined && ev.bestFalseHere < 0.9, `best false ${ev.bestFalseHere}`);
    assert.equal(ev.recorderFrames, 0);
    assert.ok(ev.threshold >= 0.7 && ev.threshold <= 0.98);
    assert.deepEqual(ev.region, { x: 36, y: 76, w: 96, h: 80 });
    assert.match(ev.explanation, /midway between the best false match/);
  });

  it('counts a recorded frame where the element shows elsewhere as a false match (the crop\'s own place is blanked)', async () => {
    const rect = { x: 60, y: 100, w: 48, h: 32 };
    // A recorded frame: a different screen holding the same element at another place.
    const other = syntheticImage(270, 480, 9);
    const crop = cropRgba(frame, rect);
    for (let y = 0; y < rect.h; y++) {
      other.data.set(crop.data.subarray(y * rect.w * 4, (y + 1) * rect.w * 4), ((300 + y) * 270 + 150) * 4);
    }
    const ev = await evaluateCrop(vision, frame, rect, [{ ...other, label: 'recorded' }]);
    assert.equal(ev.recorderFrames, 1);
    assert.ok((ev.bestFalseRecorder ?? 0) > 0.99, `the copy elsewhere scores as a false match: ${ev.bestFalseRecorder}`);
    assert.equal(ev.threshold, 0.98, 'the threshold is clamped up to 0.98');
    assert.match(ev.explanation, /matches elsewhere as well as here/);
  });

  it('keeps a selection inside the frame', () => {
    assert.deepEqual(normalizeRect({ x: -5, y: 470.4, w: 20, h: 30 }, { width: 270, height: 480 }), { x: 0, y: 470, w: 20, h: 10 });
    assert.deepEqual(normalizeRect({ x: 300, y: 0, w: 0, h: 0 }, { width: 270, height: 480 }), { x: 269, y: 0, w: 1, h: 1 });
  });
});

describe('template lab: rows', () => {
  const box = { x: 1, y: 2, w: 3, h: 4 };
  it('calls out false positives and misses from the expectation, with the margin', () => {
    assert.equal(verdictOf(true, false), 'false-positive');
    assert.equal(verdictOf(false, true), 'miss');
    assert.equal(verdictOf(true, true), 'ok');
    assert.equal(verdictOf(false, false), 'ok');
    assert.equal(verdictOf(true, undefined), 'unknown');
    const r = labRow({ template: 't', frameId: 'f', frameLabel: 'F', score: 0.8123, threshold: 0.8, found: true, box, expected: false });
    assert.equal(r.margin, 0.012);
    assert.equal(r.verdict, 'false-positive');
    assert.equal(labRow({ template: 't', frameId: 'f', frameLabel: 'F', score: Number.NaN, threshold: 0.8, found: false, box }).score, 0);
  });

  it('sorts problems first, then the closest calls', () => {
    const rows = [
      labRow({ template: 'a', frameId: '1', frameLabel: '1', score: 0.2, threshold: 0.8, found: false, box }),
      labRow({ template: 'b', frameId: '1', frameLabel: '1', score: 0.79, threshold: 0.8, found: false, box }),
      labRow({ template: 'c', frameId: '1', frameLabel: '1', score: 0.5, threshold: 0.8, found: false, box, expected: true }),
      labRow({ template: 'd', frameId: '1', frameLabel: '1', score: 0.95, threshold: 0.8, found: true, box, expected: false }),
    ];
    assert.deepEqual(sortRows(rows).map((r) => r.template), ['d', 'c', 'b', 'a']);
  });

  it('lists the templates a routine references (conditions, taps, long forms), once each, known ones only', () => {
    const text = [
      'sentries:',
      '  - when: { any: [ { image: popup.a }, { notImage: { template: popup.b } } ] }',
      'steps:',
      '  - tap: home.button',
      '  - tap: { template: home.other, optional: true }',
      '  - if: { image: popup.a }',
      '  - log: home.button',
      '  - waitFor: { image: nope.unknown }',
    ].join('\n');
    assert.deepEqual(templatesReferenced(text, new Set(['popup.a', 'popup.b', 'home.button', 'home.other'])), ['popup.a', 'popup.b', 'home.button', 'home.other']);
  });
});
