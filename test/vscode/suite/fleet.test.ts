/**
 * The sidebar and the commands in a real extension host, on the fleet workspace the runner copied, with virtual
 * devices (no adb server is used): tree contents and contextValues for each state, each command's effect on the
 * files and on the orchestrator, settings changes, and the whole flow — virtual devices, a group created with the
 * wizard (answers injected), started, bots cycling, paused, resumed, stopped, leases released — then the shutdown
 * the window's deactivate runs.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EmulatorFleetApi } from '../../../src/extension/activate';
import type { Fleet } from '../../../src/host/fleet';
import { fleetApi, ScriptedPrompter, testFleet, until, untilFleet } from './fleetHelpers';

const C = {
  refresh: 'emulatorFleet.refresh',
  create: 'emulatorFleet.group.create',
  start: 'emulatorFleet.group.start',
  stop: 'emulatorFleet.group.stop',
  pause: 'emulatorFleet.group.pause',
  resume: 'emulatorFleet.group.resume',
  edit: 'emulatorFleet.group.edit',
  duplicate: 'emulatorFleet.group.duplicate',
  del: 'emulatorFleet.group.delete',
  openProblem: 'emulatorFleet.group.openProblem',
  pauseBot: 'emulatorFleet.bot.pause',
  resumeBot: 'emulatorFleet.bot.resume',
  restartBot: 'emulatorFleet.bot.restart',
  startVirtual: 'emulatorFleet.devices.startVirtual',
  stopVirtual: 'emulatorFleet.devices.stopVirtual',
  validate: 'emulatorFleet.workspace.validate',
  importAccounts: 'emulatorFleet.pools.import',
  runRoutine: 'emulatorFleet.routine.run',
};

function root(api: EmulatorFleetApi): string {
  return api.session.root!;
}

function groupRows(api: EmulatorFleetApi): Map<string, vscode.TreeItem> {
  const t = api.trees.groups;
  return new Map(t.getChildren().map((n) => [(n as { name: string }).name, t.getTreeItem(n)]));
}

function botRows(api: EmulatorFleetApi, group: string): vscode.TreeItem[] {
  const t = api.trees.groups;
  return t.getChildren(t.groupNode(group)).map((n) => t.getTreeItem(n));
}

function leasesOf(f: Fleet, group: string) {
  return f.orchestrator.poolManager()!.listLeases().filter((l) => l.group === group);
}

describe('(vscode) fleet sidebar and commands', function () {
  this.timeout(180_000);
  let api: EmulatorFleetApi;
  let f: Fleet;

  before(async () => {
    api = await fleetApi();
    f = await testFleet(api);
  });

  afterEach(() => api.usePrompter(undefined));

  it('the Groups view lists every saved definition, stopped, with its contextValue, description and tooltip', () => {
    const rows = groupRows(api);
    const premium = rows.get('Premium Farmers');
    assert.ok(premium, `rows: ${[...rows.keys()].join(', ')}`);
    assert.equal(premium.contextValue, 'botGroup.idle');
    assert.match(String(premium.description), /^Idle · pool (premium_accounts|\d+\/\d+) · 2 bots · 4 instances$/);
    assert.match((premium.tooltip as vscode.MarkdownString).value, /Routine: `farm_premium`/);
    assert.equal((premium.iconPath as vscode.ThemeIcon).id, 'circle-large-outline');
    assert.ok(rows.has('Wonder Pick Farmers'));
  });

  it('a definition with problems shows botGroup.invalid with a warning; clicking it opens the file at the problem', async () => {
    const file = path.join(root(api), 'groups', 'broken.yaml');
    fs.writeFileSync(file, 'name: broken\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: 1\nbogus: 3\n');
    try {
      await untilFleet(f, 'broken.yaml is listed', () => f.orchestrator.listGroupDefinitions().some((d) => d.file === 'groups/broken.yaml'));
      const row = groupRows(api).get('broken')!;
      assert.equal(row.contextValue, 'botGroup.invalid');
      assert.equal((row.iconPath as vscode.ThemeIcon).id, 'warning');
      assert.equal(row.command?.command, C.openProblem);
      await vscode.commands.executeCommand(row.command.command, ...(row.command.arguments ?? []));
      const ed = vscode.window.activeTextEditor!;
      assert.equal(path.basename(ed.document.uri.fsPath), 'broken.yaml');
      assert.equal(ed.selection.active.line, 4, 'the cursor is on the bad key (line 5)');
    } finally {
      if (vscode.window.activeTextEditor?.document.uri.fsPath === file) {
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      }
      fs.rmSync(file, { force: true });
      await untilFleet(f, 'broken.yaml is gone', () => !f.orchestrator.listGroupDefinitions().some((d) => d.file === 'groups/broken.yaml'));
    }
  });

  it('Start Virtual Devices starts N; the Devices view shows them under Virtual devices', async () => {
    const serials = (await vscode.commands.executeCommand<string[]>(C.startVirtual, 4))!;
    assert.equal(serials.length, 4);
    await untilFleet(f, '4 virtual devices online', () => f.devices.list().filter((d) => d.source === 'virtual' && d.state === 'online').length >= 4);
    const t = api.trees.devices;
    const roots = t.getChildren();
    const virtual = roots.find((n) => n.kind === 'virtual');
    assert.ok(virtual, 'a Virtual devices node');
    assert.equal(t.getTreeItem(virtual).contextValue, 'virtualDevices');
    const devices = t.getChildren(virtual).map((n) => t.getTreeItem(n));
    assert.equal(devices.length, 4);
    assert.match(String(devices[0]!.description), /^online/);
    assert.match(String(devices[0]!.contextValue), /^device\.online\.virtual$/);
  });

  it('the whole flow: wizard, start, bots cycle, pause, resume, stop, leases released', async () => {
    const p = new ScriptedPrompter().type('flow_group').pickLabel('farm_premium').pickAll().type('2').pickLabel('premium_accounts');
    api.usePrompter(p);
    const file = await vscode.commands.executeCommand<string>(C.create);
    assert.equal(p.remaining, 0, `every answer used (asked: ${p.asked.join(' | ')})`);
    assert.equal(file, 'groups/flow_group.yaml');
    const text = fs.readFileSync(path.join(root(api), file), 'utf8');
    assert.match(text, /name: flow_group/);
    assert.match(text, /routine: farm_premium/);
    assert.match(text, /accountPool: premium_accounts/);
    assert.equal(path.basename(vscode.window.activeTextEditor!.document.uri.fsPath), 'flow_group.yaml', 'the new file is opened');
    await until('the Groups view lists flow_group', () => groupRows(api).has('flow_group'), [(l) => api.feed.onDidChange(l)]);

    await vscode.commands.executeCommand(C.start, api.trees.groups.groupNode('flow_group'));
    const g = f.orchestrator.getGroup('flow_group')!;
    assert.ok(g, 'the group runs');
    await untilFleet(f, 'a bot of flow_group completed a cycle', () => g.getAllBots().some((b) => b.cycles >= 1));
    await until('the tree shows it running with its bots', () => groupRows(api).get('flow_group')?.contextValue === 'botGroup.running' && botRows(api, 'flow_group').length === 2, [(l) => api.feed.onDidChange(l)]);
    const row = groupRows(api).get('flow_group')!;
    assert.match(String(row.description), /^Running · pool \d+\/\d+ · 2\/4 instances$/);
    assert.equal((row.iconPath as vscode.ThemeIcon).id, 'pass-filled');
    assert.match((row.tooltip as vscode.MarkdownString).value, new RegExp(`Orchestration id: \`${g.orchestrationId}\``));
    const bots = botRows(api, 'flow_group');
    assert.ok(bots.every((b) => /^bot\.(running|waiting|starting)/.test(String(b.contextValue))), bots.map((b) => b.contextValue).join(', '));
    await until('the status bar counts the group and its bots', () => /1 group · 2 bots/.test(api.statusBar.text), [(l) => api.feed.onDidChange(l)]);

    await vscode.commands.executeCommand(C.pause, 'flow_group');
    await untilFleet(f, 'paused', () => g.currentState === 'paused');
    assert.equal(groupRows(api).get('flow_group')!.contextValue, 'botGroup.paused');
    await vscode.commands.executeCommand(C.resume, 'flow_group');
    await untilFleet(f, 'running again', () => g.currentState === 'running');

    // One bot on its own: pause, resume.
    const instance = g.getAllBots()[0]!.instance;
    await vscode.commands.executeCommand(C.pauseBot, api.trees.groups.botNode('flow_group', instance));
    await untilFleet(f, 'the bot pauses', () => g.getBot(instance)?.currentState === 'paused');
    assert.match(String(api.trees.groups.getTreeItem(api.trees.groups.botNode('flow_group', instance)).contextValue), /^bot\.paused/);
    await vscode.commands.executeCommand(C.resumeBot, { group: 'flow_group', instance });
    await untilFleet(f, 'the bot runs again', () => g.getBot(instance)?.currentState !== 'paused');

    await vscode.commands.executeCommand(C.stop, 'flow_group');
    assert.equal(g.currentState, 'stopped');
    assert.deepEqual(leasesOf(f, 'flow_group'), [], 'every lease of the group is released');
    await until('the tree shows it stopped', () => groupRows(api).get('flow_group')?.contextValue === 'botGroup.stopped', [(l) => api.feed.onDidChange(l)]);
    await until('the status bar shows the fleet idle', () => /Fleet idle/.test(api.statusBar.text), [(l) => api.feed.onDidChange(l)]);
  });

  it('Duplicate writes a new definition; Delete asks, then moves the file to the trash and the definition is gone', async () => {
    api.usePrompter(new ScriptedPrompter().type('flow_copy'));
    const name = await vscode.commands.executeCommand<string>(C.duplicate, 'flow_group');
    assert.equal(name, 'flow_copy');
    const copy = f.orchestrator.listGroupDefinitions().find((d) => d.name === 'flow_copy');
    assert.ok(copy, 'the copy is listed');
    const file = path.join(root(api), copy.file);
    assert.match(fs.readFileSync(file, 'utf8'), /routine: farm_premium/);

    api.usePrompter(new ScriptedPrompter().accept(false));
    await vscode.commands.executeCommand(C.del, 'flow_copy');
    assert.ok(fs.existsSync(file), 'declining keeps the file');

    api.usePrompter(new ScriptedPrompter().accept(true));
    const where = await vscode.commands.executeCommand<string>(C.del, api.trees.groups.groupNode('flow_copy'));
    assert.ok(!fs.existsSync(file), 'the file is gone from groups/');
    // The served VS Code's file system has no trash: the file is then kept in .fleet/trash/, never deleted for good.
    assert.ok(where === 'the trash' || /^\.fleet\/trash\/flow_copy-.+\.yaml$/.test(where ?? ''), where);
    if (where !== 'the trash') {
      assert.match(fs.readFileSync(path.join(root(api), where!), 'utf8'), /name: flow_copy/);
    }
    assert.ok(!f.orchestrator.listGroupDefinitions().some((d) => d.name === 'flow_copy'), 'the definitions store saw the deletion');
  });

  it('Edit opens the definition; Validate Workspace reports the workspace', async () => {
    await vscode.commands.executeCommand(C.edit, 'Premium Farmers');
    assert.equal(path.basename(vscode.window.activeTextEditor!.document.uri.fsPath), 'premium_farmers.yaml');
    const r = await vscode.commands.executeCommand<{ errors: number }>(C.validate);
    assert.equal(r?.errors, 0);
  });

  it('Import Accounts imports the picked file and reports what it did', async () => {
    const file = path.join(root(api), 'new-accounts.csv');
    fs.writeFileSync(file, 'id,password,premium\nimported-1,pw1,true\nimported-2,pw2,false\n');
    api.usePrompter(new ScriptedPrompter().files([vscode.Uri.file(file)]));
    const r = await vscode.commands.executeCommand<{ imported: number; problems: number }>(C.importAccounts);
    assert.deepEqual({ imported: r?.imported, problems: r?.problems }, { imported: 2, problems: 0 });
    assert.ok(f.orchestrator.poolManager()!.getAccount('imported-1'));
  });

  it('Run Routine on a Device runs a routine outside any group', async () => {
    const serial = f.devices.list().find((d) => d.source === 'virtual' && !d.heldBy)!.serial;
    const routine = f.orchestrator.routineRegistry()!.names().find((n) => n === 'nav/to_home') ?? 'nav/to_home';
    const r = await vscode.commands.executeCommand<{ serial: string; result: { ok: boolean } }>(C.runRoutine, { routine, serial, params: {} });
    assert.equal(r?.serial, serial);
    assert.equal(r?.result.ok, true);
  });

  it('a group error is reported once; commands refuse what makes no sense with a message', async () => {
    // Pausing a group that does not run: the runner reports it (no throw out of executeCommand).
    const res = await vscode.commands.executeCommand(C.pause, 'Wonder Pick Farmers');
    assert.equal(res, undefined);
  });

  it('a changed adb.servers list rebuilds the fleet; a bad value is reported and ignored', async () => {
    const before = api.session.current;
    const cfg = vscode.workspace.getConfiguration('emulatorFleet');
    const rebuilt = new Promise<Fleet>((resolve) => {
      const sub = api.session.onDidChangeFleet((x) => {
        if (x) {
          sub.dispose();
          resolve(x);
        }
      });
    });
    await cfg.update('adb.servers', ['not an address'], vscode.ConfigurationTarget.Workspace);
    const next = await rebuilt;
    assert.notEqual(next, before, 'a new fleet');
    assert.deepEqual(api.session.settings.adbServers, []);
    assert.ok(api.session.settings.problems.some((p) => p.includes('emulatorFleet.adb.servers') && p.includes('not an address')), api.session.settings.problems.join('; '));
    f = await testFleet(api);
  });

  it('a fleet rebuilt while virtual devices start (a setting changed meanwhile) starts them too', async () => {
    const before = api.session.current!;
    await before.virtualStartsSettled(); // the last rebuild's own restart
    const had = before.virtualDevices().length;
    const started = vscode.commands.executeCommand<string[]>(C.startVirtual, 2);
    const rebuilt = api.session.rebuild('a test: settings changed');
    assert.equal((await started)?.length, 2, 'the command started 2');
    await rebuilt;
    f = await api.session.fleet();
    assert.notEqual(f, before, 'a new fleet');
    await f.virtualStartsSettled();
    assert.equal(f.virtualDevices().length, had + 2, 'the new fleet has every virtual device, those that were starting too');
    await untilFleet(f, `${had + 2} virtual devices online`, () => f.devices.list().filter((d) => d.source === 'virtual' && d.state === 'online').length === had + 2);
  });

  it('shutting the fleet down (what deactivate does) stops groups within the grace time and releases every lease', async () => {
    await vscode.commands.executeCommand(C.startVirtual, 2);
    await untilFleet(f, '2 virtual devices online', () => f.devices.list().filter((d) => d.source === 'virtual' && d.state === 'online').length >= 2);
    await vscode.commands.executeCommand(C.start, 'Premium Farmers');
    const g = f.orchestrator.getGroup('Premium Farmers')!;
    await untilFleet(f, 'a bot holds an account', () => leasesOf(f, 'Premium Farmers').length > 0);
    const db = path.join(root(api), '.fleet', 'accounts.sqlite');
    const t0 = Date.now();
    await api.shutdown(1000);
    const ms = Date.now() - t0;
    assert.ok(g.currentState === 'stopped' || g.currentState === 'failed', g.currentState);
    assert.equal(api.session.current, undefined, 'the fleet is closed');
    // Read the database file the fleet closed: no lease is left.
    const initSqlJs = require('sql.js') as (o?: object) => Promise<{ Database: new (data: Uint8Array) => { exec(sql: string): { values: unknown[][] }[]; close(): void } }>;
    const SQL = await initSqlJs();
    const d = new SQL.Database(fs.readFileSync(db));
    const leases = d.exec('SELECT count(*) FROM leases')[0]!.values[0]![0];
    d.close();
    assert.equal(leases, 0, `no lease left (shutdown took ${ms} ms)`);
  });
});
