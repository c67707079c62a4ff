import assert from 'node:assert/strict';
import { LAYOUT, REFERENCE_HEIGHT, REFERENCE_WIDTH, layoutEntries, rectCenter, rectContains, scaleRect } from '../../../src/virtual/game/layout';
import { textPathData, textWidth } from '../../../src/virtual/game/strokeFont';
import { makeRig, type Rig } from './gameTestSupport';

/** Mean absolute difference per byte between two frames' RGB inside a reference rectangle. */
function regionDiff(rig: Rig, a: Buffer, b: Buffer, r: { x: number; y: number; w: number; h: number }): number {
  const s = scaleRect(r, rig.game.width, rig.game.height);
  let sum = 0;
  let n = 0;
  for (let y = s.y; y < s.y + s.h; y++) {
    for (let x = s.x; x < s.x + s.w; x++) {
      const i = (y * rig.game.width + x) * 4;
      for (let c = 0; c < 3; c++) {
        sum += Math.abs(a[i + c] - b[i + c]);
        n++;
      }
    }
  }
  return sum / n;
}

async function toResults(rig: Rig): Promise<Buffer> {
  rig.tapRect(LAYOUT.title.tapToStart);
  rig.tapRect(LAYOUT.home.packsButton);
  rig.tapRect(LAYOUT.packSelect.open);
  rig.time.advance(1500);
  rig.game.tap(3, 3);
  assert.equal(rig.game.screen(), 'results');
  return rig.game.render();
}

describe('(unit) Pocket Packs rendering', () => {
  it('renders opaque RGBA of the configured size', async () => {
    for (const [width, height] of [
      [540, 960],
      [720, 1280],
    ]) {
      const r = makeRig({ width, height });
      const frame = await r.game.render();
      assert.equal(frame.length, width * height * 4);
      for (let i = 3; i < frame.length; i += 4 * 997) {
        assert.equal(frame[i], 255);
      }
    }
  });

  it('returns the cached Buffer while nothing changes, and a new one after a change', async () => {
    const r = makeRig();
    const v0 = r.game.version;
    const [a, b] = await Promise.all([r.game.render(), r.game.render()]);
    assert.equal(a, b, 'concurrent renders share one rasterisation');
    r.time.advance(5000);
    assert.equal(await r.game.render(), a, 'a static screen does not re-render as time passes');
    assert.equal(r.game.version, v0);
    r.game.text('ignored by the picture');
    r.game.tap(2, 2); // title: goes on (to home)
    assert.ok(r.game.version > v0);
    const c = await r.game.render();
    assert.notEqual(c, a);
    const v1 = r.game.version;
    r.tapRect({ x: 0, y: 880, w: 40, h: 40 }); // nothing there on home
    assert.equal(r.game.version, v1);
    assert.equal(await r.game.render(), c);
  });

  it('animates at 10 frames per second at most, with visible changes', async () => {
    const r = makeRig({ boot: 'launcher' });
    r.tapRect(LAYOUT.launcher.gameIcon);
    const v0 = r.game.version;
    const f0 = await r.game.render();
    r.time.advance(60);
    assert.equal(r.game.version, v0, 'same 100 ms frame');
    assert.equal(await r.game.render(), f0);
    r.time.advance(40);
    assert.equal(r.game.version, v0 + 1);
    const f1 = await r.game.render();
    assert.ok(regionDiff(r, f0, f1, LAYOUT.splash.logo) > 1, 'the splash logo turns');
    assert.ok(regionDiff(r, f0, f1, LAYOUT.splash.progress) > 1, 'the progress bar fills');
    r.time.advance(900);
    assert.equal(r.game.screen(), 'title');
  });

  it('renders identical bytes for the same seed and inputs; different seeds differ', async () => {
    const first = makeRig({ seed: 42 });
    const a = await toResults(first);
    const b = await toResults(makeRig({ seed: 42 }));
    assert.ok(a.equals(b));
    const other = makeRig({ seed: 43 });
    const c = await toResults(other);
    assert.notDeepEqual(other.state().lastCards, first.state().lastCards);
    assert.ok(!a.equals(c));
    assert.ok(regionDiff(other, a, c, LAYOUT.results.cards[0]) + regionDiff(other, a, c, LAYOUT.results.cards[4]) > 0);
  });

  it('draws the screens differently where templates look (headers, dialogs, pop-ups)', async () => {
    const r = makeRig({ account: { premium: false } });
    const title = await r.game.render();
    r.tapRect(LAYOUT.title.tapToStart);
    const home = await r.game.render();
    assert.ok(regionDiff(r, title, home, LAYOUT.title.tapToStart) > 10);
    r.tapRect(LAYOUT.home.packsButton);
    const packs = await r.game.render();
    assert.ok(regionDiff(r, home, packs, LAYOUT.home.header) > 10, 'headers tell home from pack select');
    r.tapRect(LAYOUT.packSelect.premium);
    const dialog = await r.game.render();
    assert.ok(regionDiff(r, packs, dialog, LAYOUT.dialog.premiumRequired.ok) > 10);
    r.tapRect(LAYOUT.dialog.premiumRequired.ok);
    assert.ok((await r.game.render()).equals(packs), 'closing the dialog restores the same frame');
    r.game.forceError();
    r.game.key(4);
    const error = await r.game.render();
    r.tapRect(LAYOUT.popup.error.retry);
    r.game.forcePopup('daily');
    r.game.key(4);
    const daily = await r.game.render();
    assert.ok(regionDiff(r, error, daily, LAYOUT.popup.error.title) > 10, 'pop-up titles differ');
    r.game.key(3);
    const launcher = await r.game.render();
    assert.ok(regionDiff(r, daily, launcher, LAYOUT.launcher.gameIcon) > 10);
  });
});

describe('(unit) Pocket Packs layout', () => {
  it('keeps every rectangle inside the 540x960 reference screen', () => {
    const entries = layoutEntries();
    assert.ok(entries.length > 40);
    for (const { path, rect } of entries) {
      assert.ok(rect.w > 0 && rect.h > 0, path);
      assert.ok(rect.x >= 0 && rect.y >= 0 && rect.x + rect.w <= REFERENCE_WIDTH && rect.y + rect.h <= REFERENCE_HEIGHT, path);
    }
    const paths = new Set(entries.map((e) => e.path));
    for (const p of ['title.tapToStart', 'home.packsButton', 'home.wonderPickButton', 'home.missionsButton', 'packSelect.premium', 'packSelect.standard', 'packSelect.open', 'results.next', 'results.cards.4', 'popup.daily.ok', 'popup.notice.close', 'popup.error.retry', 'dialog.quit.cancel', 'launcher.gameIcon', 'title.logo', 'home.header']) {
      assert.ok(paths.has(p), p);
    }
  });

  it('scales so that the centre of a scaled rectangle maps back inside it at any size', () => {
    for (const [w, h] of [
      [540, 960],
      [720, 1280],
      [1080, 1920],
      [480, 800],
      [601, 999],
      [320, 480],
    ]) {
      for (const { path, rect } of layoutEntries()) {
        const s = scaleRect(rect, w, h);
        const c = rectCenter(s);
        assert.ok(rectContains(s, c.x, c.y), `${path} at ${w}x${h}`);
        assert.ok(rectContains(rect, (c.x * REFERENCE_WIDTH) / w, (c.y * REFERENCE_HEIGHT) / h), `${path} at ${w}x${h} maps back`);
      }
    }
    assert.deepEqual(scaleRect({ x: 10, y: 20, w: 30, h: 40 }, 1080, 1920), { x: 20, y: 40, w: 60, h: 80 });
  });

  it('has a stroke font that draws every label without system fonts', () => {
    const d = textPathData('Tap to start: 0123456789 #?!', 0, 0, 12);
    assert.match(d, /^M/);
    assert.equal(textPathData('   ', 0, 0, 12), '');
    assert.equal(textWidth('', 10), 0);
    assert.ok(textWidth('HOME', 12) > textWidth('HOM', 12));
    assert.ok(textPathData('\u00e9', 0, 0, 6).length > 0, 'unknown characters are drawn as a box');
  });
});
