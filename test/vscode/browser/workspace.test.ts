/** The workbench with the fleet workspace open, in light and dark theme: the README's first screenshot. */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { useWorkbench } from '../support/session';

describe('(browser) fleet workspace', () => {
  const wb = useWorkbench();

  it('shows the fleet folders in the Explorer, a group open, in light and dark theme @readme', async () => {
    const w = wb();
    await w.openViewContainer('Explorer');
    for (const dir of ['groups', 'pools', 'routines', 'templates']) {
      await w.treeItem('fleet', dir);
    }
    await w.expandTreeItem(await w.treeItem('fleet', 'routines'));
    const group = await w.treeItem('fleet', ['groups', 'premium_farmers.yaml']);
    await group.click();
    await w.page.locator('.part.editor .tab.active', { hasText: 'premium_farmers.yaml' }).waitFor();
    await w.waitForText('routine:', { within: '.part.editor .monaco-editor' });
    const files = await w.screenshotInThemes('workspace', ['light', 'dark'], { readme: true });
    assert.equal(files.length, 2);
    for (const f of files) {
      assert.ok(existsSync(f), f);
    }
  });
});
