/**
 * The one check of the parameters given to a routine: by a `call:` step (the routine's static checks, and the
 * interpreter when it binds them) and by a group definition's `routineConfig`. One function, so the messages are
 * the same wherever a routine gets its parameters.
 */
import type { ParamSpec } from './loadedTypes';
import { boolFrom, numberFrom } from './valueRules';
import { suggest } from './valueSchemas';
import { hasInterpolation } from './interpolationSyntax';

/**
 * What a value of parameter type `spec.type` must be, when `v` is not one (`'an integer'`, `'one of "a", "b"'`);
 * undefined when it fits. `stringExpectation` words the string case (routine files add "(quote it)").
 */
export function paramTypeProblem(spec: Pick<ParamSpec, 'type' | 'values'>, v: unknown, stringExpectation = 'a string'): string | undefined {
  switch (spec.type) {
    case 'string':
      return typeof v === 'string' ? undefined : stringExpectation;
    case 'int': {
      const n = numberFrom(v);
      return n !== undefined && Number.isInteger(n) ? undefined : 'an integer';
    }
    case 'number':
      return numberFrom(v) !== undefined ? undefined : 'a number';
    case 'bool':
      return boolFrom(v) !== undefined ? undefined : 'true or false';
    case 'enum':
      return spec.values && !spec.values.some((x) => x === v) ? `one of ${spec.values.map((x) => JSON.stringify(x)).join(', ')}` : undefined;
  }
}

/** How routine files word a value that should be a string. */
export const QUOTED_STRING = 'a string (quote it)';

export type CallParamCode = 'unknown-param' | 'wrong-param-type' | 'param-out-of-range' | 'missing-param';

export interface CallParamProblem {
  code: CallParamCode;
  /** The given parameter it is about; absent for `missing-param` (it is about the call, or the routine name). */
  key?: string;
  message: string;
}

/** `routine 'r' has no parameter 'k'` with a hint: the closest name, or the names it has. */
export function unknownParamMessage(routine: string, key: string, params: Record<string, unknown>): string {
  const names = Object.keys(params);
  const hint = suggest(key, names);
  return `routine '${routine}' has no parameter '${key}'${hint ? ` (did you mean '${hint}'?)` : names.length ? ` (it has: ${names.join(', ')})` : ' (it has none)'}`;
}

/** `routine 'r' needs parameter 'a'` (the routine's name is quoted first: the language server's quick fix reads it). */
export function missingParamsMessage(routine: string, missing: readonly string[]): string {
  return `routine '${routine}' needs parameter${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`;
}

/**
 * The problems of `given` as the parameters of routine `routine` with parameters `params`: unknown names, values
 * of the wrong type or out of range (values with `${}` are checked when they run), required ones missing.
 */
export function callParamProblems(routine: string, params: Record<string, ParamSpec>, given: Record<string, unknown>, opts: { stringExpectation?: string } = {}): CallParamProblem[] {
  const out: CallParamProblem[] = [];
  for (const [k, v] of Object.entries(given)) {
    const spec = params[k];
    if (!spec) {
      out.push({ code: 'unknown-param', key: k, message: unknownParamMessage(routine, k, params) });
      continue;
    }
    if (typeof v === 'string' && hasInterpolation(v)) {
      continue;
    }
    const expected = v === null ? 'not null' : paramTypeProblem(spec, v, opts.stringExpectation);
    if (expected) {
      out.push({ code: 'wrong-param-type', key: k, message: `parameter '${k}' of '${routine}' must be ${expected}, got ${JSON.stringify(v)}` });
    } else if ((spec.type === 'int' || spec.type === 'number') && numberFrom(v) !== undefined) {
      const n = numberFrom(v)!;
      if (typeof spec.min === 'number' && n < spec.min) {
        out.push({ code: 'param-out-of-range', key: k, message: `parameter '${k}' of '${routine}' is below its min ${spec.min}` });
      }
      if (typeof spec.max === 'number' && n > spec.max) {
        out.push({ code: 'param-out-of-range', key: k, message: `parameter '${k}' of '${routine}' is above its max ${spec.max}` });
      }
    }
  }
  const missing = Object.entries(params)
    .filter(([k, spec]) => spec.required && spec.default === undefined && !(k in given))
    .map(([k]) => k);
  if (missing.length) {
    out.push({ code: 'missing-param', message: missingParamsMessage(routine, missing) });
  }
  return out;
}
