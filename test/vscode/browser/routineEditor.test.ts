/**
 * The routine editor in the real VS Code: "Run Routine on Device" from the editor title on a new virtual device,
 * the running step marked (after-line text naming the device) and the live score in a CodeLens, cancel from the
 * notification; then the Template Lab on the device's frame.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { useWorkbench } from '../support/session';

/** Waits for a screen the device does not show: the run stays on one step, scoring its condition. */
const ROUTINE = [
  '# Waits for a wonder pick result (never on the title screen), looking twice a second.',
  'description: Editor demo (waits for a wonder pick result).',
  'steps:',
  '  - log: "waiting for a wonder pick result"',
  '  - until: { image: wonderPickResult.ok }',
  '    max: 10000',
  '    do:',
  '      - wait: 500ms',
  '',
].join('\n');

describe('(browser) routine editor', () => {
  const wb = useWorkbench();

  before(() => {
    writeFileSync(path.join(wb().folder, 'routines', 'editor_demo.yaml'), ROUTINE);
  });

  it('runs a routine from the editor title: its step is marked and the condition scored live, cancel ends it @readme', async () => {
    const w = wb();
    await w.openFile('routines/editor_demo.yaml');
    await w.page.locator('.part.editor .editor-actions .action-label[aria-label^="Run Routine on a Device"]').click();
    await w.pickQuickItem('New virtual device');
    // The step marker (after-line text) and the CodeLens with the device's score.
    const editor = w.page.locator('.part.editor .monaco-editor').first();
    const lens = editor.locator('.contentWidgets .codelens-decoration, .codelens-decoration').filter({ hasText: / on \S+/ }).first();
    await lens.waitFor({ state: 'visible' });
    assert.match((await lens.textContent()) ?? '', /[01]\.\d\d on \S+/);
    // The after-line text ("◀ virtual-1") is drawn by a ::after pseudo-element of a span in the line: no text node
    // to find, so its computed content is read.
    await w.page.waitForFunction(() =>
      [...document.querySelectorAll('.part.editor .monaco-editor .view-lines span')].some((el) => getComputedStyle(el, '::after').content.includes('◀')),
    );
    await w.screenshotInThemes('routine-editor-live', ['light', 'dark'], { readme: true });
    await w.clickNotificationButton(/Running editor_demo/, 'Cancel');
    await w.waitForNotification(/editor_demo on \S+: cancelled/);
    await lens.waitFor({ state: 'detached' });
  });

  it('shows the Template Lab of a template on the live device\'s frame, a row\'s frame with its box @readme', async () => {
    const w = wb();
    // The device the run above started shows the game's title screen.
    await w.runCommand('Emulator Fleet: Template Lab');
    await w.pickQuickItem('title.logo', { filter: 'title.logo' });
    const f = await w.webviewFrame({ extensionId: 'emulator-fleet.emulator-fleet' });
    const row = f.locator('tr.row').first();
    await row.waitFor({ state: 'visible' });
    assert.match((await f.textContent('#summary')) ?? '', /1 template × \d+ frames?/);
    await row.click();
    await f.waitForSelector('#preview-canvas[data-row]');
    assert.match((await f.textContent('#preview-label')) ?? '', /(Match|Best candidate).* at \d+, \d+/);
    // Marking the row "not expected" where it was found calls it out as a false positive.
    const found = (await row.locator('td').nth(5).textContent()) === 'yes';
    await row.locator('select.expected').selectOption(found ? 'no' : 'yes');
    await f.waitForFunction((v) => document.querySelector('tr.row')?.getAttribute('data-verdict') === v, found ? 'false-positive' : 'miss');
    // The verdict is in view beside the Expected mark (not scrolled away in the editor's width).
    const verdict = row.locator(`td.verdict-${found ? 'false-positive' : 'miss'}`);
    assert.equal(await verdict.textContent(), found ? 'false positive' : 'miss');
    const [cell, pane] = await Promise.all([verdict.boundingBox(), f.locator('.table-wrap').boundingBox()]);
    assert.ok(cell && pane && cell.x + cell.width <= pane.x + pane.width, `the verdict cell ${JSON.stringify(cell)} is inside the table's pane ${JSON.stringify(pane)}`);
    // The cancelled run's notification would cover the frame.
    await w.runCommand('Notifications: Clear All Notifications');
    await w.screenshotInThemes('template-lab', ['light', 'dark'], { readme: true });
  });
});
