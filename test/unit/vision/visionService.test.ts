import { strict as assert } from 'node:assert';
import type { RawFrame } from '../../../src/bot/device';
import { createTemplateImage, cropRgba } from '../../../src/bot/vision/frame';
import { MatcherPool, resolveWorkerEntry } from '../../../src/bot/vision/matcherPool';
import type { TemplateImage, TemplateRef, TemplateSpec } from '../../../src/bot/vision/types';
import { isVisionError, VisionError } from '../../../src/bot/vision/visionError';
import { VisionService, type TemplateProvider } from '../../../src/bot/vision/visionService';
import { FakeClock } from '../../support/fakeClock';
import { syntheticImage } from './synthetic';

const REF = { width: 540, height: 960 };

/** A provider over fixed images (the registry is tested on its own). */
class FixedTemplates implements TemplateProvider {
  readonly specs = new Map<string, TemplateSpec>();
  readonly images = new Map<string, TemplateImage>();
  add(name: string, img: { width: number; height: number; data: Uint8Array }, over: Partial<TemplateSpec> = {}): void {
    const path = `templates/${name}.png`;
    this.specs.set(name, { name, image: path, threshold: 0.8, referenceSize: REF, mode: 'gray', mask: false, maxCount: 10, nmsIou: 0.3, preload: false, ...over });
    this.images.set(path, createTemplateImage(path, img));
  }
  resolve(ref: TemplateRef): TemplateSpec {
    const s = typeof ref === 'string' ? this.specs.get(ref) : undefined;
    if (!s) {
      throw new VisionError('unknown-template', `unknown template '${String(ref)}'`);
    }
    return { ...s };
  }
  async image(path: string): Promise<TemplateImage> {
    const i = this.images.get(path);
    if (!i) {
      throw new VisionError('image-missing', path);
    }
    return i;
  }
}

describe('(unit) vision VisionService + MatcherPool (worker threads)', () => {
  const frameImg = syntheticImage(540, 960, 77);
  const frame: RawFrame = { ...frameImg, capturedAt: 0, id: 1 };
  const templates = new FixedTemplates();
  const spots: Array<[string, number, number]> = [
    ['a', 20, 40],
    ['b', 300, 100],
    ['c', 100, 500],
    ['d', 400, 800],
  ];
  for (const [name, x, y] of spots) {
    templates.add(name, cropRgba(frameImg, { x, y, w: 48, h: 32 }), { region: { x: Math.max(0, x - 40), y: Math.max(0, y - 40), w: 128, h: 112 } });
  }
  let pool: MatcherPool;
  let vision: VisionService;

  before(() => {
    pool = new MatcherPool({ size: 2 });
    vision = new VisionService({ registry: templates, pool, clock: new FakeClock() });
  });
  after(() => pool.dispose());

  it('starts workers from the TypeScript sources when there is no bundle', () => {
    const entry = resolveWorkerEntry();
    assert.equal(entry.eval, true);
    assert.match(entry.filename, /matchWorker\.ts/);
  });

  it('finds templates through the workers, with box, centre, scale and timings', async () => {
    const r = await vision.find(frame, 'b');
    assert.equal(r.template, 'b');
    assert.equal(r.found, true);
    assert.ok(r.score > 0.99);
    assert.deepEqual(r.box, { x: 300, y: 100, w: 48, h: 32 });
    assert.deepEqual(r.center, { x: 324, y: 116 });
    assert.equal(r.scale, 1);
    assert.equal(r.matches.length, 1);
    assert.ok(typeof r.matchMs === 'number' && r.matchMs >= 0);
    assert.equal(r.timeMs, 0, 'measured with the injected clock');
    assert.deepEqual(r.region, { x: 260, y: 60, w: 128, h: 112 });
  });

  it('reports a miss with the best candidate, and honours overrides', async () => {
    const miss = await vision.find(frame, 'a', { region: { x: 200, y: 200, w: 200, h: 200 } });
    assert.equal(miss.found, false);
    assert.deepEqual(miss.matches, []);
    assert.ok(miss.score < 0.8);
    const low = await vision.find(frame, 'a', { region: { x: 200, y: 200, w: 200, h: 200 }, threshold: 0 });
    assert.equal(low.found, true);
  });

  it('prepares a frame once for many templates, in parallel across the pool', async () => {
    await pool.clearCaches();
    const copy: RawFrame = { ...frame, id: 2 };
    const p1 = vision.prepareFrame(copy);
    assert.equal(vision.prepareFrame(copy), p1);
    assert.equal(vision.prepareFrame({ ...copy }), p1, 'the same pixels are the same frame');
    assert.ok(p1.pixels.buffer instanceof SharedArrayBuffer);
    const results = await Promise.all(spots.flatMap(([name]) => [vision.find(copy, name), vision.find(copy, name)]));
    assert.ok(results.every((r) => r.found));
    const stats = await pool.stats();
    assert.equal(pool.workerCount, 2);
    const converted = stats.reduce((n, s) => n + s.cachedFrames, 0);
    assert.ok(converted >= 1 && converted <= 2, `frame converted at most once per worker (${converted})`);
    const other = vision.prepareFrame({ ...frame, data: new Uint8Array(frame.data) });
    assert.notEqual(other.key, p1.key, 'different pixel arrays are different frames, whatever their id');
  });

  it('rejects with typed errors: unknown template, template larger than the region, bad frame', async () => {
    await assert.rejects(vision.find(frame, 'nope'), (e: unknown) => isVisionError(e, 'unknown-template'));
    await assert.rejects(vision.find(frame, 'a', { region: { x: 0, y: 0, w: 20, h: 20 } }), (e: unknown) => isVisionError(e, 'template-too-large'));
    await assert.rejects(vision.find({ ...frame, data: new Uint8Array(8) }, 'a'), (e: unknown) => isVisionError(e, 'invalid-frame'));
  });

  it('aborts queued and running jobs', async () => {
    const ac = new AbortController();
    const jobs = Array.from({ length: 12 }, () => vision.find(frame, 'c', undefined, ac.signal));
    ac.abort(new Error('stop'));
    const settled = await Promise.allSettled(jobs);
    const aborted = settled.filter((s) => s.status === 'rejected' && isVisionError(s.reason, 'aborted'));
    assert.ok(aborted.length >= 8, `most jobs were still queued or running (${aborted.length} aborted)`);
    assert.equal(pool.queued, 0);
    await assert.rejects(vision.find(frame, 'c', undefined, ac.signal), (e: unknown) => isVisionError(e, 'aborted'));
    assert.equal((await vision.find(frame, 'c')).found, true, 'the pool still works');
  });

  it('rejects pending work with disposed when the pool is disposed', async () => {
    const own = new MatcherPool({ size: 1 });
    const v = new VisionService({ registry: templates, pool: own, clock: new FakeClock() });
    const pending = Array.from({ length: 4 }, () => v.find(frame, 'd'));
    own.dispose();
    const settled = await Promise.allSettled(pending);
    assert.ok(settled.every((s) => s.status === 'rejected' && isVisionError(s.reason, 'disposed')));
    await assert.rejects(v.find(frame, 'd'), (e: unknown) => isVisionError(e, 'disposed'));
  });

  it('rejects the jobs of a worker that dies with worker-failed, and starts a new worker for the next ones', async () => {
    const crashing = new MatcherPool({
      size: 1,
      entry: { eval: true, filename: "require('node:worker_threads').parentPort.on('message', () => { throw new Error('boom'); });" },
    });
    const v = new VisionService({ registry: templates, pool: crashing, clock: new FakeClock() });
    await assert.rejects(v.find(frame, 'a'), (e: unknown) => isVisionError(e, 'worker-failed') && /boom/.test(e.message));
    assert.equal(crashing.workerCount, 0);
    await assert.rejects(v.find(frame, 'a'), (e: unknown) => isVisionError(e, 'worker-failed'));
    crashing.dispose();
  });

  it('checks colours in the caller', () => {
    const i = (500 * 540 + 100) * 4;
    const hex = `#${[...frame.data.subarray(i, i + 3)].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    assert.deepEqual(vision.checkColor(frame, { color: hex, tolerance: 0, at: { x: 100, y: 500 } }), { ok: true, actual: hex, distance: 0 });
  });
});
