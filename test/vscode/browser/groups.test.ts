/**
 * The Emulator Fleet sidebar in the browser: virtual devices started from the palette, the demo group started from
 * its inline Start button, its icon and its bots changing, screenshots of the running group in light and dark
 * theme for the README, then Stop.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import type { Locator } from 'playwright-core';
import { useWorkbench } from '../support/session';

/** Waits until the row's accessible label (`<name>, <description>`) matches `re`. */
async function labelMatches(row: Locator, re: RegExp, timeoutMs = 60_000): Promise<string> {
  const handle = await row.elementHandle();
  await row.page().waitForFunction(
    ({ el, src }) => new RegExp(src).test(el?.getAttribute('aria-label') ?? ''),
    { el: handle, src: re.source },
    { timeout: timeoutMs, polling: 100 },
  );
  return (await row.getAttribute('aria-label')) ?? '';
}

describe('(browser) Emulator Fleet sidebar', () => {
  const wb = useWorkbench({ fresh: true });

  it('starts a group from its inline action and stops it; the running group in light and dark theme @readme', async () => {
    const w = wb();
    // Virtual devices only: no ADB server of this machine is touched.
    w.server.setSettings({ 'emulatorFleet.adb.servers': [] });
    await w.openViewContainer('Emulator Fleet');
    const group = await w.treeItem('Groups', 'Premium Farmers');
    assert.match(await labelMatches(group, /Idle/), /Premium Farmers, Idle/);

    await w.runCommand('Emulator Fleet: Start Virtual Devices…');
    await w.answerInput('4');
    // Every device online before the start: a device still booting would be skipped (its bot numbered after it).
    for (const n of [1, 2, 3, 4]) {
      await labelMatches(await w.treeItem('Devices', ['Virtual devices', `virtual-${n}`]), new RegExp(`virtual-${n}, online`));
    }

    await w.clickInlineAction(group, 'Start Group');
    await labelMatches(group, /Running · pool \d+\/\d+ · 2\/4 instances/);
    assert.equal(await group.locator('.codicon-pass-filled').count(), 1, 'the running icon');
    // Its two bots, named by their instance (an instance whose launch failed under load is replaced by the next).
    await w.expandTreeItem(group);
    const bots = (await w.view('Groups')).locator('.monaco-list-row[aria-level="2"]');
    await bots.nth(1).waitFor();
    const bot = bots.first();
    await labelMatches(bot, /^bot \d+, (Running|Starting)/);
    await labelMatches(bot, /[1-9]\d* cycles?/, 120_000);

    // The default side bar cuts the descriptions (`Running · pool 14/16 · 2/4 instances`): the README shows them whole.
    await w.resizeSidebar(520);
    await labelMatches(bot, /[1-9]\d* cycles?/);
    for (const row of [group, bot]) {
      const label = row.locator('.monaco-icon-label-container').first();
      assert.ok(await label.evaluate((e) => e.scrollWidth <= e.clientWidth), `the row shows whole: ${await row.getAttribute('aria-label')}`);
    }
    const files = await w.screenshotInThemes('groups-view', ['light', 'dark'], { readme: true });
    assert.equal(files.length, 2);
    for (const f of files) {
      assert.ok(existsSync(f), f);
    }

    await w.clickInlineAction(group, 'Stop Group');
    await labelMatches(group, /Stopped/);
    assert.equal(await group.locator('.codicon-circle-large-outline').count(), 1, 'the stopped icon');
  });
});
