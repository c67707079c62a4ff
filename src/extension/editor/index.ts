/**
 * The routine editor's features: live step markers and match scores while bots run, "Run Routine on a Device"
 * (from the palette, the views and the editor title: the run's step marked live), Capture Template and Template Lab.
 * Registered by activate().
 */
import * as vscode from 'vscode';
import type { Logger } from '../../shared/ports';
import type { CommandRunner } from '../commands/commandRunner';
import type { Prompter } from '../commands/prompter';
import type { FleetSession } from '../fleetSession';
import { COMMANDS } from '../constants';
import { CapturePanel, type CaptureArgs } from './captureTemplate';
import { followFleet } from './fleetFeed';
import { NO_RECORDER, type RecordedFrames } from './frameSources';
import { TemplateLab, type LabArgs } from './templateLab';
import { LabExpectations } from './labExpectations';
import { LiveEditor } from './liveEditor';
import { LiveSteps } from './liveSteps';
import { runRoutineCommand, type RunOnDeviceArgs } from './runRoutine';

export interface EditorFeatures {
  /** The bots' current steps and scores the editor shows. */
  readonly model: LiveSteps;
  readonly live: LiveEditor;
  /** Replaces the flight recorder the tools read (tests plug a fake in); undefined restores the monitor's. */
  setRecorder(recorder: RecordedFrames | undefined): void;
  /** The Capture Template panels open now. */
  capturePanels(): CapturePanel[];
  /** The Template Lab panels open now. */
  labs(): TemplateLab[];
}

export function registerEditorFeatures(context: vscode.ExtensionContext, deps: { session: FleetSession; runner: CommandRunner; logger: Logger; prompter: () => Prompter; recorder?: RecordedFrames }): EditorFeatures {
  const model = new LiveSteps();
  const live = new LiveEditor({ model, root: () => deps.session.root });
  const output = vscode.window.createOutputChannel('Emulator Fleet: Routine Runs');
  let following: { dispose(): void } | undefined;
  const defaultRecorder = deps.recorder ?? NO_RECORDER;
  let recorder: RecordedFrames = defaultRecorder;
  const follow = () => {
    following?.dispose();
    const fleet = deps.session.current;
    following = fleet ? followFleet(model, fleet.orchestrator) : undefined;
  };
  follow();
  context.subscriptions.push(
    live,
    output,
    deps.session.onDidChangeFleet(follow),
    { dispose: () => following?.dispose() },
    deps.runner.register(COMMANDS.runRoutine, (target?: unknown, args?: RunOnDeviceArgs) =>
      runRoutineCommand({ session: deps.session, model, logger: deps.logger, output, prompter: deps.prompter }, target, args),
    ),
    deps.runner.register(COMMANDS.captureTemplate, async (uri?: unknown, args?: CaptureArgs) => {
      const p = await CapturePanel.open({ session: deps.session, extensionUri: context.extensionUri, logger: deps.logger.child('capture'), recorder: () => recorder }, uri instanceof vscode.Uri ? uri : undefined, args);
      context.subscriptions.push(p);
      return undefined;
    }),
  );
  const expectations = new LabExpectations(context.workspaceState, (e: unknown) => deps.logger.log('warn', `template lab: the marks were not saved: ${e instanceof Error ? e.message : String(e)}`));
  context.subscriptions.push(
    deps.runner.register(COMMANDS.templateLab, async (uri?: unknown, args?: LabArgs) => {
      const lab = await TemplateLab.open({ session: deps.session, extensionUri: context.extensionUri, logger: deps.logger.child('lab'), recorder: () => recorder, expectations }, uri instanceof vscode.Uri ? uri : undefined, args);
      context.subscriptions.push(lab);
      return undefined;
    }),
  );
  return {
    model,
    live,
    setRecorder: (r) => {
      recorder = r ?? defaultRecorder;
    },
    capturePanels: () => CapturePanel.all(),
    labs: () => TemplateLab.all(),
  };
}
