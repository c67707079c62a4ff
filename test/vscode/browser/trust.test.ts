/**
 * Restricted Mode: a server that asks about workspace trust, the folder not trusted. The Groups view still lists
 * the saved groups and says why nothing starts; the commands that start something are not offered.
 */
import { strict as assert } from 'node:assert';
import { VsCodeServer } from '../support/server';
import { openWorkbench, session } from '../support/session';
import type { Workbench } from '../support/workbench';

describe('(browser) Emulator Fleet in Restricted Mode', () => {
  let server: VsCodeServer | undefined;
  let wb: Workbench | undefined;

  before(async function () {
    this.timeout(180_000);
    server = await VsCodeServer.start({ tmpParent: session().tmp, workspaceTrust: true, settings: { 'emulatorFleet.adb.servers': [] } });
    wb = await openWorkbench({ server });
  });

  after(async function () {
    this.timeout(60_000);
    await wb?.close();
    await server?.stop();
  });

  it('lists the groups, says why nothing starts, and offers no start command', async () => {
    const w = wb!;
    // A folder never trusted opens in Restricted Mode (the status bar says so).
    await w.waitForText('Restricted Mode', { within: '.part.statusbar' });
    await w.openViewContainer('Emulator Fleet');
    await w.treeItem('Groups', 'Premium Farmers');
    await w.waitForText('Restricted Mode: nothing starts until you trust this folder.', { within: '.part.sidebar' });
    // Commands that start nothing are there (Validate Workspace runs), those that start something are not offered.
    await w.runCommand('Emulator Fleet: Validate Workspace');
    await w.page.keyboard.press('F1');
    const input = w.page.locator('.quick-input-widget .quick-input-box input');
    await input.fill('>Emulator Fleet: ');
    await w.page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name', { hasText: 'Emulator Fleet: Show Logs' }).waitFor();
    const listed = await w.quickItems();
    await w.page.keyboard.press('Escape');
    for (const title of ['Start Group', 'Start All Groups', 'Start Virtual Devices…', 'Connect a Device…', 'Run Routine on a Device…']) {
      assert.ok(!listed.includes(`Emulator Fleet: ${title}`), `${title} is not offered (listed: ${listed.join(' | ')})`);
    }
  });
});
