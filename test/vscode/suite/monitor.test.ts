/**
 * The monitor's saving in a real extension host: "Save bug report as…" asks for the folder through the commands'
 * Prompter (answers injected), writes the report there, and writes nothing when the picker is dismissed; the
 * reports folder setting moves the default place.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EmulatorFleetApi } from '../../../src/extension/activate';
import { CancelledByUser } from '../../../src/extension/commands/commandRunner';
import type { Prompter } from '../../../src/extension/commands/prompter';
import { fleetApi, ScriptedPrompter, testFleet } from './fleetHelpers';

const BOT = { group: 'Premium Farmers', instance: '1' };

describe('(vscode) monitor saving', function () {
  this.timeout(120_000);
  let api: EmulatorFleetApi;
  let tmp: string;

  before(async () => {
    api = await fleetApi();
    await testFleet(api);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-save-as-'));
  });

  after(async () => {
    api.usePrompter(undefined);
    await vscode.workspace.getConfiguration('emulatorFleet').update('recorder.reportsFolder', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('Save bug report as… writes into the folder the Prompter answers; a dismissed picker writes nothing', async () => {
    const p = new ScriptedPrompter().folder(vscode.Uri.file(tmp));
    api.usePrompter(p);
    const dir = await api.monitor.save.saveBugReport(BOT, { askFolder: true });
    assert.equal(path.dirname(dir), tmp);
    assert.ok(fs.existsSync(path.join(dir, 'report.json')));
    assert.deepEqual(p.asked, ['pickFolder: Save the bug report into']);
    assert.equal(p.remaining, 0);

    const dismissing: Prompter = Object.assign(new ScriptedPrompter(), { pickFolder: () => Promise.reject(new CancelledByUser()) });
    api.usePrompter(dismissing);
    await assert.rejects(api.monitor.save.saveBugReport(BOT, { askFolder: true }), (e: unknown) => e instanceof Error && e.name === 'CancelledByUser');
    assert.deepEqual(fs.readdirSync(tmp), [path.basename(dir)], 'nothing more was written');
  });

  it('the reports folder setting (relative to the fleet folder) is where Save bug report writes', async () => {
    const changed = new Promise<void>((resolve) => {
      const sub = api.session.onDidChangeSettings((s) => {
        if (s.recorderReportsFolder === 'out/bug-reports') {
          sub.dispose();
          resolve();
        }
      });
    });
    await vscode.workspace.getConfiguration('emulatorFleet').update('recorder.reportsFolder', 'out/bug-reports', vscode.ConfigurationTarget.Workspace);
    await changed;
    const dir = await api.monitor.save.saveBugReport(BOT);
    assert.equal(path.dirname(dir), path.join(api.session.root!, 'out', 'bug-reports'));
    assert.ok(fs.existsSync(path.join(dir, 'events.jsonl')));
  });
});
