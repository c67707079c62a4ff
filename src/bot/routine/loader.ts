/**
 * Loads one routine file: YAML → zod validation (every issue located at file:line:col) → `${}` syntax and
 * single-file static checks → a normalised {@link LoadedRoutine} whose steps and conditions carry their YAML
 * source range and a stable path (`steps[3].then[0]`).
 */
import type { Scalar } from 'yaml';
import type { z } from 'zod';
import type { Diagnostic, SourceRange } from '../../shared/geometry';
import { diagnosticAt, parseYaml, rangeAt, type ParsedYaml, type PathKey } from '../../shared/yamlSource';
import { ELAPSED_OPS, COMPARISON_OPS, type ComparisonOp, type ElapsedOp } from './conditionsSchema';
import { parseDuration } from './durations';
import { hasInterpolation, parseInterpolation } from './interpolationSyntax';
import {
  ACTION_NAMES,
  DEFAULTS,
  routineFileSchema,
  type ActionArgs,
  type ActionName,
  type BoolValue,
  type DurationValue,
  type IfBranch,
  type LoadedCondition,
  type LoadedRoutine,
  type LoadedSentry,
  type LoadedStep,
  type NumberValue,
  type OnErrorPolicy,
  type ParamSpec,
  type PointValue,
  type RegionValue,
  type ScalarValue,
  type StepCommon,
  type StepOnError,
  type StuckConfig,
  type Target,
} from './schema';
import { complexKeys, forEachScalarValue, formatPath } from './paths';
import { checkRoutineFile } from './staticChecks';
import { isPlainMap, UNKNOWN_KEYS_MARK } from './valueSchemas';

export interface RoutineParse {
  /** Set only when there is no error (warnings allowed). */
  value?: LoadedRoutine;
  diagnostics: Diagnostic[];
  /** The parsed YAML, for callers that locate further diagnostics (cross-file checks). */
  parsed: ParsedYaml;
}

/** Largest nesting of steps and conditions accepted (deeper documents are rejected with a located error). */
export const MAX_NESTING = 64;

/**
 * Parses and validates a routine. `registryName` (path under routines/ without .yaml) is the default `name`.
 * Never throws on bad input: every problem is a located diagnostic.
 */
export function parseRoutine(text: string, file: string, registryName?: string): RoutineParse {
  const parsed = parseYaml(text, file);
  const diagnostics = [...parsed.diagnostics];
  if (diagnostics.some((d) => d.severity === 'error')) {
    return { diagnostics, parsed };
  }
  const complex = complexKeys(parsed.doc.contents);
  if (complex.length) {
    for (const k of complex) {
      const s = parsed.lineCounter.linePos(k.range[0]);
      const e = parsed.lineCounter.linePos(k.range[1]);
      diagnostics.push({ file, line: s.line, col: s.col, endLine: e.line, endCol: e.col, severity: 'error', message: `${formatPath(k.path)}: a key must be a plain name, not a list or a map`, code: 'complex-key' });
    }
    return { diagnostics: sortDiagnostics(diagnostics), parsed };
  }
  let data: unknown;
  try {
    data = parsed.doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    diagnostics.push(diagnosticAt(parsed, [], `cannot read the YAML: ${e instanceof Error ? e.message : String(e)}`, 'yaml-invalid'));
    return { diagnostics, parsed };
  }
  if (data === null || data === undefined) {
    diagnostics.push({ file, line: 1, col: 1, severity: 'error', message: 'the routine is empty: expected a map with at least steps: [...]', code: 'empty-document' });
    return { diagnostics, parsed };
  }
  const depth = nestingDepth(data, 0);
  if (depth > MAX_NESTING) {
    const deep = deepestPath(data);
    diagnostics.push(diagnosticAt(parsed, deep, `nesting deeper than ${MAX_NESTING} levels`, 'too-deep'));
    return { diagnostics, parsed };
  }
  const r = routineFileSchema.safeParse(data);
  if (!r.success) {
    diagnostics.push(...routineIssuesToDiagnostics(parsed, r.error.issues, data));
  }
  diagnostics.push(...interpolationDiagnostics(parsed));
  if (diagnostics.some((d) => d.severity === 'error')) {
    return { diagnostics: sortDiagnostics(dedupe(diagnostics)), parsed };
  }
  let routine: LoadedRoutine;
  try {
    routine = normaliseRoutine(data as Record<string, unknown>, parsed, registryName);
  } catch (e) {
    // Validation passed, so this is a bug of ours; still report it located instead of crashing the caller.
    diagnostics.push(diagnosticAt(parsed, [], `internal error while loading the routine: ${e instanceof Error ? e.message : String(e)}`, 'internal-error'));
    return { diagnostics, parsed };
  }
  diagnostics.push(...checkRoutineFile(routine, parsed));
  const out = sortDiagnostics(dedupe(diagnostics));
  return { value: out.some((d) => d.severity === 'error') ? undefined : routine, diagnostics: out, parsed };
}

// ---------------------------------------------------------------------------------------------------------
// Issues → diagnostics
// ---------------------------------------------------------------------------------------------------------

function valueAt(data: unknown, path: readonly PathKey[]): { exists: boolean; value: unknown; parent: unknown } {
  let cur: unknown = data;
  let parent: unknown;
  for (const k of path) {
    parent = cur;
    if (Array.isArray(cur) && typeof k === 'number') {
      if (k >= cur.length) {
        return { exists: false, value: undefined, parent };
      }
      cur = cur[k];
    } else if (isPlainMap(cur) && typeof k === 'string') {
      if (!Object.prototype.hasOwnProperty.call(cur, k)) {
        return { exists: false, value: undefined, parent };
      }
      cur = cur[k];
    } else {
      return { exists: false, value: undefined, parent };
    }
  }
  return { exists: true, value: cur, parent };
}

interface UnknownKeysInfo {
  what: string;
  hints: Record<string, string>;
  known: string[];
}

function decodeUnknownKeys(message: string): UnknownKeysInfo | undefined {
  if (!message.startsWith(UNKNOWN_KEYS_MARK)) {
    return undefined;
  }
  try {
    return JSON.parse(message.slice(UNKNOWN_KEYS_MARK.length)) as UnknownKeysInfo;
  } catch {
    return undefined;
  }
}

/** Turns the issues of the routine schema into located, readable diagnostics. */
export function routineIssuesToDiagnostics(parsed: ParsedYaml, issues: readonly z.core.$ZodIssue[], data: unknown): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathKey => typeof p === 'string' || typeof p === 'number');
    const where = formatPath(path);
    const params = (issue as { params?: { code?: string; at?: 'key' | 'value' } }).params;
    if (issue.code === 'unrecognized_keys') {
      const info = decodeUnknownKeys(issue.message);
      for (const k of issue.keys) {
        const hint = info?.hints[k];
        let msg = `unknown key '${k}' in ${where === '(document)' ? 'the routine' : where}${info ? ` (${info.what})` : ''}`;
        if (hint) {
          msg += `: did you mean '${hint}'?`;
        } else if (info && info.known.length <= 14) {
          msg += `; expected one of: ${info.known.join(', ')}`;
        }
        out.push(diagnosticAt(parsed, [...path, k], msg, 'unknown-key', 'error', 'key'));
      }
      continue;
    }
    const message = decodeUnknownKeys(issue.message) ? 'invalid value' : issue.message;
    const loc = valueAt(data, path);
    if (!loc.exists && path.length > 0 && isPlainMap(loc.parent) && params?.at !== 'key') {
      const key = path[path.length - 1];
      const parentWhere = formatPath(path.slice(0, -1));
      out.push(
        diagnosticAt(
          parsed,
          path.slice(0, -1),
          `missing required key '${String(key)}' in ${parentWhere === '(document)' ? 'the routine' : parentWhere} (${message})`,
          'missing-key',
        ),
      );
      continue;
    }
    out.push(diagnosticAt(parsed, path, `${where}: ${message}`, params?.code ?? `schema-${issue.code.replace(/_/g, '-')}`, 'error', params?.at ?? 'value'));
  }
  return out;
}

/** Orders diagnostics by position (line, then column), stable for equal positions. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.line - b.d.line || a.d.col - b.d.col || a.i - b.i)
    .map((x) => x.d);
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.col}:${d.severity}:${d.message}`;
    if (seen.has(k)) {
      return false;
    }
    seen.add(k);
    return true;
  });
}

function nestingDepth(v: unknown, depth: number): number {
  if (depth > MAX_NESTING + 1) {
    return depth;
  }
  let max = depth;
  if (Array.isArray(v)) {
    for (const x of v) {
      max = Math.max(max, nestingDepth(x, depth + 1));
    }
  } else if (isPlainMap(v)) {
    for (const x of Object.values(v)) {
      max = Math.max(max, nestingDepth(x, depth + 1));
    }
  }
  return max;
}

function deepestPath(v: unknown): PathKey[] {
  const path: PathKey[] = [];
  let cur = v;
  for (let i = 0; i < MAX_NESTING + 1; i++) {
    let next: [PathKey, unknown] | undefined;
    let best = -1;
    const children: Array<[PathKey, unknown]> = Array.isArray(cur) ? cur.map((x, j) => [j, x]) : isPlainMap(cur) ? Object.entries(cur) : [];
    for (const [k, x] of children) {
      const d = nestingDepth(x, 0);
      if (d > best) {
        best = d;
        next = [k, x];
      }
    }
    if (!next) {
      break;
    }
    path.push(next[0]);
    cur = next[1];
  }
  return path;
}

/** Paths whose strings are documentation, not interpolated at run time. */
function isDocumentationPath(path: readonly PathKey[]): boolean {
  if (path.length === 1 && (path[0] === 'description' || path[0] === 'name')) {
    return true;
  }
  if (path[0] === 'tags') {
    return true;
  }
  return path[0] === 'params' && path.length === 3 && (path[2] === 'description' || path[2] === 'label');
}

/** Checks the `${}` syntax of every string value of the document (keys are not interpolated). */
function interpolationDiagnostics(parsed: ParsedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  forEachScalarValue(parsed.doc.contents, (node, path) => {
    if (typeof node.value !== 'string' || !node.value.includes('${') || isDocumentationPath(path)) {
      return;
    }
    const r = parseInterpolation(node.value);
    if (!r.ok) {
      out.push(locateInScalar(parsed, node, r.error.index, `${formatPath(path)}: ${r.error.message}`));
    }
  });
  return out;
}

function locateInScalar(parsed: ParsedYaml, node: Scalar, index: number, message: string): Diagnostic {
  const [start, end] = node.range ?? [0, 0];
  const src = parsed.text.slice(start, end);
  const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
  const body = quoted ? src.slice(1) : src;
  // Exact column only when the source spells the string as-is (no escapes before the problem).
  const exact = body.startsWith(String(node.value).slice(0, index + 2));
  const off = exact ? start + (quoted ? 1 : 0) + index : start;
  const s = parsed.lineCounter.linePos(off);
  const e = parsed.lineCounter.linePos(end);
  return { file: parsed.file, line: s.line, col: s.col, endLine: e.line, endCol: e.col, severity: 'error', message, code: 'interpolation-syntax' };
}

// ---------------------------------------------------------------------------------------------------------
// Normalisation (input already validated)
// ---------------------------------------------------------------------------------------------------------

type Raw = Record<string, unknown>;

class Normaliser {
  constructor(private readonly parsed: ParsedYaml) {}

  range(path: readonly PathKey[]): SourceRange {
    return rangeAt(this.parsed, path);
  }

  located(path: readonly PathKey[]): { range: SourceRange; path: string } {
    return { range: this.range(path), path: formatPath(path) };
  }

  duration(v: unknown, def: number): DurationValue;
  duration(v: unknown, def?: undefined): DurationValue | undefined;
  duration(v: unknown, def?: number): DurationValue | undefined {
    if (v === undefined || v === null) {
      return def;
    }
    if (typeof v === 'string' && hasInterpolation(v)) {
      return v;
    }
    const ms = parseDuration(v);
    if (ms === undefined) {
      throw new Error(`invalid duration ${JSON.stringify(v)} passed validation`);
    }
    return ms;
  }

  num(v: unknown): NumberValue {
    return v as NumberValue;
  }

  point(v: unknown): PointValue {
    const p = v as Raw;
    return { x: this.num(p.x), y: this.num(p.y) };
  }

  region(v: unknown): RegionValue {
    const r = v as Raw;
    return { x: this.num(r.x), y: this.num(r.y), w: this.num(r.w), h: this.num(r.h) };
  }

  scalars(v: unknown): Record<string, ScalarValue> {
    return isPlainMap(v) ? ({ ...v } as Record<string, ScalarValue>) : {};
  }

  condition(v: unknown, path: PathKey[]): LoadedCondition {
    const c = v as Raw;
    const loc = this.located(path);
    if ('image' in c || 'notImage' in c) {
      const kind = 'image' in c ? 'image' : 'notImage';
      const iv = c[kind];
      if (typeof iv === 'string') {
        return { kind, template: iv, ...loc };
      }
      const o = iv as Raw;
      return {
        kind,
        template: o.template as string,
        ...(o.threshold !== undefined ? { threshold: this.num(o.threshold) } : {}),
        ...(o.region !== undefined ? { region: this.region(o.region) } : {}),
        ...loc,
      };
    }
    for (const kind of ['any', 'all', 'none'] as const) {
      if (kind in c) {
        return { kind, conditions: (c[kind] as unknown[]).map((x, i) => this.condition(x, [...path, kind, i])), ...loc };
      }
    }
    if ('not' in c) {
      return { kind: 'not', condition: this.condition(c.not, [...path, 'not']), ...loc };
    }
    if ('var' in c) {
      const comparisons: Array<{ op: ComparisonOp; value: ScalarValue }> = [];
      for (const op of COMPARISON_OPS) {
        if (c[op] !== undefined) {
          comparisons.push({ op, value: c[op] as ScalarValue });
        }
      }
      return { kind: 'var', name: c.var as string, comparisons, ...loc };
    }
    if ('color' in c) {
      const o = c.color as Raw;
      const at = o.at as Raw;
      return {
        kind: 'color',
        at: 'w' in at || 'h' in at ? this.region(at) : this.point(at),
        color: o.color as string,
        tolerance: o.tolerance !== undefined ? this.num(o.tolerance) : DEFAULTS.colorTolerance,
        ...loc,
      };
    }
    if ('appInForeground' in c) {
      return { kind: 'appInForeground', package: c.appInForeground as string, ...loc };
    }
    if ('elapsed' in c) {
      const o = c.elapsed as Raw;
      const comparisons: Array<{ op: ElapsedOp; value: DurationValue }> = [];
      for (const op of ELAPSED_OPS) {
        if (o[op] !== undefined) {
          comparisons.push({ op, value: this.duration(o[op], 0) });
        }
      }
      return { kind: 'elapsed', since: typeof o.since === 'string' ? o.since : 'routine', comparisons, ...loc };
    }
    throw new Error(`unknown condition at ${formatPath(path)}`);
  }

  target(v: unknown): Target {
    if (typeof v === 'string') {
      return { kind: 'template', template: v, optional: false };
    }
    const t = v as Raw;
    if ('template' in t) {
      return {
        kind: 'template',
        template: t.template as string,
        ...(t.offset !== undefined ? { offset: this.point(t.offset) } : {}),
        ...(t.threshold !== undefined ? { threshold: this.num(t.threshold) } : {}),
        ...(t.region !== undefined ? { region: this.region(t.region) } : {}),
        optional: (t.optional as BoolValue | undefined) ?? false,
      };
    }
    if ('x' in t || 'y' in t) {
      return { kind: 'point', x: this.num(t.x), y: this.num(t.y) };
    }
    return { kind: 'region', region: this.region(t.region) };
  }

  steps(v: unknown, path: PathKey[]): LoadedStep[] {
    return Array.isArray(v) ? v.map((s, i) => this.step(s, [...path, i])) : [];
  }

  step(v: unknown, path: PathKey[]): LoadedStep {
    const loc = this.located(path);
    if (typeof v === 'string') {
      const action = v as ActionName;
      return { action, args: this.args(action, null, {}, path), common: { retries: DEFAULTS.retries, backoff: DEFAULTS.backoff }, ...loc } as LoadedStep;
    }
    const s = v as Raw;
    const action = ACTION_NAMES.find((a) => a in s);
    if (!action) {
      throw new Error(`step without action at ${formatPath(path)}`);
    }
    const common: StepCommon = {
      ...(typeof s.id === 'string' ? { id: s.id } : {}),
      ...(typeof s.name === 'string' ? { name: s.name } : {}),
      ...(s.timeout !== undefined ? { timeout: this.duration(s.timeout) } : {}),
      retries: s.retries !== undefined ? this.num(s.retries) : DEFAULTS.retries,
      backoff: this.duration(s.backoff, DEFAULTS.backoff),
      ...(s.onError !== undefined ? { onError: this.stepOnError(s.onError) } : {}),
      ...(s.when !== undefined ? { when: this.condition(s.when, [...path, 'when']) } : {}),
    };
    return { action, args: this.args(action, s[action] ?? null, s, path), common, ...loc } as LoadedStep;
  }

  stepOnError(v: unknown): StepOnError {
    if (typeof v === 'string') {
      return v as 'continue' | 'retry' | 'abort';
    }
    const o = v as Raw;
    return { call: o.call as string, params: this.scalars(o.params) };
  }

  args(action: ActionName, value: unknown, s: Raw, path: PathKey[]): ActionArgs[ActionName] {
    const o = (isPlainMap(value) ? value : {}) as Raw;
    switch (action) {
      case 'tap':
        return { target: this.target(value) } satisfies ActionArgs['tap'];
      case 'longPress':
        return { target: this.target(value), duration: this.duration(o.duration, DEFAULTS.longPressDuration) } satisfies ActionArgs['longPress'];
      case 'swipe':
        return { from: this.point(o.from), to: this.point(o.to), duration: this.duration(o.duration, DEFAULTS.swipeDuration) } satisfies ActionArgs['swipe'];
      case 'text':
        return { text: String(value) } satisfies ActionArgs['text'];
      case 'key':
        return { key: typeof value === 'string' && !hasInterpolation(value) && !value.startsWith('KEYCODE_') ? `KEYCODE_${value}` : (value as string | number) } satisfies ActionArgs['key'];
      case 'wait':
        return { duration: this.duration(value, 0) } satisfies ActionArgs['wait'];
      case 'waitFor': {
        const condPath: PathKey[] = 'condition' in o ? [...path, 'waitFor', 'condition'] : [...path, 'waitFor'];
        const condRaw: Raw = 'condition' in o ? (o.condition as Raw) : Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'timeout' && k !== 'interval' && k !== 'onTimeout'));
        return {
          condition: this.condition(condRaw, condPath),
          timeout: this.duration(o.timeout, DEFAULTS.waitForTimeout),
          interval: this.duration(o.interval, DEFAULTS.waitForInterval),
          onTimeout: (o.onTimeout as 'fail' | 'continue' | undefined) ?? 'fail',
        } satisfies ActionArgs['waitFor'];
      }
      case 'waitStable':
        return {
          timeout: this.duration(o.timeout, DEFAULTS.waitStableTimeout),
          interval: this.duration(o.interval, DEFAULTS.waitStableInterval),
          ...(o.region !== undefined ? { region: this.region(o.region) } : {}),
          tolerance: o.tolerance !== undefined ? this.num(o.tolerance) : DEFAULTS.waitStableTolerance,
          onTimeout: (o.onTimeout as 'fail' | 'continue' | undefined) ?? 'fail',
        } satisfies ActionArgs['waitStable'];
      case 'if': {
        const branches: IfBranch[] = [{ condition: this.condition(value, [...path, 'if']), steps: this.steps(s.then, [...path, 'then']), ...this.located(path) }];
        if (Array.isArray(s.elif)) {
          s.elif.forEach((b, i) => {
            const bp: PathKey[] = [...path, 'elif', i];
            branches.push({ condition: this.condition((b as Raw).if, [...bp, 'if']), steps: this.steps((b as Raw).then, [...bp, 'then']), ...this.located(bp) });
          });
        }
        return { branches, else: this.steps(s.else, [...path, 'else']) } satisfies ActionArgs['if'];
      }
      case 'while':
      case 'until':
        return {
          condition: this.condition(value, [...path, action]),
          do: this.steps(s.do, [...path, 'do']),
          ...(s.max !== undefined ? { max: this.num(s.max) } : {}),
          onExhausted: (s.onExhausted as 'fail' | 'continue' | undefined) ?? 'fail',
        } satisfies ActionArgs['while'];
      case 'repeat':
        return { times: this.num(value), do: this.steps(s.do, [...path, 'do']) } satisfies ActionArgs['repeat'];
      case 'break':
      case 'continue':
        return {} satisfies ActionArgs['break'];
      case 'call':
        return {
          routine: value as string,
          params: this.scalars(s.params),
          save: isPlainMap(s.save) ? ({ ...s.save } as Record<string, string>) : {},
        } satisfies ActionArgs['call'];
      case 'return':
        return { values: this.scalars(value) } satisfies ActionArgs['return'];
      case 'stop':
        return (typeof value === 'string' ? { message: value } : {}) satisfies ActionArgs['stop'];
      case 'fail':
        return { message: value as string } satisfies ActionArgs['fail'];
      case 'assert':
        return {
          condition: this.condition(value, [...path, 'assert']),
          ...(typeof s.message === 'string' ? { message: s.message } : {}),
        } satisfies ActionArgs['assert'];
      case 'set':
        return { values: this.scalars(value) } satisfies ActionArgs['set'];
      case 'increment':
      case 'decrement':
        return typeof value === 'string'
          ? ({ var: value, by: 1 } satisfies ActionArgs['increment'])
          : ({ var: o.var as string, by: o.by !== undefined ? this.num(o.by) : 1 } satisfies ActionArgs['increment']);
      case 'launchApp':
      case 'restartApp':
        return (typeof value === 'string' ? { component: value } : {}) satisfies ActionArgs['launchApp'];
      case 'stopApp':
        return (typeof value === 'string' ? { package: value } : {}) satisfies ActionArgs['stopApp'];
      case 'log':
        return isPlainMap(value)
          ? ({ message: String(o.message), level: (o.level as ActionArgs['log']['level'] | undefined) ?? DEFAULTS.logLevel } satisfies ActionArgs['log'])
          : ({ message: String(value), level: DEFAULTS.logLevel } satisfies ActionArgs['log']);
      case 'screenshot':
        return (typeof value === 'string' ? { name: value } : {}) satisfies ActionArgs['screenshot'];
      case 'checkoutAccount':
        return {
          onEmpty: (o.onEmpty as ActionArgs['checkoutAccount']['onEmpty'] | undefined) ?? DEFAULTS.checkoutOnEmpty,
          ...(typeof o.save === 'string' ? { save: o.save } : {}),
          inject: (o.inject as BoolValue | undefined) ?? true,
        } satisfies ActionArgs['checkoutAccount'];
      case 'completeAccount':
        return { stats: this.scalars(o.stats) } satisfies ActionArgs['completeAccount'];
      case 'returnAccount':
        return (typeof value === 'string' ? { reason: value } : typeof o.reason === 'string' ? { reason: o.reason } : {}) satisfies ActionArgs['returnAccount'];
      case 'failAccount':
        return { reason: typeof value === 'string' ? value : (o.reason as string) } satisfies ActionArgs['failAccount'];
      case 'updateAccount':
        return { fields: this.scalars(o.fields), increment: this.scalars(o.increment) as Record<string, NumberValue> } satisfies ActionArgs['updateAccount'];
      case 'getAccountField':
        return { field: o.field as string, save: o.save as string, ...(o.default !== undefined ? { default: o.default as ScalarValue } : {}) } satisfies ActionArgs['getAccountField'];
    }
  }

  params(v: unknown): Record<string, ParamSpec> {
    const out: Record<string, ParamSpec> = {};
    if (!isPlainMap(v)) {
      return out;
    }
    for (const [name, raw] of Object.entries(v)) {
      const p = raw as Raw;
      out[name] = {
        type: p.type as ParamSpec['type'],
        ...(p.default !== undefined ? { default: p.default as ScalarValue } : {}),
        ...(typeof p.description === 'string' ? { description: p.description } : {}),
        ...(typeof p.label === 'string' ? { label: p.label } : {}),
        ...(Array.isArray(p.values) ? { values: [...(p.values as Array<string | number>)] } : {}),
        ...(p.min !== undefined ? { min: this.num(p.min) } : {}),
        ...(p.max !== undefined ? { max: this.num(p.max) } : {}),
        required: p.required === true,
        range: this.range(['params', name]),
      };
    }
    return out;
  }

  sentries(v: unknown): LoadedSentry[] {
    if (!Array.isArray(v)) {
      return [];
    }
    return v.map((raw, i) => {
      const s = raw as Raw;
      const path: PathKey[] = ['sentries', i];
      return {
        name: s.name as string,
        every: this.duration(s.every, DEFAULTS.sentryEvery),
        when: this.condition(s.when, [...path, 'when']),
        steps: this.steps(s.steps, [...path, 'steps']),
        then: (s.then as LoadedSentry['then'] | undefined) ?? 'resume',
        ...(s.cooldown !== undefined ? { cooldown: this.duration(s.cooldown) } : {}),
        ...this.located(path),
      };
    });
  }

  onError(v: unknown): OnErrorPolicy | undefined {
    if (v === undefined) {
      return undefined;
    }
    const range = this.range(['onError']);
    if (typeof v === 'string') {
      return { action: v as OnErrorPolicy['action'], params: {}, retries: 1, backoff: DEFAULTS.backoff, range };
    }
    const o = v as Raw;
    return {
      action: o.action as OnErrorPolicy['action'],
      ...(typeof o.routine === 'string' ? { routine: o.routine } : {}),
      params: this.scalars(o.params),
      retries: o.retries !== undefined ? this.num(o.retries) : 1,
      backoff: this.duration(o.backoff, DEFAULTS.backoff),
      range,
    };
  }

  stuck(v: unknown): StuckConfig | undefined {
    if (v === undefined) {
      return undefined;
    }
    const o = v as Raw;
    const same = o.sameTarget as Raw | undefined;
    return {
      ...(o.noProgress !== undefined ? { noProgress: this.duration(o.noProgress) } : {}),
      ...(same ? { sameTarget: { count: this.num(same.count), window: this.num(same.window) } } : {}),
      ladder: Array.isArray(o.ladder) ? ([...o.ladder] as StuckConfig['ladder']) : [...DEFAULTS.stuckLadder],
      range: this.range(['stuck']),
    };
  }
}

function defaultName(file: string, registryName?: string): string {
  if (registryName) {
    return registryName;
  }
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.ya?ml$/i, '');
}

function normaliseRoutine(data: Raw, parsed: ParsedYaml, registryName?: string): LoadedRoutine {
  const n = new Normaliser(parsed);
  let resolution: { width: number; height: number } = { ...DEFAULTS.resolution };
  if (typeof data.resolution === 'string') {
    const [w, h] = data.resolution.split('x').map(Number);
    resolution = { width: w, height: h };
  }
  const onError = n.onError(data.onError);
  const stuck = n.stuck(data.stuck);
  return {
    name: typeof data.name === 'string' ? data.name : defaultName(parsed.file, registryName),
    ...(registryName ? { registryName } : {}),
    file: parsed.file,
    ...(typeof data.description === 'string' ? { description: data.description } : {}),
    tags: Array.isArray(data.tags) ? (data.tags as string[]) : [],
    params: n.params(data.params),
    vars: n.scalars(data.vars),
    ...(typeof data.app === 'string' ? { app: data.app } : {}),
    resolution,
    sentries: n.sentries(data.sentries),
    ...(onError ? { onError } : {}),
    ...(stuck ? { stuck } : {}),
    steps: n.steps(data.steps, ['steps']),
    range: n.range([]),
  };
}
