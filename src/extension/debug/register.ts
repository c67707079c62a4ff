/**
 * The `emulator-fleet` debug type in VS Code: the inline adapter (a {@link FleetDebugSession} in the extension host,
 * where the bots live), the configuration provider (defaults for F5 on a routine file, the initial launch.json, one
 * dynamic configuration per routine file; the attach picker), and the Screen view of the paused bot.
 * `activate` calls {@link registerDebugger} once.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Fleet } from '../../host/fleet';
import type { DeviceInfo } from '../../shared/fleetTypes';
import type { Logger, LogLevel } from '../../shared/ports';
import { CancelledByUser } from '../commands/commandRunner';
import type { Prompter } from '../commands/prompter';
import { COMMANDS } from '../constants';
import { checkAttachArguments, checkLaunchArguments, DEBUG_TYPE, routineNameOfFile, VIRTUAL_DEVICE } from './config';
import { directRegistrar, type Registrar } from '../registrar';
import { asksForDevice, pickDevice, type DevicePrompt } from './devicePicker';
import { fleetSessionHost, windowFleetHost } from './fleetHost';
import { registerScreenView } from './screenView';
import { DebugLaunchError, type DebugRecorderView, type DebugSessionHost, type DebugTargets } from './ports';
import { FleetDebugSession } from './session';

export interface RegisterDebuggerOptions {
  /** Where the sessions' own problems go (the extension's log channel). */
  output: vscode.LogOutputChannel;
  /** The bots of the groups the extension runs (attach); absent while the extension runs no group. */
  targets?: DebugTargets;
  /** The workspace folder of those groups' fleet (a function when the fleet can be rebuilt). */
  root?: string | (() => string | undefined);
  /** Where the factory, the providers and the Screen view are registered (default: straight with VS Code). */
  registrar?: Registrar;
  /**
   * The window's fleet (built on first need): launches run on it (its devices, pools and settings) and the device
   * picker lists its devices. Without it each launch builds a fleet of its own.
   */
  fleet?: () => Promise<Fleet>;
  /** The prompts (the device picker asks through it: tests answer it). Default: VS Code's quick pick. */
  prompter?: () => Prompter;
  /** The monitor's flight recorder: the Screen view's history of an attached bot's earlier steps. */
  recorder?: () => DebugRecorderView | undefined;
}

/** What the device picker needs: the devices of the window's fleet, and the prompt. */
export interface DevicePickerDeps {
  devices: () => Promise<readonly DeviceInfo[]>;
  prompt: DevicePrompt;
}

/** The devices of a fleet once its ADB servers have listed theirs (at most a few seconds). */
async function fleetDevices(fleet: () => Promise<Fleet>): Promise<readonly DeviceInfo[]> {
  const f = await fleet();
  await f.devices.listed(3000);
  return f.devices.list();
}

/** Asks which device (the `emulatorFleet.pickDevice` command and `"device": "pick"`); undefined when dismissed or none fits. */
export async function askDevice(deps: DevicePickerDeps): Promise<string | undefined> {
  try {
    return await pickDevice(await deps.devices(), deps.prompt, { allowVirtual: true });
  } catch (e) {
    if (e instanceof CancelledByUser) {
      return undefined;
    }
    await vscode.window.showErrorMessage(`Emulator Fleet debugger: ${e instanceof DebugLaunchError ? e.message : String(e instanceof Error ? e.message : e)}`);
    return undefined;
  }
}

/** VS Code's quick pick, when no prompter is given. */
const defaultPrompter: Pick<Prompter, 'pick'> = {
  async pick<T>(placeholder: string, items: readonly { label: string; description?: string; detail?: string; value: T }[]): Promise<T> {
    const got = await vscode.window.showQuickPick(items.map((i) => ({ ...i })), { placeHolder: placeholder, matchOnDescription: true, matchOnDetail: true });
    if (!got) {
      throw new CancelledByUser();
    }
    return got.value;
  },
};

/** A core logger writing to a VS Code log channel. */
export function channelLogger(channel: vscode.LogOutputChannel, source = 'debug'): Logger {
  const write: Record<LogLevel, (m: string) => void> = {
    trace: (m) => channel.trace(m),
    debug: (m) => channel.debug(m),
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
  };
  const make = (src: string): Logger => ({
    log: (level, message) => (write[level] ?? write.info)(`[${src}] ${message}`),
    child: (s) => make(`${src}/${s}`),
  });
  return make(source);
}

function firstFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}

/** The routine name of a document (a YAML file under the folder's routines/), if it is one. */
function routineOfUri(uri: vscode.Uri | undefined): { name: string; folder: vscode.WorkspaceFolder } | undefined {
  if (!uri || uri.scheme !== 'file') {
    return undefined;
  }
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) {
    return undefined;
  }
  const rel = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
  const name = routineNameOfFile(rel);
  return name === undefined ? undefined : { name, folder };
}

function launchConfig(name: string, routine: string): vscode.DebugConfiguration {
  return { type: DEBUG_TYPE, request: 'launch', name, routine, device: VIRTUAL_DEVICE, stopOnEntry: false };
}

export class FleetDebugConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(
    private readonly targets: DebugTargets | undefined,
    private readonly picker?: DevicePickerDeps,
  ) {}

  /** The launch.json written when there is none: the routine of the active editor (or `${file}`), and an attach. */
  provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): vscode.DebugConfiguration[] {
    const active = routineOfUri(vscode.window.activeTextEditor?.document.uri);
    const routine = active && (!folder || active.folder.uri.toString() === folder.uri.toString()) ? active.name : '${file}';
    return [launchConfig(`Debug routine ${routine === '${file}' ? '(current file)' : routine}`, routine), { type: DEBUG_TYPE, request: 'attach', name: 'Attach to a bot', group: '', instance: '1' }];
  }

  /**
   * F5 without launch.json debugs the routine of the active editor; a launch gets `root` (its folder) and the
   * virtual device by default; an attach without a bot asks which one.
   */
  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    if (!config.type && !config.request && !config.name) {
      const active = routineOfUri(vscode.window.activeTextEditor?.document.uri);
      if (!active) {
        await vscode.window.showErrorMessage('Open a routine (a YAML file under routines/) to debug it, or add an "emulator-fleet" configuration to launch.json.');
        return undefined;
      }
      config = { ...launchConfig(`Debug routine ${active.name}`, active.name), root: active.folder.uri.fsPath };
    }
    if (config.request === 'attach') {
      return this.resolveAttach(config);
    }
    const root = (config.root as string | undefined) ?? folder?.uri.fsPath ?? firstFolder()?.uri.fsPath;
    let device: unknown = config.device;
    if (asksForDevice(device)) {
      if (this.picker) {
        device = await askDevice(this.picker);
        if (device === undefined) {
          return undefined;
        }
      } else {
        device = VIRTUAL_DEVICE;
      }
    }
    return { ...config, device, ...(root ? { root } : {}) };
  }

  /** After `${file}` and the like are substituted: a clear error now rather than a failed session. */
  async resolveDebugConfigurationWithSubstitutedVariables(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    const checked = config.request === 'attach' ? checkAttachArguments(config) : checkLaunchArguments(config);
    if (!checked.ok) {
      await vscode.window.showErrorMessage(`Emulator Fleet debug configuration '${String(config.name ?? '')}': ${checked.message}`);
      return undefined;
    }
    return config;
  }

  private async resolveAttach(config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    const group = typeof config.group === 'string' ? config.group.trim() : '';
    const instance = config.instance === undefined ? '' : String(config.instance).trim();
    if (group && instance) {
      return config;
    }
    const list = (this.targets?.list() ?? []).filter((t) => (!group || t.group === group) && (!instance || t.instance === instance));
    if (!list.length) {
      await vscode.window.showErrorMessage(group ? `No bot of '${group}' is running in VS Code to attach to.` : 'No group is running in VS Code: start one, then attach to one of its bots.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      list.map((t) => ({
        label: `${t.group} / bot ${t.instance}`,
        description: [t.serial, t.routine].filter(Boolean).join(' · '),
        detail: t.attached ? 'a debugger is attached already' : t.running ? 'running' : 'idle',
        target: t,
      })),
      { placeHolder: 'The bot to attach to (the others run on)' },
    );
    return picked && { ...config, group: picked.target.group, instance: picked.target.instance };
  }
}

/** One launch configuration per routine file of the workspace (the Run and Debug view's dynamic list). */
export class FleetDynamicConfigurationProvider implements vscode.DebugConfigurationProvider {
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined, token?: vscode.CancellationToken): Promise<vscode.DebugConfiguration[]> {
    const pattern = folder ? new vscode.RelativePattern(folder, 'routines/**/*.{yaml,yml}') : 'routines/**/*.{yaml,yml}';
    const files = await vscode.workspace.findFiles(pattern, undefined, 500, token);
    const out: vscode.DebugConfiguration[] = [];
    for (const uri of files) {
      const r = routineOfUri(uri);
      if (r) {
        out.push({ ...launchConfig(`Debug routine ${r.name}`, r.name), root: r.folder.uri.fsPath });
      }
    }
    return out.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }
}

export class FleetDebugAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly host: DebugSessionHost) {}

  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterInlineImplementation(new FleetDebugSession(this.host));
  }
}

/** Registers the debug type's adapter factory, configuration providers and Screen view; disposed with the extension. */
export function registerDebugger(context: vscode.ExtensionContext, o: RegisterDebuggerOptions): void {
  const hostOptions = {
    logger: channelLogger(o.output),
    defaultRoot: () => firstFolder()?.uri.fsPath,
    ...(o.targets ? { targets: o.targets } : {}),
    ...(o.root !== undefined ? { root: o.root } : {}),
    ...(o.recorder ? { recorder: o.recorder } : {}),
  };
  const host = o.fleet ? windowFleetHost({ ...hostOptions, fleet: o.fleet }) : fleetSessionHost(hostOptions);
  const fleet = o.fleet;
  const picker: DevicePickerDeps | undefined = fleet && {
    devices: () => fleetDevices(fleet),
    prompt: (placeholder, items) => (o.prompter?.() ?? defaultPrompter).pick(placeholder, items),
  };
  const reg = o.registrar ?? directRegistrar;
  context.subscriptions.push(
    reg.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new FleetDebugAdapterFactory(host)),
    vscode.commands.registerCommand(COMMANDS.pickDevice, () => (picker ? askDevice(picker) : VIRTUAL_DEVICE)),
    reg.registerDebugConfigurationProvider(DEBUG_TYPE, new FleetDebugConfigurationProvider(o.targets, picker), vscode.DebugConfigurationProviderTriggerKind.Initial),
    reg.registerDebugConfigurationProvider(DEBUG_TYPE, new FleetDynamicConfigurationProvider(), vscode.DebugConfigurationProviderTriggerKind.Dynamic),
  );
  registerScreenView(context, reg);
}
