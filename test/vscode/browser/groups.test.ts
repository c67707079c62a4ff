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
    // All four online before the start: a device still booting is skipped (onBusy: skip) and the bots are renamed.
    for (let i = 1; i <= 4; i++) {
      await labelMatches(await w.treeItem('Devices', ['Virtual devices', `virtual-${i}`]), /online/);
    }

    await w.clickInlineAction(group, 'Start Group');
    await labelMatches(group, /Running · pool \d+\/\d+ · 2\/4 instances/);
    assert.equal(await group.locator('.codicon-pass-filled').count(), 1, 'the running icon');
    const bot = await w.treeItem('Groups', ['Premium Farmers', 'bot 1']);
    await labelMatches(bot, /bot 1, (Running|Starting)/);
    await w.treeItem('Groups', 'bot 2');
    await labelMatches(bot, /[1-9]\d* cycles?/, 120_000);

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
