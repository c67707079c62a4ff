/**
 * Composition root of the extension: the log, the fleet session (built on first need by the shared host layer),
 * the command runner and the language client. Activation stays cheap: no fleet, wasm, worker or database is
 * opened here, and no bot starts until asked.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { outputLogger } from './adapters/outputLogger';
import { CommandRunner } from './commands/commandRunner';
import { FleetSession } from './fleetSession';
import { registerEditorFeatures, type EditorFeatures } from './editor';
import { startLanguageClient } from './languageClient';

export interface EmulatorFleetApi {
  readonly version: string;
  /** The fleet of this window (tests and other extensions drive it through here). */
  readonly session: FleetSession;
  /** Resolves with the language client once its server runs (rejects when it cannot start). */
  readonly languageClient: Promise<LanguageClient>;
  /** The routine editor's live markers and scores (tests read them). */
  readonly editor: EditorFeatures;
}

let session: FleetSession | undefined;

export function activate(context: vscode.ExtensionContext): EmulatorFleetApi {
  const output = vscode.window.createOutputChannel('Emulator Fleet', { log: true });
  context.subscriptions.push(output);
  const logger = outputLogger(output);
  session = new FleetSession({ logger });
  const runner = new CommandRunner({ logger, showLogs: () => output.show(true) });
  context.subscriptions.push(runner.register('emulatorFleet.showLogs', () => output.show(true)));
  const editor = registerEditorFeatures(context, { session, runner, logger });

  const languageClient = startLanguageClient(context, {
    serverModule: context.asAbsolutePath('dist/languageServer.js'),
    outputChannel: output,
    debugPort: context.extensionMode === vscode.ExtensionMode.Development ? 6009 : undefined,
  });
  languageClient.catch((e: unknown) => output.error(`the language server did not start: ${e instanceof Error ? e.message : String(e)}`));

  output.info('Emulator Fleet activated');
  return { version: String(context.extension.packageJSON.version ?? '0.0.0'), session, languageClient, editor };
}

/** Stops every group gracefully (then forced), releases every lease, closes the database and the devices. */
export async function deactivate(): Promise<void> {
  const s = session;
  session = undefined;
  await s?.dispose();
}
