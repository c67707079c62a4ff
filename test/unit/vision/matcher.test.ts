import { strict as assert } from 'node:assert';
import { loadCv, type Cv } from '../../../src/bot/vision/cvTypes';
import { cropRgba } from '../../../src/bot/vision/frame';
import { Matcher, type PixelsRef } from '../../../src/bot/vision/matcher';
import { planMatch } from '../../../src/bot/vision/matchPlan';
import type { MatchOverrides, TemplateSpec } from '../../../src/bot/vision/types';
import { isVisionError } from '../../../src/bot/vision/visionError';
import { brightness } from './perturb';
import { paste, resizeBilinear, syntheticImage, type Rgba } from './synthetic';

const REF = { width: 540, height: 960 };

function spec(over: Partial<TemplateSpec> = {}): TemplateSpec {
  return { name: 't', image: 't.png', threshold: 0.8, referenceSize: REF, mode: 'gray', mask: false, maxCount: 10, nmsIou: 0.3, preload: false, ...over };
}

let keys = 0;
function ref(img: Rgba): PixelsRef {
  return { key: ++keys, width: img.width, height: img.height, pixels: img.data };
}

/** A solid-colour shape (a ring with a bar) on a transparent or coloured background. */
function shape(w: number, h: number, fg: [number, number, number], bg: [number, number, number, number]): Rgba {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = (x - w / 2) / (w / 2);
      const dy = (y - h / 2) / (h / 2);
      const r = Math.hypot(dx, dy);
      const on = (r > 0.55 && r < 0.85) || (Math.abs(dy) < 0.12 && Math.abs(dx) < 0.6);
      data.set(on ? [...fg, 255] : bg, (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data };
}

describe('(unit) vision Matcher (opencv-wasm, in process)', () => {
  let cv: Cv;
  let matcher: Matcher;
  before(async () => {
    ({ cv } = await loadCv());
  });
  beforeEach(() => {
    matcher = new Matcher(cv);
  });
  afterEach(() => matcher.clear());

  function run(frame: Rgba, tpl: Rgba, s: TemplateSpec, over?: MatchOverrides, frameRef = ref(frame)) {
    return matcher.match(frameRef, ref(tpl), planMatch(s, tpl, frame, over));
  }

  it('finds a gray template where it is, full frame and inside a region', () => {
    const frame = syntheticImage(540, 960, 11);
    const tpl = cropRgba(frame, { x: 123, y: 456, w: 50, h: 30 });
    const full = run(frame, tpl, spec());
    assert.deepEqual(full.best && { x: full.best.x, y: full.best.y, w: full.best.w, h: full.best.h }, { x: 123, y: 456, w: 50, h: 30 });
    assert.ok(full.best!.score > 0.999);
    assert.equal(full.matches.length, 1);
    const inRegion = run(frame, tpl, spec({ region: { x: 100, y: 400, w: 120, h: 120 } }));
    assert.equal(inRegion.best?.x, 123);
    assert.equal(inRegion.best?.y, 456);
    const elsewhere = run(frame, tpl, spec({ region: { x: 300, y: 0, w: 200, h: 200 } }));
    assert.ok(elsewhere.best!.score < 0.8);
    assert.deepEqual(elsewhere.matches, []);
  });

  it('matches colour on request: gray cannot tell apart two colours of equal luminance, colour can', () => {
    // (200,100,100) and (100,151,100) have the same luminance (about 130).
    const red = shape(40, 40, [200, 100, 100], [30, 30, 30, 255]);
    const green = shape(40, 40, [100, 151, 100], [30, 30, 30, 255]);
    const frame = syntheticImage(300, 300, 3);
    paste(frame, green, 40, 40);
    paste(frame, red, 200, 200);
    const s = { referenceSize: { width: 300, height: 300 } };
    const gray = run(frame, red, spec(s), { all: true, threshold: 0.95 });
    assert.equal(gray.matches.length, 2, 'gray sees both shapes');
    const color = run(frame, red, spec({ ...s, mode: 'color' }), { all: true, threshold: 0.95 });
    assert.equal(color.matches.length, 1);
    assert.deepEqual([color.matches[0].x, color.matches[0].y], [200, 200]);
  });

  it('uses the alpha channel as a mask', () => {
    const frame = syntheticImage(300, 300, 5);
    const base = cropRgba(frame, { x: 100, y: 120, w: 60, h: 40 });
    const tpl = { ...base, data: new Uint8Array(base.data) };
    // The left third is transparent and holds garbage that is nowhere in the frame.
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < 20; x++) {
        tpl.data.set([255, 0, 255, 0], (y * 60 + x) * 4);
      }
    }
    const s = { referenceSize: { width: 300, height: 300 } };
    const masked = run(frame, tpl, spec({ ...s, mask: true }));
    assert.deepEqual([masked.best?.x, masked.best?.y], [100, 120]);
    assert.ok(masked.best!.score > 0.999, `masked score ${masked.best!.score}`);
    const unmasked = run(frame, tpl, spec(s));
    assert.ok(unmasked.best!.score < masked.best!.score - 0.1, 'the garbage hurts without the mask');
    const maskedColor = run(frame, tpl, spec({ ...s, mask: true, mode: 'color' }));
    assert.deepEqual([maskedColor.best?.x, maskedColor.best?.y], [100, 120]);
    assert.ok(maskedColor.best!.score > 0.999);
  });

  it('finds a scaled element with multi-scale search and reports the scale', () => {
    const frame = syntheticImage(400, 400, 8);
    const tpl = cropRgba(syntheticImage(400, 400, 9), { x: 50, y: 50, w: 80, h: 50 });
    paste(frame, resizeBilinear(tpl, 88, 55), 150, 200);
    const s = { referenceSize: { width: 400, height: 400 } };
    const single = run(frame, tpl, spec(s));
    const multi = run(frame, tpl, spec({ ...s, scales: { min: 0.9, max: 1.1, step: 0.05 } }));
    assert.equal(multi.best?.scale, 1.1);
    assert.deepEqual([multi.best?.x, multi.best?.y, multi.best?.w, multi.best?.h], [150, 200, 88, 55]);
    assert.ok(multi.best!.score > 0.95);
    assert.ok(single.best!.score < multi.best!.score - 0.1);
  });

  it('returns every match above the threshold, best first, with non-maximum suppression', () => {
    const frame = syntheticImage(400, 300, 12);
    const tpl = shape(30, 30, [250, 250, 250], [0, 0, 0, 255]);
    const spots = [
      [20, 20],
      [200, 40],
      [100, 200],
      [330, 250],
    ];
    for (const [x, y] of spots) {
      paste(frame, tpl, x, y);
    }
    const s = { referenceSize: { width: 400, height: 300 } };
    const r = run(frame, tpl, spec(s), { all: true, threshold: 0.9 });
    assert.deepEqual(
      r.matches.map((m) => [m.x, m.y]).sort((a, b) => a[0] - b[0]),
      [...spots].sort((a, b) => a[0] - b[0]),
    );
    for (let i = 1; i < r.matches.length; i++) {
      assert.ok(r.matches[i - 1].score >= r.matches[i].score);
    }
    const capped = run(frame, tpl, spec({ ...s, maxCount: 2 }), { all: true, threshold: 0.9 });
    assert.equal(capped.matches.length, 2);
  });

  it('rejects an element dimmed behind an overlay but accepts +-10 % brightness', () => {
    const frame = syntheticImage(300, 300, 21);
    const tpl = cropRgba(frame, { x: 100, y: 100, w: 80, h: 50 });
    const s = spec({ referenceSize: { width: 300, height: 300 } });
    assert.ok(run(brightness(frame, 0.9), tpl, s).best!.score > 0.95);
    assert.ok(run(brightness(frame, 1.1), tpl, s).best!.score > 0.95);
    const dimmed = run(brightness(frame, 0.45), tpl, s);
    assert.ok(dimmed.best!.score < 0.7, `dimmed score ${dimmed.best!.score}`);
    assert.deepEqual(dimmed.matches, []);
  });

  it('scores a uniform template 0 instead of matching everywhere', () => {
    const frame = syntheticImage(200, 200, 4);
    const flat = shape(20, 20, [90, 90, 90], [90, 90, 90, 255]);
    const r = run(frame, flat, spec({ referenceSize: { width: 200, height: 200 } }));
    assert.equal(r.best?.score, 0);
    assert.deepEqual(r.matches, []);
  });

  it('matches templates authored at one resolution on a frame twice as large', () => {
    const small = syntheticImage(270, 480, 30);
    const big = resizeBilinear(small, 540, 960);
    const tpl = cropRgba(small, { x: 100, y: 150, w: 60, h: 40 });
    const r = run(big, tpl, spec({ referenceSize: { width: 270, height: 480 }, region: { x: 75, y: 125, w: 100, h: 75 } }));
    assert.deepEqual([r.best?.x, r.best?.y, r.best?.w, r.best?.h], [200, 300, 120, 80]);
    assert.ok(r.best!.score > 0.95);
  });

  it('converts a frame once and reuses it for every template', () => {
    const frame = syntheticImage(300, 300, 40);
    const fr = ref(frame);
    const s = spec({ referenceSize: { width: 300, height: 300 } });
    for (let i = 0; i < 5; i++) {
      run(frame, cropRgba(frame, { x: 10 * i, y: 20, w: 30, h: 30 }), s, undefined, fr);
    }
    assert.equal(matcher.stats().cachedFrames, 1);
    assert.equal(matcher.stats().cachedTemplates, 5);
  });

  it('reports bad pixel buffers as typed errors', () => {
    const frame = syntheticImage(100, 100, 1);
    const tpl = cropRgba(frame, { x: 0, y: 0, w: 10, h: 10 });
    const plan = planMatch(spec({ referenceSize: { width: 100, height: 100 } }), tpl, frame);
    assert.throws(
      () => matcher.match({ key: 'short', width: 100, height: 100, pixels: new Uint8Array(10) }, ref(tpl), plan),
      (e: unknown) => isVisionError(e, 'invalid-frame'),
    );
  });
});
