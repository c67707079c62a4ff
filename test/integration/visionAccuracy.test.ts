/**
 * Accuracy of the shipped templates on frames rendered by the demo game, and on perturbed copies: each template is
 * found on the screens where its element is visible and not found anywhere else, at its own threshold. Runs the
 * real pieces: the registry on the repository's templates/, the worker pool, the service. Prints the score margins.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { NodeFileStore } from '../../src/host/nodePorts';
import { nullLogger } from '../../src/shared/loggers';
import { SystemClock } from '../../src/shared/clock';
import type { RawFrame } from '../../src/bot/device';
import { cropRgba } from '../../src/bot/vision/frame';
import { sharpDecoder } from '../../src/bot/vision/imageCodec';
import { MatcherPool } from '../../src/bot/vision/matcherPool';
import { TemplateRegistry } from '../../src/bot/vision/templateRegistry';
import type { MatchOverrides } from '../../src/bot/vision/types';
import { VisionService } from '../../src/bot/vision/visionService';
import { renderGameScreens, SHIPPED_COLORS, SHIPPED_TEMPLATES, type GameScreenShot } from '../../scripts/makeTemplates';
import { brightness, jpeg, shift, zoom } from '../unit/vision/perturb';
import type { Rgba } from '../unit/vision/synthetic';

const ROOT = path.join(__dirname, '..', '..');
const MULTI_SCALE = { min: 0.9, max: 1.1, step: 0.05 };

interface Variant {
  name: string;
  apply: (img: Rgba) => Rgba | Promise<Rgba>;
  multiScale?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'clean', apply: (i) => i },
  { name: 'jpeg q70', apply: (i) => jpeg(i, 70) },
  { name: 'shift +2,-1', apply: (i) => shift(i, 2, -1) },
  { name: 'shift -1,+2', apply: (i) => shift(i, -1, 2) },
  { name: 'brightness -10%', apply: (i) => brightness(i, 0.9) },
  { name: 'brightness +10%', apply: (i) => brightness(i, 1.1) },
  { name: 'zoom 0.9 (multi-scale)', apply: (i) => zoom(i, 0.9), multiScale: true },
  { name: 'zoom 1.1 (multi-scale)', apply: (i) => zoom(i, 1.1), multiScale: true },
];

interface Margins {
  /** Smallest score - threshold where the element is present. */
  present: number;
  presentAt: string;
  /** Smallest threshold - score where it is absent. */
  absent: number;
  absentAt: string;
  failures: string[];
}

describe('(integration) vision accuracy of the shipped templates on the demo game', function () {
  this.timeout(120_000);
  let pool: MatcherPool;
  let vision: VisionService;
  let registry: TemplateRegistry;
  let shots: GameScreenShot[];
  let frameId = 0;

  before(async () => {
    registry = new TemplateRegistry(new NodeFileStore(ROOT), nullLogger);
    const diags = await registry.load();
    assert.deepEqual(
      diags.filter((d) => d.severity === 'error'),
      [],
    );
    pool = new MatcherPool({ size: 2 });
    vision = new VisionService({ registry, pool, clock: new SystemClock() });
    // A different seed than the one the templates were cut from: random content (cards, offers) differs.
    shots = await renderGameScreens(undefined, 123);
  });

  after(() => {
    pool?.dispose();
    registry?.dispose();
  });

  function toFrame(img: Rgba): RawFrame {
    return { width: img.width, height: img.height, data: img.data, capturedAt: 0, id: ++frameId };
  }

  async function evaluate(frames: Array<{ name: string; frame: RawFrame }>, overrides: (name: string) => MatchOverrides, multiScale: boolean): Promise<Margins> {
    const m: Margins = { present: Infinity, presentAt: '', absent: Infinity, absentAt: '', failures: [] };
    const jobs: Array<Promise<void>> = [];
    for (const f of frames) {
      for (const t of SHIPPED_TEMPLATES) {
        // Multi-scale: the same template as an inline reference with a scale range (resolved by the same code).
        const { name: _name, ...options } = registry.resolve(t.name);
        const ref = multiScale ? { ...options, scales: MULTI_SCALE } : t.name;
        jobs.push(
          vision.find(f.frame, ref, overrides(t.name)).then((r) => {
            const present = t.presentOn.includes(f.name);
            const where = `${t.name} on ${f.name} (score ${r.score.toFixed(3)}, threshold ${r.threshold})`;
            if (present) {
              if (r.score - r.threshold < m.present) {
                m.present = r.score - r.threshold;
                m.presentAt = where;
              }
              if (!r.found) {
                m.failures.push(`not found: ${where}`);
              }
            } else {
              if (r.threshold - r.score < m.absent) {
                m.absent = r.threshold - r.score;
                m.absentAt = where;
              }
              if (r.found) {
                m.failures.push(`found where absent: ${where}`);
              }
            }
          }),
        );
      }
    }
    await Promise.all(jobs);
    return m;
  }

  it('ships templates cut from the current game screens', async () => {
    const source = await renderGameScreens();
    const byName = new Map(source.map((s) => [s.name, s]));
    for (const t of SHIPPED_TEMPLATES) {
      const spec = registry.get(t.name);
      assert.ok(spec, `${t.name} is in the registry`);
      const want = cropRgba(byName.get(t.from)!, t.crop);
      const img = await registry.image(spec.image);
      assert.deepEqual([img.width, img.height], [want.width, want.height], t.name);
      assert.ok(Buffer.from(img.data).equals(Buffer.from(want.data)), `${spec.image} is out of date: run scripts/makeTemplates.ts`);
      const png = await sharpDecoder.info(await new NodeFileStore(ROOT).readFile(spec.image));
      assert.equal(png.format, 'png');
    }
  });

  for (const v of VARIANTS) {
    it(`finds every template where it is and nowhere else: ${v.name}`, async () => {
      const frames = await Promise.all(shots.map(async (s) => ({ name: s.name, frame: toFrame(await v.apply(s)) })));
      const m = await evaluate(frames, () => ({}), v.multiScale ?? false);
      console.log(
        `      margins ${v.name}: present >= ${m.present.toFixed(3)} (${m.presentAt}); absent >= ${m.absent.toFixed(3)} (${m.absentAt})`,
      );
      assert.deepEqual(m.failures, []);
    });
  }

  it('finds them on a 1080x1920 device (templates and regions scaled from 540x960)', async () => {
    const names = ['launcher', 'home', 'packSelect+premiumRequired', 'missions+error', 'wonderPickResult', 'opening@done'];
    const big = await renderGameScreens({ width: 1080, height: 1920 }, 123, names);
    const frames = big.map((s) => ({ name: s.name, frame: toFrame(s) }));
    const m = await evaluate(frames, () => ({}), false);
    console.log(`      margins 1080x1920: present >= ${m.present.toFixed(3)} (${m.presentAt}); absent >= ${m.absent.toFixed(3)} (${m.absentAt})`);
    assert.deepEqual(m.failures, []);
  });

  it('evaluates the shipped colour checks', async () => {
    for (const v of VARIANTS.filter((x) => !x.multiScale && !x.name.startsWith('shift'))) {
      for (const s of shots) {
        const frame = toFrame(await v.apply(s));
        for (const c of SHIPPED_COLORS) {
          const spec = registry.getColor(c.name);
          assert.ok(spec);
          const r = vision.checkColor(frame, spec);
          assert.equal(r.ok, c.trueOn.includes(s.name), `${c.name} on ${s.name} (${v.name}): ${r.actual}, distance ${r.distance}`);
        }
      }
    }
  });
});
