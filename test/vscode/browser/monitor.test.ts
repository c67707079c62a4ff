/**
 * The monitor panel in the real VS Code: opened from the command palette, one card per group of the workspace,
 * Start on a card starts the group on virtual devices the fleet starts first (the setting), its bots appear as
 * tiles, Stop ends it; the panel in light and dark theme for the README.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { useWorkbench } from '../support/session';

const EXTENSION_ID = 'emulator-fleet.emulator-fleet';

describe('(browser) monitor panel', () => {
  const wb = useWorkbench();

  before(function () {
    this.timeout(60_000);
    // The fleet starts four virtual devices: the groups' instances 1-4.
    wb().server.setSettings({ 'emulatorFleet.virtualDevices.atStartup': 4 });
  });

  after(() => {
    wb().server.setSettings({ 'emulatorFleet.virtualDevices.atStartup': undefined });
  });

  it('shows a card per group; Start on a card starts the group, its bots appear as tiles; Stop ends it', async () => {
    const w = wb();
    await w.runCommand('Emulator Fleet: Open Monitor');
    const view = w.webview({ extensionId: EXTENSION_ID });
    const premium = view.locator('.card[data-group="Premium Farmers"]');
    await premium.waitFor({ timeout: 90_000 });
    await view.locator('.card[data-group="Wonder Pick Farmers"]').waitFor();
    await premium.locator('vscode-button[data-action="start"]').click();
    await premium.locator('[role="listitem"]').first().waitFor({ timeout: 90_000 });
    await premium.locator('.status', { hasText: /Running/i }).waitFor({ timeout: 90_000 });
    const tiles = await premium.locator('[role="listitem"]').count();
    assert.equal(tiles, 2, 'one tile per bot (requestedBotCount 2)');
    await premium.locator('vscode-button[data-action="stop"]').click();
    await premium.locator('.status', { hasText: /Stopped/i }).waitFor({ timeout: 90_000 });
  });

  it('looks right in both themes @readme', async () => {
    const files = await wb().screenshotInThemes('monitor', ['light', 'dark'], { readme: true });
    assert.equal(files.length, 2);
    for (const f of files) {
      assert.ok(existsSync(f), f);
    }
  });
});
