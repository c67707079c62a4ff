/**
 * The routine debugger's Debug Adapter Protocol session (a `LoggingDebugSession`, as vscode-mock-debug cuts it): a
 * thin translation between DAP requests and the interpreter's debugger (src/bot/routine/debug.ts), and between the
 * debugger's events and DAP events. It imports no vscode: the same class runs inline in the extension host (where
 * the fleet and its bots live, so it can attach to a bot of a running group) and as the standalone stdio adapter
 * the protocol tests drive. Its dependencies come through {@link DebugSessionHost}.
 *
 * - launch: one routine on one device (a virtual device started for the session, or a serial), optionally with an
 *   account pool; `noDebug` runs it without the debugger. The session closes what it opened (the account's lease
 *   is released, the virtual device stopped) when it ends.
 * - attach: one bot of a running group (through the `DebugTargets` port): its next steps stop at the breakpoints
 *   while the other bots run on; the bot's account lease stays alive while it is stopped (the pool's heartbeat runs
 *   on the real clock); disconnecting lets it run on.
 */
import * as path from 'node:path';
import { Handles, InitializedEvent, LoggingDebugSession, OutputEvent, StoppedEvent, TerminatedEvent, ExitedEvent, BreakpointEvent, ContinuedEvent, InvalidatedEvent, Event as DapEvent, Thread } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { FrameRecycledError } from '../../bot/device';
import {
  DEBUG_EXCEPTION_FILTERS,
  RoutineDebugError,
  type DebugBreakpoint,
  type DebugBreakpointSpec,
  type DebugFunctionBreakpointSpec,
  type DebugScopeKind,
  type DebugStopEvent,
  type DebugVariable,
  type RoutineDebugger,
} from '../../bot/routine/debug';
import type { DebugTargetEntry } from '../../bot/routine/debugTargets';
import type { MatchRecord } from '../../bot/routine/context';
import type { RoutineInterpreter, RoutineResult } from '../../bot/routine/interpreter';
import { encodeJpeg } from '../../bot/vision/frameEncoder';
import {
  SCREEN_CHANGED_EVENT,
  SCREEN_REQUEST,
  type ScreenChangedBody,
  type ScreenHistoryFrame,
  type ScreenMatch,
  type ScreenPayload,
  type ScreenRequestArguments,
} from '../../shared/debugScreenProtocol';
import { formatDiagnostic, type SourceRange } from '../../shared/geometry';
import type { Disposable } from '../../shared/lifecycle';
import { nullLogger } from '../../shared/loggers';
import type { Logger } from '../../shared/ports';
import type { RoutineEvent } from '../../shared/routineEvents';
import { checkAttachArguments, checkLaunchArguments, routineNameOfFile, VIRTUAL_DEVICE, type FleetAttachArguments, type FleetLaunchArguments } from './config';
import { asksForDevice } from './devicePicker';
import { historyFrames, LaunchRecorder } from './screenHistory';
import { DebugLaunchError, type DebugSessionHost, type LaunchAccounts, type LaunchDevice, type LaunchFleet } from './ports';

const THREAD_ID = 1;
/** Error ids of failed requests (DAP `Message.id`). */
const ERR_LAUNCH = 1001;
const ERR_REQUEST = 1002;
const MAX_DIAGNOSTICS_SHOWN = 5;

/** What a variables reference points at. */
type Container =
  | { kind: 'scope'; frameId: number; scope: DebugScopeKind; variables: DebugVariable[] }
  | { kind: 'children'; variables: DebugVariable[] };

interface BreakpointFile {
  specs: DebugBreakpointSpec[];
  /** The session's breakpoint ids, one per spec. */
  ids: number[];
}

interface LaunchState {
  args: FleetLaunchArguments;
  fleet: LaunchFleet;
  routine: string;
  device?: LaunchDevice;
  accounts?: LaunchAccounts;
  interp?: RoutineInterpreter;
  run?: { abort: AbortController; done: Promise<RoutineResult | undefined> };
  restarting: boolean;
  ended: boolean;
}

interface AttachState {
  args: FleetAttachArguments;
  entry: DebugTargetEntry;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function toScreenMatch(m: MatchRecord): ScreenMatch {
  return {
    template: m.template,
    found: m.found,
    score: m.score,
    threshold: m.threshold,
    box: { x: m.box.x, y: m.box.y, w: m.box.w, h: m.box.h },
    routine: m.routine,
    ...(m.path !== undefined ? { path: m.path } : {}),
    time: m.time,
  };
}

const SCOPE_HINTS: Partial<Record<DebugScopeKind, DebugProtocol.Scope['presentationHint']>> = { params: 'arguments', variables: 'locals', system: 'registers' };

export class FleetDebugSession extends LoggingDebugSession {
  private readonly logger: Logger;
  private mode: 'launch' | 'attach' | undefined;
  private launchState: LaunchState | undefined;
  private attachState: AttachState | undefined;
  private dbg: RoutineDebugger | undefined;
  private readonly dbgSubscriptions: Disposable[] = [];
  private readonly subscriptions: Disposable[] = [];
  private root = '';
  private readonly configured = deferred<void>();
  private clientSupportsInvalidated = false;
  private readonly handles = new Handles<Container>();
  private lastStop: DebugStopEvent | undefined;
  /** The next stop reported as `entry` (a restart with stopOnEntry pauses before the first step). */
  private entryByPause = false;
  private evaluated: MatchRecord[] = [];
  // Breakpoints as the client set them (kept to re-apply after re-attaching); debugger ids mapped to the session's.
  private readonly breakpointFiles = new Map<string, BreakpointFile>();
  private functionBreakpoints: { specs: DebugFunctionBreakpointSpec[]; ids: number[] } = { specs: [], ids: [] };
  private exceptionFilters: string[] = [];
  private readonly sessionIdOf = new Map<number, number>();
  private nextBreakpointId = 1;
  private cleanup: Promise<void> | undefined;
  private terminatedSent = false;
  /** A launched routine's captures, step by step (the Screen view's history). */
  private launchRecorder: LaunchRecorder | undefined;

  constructor(private readonly host: DebugSessionHost) {
    super();
    this.logger = host.logger ?? nullLogger;
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Life cycle
  // ---------------------------------------------------------------------------------------------------------

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.clientSupportsInvalidated = args.supportsInvalidatedEvent === true;
    response.body = {
      ...response.body,
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      exceptionBreakpointFilters: DEBUG_EXCEPTION_FILTERS.map((f) => ({ filter: f.filter, label: f.label, description: f.description, default: f.default })),
      supportsExceptionInfoRequest: true,
      supportsSetVariable: true,
      supportsEvaluateForHovers: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportTerminateDebuggee: true,
      supportsLoadedSourcesRequest: true,
      supportsBreakpointLocationsRequest: false,
      supportsStepBack: false,
      supportsDataBreakpoints: false,
      supportsCompletionsRequest: false,
      supportsCancelRequest: false,
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.configured.resolve();
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    void this.launch(response, args).catch((e: unknown) => this.failLaunch(response, e));
  }

  protected override attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): void {
    void this.attach(response, args).catch((e: unknown) => this.failLaunch(response, e));
  }

  private failLaunch(response: DebugProtocol.Response, e: unknown): void {
    this.logger.log('warn', `debug session could not start: ${messageOf(e)}`);
    void this.close().finally(() => this.fail(response, messageOf(e), ERR_LAUNCH));
  }

  private async launch(response: DebugProtocol.LaunchResponse, raw: unknown): Promise<void> {
    const checked = checkLaunchArguments(raw);
    if (!checked.ok) {
      throw new DebugLaunchError('invalid-configuration', checked.message);
    }
    const args = checked.value;
    if (args.device !== undefined && asksForDevice(args.device)) {
      throw new DebugLaunchError('device', `"device": "${args.device}" asks which device in VS Code; this adapter cannot ask: set "virtual" or a device's serial`);
    }
    this.mode = 'launch';
    const fleet = await this.host.openFleet(args);
    const state: LaunchState = { args, fleet, routine: '', restarting: false, ended: false };
    this.launchState = state;
    this.root = fleet.root;
    state.routine = await this.resolveRoutine(fleet, args.routine);
    const recorder = new LaunchRecorder({ onError: (e) => this.logger.log('debug', `a frame was not recorded: ${messageOf(e)}`) });
    this.launchRecorder = recorder;
    state.device = await fleet.openDevice(args.device ?? VIRTUAL_DEVICE, { ...(args.seed !== undefined ? { seed: args.seed } : {}), onFrame: (f) => recorder.frame(f) });
    if (args.pool !== undefined) {
      state.accounts = await fleet.openAccounts(args.pool, { bot: state.device.serial, routine: state.routine });
    }
    const interp = fleet.createInterpreter({ device: state.device.device, accounts: state.accounts?.port, logger: this.logger });
    state.interp = interp;
    this.subscriptions.push(interp.onDidEmit((e) => this.routineEvent(e)));
    if (!args.noDebug) {
      const device = state.device;
      this.useDebugger(interp.attachDebugger({ stopOnEntry: args.stopOnEntry === true, deviceInfo: () => device.info() }));
    }
    this.sendEvent(new InitializedEvent());
    await this.configured.promise;
    this.sendResponse(response);
    this.output('console', `${args.noDebug ? 'Running' : 'Debugging'} routine '${state.routine}' on ${state.device.serial}${args.pool ? ` with pool '${args.pool}'` : ''}\n`);
    this.startRun(state);
  }

  /** A routine name, or the path of a routine file, as the registry names it. */
  private async resolveRoutine(fleet: LaunchFleet, routine: string): Promise<string> {
    let name = routine;
    if (/\.ya?ml$/i.test(routine)) {
      const abs = path.isAbsolute(routine) ? routine : path.join(fleet.root, routine);
      const rel = path.relative(fleet.root, abs).split(path.sep).join('/');
      const asName = rel.startsWith('..') ? undefined : routineNameOfFile(rel);
      if (asName === undefined) {
        throw new DebugLaunchError('unknown-routine', `'${routine}' is not a routine file: routines are the YAML files under ${path.join(fleet.root, 'routines')}`);
      }
      name = asName;
      if (!fleet.routine(name)) {
        try {
          await this.host.files.readFile(abs);
        } catch (e) {
          throw new DebugLaunchError('unknown-routine', `cannot read the routine file '${abs}': ${messageOf(e)}`);
        }
        await fleet.reloadRoutines?.();
      }
    }
    const entry = fleet.routine(name);
    if (!entry) {
      const known = fleet.routineNames();
      throw new DebugLaunchError('unknown-routine', `unknown routine '${name}' (${known.length ? `routines: ${known.join(', ')}` : `no routine under ${path.join(fleet.root, 'routines')}`})`);
    }
    if (!entry.valid) {
      const errors = entry.diagnostics.filter((d) => d.severity === 'error');
      const shown = errors.slice(0, MAX_DIAGNOSTICS_SHOWN).map((d) => formatDiagnostic(d));
      for (const d of entry.diagnostics) {
        this.output('stderr', `${formatDiagnostic(d)}\n`, { file: d.file, line: d.line, col: d.col });
      }
      throw new DebugLaunchError(
        'invalid-routine',
        `routine '${name}' has ${errors.length} error(s): ${shown.join('; ')}${errors.length > shown.length ? `; and ${errors.length - shown.length} more` : ''}`,
      );
    }
    return name;
  }

  private startRun(state: LaunchState): void {
    const interp = state.interp!;
    const abort = new AbortController();
    const done = interp
      .run(state.routine, { ...(state.args.params ?? {}) }, { signal: abort.signal, variables: { bot_instance: 1, cycle: 1, group: 'debug' } })
      .catch((e: unknown) => {
        this.output('stderr', `the run failed: ${messageOf(e)}\n`);
        return undefined;
      });
    state.run = { abort, done };
    void done.then((result) => {
      if (state.run?.done !== done || state.restarting || state.ended) {
        return;
      }
      state.ended = true;
      this.reportResult(state.routine, result, abort.signal.aborted);
      this.sendEvent(new ExitedEvent(result?.ok ? 0 : 1));
      this.sendTerminated();
    });
  }

  private reportResult(routine: string, result: RoutineResult | undefined, terminated: boolean): void {
    if (!result) {
      return;
    }
    if (terminated && result.error?.code === 'aborted') {
      this.output('console', `Routine '${routine}' terminated\n`);
    } else if (result.ok) {
      const stopped = result.stopped ? ` (stopped: ${result.stopped.reason}${result.stopped.message ? `: ${result.stopped.message}` : ''})` : '';
      const returned = result.returned ? ` returned ${JSON.stringify(result.returned)}` : '';
      this.output('console', `Routine '${routine}' finished${stopped}${returned}\n`);
    } else {
      const e = result.error;
      const where = e?.range ? { file: e.range.file, line: e.range.start.line, col: e.range.start.col } : undefined;
      this.output('stderr', `Routine '${routine}' failed: ${e?.message ?? 'unknown error'}${e?.code ? ` [${e.code}]` : ''}\n`, where);
    }
  }

  private async attach(response: DebugProtocol.AttachResponse, raw: unknown): Promise<void> {
    const checked = checkAttachArguments(raw);
    if (!checked.ok) {
      throw new DebugLaunchError('invalid-configuration', checked.message);
    }
    const args = checked.value;
    this.mode = 'attach';
    const targets = this.host.targets;
    if (!targets) {
      throw new DebugLaunchError('no-targets', 'attach reaches the bots of groups running in VS Code: this adapter has no running group (use launch)');
    }
    this.root = this.host.root ?? '';
    const entry = targets.find(args.group, args.instance);
    if (!entry) {
      const list = targets.list();
      throw new DebugLaunchError(
        'unknown-target',
        `no bot '${args.instance}' in a running group '${args.group}' (${list.length ? `running: ${list.map((t) => `${t.group}/${t.instance}`).join(', ')}` : 'no group is running'})`,
      );
    }
    this.attachState = { args, entry };
    this.attachTo(entry);
    if (targets.onDidChange) {
      this.subscriptions.push(targets.onDidChange(() => this.targetsChanged()));
    }
    this.sendEvent(new InitializedEvent());
    await this.configured.promise;
    this.sendResponse(response);
    this.output('console', `Attached to bot ${args.instance} of '${args.group}'${entry.debug.running ? '' : ' (its next run stops at the breakpoints)'}\n`);
  }

  private attachTo(entry: DebugTargetEntry): void {
    let dbg: RoutineDebugger;
    try {
      dbg = entry.debug.attach({ deviceInfo: () => entry.deviceInfo() });
    } catch (e) {
      if (e instanceof RoutineDebugError && e.code === 'already-attached') {
        throw new DebugLaunchError('unknown-target', `a debugger is attached to bot ${entry.instance} of '${entry.group}' already`);
      }
      throw e;
    }
    this.useDebugger(dbg);
    if (entry.onDidEmit) {
      this.dbgSubscriptions.push(entry.onDidEmit((e) => this.routineEvent(e)));
    }
  }

  /** The bot's runner was replaced (a reconnect) or it stopped: attach to the new one, or end the session. */
  private targetsChanged(): void {
    const a = this.attachState;
    if (!a || !this.dbg || this.dbg.attached || this.cleanup) {
      return;
    }
    const entry = this.host.targets?.find(a.args.group, a.args.instance);
    this.releaseDebugger();
    if (!entry) {
      this.output('console', `Bot ${a.args.instance} of '${a.args.group}' stopped\n`);
      this.sendTerminated();
      return;
    }
    a.entry = entry;
    try {
      this.attachTo(entry);
    } catch (e) {
      this.output('stderr', `cannot attach to bot ${a.args.instance} again: ${messageOf(e)}\n`);
      this.sendTerminated();
      return;
    }
    this.reapplyBreakpoints();
    this.output('console', `Bot ${a.args.instance} of '${a.args.group}' reconnected: attached again\n`);
  }

  private useDebugger(dbg: RoutineDebugger): void {
    this.dbg = dbg;
    this.dbgSubscriptions.push(
      dbg.onDidStop((e) => this.stopped(e)),
      dbg.onDidContinue((e) => {
        this.resumed();
        if (e.action === 'detach') {
          this.sendEvent(new ContinuedEvent(THREAD_ID, true));
        }
      }),
      dbg.onDidOutput((e) => this.output(e.category, `${e.text}\n`, e.location && { file: e.location.file, line: e.location.range.start.line, col: e.location.range.start.col })),
      dbg.onDidChangeBreakpoint((b) => {
        const id = this.sessionIdOf.get(b.id);
        if (id !== undefined) {
          this.sendEvent(new BreakpointEvent('changed', this.toDapBreakpoint(b, id)));
        }
      }),
      dbg.onDidStartRun((e) => {
        if (this.mode === 'attach') {
          this.output('console', `Run of '${e.routine}' started\n`);
        }
      }),
      dbg.onDidEnd((e) => {
        if (this.mode !== 'attach') {
          return;
        }
        if (this.lastStop) {
          this.resumed();
          this.sendEvent(new ContinuedEvent(THREAD_ID, true));
        }
        this.output(e.ok ? 'console' : 'stderr', `Run of '${e.routine}' ${e.ok ? 'ended' : `failed: ${e.error?.message ?? ''}`}\n`);
      }),
    );
    if (this.exceptionFilters.length) {
      this.applyExceptionFilters();
    }
  }

  private releaseDebugger(): void {
    for (const d of this.dbgSubscriptions.splice(0)) {
      d.dispose();
    }
    this.dbg?.detach();
    this.dbg = undefined;
    this.resumed();
  }

  private sendTerminated(): void {
    if (!this.terminatedSent) {
      this.terminatedSent = true;
      this.sendScreenChanged({ state: 'ended' });
      this.sendEvent(new TerminatedEvent());
    }
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): void {
    void (async () => {
      if (this.mode === 'attach' && args?.terminateDebuggee) {
        this.output('console', 'Detaching: the bot runs on (stop it from its group)\n');
      }
      await this.close();
      this.sendResponse(response);
      this.shutdown();
    })();
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    void (async () => {
      const s = this.launchState;
      if (this.mode === 'launch' && s?.run && !s.ended) {
        s.run.abort.abort(new Error('terminated by the debugger'));
        this.sendResponse(response);
        await s.run.done;
        return;
      }
      this.sendResponse(response);
      this.releaseDebugger();
      this.sendTerminated();
    })().catch((e: unknown) => this.fail(response, messageOf(e)));
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
    void this.restart(response, args).catch((e: unknown) => this.fail(response, messageOf(e)));
  }

  private async restart(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    const s = this.launchState;
    if (this.mode !== 'launch' || !s?.interp) {
      throw new DebugLaunchError('invalid-configuration', 'only a launched routine restarts (detach and attach again to a bot)');
    }
    let next = s.args;
    if (args?.arguments && 'routine' in args.arguments) {
      const checked = checkLaunchArguments(args.arguments);
      if (!checked.ok) {
        throw new DebugLaunchError('invalid-configuration', checked.message);
      }
      next = { ...s.args, routine: checked.value.routine, params: checked.value.params, stopOnEntry: checked.value.stopOnEntry };
    }
    s.restarting = true;
    try {
      if (s.run) {
        s.run.abort.abort(new Error('restarted by the debugger'));
        await s.run.done;
      }
      this.launchRecorder?.clear();
      await s.fleet.reloadRoutines?.();
      s.routine = await this.resolveRoutine(s.fleet, next.routine);
      s.args = next;
    } finally {
      s.restarting = false;
    }
    s.ended = false;
    this.resumed();
    if (next.stopOnEntry && this.dbg) {
      this.entryByPause = true;
      this.dbg.pause();
    }
    this.sendResponse(response);
    this.output('console', `Restarting routine '${s.routine}'\n`);
    this.startRun(s);
  }

  /** Ends the session: detaches, stops the launched run, closes what the launch opened. Idempotent. */
  close(): Promise<void> {
    this.cleanup ??= this.doClose();
    return this.cleanup;
  }

  /** VS Code disposes an inline adapter when its session ends: the session closes (in the background). */
  override dispose(): void {
    void this.close().catch((e: unknown) => this.logger.log('warn', `closing the debug session failed: ${messageOf(e)}`));
    super.dispose();
  }

  private async doClose(): Promise<void> {
    for (const d of this.subscriptions.splice(0)) {
      d.dispose();
    }
    const s = this.launchState;
    if (s) {
      s.ended = true;
      s.run?.abort.abort(new Error('the debug session ended'));
      await s.run?.done;
    }
    this.releaseDebugger();
    if (!s) {
      return;
    }
    const steps: Array<[string, (() => Promise<void>) | undefined]> = [
      ['interpreter', s.interp && (async () => s.interp!.dispose())],
      ['account pool', s.accounts && (() => s.accounts!.close())],
      ['device', s.device && (() => s.device!.close())],
      ['fleet', () => s.fleet.close()],
    ];
    for (const [what, step] of steps) {
      try {
        await step?.();
      } catch (e) {
        this.logger.log('warn', `closing the debug session's ${what} failed: ${messageOf(e)}`);
      }
    }
  }

  override shutdown(): void {
    void this.close().finally(() => super.shutdown());
  }

  // ---------------------------------------------------------------------------------------------------------
  // Breakpoints
  // ---------------------------------------------------------------------------------------------------------

  /** The workspace-relative path of a client path, or undefined outside the workspace. */
  private relativeFile(clientPath: string): string | undefined {
    if (!this.root) {
      return undefined;
    }
    const abs = this.convertClientPathToDebugger(clientPath);
    const rel = path.relative(this.root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      return undefined;
    }
    return rel.split(path.sep).join('/');
  }

  private sourceOf(file: string): DebugProtocol.Source {
    const abs = path.join(this.root, file);
    return { name: path.basename(file), path: this.convertDebuggerPathToClient(abs) };
  }

  private sessionId(dbgId: number): number {
    let id = this.sessionIdOf.get(dbgId);
    if (id === undefined) {
      id = this.nextBreakpointId++;
      this.sessionIdOf.set(dbgId, id);
    }
    return id;
  }

  private toDapBreakpoint(b: DebugBreakpoint, id: number): DebugProtocol.Breakpoint {
    return {
      id,
      verified: b.verified,
      ...(b.line !== undefined ? { line: this.convertDebuggerLineToClient(b.line) } : {}),
      ...(b.file !== undefined ? { source: this.sourceOf(b.file) } : {}),
      ...(b.message !== undefined ? { message: b.message } : {}),
    };
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const requested: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
    const specs: DebugBreakpointSpec[] = requested.map((b) => ({
      line: this.convertClientLineToDebugger(b.line),
      ...(b.condition ? { condition: b.condition } : {}),
      ...(b.hitCondition ? { hitCondition: b.hitCondition } : {}),
      ...(b.logMessage ? { logMessage: b.logMessage } : {}),
    }));
    const file = args.source.path !== undefined ? this.relativeFile(args.source.path) : undefined;
    const unverified = (message: string): DebugProtocol.Breakpoint[] => specs.map((s) => ({ id: this.nextBreakpointId++, verified: false, line: this.convertDebuggerLineToClient(s.line), message }));
    if (file === undefined) {
      response.body = { breakpoints: unverified('not a routine file of the fleet\'s workspace') };
      this.sendResponse(response);
      return;
    }
    if (!this.dbg) {
      response.body = { breakpoints: unverified(this.launchState?.args.noDebug ? 'running without debugging' : 'no debugger is attached') };
      this.sendResponse(response);
      return;
    }
    try {
      const results = this.dbg.setBreakpoints(file, specs);
      const ids = results.map((r) => this.sessionId(r.id));
      if (specs.length) {
        this.breakpointFiles.set(file, { specs, ids });
      } else {
        this.breakpointFiles.delete(file);
      }
      response.body = { breakpoints: results.map((r, i) => this.toDapBreakpoint(r, ids[i])) };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, messageOf(e));
    }
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    const specs: DebugFunctionBreakpointSpec[] = args.breakpoints.map((b) => ({
      name: b.name.trim(),
      ...(b.condition ? { condition: b.condition } : {}),
      ...(b.hitCondition ? { hitCondition: b.hitCondition } : {}),
    }));
    if (!this.dbg) {
      response.body = { breakpoints: specs.map(() => ({ id: this.nextBreakpointId++, verified: false, message: 'no debugger is attached' })) };
      this.sendResponse(response);
      return;
    }
    try {
      const results = this.dbg.setFunctionBreakpoints(specs);
      const ids = results.map((r) => this.sessionId(r.id));
      this.functionBreakpoints = { specs, ids };
      response.body = { breakpoints: results.map((r, i) => ({ id: ids[i], verified: r.verified, ...(r.message !== undefined ? { message: r.message } : {}) })) };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, messageOf(e));
    }
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.exceptionFilters = [...(args.filters ?? []), ...(args.filterOptions ?? []).map((f) => f.filterId)];
    try {
      this.applyExceptionFilters();
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, messageOf(e));
    }
  }

  private applyExceptionFilters(): void {
    const on = new Set(this.exceptionFilters);
    this.dbg?.setExceptionFilters({ error: on.has('error'), stuck: on.has('stuck'), sentry: on.has('sentry') });
  }

  /** After re-attaching: the same breakpoints on the new debugger, under the same session ids. */
  private reapplyBreakpoints(): void {
    const dbg = this.dbg;
    if (!dbg) {
      return;
    }
    for (const [file, bf] of this.breakpointFiles) {
      const results = dbg.setBreakpoints(file, bf.specs);
      results.forEach((r, i) => {
        this.sessionIdOf.set(r.id, bf.ids[i]);
        this.sendEvent(new BreakpointEvent('changed', this.toDapBreakpoint(r, bf.ids[i])));
      });
    }
    if (this.functionBreakpoints.specs.length) {
      dbg.setFunctionBreakpoints(this.functionBreakpoints.specs).forEach((r, i) => this.sessionIdOf.set(r.id, this.functionBreakpoints.ids[i]));
    }
    this.applyExceptionFilters();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Execution
  // ---------------------------------------------------------------------------------------------------------

  private stopped(e: DebugStopEvent): void {
    this.lastStop = e;
    this.handles.reset();
    this.evaluated = [];
    let reason: string = e.reason;
    if (this.entryByPause && e.reason === 'pause') {
      reason = 'entry';
    }
    this.entryByPause = false;
    const ev = new StoppedEvent(reason, THREAD_ID, e.reason === 'exception' ? e.text : undefined) as DebugProtocol.StoppedEvent;
    ev.body.allThreadsStopped = true;
    ev.body.preserveFocusHint = false;
    if (e.text !== undefined) {
      ev.body.description = e.reason === 'exception' ? `Paused on ${e.exception?.filter === 'error' ? 'a routine error' : e.exception?.filter === 'stuck' ? 'stuck detection' : 'a sentry'}` : e.text;
    }
    if (e.breakpointIds?.length) {
      ev.body.hitBreakpointIds = e.breakpointIds.map((id) => this.sessionIdOf.get(id) ?? id);
    }
    this.sendEvent(ev);
    this.sendScreenChanged({ state: 'stopped' });
  }

  private resumed(): void {
    if (this.lastStop) {
      this.lastStop = undefined;
      this.handles.reset();
      this.evaluated = [];
      this.sendScreenChanged({ state: 'running' });
    }
  }

  private step(response: DebugProtocol.Response, action: 'continue' | 'next' | 'stepIn' | 'stepOut'): void {
    const dbg = this.dbg;
    if (!dbg) {
      this.fail(response, 'no debugger is attached');
      return;
    }
    dbg[action]();
    this.resumed();
    if (action === 'continue') {
      (response as DebugProtocol.ContinueResponse).body = { allThreadsContinued: true };
    }
    this.sendResponse(response);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.step(response, 'continue');
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.step(response, 'next');
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.step(response, 'stepIn');
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.step(response, 'stepOut');
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    if (!this.dbg) {
      this.fail(response, 'no debugger is attached');
      return;
    }
    this.dbg.pause();
    this.sendResponse(response);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Inspection
  // ---------------------------------------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    let name = 'routine';
    if (this.launchState) {
      name = `${this.launchState.routine || this.launchState.args.routine}${this.launchState.device ? ` on ${this.launchState.device.serial}` : ''}`;
    } else if (this.attachState) {
      name = `${this.attachState.args.group} / bot ${this.attachState.args.instance}`;
    }
    response.body = { threads: [new Thread(THREAD_ID, name)] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const frames = this.dbg?.stopped ? this.dbg.frames() : [];
    const start = args.startFrame ?? 0;
    const count = args.levels ? args.levels : frames.length;
    response.body = {
      stackFrames: frames.slice(start, start + count).map((f) => ({
        id: f.id,
        name: f.step ? `${f.name} · ${f.step}` : f.name,
        source: this.sourceOf(f.file),
        ...this.rangeOf(f.range),
        ...(f.kind === 'sentry' ? { presentationHint: 'label' as const } : {}),
      })),
      totalFrames: frames.length,
    };
    this.sendResponse(response);
  }

  /** A frame's position: the step's first line (a block step's range spans its whole body: not highlighted). */
  private rangeOf(r: SourceRange): { line: number; column: number } {
    return { line: this.convertDebuggerLineToClient(r.start.line), column: this.convertDebuggerColumnToClient(r.start.col) };
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    try {
      const scopes = this.requireDebugger().scopes(args.frameId);
      response.body = {
        scopes: scopes.map((s) => ({
          name: s.name,
          variablesReference: this.handles.create({ kind: 'scope', frameId: args.frameId, scope: s.kind, variables: s.variables }),
          namedVariables: s.variables.length,
          expensive: false,
          ...(SCOPE_HINTS[s.kind] ? { presentationHint: SCOPE_HINTS[s.kind] } : {}),
        })),
      };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, messageOf(e));
    }
  }

  private toDapVariable(v: DebugVariable, settable: boolean): DebugProtocol.Variable {
    const attributes: Array<'readOnly'> = v.readOnly || !settable ? ['readOnly'] : [];
    return {
      name: v.name,
      value: v.text,
      type: v.type,
      variablesReference: v.children?.length ? this.handles.create({ kind: 'children', variables: v.children }) : 0,
      ...(v.children?.length ? { namedVariables: v.children.length } : {}),
      ...(settable ? { evaluateName: v.name } : {}),
      presentationHint: { ...(attributes.length ? { attributes } : {}), ...(v.redacted ? { visibility: 'private' } : {}) },
    };
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const c = this.handles.get(args.variablesReference);
    if (!c) {
      response.body = { variables: [] };
      this.sendResponse(response);
      return;
    }
    const settable = c.kind === 'scope' && (c.scope === 'params' || c.scope === 'variables');
    let vars = c.variables;
    if (args.start !== undefined || args.count !== undefined) {
      const start = args.start ?? 0;
      vars = vars.slice(start, args.count ? start + args.count : undefined);
    }
    response.body = { variables: vars.map((v) => this.toDapVariable(v, settable)) };
    this.sendResponse(response);
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    try {
      const c = this.handles.get(args.variablesReference);
      if (!c || c.kind !== 'scope' || (c.scope !== 'params' && c.scope !== 'variables')) {
        throw new RoutineDebugError('invalid-value', `'${args.name}' cannot be set here: only params and variables are set (system variables, matches, the account and the device are read-only)`);
      }
      const v = this.requireDebugger().setVariable(c.frameId, args.name, args.value);
      response.body = {
        value: v.text,
        type: v.type,
        variablesReference: v.children?.length ? this.handles.create({ kind: 'children', variables: v.children }) : 0,
      };
      this.sendResponse(response);
      if (this.clientSupportsInvalidated) {
        this.sendEvent(new InvalidatedEvent(['variables'], THREAD_ID));
      }
    } catch (e) {
      this.fail(response, messageOf(e));
    }
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    void (async () => {
      const dbg = this.dbg;
      if (!dbg?.stopped) {
        throw new RoutineDebugError('not-stopped', dbg ? 'the routine is running: pause it (or stop at a breakpoint) to evaluate' : 'no debugger is attached');
      }
      const r = await dbg.evaluate(args.expression, args.frameId);
      response.body = {
        result: r.text,
        type: r.kind === 'condition' ? 'condition' : r.type,
        variablesReference: r.children?.length ? this.handles.create({ kind: 'children', variables: r.children }) : 0,
      };
      this.sendResponse(response);
      if (r.matches?.length) {
        this.evaluated = r.matches;
        this.sendScreenChanged({ state: 'stopped', evaluated: true });
      }
    })().catch((e: unknown) => this.fail(response, messageOf(e), ERR_REQUEST, args.context !== 'hover'));
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const x = this.lastStop?.exception;
    if (!x) {
      this.fail(response, 'the routine did not stop on an exception');
      return;
    }
    const where = x.range ? ` (${x.range.file}:${x.range.start.line}:${x.range.start.col})` : '';
    response.body = {
      exceptionId: x.code ?? x.filter,
      description: `${x.message}${where}`,
      breakMode: 'always',
      details: { message: x.message, typeName: x.filter, ...(x.range ? { stackTrace: `${x.range.file}:${x.range.start.line}:${x.range.start.col}` } : {}) },
    };
    this.sendResponse(response);
  }

  protected override loadedSourcesRequest(response: DebugProtocol.LoadedSourcesResponse): void {
    const fleet = this.launchState?.fleet;
    const sources: DebugProtocol.Source[] = [];
    for (const name of fleet?.routineNames() ?? []) {
      const e = fleet!.routine(name);
      if (e) {
        sources.push(this.sourceOf(e.file));
      }
    }
    response.body = { sources };
    this.sendResponse(response);
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    void (async () => {
      const p = args.source?.path;
      if (!p) {
        throw new Error('no such source');
      }
      const bytes = await this.host.files.readFile(this.convertClientPathToDebugger(p));
      response.body = { content: new TextDecoder().decode(bytes), mimeType: 'text/yaml' };
      this.sendResponse(response);
    })().catch((e: unknown) => this.fail(response, messageOf(e)));
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command !== SCREEN_REQUEST) {
      super.customRequest(command, response, args);
      return;
    }
    void this.screen((args ?? {}) as ScreenRequestArguments)
      .then((body) => {
        response.body = body;
        this.sendResponse(response);
      })
      .catch((e: unknown) => this.fail(response, messageOf(e), ERR_REQUEST, false));
  }

  /** The stopped run's screen with the matches of the current step (for the Screen view). */
  private async screen(args: ScreenRequestArguments): Promise<ScreenPayload> {
    const dbg = this.requireDebugger();
    const stop = dbg.stopped;
    if (!stop) {
      throw new RoutineDebugError('not-stopped', 'the routine is running');
    }
    const frameId = args.frameId ?? stop.frameId;
    const { current, recent } = dbg.matches(frameId);
    const maxWidth = Math.max(64, Math.min(2048, Math.round(args.maxWidth ?? 720)));
    let shot = await dbg.screen({ fresh: args.fresh === true });
    let jpeg: Buffer;
    try {
      jpeg = await encodeJpeg(shot.frame, { maxWidth, quality: 80 });
    } catch (e) {
      if (!(e instanceof FrameRecycledError)) {
        throw e;
      }
      shot = await dbg.screen({ fresh: true });
      jpeg = await encodeJpeg(shot.frame, { maxWidth, quality: 80 });
    }
    const out = Math.min(1, maxWidth / shot.frame.width);
    const frame = dbg.frames().find((f) => f.id === frameId);
    const info = this.attachState?.entry.deviceInfo() ?? this.launchState?.device?.info();
    return {
      jpeg: jpeg.toString('base64'),
      width: Math.max(1, Math.round(shot.frame.width * out)),
      height: Math.max(1, Math.round(shot.frame.height * out)),
      frameWidth: shot.frame.width,
      frameHeight: shot.frame.height,
      fresh: shot.fresh,
      matches: current.map(toScreenMatch),
      recent: recent.map(toScreenMatch),
      evaluated: this.evaluated.map(toScreenMatch),
      ...(frame ? { location: { routine: frame.routine, file: frame.file, line: frame.range.start.line, path: frame.path } } : {}),
      reason: stop.reason,
      ...(stop.text !== undefined ? { text: stop.text } : {}),
      target: {
        ...(info?.serial !== undefined ? { serial: info.serial } : {}),
        ...(this.attachState ? { group: this.attachState.args.group, instance: this.attachState.args.instance } : {}),
      },
      time: Date.now(),
      history: await this.history(),
    };
  }

  /** The frames of the last steps: a launch's own recorder, an attached bot's from the monitor's. */
  private async history(): Promise<ScreenHistoryFrame[]> {
    const a = this.attachState;
    const frames = a ? await (this.host.recorder?.()?.frames(a.entry.group, a.entry.instance) ?? []) : await (this.launchRecorder?.frames() ?? []);
    return historyFrames(frames);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Output
  // ---------------------------------------------------------------------------------------------------------

  private routineEvent(e: RoutineEvent): void {
    this.launchRecorder?.event(e);
    const at = (r: SourceRange | undefined) => r && { file: r.file, line: r.start.line, col: r.start.col };
    switch (e.type) {
      case 'log':
        this.output(e.level === 'error' || e.level === 'warn' ? 'stderr' : 'stdout', `${e.level === 'info' ? '' : `${e.level}: `}${e.message}\n`, at(e.range));
        break;
      case 'error':
        if (e.code === 'aborted') {
          break; // the session (or the bot's group) cancelled the run: said once, with the result
        }
        this.output('stderr', `error: ${e.message}${e.code ? ` [${e.code}]` : ''}\n`, at(e.range));
        break;
      case 'sentry':
        if (e.phase === 'fired') {
          this.output('console', `sentry '${e.sentry}' fired\n`, at(e.range));
        }
        break;
      case 'stuck':
        this.output('console', `stuck: ${e.reason}; next rung: ${e.rung}\n`, at(e.range));
        break;
      case 'account':
        this.output('console', `account ${e.action}${e.accountId ? ` ${e.accountId}` : ''}\n`, at(e.range));
        break;
      default:
        break;
    }
  }

  private output(category: 'console' | 'stdout' | 'stderr', text: string, where?: { file: string; line: number; col: number }): void {
    const ev = new OutputEvent(text, category) as DebugProtocol.OutputEvent;
    if (where && this.root) {
      ev.body.source = this.sourceOf(where.file);
      ev.body.line = this.convertDebuggerLineToClient(where.line);
      ev.body.column = this.convertDebuggerColumnToClient(where.col);
    }
    this.sendEvent(ev);
  }

  private sendScreenChanged(body: ScreenChangedBody): void {
    this.sendEvent(new DapEvent(SCREEN_CHANGED_EVENT, body));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------------------

  private requireDebugger(): RoutineDebugger {
    if (!this.dbg) {
      throw new RoutineDebugError('detached', 'no debugger is attached');
    }
    return this.dbg;
  }

  /** A failed request with the message the user reads (passed as a variable: braces in it are not placeholders). */
  private fail(response: DebugProtocol.Response, message: string, id = ERR_REQUEST, showUser = true): void {
    response.success = false;
    response.message = message;
    response.body = { error: { id, format: '{_message}', variables: { _message: message }, showUser } };
    this.sendResponse(response);
  }
}

