import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'emulator-fleet.emulator-fleet';

describe('(vscode) extension', () => {
  it('activates in a real extension host', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    const api = (await ext.activate()) as { version: string };
    assert.equal(ext.isActive, true);
    assert.equal(api.version, ext.packageJSON.version);
  });

  it('registers every command its manifest contributes', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    const manifest = JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.json'), 'utf8')) as {
      contributes: { commands: { command: string }[] };
    };
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of manifest.contributes.commands) {
      assert.ok(registered.has(c.command), `command ${c.command} is registered`);
    }
  });

  it('runs in the fleet workspace the runner built (both runners open the same one)', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder is open');
    for (const file of ['groups/premium_farmers.yaml', 'routines/farm_premium.yaml', 'pools/premium_accounts.yaml']) {
      const st = await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder.uri, ...file.split('/')));
      assert.equal(st.type, vscode.FileType.File, file);
    }
  });

  it('Show Logs opens the Emulator Fleet log, which holds the activation line', async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    // The log channel's document (scheme `output`) reaches the extension host once the channel is shown; its text
    // arrives when the log file is read. Waits on the document events, bounded by a timeout.
    const shown = new Promise<vscode.TextDocument>((resolve, reject) => {
      const subs: vscode.Disposable[] = [];
      const timer = setTimeout(() => {
        subs.forEach((d) => d.dispose());
        const seen = vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'output').map((d) => d.uri.toString());
        reject(new Error(`no output document with the activation line within 20 s (output documents: ${seen.join(', ') || 'none'})`));
      }, 20_000);
      const check = (d: vscode.TextDocument) => {
        if (d.uri.scheme === 'output' && d.getText().includes('Emulator Fleet activated')) {
          clearTimeout(timer);
          subs.forEach((x) => x.dispose());
          resolve(d);
        }
      };
      subs.push(
        vscode.workspace.onDidOpenTextDocument(check),
        vscode.workspace.onDidChangeTextDocument((e) => check(e.document)),
      );
      vscode.workspace.textDocuments.forEach(check);
    });
    await vscode.commands.executeCommand('emulatorFleet.showLogs');
    const doc = await shown;
    assert.match(decodeURIComponent(doc.uri.toString()), /Emulator Fleet/, 'the document is the Emulator Fleet channel');
  });
});
