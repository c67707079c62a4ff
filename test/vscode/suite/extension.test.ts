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

  it('runs the Show Logs command', async () => {
    await vscode.commands.executeCommand('emulatorFleet.showLogs');
  });
});
