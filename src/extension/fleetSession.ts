/**
 * The fleet of the extension host: one per window, built on first need by the shared host layer (`createFleet`,
 * the same function the CLI calls) from the workspace folder and the settings, and rebuilt when a setting that
 * shapes it changes. Activation stays cheap: nothing is built until a view or a command asks, and the account
 * database and the matcher workers open lazily after that (first group start, first match).
 *
 * Workspace trust: in an untrusted workspace the fleet is still built to show the saved groups and routines, but
 * nothing is started (`requireTrust`) and the emulator launch/stop commands of the settings are never used.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SystemClock } from '../shared/clock';
import { FleetError } from '../shared/errors';
import type { Logger } from '../shared/ports';
import { createFleet, type Fleet, type FleetHostOptions } from '../host/fleet';
import { NodeFileStore } from '../host/nodePorts';
import { readFleetSettings, SETTINGS_SECTION, shapesFleet, type FleetSettings, type SettingKey } from './settings';

export type SessionErrorCode = 'no-folder' | 'bad-folder' | 'untrusted' | 'disposed';

/** Why the session cannot do what was asked (the views show the message; commands show it once). */
export class SessionError extends FleetError<SessionErrorCode> {
  constructor(code: SessionErrorCode, message: string) {
    super(code, message);
    this.name = 'SessionError';
  }
}

async function isDirectory(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) !== 0;
  } catch {
    return false;
  }
}

/**
 * The folder of the fleet: the `emulatorFleet.fleetFolder` setting (a workspace folder's name, or a path —
 * absolute or relative to the first folder), else the first workspace folder holding groups/ or routines/, else
 * the first folder.
 */
export async function resolveFleetFolder(setting: string | undefined, folders: readonly vscode.WorkspaceFolder[] = vscode.workspace.workspaceFolders ?? []): Promise<vscode.Uri | undefined> {
  if (setting) {
    const byName = folders.find((f) => f.name === setting);
    if (byName) {
      return byName.uri;
    }
    if (path.isAbsolute(setting)) {
      return vscode.Uri.file(setting);
    }
    if (folders[0]) {
      return vscode.Uri.joinPath(folders[0].uri, setting);
    }
  }
  for (const f of folders) {
    for (const d of ['groups', 'routines']) {
      if (await isDirectory(vscode.Uri.joinPath(f.uri, d))) {
        return f.uri;
      }
    }
  }
  return folders[0]?.uri;
}

export interface FleetSessionOptions {
  logger: Logger;
  /** Builds the fleet (tests may pass their own; default: the host's createFleet). */
  create?: (o: FleetHostOptions) => Promise<Fleet>;
  /** How long `stop()` lets groups finish their step before forcing (ms). */
  stopTimeoutMs?: number;
}

export class FleetSession implements vscode.Disposable {
  private readonly _onDidChangeFleet = new vscode.EventEmitter<Fleet | undefined>();
  /** Fires when a fleet was built, rebuilt, or closed (undefined). */
  readonly onDidChangeFleet = this._onDidChangeFleet.event;
  private readonly _onDidChangeSettings = new vscode.EventEmitter<FleetSettings>();
  readonly onDidChangeSettings = this._onDidChangeSettings.event;
  private readonly disposables: vscode.Disposable[] = [];
  private building: Promise<Fleet> | undefined;
  private fleetNow: Fleet | undefined;
  private rootNow: string | undefined;
  private _settings: FleetSettings;
  private disposed = false;
  private readonly log: Logger;
  private rebuilding: Promise<void> = Promise.resolve();

  constructor(private readonly o: FleetSessionOptions) {
    this.log = o.logger.child('session');
    this._settings = this.readSettings();
    this.disposables.push(
      this._onDidChangeFleet,
      this._onDidChangeSettings,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SETTINGS_SECTION)) {
          return;
        }
        this._settings = this.readSettings();
        this._onDidChangeSettings.fire(this._settings);
        if (shapesFleet((s) => e.affectsConfiguration(s))) {
          void this.rebuild('settings changed').catch((err: unknown) => this.log.log('error', `rebuilding the fleet failed: ${messageOf(err)}`));
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        void this.rebuild('the workspace is trusted now').catch((err: unknown) => this.log.log('error', `rebuilding the fleet failed: ${messageOf(err)}`));
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        void this.rebuild('the workspace folders changed').catch((err: unknown) => this.log.log('error', `rebuilding the fleet failed: ${messageOf(err)}`));
      }),
    );
  }

  /** The settings now (read live). */
  get settings(): FleetSettings {
    return this._settings;
  }

  /** True when the workspace is trusted (groups may start, emulator commands may run). */
  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** The fleet if it is built (views use it without forcing a build). */
  get current(): Fleet | undefined {
    return this.fleetNow;
  }

  /** The fleet's root folder, once built. */
  get root(): string | undefined {
    return this.rootNow;
  }

  /** @throws SessionError('untrusted') in an untrusted workspace (say why in words; the views show the same). */
  requireTrust(what: string): void {
    if (!this.trusted) {
      throw new SessionError('untrusted', `${what} needs a trusted workspace: Emulator Fleet starts nothing and runs no emulator command in Restricted Mode`);
    }
  }

  /** The fleet, built now if it is not yet. @throws SessionError('no-folder') without a workspace folder. */
  fleet(): Promise<Fleet> {
    if (this.disposed) {
      return Promise.reject(new SessionError('disposed', 'the extension is shutting down'));
    }
    if (this.fleetNow) {
      return Promise.resolve(this.fleetNow);
    }
    this.building ??= this.build().finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  /** Stops every group gracefully (forced after the timeout), releases leases, closes the database and devices. */
  async stop(): Promise<void> {
    const f = this.fleetNow ?? (await this.building?.catch(() => undefined));
    this.fleetNow = undefined;
    this.rootNow = undefined;
    if (f) {
      await f.close();
      this._onDidChangeFleet.fire(undefined);
    }
  }

  /**
   * Closes the current fleet and builds a new one if there was one (settings, trust or folders changed). Rebuilds
   * run one after the other; each waits for the virtual devices being started, so the new fleet gets as many.
   */
  rebuild(reason: string): Promise<void> {
    const next = this.rebuilding.then(() => this.rebuildNow(reason));
    this.rebuilding = next.catch(() => undefined);
    return next;
  }

  private async rebuildNow(reason: string): Promise<void> {
    const had = this.fleetNow !== undefined || this.building !== undefined;
    if (!had || this.disposed) {
      return;
    }
    const current = this.fleetNow ?? (await this.building?.catch(() => undefined));
    // The virtual devices the user started live in the fleet: the new fleet gets as many again (those starting now too).
    await current?.virtualStartsSettled();
    const running = current?.orchestrator.listActiveGroups().length ?? 0;
    const virtual = current?.virtualDevices().length ?? 0;
    this.log.log('info', `rebuilding the fleet: ${reason}${running ? ` (stopping ${running} running group${running === 1 ? '' : 's'} first)` : ''}`);
    await this.stop();
    if (this.disposed) {
      return;
    }
    const f = await this.fleet();
    const missing = virtual - f.virtualDevices().length;
    if (missing > 0 && this.trusted) {
      await f.startVirtualDevices(missing);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    try {
      await this.stop();
    } finally {
      for (const d of this.disposables) {
        d.dispose();
      }
    }
  }

  private readSettings(): FleetSettings {
    const cfg = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const s = readFleetSettings((key: SettingKey) => {
      const i = cfg.inspect(key);
      // Only values a user (or workspace) set count; undefined means the default.
      return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    });
    for (const p of s.problems) {
      this.log.log('warn', p);
    }
    return s;
  }

  private async build(): Promise<Fleet> {
    const root = await resolveFleetFolder(this._settings.fleetFolder);
    if (!root || root.scheme !== 'file') {
      throw new SessionError('no-folder', 'open a folder (with groups/ and routines/) to use Emulator Fleet');
    }
    // A fleet folder the setting names but that is not there would show an empty fleet, as if the files were gone.
    if (this._settings.fleetFolder && !(await isDirectory(root))) {
      throw new SessionError('bad-folder', `the setting emulatorFleet.fleetFolder names '${this._settings.fleetFolder}', which is not a folder (${root.fsPath}): fix or clear it, then Retry`);
    }
    const s = this._settings;
    const trusted = this.trusted;
    const emulator = s.emulator
      ? {
          kind: s.emulator.kind,
          instances: s.emulator.instances,
          ...(s.emulator.addresses ? { addresses: s.emulator.addresses } : {}),
          // Emulator commands are programs the settings name: never run them in an untrusted workspace.
          ...(trusted && s.emulator.launchCommand ? { launchCommand: s.emulator.launchCommand } : {}),
          ...(trusted && s.emulator.stopCommand ? { stopCommand: s.emulator.stopCommand } : {}),
        }
      : undefined;
    const create = this.o.create ?? createFleet;
    const t0 = performance.now();
    const fleet = await create({
      files: new NodeFileStore(root.fsPath),
      logger: this.o.logger,
      clock: new SystemClock(),
      config: this.o.stopTimeoutMs !== undefined ? { stopTimeoutMs: this.o.stopTimeoutMs } : undefined,
      adbServers: s.adbServers,
      ...(emulator && s.adbServers.length ? { emulator } : {}),
      captureMethod: s.captureMethod,
      ...(trusted && s.virtualDevicesAtStartup > 0 ? { virtual: { count: s.virtualDevicesAtStartup } } : {}),
      // Virtual devices render and write their frames on a worker thread, not on the extension host's event loop.
      virtualWorker: true,
      watch: true,
      lazy: true,
    });
    if (this.disposed) {
      await fleet.close();
      throw new SessionError('disposed', 'the extension is shutting down');
    }
    this.fleetNow = fleet;
    this.rootNow = root.fsPath;
    this.log.log('info', `fleet ready for ${root.fsPath} in ${Math.round(performance.now() - t0)} ms (ADB servers: ${s.adbServers.join(', ') || 'none'}${trusted ? '' : '; Restricted Mode: nothing starts'})`);
    this._onDidChangeFleet.fire(fleet);
    return fleet;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
