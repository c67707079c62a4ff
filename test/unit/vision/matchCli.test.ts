import { strict as assert } from 'node:assert';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/commands/match';
import { cropRgba } from '../../../src/bot/vision/frame';
import { encodePng } from '../../../src/bot/vision/imageCodec';
import { captureOutput, type CapturedOutput } from '../../support/captureOutput';
import { paste, syntheticImage } from './synthetic';

/** Runs the command in process, capturing what it prints. */
function run(args: string[]): Promise<CapturedOutput> {
  return captureOutput(() => main(args));
}

describe('(unit) vision CLI: emulator-fleet match', () => {
  let dir: string;
  const frame = syntheticImage(540, 960, 5);
  const tpl = cropRgba(frame, { x: 200, y: 300, w: 60, h: 40 });
  // A second copy of the template elsewhere, for --all.
  paste(frame, tpl, 400, 700);

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ef-match-'));
    writeFileSync(path.join(dir, 'frame.png'), await encodePng(frame));
    writeFileSync(path.join(dir, 'tpl.png'), await encodePng(tpl));
    mkdirSync(path.join(dir, 'templates', 'img'), { recursive: true });
    writeFileSync(path.join(dir, 'templates', 'img', 'tpl.png'), await encodePng(tpl));
    writeFileSync(path.join(dir, 'templates', 'ui.yaml'), 'templates:\n  - name: ui.thing\n    image: templates/img/tpl.png\n    threshold: 0.9\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the JSON contract for an image template', async () => {
    const r = await run([path.join(dir, 'frame.png'), path.join(dir, 'tpl.png'), '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { matches: Array<Record<string, number>>; best: Record<string, number> };
    assert.equal(j.matches.length, 1);
    const m = j.matches[0];
    assert.ok(m.x === 200 || m.x === 400);
    assert.deepEqual(Object.keys(m).sort(), ['h', 'scale', 'score', 'w', 'x', 'y']);
    assert.ok(m.score > 0.99);
    assert.equal(j.best.score, m.score);
  });

  it('lists every match with --all, and only those inside --region', async () => {
    const all = JSON.parse((await run([path.join(dir, 'frame.png'), path.join(dir, 'tpl.png'), '--all', '--json'])).out) as { matches: Array<{ x: number; y: number }> };
    assert.deepEqual(
      all.matches.map((m) => [m.x, m.y]).sort((a, b) => a[0] - b[0]),
      [
        [200, 300],
        [400, 700],
      ],
    );
    const inRegion = JSON.parse((await run([path.join(dir, 'frame.png'), path.join(dir, 'tpl.png'), '--all', '--json', '--region', '350,650,150,120'])).out) as {
      matches: Array<{ x: number; y: number }>;
    };
    assert.deepEqual(
      inRegion.matches.map((m) => [m.x, m.y]),
      [[400, 700]],
    );
  });

  it('resolves a registry name under --root and exits 1 when nothing reaches the threshold', async () => {
    const hit = await run([path.join(dir, 'frame.png'), 'ui.thing', '--root', dir]);
    assert.equal(hit.code, 0, hit.err);
    assert.match(hit.out, /match 1: x=(200|400) y=(300|700) w=60 h=40 score=1\.0000/);
    const miss = await run([path.join(dir, 'frame.png'), 'ui.thing', '--root', dir, '--region', '0,0,100,100', '--json']);
    assert.equal(miss.code, 1);
    const j = JSON.parse(miss.out) as { matches: unknown[]; best: { score: number } };
    assert.deepEqual(j.matches, []);
    assert.ok(j.best.score < 0.9);
  });

  it('exits 2 with a clear message for bad input', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[path.join(dir, 'frame.png')], /expected a frame and a template/],
      [[path.join(dir, 'missing.png'), path.join(dir, 'tpl.png')], /cannot read frame/],
      [[path.join(dir, 'frame.png'), 'ui.thingy', '--root', dir], /unknown template 'ui\.thingy'/],
      [[path.join(dir, 'frame.png'), path.join(dir, 'tpl.png'), '--threshold', '2'], /--threshold/],
      [[path.join(dir, 'frame.png'), path.join(dir, 'tpl.png'), '--region', '1,2,3'], /--region/],
      [[path.join(dir, 'frame.png'), path.join(dir, 'tpl.png'), '--region', '0,0,10,10'], /does not fit/],
      [[path.join(dir, 'templates', 'ui.yaml'), path.join(dir, 'tpl.png')], /not a readable image/],
    ];
    for (const [args, re] of cases) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')} -> ${r.code} ${r.out} ${r.err}`);
      assert.match(r.err, re);
    }
  });
});
