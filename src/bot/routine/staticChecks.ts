/**
 * Static checks of loaded routines, each reported as a located diagnostic:
 * - single file (run by the loader): `break`/`continue` outside a loop, `return` in a sentry, parameter
 *   definitions (types of defaults, enum values, min/max), duplicate step ids, unreachable steps, variables
 *   used but never defined (warning);
 * - cross-file (run by the registry and workspace validation): unknown called routine, unknown or missing
 *   parameters and wrongly typed literal parameter values of `call`, values `save`d but never returned,
 *   unknown template names, call cycles (warning).
 */
import { isMap } from 'yaml';
import type { Diagnostic, SourceRange } from '../../shared/geometry';
import { diagnosticAt, type ParsedYaml, type PathKey } from '../../shared/yamlSource';
import { hasInterpolation, parseInterpolation } from './interpolationSyntax';
import { forEachScalarValue, formatPath, interpolatedScalars, parsePath } from './paths';
import { MAX_CALL_DEPTH, SYSTEM_VARIABLES } from './actionCatalogue';
import type { LoadedCondition, LoadedRoutine, LoadedStep, ScalarValue } from './loadedTypes';
import { numberFrom } from './valueRules';
import { callParamProblems, paramTypeProblem, QUOTED_STRING } from './callParams';
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

/** Control-flow steps after which nothing in the same list runs (unless they have a `when`). */
const CONTROL_ACTIONS = new Set(['break', 'continue', 'return', 'stop']);

/**
 * True when nothing after `step` in its list can run: a `break`, `continue`, `return` or `stop` without `when`,
 * or a `fail` without `when` whose failure is not absorbed (its `onError`, else the routine's `onError: continue`,
 * lets the routine go on with the next step).
 */
function endsItsList(step: LoadedStep, routine: LoadedRoutine): boolean {
  if (step.common.when) {
    return false;
  }
  if (CONTROL_ACTIONS.has(step.action)) {
    return true;
  }
  if (step.action !== 'fail') {
    return false;
  }
  const policy = step.common.onError ?? (routine.onError?.action === 'continue' ? 'continue' : 'abort');
  return policy === 'abort' || policy === 'retry';
}

export interface FileCheckOptions {
  /** The routine is the valid part of a file with errors: skip the checks a missing part would mislead. */
  partial?: boolean;
}

/** Checks that need only the routine itself. */
export function checkRoutineFile(routine: LoadedRoutine, parsed: ParsedYaml, opts: FileCheckOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  out.push(...checkParams(routine, parsed));
  out.push(...checkReservedNames(routine, parsed));

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
    const i = list.findIndex((s) => endsItsList(s, routine));
    if (i >= 0 && i < list.length - 1) {
      const next = list[i + 1];
      out.push(fromRange(next.range, `${next.path}: unreachable step (after '${list[i].action}' at line ${list[i].range.start.line})`, 'unreachable', 'warning'));
    }
  }

  if (routine.steps.length === 0 && !opts.partial) {
    out.push(diagnosticAt(parsed, ['steps'], 'the routine has no steps', 'no-steps', 'warning'));
  }

  if (!opts.partial) {
    // A step left out of a partial routine may be the one that sets a variable: no "never defined" guesses then.
    out.push(...checkVariables(routine, parsed));
    out.push(...checkSentryVariables(routine, parsed));
  }
  return out;
}

/** Names a routine may not write: the system variables. */
export function isReservedVariable(name: string): boolean {
  return (SYSTEM_VARIABLES as readonly string[]).includes(name);
}

function reservedMessage(name: string, how: string): string {
  return `'${name}' is a system variable (${SYSTEM_VARIABLES.join(', ')}): ${how}; choose another name`;
}

/** `set`, `increment`, `save`, `vars` and `params` may not write a system variable. */
function checkReservedNames(routine: LoadedRoutine, parsed: ParsedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (path: PathKey[], name: string, how: string, where: 'key' | 'value') => out.push(diagnosticAt(parsed, path, reservedMessage(name, how), 'reserved-variable', 'error', where));
  for (const name of Object.keys(routine.params)) {
    if (isReservedVariable(name)) {
      at(['params', name], name, 'it cannot be a parameter', 'key');
    }
  }
  for (const name of Object.keys(routine.vars)) {
    if (isReservedVariable(name)) {
      at(['vars', name], name, 'it cannot be set', 'key');
    }
  }
  walkSteps(routine, (s) => {
    // Parsed only for a step that writes a reserved name (most steps write none).
    let keys: PathKey[] | undefined;
    const p = (): PathKey[] => (keys ??= parsePath(s.path));
    switch (s.action) {
      case 'set':
        for (const k of Object.keys(s.args.values)) {
          if (isReservedVariable(k)) {
            at([...p(), 'set', k], k, 'it cannot be set', 'key');
          }
        }
        break;
      case 'increment':
      case 'decrement':
        if (isReservedVariable(s.args.var)) {
          const node = parsed.doc.getIn([...p(), s.action], true);
          at(isMap(node) ? [...p(), s.action, 'var'] : [...p(), s.action], s.args.var, `it cannot be changed by ${s.action}`, 'value');
        }
        break;
      case 'call':
        for (const k of Object.keys(s.args.save)) {
          if (isReservedVariable(k)) {
            at([...p(), 'save', k], k, 'a returned value cannot be saved into it', 'key');
          }
        }
        break;
      case 'checkoutAccount':
      case 'getAccountField':
        if (s.args.save !== undefined && isReservedVariable(s.args.save)) {
          at([...p(), s.action, 'save'], s.args.save, 'it cannot be the save target', 'value');
        }
        break;
      default:
        break;
    }
  });
  return out;
}

/**
 * A sentry is checked as soon as its routine starts, so the variables its `when` reads must exist then: a
 * parameter, a `vars` entry or a system variable (or one of a calling routine). Reading one only steps set
 * fails the routine at run time; warned here.
 */
function checkSentryVariables(routine: LoadedRoutine, parsed: ParsedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  const atStart = new Set<string>([...SYSTEM_VARIABLES, ...Object.keys(routine.params), ...Object.keys(routine.vars)]);
  const defined = definedVariables(routine);
  routine.sentries.forEach((sentry) => {
    const names = new Map<string, PathKey[]>();
    walkCondition(sentry.when, (c) => {
      if (c.kind === 'var') {
        names.set(c.name, [...parsePath(c.path), 'var']);
      } else if (c.kind === 'elapsed' && c.since !== 'routine' && c.since !== 'step' && !hasInterpolation(c.since)) {
        names.set(c.since, [...parsePath(c.path), 'elapsed', 'since']);
      }
    });
    forEachScalarValue(parsed.doc.getIn(parsePath(sentry.when.path), true), (node, rel) => {
      if (typeof node.value === 'string' && node.value.includes('${')) {
        const r = parseInterpolation(node.value);
        if (r.ok) {
          for (const part of r.parts) {
            if (typeof part !== 'string' && !names.has(part.name)) {
              names.set(part.name, [...parsePath(sentry.when.path), ...rel]);
            }
          }
        }
      }
    });
    for (const [name, path] of names) {
      if (!atStart.has(name) && defined.has(name)) {
        out.push(
          diagnosticAt(
            parsed,
            path,
            `sentry '${sentry.name}' reads variable '${name}', which only a step sets: the sentry is checked as soon as the routine starts, and a missing variable fails the routine (give it a value under vars:)`,
            'sentry-variable',
            'warning',
          ),
        );
      }
    }
  });
  return out;
}

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
        } else if ((p.type === 'int' || p.type === 'number') && numberFrom(p.default) !== undefined) {
          const d = numberFrom(p.default)!;
          if (typeof p.min === 'number' && d < p.min) {
            at('default', `the default ${d} is below min ${p.min}`, 'default-out-of-range');
          }
          if (typeof p.max === 'number' && d > p.max) {
            at('default', `the default ${d} is above max ${p.max}`, 'default-out-of-range');
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
  for (const { node, path } of interpolatedScalars(parsed.doc.contents)) {
    if (isDocPath(path)) {
      continue;
    }
    const r = parseInterpolation(node.value);
    if (!r.ok) {
      continue;
    }
    for (const p of r.parts) {
      if (typeof p !== 'string' && !defined.has(p.name)) {
        warn(p.name, { ...diagnosticAt(parsed, path, ''), message: `${formatPath(path)}: ` });
      }
    }
  }
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

/**
 * {@link returnedNames} of a callee, computed once per loaded routine (loaded routines are never mutated): a
 * routine calling the same one hundreds of times walks it once.
 */
const returnedByRoutine = new WeakMap<LoadedRoutine, ReadonlySet<string>>();
function returnedNamesOnce(routine: LoadedRoutine): ReadonlySet<string> {
  let names = returnedByRoutine.get(routine);
  if (!names) {
    names = returnedNames(routine);
    returnedByRoutine.set(routine, names);
  }
  return names;
}

function checkCallTarget(
  out: Diagnostic[],
  parsed: ParsedYaml,
  ctx: CrossFileContext,
  routineName: string,
  namePath: () => PathKey[],
  params: Record<string, ScalarValue>,
  paramsPath: () => PathKey[],
  callRange: SourceRange,
): LoadedRoutine | undefined {
  if (hasInterpolation(routineName)) {
    return undefined;
  }
  if (!ctx.routines.has(routineName)) {
    const hint = suggest(routineName, ctx.routines.names());
    out.push(diagnosticAt(parsed, namePath(), `unknown routine '${routineName}'${hint ? ` (did you mean '${hint}'?)` : ''}`, 'unknown-routine'));
    return undefined;
  }
  const callee = ctx.routines.routine(routineName);
  if (!callee) {
    return undefined; // its own file reports its errors
  }
  for (const p of callParamProblems(routineName, callee.params, params, { stringExpectation: QUOTED_STRING })) {
    if (p.key === undefined) {
      out.push(fromRange(callRange, p.message, p.code));
    } else {
      out.push(diagnosticAt(parsed, [...paramsPath(), p.key], p.message, p.code, 'error', p.code === 'unknown-param' ? 'key' : undefined));
    }
  }
  return callee;
}

/** Checks of references to other files: routines (calls, onError) and templates. */
export function checkRoutineReferences(routine: LoadedRoutine, parsed: ParsedYaml, ctx: CrossFileContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  walkSteps(routine, (s) => {
    // The step's path keys, parsed only for a step that has something to report.
    let keys: PathKey[] | undefined;
    const p = (): PathKey[] => (keys ??= parsePath(s.path));
    if (s.action === 'call') {
      const callee = checkCallTarget(out, parsed, ctx, s.args.routine, () => [...p(), 'call'], s.args.params, () => [...p(), 'params'], s.range);
      if (callee) {
        const returned = returnedNamesOnce(callee);
        for (const [local, name] of Object.entries(s.args.save)) {
          if (!returned.has(name)) {
            out.push(
              diagnosticAt(parsed, [...p(), 'save', local], `routine '${s.args.routine}' never returns '${name}'${returned.size ? ` (it returns: ${[...returned].join(', ')})` : ''}`, 'unknown-return', 'warning'),
            );
          }
        }
      }
    }
    const onError = s.common.onError;
    if (onError && typeof onError === 'object') {
      checkCallTarget(out, parsed, ctx, onError.call, () => [...p(), 'onError', 'call'], onError.params, () => [...p(), 'onError', 'params'], s.range);
    }
    if (ctx.templates && (s.action === 'tap' || s.action === 'longPress') && s.args.target.kind === 'template') {
      const t = s.args.target.template;
      if (!hasInterpolation(t) && !ctx.templates.has(t)) {
        const valuePath: PathKey[] = [...p(), s.action];
        const node = parsed.doc.getIn(valuePath, true) as { toJSON?: () => unknown } | undefined;
        const isMapTarget = node !== undefined && typeof node === 'object' && node !== null && 'items' in node;
        out.push(diagnosticAt(parsed, isMapTarget ? [...valuePath, 'template'] : valuePath, `unknown template '${t}'`, 'unknown-template'));
      }
    }
  });
  if (routine.onError?.action === 'call' && routine.onError.routine) {
    checkCallTarget(out, parsed, ctx, routine.onError.routine, () => ['onError', 'routine'], routine.onError.params, () => ['onError', 'params'], routine.onError.range);
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

interface CallEdge {
  to: string;
  step?: LoadedStep;
  /** Path keys of the callee's name, for locating a diagnostic (computed only for an edge that is reported). */
  at: () => PathKey[];
  range: SourceRange;
}

/** Static calls of every routine: `call` steps, step `onError: {call}` and the routine's `onError` routine. */
function callEdges(routines: ReadonlyMap<string, LoadedRoutine>, withRecovery: boolean): Map<string, CallEdge[]> {
  const edges = new Map<string, CallEdge[]>();
  for (const [name, r] of routines) {
    const list: CallEdge[] = [];
    walkSteps(r, (s) => {
      if (s.action === 'call' && !hasInterpolation(s.args.routine) && routines.has(s.args.routine)) {
        list.push({ to: s.args.routine, step: s, at: () => [...parsePath(s.path), 'call'], range: s.range });
      }
      const oe = s.common.onError;
      if (withRecovery && oe && typeof oe === 'object' && !hasInterpolation(oe.call) && routines.has(oe.call)) {
        list.push({ to: oe.call, step: s, at: () => [...parsePath(s.path), 'onError', 'call'], range: s.range });
      }
    });
    const ro = r.onError;
    if (withRecovery && ro?.action === 'call' && ro.routine !== undefined && !hasInterpolation(ro.routine) && routines.has(ro.routine)) {
      list.push({ to: ro.routine, at: () => ['onError', 'routine'], range: ro.range });
    }
    edges.set(name, list);
  }
  return edges;
}

/**
 * Call cycles (a routine reaching itself through `call`): one warning per cycle, at the call that closes it.
 * Recursion may be intended, so this is a warning; the interpreter bounds call depth at run time. Also reports,
 * as errors, call chains without recursion that are deeper than {@link MAX_CALL_DEPTH} (they always fail).
 */
export function findCallCycles(
  routines: ReadonlyMap<string, LoadedRoutine>,
  parsedOf: (name: string) => ParsedYaml | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const edges = callEdges(routines, false);
  const locate = (from: string, e: CallEdge, code: string, severity: 'error' | 'warning'): Diagnostic => {
    const parsed = parsedOf(from);
    return parsed ? diagnosticAt(parsed, e.at(), '', code, severity) : fromRange(e.range, '', code, severity);
  };
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const reported = new Set<string>();
  // Iterative depth-first search (a long chain of routines must not exhaust the stack).
  for (const root of [...routines.keys()].sort()) {
    if (state.has(root)) {
      continue;
    }
    const frames: Array<{ n: string; i: number }> = [{ n: root, i: 0 }];
    state.set(root, 1);
    stack.push(root);
    while (frames.length) {
      const f = frames[frames.length - 1];
      const list = edges.get(f.n) ?? [];
      if (f.i >= list.length) {
        frames.pop();
        stack.pop();
        state.set(f.n, 2);
        continue;
      }
      const e = list[f.i++];
      const st = state.get(e.to);
      if (st === 1) {
        const cycle = [...stack.slice(stack.indexOf(e.to)), e.to];
        const key = [...cycle].slice(0, -1).sort().join('|');
        if (!reported.has(key)) {
          reported.add(key);
          out.push({ ...locate(f.n, e, 'call-cycle', 'warning'), message: `routine '${e.to}' calls itself (${cycle.join(' → ')}); make sure the recursion ends` });
        }
      } else if (st === undefined) {
        state.set(e.to, 1);
        stack.push(e.to);
        frames.push({ n: e.to, i: 0 });
      }
    }
  }
  out.push(...findDeepCallChains(routines, locate));
  return out;
}

/** `a → b → c`, shortened in the middle when long. */
export function formatCallChain(names: readonly string[]): string {
  const shown = names.length <= 8 ? names : [...names.slice(0, 4), '…', ...names.slice(-3)];
  return shown.join(' → ');
}

/**
 * Call chains (through `call` and `onError` recovery calls) longer than {@link MAX_CALL_DEPTH}, leaving out the
 * routines that take part in recursion (warned as cycles). One error per routine whose chain is too deep, at its
 * call that starts the chain.
 */
function findDeepCallChains(
  routines: ReadonlyMap<string, LoadedRoutine>,
  locate: (from: string, e: CallEdge, code: string, severity: 'error' | 'warning') => Diagnostic,
): Diagnostic[] {
  const edges = callEdges(routines, true);
  const names = [...routines.keys()].sort();
  // Tarjan's strongly connected components, iteratively; components come out callees first.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const sccStack: string[] = [];
  const order: string[][] = [];
  let counter = 0;
  for (const root of names) {
    if (index.has(root)) {
      continue;
    }
    const frames: Array<{ n: string; i: number }> = [{ n: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    sccStack.push(root);
    onStack.add(root);
    while (frames.length) {
      const f = frames[frames.length - 1];
      const list = edges.get(f.n) ?? [];
      if (f.i < list.length) {
        const to = list[f.i++].to;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          sccStack.push(to);
          onStack.add(to);
          frames.push({ n: to, i: 0 });
        } else if (onStack.has(to)) {
          low.set(f.n, Math.min(low.get(f.n)!, index.get(to)!));
        }
        continue;
      }
      frames.pop();
      if (frames.length) {
        const parent = frames[frames.length - 1].n;
        low.set(parent, Math.min(low.get(parent)!, low.get(f.n)!));
      }
      if (low.get(f.n) === index.get(f.n)) {
        const comp: string[] = [];
        let x: string;
        do {
          x = sccStack.pop()!;
          onStack.delete(x);
          comp.push(x);
        } while (x !== f.n);
        order.push(comp);
      }
    }
  }
  const recursive = new Set<string>();
  for (const comp of order) {
    if (comp.length > 1 || (edges.get(comp[0]) ?? []).some((e) => e.to === comp[0])) {
      comp.forEach((n) => recursive.add(n));
    }
  }
  const longest = new Map<string, { calls: number; via?: CallEdge }>();
  for (const comp of order) {
    for (const n of comp) {
      if (recursive.has(n)) {
        continue;
      }
      let best: { calls: number; via?: CallEdge } = { calls: 0 };
      for (const e of edges.get(n) ?? []) {
        const c = longest.get(e.to);
        if (c && c.calls + 1 > best.calls) {
          best = { calls: c.calls + 1, via: e };
        }
      }
      longest.set(n, best);
    }
  }
  const out: Diagnostic[] = [];
  for (const n of names) {
    const l = longest.get(n);
    if (!l?.via || l.calls <= MAX_CALL_DEPTH) {
      continue;
    }
    const chain = [n];
    for (let cur = longest.get(n); cur?.via; cur = longest.get(cur.via.to)) {
      chain.push(cur.via.to);
    }
    out.push({
      ...locate(n, l.via, 'call-depth', 'error'),
      message: `call chain too deep (${l.calls} > ${MAX_CALL_DEPTH}): ${formatCallChain(chain)}; run some of these routines one after the other instead of inside each other`,
    });
  }
  return out;
}
