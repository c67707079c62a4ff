/** The palette reaches the extension: F1 → "Emulator Fleet: Show Logs" shows its log channel in the output panel. */
import { strict as assert } from 'node:assert';
import { useWorkbench } from '../support/session';

describe('(browser) Show Logs', () => {
  const wb = useWorkbench();

  it('F1 → "Emulator Fleet: Show Logs" shows the output panel with the activation line', async () => {
    await wb().runCommand('Emulator Fleet: Show Logs');
    // The log holds every earlier test's lines: the output's filter finds the activation line wherever it is.
    const filter = wb().page.locator('.part.panel .viewpane-filter input').first();
    await filter.fill('activated');
    await wb().waitForText('Emulator Fleet activated', { within: '.part.panel' });
    await filter.fill('');
    // The panel shows the extension's own channel (the channel picker names it).
    const picked = await wb().page.locator('.part.panel .monaco-select-box').first().inputValue();
    assert.equal(picked, 'Emulator Fleet');
  });
});
