/**
 * What can go wrong while a routine runs, and the control-flow signals of the language.
 *
 * Control flow (`break`, `continue`, `return`, `stop`, a sentry's `restart`) travels as dedicated signal
 * objects that are NOT errors: they propagate through `if` branches and nested blocks untouched, are never
 * wrapped, retried or handed to an `onError` policy, and each is caught only by the construct it targets.
 */
import type { SourceRange } from '../../shared/geometry';
import { FleetError } from '../../shared/errors';

/** Machine-readable codes of routine failures (the UI decides the words). */
export type RoutineErrorCode =
  /** A `${var}` referred to a variable that is not set. */
  | 'missing-variable'
  /** A value had the wrong type after interpolation (for example a non-numeric string in a numeric field). */
  | 'invalid-value'
  /** A step ran longer than its `timeout`. */
  | 'step-timeout'
  /** `waitFor` / `waitStable` did not succeed in time. */
  | 'wait-timeout'
  /** A `while` / `until` loop reached its `max` with `onExhausted: fail`. */
  | 'loop-exhausted'
  /** A tap/longPress on a template that is not on screen. */
  | 'target-not-found'
  /** `call` of a routine the registry does not have. */
  | 'unknown-routine'
  /** An action the interpreter does not know (a loader/interpreter version mismatch). */
  | 'unknown-action'
  /** Calls nested too deep (probably a routine calling itself). */
  | 'call-depth'
  /** The `fail` action. */
  | 'fail'
  /** A sentry ended with `then: abort`. */
  | 'sentry-abort'
  /** A sentry's condition could not be evaluated (a missing variable, a bad value): the routine fails at once. */
  | 'sentry-error'
  /** The stuck-detection ladder ran out of rungs. */
  | 'stuck'
  /** Account actions without an account pool. */
  | 'no-account-pool'
  /** `checkoutAccount` with `onEmpty: fail` found no account. */
  | 'pool-empty'
  /** An account action needs a checked-out account and there is none. */
  | 'no-account'
  /** The pushed account file did not read back identical. */
  | 'inject-failed'
  /** The account port reported an error. */
  | 'account-error'
  /** The device reported an error (offline, timeout, command failed). */
  | 'device'
  /** Vision reported an error (unknown template, bad region, ...). */
  | 'vision'
  /** Saving a screenshot failed. */
  | 'io'
  /** The run was cancelled through its AbortSignal. */
  | 'aborted'
  /** A parameter passed to the routine is invalid or a required one is missing. */
  | 'invalid-param'
  /** The routine (or one it needs) does not load: its file has errors. */
  | 'invalid-routine'
  /** Anything else (an unexpected exception inside an action). */
  | 'internal';

/** A failure of a running routine, located at the step (or field) that caused it. */
export class RoutineError extends FleetError<RoutineErrorCode> {
  constructor(
    code: RoutineErrorCode,
    message: string,
    public range?: SourceRange,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'RoutineError';
  }

  /** Fatal errors end the run at once: no step retry, no onError policy, no routine retry. */
  get fatal(): boolean {
    return FATAL_CODES.has(this.code);
  }
}

const FATAL_CODES: ReadonlySet<RoutineErrorCode> = new Set<RoutineErrorCode>(['aborted', 'sentry-abort', 'sentry-error', 'stuck']);

export function isRoutineError(e: unknown, code?: RoutineErrorCode): e is RoutineError {
  return e instanceof RoutineError && (code === undefined || e.code === code);
}

/** Base of the control-flow signals; never an Error, so nothing mistakes one for a failure. */
export abstract class ControlSignal {
  abstract readonly kind: 'break' | 'continue' | 'return' | 'stop' | 'restart';
}

/** `break`: leaves the innermost loop of the routine it was raised in. */
export class BreakSignal extends ControlSignal {
  readonly kind = 'break';
  constructor(readonly range?: SourceRange) {
    super();
  }
}

/** `continue`: starts the next iteration of the innermost loop. */
export class ContinueSignal extends ControlSignal {
  readonly kind = 'continue';
  constructor(readonly range?: SourceRange) {
    super();
  }
}

/** `return`: ends the current routine (not its caller) with values for the caller's `save`. */
export class ReturnSignal extends ControlSignal {
  readonly kind = 'return';
  constructor(readonly values: Record<string, unknown>) {
    super();
  }
}

/** Why a routine run stopped early but successfully (a bot's or a group's StopReason is in src/shared/fleetTypes.ts). */
export type RoutineStopReason = 'stop' | 'pool-empty';

/** `stop`: ends the whole run successfully, whatever the call depth. */
export class StopSignal extends ControlSignal {
  readonly kind = 'stop';
  constructor(
    readonly message?: string,
    readonly reason: RoutineStopReason = 'stop',
  ) {
    super();
  }
}

/** A sentry ended with `then: restart`: the routine that declared it starts its steps again. */
export class RestartSignal extends ControlSignal {
  readonly kind = 'restart';
  constructor(readonly sentry: string, readonly owner: object) {
    super();
  }
}

export function isControlSignal(e: unknown): e is ControlSignal {
  return e instanceof ControlSignal;
}

/** The run was cancelled (the caller's AbortSignal fired). Stops everything; never retried. */
export class RoutineAbortedError extends RoutineError {
  constructor(message = 'the routine was cancelled') {
    super('aborted', message);
    this.name = 'RoutineAbortedError';
  }
}
