/**
 * The sidebar's welcome content for the states without a fleet: a window with no folder open (open one, or read
 * the walkthrough), and a fleet that failed to load (a fleet folder setting naming a folder that is not there: the
 * welcome's Show Logs shows the reason, and Retry loads the fleet once the folder is there).
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { VsCodeServer } from '../support/server';
import { openWorkbench, session } from '../support/session';
import type { Workbench } from '../support/workbench';

/** `text` as a pattern that matches it wrapped over several lines (the Output wraps long lines). */
function wrapped(text: string): RegExp {
  return new RegExp(text.split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'));
}

/** A button of the view's welcome content (rendered as a link-styled button). */
async function welcomeButton(w: Workbench, viewTitle: string, label: string) {
  const pane = await w.view(viewTitle);
  const button = pane.locator('.welcome-view-content .monaco-button', { hasText: new RegExp(`^\\s*${label}\\s*$`) }).first();
  await button.waitFor({ state: 'visible' });
  return button;
}

describe('(browser) Emulator Fleet welcome content', () => {
  describe('no folder open', () => {
    let wb: Workbench | undefined;

    before(async function () {
      this.timeout(180_000);
      wb = await openWorkbench({ folder: '' });
    });

    after(async function () {
      this.timeout(60_000);
      await wb?.close();
    });

    it('says to open a folder; Open Folder asks for one, Open Walkthrough opens it', async () => {
      const w = wb!;
      await w.openViewContainer('Emulator Fleet');
      await w.waitForText('Open a folder holding groups/ and routines/ to run a fleet.', { within: '.part.sidebar' });

      await (await welcomeButton(w, 'Groups', 'Open Folder')).click();
      // The served VS Code asks for the folder in its own file dialog (a quick input listing this machine's folders).
      const dialog = w.page.locator('.quick-input-widget');
      await dialog.locator('.quick-input-box input').waitFor({ state: 'visible' });
      await w.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });

      await (await welcomeButton(w, 'Groups', 'Open Walkthrough')).click();
      await w.waitForText('Get Started with Emulator Fleet', { within: '.part.editor' });
      await w.waitForText('Start virtual devices', { within: '.part.editor' });
    });
  });

  describe('the fleet failed to load', () => {
    let server: VsCodeServer | undefined;
    let wb: Workbench | undefined;

    before(async function () {
      this.timeout(180_000);
      server = await VsCodeServer.start({ tmpParent: session().tmp, settings: { 'emulatorFleet.adb.servers': [], 'emulatorFleet.fleetFolder': 'no_such_folder' } });
      wb = await openWorkbench({ server });
    });

    after(async function () {
      this.timeout(60_000);
      await wb?.close();
      await server?.stop();
    });

    it('says so with Show Logs (the reason) and Retry (the fleet, once the folder is there)', async () => {
      const w = wb!;
      await w.openViewContainer('Emulator Fleet');
      await w.waitForText('The fleet could not be loaded: the log says why.', { within: '.part.sidebar' });

      await (await welcomeButton(w, 'Groups', 'Show Logs')).click();
      await w.waitForText(wrapped("the fleet could not be loaded: the setting emulatorFleet.fleetFolder names 'no_such_folder', which is not a folder"), { within: '.part.panel' });

      // Mended (the folder made, with one group in it): Retry builds the fleet from it, and its group shows.
      mkdirSync(path.join(w.folder, 'no_such_folder', 'groups'), { recursive: true });
      copyFileSync(path.join(w.folder, 'groups', 'premium_farmers.yaml'), path.join(w.folder, 'no_such_folder', 'groups', 'premium_farmers.yaml'));
      await (await welcomeButton(w, 'Groups', 'Retry')).click();
      await w.treeItem('Groups', 'Premium Farmers');
      await w.page.locator('.part.sidebar', { hasText: 'The fleet could not be loaded' }).waitFor({ state: 'detached' });
      assert.equal(await (await w.view('Groups')).locator('.monaco-list-row').count(), 1, 'the one group of the mended folder');
      // The failed build was tried once, not again each time a view refreshed (it looped, 4 times a second).
      await w.runCommand('View: Toggle Maximized Panel');
      await w.waitForText(/fleet\s+ready\s+for[\s\S]*?no_such_folder/, { within: '.part.panel' });
      const log = (await w.page.locator('.part.panel').innerText()).replace(/\s+/g, ' ');
      assert.equal(log.match(/the fleet could not be loaded/g)?.length, 1, log.slice(0, 2000));
    });
  });
});
