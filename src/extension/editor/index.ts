/**
 * The routine editor's features: live step markers and match scores while bots run, "Run Routine on Device" from
 * the editor title. Registered by activate().
 */
import * as vscode from 'vscode';
import type { Logger } from '../../shared/ports';
import type { CommandRunner } from '../commands/commandRunner';
import type { FleetSession } from '../fleetSession';
import { followFleet } from './fleetFeed';
import { LiveEditor } from './liveEditor';
import { LiveSteps } from './liveSteps';
import { RUN_ON_DEVICE_COMMAND, runRoutineFromEditor, type RunOnDeviceArgs } from './runRoutine';

export interface EditorFeatures {
  /** The bots' current steps and scores the editor shows. */
  readonly model: LiveSteps;
  readonly live: LiveEditor;
}

export function registerEditorFeatures(context: vscode.ExtensionContext, deps: { session: FleetSession; runner: CommandRunner; logger: Logger }): EditorFeatures {
  const model = new LiveSteps();
  const live = new LiveEditor({ model, root: () => deps.session.root });
  const output = vscode.window.createOutputChannel('Emulator Fleet: Routine Runs');
  let following: { dispose(): void } | undefined;
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
    deps.runner.register(RUN_ON_DEVICE_COMMAND, (uri?: unknown, args?: RunOnDeviceArgs) =>
      runRoutineFromEditor({ session: deps.session, model, logger: deps.logger.child('run'), output }, uri instanceof vscode.Uri ? uri : undefined, args),
    ),
  );
  return { model, live };
}
