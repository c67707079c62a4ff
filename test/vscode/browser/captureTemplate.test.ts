/**
 * Capture Template in the real VS Code: the Explorer's context menu on a PNG opens the capture view, a rectangle is
 * dragged on the frame and nudged with the keyboard, named and saved; the saved PNG holds exactly the crop's
 * pixels and the registry entry its name, image, padded region and the threshold the view suggested. The command
 * opens a PNG chosen in the open dialog too.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import sharp from 'sharp';
import { parse } from 'yaml';
import { padRegion } from '../../../src/bot/vision/templateSuggest';
import { renderGameScreens } from '../../../scripts/makeTemplates';
import { useWorkbench } from '../support/session';

const W = 540;
const H = 960;
/** The PACKS label of the home screen's button: distinctive, and in view once zoomed in around the centre. */
const RECT = { x: 234, y: 402, w: 172, h: 64 };

async function dataset(f: Frame): Promise<Record<string, string>> {
  return f.locator('#canvas').evaluate((el) => ({ ...(el as HTMLCanvasElement).dataset }) as Record<string, string>);
}

describe('(browser) Capture Template', () => {
  const wb = useWorkbench();
  let raw: Buffer;

  before(async () => {
    const [home] = await renderGameScreens({ width: W, height: H }, 7, ['home']);
    raw = Buffer.from(home!.data);
    mkdirSync(path.join(wb().folder, 'shots'), { recursive: true });
    writeFileSync(path.join(wb().folder, 'shots', 'frame.png'), await sharp(raw, { raw: { width: W, height: H, channels: 4 } }).png().toBuffer());
  });

  it('drags a rectangle on a saved frame, nudges it, and saves the exact crop and its registry entry @readme', async () => {
    const w = wb();
    const row = await w.treeItem('fleet', ['shots', 'frame.png']);
    await row.click({ button: 'right' });
    // The workbench's menus ignore a mouse-up that comes right after they open: hover the item (which focuses it)
    // and press Enter, then wait for the menu to close.
    const item = w.page.locator('.context-view .monaco-menu .action-item', { hasText: 'Capture Template' });
    await item.hover();
    await w.page.locator('.context-view .monaco-menu .action-item.focused', { hasText: 'Capture Template' }).waitFor();
    await w.page.keyboard.press('Enter');
    await w.page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden' });
    const f = await w.webviewFrame({ extensionId: 'emulator-fleet.emulator-fleet' });
    await f.waitForSelector('#canvas[data-loaded="true"]');
    // Zoom in with the button (around the centre) until a frame pixel is more than a screen pixel: the drag's
    // ends then land inside the intended pixels whatever the pointer's rounding.
    for (let i = 0; i < 8 && Number((await dataset(f)).zoom) < 1.3; i++) {
      await f.click('#zoom-in');
    }
    const ds = await dataset(f);
    assert.equal(ds.width, String(W));
    assert.equal(ds.height, String(H));
    const box = (await f.locator('#canvas').boundingBox())!;
    const zoom = Number(ds.zoom);
    const ox = Number(ds.ox);
    const oy = Number(ds.oy);
    assert.ok(zoom >= 1.3, `zoomed in (${zoom})`);
    assert.ok(RECT.x >= ox && RECT.y >= oy && RECT.x + RECT.w <= ox + box.width / zoom && RECT.y + RECT.h <= oy + box.height / zoom, 'the rectangle is in view');
    const at = (fx: number, fy: number) => ({ x: box.x + (fx - ox) * zoom, y: box.y + (fy - oy) * zoom });
    const from = at(RECT.x + 0.5, RECT.y + 0.5);
    const to = at(RECT.x + RECT.w - 0.5, RECT.y + RECT.h - 0.5);
    await w.page.mouse.move(from.x, from.y);
    await w.page.mouse.down();
    await w.page.mouse.move(to.x, to.y, { steps: 6 });
    await w.page.mouse.up();
    const selection = (r: { x: number; y: number; w: number; h: number }) => `${r.x},${r.y},${r.w},${r.h}`;
    const selected = (want: string) => f.waitForFunction((v) => document.querySelector<HTMLCanvasElement>('#canvas')?.dataset.selection === v, want);
    await selected(selection(RECT));
    // Arrow keys nudge (Shift: 10 px), Alt resizes.
    await f.focus('#canvas');
    await w.page.keyboard.press('ArrowRight');
    await w.page.keyboard.press('Shift+ArrowDown');
    await w.page.keyboard.press('Alt+ArrowLeft');
    await selected(selection({ x: RECT.x + 1, y: RECT.y + 10, w: RECT.w - 1, h: RECT.h }));
    await w.page.keyboard.press('ArrowLeft');
    await w.page.keyboard.press('Shift+ArrowUp');
    await w.page.keyboard.press('Alt+ArrowRight');
    await selected(selection(RECT));
    const rect = RECT;

    // A bad name is refused in the view; a good one enables Save once the threshold is suggested.
    await f.fill('#name', 'home header');
    await f.waitForFunction(() => /letters, digits/.test(document.querySelector('#name-problem')?.textContent ?? ''));
    await f.fill('#name', 'home.packsLabel');
    await f.waitForFunction(() => /^Suggested 0\.\d\d: midway between the best false match/.test(document.querySelector('#explanation')?.textContent ?? ''));
    const threshold = Number(await f.inputValue('#threshold'));
    assert.ok(threshold >= 0.7 && threshold <= 0.98, `threshold ${threshold} within [0.7, 0.98]`);
    await f.waitForSelector('#save:not([disabled])');
    await w.screenshotInThemes('capture-template', ['light', 'dark'], { readme: true });
    await f.click('#save');
    await f.waitForFunction(() => /^Saved home\.packsLabel/.test(document.querySelector('#status')?.textContent ?? ''));
    const status = (await f.textContent('#status')) ?? '';
    assert.match(status, /score (0\.9\d\d|1\.000) on this frame \(found/);

    // The PNG: the crop's exact pixels.
    const png = path.join(wb().folder, 'templates', 'pocketPacks', 'home.packsLabel.png');
    const saved = await sharp(readFileSync(png)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.equal(saved.info.width, rect.w);
    assert.equal(saved.info.height, rect.h);
    const expected = Buffer.alloc(rect.w * rect.h * 4);
    for (let y = 0; y < rect.h; y++) {
      raw.copy(expected, y * rect.w * 4, ((rect.y + y) * W + rect.x) * 4, ((rect.y + y) * W + rect.x + rect.w) * 4);
    }
    assert.ok(saved.data.equals(expected), 'the saved pixels equal the crop of the frame');

    // The registry entry: name, image, padded region, the threshold shown (the frame is at the file's resolution: no
    // referenceSize of its own); comments kept.
    const text = readFileSync(path.join(wb().folder, 'templates', 'pocketPacks.yaml'), 'utf8');
    assert.ok(text.startsWith('# The demo game\'s templates.'), 'the leading comment is kept');
    const doc = parse(text) as { templates: Array<Record<string, unknown>> };
    const entry = doc.templates.find((t) => t.name === 'home.packsLabel');
    assert.deepEqual(entry, {
      name: 'home.packsLabel',
      image: 'templates/pocketPacks/home.packsLabel.png',
      threshold,
      region: padRegion(rect, { width: W, height: H }),
    });
  });

  it('opens a saved frame chosen in the open dialog (the command\'s "Saved frame (PNG)…" source)', async () => {
    const w = wb();
    await w.runCommand('Emulator Fleet: Capture Template');
    await w.pickQuickItem('Saved frame (PNG)…');
    // The workbench's own file dialog (a remote window's): it opens on the workspace folder; type the file's path.
    const input = w.page.locator('.quick-input-widget .quick-input-box input');
    await w.page.waitForFunction((folder) => (document.querySelector<HTMLInputElement>('.quick-input-widget .quick-input-box input')?.value ?? '').startsWith(folder), w.folder);
    await w.screenshot('capture-template-open-dialog');
    await input.fill(path.posix.join(w.folder, 'shots', 'frame.png'));
    // The dialog lists the folder's entries as the path is typed; Enter accepts the file once it is resolved.
    await w.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'frame.png' }).first().waitFor();
    await input.press('Enter');
    await w.page.locator('.part.editor .tab.active', { hasText: 'Capture Template: file shots/frame.png' }).waitFor();
    const f = await w.webviewFrame({ extensionId: 'emulator-fleet.emulator-fleet' });
    await f.waitForSelector('#canvas[data-loaded="true"]');
    const ds = await dataset(f);
    assert.equal(ds.width, String(W));
    assert.equal(ds.height, String(H));
  });
});
