/**
 * `${var}` substitution at run time, typed after substitution: a numeric field written `"${n}"` becomes a
 * number, a duration field `"${d}"` a number of milliseconds, and a value that does not fit is a located
 * `invalid-value` error. A missing variable is a located `missing-variable` error. The grammar is the one the
 * loader checks (`interpolationSyntax.ts`).
 */
import type { SourceRange } from '../../shared/geometry';
import { parseDuration } from './durations';
import { interpolateWith } from './interpolationSyntax';
import { RoutineError } from './errors';
import { toNumber, toText } from './variables';

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

export interface NumberConstraints {
  int?: boolean;
  min?: number;
  max?: number;
}

/** A numeric field: a number, or a string that is a number after substitution. */
export function resolveNumber(value: unknown, lookup: VariableLookup, what: string, range?: SourceRange, c: NumberConstraints = {}): number {
  const v = typeof value === 'string' ? interpolateString(value, lookup, range, what) : value;
  const n = toNumber(v);
  if (n === undefined) {
    throw new RoutineError('invalid-value', `${what}: expected a number, got ${describe(v)}${typeof value === 'string' && value !== v ? ` (from '${value}')` : ''}`, range);
  }
  if (c.int && !Number.isInteger(n)) {
    throw new RoutineError('invalid-value', `${what}: expected an integer, got ${n}`, range);
  }
  if (c.min !== undefined && n < c.min) {
    throw new RoutineError('invalid-value', `${what}: expected at least ${c.min}, got ${n}`, range);
  }
  if (c.max !== undefined && n > c.max) {
    throw new RoutineError('invalid-value', `${what}: expected at most ${c.max}, got ${n}`, range);
  }
  return n;
}

/** A duration field: milliseconds, or `250ms`/`2s`/`1m` text, after substitution. */
export function resolveDuration(value: unknown, lookup: VariableLookup, what: string, range?: SourceRange): number {
  const v = typeof value === 'string' ? interpolateString(value, lookup, range, what) : value;
  const ms = parseDuration(v);
  if (ms === undefined) {
    throw new RoutineError('invalid-value', `${what}: expected a duration like '250ms', '2s', '1m' or a number of milliseconds, got ${describe(v)}`, range);
  }
  return ms;
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

/** A boolean field: true/false, or "true"/"false" (also "1"/"0", "yes"/"no") after substitution. */
export function resolveBool(value: unknown, lookup: VariableLookup, what: string, range?: SourceRange): boolean {
  const v = typeof value === 'string' ? interpolateString(value, lookup, range, what) : value;
  if (typeof v === 'boolean') {
    return v;
  }
  if (typeof v === 'number') {
    return v !== 0;
  }
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true' || t === '1' || t === 'yes') {
      return true;
    }
    if (t === 'false' || t === '0' || t === 'no' || t === '') {
      return false;
    }
  }
  throw new RoutineError('invalid-value', `${what}: expected true or false, got ${describe(v)}`, range);
}

/** A short description of a value for messages. */
export function describe(v: unknown): string {
  if (v === undefined) {
    return 'nothing';
  }
  if (typeof v === 'string') {
    return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
  }
  if (Array.isArray(v)) {
    return 'a list';
  }
  if (v !== null && typeof v === 'object') {
    return 'a map';
  }
  return String(v);
}
