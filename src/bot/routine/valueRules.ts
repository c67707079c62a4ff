/**
 * The checks of typed values, shared by the loader (literal values, through the schema) and the interpreter
 * (values after `${var}` substitution): one rule for both, so a value that validates literally also runs, and a
 * substituted value is refused exactly when the same literal would be.
 *
 * - Numbers: a number, or text that reads as a decimal number (`12`, `"12"`, `" -3.5 "`, `1e3`); not `0x10`,
 *   `Infinity` or an empty text.
 * - Booleans: `true`/`false`, or the text `"true"`/`"false"` (any case).
 * - Durations: see durations.ts.
 */
import { durationProblem } from './durations';

/** A value of the routine language, for messages: `'abc'`, `12`, `a list`, `nothing`. */
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
  if (typeof v === 'number' && Number.isNaN(v)) {
    return 'NaN (.nan)';
  }
  return String(v);
}

/** Text that reads as a decimal number (surrounding spaces allowed). */
export const NUMBER_TEXT_RE = /^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** The number a value stands for (a finite number, or decimal text); undefined otherwise. */
export function numberFrom(v: unknown): number | undefined {
  if (typeof v === 'number') {
    return Number.isFinite(v) ? v : undefined;
  }
  if (typeof v === 'string' && NUMBER_TEXT_RE.test(v)) {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** The boolean a value stands for (`true`/`false`, or that text in any case); undefined otherwise. */
export function boolFrom(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') {
    return v;
  }
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') {
      return true;
    }
    if (t === 'false') {
      return false;
    }
  }
  return undefined;
}

/** What a numeric field accepts. */
export interface NumberRule {
  int?: boolean;
  min?: number;
  max?: number;
  /** Exclusive lower bound 0 (sizes). */
  positive?: boolean;
}

/** The rules of the numeric fields, used by the schema and by the interpreter. */
export const RULES = {
  /** A point's x or y (tap, longPress, swipe, colour point). */
  coordinate: { min: 0 },
  /** A region's or colour area's x or y. */
  edge: { min: 0 },
  /** A region's w or h. */
  size: { positive: true },
  /** An offset added to a match centre (may be negative). */
  offset: {},
  threshold: { min: 0, max: 1 },
  colorTolerance: { min: 0, max: 255 },
  stableTolerance: { min: 0, max: 1 },
  retries: { int: true, min: 0, max: 1000 },
  repeat: { int: true, min: 0 },
  loopMax: { int: true, min: 1 },
  sameTargetCount: { int: true, min: 2 },
  sameTargetWindow: { int: true, min: 1 },
  any: {},
} as const satisfies Record<string, NumberRule>;

/** `an integer >= 0`, `a number from 0 to 1`, `a number > 0`. */
export function describeNumberRule(o: NumberRule): string {
  let s = o.int ? 'an integer' : 'a number';
  if (o.positive) {
    s += ' > 0';
  } else if (o.min !== undefined && o.max !== undefined) {
    s += ` from ${o.min} to ${o.max}`;
  } else if (o.min !== undefined) {
    s += ` >= ${o.min}`;
  } else if (o.max !== undefined) {
    s += ` <= ${o.max}`;
  }
  return s;
}

/** Why `v` does not fit the rule (`expected an integer >= 0, got -3`), or undefined when it does. */
export function numberProblem(v: unknown, rule: NumberRule): string | undefined {
  const n = numberFrom(v);
  const ok =
    n !== undefined &&
    (!rule.int || Number.isInteger(n)) &&
    (!rule.positive || n > 0) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.max === undefined || n <= rule.max);
  return ok ? undefined : `expected ${describeNumberRule(rule)}, got ${describe(v)}`;
}

/** Why `v` is not a boolean, or undefined. */
export function boolProblem(v: unknown): string | undefined {
  return boolFrom(v) === undefined ? `expected true or false, got ${describe(v)}` : undefined;
}

export { durationProblem };
