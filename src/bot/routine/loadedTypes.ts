/**
 * The normalised (loaded) routine: what the loader produces from a valid file and the interpreter runs. Every
 * step and condition carries its YAML source range and a stable path (`steps[3].then[0]`); defaults are filled in.
 * Types only (plus the names they are keyed by): no zod, no validation.
 */
import type { SourceRange } from '../../shared/geometry';
import type { ActionName, ComparisonOp, ElapsedOp, ParamType, StuckRung } from './actionCatalogue';
import type { Duration } from './durations';
import type { DurationUnit } from '../../shared/durations';

/**
 * A numeric field: a number, or a string template (containing `${var}`) to interpolate and then convert.
 * The loader guarantees literal numbers are within the field's bounds.
 */
export type NumberValue = number | string;
/** A duration field: milliseconds, or a string template to interpolate and then `parseDuration`. */
export type DurationValue = Duration | string;
/** A boolean field: a boolean, or a string template (`"true"`/`"false"` after interpolation). */
export type BoolValue = boolean | string;
/** A value a variable can hold; strings may contain `${var}`. */
export type ScalarValue = string | number | boolean | null;

export interface PointValue {
  x: NumberValue;
  y: NumberValue;
}

export interface RegionValue {
  x: NumberValue;
  y: NumberValue;
  w: NumberValue;
  h: NumberValue;
}

interface Located {
  /** YAML source range of this node (the step map, the condition map, ...). */
  range: SourceRange;
  /** Stable path, for example `steps[3].then[0]` or `sentries[0].steps[1]`. */
  path: string;
}

export type LoadedCondition = Located &
  (
    | { kind: 'image' | 'notImage'; template: string; threshold?: NumberValue; region?: RegionValue }
    | { kind: 'any' | 'all' | 'none'; conditions: LoadedCondition[] }
    | { kind: 'not'; condition: LoadedCondition }
    /** No comparisons: a truthiness test. Several: all must hold. */
    | { kind: 'var'; name: string; comparisons: Array<{ op: ComparisonOp; value: ScalarValue }> }
    | { kind: 'color'; at: PointValue | RegionValue; color: string; tolerance: NumberValue }
    | { kind: 'appInForeground'; package: string }
    /** `since`: 'routine' (default), 'step', or a variable name holding a clock time in ms. */
    | { kind: 'elapsed'; since: string; comparisons: Array<{ op: ElapsedOp; value: DurationValue }> }
  );

export type Target =
  | { kind: 'point'; x: NumberValue; y: NumberValue }
  | { kind: 'template'; template: string; offset?: PointValue; threshold?: NumberValue; region?: RegionValue; optional: BoolValue }
  | { kind: 'region'; region: RegionValue };

/** Step-level `onError`. */
export type StepOnError = 'continue' | 'retry' | 'abort' | { call: string; params: Record<string, ScalarValue> };

export interface StepCommon {
  id?: string;
  name?: string;
  timeout?: DurationValue;
  /** Default 0. */
  retries: NumberValue;
  /** First retry delay in ms (default 1000), doubled for each further retry. */
  backoff: DurationValue;
  /** Undefined means abort (fail the routine, subject to the routine's onError). */
  onError?: StepOnError;
  when?: LoadedCondition;
}

export interface IfBranch extends Located {
  condition: LoadedCondition;
  steps: LoadedStep[];
}

/** Arguments of each action after normalisation (defaults filled in). */
export interface ActionArgs {
  tap: { target: Target };
  longPress: { target: Target; duration: DurationValue };
  swipe: { from: PointValue; to: PointValue; duration: DurationValue };
  text: { text: string };
  /** `BACK` etc. normalised to `KEYCODE_BACK`; a number is a key code; a template is interpolated at run time. */
  key: { key: string | number };
  wait: { duration: DurationValue };
  waitFor: { condition: LoadedCondition; timeout: DurationValue; interval: DurationValue; onTimeout: 'fail' | 'continue' };
  waitStable: { timeout: DurationValue; interval: DurationValue; region?: RegionValue; tolerance: NumberValue; onTimeout: 'fail' | 'continue' };
  /** `if` plus its `elif` branches in order; `else` is [] when absent. */
  if: { branches: IfBranch[]; else: LoadedStep[] };
  while: { condition: LoadedCondition; do: LoadedStep[]; max?: NumberValue; onExhausted: 'fail' | 'continue' };
  until: { condition: LoadedCondition; do: LoadedStep[]; max?: NumberValue; onExhausted: 'fail' | 'continue' };
  repeat: { times: NumberValue; do: LoadedStep[] };
  break: Record<string, never>;
  continue: Record<string, never>;
  call: { routine: string; params: Record<string, ScalarValue>; save: Record<string, string> };
  return: { values: Record<string, ScalarValue> };
  stop: { message?: string };
  fail: { message: string };
  assert: { condition: LoadedCondition; message?: string };
  set: { values: Record<string, ScalarValue> };
  increment: { var: string; by: NumberValue };
  decrement: { var: string; by: NumberValue };
  launchApp: { component?: string };
  stopApp: { package?: string };
  restartApp: { component?: string };
  log: { message: string; level: 'debug' | 'info' | 'warn' | 'error' };
  screenshot: { name?: string };
  checkoutAccount: { onEmpty: 'stop' | 'fail' | 'wait'; save?: string; inject: BoolValue };
  completeAccount: { stats: Record<string, ScalarValue> };
  returnAccount: { reason?: string };
  failAccount: { reason: string };
  updateAccount: { fields: Record<string, ScalarValue>; increment: Record<string, NumberValue> };
  getAccountField: { field: string; save: string; default?: ScalarValue };
}

/** A step after loading: one action, its typed arguments, the common keys, its source range and path. */
export type LoadedStep = { [A in ActionName]: Located & { action: A; args: ActionArgs[A]; common: StepCommon } }[ActionName];
export type StepOf<A extends ActionName> = Extract<LoadedStep, { action: A }>;


export interface ParamSpec {
  type: ParamType;
  default?: ScalarValue;
  description?: string;
  label?: string;
  values?: Array<string | number>;
  min?: NumberValue;
  max?: NumberValue;
  required: boolean;
  range: SourceRange;
}

export interface LoadedSentry extends Located {
  name: string;
  every: DurationValue;
  when: LoadedCondition;
  steps: LoadedStep[];
  then: 'resume' | 'restart' | 'abort';
  cooldown?: DurationValue;
}

export interface OnErrorPolicy {
  action: 'continue' | 'retry' | 'abort' | 'call';
  routine?: string;
  params: Record<string, ScalarValue>;
  /** Routine retries for `retry` (default 1). */
  retries: NumberValue;
  backoff: DurationValue;
  range: SourceRange;
}

export interface StuckConfig {
  noProgress?: DurationValue;
  sameTarget?: { count: NumberValue; window: NumberValue };
  ladder: StuckRung[];
  range: SourceRange;
}

/** Where a value of a routine file is written (and, for a literal duration, the unit the author wrote it in). */
export interface ValueSource {
  range: SourceRange;
  unit?: DurationUnit;
}

export interface LoadedRoutine {
  /** Display name: `name:` or the registry name. */
  name: string;
  /** Registry name (path under routines/ without .yaml), when loaded from a registry. */
  registryName?: string;
  file: string;
  description?: string;
  tags: string[];
  params: Record<string, ParamSpec>;
  vars: Record<string, ScalarValue>;
  app?: string;
  resolution: { width: number; height: number };
  sentries: LoadedSentry[];
  onError?: OnErrorPolicy;
  stuck?: StuckConfig;
  steps: LoadedStep[];
  /** Range of the whole document. */
  range: SourceRange;
  /**
   * The `${var}` strings and literal durations of the file by path (`steps[2].tap.x`): run-time errors about a
   * substituted value are located at the value, and messages repeat a duration in the unit it was written in.
   */
  sources?: ReadonlyMap<string, ValueSource>;
}
