/**
 * The routine interpreter: runs a loaded routine on one device. Async and cancellable (every wait uses the
 * injected clock with the run's AbortSignal), pausable at step boundaries, with sentries polled at safe points,
 * per-step retries/backoff/timeouts/onError, routine-level error policies, stuck detection, and one typed event
 * feed (`onDidEmit`) whose step events carry the YAML source range of their step. Event times are wall-clock epoch
 * ms (the fleet's time base); durations are measured on the routine's clock. A debugger attaches with
 * `attachDebugger()` (debug.ts).
 *
 * `run()` never throws for a routine failure: it resolves with `{ ok: false, error: { message, code, range } }`.
 * It rejects only on programmer errors (for example calling `run` while a run is in progress).
 */
import type { Point, Rect, Size, SourceRange } from '../../shared/geometry';
import { Emitter, type Disposable, type Event } from '../../shared/lifecycle';
import type { RoutineEvent, RoutineInput } from '../../shared/routineEvents';
import type { AccountLease, AccountPort } from '../accounts';
import { missingParamsMessage, unknownParamMessage } from './callParams';
import { isDeviceError, type CallOptions, type Device } from '../device';
import { SystemClock } from '../../shared/clock';
import type { Clock, FileStore, Logger } from '../../shared/ports';
import { isVisionError } from '../vision/visionError';
import type { MatchResult, Vision } from '../vision/types';
import { ACTION_HANDLERS, type ActionHandler } from './actions/handlers';
import { appOf, packageOf } from './actions/app';
import { evaluateCondition } from './conditions';
import type { ActiveFrame, Engine, EventInit, ExecContext, MatchRecord, RoutineFrame, StepEntry } from './context';
import { RoutineDebugError, RoutineDebugger, type DebugAttachOptions, type DebugDeviceState, type DebugEngine, type DebugScreen } from './debug';
import { formatDuration } from '../../shared/durations';
import {
  BreakSignal,
  ContinueSignal,
  isControlSignal,
  RestartSignal,
  ReturnSignal,
  RoutineAbortedError,
  RoutineError,
  StopSignal,
  type RoutineErrorCode,
  type RoutineStopReason,
} from './errors';
import { DEFAULT_FRAME_MAX_AGE_MS, FrameCache } from './frameCache';
import { interpolateDeep, interpolateString, resolveBool, resolveDuration, resolveNumber, valueRange, type VariableLookup } from './interpolate';
import { VARIABLE_NAME_PATTERN } from './interpolationSyntax';
import { RULES } from './valueRules';
import { MAX_CALL_DEPTH, MAX_SENTRY_RESTARTS, SYSTEM_VARIABLES, type ActionName } from './actionCatalogue';
import type { LoadedCondition, LoadedRoutine, LoadedStep, ParamSpec } from './loadedTypes';
import { RoutineClock } from './routineClock';
import { SentryScheduler, type ActiveSentry } from './sentries';
import { formatCallChain, isReservedVariable } from './staticChecks';
import { StuckDetector, type StuckDetection } from './stuck';
import { cloneValue, toNumber, toText, VariableScope } from './variables';

/** The resolution templates are authored at (regions passed to vision are at this size). */
const TEMPLATE_REFERENCE: Size = { width: 540, height: 960 };

export interface RoutineInterpreterDeps {
  device: Device;
  vision: Vision;
  clock: Clock;
  logger: Logger;
  /** The routines by registry name (`names`, when given, lets a debugger verify breakpoints before they run). */
  routines: { get(name: string): LoadedRoutine | undefined; names?(): readonly string[] };
  /** The group's account pool for this bot; account actions fail with `no-account-pool` without it. */
  accounts?: AccountPort;
  /** Folder for `screenshot`, relative to `fileStore`'s root. */
  runDir?: string;
  /** Where `screenshot` saves (the host passes the workspace's store); without one, `screenshot` fails. */
  fileStore?: FileStore;
  /** Reference resolution for routines that do not say (the loader normally fills in 540x960). */
  referenceSize?: Size;
  /** Max age of a cached frame used by conditions (default 100 ms). */
  frameMaxAgeMs?: number;
}

export type InterpreterState = 'idle' | 'running' | 'pausing' | 'paused';

export interface RunOptions {
  signal?: AbortSignal;
  /**
   * System variables for this run (`cycle`, `bot_instance`, ...), visible to every routine. The interpreter adds
   * `has_pool` (true when an AccountPort was given), `account_id` (while an account is checked out) and `now`.
   */
  variables?: Record<string, unknown>;
}

export interface RoutineResultError {
  message: string;
  code: RoutineErrorCode;
  range?: SourceRange;
}

export interface RoutineResult {
  ok: boolean;
  error?: RoutineResultError;
  /** The variables visible to the top-level routine when it ended (system variables included). */
  variables: Record<string, unknown>;
  /** Values the top-level routine gave to `return`. */
  returned?: Record<string, unknown>;
  /**
   * Set when the run ended early but successfully: `reason` is `stop` (the `stop` action) or `pool-empty`
   * (`checkoutAccount` with `onEmpty: stop` found no account).
   */
  stopped?: { reason: RoutineStopReason; message?: string };
}

/**
 * Runs routines on one device. One interpreter per bot; `run` is called once per cycle (never concurrently).
 */
export class RoutineInterpreter implements Disposable {
  private readonly _onDidEmit = new Emitter<RoutineEvent>();
  /** Every event of every run: steps, matches, variables, logs, errors, sentries, stuck rungs, accounts, state. */
  readonly onDidEmit: Event<RoutineEvent> = this._onDidEmit.event;

  private readonly _onDidChangeState = new Emitter<InterpreterState>();
  readonly onDidChangeState: Event<InterpreterState> = this._onDidChangeState.event;

  private _state: InterpreterState = 'idle';
  private pauseGate: { promise: Promise<void>; open: () => void } | undefined;
  private current: { abort: AbortController; engine: RunEngine } | undefined;
  private deviceSizeCache: Size | undefined;
  private disposed = false;
  private _debugger: RoutineDebugger | undefined;
  private frameIds = 0;

  constructor(readonly deps: RoutineInterpreterDeps) {}

  get state(): InterpreterState {
    return this._state;
  }

  /** The debugger attached now, if any. */
  get debugger(): RoutineDebugger | undefined {
    return this._debugger;
  }

  /**
   * Attaches a debugger (one at a time: throws while one is attached). It applies to the run in progress at once,
   * else from the next run; `detach()` ends it and lets the run go on.
   */
  attachDebugger(opts: DebugAttachOptions = {}): RoutineDebugger {
    if (this.disposed) {
      throw new Error('RoutineInterpreter: attachDebugger() after dispose()');
    }
    if (this._debugger) {
      throw new RoutineDebugError('already-attached', 'a debugger is attached already');
    }
    const d = new RoutineDebugger(
      {
        routines: this.deps.routines,
        detach: (x) => {
          if (this._debugger === x) {
            this._debugger = undefined;
          }
        },
      },
      opts,
    );
    this._debugger = d;
    const engine = this.current?.engine;
    if (engine) {
      d.runStarted(engine, engine.routineName, false);
      for (const af of engine.stack) {
        d.frameEntered(engine, af);
      }
    }
    return d;
  }

  /**
   * Runs the routine `name` with `params` (validated against its `params`). Resolves with the outcome; never
   * rejects for a routine failure or a cancellation.
   */
  async run(name: string, params: Record<string, unknown> = {}, opts: RunOptions = {}): Promise<RoutineResult> {
    if (this.disposed) {
      throw new Error('RoutineInterpreter: run() after dispose()');
    }
    if (this.current) {
      throw new Error('RoutineInterpreter: a run is already in progress');
    }
    const abort = new AbortController();
    const onOuterAbort = () => abort.abort(opts.signal?.reason);
    if (opts.signal?.aborted) {
      abort.abort(opts.signal.reason);
    } else {
      opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    }
    const engine = new RunEngine(this, abort.signal, name);
    this.current = { abort, engine };
    this.setState('running');
    let result: RoutineResult | undefined;
    try {
      this._debugger?.runStarted(engine, name);
      result = await engine.runTop(name, params, opts.variables ?? {});
      return result;
    } finally {
      opts.signal?.removeEventListener('abort', onOuterAbort);
      this.current = undefined;
      this.pauseGate?.open();
      this.pauseGate = undefined;
      this.setState('idle');
      this._debugger?.runEnded(engine, {
        routine: name,
        ok: result?.ok ?? false,
        ...(result?.error ? { error: { ...result.error } } : result ? {} : { error: { message: 'the run failed unexpectedly', code: 'internal' } }),
        ...(result?.stopped ? { stopped: { ...result.stopped } } : {}),
      });
    }
  }

  /** Asks the running routine to pause at its next step boundary. False when nothing runs or already paused. */
  pause(): boolean {
    if (!this.current || this.pauseGate) {
      return false;
    }
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    this.pauseGate = { promise, open };
    this.setState('pausing');
    return true;
  }

  /** Resumes a paused (or pausing) routine. False when it was not paused. */
  resume(): boolean {
    const gate = this.pauseGate;
    if (!gate) {
      return false;
    }
    this.pauseGate = undefined;
    gate.open();
    if (this._state === 'pausing') {
      this.setState('running');
    }
    return true;
  }

  /** Cancels the run in progress (it resolves with code `aborted`), detaches a debugger and stops emitting events. */
  dispose(): void {
    this.disposed = true;
    this.current?.abort.abort(new Error('the interpreter was disposed'));
    this._debugger?.detach();
    this.pauseGate?.open();
    this._onDidEmit.dispose();
    this._onDidChangeState.dispose();
  }

  // ---- used by RunEngine ----

  /** @internal */
  fire(e: RoutineEvent): void {
    this._onDidEmit.fire(e);
  }

  /** @internal */
  setState(s: InterpreterState): void {
    if (this._state !== s) {
      this._state = s;
      this._onDidChangeState.fire(s);
    }
  }

  /** @internal */
  allocateFrameId(): number {
    return ++this.frameIds;
  }

  /** @internal Waits at a step boundary while a pause is requested. */
  async pausePoint(signal: AbortSignal, onPaused: () => void, onResumed: () => void): Promise<void> {
    const gate = this.pauseGate;
    if (!gate) {
      return;
    }
    this.setState('paused');
    onPaused();
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(new RoutineAbortedError());
        return;
      }
      const onAbort = () => reject(new RoutineAbortedError());
      signal.addEventListener('abort', onAbort, { once: true });
      void gate.promise.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    this.setState('running');
    onResumed();
  }

  /** @internal */
  async deviceSize(signal: AbortSignal): Promise<Size> {
    if (!this.deviceSizeCache) {
      this.deviceSizeCache = await this.deps.device.displaySize({ signal });
    }
    return this.deviceSizeCache;
  }

  /** @internal The display size when known (no device call). */
  knownDeviceSize(): Size | undefined {
    return this.deviceSizeCache;
  }
}

interface StuckEntry {
  frame: RoutineFrame;
  detector: StuckDetector;
  range: SourceRange;
}

/** Matches kept for the debugger's "recent" list. */
const RECENT_MATCHES = 20;

const VARIABLE_NAME_RE = new RegExp(VARIABLE_NAME_PATTERN);

/** The state of one run: the engine that action handlers see, and what a debugger reads. */
class RunEngine implements Engine, DebugEngine {
  readonly device: Device;
  readonly vision: Vision;
  /** The routine's time: stands still while a debugger holds the run stopped. */
  readonly clock: RoutineClock;
  readonly logger: Logger;
  readonly frames: FrameCache;
  readonly accounts?: AccountPort;
  readonly runDir?: string;
  readonly fileStore?: FileStore;
  lease: AccountLease | undefined;

  private readonly sentries = new SentryScheduler();
  private readonly stuck: StuckEntry[] = [];
  private sentryDepth = 0;
  private lastTap: Point | undefined;
  private lastTapTarget: string | undefined;
  private topScope: VariableScope | undefined;
  private root = new VariableScope();
  /** Gives the event loop a turn during long runs of steps that never wait (variables-only loops). */
  private readonly yielder: EventLoopYielder;
  /** The call stack: routine invocations and running sentries, outermost first. */
  readonly stack: ActiveFrame[] = [];
  /** The latest matches of the run, oldest first. */
  readonly recentMatches: MatchRecord[] = [];
  /** True while the run only waits (a sleep, the bot's pause point). */
  idle = false;

  constructor(
    private readonly host: RoutineInterpreter,
    readonly runSignal: AbortSignal,
    /** The routine the run started with. */
    readonly routineName: string,
  ) {
    const d = host.deps;
    this.device = d.device;
    this.vision = d.vision;
    this.clock = new RoutineClock(d.clock);
    this.logger = d.logger;
    this.accounts = d.accounts;
    // Frame age is real time: a frame taken before a debugger stop is stale after it.
    this.frames = new FrameCache(d.device, d.clock, d.frameMaxAgeMs ?? DEFAULT_FRAME_MAX_AGE_MS);
    this.yielder = new EventLoopYielder(d.clock);
    this.fileStore = d.fileStore;
    this.runDir = d.runDir;
  }

  // ------------------------------------------------------------------------------------------------------
  // Top level
  // ------------------------------------------------------------------------------------------------------

  async runTop(name: string, params: Record<string, unknown>, variables: Record<string, unknown>): Promise<RoutineResult> {
    this.root = new VariableScope(undefined, { has_pool: this.accounts !== undefined, ...cloneValue(variables) });
    const routine = this.host.deps.routines.get(name);
    let result: RoutineResult;
    this.host.fire({ type: 'state', time: this.wallTime(), routine: name, state: 'running' });
    if (!routine) {
      result = { ok: false, error: { message: `routine '${name}' is unknown or does not load`, code: 'unknown-routine' }, variables: this.root.snapshot() };
      this.host.fire({ type: 'error', time: this.wallTime(), routine: name, message: result.error!.message, code: 'unknown-routine' });
      return result;
    }
    try {
      const returned = await this.invoke(routine, name, params, this.root, undefined, this.runSignal, undefined);
      result = { ok: true, variables: this.variablesNow(), ...(Object.keys(returned).length ? { returned: cloneValue(returned) } : {}) };
    } catch (e) {
      if (e instanceof StopSignal) {
        result = { ok: true, variables: this.variablesNow(), stopped: { reason: e.reason, ...(e.message === undefined ? {} : { message: e.message }) } };
      } else {
        const err = this.normalise(e, routine.range);
        result = { ok: false, error: { message: err.message, code: err.code, ...(err.range ? { range: err.range } : {}) }, variables: this.variablesNow() };
      }
    }
    await this.releaseLeftoverLease(name, result);
    return result;
  }

  private variablesNow(): Record<string, unknown> {
    return (this.topScope ?? this.root).snapshot();
  }

  /** Event time: wall-clock epoch ms, the time base of fleet events. */
  private wallTime(): number {
    return this.clock.wallNow().getTime();
  }

  get rootScope(): VariableScope {
    return this.root;
  }

  private get debug(): RoutineDebugger | undefined {
    return this.host.debugger;
  }

  /** A debugger's pause point: honours a pause request, holds while stopped. */
  private async checkpoint(): Promise<void> {
    const d = this.debug;
    if (d) {
      await d.checkpoint(this);
    }
  }

  /** Reports an error to the debugger (which stops once per error when asked to). */
  private async debugError(e: unknown): Promise<void> {
    const d = this.debug;
    if (d && e instanceof RoutineError) {
      await d.errorRaised(this, e);
    }
  }

  private pushFrame(kind: ActiveFrame['kind'], ctx: ExecContext, sentry?: ActiveSentry['def']): ActiveFrame {
    const af: ActiveFrame = { id: this.host.allocateFrameId(), kind, frame: ctx.frame, ...(sentry ? { sentry } : {}), ctx, steps: [], entered: false };
    this.stack.push(af);
    return af;
  }

  private popFrame(af: ActiveFrame): void {
    const i = this.stack.lastIndexOf(af);
    if (i >= 0) {
      this.stack.splice(i, 1);
    }
  }

  /** An account still leased when the run ends goes back to the pool unused. */
  private async releaseLeftoverLease(name: string, result: RoutineResult): Promise<void> {
    const lease = this.lease;
    if (!lease || !this.accounts) {
      return;
    }
    this.lease = undefined;
    const reason = result.ok ? 'the routine ended without completing the account' : `the routine failed (${result.error?.code ?? 'error'})`;
    try {
      await this.accounts.release(lease.accountId, reason);
      this.host.fire({ type: 'account', time: this.wallTime(), routine: name, action: 'release', accountId: lease.accountId });
    } catch (e) {
      this.logger.log('warn', `could not return account ${lease.accountId} to the pool: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Turns anything thrown into a RoutineError (control signals that escaped a routine are internal errors). */
  private normalise(e: unknown, range?: SourceRange): RoutineError {
    if (e instanceof RoutineError) {
      if (e.code !== 'aborted' && this.runSignal.aborted) {
        return new RoutineAbortedError();
      }
      return e;
    }
    if (this.runSignal.aborted) {
      return new RoutineAbortedError();
    }
    if (e instanceof BreakSignal || e instanceof ContinueSignal) {
      return new RoutineError('internal', `'${e.kind}' outside of a loop`, e.range ?? range);
    }
    if (isControlSignal(e)) {
      return new RoutineError('internal', `unexpected '${e.kind}'`, range);
    }
    return new RoutineError('internal', e instanceof Error ? e.message : String(e), range, { cause: e });
  }

  // ------------------------------------------------------------------------------------------------------
  // Routine invocation
  // ------------------------------------------------------------------------------------------------------

  private lookupFor(scope: VariableScope): VariableLookup {
    return (n: string) => {
      const v = scope.get(n);
      if (v === undefined && n === 'now') {
        return this.clock.now();
      }
      return v;
    };
  }

  private async invoke(
    routine: LoadedRoutine,
    name: string,
    params: Record<string, unknown>,
    parentScope: VariableScope,
    parent: RoutineFrame | undefined,
    signal: AbortSignal,
    callRange: SourceRange | undefined,
  ): Promise<Record<string, unknown>> {
    const depth = parent ? parent.depth + 1 : 0;
    if (depth > MAX_CALL_DEPTH) {
      const chain: string[] = [];
      for (let f = parent; f; f = f.parent) {
        chain.unshift(f.name);
      }
      const callee = routine.registryName ?? name;
      chain.push(callee);
      const first = chain.indexOf(callee);
      const message =
        first < chain.length - 1
          ? `routine '${callee}' calls itself more than ${MAX_CALL_DEPTH} calls deep (${formatCallChain(chain.slice(first))}); make sure the recursion ends`
          : `call chain too deep (${depth} > ${MAX_CALL_DEPTH}): ${formatCallChain(chain)}`;
      throw new RoutineError('call-depth', message, callRange);
    }
    const scope = new VariableScope(parentScope);
    const frame: RoutineFrame = { routine, name: routine.registryName ?? name, scope, depth, startedAt: this.clock.now(), ...(parent ? { parent } : {}) };
    const ctx: ExecContext = { frame, signal, stepStartedAt: frame.startedAt, lookup: this.lookupFor(scope) };
    this.bindParams(routine, params, scope, ctx, callRange);
    const boundParams = scope.ownSnapshot();
    for (const [k, v] of Object.entries(routine.vars)) {
      if (!(k in routine.params)) {
        scope.set(k, interpolateDeep(v, ctx.lookup, routine.range, `vars.${k}`));
      }
    }
    if (depth === 0) {
      this.topScope = scope;
    }
    this.emit(ctx, { type: 'routine.start', params: boundParams, depth });
    let routineRetries = 0;
    let restarts = 0;
    const af = this.pushFrame('routine', ctx);
    this.debug?.frameEntered(this, af);
    try {
      // Inside the try: a sentry or stuck setting that does not resolve ends this invocation like any failure,
      // and the finally below unregisters what was already registered (never left running in the caller).
      this.pushSentries(frame, ctx);
      if (routine.stuck) {
        this.pushStuck(frame, ctx);
      }
      for (;;) {
        try {
          await this.executeSteps(routine.steps, ctx);
          this.emit(ctx, { type: 'routine.end', ok: true, depth });
          return {};
        } catch (e) {
          if (e instanceof ReturnSignal) {
            this.emit(ctx, { type: 'routine.end', ok: true, depth });
            return e.values;
          }
          if (e instanceof RestartSignal && e.owner === frame) {
            restarts++;
            if (restarts > MAX_SENTRY_RESTARTS) {
              throw new RoutineError('sentry-abort', `sentry '${e.sentry}' restarted the routine ${MAX_SENTRY_RESTARTS} times`, routine.range);
            }
            this.emit(ctx, { type: 'log', level: 'info', message: `sentry '${e.sentry}' restarts the routine` });
            af.entered = false;
            continue;
          }
          await this.debugError(e);
          if (!(e instanceof RoutineError) || e.fatal) {
            throw e;
          }
          const policy = routine.onError;
          if (policy?.action === 'retry') {
            const max = resolveNumber(policy.retries, ctx.lookup, 'onError.retries', valueRange(routine, 'onError.retries', policy.range), RULES.retries);
            if (routineRetries < max) {
              routineRetries++;
              const backoff = resolveDuration(policy.backoff, ctx.lookup, 'onError.backoff', valueRange(routine, 'onError.backoff', policy.range)) * 2 ** (routineRetries - 1);
              this.emit(ctx, { type: 'error', message: `${e.message} (routine retry ${routineRetries}/${max} in ${formatDuration(backoff, routine.sources?.get('onError.backoff')?.unit)})`, code: e.code, ...(e.range ? { range: e.range } : {}) });
              await this.sleepPlain(backoff, ctx.signal);
              af.entered = false;
              continue;
            }
          } else if (policy?.action === 'call' && policy.routine !== undefined) {
            this.emit(ctx, { type: 'error', message: `${e.message} (calling recovery routine '${policy.routine}')`, code: e.code, ...(e.range ? { range: e.range } : {}) });
            await this.runRecovery(policy.routine, policy.params, ctx, policy.range);
          }
          throw e;
        }
      }
    } catch (e) {
      const stopped = e instanceof StopSignal || (e instanceof RestartSignal && e.owner !== frame);
      if (stopped) {
        this.emit(ctx, { type: 'routine.end', ok: true, depth });
      } else {
        const err = this.normalise(e, routine.range);
        await this.debugError(err);
        this.emit(ctx, { type: 'routine.end', ok: false, error: err.message, depth });
        if (depth === 0) {
          this.emit(ctx, { type: 'error', message: err.message, code: err.code, ...(err.range ? { range: err.range } : {}) });
          this.logger.log(err.code === 'aborted' ? 'info' : 'warn', `routine ${frame.name} failed: ${err.message}`, { code: err.code, ...(err.range ? { file: err.range.file, line: err.range.start.line } : {}) });
        }
        throw err;
      }
      throw e;
    } finally {
      this.sentries.pop(frame);
      this.popStuck(frame);
      this.popFrame(af);
    }
  }

  /** Runs a recovery routine (`onError: call`); its own failure is logged, the original error still counts. */
  private async runRecovery(name: string, params: Record<string, unknown>, ctx: ExecContext, range: SourceRange): Promise<void> {
    try {
      const p = interpolateDeep(params, ctx.lookup, range, 'params') as Record<string, unknown>;
      await this.callRoutine(name, p, ctx, range);
    } catch (e) {
      if (e instanceof StopSignal || this.runSignal.aborted) {
        throw e;
      }
      const err = this.normalise(e, range);
      if (err.fatal) {
        throw err;
      }
      this.emit(ctx, { type: 'error', message: `recovery routine '${name}' failed: ${err.message}`, code: err.code, ...(err.range ? { range: err.range } : {}) });
    }
  }

  private bindParams(routine: LoadedRoutine, given: Record<string, unknown>, scope: VariableScope, ctx: ExecContext, callRange: SourceRange | undefined): void {
    const where = callRange ?? routine.range;
    for (const k of Object.keys(given)) {
      if (!(k in routine.params)) {
        throw new RoutineError('invalid-param', unknownParamMessage(ctx.frame.name, k, routine.params), where);
      }
    }
    for (const [name, spec] of Object.entries(routine.params)) {
      let v = given[name];
      if (v === undefined && spec.default !== undefined) {
        v = interpolateDeep(spec.default, ctx.lookup, spec.range, `params.${name}.default`);
      }
      if (v === undefined) {
        if (spec.required) {
          throw new RoutineError('invalid-param', missingParamsMessage(ctx.frame.name, [name]), where);
        }
        continue;
      }
      scope.set(name, coerceParam(name, spec, v, ctx.lookup, given[name] === undefined ? spec.range : where));
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Steps
  // ------------------------------------------------------------------------------------------------------

  async executeSteps(steps: readonly LoadedStep[], ctx: ExecContext, opts?: { afterCondition?: boolean }): Promise<void> {
    if (steps.length === 0) {
      // An empty loop body still counts: `repeat: 1000000` of nothing must not freeze the process either.
      await this.yielder.due();
      this.throwIfAborted(ctx);
      return;
    }
    for (let i = 0; i < steps.length; i++) {
      const turn = this.yielder.due();
      if (turn) {
        await turn;
      }
      await this.executeStep(steps[i], ctx, i === 0 && opts?.afterCondition === true);
    }
  }

  private async executeStep(step: LoadedStep, parent: ExecContext, afterCondition = false): Promise<void> {
    // The step is on the call stack from its boundary on: a stop there (a bot pause, a sentry) shows it next.
    const af = this.stack[this.stack.length - 1];
    const entry: StepEntry = { step, ctx: parent, matches: [], started: false };
    af?.steps.push(entry);
    try {
      await this.runStep(step, parent, afterCondition, af, entry);
    } finally {
      af?.steps.pop();
    }
  }

  private async runStep(step: LoadedStep, parent: ExecContext, afterCondition: boolean, af: ActiveFrame | undefined, entry: StepEntry): Promise<void> {
    await this.safePoint(parent, !afterCondition);
    const ctx: ExecContext = { ...parent, step, stepStartedAt: this.clock.now() };
    entry.ctx = ctx;
    const d = this.debug;
    if (d && af) {
      await d.beforeStep(this, af, entry);
      this.throwIfAborted(ctx);
    }
    entry.started = true;
    const label = step.common.name ?? step.common.id ?? step.action;
    const ids = stepIds(step);
    let retries = 0;
    let backoff = 0;
    let timeout: number | undefined;
    try {
      if (step.common.when && !(await this.evaluate(step.common.when, ctx))) {
        this.emit(ctx, { type: 'log', level: 'debug', message: `skipped ${label} (when: false)`, range: step.range });
        return;
      }
      retries = resolveNumber(step.common.retries, ctx.lookup, 'retries', this.rangeOf(ctx, step, 'retries', step.common.retries), RULES.retries);
      if (retries === 0 && step.common.onError === 'retry') {
        retries = 1;
      }
      backoff = resolveDuration(step.common.backoff, ctx.lookup, 'backoff', this.rangeOf(ctx, step, 'backoff', step.common.backoff));
      timeout = step.common.timeout === undefined ? undefined : resolveDuration(step.common.timeout, ctx.lookup, 'timeout', this.rangeOf(ctx, step, 'timeout', step.common.timeout));
    } catch (e) {
      if (isControlSignal(e)) {
        throw e;
      }
      this.emit(ctx, { type: 'step.start', step: label, path: step.path, ...ids, range: step.range });
      return this.stepFailed(step, ctx, label, this.toRoutineError(e, ctx, step.range), 0);
    }
    this.emit(ctx, { type: 'step.start', step: label, path: step.path, ...ids, range: step.range });
    const t0 = this.clock.now();
    for (let attempt = 0; ; attempt++) {
      if (step.action === 'tap' || step.action === 'longPress') {
        this.lastTapTarget = undefined;
      }
      try {
        await this.runWithTimeout(step, ctx, timeout);
        this.emit(ctx, { type: 'step.end', step: label, path: step.path, ...ids, range: step.range, ok: true, ms: Math.round(this.clock.now() - t0) });
        this.stepCompleted(step);
        return;
      } catch (e) {
        if (isControlSignal(e)) {
          this.endInterruptedStep(step, ctx, label, t0, e);
          throw e;
        }
        const err = this.toRoutineError(e, ctx, step.range);
        if (!err.fatal && attempt < retries) {
          const delay = backoff * 2 ** attempt;
          const unit = ctx.frame.routine.sources?.get(`${step.path}.backoff`)?.unit;
          this.emit(ctx, { type: 'error', message: `${err.message} (retry ${attempt + 1}/${retries} in ${formatDuration(delay, unit)})`, code: err.code, range: err.range ?? step.range });
          try {
            await this.sleep(delay, ctx);
          } catch (e2) {
            // A sentry restart, a cancellation or a fatal sentry outcome during the backoff still ends the step.
            this.endInterruptedStep(step, ctx, label, t0, e2);
            throw e2;
          }
          continue;
        }
        return this.stepFailed(step, ctx, label, err, Math.round(this.clock.now() - t0));
      }
    }
  }

  /** Where a common key's value is written when it is a `${}` string (else the step): errors are located there. */
  private rangeOf(ctx: ExecContext, step: LoadedStep, key: string, value: unknown): SourceRange {
    return typeof value === 'string' ? valueRange(ctx.frame.routine, `${step.path}.${key}`, step.range) : step.range;
  }

  /** The `step.end` of a step left by a control signal (ok unless a sentry restart) or by a fatal error. */
  private endInterruptedStep(step: LoadedStep, ctx: ExecContext, label: string, t0: number, e: unknown): void {
    const restart = e instanceof RestartSignal;
    const ok = isControlSignal(e) && !restart;
    const error = restart ? `restarted by sentry '${e.sentry}'` : ok ? undefined : this.toRoutineError(e, ctx, step.range).message;
    this.emit(ctx, { type: 'step.end', step: label, path: step.path, ...stepIds(step), range: step.range, ok, ms: Math.round(this.clock.now() - t0), ...(error !== undefined ? { error } : {}) });
  }

  /** A step failed for good: apply its onError (or the routine's `continue`), else rethrow. */
  private async stepFailed(step: LoadedStep, ctx: ExecContext, label: string, err: RoutineError, ms: number): Promise<void> {
    await this.debugError(err);
    this.emit(ctx, { type: 'step.end', step: label, path: step.path, ...stepIds(step), range: step.range, ok: false, ms, error: err.message });
    if (err.fatal) {
      throw err;
    }
    const policy = step.common.onError ?? (ctx.frame.routine.onError?.action === 'continue' ? 'continue' : 'abort');
    if (policy === 'continue') {
      this.emit(ctx, { type: 'error', message: `${err.message} (onError: continue)`, code: err.code, range: err.range ?? step.range });
      this.logger.log('warn', `${ctx.frame.name} ${step.path}: ${err.message} (continuing)`);
      return;
    }
    if (typeof policy === 'object') {
      this.emit(ctx, { type: 'error', message: `${err.message} (onError: call ${policy.call})`, code: err.code, range: err.range ?? step.range });
      const params = interpolateDeep(policy.params, ctx.lookup, step.range, 'onError.params') as Record<string, unknown>;
      await this.callRoutine(policy.call, params, ctx, step.range);
      return;
    }
    throw err;
  }

  private async runWithTimeout(step: LoadedStep, ctx: ExecContext, timeout: number | undefined): Promise<void> {
    const handler = ACTION_HANDLERS[step.action] as unknown as ActionHandler<ActionName>;
    if (timeout === undefined) {
      await handler(step as never, ctx, this);
      return;
    }
    const ctrl = new AbortController();
    const onParentAbort = () => ctrl.abort(ctx.signal.reason);
    if (ctx.signal.aborted) {
      ctrl.abort(ctx.signal.reason);
    } else {
      ctx.signal.addEventListener('abort', onParentAbort, { once: true });
    }
    let timedOut = false;
    const started = this.clock.now();
    void this.clock.sleep(timeout, ctrl.signal).then(
      () => {
        timedOut = true;
        ctrl.abort(new RoutineError('step-timeout', 'step timeout'));
      },
      () => undefined,
    );
    try {
      await handler(step as never, { ...ctx, signal: ctrl.signal }, this);
    } catch (e) {
      if (timedOut && !ctx.signal.aborted && !isControlSignal(e)) {
        const unit = ctx.frame.routine.sources?.get(`${step.path}.timeout`)?.unit;
        throw new RoutineError(
          'step-timeout',
          `${step.action} timed out after ${formatDuration(this.clock.now() - started, unit)} (the step's timeout is ${formatDuration(timeout, unit)})`,
          step.range,
        );
      }
      throw e;
    } finally {
      ctx.signal.removeEventListener('abort', onParentAbort);
      if (!ctrl.signal.aborted) {
        ctrl.abort(new Error('step finished'));
      }
    }
  }

  private toRoutineError(e: unknown, ctx: ExecContext, range: SourceRange): RoutineError {
    if (e instanceof RoutineError) {
      if (!e.range) {
        e.range = range;
      }
      if (e.code !== 'aborted' && (this.runSignal.aborted || ctx.signal.aborted) && (e.code === 'device' || e.code === 'vision' || e.code === 'internal')) {
        return new RoutineAbortedError();
      }
      return e;
    }
    if (this.runSignal.aborted || ctx.signal.aborted) {
      return new RoutineAbortedError(this.runSignal.aborted ? undefined : 'the step was cancelled (its timeout or an enclosing step\'s expired)');
    }
    if (isDeviceError(e)) {
      return new RoutineError('device', `device ${e.code}: ${e.message}`, range, { cause: e });
    }
    if (isVisionError(e)) {
      return new RoutineError('vision', `vision ${e.code}: ${e.message}`, range, { cause: e });
    }
    return new RoutineError('internal', e instanceof Error ? e.message : String(e), range, { cause: e });
  }

  private stepCompleted(step: LoadedStep): void {
    if (this.sentryDepth > 0) {
      return;
    }
    const now = this.clock.now();
    const target = step.action === 'tap' || step.action === 'longPress' ? this.lastTapTarget : undefined;
    for (const s of this.stuck) {
      s.detector.stepCompleted(now, target);
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Safe points, sentries, stuck detection
  // ------------------------------------------------------------------------------------------------------

  /**
   * Step boundary: cancellation, pause, stuck detection, then sentries (unless `sentries` is false: the first
   * step of a branch a condition just chose).
   */
  private async safePoint(ctx: ExecContext, sentries = true): Promise<void> {
    this.throwIfAborted(ctx);
    try {
      await this.host.pausePoint(
        this.runSignal,
        () => {
          this.emit(ctx, { type: 'state', state: 'paused' });
          // Paused by the bot, the run only waits: a debugger's pause stops it at once.
          this.idle = true;
        },
        () => {
          this.idle = false;
          this.emit(ctx, { type: 'state', state: 'resumed' });
          const now = this.clock.now();
          for (const s of this.stuck) {
            s.detector.touch(now);
          }
        },
      );
    } finally {
      this.idle = false;
    }
    // A debugger stop made while the bot was paused holds the run here (a bot resume does not continue it).
    await this.checkpoint();
    this.throwIfAborted(ctx);
    await this.pollPoint(ctx, sentries);
  }

  /** Sentries and stuck detection (also visited during waits). */
  private async pollPoint(ctx: ExecContext, sentries = true): Promise<void> {
    if (this.sentryDepth > 0) {
      return;
    }
    await this.checkStuck(ctx);
    if (sentries) {
      await this.checkSentries(ctx);
    }
  }

  private throwIfAborted(ctx: ExecContext): void {
    if (this.runSignal.aborted) {
      throw new RoutineAbortedError();
    }
    if (ctx.signal.aborted) {
      throw new RoutineAbortedError('the step was cancelled (its timeout or an enclosing step\'s expired)');
    }
  }

  private pushSentries(frame: RoutineFrame, ctx: ExecContext): void {
    if (!frame.routine.sentries.length) {
      return;
    }
    const defs = frame.routine.sentries.map((def) => ({
      def,
      everyMs: resolveDuration(def.every, ctx.lookup, 'every', valueRange(frame.routine, `${def.path}.every`, def.range)),
      cooldownMs: def.cooldown === undefined ? 0 : resolveDuration(def.cooldown, ctx.lookup, 'cooldown', valueRange(frame.routine, `${def.path}.cooldown`, def.range)),
    }));
    this.sentries.push(frame, defs, this.clock.now());
  }

  private async checkSentries(ctx: ExecContext): Promise<void> {
    const due = this.sentries.due(this.clock.now());
    for (const s of due) {
      const owner = s.owner as RoutineFrame;
      const sctx: ExecContext = { frame: owner, signal: this.runSignal, stepStartedAt: this.clock.now(), lookup: this.lookupFor(owner.scope) };
      let fire: boolean;
      try {
        fire = await this.evaluate(s.def.when, sctx);
      } catch (e) {
        const err = this.toRoutineError(e, sctx, s.def.range);
        if (err.fatal) {
          throw err;
        }
        if (err.code === 'missing-variable' || err.code === 'invalid-value') {
          // The routine's own mistake: it would fail the same way on every check, so the routine fails now.
          throw new RoutineError('sentry-error', `sentry '${s.def.name}': ${err.message}`, err.range ?? s.def.when.range);
        }
        // A device or vision failure may pass: reported, and checked again next time.
        this.emit(sctx, { type: 'error', message: `sentry '${s.def.name}': ${err.message}`, code: err.code, range: err.range ?? s.def.range });
        this.sentries.checked(s, this.clock.now());
        continue;
      }
      if (!fire) {
        this.sentries.checked(s, this.clock.now());
        continue;
      }
      await this.fireSentry(s, sctx, ctx);
    }
  }

  private async fireSentry(s: ActiveSentry, sctx: ExecContext, ctx: ExecContext): Promise<void> {
    this.emit(sctx, { type: 'sentry', sentry: s.def.name, phase: 'fired', range: s.def.range });
    this.logger.log('info', `sentry '${s.def.name}' fired`, { routine: sctx.frame.name, during: ctx.step?.path });
    this.sentryDepth++;
    // A running sentry is a frame of its own, on top of the routine it interrupted.
    const af = this.pushFrame('sentry', sctx, s.def);
    try {
      await this.debug?.sentryFired(this, af);
      this.throwIfAborted(sctx);
      await this.executeSteps(s.def.steps, sctx);
    } catch (e) {
      if (e instanceof StopSignal) {
        throw e;
      }
      const err = this.normalise(e, s.def.range);
      if (err.fatal) {
        throw err;
      }
      // A sentry that fails is reported; the routine goes on as the sentry says.
      this.emit(sctx, { type: 'error', message: `sentry '${s.def.name}' failed: ${err.message}`, code: err.code, range: err.range ?? s.def.range });
    } finally {
      this.popFrame(af);
      this.sentryDepth--;
      this.sentries.firedAt(s, this.clock.now());
      this.frames.invalidate();
      const now = this.clock.now();
      for (const st of this.stuck) {
        st.detector.touch(now);
      }
    }
    const outcome = s.def.then;
    this.emit(sctx, { type: 'sentry', sentry: s.def.name, phase: 'done', outcome, range: s.def.range });
    if (outcome === 'restart') {
      throw new RestartSignal(s.def.name, s.owner);
    }
    if (outcome === 'abort') {
      throw new RoutineError('sentry-abort', `sentry '${s.def.name}' aborted the routine`, s.def.range);
    }
  }

  private pushStuck(frame: RoutineFrame, ctx: ExecContext): void {
    const c = frame.routine.stuck!;
    const sameTarget = c.sameTarget
      ? {
          count: resolveNumber(c.sameTarget.count, ctx.lookup, 'stuck.sameTarget.count', valueRange(frame.routine, 'stuck.sameTarget.count', c.range), RULES.sameTargetCount),
          window: resolveNumber(c.sameTarget.window, ctx.lookup, 'stuck.sameTarget.window', valueRange(frame.routine, 'stuck.sameTarget.window', c.range), RULES.sameTargetWindow),
        }
      : undefined;
    const noProgressMs = c.noProgress === undefined ? undefined : resolveDuration(c.noProgress, ctx.lookup, 'stuck.noProgress', valueRange(frame.routine, 'stuck.noProgress', c.range));
    const noProgressUnit = frame.routine.sources?.get('stuck.noProgress')?.unit;
    const detector = new StuckDetector({ ...(noProgressMs !== undefined ? { noProgressMs, ...(noProgressUnit ? { noProgressUnit } : {}) } : {}), ...(sameTarget ? { sameTarget } : {}), ladder: c.ladder }, this.clock.now());
    this.stuck.push({ frame, detector, range: c.range });
  }

  private popStuck(frame: RoutineFrame): void {
    const i = this.stuck.findIndex((s) => s.frame === frame);
    if (i >= 0) {
      this.stuck.splice(i, 1);
    }
  }

  /** Earliest clock time a safe point has work: a sentry due or a no-progress deadline. */
  private nextPollDue(): number | undefined {
    let t = this.sentries.nextDue();
    for (const s of this.stuck) {
      const d = s.detector.deadline();
      if (d !== undefined && (t === undefined || d < t)) {
        t = d;
      }
    }
    return t;
  }

  private async checkStuck(ctx: ExecContext): Promise<void> {
    const now = this.clock.now();
    // Innermost first: the routine closest to the problem acts.
    for (let i = this.stuck.length - 1; i >= 0; i--) {
      const entry = this.stuck[i];
      const det = entry.detector.check(now);
      if (det) {
        await this.climbLadder(entry, det, ctx);
        return;
      }
    }
  }

  private async climbLadder(entry: StuckEntry, det: StuckDetection, ctx: ExecContext): Promise<void> {
    const fctx: ExecContext = { frame: entry.frame, signal: this.runSignal, stepStartedAt: this.clock.now(), lookup: this.lookupFor(entry.frame.scope) };
    const range = ctx.step?.range ?? entry.range;
    this.emit(fctx, { type: 'stuck', reason: det.detail, rung: det.rung ?? 'exhausted', range });
    this.logger.log('warn', `routine ${entry.frame.name} is stuck (${det.detail}): ${det.rung ?? 'ladder exhausted'}`);
    const exhausted = det.rung === undefined ? new RoutineError('stuck', `stuck (${det.detail}) and every rung of the ladder was tried`, range) : undefined;
    await this.debug?.stuckDetected(this, { detail: det.detail, ...(det.rung ? { rung: det.rung } : {}), range, ...(exhausted ? { error: exhausted } : {}) });
    this.throwIfAborted(ctx);
    if (exhausted) {
      throw exhausted;
    }
    this.sentryDepth++;
    try {
      switch (det.rung!) {
        case 'tapAgain': {
          const p = this.lastTap;
          if (p) {
            await this.deviceCall(fctx, 'tapAgain', (o) => this.device.tap(p.x, p.y, o), true);
            this.noteInput({ ...fctx, ...(ctx.step ? { step: ctx.step } : {}) }, { kind: 'tap', x: p.x, y: p.y }, 'tapAgain');
          }
          break;
        }
        case 'back':
          await this.deviceCall(fctx, 'back', (o) => this.device.key('KEYCODE_BACK', o), true);
          this.noteInput({ ...fctx, ...(ctx.step ? { step: ctx.step } : {}) }, { kind: 'key', key: 'KEYCODE_BACK' }, 'back');
          break;
        case 'restartApp': {
          const app = appOf(fctx);
          if (app && app.includes('/')) {
            await this.deviceCall(fctx, 'restartApp', (o) => this.device.restartApp(app, o), true);
          } else if (app) {
            await this.deviceCall(fctx, 'stopApp', (o) => this.device.stopApp(packageOf(app), o), true);
          } else {
            this.emit(fctx, { type: 'log', level: 'warn', message: "stuck: restartApp needs the routine's 'app'", range });
          }
          break;
        }
        case 'restartEmulator':
        case 'notify':
          // Performed by the orchestrator, which listens to the `stuck` event.
          break;
      }
    } catch (e) {
      const err = this.toRoutineError(e, fctx, range);
      if (err.fatal) {
        throw err;
      }
      this.emit(fctx, { type: 'error', message: `stuck rung ${det.rung} failed: ${err.message}`, code: err.code, range });
    } finally {
      this.sentryDepth--;
      entry.detector.touch(this.clock.now());
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Engine services for action handlers
  // ------------------------------------------------------------------------------------------------------

  // ------------------------------------------------------------------------------------------------------
  // What a debugger asks (debug.ts)
  // ------------------------------------------------------------------------------------------------------

  async inspectCondition(cond: LoadedCondition, ctx: ExecContext, opts: { fresh: boolean }): Promise<{ value: boolean; matches: MatchRecord[] }> {
    const matches: MatchRecord[] = [];
    const signal = this.runSignal;
    if (opts.fresh) {
      try {
        await this.frames.fresh({ signal });
      } catch (e) {
        throw this.toRoutineError(e, ctx, cond.range);
      }
    }
    const value = await evaluateCondition(cond, {
      lookup: ctx.lookup,
      find: async (template, o, c) => {
        const r = await this.matchOn(ctx, template, o, c.range, signal);
        matches.push(this.matchRecord(ctx, r, template, c.range));
        return r;
      },
      checkColor: async (spec, c) => {
        const frame = await this.frames.get({ signal });
        try {
          return this.vision.checkColor(frame, spec);
        } catch (e) {
          throw this.toRoutineError(e, ctx, c.range);
        }
      },
      isAppInForeground: async (pkg, c) => {
        try {
          return await this.device.isAppInForeground(pkg, { signal });
        } catch (e) {
          throw this.toRoutineError(e, ctx, c.range);
        }
      },
      now: () => this.clock.now(),
      routineStartedAt: ctx.frame.startedAt,
      stepStartedAt: ctx.stepStartedAt,
      referenceSize: this.referenceSize(ctx),
      sources: ctx.frame.routine.sources,
    });
    return { value, matches };
  }

  assignVariable(af: ActiveFrame, name: string, value: unknown): unknown {
    const ctx = af.steps[af.steps.length - 1]?.ctx ?? af.ctx;
    if (!VARIABLE_NAME_RE.test(name)) {
      throw new RoutineError('invalid-value', `'${name}' is not a variable name (letters, digits and _, not starting with a digit)`);
    }
    if (isReservedVariable(name) || (this.root.hasOwn(name) && !this.definedBelowRoot(af.frame.scope, name))) {
      throw new RoutineError('invalid-value', `'${name}' is a system variable (${SYSTEM_VARIABLES.join(', ')}): a routine cannot set it`);
    }
    let v = typeof value === 'string' ? interpolateString(value, ctx.lookup, undefined, name) : value;
    // Where it lives: this routine's scope or a caller's (never the system scope); a new name is a local.
    let scope = af.frame.scope;
    for (let s: VariableScope | undefined = af.frame.scope; s && s !== this.root; s = s.parent) {
      if (s.hasOwn(name)) {
        scope = s;
        break;
      }
    }
    const owner = this.stack.find((f) => f.kind === 'routine' && f.frame.scope === scope)?.frame ?? af.frame;
    const spec = owner.routine.params[name];
    if (spec) {
      v = coerceParam(name, spec, v, ctx.lookup, spec.range);
    }
    scope.set(name, v);
    this.emit(ctx, { type: 'var', name, value: cloneValue(v), ...(ctx.step ? { range: ctx.step.range } : {}) });
    return v;
  }

  private definedBelowRoot(scope: VariableScope, name: string): boolean {
    for (let s: VariableScope | undefined = scope; s && s !== this.root; s = s.parent) {
      if (s.hasOwn(name)) {
        return true;
      }
    }
    return false;
  }

  deviceState(): DebugDeviceState {
    const size = this.host.knownDeviceSize();
    const age = this.frames.age;
    return {
      serial: this.device.serial,
      captureMethod: this.device.captureMethod,
      ...(size ? { displaySize: { ...size } } : {}),
      captures: this.frames.captures,
      cacheHits: this.frames.hits,
      ...(age !== undefined ? { frameAgeMs: age } : {}),
    };
  }

  async screen(opts: { fresh: boolean }): Promise<DebugScreen> {
    const last = opts.fresh ? undefined : this.frames.latest();
    if (last) {
      return { frame: last, fresh: false };
    }
    return { frame: await this.device.screenshot({ signal: this.runSignal }), fresh: true };
  }

  emit(ctx: ExecContext, e: EventInit): void {
    this.host.fire({ ...e, time: this.wallTime(), routine: ctx.frame.name } as RoutineEvent);
  }

  async evaluate(cond: LoadedCondition, ctx: ExecContext): Promise<boolean> {
    return evaluateCondition(cond, {
      lookup: ctx.lookup,
      find: (template, o, c) => this.find(ctx, template, o, c.range),
      checkColor: async (spec, c) => {
        const frame = await this.frames.get({ signal: ctx.signal });
        try {
          return this.vision.checkColor(frame, spec);
        } catch (e) {
          throw this.toRoutineError(e, ctx, c.range);
        }
      },
      isAppInForeground: (pkg) => this.deviceCall(ctx, 'appInForeground', (o) => this.device.isAppInForeground(pkg, o), false),
      now: () => this.clock.now(),
      routineStartedAt: ctx.frame.startedAt,
      stepStartedAt: ctx.stepStartedAt,
      referenceSize: this.referenceSize(ctx),
      sources: ctx.frame.routine.sources,
    });
  }

  async callRoutine(name: string, params: Record<string, unknown>, ctx: ExecContext, range: SourceRange): Promise<Record<string, unknown>> {
    const routine = this.host.deps.routines.get(name);
    if (!routine) {
      throw new RoutineError('unknown-routine', `call: routine '${name}' is unknown or does not load`, range);
    }
    return this.invoke(routine, name, params, ctx.frame.scope, ctx.frame, ctx.signal, range);
  }

  /** Sleeps in slices, visiting poll points (sentries, stuck detection) when they are due. */
  async sleep(ms: number, ctx: ExecContext): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      this.throwIfAborted(ctx);
      await this.pollPoint(ctx);
      const now = this.clock.now();
      if (now >= end) {
        return;
      }
      let until = end;
      if (this.sentryDepth === 0) {
        const due = this.nextPollDue();
        if (due !== undefined && due < until) {
          until = Math.max(due, now + 1);
        }
      }
      await this.sleepPlain(until - now, ctx.signal);
    }
  }

  /**
   * Sleeps `ms` of routine time. A debugger may stop the run during it (at once: the run is idle); the sleep then
   * goes on for what was left.
   */
  private async sleepPlain(ms: number, signal: AbortSignal): Promise<void> {
    const end = this.clock.now() + ms;
    try {
      for (;;) {
        await this.checkpoint();
        if (signal.aborted) {
          throw new Error('aborted');
        }
        const remaining = end - this.clock.now();
        if (remaining <= 0) {
          return;
        }
        this.idle = true;
        try {
          await this.clock.real.sleep(remaining, signal);
        } finally {
          this.idle = false;
        }
      }
    } catch {
      throw new RoutineAbortedError(this.runSignal.aborted ? undefined : 'the step was cancelled (its timeout or an enclosing step\'s expired)');
    }
  }

  async deviceCall<T>(ctx: ExecContext, what: string, fn: (opts: CallOptions) => Promise<T>, changesScreen: boolean): Promise<T> {
    this.throwIfAborted(ctx);
    let result: T;
    try {
      result = await fn({ signal: ctx.signal });
    } catch (e) {
      const err = this.toRoutineError(e, ctx, ctx.step?.range ?? ctx.frame.routine.range);
      if (err.code === 'device') {
        err.message = `${what}: ${err.message}`;
      }
      throw err;
    } finally {
      if (changesScreen) {
        this.frames.invalidate();
      }
    }
    // A debugger's pause lands after the call returns.
    await this.checkpoint();
    return result;
  }

  async find(ctx: ExecContext, template: string, opts: { threshold?: number; region?: Rect }, range: SourceRange): Promise<MatchResult> {
    const r = await this.matchOn(ctx, template, opts, range, ctx.signal);
    this.emit(ctx, { type: 'match', template: r.template || template, found: r.found, score: r.score, threshold: r.threshold, box: r.box, ms: r.timeMs, range });
    const record = this.matchRecord(ctx, r, template, range);
    this.recentMatches.push(record);
    if (this.recentMatches.length > RECENT_MATCHES) {
      this.recentMatches.splice(0, this.recentMatches.length - RECENT_MATCHES);
    }
    const top = this.stack[this.stack.length - 1];
    top?.steps[top.steps.length - 1]?.matches.push(record);
    await this.checkpoint();
    return r;
  }

  private matchRecord(ctx: ExecContext, r: MatchResult, template: string, range: SourceRange): MatchRecord {
    return {
      template: r.template || template,
      found: r.found,
      score: r.score,
      threshold: r.threshold,
      box: { ...r.box },
      ms: r.timeMs,
      routine: ctx.frame.name,
      ...(ctx.step ? { path: ctx.step.path } : {}),
      range,
      time: this.wallTime(),
    };
  }

  /** A template match on the cached frame (no event, no record). */
  private async matchOn(ctx: ExecContext, template: string, opts: { threshold?: number; region?: Rect }, range: SourceRange, signal: AbortSignal): Promise<MatchResult> {
    let frame;
    try {
      frame = await this.frames.get({ signal });
    } catch (e) {
      throw this.toRoutineError(e, ctx, range);
    }
    const ref = this.referenceSize(ctx);
    let region = opts.region;
    if (region && (ref.width !== TEMPLATE_REFERENCE.width || ref.height !== TEMPLATE_REFERENCE.height)) {
      const sx = TEMPLATE_REFERENCE.width / ref.width;
      const sy = TEMPLATE_REFERENCE.height / ref.height;
      region = { x: region.x * sx, y: region.y * sy, w: region.w * sx, h: region.h * sy };
    }
    try {
      return await this.vision.find(frame, template, { ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}), ...(region ? { region } : {}) }, signal);
    } catch (e) {
      throw this.toRoutineError(e, ctx, range);
    }
  }

  referenceSize(ctx: ExecContext): Size {
    return ctx.frame.routine.resolution ?? this.host.deps.referenceSize ?? TEMPLATE_REFERENCE;
  }

  async toDevice(ctx: ExecContext, p: Point): Promise<Point> {
    const ref = this.referenceSize(ctx);
    const size = await this.deviceSizeOf(ctx);
    return { x: (p.x * size.width) / ref.width, y: (p.y * size.height) / ref.height };
  }

  async frameToDevice(ctx: ExecContext, p: Point, frame: { width: number; height: number }): Promise<Point> {
    const size = await this.deviceSizeOf(ctx);
    return { x: (p.x * size.width) / frame.width, y: (p.y * size.height) / frame.height };
  }

  private async deviceSizeOf(ctx: ExecContext): Promise<Size> {
    try {
      return await this.host.deviceSize(ctx.signal);
    } catch (e) {
      throw this.toRoutineError(e, ctx, ctx.step?.range ?? ctx.frame.routine.range);
    }
  }

  noteTap(_ctx: ExecContext, p: Point, target: string): void {
    this.lastTap = p;
    this.lastTapTarget = target;
  }

  noteInput(ctx: ExecContext, input: RoutineInput, rung?: string): void {
    const step = ctx.step;
    this.emit(ctx, {
      type: 'input',
      input,
      ...(step ? { step: step.common.name ?? step.common.id ?? step.action, path: step.path, ...(step.common.id !== undefined ? { id: step.common.id } : {}), range: step.range } : {}),
      ...(rung !== undefined ? { rung } : {}),
    });
  }

  setVariable(ctx: ExecContext, name: string, value: unknown, where: 'local' | 'root' = 'local'): void {
    if (where === 'local' && isReservedVariable(name)) {
      throw new RoutineError('invalid-value', `'${name}' is a system variable (${SYSTEM_VARIABLES.join(', ')}): a routine cannot set it`, ctx.step?.range ?? ctx.frame.routine.range);
    }
    const scope = where === 'root' ? this.root : ctx.frame.scope;
    scope.set(name, value);
    this.emit(ctx, { type: 'var', name, value: cloneValue(value), ...(ctx.step ? { range: ctx.step.range } : {}) });
  }
}

/** The `id` and `name` keys of a step, for its events. */
function stepIds(step: LoadedStep): { id?: string; name?: string } {
  return { ...(step.common.id !== undefined ? { id: step.common.id } : {}), ...(step.common.name !== undefined ? { name: step.common.name } : {}) };
}

/** Longest stretch of steps run without giving the event loop a turn (ms). */
export const YIELD_AFTER_MS = 10;

/**
 * Keeps a run from monopolising the event loop. Steps that only touch variables complete through microtasks, so
 * a long loop of them would starve timers, signals (Ctrl-C, SIGTERM) and every other bot of the process. This
 * notes whether a macrotask turn happened since it last looked (a `setImmediate` flag) and, after
 * {@link YIELD_AFTER_MS} of the run's clock without one, waits for a turn: a `setImmediate` with the system clock
 * (timers, I/O and signals are served first, without a timer's delay), a 0 ms sleep on any other clock (a test
 * clock then stays in charge of the order of its sleepers; one that only moves on sleeps never asks for a turn).
 * Steps that wait on the device or the clock never pay for it.
 */
export class EventLoopYielder {
  private turned = true;
  private since: number;

  private readonly turn: () => Promise<void>;

  constructor(private readonly clock: Pick<Clock, 'now' | 'sleep'>) {
    this.since = clock.now();
    this.turn = clock instanceof SystemClock ? () => new Promise<void>((resolve) => setImmediate(resolve)) : () => clock.sleep(0);
  }

  /** A promise to await before the next step when the event loop is due a turn; undefined otherwise (no await). */
  due(): Promise<void> | undefined {
    if (this.turned) {
      this.arm();
      return undefined;
    }
    if (this.clock.now() - this.since < YIELD_AFTER_MS) {
      return undefined;
    }
    return this.turn().then(() => this.arm());
  }

  private arm(): void {
    this.turned = false;
    this.since = this.clock.now();
    setImmediate(() => {
      this.turned = true;
    });
  }
}

/** Converts a parameter value to its declared type (CLI values arrive as text). */
export function coerceParam(name: string, spec: ParamSpec, v: unknown, lookup: VariableLookup, range: SourceRange): unknown {
  const bad = (what: string) => new RoutineError('invalid-param', `parameter '${name}': expected ${what}, got ${JSON.stringify(v)}`, range);
  let out: unknown;
  switch (spec.type) {
    case 'string':
      if (typeof v === 'object' && v !== null) {
        throw bad('text');
      }
      out = toText(v);
      break;
    case 'int':
    case 'number': {
      const n = toNumber(v);
      if (n === undefined || (spec.type === 'int' && !Number.isInteger(n))) {
        throw bad(spec.type === 'int' ? 'an integer' : 'a number');
      }
      out = n;
      break;
    }
    case 'bool':
      try {
        out = resolveBool(v, lookup, `parameter '${name}'`, range);
      } catch {
        throw bad('true or false');
      }
      break;
    case 'enum': {
      const hit = (spec.values ?? []).find((x) => toText(x) === toText(v));
      if (hit === undefined) {
        throw bad(`one of ${(spec.values ?? []).map((x) => JSON.stringify(x)).join(', ')}`);
      }
      out = hit;
      break;
    }
  }
  if (typeof out === 'number') {
    if (spec.min !== undefined) {
      const min = resolveNumber(spec.min, lookup, `params.${name}.min`, spec.range);
      if (out < min) {
        throw new RoutineError('invalid-param', `parameter '${name}': ${out} is below the minimum ${min}`, range);
      }
    }
    if (spec.max !== undefined) {
      const max = resolveNumber(spec.max, lookup, `params.${name}.max`, spec.range);
      if (out > max) {
        throw new RoutineError('invalid-param', `parameter '${name}': ${out} is above the maximum ${max}`, range);
      }
    }
  }
  return out;
}
