/**
 * "Run Routine on Device" from the editor title of a routine file: pick a device (a listed one, or a new virtual
 * device), answer the routine's params (typed prompts with their defaults), and the run goes on that device outside
 * any group, with its step marked in the editor, a cancellable progress notification, the event log in the
 * "Emulator Fleet: Routine Runs" output and the result in a notification (ok/failed, the error located — "Open" goes
 * there —, the returned values).
 *
 * `runOnDevice` is the UI-free run, on top of the palette command's shared run function (src/extension/routineRuns.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RoutineResult } from '../../bot/routine/interpreter';
import type { ParamSpec } from '../../bot/routine/loadedTypes';
import type { Fleet } from '../../host/fleet';
import { formatDiagnostic, type SourceRange } from '../../shared/geometry';
import type { Logger } from '../../shared/ports';
import type { RoutineEvent } from '../../shared/routineEvents';
import { CancelledByUser } from '../commands/commandRunner';
import { runRoutineOnDevice } from '../routineRuns';
import type { FleetSession } from '../fleetSession';
import { applyRoutineEvent } from './fleetFeed';
import type { LiveSteps } from './liveSteps';
import { paramPrompt, routineNameOf } from './routineParams';
import { formatRunEvent } from './runRoutineFormat';


/** A device to run on: a listed serial, or a new virtual device. */
export type DeviceChoice = { serial: string } | { virtual: true; seed?: number };

export interface EditorRunRequest {
  routine: string;
  device: DeviceChoice;
  params: Record<string, unknown>;
  signal?: AbortSignal;
  logger: Logger;
  /** Every event of the run, in order. */
  onEvent?: (e: RoutineEvent, serial: string) => void;
  /** Called once the device is chosen (its serial), before the routine starts. */
  onDevice?: (serial: string) => void;
}

export interface RoutineRunOutcome {
  serial: string;
  result: RoutineResult;
}

/**
 * Runs a routine on one device outside any group, through the shared run function of the palette's command
 * (src/extension/routineRuns.ts): a routine with errors is refused first (located), a new virtual device is started
 * when asked.
 */
export async function runOnDevice(fleet: Fleet, req: EditorRunRequest): Promise<RoutineRunOutcome> {
  const registry = fleet.orchestrator.routineRegistry();
  const entry = registry?.entry(req.routine);
  if (!entry) {
    throw new Error(`unknown routine '${req.routine}'`);
  }
  if (!entry.valid) {
    const first = entry.diagnostics.find((d) => d.severity === 'error');
    throw new Error(`routine '${req.routine}' has errors${first ? ` (${formatDiagnostic(first)})` : ''}`);
  }
  let serial: string;
  if ('virtual' in req.device) {
    const [info] = await fleet.startVirtualDevices(1, req.device.seed !== undefined ? { seed: req.device.seed } : {});
    serial = info!.serial;
  } else {
    serial = req.device.serial;
  }
  req.onDevice?.(serial);
  const result = await runRoutineOnDevice(fleet, {
    routine: req.routine,
    serial,
    params: req.params,
    logger: req.logger,
    ...(req.signal ? { signal: req.signal } : {}),
    onEvent: (e) => req.onEvent?.(e, serial),
  });
  return { serial, result };
}

/** Options of the command when called with arguments (tests, other commands): no prompt is shown for what is given. */
export interface RunOnDeviceArgs {
  routine?: string;
  device?: 'virtual' | string;
  params?: Record<string, unknown>;
}

export interface RunOnDeviceDeps {
  session: FleetSession;
  model: LiveSteps;
  logger: Logger;
  output: vscode.OutputChannel;
}

/** Opens the error's location (a workspace-relative range of an event or result). */
export async function openRange(root: string, r: SourceRange): Promise<void> {
  const uri = vscode.Uri.file(path.join(root, r.file));
  const start = new vscode.Position(Math.max(0, r.start.line - 1), Math.max(0, r.start.col - 1));
  const end = new vscode.Position(Math.max(0, r.end.line - 1), Math.max(0, r.end.col - 1));
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(start, end) });
}

async function pickDevice(fleet: Fleet): Promise<DeviceChoice> {
  type Item = vscode.QuickPickItem & { choice: DeviceChoice };
  const items: Item[] = fleet.devices
    .list()
    .filter((d) => d.state === 'online')
    .map((d) => ({
      label: `$(device-mobile) ${d.serial}`,
      description: [d.source === 'virtual' ? 'virtual' : d.model, d.instance !== undefined ? `instance ${d.instance}` : undefined].filter(Boolean).join(' · '),
      detail: d.heldBy ? `used by group ${d.heldBy.group} (bot ${d.heldBy.instance}): the run would fight it for the screen` : undefined,
      choice: { serial: d.serial },
    }));
  items.push({ label: '$(add) New virtual device', description: 'the demo game, started for this run', choice: { virtual: true } });
  const pick = await vscode.window.showQuickPick(items, { title: 'Run Routine on Device', placeHolder: 'The device to run on' });
  if (!pick) {
    throw new CancelledByUser();
  }
  return pick.choice;
}

async function promptParams(routine: string, specs: Record<string, ParamSpec>, given: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
  if (given) {
    return given;
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const p = paramPrompt(name, spec);
    let text: string | undefined;
    if (p.input === 'pick') {
      const picked = await vscode.window.showQuickPick(
        p.choices.map((c) => ({ label: c, picked: c === p.value, description: c === p.value ? 'default' : undefined })),
        { title: `${routine}: ${name}`, placeHolder: p.prompt },
      );
      text = picked?.label;
    } else {
      text = await vscode.window.showInputBox({ title: `${routine}: ${name}`, prompt: p.prompt, value: p.value, validateInput: (t) => p.validate(t) });
    }
    if (text === undefined) {
      throw new CancelledByUser();
    }
    if (text.trim() !== '' || p.value !== '') {
      out[name] = p.parse(text);
    }
  }
  return out;
}

/** The command: run the routine of the active editor (or `uri`) on a device. Resolves with the outcome. */
export async function runRoutineFromEditor(deps: RunOnDeviceDeps, uri: vscode.Uri | undefined, args: RunOnDeviceArgs = {}): Promise<RoutineRunOutcome | undefined> {
  deps.session.requireTrust('Running a routine on a device');
  const fleet = await deps.session.fleet();
  const root = deps.session.root!;
  let routine = args.routine;
  if (!routine) {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    if (!target) {
      throw new Error('open a routine file (routines/*.yaml) to run it on a device');
    }
    const rel = path.relative(root, target.fsPath).split(path.sep).join('/');
    routine = routineNameOf(rel);
    if (!routine) {
      throw new Error(`${rel} is not a routine file (routines/*.yaml of the fleet's folder)`);
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
    if (doc?.isDirty) {
      await doc.save();
    }
  }
  const entry = fleet.orchestrator.routineRegistry()?.entry(routine);
  if (!entry) {
    throw new Error(`unknown routine '${routine}'`);
  }
  const device: DeviceChoice = args.device === 'virtual' ? { virtual: true } : args.device ? { serial: args.device } : await pickDevice(fleet);
  const params = await promptParams(routine, entry.routine?.params ?? {}, args.params);

  const out = deps.output;
  const t0 = Date.now();
  let bot: string | undefined;
  let cancelled = false;
  out.appendLine(`— ${new Date(t0).toISOString()} run ${routine} ${JSON.stringify(params)}`);
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Running ${routine}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => {
        cancelled = true;
        abort.abort(new Error('cancelled by the user'));
      });
      try {
        return await runOnDevice(fleet, {
          routine: routine!,
          device,
          params,
          signal: abort.signal,
          logger: deps.logger,
          onDevice: (serial) => {
            bot = serial;
            progress.report({ message: `on ${serial}` });
            out.appendLine(`device ${serial}`);
          },
          onEvent: (e, serial) => {
            out.appendLine(formatRunEvent(e, t0));
            applyRoutineEvent(deps.model, serial, e);
            if (e.type === 'step.start') {
              progress.report({ message: `on ${serial}: ${e.step}` });
            }
          },
        });
      } finally {
        sub.dispose();
        if (bot) {
          deps.model.remove(bot);
        }
      }
    },
  );
  if (cancelled && !outcome.result.ok) {
    out.appendLine('cancelled');
    void vscode.window.showInformationMessage(`${routine} on ${outcome.serial}: cancelled`, 'Show Log').then((p) => (p ? out.show(true) : undefined), () => undefined);
  } else {
    showResult(deps, root, routine, outcome);
  }
  return outcome;
}

function showResult(deps: RunOnDeviceDeps, root: string, routine: string, { serial, result }: RoutineRunOutcome): void {
  const out = deps.output;
  const returned = result.returned && Object.keys(result.returned).length ? ` — returned ${JSON.stringify(result.returned)}` : '';
  if (result.ok) {
    const stopped = result.stopped ? ` (stopped: ${result.stopped.reason}${result.stopped.message ? `, ${result.stopped.message}` : ''})` : '';
    out.appendLine(`ok${stopped}${returned}`);
    void vscode.window.showInformationMessage(`${routine} on ${serial}: ok${stopped}${returned}`, 'Show Log').then((p) => (p ? out.show(true) : undefined), () => undefined);
    return;
  }
  const e = result.error!;
  const loc = e.range ? `${e.range.file}:${e.range.start.line}:${e.range.start.col}` : undefined;
  out.appendLine(`failed: ${loc ? `${loc}: ` : ''}${e.message} [${e.code}]`);
  const actions = [...(e.range ? ['Open Error Location'] : []), 'Show Log'];
  void vscode.window.showErrorMessage(`${routine} on ${serial} failed${loc ? ` at ${loc}` : ''}: ${e.message}`, ...actions).then(
    async (p) => {
      if (p === 'Open Error Location' && e.range) {
        await openRange(root, e.range);
      } else if (p === 'Show Log') {
        out.show(true);
      }
    },
    () => undefined,
  );
}
