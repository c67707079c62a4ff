import { strict as assert } from 'node:assert';
import type { RawFrame } from '../../../src/bot/device';
import { checkColor, parseHexColor, toHexColor } from '../../../src/bot/vision/colorCheck';
import { clampRect, cropRgba, scaleRect, toSharedBytes, validateFrame } from '../../../src/bot/vision/frame';
import { planMatch, scaleList, toFramePixels, workingSize } from '../../../src/bot/vision/matchPlan';
import { iou, nonMaxSuppression } from '../../../src/bot/vision/nms';
import type { Match, TemplateSpec } from '../../../src/bot/vision/types';
import { isVisionError } from '../../../src/bot/vision/visionError';

const SPEC: TemplateSpec = {
  name: 't',
  image: 't.png',
  threshold: 0.8,
  referenceSize: { width: 540, height: 960 },
  mode: 'gray',
  mask: false,
  maxCount: 10,
  nmsIou: 0.3,
  preload: false,
};

function frameOf(width: number, height: number, rgb: [number, number, number]): RawFrame {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = rgb[0];
    data[i + 1] = rgb[1];
    data[i + 2] = rgb[2];
    data[i + 3] = 255;
  }
  return { width, height, data, capturedAt: 0, id: 1 };
}

describe('(unit) vision plan, geometry, NMS and colour checks', () => {
  it('plans the whole frame at the reference size', () => {
    const p = planMatch(SPEC, { width: 60, height: 40 }, { width: 540, height: 960 });
    assert.deepEqual(p.region, { x: 0, y: 0, w: 540, h: 960 });
    assert.deepEqual(p.sizes, [{ w: 60, h: 40, scale: 1 }]);
    assert.equal(p.threshold, 0.8);
    assert.equal(p.all, false);
  });

  it('matches a larger frame at the reference resolution, a smaller one at its own', () => {
    const p = planMatch({ ...SPEC, region: { x: 10, y: 20, w: 100, h: 50 } }, { width: 60, height: 40 }, { width: 1080, height: 1920 });
    assert.deepEqual(p.work, { width: 540, height: 960 });
    assert.deepEqual(p.region, { x: 10, y: 20, w: 100, h: 50 });
    assert.deepEqual(p.frameRegion, { x: 20, y: 40, w: 200, h: 100 });
    assert.deepEqual(p.sizes, [{ w: 60, h: 40, scale: 1 }]);
    assert.deepEqual(toFramePixels({ x: 15, y: 25, w: 60, h: 40 }, p.work, { width: 1080, height: 1920 }), { x: 30, y: 50, w: 120, h: 80 });
    const odd = planMatch({ ...SPEC, region: { x: 1, y: 1, w: 3, h: 3 } }, { width: 2, height: 2 }, { width: 720, height: 1280 });
    // 4/3 scale: the frame region is rounded outwards so it never loses a pixel.
    assert.deepEqual(odd.frameRegion, { x: 1, y: 1, w: 5, h: 5 });
    const small = planMatch({ ...SPEC, region: { x: 10, y: 20, w: 100, h: 50 } }, { width: 60, height: 40 }, { width: 270, height: 480 });
    assert.deepEqual(small.work, { width: 270, height: 480 });
    assert.deepEqual(small.region, { x: 5, y: 10, w: 50, h: 25 });
    assert.deepEqual(small.sizes, [{ w: 30, h: 20, scale: 1 }]);
    // Another aspect ratio (1080x2400): shrunk until the width meets the reference, heights scaled apart.
    const tall = planMatch(SPEC, { width: 60, height: 40 }, { width: 1080, height: 2400 });
    assert.deepEqual(tall.work, { width: 540, height: 1200 });
    assert.deepEqual(tall.sizes, [{ w: 60, h: 50, scale: 1 }]);
    assert.deepEqual(workingSize({ width: 540, height: 960 }, { width: 540, height: 960 }), { width: 540, height: 960 });
  });

  it('applies overrides and clamps regions to the frame', () => {
    const p = planMatch({ ...SPEC, region: { x: 0, y: 0, w: 10, h: 10 } }, { width: 5, height: 5 }, { width: 540, height: 960 }, { region: { x: 500, y: 900, w: 100, h: 100 }, threshold: 0.5, all: true });
    assert.deepEqual(p.region, { x: 500, y: 900, w: 40, h: 60 });
    assert.deepEqual(p.frameRegion, p.region);
    assert.equal(p.threshold, 0.5);
    assert.equal(p.all, true);
  });

  it('rejects regions outside the frame and templates larger than the region', () => {
    assert.throws(
      () => planMatch(SPEC, { width: 5, height: 5 }, { width: 540, height: 960 }, { region: { x: 600, y: 0, w: 10, h: 10 } }),
      (e: unknown) => isVisionError(e, 'invalid-region'),
    );
    assert.throws(
      () => planMatch({ ...SPEC, region: { x: 0, y: 0, w: 30, h: 30 } }, { width: 40, height: 20 }, { width: 540, height: 960 }),
      (e: unknown) => isVisionError(e, 'template-too-large') && /does not fit in the search region 30x30/.test(e.message),
    );
  });

  it('lists scales nominal-first and skips the sizes that do not fit', () => {
    assert.deepEqual(scaleList({ min: 0.9, max: 1.1, step: 0.05 }), [0.9, 0.95, 1, 1.05, 1.1]);
    assert.deepEqual(scaleList(), [1]);
    const p = planMatch({ ...SPEC, scales: { min: 0.9, max: 1.1, step: 0.1 }, region: { x: 0, y: 0, w: 105, h: 100 } }, { width: 100, height: 50 }, { width: 540, height: 960 });
    assert.deepEqual(
      p.sizes.map((s) => s.scale),
      [1, 0.9],
    );
  });

  it('computes IoU and keeps the best of overlapping matches', () => {
    const m = (x: number, y: number, score: number): Match => ({ x, y, w: 10, h: 10, score, scale: 1 });
    assert.equal(iou(m(0, 0, 1), m(0, 0, 1)), 1);
    assert.equal(iou(m(0, 0, 1), m(20, 0, 1)), 0);
    assert.equal(Math.round(iou(m(0, 0, 1), m(5, 0, 1)) * 1000) / 1000, 0.333);
    const kept = nonMaxSuppression([m(0, 0, 0.9), m(2, 1, 0.95), m(40, 40, 0.85), m(41, 40, 0.8), m(100, 0, 0.7)], 0.3, 2);
    assert.deepEqual(
      kept.map((k) => [k.x, k.score]),
      [
        [2, 0.95],
        [40, 0.85],
      ],
    );
  });

  it('scales, clamps and crops rectangles', () => {
    assert.deepEqual(scaleRect({ x: 10, y: 10, w: 10, h: 10 }, { width: 100, height: 100 }, { width: 150, height: 150 }), { x: 15, y: 15, w: 15, h: 15 });
    assert.equal(clampRect({ x: 200, y: 0, w: 10, h: 10 }, { width: 100, height: 100 }), undefined);
    const img = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => i) };
    assert.deepEqual([...cropRgba(img, { x: 1, y: 1, w: 2, h: 1 }).data], [16, 17, 18, 19, 20, 21, 22, 23]);
    assert.throws(() => cropRgba(img, { x: 2, y: 0, w: 2, h: 1 }), (e: unknown) => isVisionError(e, 'invalid-region'));
  });

  it('validates frames and shares their bytes once', () => {
    assert.throws(() => validateFrame({ width: 2, height: 2, data: new Uint8Array(15) }), (e: unknown) => isVisionError(e, 'invalid-frame'));
    const plain = new Uint8Array([1, 2, 3, 4]);
    const shared = toSharedBytes(plain);
    assert.ok(shared.buffer instanceof SharedArrayBuffer);
    assert.deepEqual([...shared], [1, 2, 3, 4]);
    assert.equal(toSharedBytes(shared), shared, 'already shared: no copy');
  });

  it('parses and formats colours', () => {
    assert.deepEqual(parseHexColor('#1E88e5'), [0x1e, 0x88, 0xe5]);
    assert.equal(toHexColor([30.4, 136, 229.6]), '#1e88e6');
    assert.throws(() => parseHexColor('blue'), (e: unknown) => isVisionError(e, 'invalid-color'));
  });

  it('checks a pixel and an area colour with a tolerance, scaled to the frame', () => {
    const f = frameOf(1080, 1920, [100, 150, 200]);
    // A red square at reference (10,10)-(20,20), i.e. (20,20)-(40,40) on this frame.
    for (let y = 20; y < 40; y++) {
      for (let x = 20; x < 40; x++) {
        f.data.set([250, 0, 0], (y * 1080 + x) * 4);
      }
    }
    assert.deepEqual(checkColor(f, { color: '#ff0000', tolerance: 8, at: { x: 15, y: 15 } }), { ok: true, actual: '#fa0000', distance: 5 });
    assert.equal(checkColor(f, { color: '#ff0000', tolerance: 4, at: { x: 15, y: 15 } }).ok, false);
    const area = checkColor(f, { color: '#649600', tolerance: 10, at: { x: 0, y: 0, w: 100, h: 100 } });
    assert.equal(area.ok, false);
    assert.equal(area.actual, '#6695c6');
    assert.equal(checkColor(f, { color: '#6496c8', tolerance: 0, at: { x: 300, y: 300, w: 40, h: 40 } }).ok, true);
    assert.throws(() => checkColor(f, { color: '#000000', tolerance: 0, at: { x: 600, y: 0 } }), (e: unknown) => isVisionError(e, 'invalid-region'));
  });
});
