/**
 * Static checks of loaded routines, each reported as a located diagnostic:
 * - single file (run by the loader): `break`/`continue` outside a loop, `return` in a sentry, parameter
 *   definitions (types of defaults, enum values, min/max), duplicate step ids, unreachable steps, variables
 *   used but never defined (warning);
 * - cross-file (run by the registry and workspace validation): unknown called routine, unknown or missing
 *   parameters and wrongly typed literal parameter values of `call`, values `save`d but never returned,
 *   unknown template names, call cycles (warning).
 */
import type { Diagnostic, SourceRange } from '../../shared/geometry';
import { diagnosticAt, type ParsedYaml, type PathKey } from '../../shared/yamlSource';
import { hasInterpolation, parseInterpolation } from './interpolationSyntax';
import { forEachScalarValue, formatPath, parsePath } from './paths';
import { SYSTEM_VARIABLES, type LoadedCondition, type LoadedRoutine, type LoadedStep, type ParamSpec, type ScalarValue } from './schema';
import { suggest } from './valueSchemas';

/** Anything that can tell whether a template name exists (the template registry). */
export interface TemplateLookup {
  has(name: string): boolean;
}

/** Anything that can resolve routine names (the routine registry). */
export interface RoutineLookup {
  /** True when a routine file with this registry name exists (valid or not). */
  has(name: string): boolean;
  /** The loaded routine when its file is valid. */
  routine(name: string): LoadedRoutine | undefined;
  names(): string[];
}

function fromRange(range: SourceRange, message: string, code: string, severity: 'error' | 'warning' = 'error'): Diagnostic {
  return { file: range.file, line: range.start.line, col: range.start.col, endLine: range.end.line, endCol: range.end.col, severity, message, code };
}

// ---------------------------------------------------------------------------------------------------------
// Walking
// ---------------------------------------------------------------------------------------------------------

export interface StepContext {
  /** Number of enclosing loops (while/until/repeat) of this routine. */
  loopDepth: number;
  /** Index of the sentry whose steps these are, when inside one. */
  sentry?: number;
}

/** Children step lists of a step (then/elif/else/do). */
export function childStepLists(step: LoadedStep): Array<{ steps: LoadedStep[]; loop: boolean }> {
  switch (step.action) {
    case 'if':
      return [...step.args.branches.map((b) => ({ steps: b.steps, loop: false })), { steps: step.args.else, loop: false }];
    case 'while':
    case 'until':
    case 'repeat':
      return [{ steps: step.args.do, loop: true }];
    default:
      return [];
  }
}

/** Visits every step of the routine (main steps, then each sentry's steps), depth first, in source order. */
export function walkSteps(routine: LoadedRoutine, visitor: (step: LoadedStep, ctx: StepContext) => void): void {
  const walk = (steps: LoadedStep[], ctx: StepContext) => {
    for (const s of steps) {
      visitor(s, ctx);
      for (const child of childStepLists(s)) {
        walk(child.steps, { ...ctx, loopDepth: ctx.loopDepth + (child.loop ? 1 : 0) });
      }
    }
  };
  walk(routine.steps, { loopDepth: 0 });
  routine.sentries.forEach((s, i) => walk(s.steps, { loopDepth: 0, sentry: i }));
}

/** Every condition of a step (its `when`, its own condition(s)), without descending into child steps. */
export function stepConditions(step: LoadedStep): LoadedCondition[] {
  const out: LoadedCondition[] = [];
  if (step.common.when) {
    out.push(step.common.when);
  }
  switch (step.action) {
    case 'if':
      out.push(...step.args.branches.map((b) => b.condition));
      break;
    case 'while':
    case 'until':
    case 'waitFor':
    case 'assert':
      out.push(step.args.condition);
      break;
    default:
      break;
  }
  return out;
}

/** Visits a condition and all its sub-conditions. */
export function walkCondition(c: LoadedCondition, visitor: (c: LoadedCondition) => void): void {
  visitor(c);
  if (c.kind === 'any' || c.kind === 'all' || c.kind === 'none') {
    c.conditions.forEach((x) => walkCondition(x, visitor));
  } else if (c.kind === 'not') {
    walkCondition(c.condition, visitor);
  }
}

/** Every condition of the routine: step conditions and sentry `when`s. */
export function walkAllConditions(routine: LoadedRoutine, visitor: (c: LoadedCondition) => void): void {
  walkSteps(routine, (s) => stepConditions(s).forEach((c) => walkCondition(c, visitor)));
  routine.sentries.forEach((s) => walkCondition(s.when, visitor));
}

// ---------------------------------------------------------------------------------------------------------
// Single-file checks
// ---------------------------------------------------------------------------------------------------------

const TERMINAL_ACTIONS = new Set(['break', 'continue', 'return', 'stop', 'fail']);

/** Checks that need only the routine itself. */
export function checkRoutineFile(routine: LoadedRoutine, parsed: ParsedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  out.push(...checkParams(routine, parsed));

  // break / continue outside loops, return in sentries, duplicate ids
  const ids = new Map<string, LoadedStep>();
  walkSteps(routine, (step, ctx) => {
    if ((step.action === 'break' || step.action === 'continue') && ctx.loopDepth === 0) {
      out.push(
        fromRange(
          step.range,
          `${step.path}: '${step.action}' is outside any loop${ctx.sentry !== undefined ? ' of this sentry' : ''} (it must be inside the do: of a while, until or repeat)`,
          'break-outside-loop',
        ),
      );
    }
    if (step.action === 'return' && ctx.sentry !== undefined) {
      out.push(fromRange(step.range, `${step.path}: 'return' is not allowed in a sentry (use the sentry's then: resume | restart | abort)`, 'return-in-sentry'));
    }
    if (step.common.id !== undefined) {
      const first = ids.get(step.common.id);
      if (first) {
        out.push(
          diagnosticAt(parsed, [...parsePath(step.path), 'id'], `duplicate step id '${step.common.id}' (also used at line ${first.range.start.line})`, 'duplicate-id'),
        );
      } else {
        ids.set(step.common.id, step);
      }
    }
  });

  // unreachable steps after an unconditional break/continue/return/stop/fail
  const lists: LoadedStep[][] = [routine.steps, ...routine.sentries.map((s) => s.steps)];
  walkSteps(routine, (s) => childStepLists(s).forEach((c) => lists.push(c.steps)));
  for (const list of lists) {
    const i = list.findIndex((s) => TERMINAL_ACTIONS.has(s.action) && !s.common.when && s.common.onError === undefined);
    if (i >= 0 && i < list.length - 1) {
      const next = list[i + 1];
      out.push(fromRange(next.range, `${next.path}: unreachable step (after '${list[i].action}' at line ${list[i].range.start.line})`, 'unreachable', 'warning'));
    }
  }

  if (routine.steps.length === 0) {
    out.push(diagnosticAt(parsed, ['steps'], 'the routine has no steps', 'no-steps', 'warning'));
  }

  out.push(...checkVariables(routine, parsed));
  return out;
}

/**
 * What a value of parameter type `spec.type` must be, when `v` is not one (`'an integer'`, `'one of "a", "b"'`);
 * undefined when it fits. `stringExpectation` words the string case (routine files add "(quote it)").
 */
export function paramTypeProblem(spec: Pick<ParamSpec, 'type' | 'values'>, v: unknown, stringExpectation = 'a string'): string | undefined {
  switch (spec.type) {
    case 'string':
      return typeof v === 'string' ? undefined : stringExpectation;
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? undefined : 'an integer';
    case 'number':
      return typeof v === 'number' ? undefined : 'a number';
    case 'bool':
      return typeof v === 'boolean' ? undefined : 'true or false';
    case 'enum':
      return spec.values && !spec.values.some((x) => x === v) ? `one of ${spec.values.map((x) => JSON.stringify(x)).join(', ')}` : undefined;
  }
}

/** How routine files word a value that should be a string. */
const QUOTED_STRING = 'a string (quote it)';

function checkParams(routine: LoadedRoutine, parsed: ParsedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, p] of Object.entries(routine.params)) {
    const at = (key: string, msg: string, code: string, severity: 'error' | 'warning' = 'error') =>
      out.push(diagnosticAt(parsed, ['params', name, key], `params.${name}.${key}: ${msg}`, code, severity));
    if (p.type === 'enum' && !p.values) {
      at('type', "an enum parameter needs 'values'", 'enum-without-values');
    }
    if (p.type !== 'enum' && p.values) {
      at('values', "'values' only applies to type: enum", 'values-without-enum');
    }
    if ((p.min !== undefined || p.max !== undefined) && p.type !== 'int' && p.type !== 'number') {
      at(p.min !== undefined ? 'min' : 'max', "'min' and 'max' only apply to int and number parameters", 'range-on-non-number');
    }
    if (typeof p.min === 'number' && typeof p.max === 'number' && p.min > p.max) {
      at('min', `min (${p.min}) is greater than max (${p.max})`, 'min-above-max');
    }
    if (p.default !== undefined) {
      if (typeof p.default === 'string' && hasInterpolation(p.default)) {
        at('default', 'a default may not contain ${...}', 'interpolated-default');
      } else if (p.default === null) {
        at('default', 'a default may not be null (leave it out)', 'wrong-default-type');
      } else {
        const expected = paramTypeProblem(p, p.default, QUOTED_STRING);
        if (expected) {
          at('default', `the default of a ${p.type} parameter must be ${expected}, got ${JSON.stringify(p.default)}`, 'wrong-default-type');
        } else if (typeof p.default === 'number') {
          if (typeof p.min === 'number' && p.default < p.min) {
            at('default', `the default ${p.default} is below min ${p.min}`, 'default-out-of-range');
          }
          if (typeof p.max === 'number' && p.default > p.max) {
            at('default', `the default ${p.default} is above max ${p.max}`, 'default-out-of-range');
          }
        }
      }
      if (p.required) {
        at('required', 'a parameter with a default is never missing: required has no effect', 'required-with-default', 'warning');
      }
    }
    if (p.type === 'enum' && p.values) {
      const seen = new Set<string | number>();
      for (const v of p.values) {
        if (seen.has(v)) {
          at('values', `duplicate value ${JSON.stringify(v)}`, 'duplicate-enum-value');
        }
        seen.add(v);
      }
    }
    if (name in routine.vars) {
      out.push(diagnosticAt(parsed, ['vars', name], `vars.${name} has the name of a parameter and overrides it`, 'var-shadows-param', 'warning', 'key'));
    }
  }
  return out;
}

/** Paths whose strings are documentation (never interpolated). */
function isDocPath(path: readonly PathKey[]): boolean {
  return (
    (path.length === 1 && (path[0] === 'description' || path[0] === 'name')) ||
    path[0] === 'tags' ||
    (path[0] === 'params' && path.length === 3 && (path[2] === 'description' || path[2] === 'label'))
  );
}

/** Variable names the routine defines anywhere (params, vars, set, increment, save...) plus system ones. */
export function definedVariables(routine: LoadedRoutine): Set<string> {
  const defined = new Set<string>([...SYSTEM_VARIABLES, ...Object.keys(routine.params), ...Object.keys(routine.vars)]);
  walkSteps(routine, (s) => {
    switch (s.action) {
      case 'set':
        Object.keys(s.args.values).forEach((k) => defined.add(k));
        break;
      case 'increment':
      case 'decrement':
        defined.add(s.args.var);
        break;
      case 'call':
        Object.keys(s.args.save).forEach((k) => defined.add(k));
        break;
      case 'checkoutAccount':
        if (s.args.save) {
          defined.add(s.args.save);
        }
        break;
      case 'getAccountField':
        defined.add(s.args.save);
        break;
      default:
        break;
    }
  });
  return defined;
}

function checkVariables(routine: LoadedRoutine, parsed: ParsedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  const defined = definedVariables(routine);
  const warn = (name: string, d: Diagnostic) => {
    const hint = suggest(name, [...defined]);
    out.push({ ...d, severity: 'warning', code: 'undefined-variable', message: `${d.message}variable '${name}' is never defined in this routine${hint ? ` (did you mean '${hint}'?)` : ''}` });
  };
  // ${name} references in every string value
  forEachScalarValue(parsed.doc.contents, (node, path) => {
    if (typeof node.value !== 'string' || !node.value.includes('${') || isDocPath(path)) {
      return;
    }
    const r = parseInterpolation(node.value);
    if (!r.ok) {
      return;
    }
    for (const p of r.parts) {
      if (typeof p !== 'string' && !defined.has(p.name)) {
        warn(p.name, { ...diagnosticAt(parsed, path, ''), message: `${formatPath(path)}: ` });
      }
    }
  });
  // var: conditions and elapsed.since
  walkAllConditions(routine, (c) => {
    if (c.kind === 'var' && !defined.has(c.name)) {
      warn(c.name, { ...diagnosticAt(parsed, [...parsePath(c.path), 'var'], ''), message: `${c.path}.var: ` });
    }
    if (c.kind === 'elapsed' && c.since !== 'routine' && c.since !== 'step' && !hasInterpolation(c.since) && !defined.has(c.since)) {
      warn(c.since, { ...diagnosticAt(parsed, [...parsePath(c.path), 'elapsed', 'since'], ''), message: `${c.path}.elapsed.since: ` });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Cross-file checks
// ---------------------------------------------------------------------------------------------------------

export interface CrossFileContext {
  routines: RoutineLookup;
  /** When absent, template names are not checked. */
  templates?: TemplateLookup;
}

/** Names a routine may `return` (all keys of every `return` step of its main steps). */
export function returnedNames(routine: LoadedRoutine): Set<string> {
  const names = new Set<string>();
  walkSteps(routine, (s, ctx) => {
    if (s.action === 'return' && ctx.sentry === undefined) {
      Object.keys(s.args.values).forEach((k) => names.add(k));
    }
  });
  return names;
}

function checkCallTarget(
  out: Diagnostic[],
  parsed: ParsedYaml,
  ctx: CrossFileContext,
  routineName: string,
  namePath: PathKey[],
  params: Record<string, ScalarValue>,
  paramsPath: PathKey[],
  callRange: SourceRange,
): LoadedRoutine | undefined {
  if (hasInterpolation(routineName)) {
    return undefined;
  }
  if (!ctx.routines.has(routineName)) {
    const hint = suggest(routineName, ctx.routines.names());
    out.push(diagnosticAt(parsed, namePath, `unknown routine '${routineName}'${hint ? ` (did you mean '${hint}'?)` : ''}`, 'unknown-routine'));
    return undefined;
  }
  const callee = ctx.routines.routine(routineName);
  if (!callee) {
    return undefined; // its own file reports its errors
  }
  for (const [k, v] of Object.entries(params)) {
    const spec = callee.params[k];
    if (!spec) {
      const hint = suggest(k, Object.keys(callee.params));
      out.push(
        diagnosticAt(
          parsed,
          [...paramsPath, k],
          `routine '${routineName}' has no parameter '${k}'${hint ? ` (did you mean '${hint}'?)` : Object.keys(callee.params).length ? ` (it has: ${Object.keys(callee.params).join(', ')})` : ' (it has none)'}`,
          'unknown-param',
          'error',
          'key',
        ),
      );
      continue;
    }
    if (typeof v === 'string' && hasInterpolation(v)) {
      continue;
    }
    const expected = v === null ? 'not null' : paramTypeProblem(spec, v, QUOTED_STRING);
    if (expected) {
      out.push(diagnosticAt(parsed, [...paramsPath, k], `parameter '${k}' of '${routineName}' must be ${expected}, got ${JSON.stringify(v)}`, 'wrong-param-type'));
    } else if (typeof v === 'number') {
      if (typeof spec.min === 'number' && v < spec.min) {
        out.push(diagnosticAt(parsed, [...paramsPath, k], `parameter '${k}' of '${routineName}' is below its min ${spec.min}`, 'param-out-of-range'));
      }
      if (typeof spec.max === 'number' && v > spec.max) {
        out.push(diagnosticAt(parsed, [...paramsPath, k], `parameter '${k}' of '${routineName}' is above its max ${spec.max}`, 'param-out-of-range'));
      }
    }
  }
  const missing = Object.entries(callee.params)
    .filter(([k, spec]) => spec.required && spec.default === undefined && !(k in params))
    .map(([k]) => k);
  if (missing.length) {
    out.push(fromRange(callRange, `call of '${routineName}' is missing required parameter${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`, 'missing-param'));
  }
  return callee;
}

/** Checks of references to other files: routines (calls, onError) and templates. */
export function checkRoutineReferences(routine: LoadedRoutine, parsed: ParsedYaml, ctx: CrossFileContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  walkSteps(routine, (s) => {
    const p = parsePath(s.path);
    if (s.action === 'call') {
      const callee = checkCallTarget(out, parsed, ctx, s.args.routine, [...p, 'call'], s.args.params, [...p, 'params'], s.range);
      if (callee) {
        const returned = returnedNames(callee);
        for (const [local, name] of Object.entries(s.args.save)) {
          if (!returned.has(name)) {
            out.push(
              diagnosticAt(parsed, [...p, 'save', local], `routine '${s.args.routine}' never returns '${name}'${returned.size ? ` (it returns: ${[...returned].join(', ')})` : ''}`, 'unknown-return', 'warning'),
            );
          }
        }
      }
    }
    const onError = s.common.onError;
    if (onError && typeof onError === 'object') {
      checkCallTarget(out, parsed, ctx, onError.call, [...p, 'onError', 'call'], onError.params, [...p, 'onError', 'params'], s.range);
    }
    if (ctx.templates && (s.action === 'tap' || s.action === 'longPress') && s.args.target.kind === 'template') {
      const t = s.args.target.template;
      if (!hasInterpolation(t) && !ctx.templates.has(t)) {
        const valuePath: PathKey[] = [...p, s.action];
        const node = parsed.doc.getIn(valuePath, true) as { toJSON?: () => unknown } | undefined;
        const isMapTarget = node !== undefined && typeof node === 'object' && node !== null && 'items' in node;
        out.push(diagnosticAt(parsed, isMapTarget ? [...valuePath, 'template'] : valuePath, `unknown template '${t}'`, 'unknown-template'));
      }
    }
  });
  if (routine.onError?.action === 'call' && routine.onError.routine) {
    checkCallTarget(out, parsed, ctx, routine.onError.routine, ['onError', 'routine'], routine.onError.params, ['onError', 'params'], routine.onError.range);
  }
  if (ctx.templates) {
    walkAllConditions(routine, (c) => {
      if ((c.kind === 'image' || c.kind === 'notImage') && !hasInterpolation(c.template) && !ctx.templates!.has(c.template)) {
        const base = [...parsePath(c.path), c.kind];
        const node = parsed.doc.getIn(base, true) as object | undefined;
        const isMapValue = node !== undefined && node !== null && typeof node === 'object' && 'items' in node;
        out.push(diagnosticAt(parsed, isMapValue ? [...base, 'template'] : base, `unknown template '${c.template}'`, 'unknown-template'));
      }
    });
  }
  return out;
}

/**
 * Call cycles (a routine reaching itself through `call`): one warning per cycle, at the call that closes it.
 * Recursion may be intended, so this is a warning; the interpreter bounds call depth at run time.
 */
export function findCallCycles(
  routines: ReadonlyMap<string, LoadedRoutine>,
  parsedOf: (name: string) => ParsedYaml | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const edges = new Map<string, Array<{ to: string; step: LoadedStep }>>();
  for (const [name, r] of routines) {
    const list: Array<{ to: string; step: LoadedStep }> = [];
    walkSteps(r, (s) => {
      if (s.action === 'call' && !hasInterpolation(s.args.routine) && routines.has(s.args.routine)) {
        list.push({ to: s.args.routine, step: s });
      }
    });
    edges.set(name, list);
  }
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const dfs = (n: string) => {
    state.set(n, 1);
    stack.push(n);
    for (const e of edges.get(n) ?? []) {
      const st = state.get(e.to);
      if (st === 1) {
        const cycle = [...stack.slice(stack.indexOf(e.to)), e.to];
        const key = [...cycle].slice(0, -1).sort().join('|');
        if (!reported.has(key)) {
          reported.add(key);
          const parsed = parsedOf(n);
          const d = parsed
            ? diagnosticAt(parsed, [...parsePath(e.step.path), 'call'], '', 'call-cycle', 'warning')
            : fromRange(e.step.range, '', 'call-cycle', 'warning');
          out.push({ ...d, message: `routine '${e.to}' calls itself (${cycle.join(' → ')}); make sure the recursion ends` });
        }
      } else if (st === undefined) {
        dfs(e.to);
      }
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of [...routines.keys()].sort()) {
    if (!state.has(n)) {
      dfs(n);
    }
  }
  return out;
}

/** Every template name a routine refers to literally (for the workspace's "template exists" check). */
export function referencedTemplates(routine: LoadedRoutine): string[] {
  const names = new Set<string>();
  walkSteps(routine, (s) => {
    if ((s.action === 'tap' || s.action === 'longPress') && s.args.target.kind === 'template' && !hasInterpolation(s.args.target.template)) {
      names.add(s.args.target.template);
    }
  });
  walkAllConditions(routine, (c) => {
    if ((c.kind === 'image' || c.kind === 'notImage') && !hasInterpolation(c.template)) {
      names.add(c.template);
    }
  });
  return [...names].sort();
}
