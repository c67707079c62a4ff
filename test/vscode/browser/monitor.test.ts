/**
 * The monitor panel in the real VS Code: opened from the command palette, one card per group of the workspace,
 * Start on a card starts the group on virtual devices started first from the palette, its bots appear as
 * tiles, Stop ends it; the panel in light and dark theme for the README.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { useWorkbench } from '../support/session';
import type { Workbench } from '../support/workbench';

const EXTENSION_ID = 'emulator-fleet.emulator-fleet';

interface InputLogEntry {
  kind: string;
  x?: number;
  y?: number;
  seq: number;
}

/**
 * The input log of a virtual device (`vdev inputlog`), read with Debian's adb through the fleet's embedded ADB
 * endpoint (`server` is the device's `host:port`, as the fleet reports it).
 */
function inputLog(server: string, serial: string): Promise<InputLogEntry[]> {
  const port = server.slice(server.lastIndexOf(':') + 1);
  return new Promise((resolve, reject) => {
    execFile('adb', ['-P', port, '-s', serial, 'shell', 'vdev', 'inputlog'], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`adb: ${err.message} ${stderr}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as InputLogEntry[]);
      } catch (e) {
        reject(new Error(`vdev inputlog printed no JSON (${e instanceof Error ? e.message : String(e)}): ${stdout}`));
      }
    });
  });
}

/** Reads the device's input log until `found` holds (each read waits for adb), for at most `timeoutMs`. */
async function untilInputLogged(server: string, serial: string, found: (log: InputLogEntry[]) => boolean, timeoutMs: number): Promise<InputLogEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await inputLog(server, serial);
    if (found(log) || Date.now() > deadline) {
      return log;
    }
  }
}

/**
 * Starts four virtual devices through the palette (the groups' instances 1-4) unless the Devices view shows some
 * already, and waits until the view lists them.
 */
async function virtualDevicesUp(w: Workbench): Promise<void> {
  await w.openViewContainer('Emulator Fleet');
  const devices = await w.view('Devices');
  const row = devices.locator('.monaco-list-row', { hasText: /Virtual devices/ });
  if ((await row.count()) === 0) {
    await w.runCommand('Emulator Fleet: Start Virtual Devices…');
    await w.answerInput('4');
  }
  await row.filter({ hasText: /\d+ running/ }).first().waitFor({ timeout: 90_000 });
}

describe('(browser) monitor panel', () => {
  const wb = useWorkbench();

  it('shows a card per group; Start on a card starts the group, its bots appear as tiles; Stop ends it', async () => {
    const w = wb();
    await virtualDevicesUp(w);
    await w.runCommand('Emulator Fleet: Open Monitor');
    const view = w.webview({ extensionId: EXTENSION_ID });
    const premium = view.locator('.card[data-group="Premium Farmers"]');
    await premium.waitFor({ timeout: 90_000 });
    await view.locator('.card[data-group="Wonder Pick Farmers"]').waitFor();
    await premium.locator('vscode-button[data-action="start"]').click();
    await premium.locator('[role="listitem"]').first().waitFor({ timeout: 90_000 });
    // The card's own status (a tile's status reads "Running" too).
    await premium.locator('.status[data-state="running"]').waitFor({ timeout: 90_000 });
    const tiles = await premium.locator('[role="listitem"]').count();
    assert.equal(tiles, 2, 'one tile per bot (requestedBotCount 2)');
    await premium.locator('vscode-button[data-action="stop"]').click();
    await premium.locator('.status[data-state="stopped"]').waitFor({ timeout: 90_000 });
  });

  it('live tiles, a match box, zoom, takeover on pause, the recorder timeline and a bug report @readme', async () => {
    const w = wb();
    await virtualDevicesUp(w);
    await w.runCommand('Emulator Fleet: Open Monitor');
    const view = w.webview({ extensionId: EXTENSION_ID });
    const frame = await w.webviewFrame({ extensionId: EXTENSION_ID });
    const premium = view.locator('.card[data-group="Premium Farmers"]');
    await premium.waitFor({ timeout: 90_000 });
    await premium.locator('vscode-button[data-action="start"]').click();
    const tile = '.card[data-group="Premium Farmers"] .tile[data-instance="1"]';
    // The tile's image is drawn from the bot's own captures, and changes over time.
    await frame.waitForFunction((s) => document.querySelector<HTMLCanvasElement>(`${s} .screen-image`)?.dataset.frame !== undefined, tile, { timeout: 90_000 });
    const first = await frame.$eval(`${tile} .screen-image`, (c) => (c as HTMLCanvasElement).dataset.frame);
    await frame.waitForFunction(([s, f]) => document.querySelector<HTMLCanvasElement>(`${s} .screen-image`)?.dataset.frame !== f, [tile, first] as const, { timeout: 60_000 });
    // The README's monitor: both bots' tiles live, a match drawn on one, the Groups view showing the same run.
    await frame.waitForFunction(
      () => {
        const tiles = [...document.querySelectorAll<HTMLElement>('.card[data-group="Premium Farmers"] .tile')];
        return tiles.length === 2 && tiles.every((t) => t.querySelector<HTMLCanvasElement>('.screen-image')?.dataset.frame !== undefined) && tiles.some((t) => (t.querySelector<HTMLCanvasElement>('.screen-overlay')?.dataset.matches ?? '') !== '');
      },
      undefined,
      { timeout: 90_000, polling: 100 },
    );
    await untilRowSays(w, 'Premium Farmers', /Running/);
    await untilRowSays(w, ['Premium Farmers', 'bot 1'], /Running/);
    await untilRowSays(w, ['Premium Farmers', 'bot 2'], /Running/);
    // A tile lists the scores of its step's matches (the list empties at each new step: wait for one that has them).
    await view.locator('.card[data-group="Premium Farmers"] .tile .tile-matches', { hasText: /[◆◇] \d\.\d\d \S+/ }).first().waitFor({ timeout: 90_000 });
    await w.screenshotInThemes('monitor', ['light', 'dark'], { readme: true });
    // Zoom: the larger live view; a match of the step is drawn as a box.
    await view.locator(tile).click();
    await view.locator('.zoom:not([hidden])').waitFor();
    await frame.waitForFunction(() => document.querySelector<HTMLCanvasElement>('.zoom .screen-image')?.dataset.frame !== undefined, undefined, { timeout: 60_000 });
    await frame.waitForFunction(() => (document.querySelector('.zoom .screen-overlay')?.getAttribute('data-matches') ?? '') !== '', undefined, { timeout: 90_000 });
    await w.screenshotInThemes('monitor-zoom', ['light', 'dark'], { readme: true });
    // The routine's own taps are events of the bot, shown apart from the user's.
    await view.locator('.zoom .event-list li[data-by="routine"]', { hasText: /Routine: tap \d+,\d+/ }).first().waitFor({ timeout: 90_000 });
    // Pause: the user has control; a click on the screen is a tap on the device (checked in its input log below).
    await view.locator('.zoom-actions vscode-button', { hasText: 'Pause' }).click();
    await view.locator('#takeover-banner:not([hidden])').waitFor({ timeout: 60_000 });
    const box = await view.locator('.zoom .screen-image').boundingBox();
    assert.ok(box);
    // A point off the centre (a quarter across, a third down), so the check cannot match a routine tap by chance.
    const at = { x: box.width / 4, y: box.height / 3 };
    await w.page.mouse.click(box.x + at.x, box.y + at.y);
    // The recorder: scrub back to the oldest frame.
    await frame.waitForFunction(() => Number(document.querySelector<HTMLInputElement>('.timeline-range')?.max ?? '0') > 0, undefined, { timeout: 60_000 });
    await view.locator('.timeline-range').focus();
    await w.page.keyboard.press('Home');
    await frame.waitForFunction(() => document.querySelector<HTMLElement>('.zoom')?.dataset.shownFrame !== undefined, undefined, { timeout: 30_000 });
    // Save a bug report: the folder holds the frames, the events, the routine and group files and the versions.
    await view.locator('.zoom-save vscode-button', { hasText: /bug report/i, hasNotText: /as…/ }).click();
    await view.locator('.zoom-status', { hasText: /Bug report written: / }).waitFor({ timeout: 60_000 });
    const text = (await view.locator('.zoom-status').textContent()) ?? '';
    const dir = text.replace(/^Bug report written: /, '').trim();
    assert.ok(dir.startsWith(path.join(w.folder, '.fleet', 'reports')), dir);
    for (const f of ['events.jsonl', 'report.json', 'routines/farm_premium.yaml', 'group/premium_farmers.yaml']) {
      assert.ok(existsSync(path.join(dir, f)), `${f} in ${readdirSync(dir).join(', ')}`);
    }
    assert.ok(readdirSync(path.join(dir, 'frames')).some((n) => n.endsWith('.jpg')), 'recorded frames');
    // The events tell the routine's inputs (with their step) from the user's.
    const events = readFileSync(path.join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; by?: string; path?: string; input?: { kind: string } });
    assert.ok(
      events.some((e) => e.kind === 'input' && e.by === 'routine' && e.input?.kind === 'tap' && e.path !== undefined),
      'a routine tap with its step is in events.jsonl',
    );
    // The tap reached the device: its input log (read through the fleet's ADB endpoint named in report.json).
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as { device?: { serial: string; server?: string; source: string } };
    assert.ok(report.device?.server && report.device.source === 'virtual', JSON.stringify(report.device));
    const device = { width: 540, height: 960 };
    const want = { x: Math.round((at.x / box.width) * device.width), y: Math.round((at.y / box.height) * device.height) };
    const near = (e: InputLogEntry) => e.kind === 'tap' && Math.abs((e.x ?? -99) - want.x) <= 2 && Math.abs((e.y ?? -99) - want.y) <= 2;
    const log = await untilInputLogged(report.device.server, report.device.serial, (l) => l.some(near), 30_000);
    assert.ok(log.some(near), `a tap near ${want.x},${want.y} in the device's input log: ${JSON.stringify(log.filter((e) => e.kind === 'tap').slice(-5))}`);
    // Resume, back, Stop.
    await view.locator('#takeover-banner vscode-button').click();
    await view.locator('.zoom-bar vscode-button', { hasText: 'Back' }).click();
    await view.locator('.zoom').waitFor({ state: 'hidden' });
    await premium.locator('vscode-button[data-action="stop"]').click();
    await premium.locator('.status[data-state="stopped"]').waitFor({ timeout: 90_000 });
  });

  it('after a Stop on a card, the Groups view says Stopped too; the stopped cards in both themes', async () => {
    const w = wb();
    const view = w.webview({ extensionId: EXTENSION_ID });
    await view.locator('.card[data-group="Premium Farmers"] .status[data-state="stopped"]').waitFor({ timeout: 60_000 });
    await untilRowSays(w, 'Premium Farmers', /Stopped/);
    const files = await w.screenshotInThemes('monitor-stopped', ['light', 'dark']);
    assert.equal(files.length, 2);
    for (const f of files) {
      assert.ok(existsSync(f), f);
    }
  });
});

/** Waits until the Groups view's row (a group, or `[group, 'bot N']`) says `state` (its aria-label holds the description). */
async function untilRowSays(w: Workbench, row: string | string[], state: RegExp): Promise<void> {
  const item = await w.treeItem('Groups', row);
  const el = await item.elementHandle();
  await w.page.waitForFunction(([e, re]) => new RegExp(re).test(e?.getAttribute('aria-label') ?? ''), [el, state.source] as const, { timeout: 60_000, polling: 100 });
}
