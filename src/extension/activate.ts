/**
 * Composition root of the extension: builds the adapters, then the core, and registers the VS Code surfaces.
 * The tree, the monitor and the authoring features arrive with their issues; this keeps activation cheap:
 * no bot starts until asked.
 */
import * as vscode from 'vscode';
import { registerDebugger } from './debug/register';

export interface EmulatorFleetApi {
  readonly version: string;
}

export function activate(context: vscode.ExtensionContext): EmulatorFleetApi {
  const output = vscode.window.createOutputChannel('Emulator Fleet', { log: true });
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand('emulatorFleet.showLogs', () => {
      output.show(true);
    }),
  );
  registerDebugger(context, { output });
  output.info('Emulator Fleet activated');
  return { version: String(context.extension.packageJSON.version ?? '0.0.0') };
}

export function deactivate(): void {
  // Nothing runs yet that needs stopping.
}
