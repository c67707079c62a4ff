/**
 * `${var}` substitution at run time, typed after substitution: a numeric field written `"${n}"` becomes a
 * number, a duration field `"${d}"` a number of milliseconds, and a value that does not fit is a located
 * `invalid-value` error. A missing variable is a located `missing-variable` error. The grammar is the one the
 * loader checks (`interpolationSyntax.ts`).
 */
import type { SourceRange } from '../../shared/geometry';
import { durationProblem, parseDuration } from './durations';
import { interpolateWith } from './interpolationSyntax';
import { RoutineError } from './errors';
import type { ValueSource } from './loadedTypes';
import { boolFrom, boolProblem, describe, numberFrom, numberProblem, type NumberRule } from './valueRules';
import { toText } from './variables';

/**
 * Where the value at `path` (`steps[2].tap.x`) is written when it is a `${var}` string, so that an error about
 * the substituted value is located at the value; `fallback` (the step, the condition) otherwise.
 */
export function valueRange(routine: { sources?: ReadonlyMap<string, ValueSource> }, path: string, fallback: SourceRange): SourceRange {
  return routine.sources?.get(path)?.range ?? fallback;
}

/** Ranges of the values under one base path (a step's action, a condition): `at('x')`. */
export type ValueLocator = (rel: string) => SourceRange;

/** Looks a variable up; undefined when it is not set. */
export type VariableLookup = (name: string) => unknown;

/** Substitutes the variables of one string (keeping the value's type when the string is exactly `${name}`). */
export function interpolateString(s: string, lookup: VariableLookup, range?: SourceRange, what?: string): unknown {
  if (!s.includes('${')) {
    return s;
  }
  const r = interpolateWith(s, lookup);
  if (r.ok) {
    return r.value;
  }
  if (r.error) {
    throw new RoutineError('invalid-value', `${what ? `${what}: ` : ''}${r.error.message} in '${s}'`, range);
  }
  const names = r.missing.map((m) => `'${m}'`).join(', ');
  throw new RoutineError('missing-variable', `${what ? `${what}: ` : ''}variable ${names} is not set (in '${s}')`, range);
}

/** Deep substitution: every string inside lists and maps. Other values are returned as they are (copied). */
export function interpolateDeep(value: unknown, lookup: VariableLookup, range?: SourceRange, what?: string): unknown {
  if (typeof value === 'string') {
    return interpolateString(value, lookup, range, what);
  }
  if (Array.isArray(value)) {
    return value.map((v) => interpolateDeep(v, lookup, range, what));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = interpolateDeep(v, lookup, range, what ? `${what}.${k}` : k);
    }
    return out;
  }
  return value;
}

/** `what: message (from '${x}')`: a problem with a value, naming the template it came from. */
function valueError(what: string, problem: string, raw: unknown, v: unknown, range?: SourceRange): RoutineError {
  const from = typeof raw === 'string' && raw !== v ? ` (from '${raw}')` : '';
  return new RoutineError('invalid-value', `${what}: ${problem}${from}`, range);
}

/** A numeric field: a number, or text that reads as one, after substitution ({@link numberProblem}). */
export function resolveNumber(value: unknown, lookup: VariableLookup, what: string, range?: SourceRange, c: NumberRule = {}): number {
  const v = typeof value === 'string' ? interpolateString(value, lookup, range, what) : value;
  const problem = numberProblem(v, c);
  if (problem !== undefined) {
    throw valueError(what, problem, value, v, range);
  }
  return numberFrom(v)!;
}

/** A duration field: milliseconds, or `250ms`/`2s`/`1m` text, after substitution ({@link durationProblem}). */
export function resolveDuration(value: unknown, lookup: VariableLookup, what: string, range?: SourceRange): number {
  const v = typeof value === 'string' ? interpolateString(value, lookup, range, what) : value;
  const problem = durationProblem(v);
  if (problem !== undefined) {
    throw valueError(what, problem, value, v, range);
  }
  return parseDuration(v)!;
}

/** A string field (numbers and booleans are converted to text). */
export function resolveString(value: unknown, lookup: VariableLookup, what: string, range?: SourceRange): string {
  const v = typeof value === 'string' ? interpolateString(value, lookup, range, what) : value;
  if (v === undefined) {
    throw new RoutineError('invalid-value', `${what}: missing value`, range);
  }
  if (typeof v === 'object' && v !== null) {
    throw new RoutineError('invalid-value', `${what}: expected text, got ${describe(v)}`, range);
  }
  return toText(v);
}

/** A boolean field: true/false, or the text "true"/"false", after substitution ({@link boolProblem}). */
export function resolveBool(value: unknown, lookup: VariableLookup, what: string, range?: SourceRange): boolean {
  const v = typeof value === 'string' ? interpolateString(value, lookup, range, what) : value;
  const problem = boolProblem(v);
  if (problem !== undefined) {
    throw valueError(what, problem, value, v, range);
  }
  return boolFrom(v)!;
}

export { describe };
