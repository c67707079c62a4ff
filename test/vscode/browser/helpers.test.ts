/**
 * The browser-test helpers themselves, on built-in parts of VS Code (so they are known to work before the
 * extension's views and webviews exist): palette, Quick Open, trees and inline actions, webviews, themes and
 * screenshots of one part. A fresh window, so nothing here shows in the shared window's screenshots.
 */
import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { useWorkbench } from '../support/session';

describe('(browser) helpers', () => {
  const wb = useWorkbench({ fresh: true });

  it('runCommand reports a command the palette does not list, with what it lists', async () => {
    await assert.rejects(wb().runCommand('Emulator Fleet: No Such Command', { timeoutMs: 2000 }), /no command "Emulator Fleet: No Such Command" in the command palette/);
    assert.equal(await wb().page.locator('.quick-input-widget').isVisible(), false, 'the palette is closed again');
  });

  it('openFile, treeItem and clickInlineAction: the Open Editors view closes an editor with its inline action', async () => {
    await wb().openFile('groups/premium_farmers.yaml');
    await wb().runCommand('Explorer: Focus on Open Editors View');
    const row = await wb().treeItem('Open Editors', 'premium_farmers.yaml');
    await wb().clickInlineAction(row, 'Close Editor');
    await wb().page.locator('.part.editor .tab', { hasText: 'premium_farmers.yaml' }).waitFor({ state: 'detached' });
  });

  it('webview: the document inside a Markdown preview', async () => {
    writeFileSync(path.join(wb().folder, 'NOTES.md'), '# Fleet notes\n\nA *preview* in a webview.\n');
    await wb().openFile('NOTES.md');
    await wb().runCommand('Markdown: Open Preview');
    const doc = wb().webview({ extensionId: 'vscode.markdown-language-features' });
    await doc.locator('h1', { hasText: 'Fleet notes' }).waitFor();
    const frame = await wb().webviewFrame({ extensionId: 'vscode.markdown-language-features' });
    assert.equal(await frame.evaluate(() => document.querySelector('em')?.textContent), 'preview');
  });

  it('setTheme and a screenshot of one part, in high contrast', async () => {
    await wb().setTheme('hc');
    assert.equal(await wb().theme(), 'hc');
    const file = await wb().screenshot('helpers-sidebar-hc', { part: 'sidebar' });
    assert.ok(existsSync(file));
    await wb().setTheme('light');
  });

  it('a README screenshot needs the readme tag in its test title', async () => {
    await assert.rejects(wb().screenshot('not-for-readme', { readme: true }), /@readme/);
  });
});
