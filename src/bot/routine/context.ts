/**
 * The execution context of the interpreter: one `RoutineFrame` per routine invocation (its variables, start
 * time, call depth), one `ExecContext` per running step (its frame, cancellation signal and timing), and the
 * `Engine` surface through which action handlers use the device, vision, the frame cache, variables and events.
 */
import type { Point, Rect, Size, SourceRange } from '../../shared/geometry';
import type { RoutineEvent, RoutineInput } from '../../shared/routineEvents';
import type { AccountLease, AccountPort } from '../accounts';
import type { CallOptions, Device } from '../device';
import type { Clock, FileStore, Logger } from '../../shared/ports';
import type { MatchResult, Vision } from '../vision/types';
import type { FrameCache } from './frameCache';
import type { VariableLookup } from './interpolate';
import type { LoadedCondition, LoadedRoutine, LoadedSentry, LoadedStep } from './loadedTypes';
import type { VariableScope } from './variables';

/** One invocation of a routine (the top-level one, or one reached by `call` or `onError`). */
export interface RoutineFrame {
  readonly routine: LoadedRoutine;
  /** Registry name when known, else the display name. */
  readonly name: string;
  readonly scope: VariableScope;
  /** 0 for the routine passed to `run`. */
  readonly depth: number;
  readonly startedAt: number;
  readonly parent?: RoutineFrame;
}

/** A template match the run made (kept for the debugger's matches scope and screen). */
export interface MatchRecord {
  template: string;
  found: boolean;
  score: number;
  threshold: number;
  /** Where it was found (or the best candidate), in frame pixels. */
  box: Rect;
  ms: number;
  /** The routine whose step (or sentry) looked. */
  routine: string;
  /** Path of the step that looked (`steps[2].then[0]`), when a step did. */
  path?: string;
  /** The condition or target that asked for it. */
  range: SourceRange;
  /** Wall-clock epoch ms. */
  time: number;
}

/** A step in progress: the call stack's position in its frame. */
export interface StepEntry {
  readonly step: LoadedStep;
  /** Its context (the parent's until the step starts). */
  ctx: ExecContext;
  /** The matches made while it ran (its own conditions and targets, not its nested steps'), oldest first. */
  readonly matches: MatchRecord[];
  /** False while it waits at its step boundary (pause point, sentries, stuck detection, debugger). */
  started: boolean;
}

/**
 * A frame of the run's call stack: a routine invocation, or a sentry running its steps (its own frame, on top of
 * the routine it interrupted). The debugger reads these as they are.
 */
export interface ActiveFrame {
  /** Unique within the interpreter. */
  readonly id: number;
  readonly kind: 'routine' | 'sentry';
  /** The invocation (a sentry's is the routine that declared it: its steps see that routine's variables). */
  readonly frame: RoutineFrame;
  readonly sentry?: LoadedSentry;
  /** Context for lookups when no step of the frame is in progress. */
  readonly ctx: ExecContext;
  /** Steps in progress, outermost first: the last one is the frame's current step. */
  readonly steps: StepEntry[];
  /** True once its first step reached its start (function breakpoints fire once per invocation). */
  entered: boolean;
}

/** The context a step (and its nested steps and conditions) runs in. */
export interface ExecContext {
  readonly frame: RoutineFrame;
  /** Aborted when the run is cancelled or an enclosing step times out. */
  readonly signal: AbortSignal;
  /** The step being run (undefined between steps). */
  readonly step?: LoadedStep;
  /** Clock time the current step started. */
  readonly stepStartedAt: number;
  /** Variable lookup of the frame (with the dynamic `now`). */
  readonly lookup: VariableLookup;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event without the fields the engine fills in (`time`, `routine`). */
export type EventInit = DistributiveOmit<RoutineEvent, 'time' | 'routine'>;

/** The services and helpers action handlers use. Implemented by the interpreter. */
export interface Engine {
  readonly device: Device;
  readonly vision: Vision;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly frames: FrameCache;
  readonly accounts?: AccountPort;
  readonly runDir?: string;
  readonly fileStore?: FileStore;

  emit(ctx: ExecContext, e: EventInit): void;
  /**
   * Runs a list of steps in the context's frame (break/continue/return propagate as signals). With
   * `afterCondition`, the steps are a branch a condition just chose: no sentry or stuck rung runs before the first
   * one, so the screen the condition saw is still the screen that step acts on.
   */
  executeSteps(steps: readonly LoadedStep[], ctx: ExecContext, opts?: { afterCondition?: boolean }): Promise<void>;
  /** Evaluates a condition against the cached frame. */
  evaluate(cond: LoadedCondition, ctx: ExecContext): Promise<boolean>;
  /** Runs another routine in a child scope; resolves with the values it returned. */
  callRoutine(name: string, params: Record<string, unknown>, ctx: ExecContext, range: SourceRange): Promise<Record<string, unknown>>;
  /** Sleeps `ms`, visiting safe points (sentries, stuck detection) on the way; abortable. */
  sleep(ms: number, ctx: ExecContext): Promise<void>;
  /** A device call with the context's signal; errors become located RoutineErrors. `changesScreen` invalidates the frame cache. */
  deviceCall<T>(ctx: ExecContext, what: string, fn: (opts: CallOptions) => Promise<T>, changesScreen: boolean): Promise<T>;
  /** Template match on the cached frame (emits a `match` event); `region` at the routine's reference size. */
  find(ctx: ExecContext, template: string, opts: { threshold?: number; region?: Rect }, range: SourceRange): Promise<MatchResult>;
  /** Reference resolution of the frame's routine. */
  referenceSize(ctx: ExecContext): Size;
  /** Device pixels of a point at the routine's reference resolution. */
  toDevice(ctx: ExecContext, p: Point): Promise<Point>;
  /** Device pixels of a point in frame pixels (frames may be smaller than the display). */
  frameToDevice(ctx: ExecContext, p: Point, frame: { width: number; height: number }): Promise<Point>;
  /** Records a tap for stuck detection (`target` identifies what was tapped) and for `tapAgain`. */
  noteTap(ctx: ExecContext, p: Point, target: string): void;
  /** Emits an `input` event for an input the device took (with the context's step; `rung`: a stuck rung did it). */
  noteInput(ctx: ExecContext, input: RoutineInput, rung?: string): void;
  /** Sets a variable in the frame's scope (or the run's root scope) and emits a `var` event. */
  setVariable(ctx: ExecContext, name: string, value: unknown, where?: 'local' | 'root'): void;
  /** The account leased by `checkoutAccount` in this run, if any. */
  lease: AccountLease | undefined;
}
