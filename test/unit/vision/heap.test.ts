import { strict as assert } from 'node:assert';
import { loadCv } from '../../../src/bot/vision/cvTypes';
import { cropRgba } from '../../../src/bot/vision/frame';
import { Matcher } from '../../../src/bot/vision/matcher';
import { planMatch } from '../../../src/bot/vision/matchPlan';
import type { MatchOverrides, TemplateSpec } from '../../../src/bot/vision/types';
import { syntheticImage } from './synthetic';

describe('(unit) vision wasm heap', () => {
  it('does not grow over 10,000 matches of every kind (every Mat is freed)', async () => {
    const { cv } = await loadCv();
    // Small caches so that frames and templates are evicted (and freed) all the time.
    const matcher = new Matcher(cv, { frameCache: 2, templateCache: 4, imageCache: 2 });
    const size = { width: 64, height: 64 };
    const frames = [1, 2, 3].map((s) => syntheticImage(64, 64, s));
    const images = [0, 1, 2].map((i) => cropRgba(frames[i], { x: 10 + i * 5, y: 20, w: 14, h: 10 }));
    const masked = { ...images[0], data: new Uint8Array(images[0].data) };
    for (let i = 3; i < masked.data.length; i += 16) {
      masked.data[i] = 0;
    }
    images.push(masked);
    const base: TemplateSpec = { name: 't', image: 'x', threshold: 0.8, referenceSize: size, mode: 'gray', mask: false, maxCount: 5, nmsIou: 0.3, preload: false };
    const kinds: Array<[Partial<TemplateSpec>, MatchOverrides]> = [
      [{}, {}],
      [{ mode: 'color' }, {}],
      [{ mask: true }, {}],
      [{ mask: true, mode: 'color' }, {}],
      [{ scales: { min: 0.9, max: 1.1, step: 0.1 } }, {}],
      [{}, { all: true, threshold: 0.3 }],
      [{}, { region: { x: 0, y: 0, w: 30, h: 30 } }],
    ];
    let frameKey = 0;
    let imageKey = 0;
    const runMatches = (n: number) => {
      for (let i = 0; i < n; i++) {
        const [over, call] = kinds[i % kinds.length];
        const img = images[over.mask ? 3 : i % 3];
        const f = frames[i % 3];
        // A new frame key every other match and a new image key every 5th: conversions are created and evicted.
        const fk = i % 2 === 0 ? ++frameKey : frameKey;
        const ik = i % 5 === 0 ? ++imageKey : imageKey;
        const out = matcher.match(
          { key: fk, width: 64, height: 64, pixels: f.data },
          { key: `${ik}:${over.mask ? 'm' : i % 3}`, width: img.width, height: img.height, pixels: img.data },
          planMatch({ ...base, ...over }, img, size, call),
        );
        assert.ok(out.best);
      }
    };
    runMatches(700);
    const before = matcher.stats();
    runMatches(10_000);
    const after = matcher.stats();
    assert.equal(after.matches - before.matches, 10_000);
    assert.equal(after.heapBytes, before.heapBytes, 'the wasm memory did not grow');
    assert.ok(after.heapTop - before.heapTop <= 64 * 1024, `allocator high-water mark grew by ${after.heapTop - before.heapTop} bytes`);
    matcher.clear();
  });
});
