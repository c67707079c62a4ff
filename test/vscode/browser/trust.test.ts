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

  it('refuses a start command run anyway (the walkthrough\'s links run commands by id) and starts nothing', async () => {
    const w = wb!;
    // The walkthrough is open in Restricted Mode and its buttons are `command:` links: they run the command by
    // its id, past the palette's and the menus' `isWorkspaceTrusted` (as another extension or a keybinding could).
    await w.runCommand('Emulator Fleet: Open Walkthrough');
    const editor = w.page.locator('.part.editor');
    await w.waitForText('Get Started with Emulator Fleet', { within: '.part.editor' });
    await editor.getByRole('button', { name: 'Start Virtual Devices', exact: true }).click();
    await w.waitForNotification('Starting virtual devices needs a trusted workspace: Emulator Fleet starts nothing and runs no emulator command in Restricted Mode');
    await editor.getByRole('button', { name: /Start the demo group/ }).first().click();
    await editor.getByRole('button', { name: 'Start a Group', exact: true }).click();
    await w.waitForNotification('Starting a group needs a trusted workspace: Emulator Fleet starts nothing and runs no emulator command in Restricted Mode');
    // The walkthrough does not tick what did not happen (its steps complete on context keys, not on the command).
    assert.ok((await editor.locator('.codicon-getting-started-step-unchecked').count()) >= 2, 'the steps show their unchecked mark');
    assert.equal(await editor.locator('.codicon-getting-started-step-checked').count(), 0, 'no step is ticked');
    // Nothing started: no group runs, no device is listed, and the log says the two commands refused.
    await w.openViewContainer('Emulator Fleet');
    const group = await w.treeItem('Groups', 'Premium Farmers');
    assert.match((await group.getAttribute('aria-label')) ?? '', /Premium Farmers, Idle/);
    await w.waitForText('Restricted Mode: no device is started or connected until you trust this folder.', { within: '.part.sidebar' });
    const devices = await w.view('Devices');
    assert.equal(await devices.locator('.monaco-list-row').count(), 0, 'the Devices view lists nothing');
    assert.doesNotMatch(await w.page.locator('.part.statusbar').innerText(), /\d+ bots?\b/);
    await w.runCommand('Emulator Fleet: Show Logs');
    await w.waitForText(/emulatorFleet\.group\.start: Starting a group needs a trusted workspace/, { within: '.part.panel' });
  });
});
