/**
 * Evaluation of routine conditions (`image`, `notImage`, `any`, `all`, `none`, `not`, `var`, `color`,
 * `appInForeground`, `elapsed`). The screen is read through the environment's frame source (the run's frame
 * cache), so every condition of one decision looks at the same screenshot.
 */
import type { Rect, Size } from '../../shared/geometry';
import type { ColorResult, ColorSpec, MatchResult } from '../vision/types';
import { RoutineError } from './errors';
import { compilePattern, PatternError } from './linearRegex';
import { describe, interpolateString, resolveDuration, resolveNumber, resolveString, valueRange, type ValueLocator, type VariableLookup } from './interpolate';
import { RULES } from './valueRules';
import type { ComparisonOp } from './actionCatalogue';
import type { LoadedCondition, LoadedRoutine, RegionValue } from './loadedTypes';
import { isTruthy, toNumber, toText } from './variables';

/** What evaluating a condition needs from the running routine. */
export interface ConditionEnv {
  lookup: VariableLookup;
  /** Template match on the current (cached) frame; `region` is at the routine's reference resolution. */
  find(template: string, opts: { threshold?: number; region?: Rect }, cond: LoadedCondition): Promise<MatchResult>;
  /** Colour check on the current (cached) frame. */
  checkColor(spec: ColorSpec, cond: LoadedCondition): Promise<ColorResult>;
  isAppInForeground(pkg: string, cond: LoadedCondition): Promise<boolean>;
  now(): number;
  /** Clock time the current routine started. */
  routineStartedAt: number;
  /** Clock time the current step started. */
  stepStartedAt: number;
  /** The routine's reference resolution (coordinates in conditions are at this size). */
  referenceSize: Size;
  /** Where the routine's `${var}` values are written (errors about them are located at the value). */
  sources?: LoadedRoutine['sources'];
}

/** Evaluates a condition; throws a located RoutineError for missing variables or bad values. */
export async function evaluateCondition(cond: LoadedCondition, env: ConditionEnv): Promise<boolean> {
  const at: ValueLocator = (rel) => (env.sources ? valueRange({ sources: env.sources }, `${cond.path}.${rel}`, cond.range) : cond.range);
  switch (cond.kind) {
    case 'image':
    case 'notImage': {
      const template = resolveString(cond.template, env.lookup, `${cond.kind} template`, cond.range);
      const threshold = cond.threshold === undefined ? undefined : resolveNumber(cond.threshold, env.lookup, 'threshold', at(`${cond.kind}.threshold`), RULES.threshold);
      const region = cond.region ? resolveRegion(cond.region, env.lookup, (k) => at(`${cond.kind}.region.${k}`)) : undefined;
      const r = await env.find(template, { threshold, region }, cond);
      return cond.kind === 'image' ? r.found : !r.found;
    }
    case 'any':
      for (const c of cond.conditions) {
        if (await evaluateCondition(c, env)) {
          return true;
        }
      }
      return false;
    case 'all':
      for (const c of cond.conditions) {
        if (!(await evaluateCondition(c, env))) {
          return false;
        }
      }
      return true;
    case 'none':
      for (const c of cond.conditions) {
        if (await evaluateCondition(c, env)) {
          return false;
        }
      }
      return true;
    case 'not':
      return !(await evaluateCondition(cond.condition, env));
    case 'var':
      return evaluateVar(cond, env);
    case 'color': {
      const color = resolveString(cond.color, env.lookup, 'color', cond.range);
      if (!/^#[0-9a-fA-F]{6}$/.test(color)) {
        throw new RoutineError('invalid-value', `color: expected '#rrggbb', got ${describe(color)}`, cond.range);
      }
      const tolerance = resolveNumber(cond.tolerance, env.lookup, 'tolerance', at('color.tolerance'), RULES.colorTolerance);
      const pos = cond.at;
      const x = resolveNumber(pos.x, env.lookup, 'at.x', at('color.at.x'), RULES.edge);
      const y = resolveNumber(pos.y, env.lookup, 'at.y', at('color.at.y'), RULES.edge);
      const where =
        'w' in pos && 'h' in pos
          ? { x, y, w: resolveNumber(pos.w, env.lookup, 'at.w', at('color.at.w'), RULES.size), h: resolveNumber(pos.h, env.lookup, 'at.h', at('color.at.h'), RULES.size) }
          : { x, y };
      const r = await env.checkColor({ color, tolerance, at: where, referenceSize: env.referenceSize }, cond);
      return r.ok;
    }
    case 'appInForeground': {
      const pkg = resolveString(cond.package, env.lookup, 'appInForeground', cond.range);
      return env.isAppInForeground(pkg.split('/')[0], cond);
    }
    case 'elapsed':
      return evaluateElapsed(cond, env);
  }
}

function resolveRegion(r: RegionValue, lookup: VariableLookup, at: ValueLocator): Rect {
  return {
    x: resolveNumber(r.x, lookup, 'region.x', at('x'), RULES.edge),
    y: resolveNumber(r.y, lookup, 'region.y', at('y'), RULES.edge),
    w: resolveNumber(r.w, lookup, 'region.w', at('w'), RULES.size),
    h: resolveNumber(r.h, lookup, 'region.h', at('h'), RULES.size),
  };
}

function evaluateVar(cond: Extract<LoadedCondition, { kind: 'var' }>, env: ConditionEnv): boolean {
  const value = env.lookup(cond.name);
  if (value === undefined) {
    throw new RoutineError('missing-variable', `variable '${cond.name}' is not set`, cond.range);
  }
  if (cond.comparisons.length === 0) {
    return isTruthy(value);
  }
  for (const c of cond.comparisons) {
    const operand = typeof c.value === 'string' ? interpolateString(c.value, env.lookup, cond.range, `${c.op}`) : c.value;
    if (!compare(value, c.op, operand, cond)) {
      return false;
    }
  }
  return true;
}

/** One comparison of the `var` condition. Numbers compare as numbers when both sides are numeric. */
export function compare(value: unknown, op: ComparisonOp, operand: unknown, cond?: LoadedCondition): boolean {
  switch (op) {
    case 'eq':
      return looselyEqual(value, operand);
    case 'ne':
      return !looselyEqual(value, operand);
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le': {
      const a = toNumber(value);
      const b = toNumber(operand);
      if (a === undefined || b === undefined) {
        throw new RoutineError(
          'invalid-value',
          `'${op}' compares numbers, got ${describe(a === undefined ? value : operand)}${cond && cond.kind === 'var' ? ` (variable '${cond.name}')` : ''}`,
          cond?.range,
        );
      }
      return op === 'gt' ? a > b : op === 'ge' ? a >= b : op === 'lt' ? a < b : a <= b;
    }
    case 'contains':
      return toText(value).includes(toText(operand));
    case 'startsWith':
      return toText(value).startsWith(toText(operand));
    case 'endsWith':
      return toText(value).endsWith(toText(operand));
    case 'matches':
      // A linear-time engine: no pattern can block the event loop (see linearRegex.ts).
      try {
        return compilePattern(toText(operand)).test(toText(value));
      } catch (e) {
        if (e instanceof PatternError) {
          throw new RoutineError('invalid-value', `matches: ${e.message} (in '${toText(operand)}')`, cond?.range);
        }
        throw e;
      }
  }
}

function looselyEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (a === null || b === null || a === undefined || b === undefined) {
    return false;
  }
  const na = toNumber(a);
  const nb = toNumber(b);
  if (na !== undefined && nb !== undefined) {
    return na === nb;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    return toText(a).trim().toLowerCase() === toText(b).trim().toLowerCase();
  }
  return toText(a) === toText(b);
}

function evaluateElapsed(cond: Extract<LoadedCondition, { kind: 'elapsed' }>, env: ConditionEnv): boolean {
  let since: number;
  if (cond.since === 'routine' || cond.since === '') {
    since = env.routineStartedAt;
  } else if (cond.since === 'step') {
    since = env.stepStartedAt;
  } else {
    const v = env.lookup(cond.since);
    if (v === undefined) {
      throw new RoutineError('missing-variable', `elapsed.since: variable '${cond.since}' is not set`, cond.range);
    }
    const t = toNumber(v);
    if (t === undefined) {
      throw new RoutineError('invalid-value', `elapsed.since: variable '${cond.since}' does not hold a clock time (got ${describe(v)})`, cond.range);
    }
    since = t;
  }
  const elapsed = env.now() - since;
  for (const c of cond.comparisons) {
    const ms = resolveDuration(c.value, env.lookup, `elapsed.${c.op}`, cond.range);
    const ok = c.op === 'gt' ? elapsed > ms : c.op === 'ge' ? elapsed >= ms : c.op === 'lt' ? elapsed < ms : elapsed <= ms;
    if (!ok) {
      return false;
    }
  }
  return true;
}
