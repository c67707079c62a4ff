/**
 * Composition root of the extension's fleet code (the `extensionMain` bundle): the fleet session (built on first
 * need by the shared host layer), the command runner, the sidebar (Groups, Devices, Pools), the fleet's commands,
 * the status bar, the monitor, the editor features, the language client and the debugger. The bootstrap
 * (bootstrap.ts, the `extension` bundle VS Code activates) loads this on first need: a view shown, a command run, a
 * routine opened, a debug session. Even then no fleet, wasm, worker or database is opened here (the first view that
 * shows or the first command that needs the fleet builds it), and no bot starts until asked.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { outputLogger } from './adapters/outputLogger';
import { BENCH_FILE_ENV, startBenchStats } from './benchStats';
import { CommandRunner } from './commands/commandRunner';
import { registerFleetCommands } from './commands/fleetCommands';
import { VsCodePrompter, type Prompter } from './commands/prompter';
import { FleetSession } from './fleetSession';
import { registerEditorFeatures, type EditorFeatures } from './editor';
import { recordedFramesOf } from './editor/recorderFrames';
import { sharpDecoder } from '../bot/vision/imageCodec';
import { startLanguageClient } from './languageClient';
import { registerDebugger } from './debug/register';
import { FleetStatusBar } from './statusBar';
import { FleetFeed } from './views/fleetFeed';
import { registerTrees, type FleetTrees } from './views/trees';
import { fleetPort } from './monitor/fleetPort';
import { MonitorPanels } from './monitor/monitorPanel';
import { MonitorService } from './monitor/monitorService';
import type { Registrar } from './registrar';

export interface EmulatorFleetApi {
  readonly version: string;
  /** The fleet of this window (tests and other extensions drive it through here). */
  readonly session: FleetSession;
  /** Resolves with the language client once its server runs (rejects when it cannot start). */
  readonly languageClient: Promise<LanguageClient>;
  /** The routine editor's live markers and scores, Capture Template and Template Lab (tests read them). */
  readonly editor: EditorFeatures;
  /** The sidebar's model and trees (tests read the items the views show). */
  readonly feed: FleetFeed;
  readonly trees: FleetTrees;
  readonly statusBar: FleetStatusBar;
  /** Replaces the prompts of the commands (tests inject answers); undefined restores the real ones. */
  usePrompter(p: Prompter | undefined): void;
  /**
   * What deactivate does to the fleet (groups stopped within `graceMs`, then forced; leases released; database and
   * devices closed), keeping the session: the next view or command builds a new fleet.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** The flight recorder and saving (the template capture view and the debugger read recorded frames here). */
  readonly monitor: MonitorService;
  /** The monitor panel (tests read its message loop's counters). */
  readonly monitorPanels: MonitorPanels;
}

/** Graceful stop of every group when the window closes; VS Code gives deactivate a few seconds in all. */
export const DEACTIVATE_GRACE_MS = 2500;

let session: FleetSession | undefined;

/** What the bootstrap made at activation and hands over. */
export interface Boot {
  /** The extension's log (the bootstrap registers Show Logs on it). */
  output: vscode.LogOutputChannel;
  /** Where the registrations VS Code needs from the start go (the bootstrap's delegates). */
  registrar: Registrar;
}

export function activateMain(context: vscode.ExtensionContext, boot: Boot): EmulatorFleetApi {
  const { output, registrar } = boot;
  const logger = outputLogger(output);
  const s = new FleetSession({ logger });
  session = s;
  const runner = new CommandRunner({ logger, showLogs: () => output.show(true) });

  const feed = new FleetFeed({ session: s, logger });
  context.subscriptions.push(feed);
  const trees = registerTrees(feed, context.subscriptions, registrar);
  const statusBar = new FleetStatusBar(feed);
  context.subscriptions.push(statusBar);
  const realPrompter = new VsCodePrompter();
  let prompter: Prompter = realPrompter;
  context.subscriptions.push(...registerFleetCommands({ session: s, runner, feed, trees, logger, prompter: () => prompter }));

  const version = String(context.extension.packageJSON.version ?? '0.0.0');
  const monitor = new MonitorService({ session: s, logger, extensionVersion: version, portFor: fleetPort, prompter: () => prompter });
  const monitorPanels = new MonitorPanels({ extensionUri: context.extensionUri, logger, session: s, service: monitor, runner, registrar });
  context.subscriptions.push(monitor, monitorPanels.register());

  const benchFile = process.env[BENCH_FILE_ENV];
  if (benchFile) {
    context.subscriptions.push(startBenchStats(benchFile, feed, trees));
  }
  // The template tools read the monitor's flight recorder (Capture Template's threshold, the lab's frames).
  const editor = registerEditorFeatures(context, { session: s, runner, logger, prompter: () => prompter, recorder: recordedFramesOf(() => monitor.recorder, sharpDecoder) });

  const languageClient = startLanguageClient(context, {
    serverModule: context.asAbsolutePath('dist/languageServer.js'),
    outputChannel: output,
    debugPort: context.extensionMode === vscode.ExtensionMode.Development ? 6009 : undefined,
  });
  languageClient.catch((e: unknown) => output.error(`the language server did not start: ${e instanceof Error ? e.message : String(e)}`));

  // Launches run on the window's fleet (its devices, pools, settings; the device picker lists its devices); attach
  // reaches its groups' bots (whichever fleet the session holds now); the Screen view's history reads the recorder.
  registerDebugger(context, {
    output,
    registrar,
    fleet: () => s.fleet(),
    prompter: () => prompter,
    recorder: () => monitor.recorder,
    root: () => session?.root,
    targets: {
      find: (group, instance) => session?.current?.debugTargets.find(group, instance),
      list: () => session?.current?.debugTargets.list() ?? [],
    },
  });

  return {
    version,
    session: s,
    languageClient,
    editor,
    feed,
    trees,
    statusBar,
    monitor,
    monitorPanels,
    usePrompter: (p) => {
      prompter = p ?? realPrompter;
    },
    shutdown: (graceMs = DEACTIVATE_GRACE_MS) => shutdownFleet(s, graceMs, false),
  };
}

/**
 * Stops every group gracefully (forced after DEACTIVATE_GRACE_MS), releases every lease, closes the database and
 * the devices.
 */
export async function deactivate(): Promise<void> {
  const s = session;
  session = undefined;
  if (!s) {
    return;
  }
  await shutdownFleet(s, DEACTIVATE_GRACE_MS, true);
}

/**
 * The window's fleet shut down within about `graceMs` (+ the forced stop): the deactivate path, tested as is
 * through the API. `dispose` ends the session too (deactivate); otherwise only its fleet is closed.
 */
export async function shutdownFleet(s: FleetSession, graceMs: number, dispose: boolean): Promise<void> {
  const f = s.current;
  try {
    if (f) {
      await f.orchestrator.stopAll({ timeoutMs: graceMs }).catch(() => f.orchestrator.stopAll({ force: true }));
      const pm = f.orchestrator.poolManager();
      if (pm?.isOpen && !pm.readOnly) {
        await pm.releaseAll({}, 'the extension stopped');
      }
    }
  } finally {
    await (dispose ? s.dispose() : s.stop());
  }
}
