/**
 * The fleet's commands: from the palette (prompting for what they act on), from the views' context menus and
 * inline buttons (a tree node), and from code (a group name). All go through the one CommandRunner: progress for
 * long work, silent cancellation, an error shown once with Show Logs. Commands that start or stop something
 * refuse in an untrusted workspace with the session's message (the manifest also disables them there).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseServerAddress } from '../../orchestrator/emulators/adbServers';
import { defaultLaunchOptions, groupNameProblem, type BotGroupDefinition } from '../../orchestrator/groupDefinition';
import { FleetHostError, type Fleet } from '../../host/fleet';
import type { Diagnostic } from '../../shared/geometry';
import type { Logger } from '../../shared/ports';
import { COMMANDS, WALKTHROUGH_ID, EXTENSION_ID } from '../constants';
import * as ops from '../fleetOps';
import type { FleetSession } from '../fleetSession';
import type { FleetFeed } from '../views/fleetFeed';
import type { FleetTrees, GroupNode } from '../views/trees';
import { CancelledByUser, type CommandRunner } from './commandRunner';
import type { PickItem, Prompter } from './prompter';

export interface FleetCommandsDeps {
  session: FleetSession;
  runner: CommandRunner;
  feed: FleetFeed;
  trees: FleetTrees;
  logger: Logger;
  /** The prompts (tests swap it through the extension's API). */
  prompter: () => Prompter;
  /** Graceful stop timeout of Stop / Stop All (ms). */
  stopTimeoutMs?: number;
}

/** A group named by a tree node, a name, or nothing (then asked). */
type GroupArg = GroupNode | string | undefined;
type BotArg = GroupNode | { group: string; instance: string } | undefined;

function isGroupNode(a: unknown): a is GroupNode {
  return !!a && typeof a === 'object' && 'kind' in a && 'id' in a;
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

function where(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}`;
}

export function registerFleetCommands(d: FleetCommandsDeps): vscode.Disposable[] {
  const { session, runner, feed, logger } = d;
  const log = logger.child('commands');
  const prompt = () => d.prompter();
  const fleet = (): Promise<Fleet> => session.fleet();

  const rootUri = async (): Promise<vscode.Uri> => {
    await fleet();
    return vscode.Uri.file(session.root!);
  };
  const fileUri = async (rel: string) => vscode.Uri.joinPath(await rootUri(), ...rel.split('/'));

  const openAt = async (rel: string, line?: number, col?: number) => {
    const doc = await vscode.workspace.openTextDocument(await fileUri(rel));
    const pos = new vscode.Position(Math.max(0, (line ?? 1) - 1), Math.max(0, (col ?? 1) - 1));
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: false });
  };

  /** The group a command acts on; asks among those `filter` accepts when none is given. */
  const groupName = async (arg: GroupArg, placeholder: string, filter: (state: string) => boolean): Promise<string> => {
    if (typeof arg === 'string') {
      return arg;
    }
    if (isGroupNode(arg)) {
      return arg.kind === 'group' ? arg.name : arg.group;
    }
    const f = await fleet();
    const active = new Map(f.orchestrator.listActiveGroups().map((g) => [g.name, g.currentState as string]));
    const items: PickItem<string>[] = f.orchestrator
      .listGroupDefinitions()
      .map((x) => ({ x, state: x.valid ? (active.get(x.name) ?? 'stopped') : 'invalid' }))
      .filter((e) => filter(e.state))
      .map(({ x, state }) => ({ label: x.name, description: state, detail: x.description, value: x.name }));
    if (!items.length) {
      throw new Error(`no group to pick: ${placeholder.toLowerCase()} finds none`);
    }
    return prompt().pick(placeholder, items);
  };

  const botOf = async (arg: BotArg, placeholder: string, filter: (state: string) => boolean): Promise<{ group: string; instance: string }> => {
    if (arg && 'kind' in arg) {
      if (arg.kind !== 'bot') {
        throw new Error('pick a bot, not a group');
      }
      return { group: arg.group, instance: arg.instance };
    }
    if (arg) {
      return arg;
    }
    const f = await fleet();
    const items: PickItem<{ group: string; instance: string }>[] = f.orchestrator.listActiveGroups().flatMap((g) =>
      g
        .getAllBots()
        .filter((b) => filter(b.state))
        .map((b) => ({ label: `${g.name} · bot ${b.instance}`, description: b.state, value: { group: g.name, instance: b.instance } })),
    );
    if (!items.length) {
      throw new Error('no running bot to pick');
    }
    return prompt().pick(placeholder, items);
  };

  const stopped = (s: string) => s === 'stopped' || s === 'failed' || s === 'idle';
  const running = (s: string) => s === 'running' || s === 'waiting' || s === 'starting' || s === 'paused';
  const stopMs = d.stopTimeoutMs ?? 10_000;

  const start = async (arg: GroupArg) => {
    session.requireTrust('Starting a group');
    const name = await groupName(arg, 'Start which group?', stopped);
    const f = await fleet();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting group ${name}…` }, async () => {
      const r = await ops.startGroup(f, name);
      const launched = r.bots.map((b) => b.instance);
      log.log('info', `group '${name}' started (run ${r.orchestrationId}): bots on ${launched.join(', ') || 'no instance yet'}${r.skippedInstances.length ? `; skipped ${r.skippedInstances.map((s) => `${s.instance} (${s.reason})`).join(', ')}` : ''}`);
      if (r.skippedInstances.length) {
        void vscode.window.showWarningMessage(`Group ${name} started on ${plural(launched.length, 'instance')}; skipped ${r.skippedInstances.map((s) => `${s.instance} (${s.reason}${s.owner ? ` by ${s.owner}` : ''})`).join(', ')}.`);
      }
    });
    return name;
  };

  const disposables: vscode.Disposable[] = [
    runner.register(COMMANDS.refresh, () => {
      feed.refresh();
      d.trees.groups.refreshAll();
      d.trees.devices.refreshAll();
      d.trees.pools.refreshAll();
    }),

    runner.register(COMMANDS.startGroup, (arg?: GroupArg) => start(arg)),

    runner.register(COMMANDS.stopGroup, async (arg?: GroupArg) => {
      session.requireTrust('Stopping a group');
      const name = await groupName(arg, 'Stop which group?', running);
      const f = await fleet();
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stopping group ${name}…` }, () => ops.stopGroup(f, name, { timeoutMs: stopMs }));
    }),

    runner.register(COMMANDS.pauseGroup, async (arg?: GroupArg) => {
      session.requireTrust('Pausing a group');
      const name = await groupName(arg, 'Pause which group?', (s) => s === 'running' || s === 'waiting' || s === 'starting');
      await ops.pauseGroup(await fleet(), name);
    }),

    runner.register(COMMANDS.resumeGroup, async (arg?: GroupArg) => {
      session.requireTrust('Resuming a group');
      const name = await groupName(arg, 'Resume which group?', (s) => s === 'paused');
      await ops.resumeGroup(await fleet(), name);
    }),

    runner.register(COMMANDS.startAll, async () => {
      session.requireTrust('Starting groups');
      const f = await fleet();
      const active = new Set(f.orchestrator.listActiveGroups().filter((g) => g.isRunning()).map((g) => g.name));
      const names = f.orchestrator.listGroupDefinitions().filter((x) => x.valid && !active.has(x.name)).map((x) => x.name);
      const failed: string[] = [];
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting ${plural(names.length, 'group')}…` }, async () => {
        for (const n of names) {
          try {
            await ops.startGroup(f, n);
          } catch (e) {
            failed.push(`${n}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      });
      if (failed.length) {
        throw new Error(`${plural(failed.length, 'group')} did not start — ${failed.join('; ')}`);
      }
    }),

    runner.register(COMMANDS.stopAll, async () => {
      session.requireTrust('Stopping groups');
      const f = await fleet();
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Stopping every group…' }, () => ops.stopAllGroups(f, stopMs));
    }),

    runner.register(COMMANDS.pauseBot, async (arg?: BotArg) => {
      session.requireTrust('Pausing a bot');
      const b = await botOf(arg, 'Pause which bot?', (s) => s === 'running' || s === 'waiting');
      await ops.pauseBot(await fleet(), b.group, b.instance);
    }),

    runner.register(COMMANDS.resumeBot, async (arg?: BotArg) => {
      session.requireTrust('Resuming a bot');
      const b = await botOf(arg, 'Resume which bot?', (s) => s === 'paused');
      await ops.resumeBot(await fleet(), b.group, b.instance);
    }),

    runner.register(COMMANDS.restartBot, async (arg?: BotArg) => {
      session.requireTrust('Restarting a bot');
      const b = await botOf(arg, 'Restart which bot?', () => true);
      await ops.restartBot(await fleet(), b.group, b.instance);
    }),

    runner.register(COMMANDS.goToStep, async (arg?: BotArg) => {
      const b = await botOf(arg, 'Go to the step of which bot?', () => true);
      const f = await fleet();
      const snap = f.orchestrator.getGroup(b.group)?.getBot(b.instance)?.snapshot();
      const range = snap?.step?.range;
      if (!range) {
        throw new Error(`bot ${b.instance} of ${b.group} is not inside a step now`);
      }
      await openAt(range.file, range.start.line, range.start.col);
    }),

    runner.register(COMMANDS.editGroup, async (arg?: GroupArg) => {
      const name = await groupName(arg, 'Edit which group?', () => true);
      const def = (await fleet()).orchestrator.listGroupDefinitions().find((x) => x.name === name);
      if (!def) {
        throw new Error(`no group definition is named '${name}'`);
      }
      await openAt(def.file);
    }),

    runner.register(COMMANDS.openProblem, async (arg?: GroupArg) => {
      const name = await groupName(arg, 'Show the problem of which group?', (s) => s === 'invalid');
      const def = (await fleet()).orchestrator.listGroupDefinitions().find((x) => x.name === name);
      const p = def?.diagnostics.find((x) => x.severity === 'error') ?? def?.diagnostics[0];
      if (!def) {
        throw new Error(`no group definition is named '${name}'`);
      }
      await openAt(p?.file ?? def.file, p?.line, p?.col);
    }),

    runner.register(COMMANDS.createGroup, async () => {
      const f = await fleet();
      const file = await createGroupWizard(f, prompt());
      await openAt(file);
      return file;
    }),

    runner.register(COMMANDS.duplicateGroup, async (arg?: GroupArg) => {
      const name = await groupName(arg, 'Duplicate which group?', (s) => s !== 'invalid');
      const f = await fleet();
      const def = await f.orchestrator.loadGroupDefinition(name);
      const taken = new Set(f.orchestrator.listGroupDefinitions().map((x) => x.name));
      let suggestion = `${name}_copy`;
      for (let i = 2; taken.has(suggestion); i++) {
        suggestion = `${name}_copy${i}`;
      }
      const newName = await prompt().input({ title: `Duplicate ${name}`, prompt: 'Name of the new group', value: suggestion, validate: (t) => nameProblem(t.trim(), taken) });
      await f.orchestrator.saveGroupDefinition({ ...def, name: newName.trim(), createdAt: undefined, updatedAt: undefined });
      const saved = f.orchestrator.listGroupDefinitions().find((x) => x.name === newName.trim());
      if (saved) {
        await openAt(saved.file);
      }
      return newName.trim();
    }),

    runner.register(COMMANDS.deleteGroup, async (arg?: GroupArg) => {
      const name = await groupName(arg, 'Delete which group?', (s) => stopped(s) || s === 'invalid');
      const f = await fleet();
      if (f.orchestrator.getGroup(name)?.isRunning()) {
        throw new Error(`group '${name}' is running; stop it before deleting its definition`);
      }
      const def = f.orchestrator.listGroupDefinitions().find((x) => x.name === name);
      if (!def) {
        throw new Error(`no group definition is named '${name}'`);
      }
      const ok = await prompt().confirm(`Delete group ${name}?`, `${def.file} is moved to the trash.`, 'Move to Trash');
      if (!ok) {
        throw new CancelledByUser();
      }
      const uri = await fileUri(def.file);
      let where = 'the trash';
      try {
        await vscode.workspace.fs.delete(uri, { useTrash: true });
      } catch (e) {
        // No trash on this file system (a remote or a served VS Code): the file goes to the fleet's own trash
        // folder instead of being deleted for good.
        const kept = `${TRASH_DIR}/${path.posix.basename(def.file, '.yaml')}-${new Date().toISOString().replace(/[:.]/g, '-')}.yaml`;
        log.log('info', `no trash for ${def.file} (${e instanceof Error ? e.message : String(e)}): moving it to ${kept}`);
        await vscode.workspace.fs.createDirectory(await fileUri(TRASH_DIR));
        await vscode.workspace.fs.rename(uri, await fileUri(kept), { overwrite: false });
        where = kept;
      }
      await f.orchestrator.reloadGroupDefinitions();
      log.log('info', `group '${name}' deleted: ${def.file} moved to ${where}`);
      if (where !== 'the trash') {
        void vscode.window.showInformationMessage(`Group ${name} deleted: this file system has no trash, so ${def.file} was moved to ${where}.`);
      }
      return where;
    }),

    runner.register(COMMANDS.startVirtualDevices, async (count?: number) => {
      session.requireTrust('Starting virtual devices');
      const f = await fleet();
      const n =
        typeof count === 'number'
          ? count
          : Number(
              await prompt().input({
                title: 'Start Virtual Devices',
                prompt: 'How many virtual devices to start (each runs the demo game)?',
                value: '4',
                validate: (t) => (/^\d+$/.test(t.trim()) && Number(t) >= 1 && Number(t) <= 64 ? undefined : 'a whole number from 1 to 64'),
              }),
            );
      const added = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting ${plural(n, 'virtual device')}…` }, async () => {
        try {
          return await f.startVirtualDevices(n);
        } catch (e) {
          // The fleet was rebuilt meanwhile (a setting changed): start them in the new one.
          if (e instanceof FleetHostError && e.code === 'closed') {
            return (await fleet()).startVirtualDevices(n);
          }
          throw e;
        }
      });
      log.log('info', `started ${plural(added.length, 'virtual device')}: ${added.map((x) => x.serial).join(', ')}`);
      return added.map((x) => x.serial);
    }),

    runner.register(COMMANDS.stopVirtualDevices, async () => {
      session.requireTrust('Stopping virtual devices');
      const f = await fleet();
      const held = f.devices.list().filter((x) => x.source === 'virtual' && x.heldBy);
      if (held.length) {
        const ok = await prompt().confirm(
          'Stop the virtual devices?',
          `${plural(held.length, 'device')} ${held.length === 1 ? 'is' : 'are'} driven by a group (${[...new Set(held.map((x) => x.heldBy!.group))].join(', ')}); their bots go offline.`,
          'Stop Devices',
        );
        if (!ok) {
          throw new CancelledByUser();
        }
      }
      await f.stopVirtualDevices();
    }),

    runner.register(COMMANDS.connectDevice, async (address?: string) => {
      session.requireTrust('Connecting a device');
      const f = await fleet();
      const a =
        address ??
        (await prompt().input({
          title: 'Connect a Device',
          prompt: 'The device\'s address (host:port), connected through the first ADB server',
          placeholder: '127.0.0.1:5555',
          validate: (t) => addressProblem(t),
        }));
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Connecting ${a.trim()}…` }, () => f.connectDevice(a.trim()));
      log.log('info', `connected ${a.trim()}`);
    }),

    runner.register(COMMANDS.importAccounts, async (uris?: vscode.Uri | vscode.Uri[]) => {
      const f = await fleet();
      const root = await rootUri();
      const picked = Array.isArray(uris) ? uris : uris instanceof vscode.Uri ? [uris] : await prompt().openFiles({ title: 'Import Accounts', filters: { Accounts: ['xml', 'csv', 'json'] }, defaultUri: root });
      const pm = await f.pools();
      const batch = await Promise.all(
        picked.map(async (u) => ({ text: new TextDecoder().decode(await vscode.workspace.fs.readFile(u)), file: relativeTo(root, u) })),
      );
      const reports = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Importing ${plural(batch.length, 'file')}…` }, () => pm.importBatch(batch));
      let imported = 0;
      let updated = 0;
      let skipped = 0;
      let problems = 0;
      for (const r of reports) {
        imported += r.imported;
        updated += r.updated;
        skipped += r.skipped;
        problems += r.diagnostics.length;
        log.log('info', `${r.file} (${r.format}): ${r.imported} imported, ${r.updated} updated, ${r.unchanged} unchanged, ${r.skipped} skipped`);
        for (const p of r.diagnostics) {
          log.log(p.severity === 'error' ? 'error' : 'warn', `${where(p)}: ${p.message}`);
        }
      }
      const text = `Accounts imported: ${imported} new, ${updated} updated, ${skipped} skipped${problems ? ` (${plural(problems, 'problem')}: see the log)` : ''}.`;
      void (problems ? vscode.window.showWarningMessage(text, 'Show Logs').then((p) => p && vscode.commands.executeCommand(COMMANDS.showLogs)) : vscode.window.showInformationMessage(text));
      return { imported, updated, skipped, problems };
    }),

    runner.register(COMMANDS.validateWorkspace, async () => {
      const f = await fleet();
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Validating the workspace…' }, () => f.validate());
      const errors = r.diagnostics.filter((x) => x.severity === 'error');
      const warnings = r.diagnostics.length - errors.length;
      for (const p of r.diagnostics) {
        log.log(p.severity === 'error' ? 'error' : 'warn', `${where(p)}: ${p.message}`);
      }
      const c = r.counts;
      const text = `Workspace: ${plural(c.routines, 'routine')}, ${plural(c.templates, 'template')}, ${plural(c.groups, 'group')}, ${plural(c.pools, 'pool')} — ${errors.length ? plural(errors.length, 'error') : 'no error'}${warnings ? `, ${plural(warnings, 'warning')}` : ''}.`;
      log.log('info', text);
      void (r.diagnostics.length ? vscode.window.showWarningMessage(text, 'Show Logs').then((p) => p && vscode.commands.executeCommand(COMMANDS.showLogs)) : vscode.window.showInformationMessage(text));
      return { errors: errors.length, warnings };
    }),

    runner.register(COMMANDS.openWalkthrough, () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#${WALKTHROUGH_ID}`, false)),
  ];
  return disposables;
}

/** Where a deleted definition goes when the file system has no trash (workspace-relative). */
export const TRASH_DIR = '.fleet/trash';

function relativeTo(root: vscode.Uri, u: vscode.Uri): string {
  const rel = path.relative(root.fsPath, u.fsPath);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : u.fsPath;
}

export function nameProblem(name: string, taken: ReadonlySet<string>): string | undefined {
  if (!name) {
    return 'a name is needed';
  }
  if (taken.has(name)) {
    return `a group named '${name}' exists already`;
  }
  return groupNameProblem(name);
}

export function addressProblem(text: string): string | undefined {
  const t = text.trim();
  if (!t) {
    return 'host:port, for example 127.0.0.1:5555';
  }
  if (!/:\d+$/.test(t)) {
    return 'add the port: host:port';
  }
  try {
    parseServerAddress(t, 5555);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The Create Group wizard: name, routine, instances, bot count, pool. Saves and returns the new file's path. */
export async function createGroupWizard(f: Fleet, p: Prompter): Promise<string> {
  const o = f.orchestrator;
  const title = 'Create Group';
  const totalSteps = 5;
  const taken = new Set(o.listGroupDefinitions().map((x) => x.name));
  const name = (await p.input({ title, step: 1, totalSteps, prompt: 'Name of the group (letters, digits, _ - .)', placeholder: 'my_farmers', validate: (t) => nameProblem(t.trim(), taken) })).trim();
  const routines = (o.routineRegistry()?.entries() ?? []).filter((r) => r.valid);
  if (!routines.length) {
    throw new Error('the workspace has no valid routine in routines/: write one first');
  }
  const routine = await p.pick('Which routine do its bots run?', routines.map((r) => ({ label: r.name, description: r.file, detail: r.routine?.description, value: r.name })), { title, step: 2, totalSteps });
  const devices = f.devices.list();
  let instances: string[];
  if (devices.length) {
    instances = await p.pickMany(
      'Which instances may it use?',
      devices.map((x) => ({ label: x.instance ?? x.serial, description: `${x.serial} · ${x.source} · ${x.state}${x.heldBy ? ` · held by ${x.heldBy.group}` : ''}`, value: x.instance ?? x.serial, picked: !x.heldBy })),
      { title, step: 3, totalSteps },
    );
  } else {
    const text = await p.input({
      title,
      step: 3,
      totalSteps,
      prompt: 'No device is connected yet: the instances it may use (numbers or serials, comma separated)',
      value: '1, 2, 3, 4',
      validate: (t) => (t.split(',').map((s) => s.trim()).filter(Boolean).length ? undefined : 'at least one instance'),
    });
    instances = text.split(',').map((s) => s.trim()).filter(Boolean);
  }
  const countText = await p.input({
    title,
    step: 4,
    totalSteps,
    prompt: `How many bots (1 to ${instances.length})?`,
    value: String(instances.length),
    validate: (t) => (/^\d+$/.test(t.trim()) && Number(t) >= 1 && Number(t) <= instances.length ? undefined : `a whole number from 1 to ${instances.length}`),
  });
  const pm = await f.pools().catch(() => undefined);
  const pools = pm?.listPools() ?? [];
  const pool = await p.pick<string | undefined>(
    'Which account pool do its bots lease accounts from?',
    [{ label: 'No pool', description: 'the bots use no account', value: undefined }, ...pools.map((x) => ({ label: x.name, description: `${x.stats.available}/${x.stats.total} available`, detail: x.description, value: x.name }))],
    { title, step: 5, totalSteps },
  );
  const def: BotGroupDefinition = {
    name,
    routine,
    routineConfig: {},
    availableInstances: instances.map((i) => (/^\d+$/.test(i) ? Number(i) : i)),
    requestedBotCount: Number(countText),
    ...(pool ? { accountPool: pool } : {}),
    launchOptions: defaultLaunchOptions(),
  };
  await o.saveGroupDefinition(def);
  const saved = o.listGroupDefinitions().find((x) => x.name === name);
  if (!saved) {
    throw new Error(`group '${name}' was saved but its file is not listed`);
  }
  return saved.file;
}
