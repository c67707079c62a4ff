/**
 * The client side of the fleet's language server: starts `dist/languageServer.js` in its own process (node IPC),
 * for the YAML files of routines/, templates/, groups/ and pools/ of the fleet's workspace folder, and forwards
 * the live device list to it. Editing never runs on the extension host where the fleet runs.
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type DocumentSelector, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { DEVICES_NOTIFICATION, type DevicesNotificationParams, type FleetDevice, type FleetInitializationOptions } from '../language/protocol';

/** The files the server serves, relative to the fleet's workspace folder. */
export const FLEET_YAML_PATTERNS = ['routines/**/*.yaml', 'templates/**/*.yaml', 'groups/*.yaml', 'pools/*.yaml'] as const;

export interface StartLanguageClientOptions {
  /** Absolute path of the bundled server, `dist/languageServer.js` (`context.asAbsolutePath('dist/languageServer.js')`). */
  serverModule: string;
  /** The fleet's workspace folder; default: the first folder holding groups/ or routines/ ({@link findFleetFolder}). */
  folder?: vscode.WorkspaceFolder;
  /** Where the client logs (default: its own output channel). */
  outputChannel?: vscode.LogOutputChannel;
  /** Starts the server under the inspector on this port when the extension runs in debug mode. */
  debugPort?: number;
  /** Delay between an edit and its diagnostics (ms, default 200). */
  diagnosticsDelayMs?: number;
}

async function isDirectory(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) !== 0;
  } catch {
    return false;
  }
}

/** The workspace folder that holds groups/ or routines/ (a multi-root workspace may have others); else the first folder. */
export async function findFleetFolder(folders: readonly vscode.WorkspaceFolder[] = vscode.workspace.workspaceFolders ?? []): Promise<vscode.WorkspaceFolder | undefined> {
  for (const f of folders) {
    for (const d of ['groups', 'routines']) {
      if (await isDirectory(vscode.Uri.joinPath(f.uri, d))) {
        return f;
      }
    }
  }
  return folders[0];
}

/** Document selector of the fleet's YAML files inside one folder. */
export function fleetDocumentSelector(folder: vscode.WorkspaceFolder): DocumentSelector {
  return FLEET_YAML_PATTERNS.map((pattern) => ({ scheme: 'file', pattern: { baseUri: folder.uri.toString(), pattern } }));
}

/**
 * Starts the language client (and so the server process). The client is disposed with the extension context.
 * Rejects when there is no workspace folder.
 */
export async function startLanguageClient(context: vscode.ExtensionContext, opts: StartLanguageClientOptions): Promise<LanguageClient> {
  const folder = opts.folder ?? (await findFleetFolder());
  if (!folder) {
    throw new Error('Emulator Fleet: no workspace folder to serve');
  }
  const run = { module: opts.serverModule, transport: TransportKind.ipc };
  const serverOptions: ServerOptions = {
    run,
    debug: opts.debugPort !== undefined ? { ...run, options: { execArgv: ['--nolazy', `--inspect=${opts.debugPort}`] } } : run,
  };
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '{routines,templates,groups,pools}/**'));
  context.subscriptions.push(watcher);
  const initializationOptions: FleetInitializationOptions = {
    root: folder.uri.fsPath,
    ...(opts.diagnosticsDelayMs !== undefined ? { diagnosticsDelayMs: opts.diagnosticsDelayMs } : {}),
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: fleetDocumentSelector(folder),
    workspaceFolder: folder,
    synchronize: { fileEvents: watcher },
    initializationOptions,
    ...(opts.outputChannel ? { outputChannel: opts.outputChannel } : {}),
  };
  const client = new LanguageClient('emulatorFleet.languageServer', 'Emulator Fleet Language Server', serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => void client.dispose().catch(() => undefined) });
  await client.start();
  return client;
}

/** Sends the live device list (instances and serials offered in group definitions). */
export function sendDevices(client: LanguageClient, devices: readonly FleetDevice[]): Promise<void> {
  const params: DevicesNotificationParams = { devices: [...devices] };
  return client.sendNotification(DEVICES_NOTIFICATION, params);
}
