/**
 * "Run Routine on a Device": one routine on one device outside any group, from the palette, the Groups view's menu,
 * a device of the Devices view, or a routine file (editor title, editor and explorer context menus). It asks for
 * what it was not given: the routine (the active editor's first), the device (a listed one, or a new virtual device)
 * and the routine's params (typed prompts with their defaults). The run's step is marked live in the routine's
 * editor, its steps go to the log, the timed events to the "Emulator Fleet: Routine Runs" output, a cancellable
 * progress notification shows the step, and the result is a notification (ok/failed, the error located — "Open"
 * goes there —, the returned values).
 *
 * `runOnDevice` is the UI-free run, on top of the shared run function (src/extension/routineRuns.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RoutineResult } from '../../bot/routine/interpreter';
import type { ParamSpec } from '../../bot/routine/loadedTypes';
import type { Fleet } from '../../host/fleet';
import { formatDiagnostic, type SourceRange } from '../../shared/geometry';
import type { Logger } from '../../shared/ports';
import type { RoutineEvent } from '../../shared/routineEvents';
import type { PickItem, Prompter, StepInfo } from '../commands/prompter';
import { describeRoutineEvent, runRoutineOnDevice } from '../routineRuns';
import type { DeviceNode } from '../views/trees';
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

/**
 * Options of the command when called from code (tests, other commands): no prompt is shown for what is given.
 * `device` is a serial or `'virtual'` (a new virtual device); `serial` is the same as a serial `device`.
 */
export interface RunOnDeviceArgs {
  routine?: string;
  device?: 'virtual' | string;
  serial?: string;
  params?: Record<string, unknown>;
}

export interface RunOnDeviceDeps {
  session: FleetSession;
  model: LiveSteps;
  /** The extension's log: the run's steps go there, one line each. */
  logger: Logger;
  /** The detailed run log (timed events), "Emulator Fleet: Routine Runs". */
  output: vscode.OutputChannel;
  /** The prompts (tests swap them through the extension's API). */
  prompter: () => Prompter;
}

/** Opens the error's location (a workspace-relative range of an event or result). */
export async function openRange(root: string, r: SourceRange): Promise<void> {
  const uri = vscode.Uri.file(path.join(root, r.file));
  const start = new vscode.Position(Math.max(0, r.start.line - 1), Math.max(0, r.start.col - 1));
  const end = new vscode.Position(Math.max(0, r.end.line - 1), Math.max(0, r.end.col - 1));
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(start, end) });
}

const TITLE = 'Run Routine on a Device';

/** The routine of a file of the fleet's folder (`routines/<name>.yaml`), or undefined. */
function routineOfUri(root: string, uri: vscode.Uri | undefined): string | undefined {
  if (!uri || uri.scheme !== 'file') {
    return undefined;
  }
  return routineNameOf(path.relative(root, uri.fsPath).split(path.sep).join('/'));
}

/** Asks for the routine; the active editor's routine comes first, so Enter runs what is being edited. */
async function pickRoutine(fleet: Fleet, root: string, p: Prompter, step: StepInfo): Promise<string> {
  const entries = fleet.orchestrator.routineRegistry()?.entries() ?? [];
  const active = routineOfUri(root, vscode.window.activeTextEditor?.document.uri);
  const items: PickItem<string>[] = entries
    .filter((r) => r.valid || r.name === active)
    .map((r) => ({
      label: r.name,
      description: [r.name === active ? 'active editor' : undefined, r.valid ? r.file : 'has errors'].filter(Boolean).join(' · '),
      ...(r.routine?.description ? { detail: r.routine.description } : {}),
      value: r.name,
    }))
    .sort((a, b) => Number(b.value === active) - Number(a.value === active));
  if (!items.length) {
    throw new Error('the workspace has no valid routine in routines/: write one first');
  }
  return p.pick(active ? `Run which routine? (Enter: ${active}, the active editor's)` : 'Run which routine?', items, step);
}

async function pickDevice(fleet: Fleet, p: Prompter, step: StepInfo): Promise<DeviceChoice> {
  const items: PickItem<DeviceChoice>[] = fleet.devices
    .list()
    .filter((d) => d.state === 'online')
    .map((d) => ({
      label: `$(device-mobile) ${d.serial}`,
      description: [d.source === 'virtual' ? 'virtual' : d.model, d.instance !== undefined ? `instance ${d.instance}` : undefined].filter(Boolean).join(' · '),
      ...(d.heldBy ? { detail: `used by group ${d.heldBy.group} (bot ${d.heldBy.instance}): the run would fight it for the screen` } : {}),
      value: { serial: d.serial },
    }));
  items.push({ label: '$(add) New virtual device', description: 'the demo game, started for this run', value: { virtual: true } });
  return p.pick('On which device?', items, step);
}

/** The routine's params, each asked with its type (a pick for bool and enum, a checked input otherwise). */
async function promptParams(routine: string, specs: Record<string, ParamSpec>, p: Prompter, step: StepInfo): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const q = paramPrompt(name, spec);
    let text: string;
    if (q.input === 'pick') {
      const choices = [...q.choices].sort((a, b) => Number(b === q.value) - Number(a === q.value));
      text = await p.pick(`${routine}: ${q.prompt}`, choices.map((c) => ({ label: c, ...(c === q.value ? { description: 'default' } : {}), value: c })), step);
    } else {
      text = await p.input({ ...step, prompt: `${routine}: ${q.prompt}`, value: q.value, validate: (t) => q.validate(t) });
    }
    if (text.trim() !== '' || q.value !== '') {
      out[name] = q.parse(text);
    }
  }
  return out;
}

function isRunArgs(a: unknown): a is RunOnDeviceArgs {
  return !!a && typeof a === 'object' && !(a instanceof vscode.Uri) && !('kind' in a);
}

/**
 * The one "Run Routine on a Device" command. Invoked
 * - from a routine file (editor title, editor and explorer context menus): that routine;
 * - from a device of the Devices view: that device;
 * - from the palette or the Groups view's menu: asks for the routine (the active editor's first), the device (a
 *   listed one or a new virtual device) and the routine's params (typed prompts with their defaults);
 * - from code: `(undefined | uri, { routine, device | serial, params })`, or the arguments object alone.
 * The run's step is marked in the routine's editor, its steps go to the log and the timed events to the Routine
 * Runs output; a cancellable notification shows progress and the result. Resolves with the outcome.
 */
export async function runRoutineCommand(deps: RunOnDeviceDeps, target?: unknown, extra?: RunOnDeviceArgs): Promise<RoutineRunOutcome | undefined> {
  deps.session.requireTrust('Running a routine on a device');
  const fleet = await deps.session.fleet();
  const root = deps.session.root!;
  const args: RunOnDeviceArgs = { ...(isRunArgs(target) ? target : {}), ...extra };
  const uri = target instanceof vscode.Uri ? target : undefined;
  const node = target && typeof target === 'object' && 'kind' in target ? (target as DeviceNode) : undefined;
  const nodeSerial = node?.kind === 'device' ? node.serial : undefined;
  const p = deps.prompter();

  let routine = args.routine;
  if (!routine && uri) {
    routine = routineOfUri(root, uri);
    if (!routine) {
      throw new Error(`${vscode.workspace.asRelativePath(uri)} is not a routine file (routines/*.yaml of the fleet's folder)`);
    }
  }
  const serialGiven = args.device ?? args.serial ?? nodeSerial;
  const entryOf = (name: string) => fleet.orchestrator.routineRegistry()?.entry(name);
  const paramsAsked = (name: string) => !args.params && Object.keys(entryOf(name)?.routine?.params ?? {}).length > 0;
  // The wizard's steps: only those asked.
  let total = (routine ? 0 : 1) + (serialGiven ? 0 : 1);
  let step = 0;
  const next = (): StepInfo => ({ title: TITLE, step: ++step, totalSteps: total });
  if (!routine) {
    total += 1; // the params, most routines have some; corrected once the routine is known
    routine = await pickRoutine(fleet, root, p, next());
    total = step + (serialGiven ? 0 : 1) + (paramsAsked(routine) ? 1 : 0);
  } else {
    total += paramsAsked(routine) ? 1 : 0;
  }
  const entry = entryOf(routine);
  if (!entry) {
    throw new Error(`unknown routine '${routine}'`);
  }
  // What runs is what the editor shows: a routine edited and not saved is saved first.
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && routineOfUri(root, d.uri) === routine);
  if (doc?.isDirty) {
    await doc.save();
  }
  const device: DeviceChoice = serialGiven === 'virtual' ? { virtual: true } : serialGiven ? { serial: serialGiven } : await pickDevice(fleet, p, next());
  const params = args.params ?? (paramsAsked(routine) ? await promptParams(routine, entry.routine?.params ?? {}, p, next()) : {});

  const out = deps.output;
  const log = deps.logger.child(`run ${routine}`);
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
          logger: log,
          onDevice: (serial) => {
            bot = serial;
            progress.report({ message: `on ${serial}` });
            out.appendLine(`device ${serial}`);
            log.log('info', `on ${serial} ${JSON.stringify(params)}`);
          },
          onEvent: (e, serial) => {
            out.appendLine(formatRunEvent(e, t0));
            const line = describeRoutineEvent(e);
            if (line) {
              log.log('info', line);
            }
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
    log.log('info', 'cancelled');
    void vscode.window.showInformationMessage(`${routine} on ${outcome.serial}: cancelled`, 'Show Log').then((x) => (x ? out.show(true) : undefined), () => undefined);
  } else {
    showResult(deps, root, routine, outcome);
  }
  return outcome;
}

function showResult(deps: RunOnDeviceDeps, root: string, routine: string, { serial, result }: RoutineRunOutcome): void {
  const out = deps.output;
  const log = deps.logger.child(`run ${routine}`);
  const returned = result.returned && Object.keys(result.returned).length ? ` — returned ${JSON.stringify(result.returned)}` : '';
  if (result.ok) {
    const stopped = result.stopped ? ` (stopped: ${result.stopped.reason}${result.stopped.message ? `, ${result.stopped.message}` : ''})` : '';
    out.appendLine(`ok${stopped}${returned}`);
    log.log('info', `ok on ${serial}${stopped}${returned}`);
    void vscode.window.showInformationMessage(`${routine} on ${serial}: ok${stopped}${returned}`, 'Show Log').then((p) => (p ? out.show(true) : undefined), () => undefined);
    return;
  }
  const e = result.error!;
  const loc = e.range ? `${e.range.file}:${e.range.start.line}:${e.range.start.col}` : undefined;
  out.appendLine(`failed: ${loc ? `${loc}: ` : ''}${e.message} [${e.code}]`);
  log.log('warn', `failed on ${serial}: ${loc ? `${loc}: ` : ''}${e.message} [${e.code}]`);
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
