/**
 * Loads one routine file: YAML → zod validation (every issue located at file:line:col) → `${}` syntax and
 * single-file static checks → a normalised {@link LoadedRoutine} whose steps and conditions carry their YAML
 * source range and a stable path (`steps[3].then[0]`).
 */
import { isMap, isSeq, type Scalar } from 'yaml';
import type { z } from 'zod';
import type { Diagnostic, SourceRange } from '../../shared/geometry';
import { diagnosticAt, parseYaml, rangeAt, yamlData, type ParsedYaml, type PathKey } from '../../shared/yamlSource';
import { durationUnitOf } from '../../shared/durations';
import { parseDuration } from './durations';
import { hasInterpolation, parseInterpolation } from './interpolationSyntax';
import { ACTION_NAMES, COMPARISON_OPS, DEFAULTS, ELAPSED_OPS, type ActionName, type ComparisonOp, type ElapsedOp } from './actionCatalogue';
import type { ActionArgs, BoolValue, DurationValue, IfBranch, LoadedCondition, LoadedRoutine, LoadedSentry, LoadedStep, NumberValue, OnErrorPolicy, ParamSpec, PointValue, RegionValue, ScalarValue, StepCommon, StepOnError, StuckConfig, Target, ValueSource } from './loadedTypes';
import { conditionFileSchema, routineFileSchema } from './schema';
import { complexKeys, formatPath, interpolatedScalars } from './paths';
import { checkRoutineFile } from './staticChecks';
import { isPlainMap, UNKNOWN_KEYS_MARK } from './valueSchemas';

export interface RoutineParse {
  /** Set only when there is no error (warnings allowed). */
  value?: LoadedRoutine;
  /**
   * When the file has errors: the parts of it that are valid (steps, sentries and settings without a problem of
   * their own), so that the checks across files (called routines, their parameters, templates) still report
   * everything. Never run.
   */
  partial?: LoadedRoutine;
  diagnostics: Diagnostic[];
  /** The parsed YAML, for callers that locate further diagnostics (cross-file checks). */
  parsed: ParsedYaml;
}

/**
 * Most blocks (`if`, `while`, `until`, `repeat` bodies) nested inside each other. A step deeper than this is an
 * error located at it; move the inner steps into a routine of their own and `call` it.
 */
export const MAX_STEP_NESTING = 32;

/** Most conditions (`any`, `all`, `none`, `not`) nested inside each other. */
export const MAX_CONDITION_NESTING = 32;

/**
 * Most levels of maps and lists in a routine file. A backstop checked without recursion before anything else
 * reads the document, so no input can exhaust the stack (the step and condition limits above apply first).
 */
export const MAX_DOCUMENT_DEPTH = 200;

/**
 * Parses and validates a routine. `registryName` (path under routines/ without .yaml) is the default `name`.
 * Never throws on bad input: every problem is a located diagnostic, and a problem in one part of the file does
 * not hide the problems of the others.
 */
export function parseRoutine(text: string, file: string, registryName?: string): RoutineParse {
  const parsed = parseYaml(text, file);
  // The YAML reader itself runs out of stack on absurd nesting (hundreds of levels): say what it means.
  const diagnostics = parsed.diagnostics.map((d) =>
    /call stack/i.test(d.message)
      ? { ...d, code: 'too-deep', message: `the document nests too deep to be read (steps may nest at most ${MAX_STEP_NESTING} blocks deep, conditions ${MAX_CONDITION_NESTING})` }
      : d,
  );
  if (diagnostics.some((d) => d.severity === 'error')) {
    return { diagnostics, parsed };
  }
  const tooDeep = firstNodeDeeperThan(parsed.doc.contents, MAX_DOCUMENT_DEPTH);
  if (tooDeep) {
    const s = parsed.lineCounter.linePos(tooDeep[0]);
    const e = parsed.lineCounter.linePos(tooDeep[1]);
    diagnostics.push({ file, line: s.line, col: s.col, endLine: e.line, endCol: e.col, severity: 'error', message: `the document nests maps and lists more than ${MAX_DOCUMENT_DEPTH} levels deep`, code: 'too-deep' });
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
  const read = yamlData(parsed);
  if ('diagnostic' in read) {
    diagnostics.push(read.diagnostic);
    return { diagnostics, parsed };
  }
  const data = read.data;
  if (data === null || data === undefined) {
    diagnostics.push({ file, line: 1, col: 1, severity: 'error', message: 'the routine is empty: expected a map with at least steps: [...]', code: 'empty-document' });
    return { diagnostics, parsed };
  }
  // Aliases can make the data deeper than the document: check the data too (it is at most this deep once cut).
  if (dataDeeperThan(data, MAX_DOCUMENT_DEPTH)) {
    diagnostics.push(diagnosticAt(parsed, [], `the document (with its aliases expanded) nests maps and lists more than ${MAX_DOCUMENT_DEPTH} levels deep`, 'too-deep'));
    return { diagnostics, parsed };
  }
  diagnostics.push(...cutDeepNesting(data, parsed));
  const r = routineFileSchema.safeParse(data);
  const issues = r.success ? [] : r.error.issues;
  diagnostics.push(...routineIssuesToDiagnostics(parsed, issues, data));
  diagnostics.push(...interpolationDiagnostics(parsed));
  const hasErrors = diagnostics.some((d) => d.severity === 'error');
  let routine: LoadedRoutine;
  try {
    routine = normaliseRoutine(isPlainMap(data) ? data : {}, parsed, registryName, hasErrors ? badParts(issues) : undefined);
  } catch (e) {
    // Validation passed, so this is a bug of ours; still report it located instead of crashing the caller.
    if (!hasErrors) {
      diagnostics.push(diagnosticAt(parsed, [], `internal error while loading the routine: ${e instanceof Error ? e.message : String(e)}`, 'internal-error'));
    }
    return { diagnostics: sortDiagnostics(dedupe(diagnostics)), parsed };
  }
  diagnostics.push(...checkRoutineFile(routine, parsed, { partial: hasErrors }));
  const out = sortDiagnostics(dedupe(diagnostics));
  const valid = !out.some((d) => d.severity === 'error');
  return { ...(valid ? { value: routine } : { partial: routine }), diagnostics: out, parsed };
}

// ---------------------------------------------------------------------------------------------------------
// Depth limits (no recursion on unbounded input)
// ---------------------------------------------------------------------------------------------------------

/** Offsets of the first YAML node (document order) more than `max` maps/lists deep, found without recursion. */
function firstNodeDeeperThan(root: unknown, max: number): [number, number] | undefined {
  // Two parallel stacks (node, depth): no object per node, this runs on every keystroke of a big routine.
  const nodes: unknown[] = [root];
  const depths: number[] = [0];
  while (nodes.length) {
    const node = nodes.pop();
    const depth = depths.pop()!;
    const map = isMap(node);
    if (!map && !isSeq(node)) {
      continue;
    }
    const level = depth + 1;
    if (level > max) {
      const r = (node as { range?: [number, number, number] }).range;
      return r ? [r[0], r[1]] : [0, 0];
    }
    // Children pushed last first, so they come off the stack in document order (a map: key, then value).
    const items = node.items as unknown[];
    for (let i = items.length - 1; i >= 0; i--) {
      if (map) {
        const p = items[i] as { key: unknown; value: unknown };
        nodes.push(p.value, p.key);
        depths.push(level, level);
      } else {
        nodes.push(items[i]);
        depths.push(level);
      }
    }
  }
  return undefined;
}

/** True when plain data nests more than `max` maps/lists (checked without recursion, stopping early). */
function dataDeeperThan(root: unknown, max: number): boolean {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: root, depth: 0 }];
  let visited = 0;
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    const children = Array.isArray(v) ? v : isPlainMap(v) ? Object.values(v) : undefined;
    if (!children) {
      continue;
    }
    if (depth + 1 > max) {
      return true;
    }
    // Aliases may share one subtree many times; the YAML library caps alias expansion, this caps the walk.
    visited += children.length;
    if (visited > 5_000_000) {
      return true;
    }
    for (const c of children) {
      stack.push({ v: c, depth: depth + 1 });
    }
  }
  return false;
}

const STEP_LIST_KEYS = ['then', 'else', 'do'] as const;
const CONDITION_KEYS_OF_STEP = ['if', 'while', 'until', 'assert', 'when'] as const;

/**
 * Reports steps nested deeper than {@link MAX_STEP_NESTING} blocks and conditions deeper than
 * {@link MAX_CONDITION_NESTING}, each at the first step (condition) beyond the limit, and cuts them out of
 * `data` (a too-deep block becomes empty, a too-deep condition a placeholder) so the rest of the file is still
 * validated. The data is at most {@link MAX_DOCUMENT_DEPTH} deep here, which bounds the recursion.
 */
function cutDeepNesting(data: unknown, parsed: ParsedYaml, root: 'routine' | 'condition' = 'routine'): Diagnostic[] {
  const out: Diagnostic[] = [];
  const condition = (c: unknown, path: PathKey[], level: number, replace: (v: unknown) => void): void => {
    if (!isPlainMap(c)) {
      return;
    }
    if (level > MAX_CONDITION_NESTING) {
      out.push(
        diagnosticAt(parsed, path, `this condition is nested more than ${MAX_CONDITION_NESTING} deep (any/all/none/not inside each other)`, 'too-deep'),
      );
      replace({ elapsed: { ge: 0 } });
      return;
    }
    for (const k of ['any', 'all', 'none'] as const) {
      const list = c[k];
      if (Array.isArray(list)) {
        list.forEach((x, i) => condition(x, [...path, k, i], level + 1, (v) => (list[i] = v)));
      }
    }
    if ('not' in c) {
      condition(c.not, [...path, 'not'], level + 1, (v) => (c.not = v));
    }
    if (isPlainMap(c.condition)) {
      condition(c.condition, [...path, 'condition'], level, (v) => (c.condition = v));
    }
  };
  const steps = (list: unknown, path: PathKey[], level: number): void => {
    if (!Array.isArray(list) || list.length === 0) {
      return;
    }
    if (level > MAX_STEP_NESTING) {
      out.push(
        diagnosticAt(
          parsed,
          [...path, 0],
          `this step is nested more than ${MAX_STEP_NESTING} blocks deep (then/else/do inside each other); move the inner steps into a routine of their own and call it`,
          'too-deep',
        ),
      );
      list.length = 0;
      return;
    }
    list.forEach((s, i) => {
      if (!isPlainMap(s)) {
        return;
      }
      const sp: PathKey[] = [...path, i];
      for (const k of CONDITION_KEYS_OF_STEP) {
        if (k in s) {
          condition(s[k], [...sp, k], 1, (v) => (s[k] = v));
        }
      }
      if (isPlainMap(s.waitFor)) {
        condition(s.waitFor, [...sp, 'waitFor'], 1, (v) => (s.waitFor = v));
      }
      for (const k of STEP_LIST_KEYS) {
        steps(s[k], [...sp, k], level + 1);
      }
      if (Array.isArray(s.elif)) {
        s.elif.forEach((b, j) => {
          if (isPlainMap(b)) {
            condition(b.if, [...sp, 'elif', j, 'if'], 1, (v) => (b.if = v));
            steps(b.then, [...sp, 'elif', j, 'then'], level + 1);
          }
        });
      }
    });
  };
  if (root === 'condition') {
    // The root itself is at level 1, never cut.
    condition(data, [], 1, () => undefined);
    return out;
  }
  if (!isPlainMap(data)) {
    return out;
  }
  steps(data.steps, ['steps'], 1);
  if (Array.isArray(data.sentries)) {
    data.sentries.forEach((s, i) => {
      if (isPlainMap(s)) {
        condition(s.when, ['sentries', i, 'when'], 1, (v) => (s.when = v));
        steps(s.steps, ['sentries', i, 'steps'], 1);
      }
    });
  }
  return out;
}

/**
 * A condition written on its own as YAML text (`image: home.packsButton`, `{ var: count, gt: 3 }`): a debugger's
 * breakpoint condition or console input. The same reading, validation, `${}` checks and normalisation as a
 * condition inside a routine file, so it accepts the same syntax and reports the same located errors; `file` names
 * the text in those diagnostics.
 */
export function parseCondition(text: string, file = '<condition>'): { value?: LoadedCondition; diagnostics: Diagnostic[] } {
  const parsed = parseYaml(text, file);
  const diagnostics = [...parsed.diagnostics];
  if (diagnostics.some((d) => d.severity === 'error')) {
    return { diagnostics };
  }
  if (firstNodeDeeperThan(parsed.doc.contents, MAX_DOCUMENT_DEPTH)) {
    return { diagnostics: [diagnosticAt(parsed, [], `the condition nests maps and lists more than ${MAX_DOCUMENT_DEPTH} levels deep`, 'too-deep')] };
  }
  if (complexKeys(parsed.doc.contents).length) {
    return { diagnostics: [diagnosticAt(parsed, [], 'a key must be a plain name, not a list or a map', 'complex-key')] };
  }
  const read = yamlData(parsed);
  if ('diagnostic' in read) {
    return { diagnostics: [read.diagnostic] };
  }
  const data = read.data;
  if (data === null || data === undefined) {
    return { diagnostics: [{ file, line: 1, col: 1, severity: 'error', message: 'the condition is empty', code: 'empty-document' }] };
  }
  if (dataDeeperThan(data, MAX_DOCUMENT_DEPTH)) {
    return { diagnostics: [diagnosticAt(parsed, [], `the condition (with its aliases expanded) nests more than ${MAX_DOCUMENT_DEPTH} levels deep`, 'too-deep')] };
  }
  diagnostics.push(...cutDeepNesting(data, parsed, 'condition'));
  const r = conditionFileSchema.safeParse(data);
  diagnostics.push(...routineIssuesToDiagnostics(parsed, r.success ? [] : r.error.issues, data));
  diagnostics.push(...interpolationDiagnostics(parsed));
  const out = sortDiagnostics(dedupe(diagnostics));
  if (out.some((d) => d.severity === 'error')) {
    return { diagnostics: out };
  }
  return { value: new Normaliser(parsed).condition(data, []), diagnostics: out };
}

// ---------------------------------------------------------------------------------------------------------
// Partial loading: which parts of a file with errors are left out
// ---------------------------------------------------------------------------------------------------------

/** Paths (formatted) of the parts that have a problem of their own: steps, sentries, params, top-level keys. */
export interface BadParts {
  steps: Set<string>;
  sentries: Set<string>;
  params: Set<string>;
  topLevel: Set<string>;
}

/** The step (or other part) each issue belongs to: the innermost step on its path, else its sentry or key. */
function badParts(issues: readonly z.core.$ZodIssue[]): BadParts {
  const out: BadParts = { steps: new Set(), sentries: new Set(), params: new Set(), topLevel: new Set() };
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathKey => typeof p === 'string' || typeof p === 'number');
    let owner = -1;
    for (let i = 0; i + 1 < path.length; i++) {
      const k = path[i];
      const topSteps = k === 'steps' && (i === 0 || (i === 2 && path[0] === 'sentries'));
      if ((topSteps || k === 'then' || k === 'else' || k === 'do') && typeof path[i + 1] === 'number') {
        owner = i + 2;
      }
    }
    if (owner > 0) {
      out.steps.add(formatPath(path.slice(0, owner)));
    } else if (path[0] === 'sentries' && typeof path[1] === 'number') {
      out.sentries.add(formatPath(path.slice(0, 2)));
    } else if (path[0] === 'params' && typeof path[1] === 'string') {
      out.params.add(path[1]);
    } else if (typeof path[0] === 'string') {
      out.topLevel.add(path[0]);
    } else {
      out.topLevel.add('(document)');
    }
  }
  return out;
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
          `missing required key '${String(key)}' in ${parentWhere === '(document)' ? 'the routine' : parentWhere} (${message.replace(/, got nothing$/, '')})`,
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
  for (const { node, path } of interpolatedScalars(parsed.doc.contents)) {
    if (isDocumentationPath(path)) {
      continue;
    }
    const r = parseInterpolation(node.value);
    if (!r.ok) {
      out.push(locateInScalar(parsed, node, r.error.index, `${formatPath(path)}: ${r.error.message}`));
    }
  }
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
  /** Where values are written: `${var}` strings and literal durations (see {@link LoadedRoutine.sources}). */
  readonly sources = new Map<string, ValueSource>();

  constructor(
    private readonly parsed: ParsedYaml,
    /** Set when the file has errors: the parts left out of the partial routine. */
    private readonly bad?: BadParts,
  ) {}

  range(path: readonly PathKey[]): SourceRange {
    return rangeAt(this.parsed, path);
  }

  located(path: readonly PathKey[]): { range: SourceRange; path: string } {
    return { range: this.range(path), path: formatPath(path) };
  }

  duration(v: unknown, path: PathKey[], def: number): DurationValue;
  duration(v: unknown, path: PathKey[], def?: undefined): DurationValue | undefined;
  duration(v: unknown, path: PathKey[], def?: number): DurationValue | undefined {
    if (v === undefined || v === null) {
      return def;
    }
    if (typeof v === 'string' && hasInterpolation(v)) {
      return v;
    }
    const ms = parseDuration(v);
    if (ms === undefined) {
      if (this.bad) {
        return def ?? 0;
      }
      throw new Error(`invalid duration ${JSON.stringify(v)} passed validation`);
    }
    const unit = durationUnitOf(v);
    if (unit) {
      this.sources.set(formatPath(path), { range: this.range(path), unit });
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
          comparisons.push({ op, value: this.duration(o[op], [...path, 'elapsed', op], 0) });
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
    if (!Array.isArray(v)) {
      return [];
    }
    const out: LoadedStep[] = [];
    v.forEach((s, i) => {
      const p = [...path, i];
      const step = this.part(() => this.step(s, p), formatPath(p), this.bad?.steps);
      if (step) {
        out.push(step);
      }
    });
    return out;
  }

  /**
   * One part of the routine (a step, a sentry, a parameter, a top-level setting). In a file with errors, a part
   * with a problem of its own is left out, and so is one that cannot be normalised.
   */
  part<T>(make: () => T, key: string, bad: Set<string> | undefined): T | undefined {
    if (!this.bad) {
      return make();
    }
    if (bad?.has(key)) {
      return undefined;
    }
    try {
      return make();
    } catch {
      return undefined;
    }
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
      ...(s.timeout !== undefined ? { timeout: this.duration(s.timeout, [...path, 'timeout']) } : {}),
      retries: s.retries !== undefined ? this.num(s.retries) : DEFAULTS.retries,
      backoff: this.duration(s.backoff, [...path, 'backoff'], DEFAULTS.backoff),
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
        return { target: this.target(value), duration: this.duration(o.duration, [...path, 'longPress', 'duration'], DEFAULTS.longPressDuration) } satisfies ActionArgs['longPress'];
      case 'swipe':
        return { from: this.point(o.from), to: this.point(o.to), duration: this.duration(o.duration, [...path, 'swipe', 'duration'], DEFAULTS.swipeDuration) } satisfies ActionArgs['swipe'];
      case 'text':
        return { text: String(value) } satisfies ActionArgs['text'];
      case 'key':
        return { key: typeof value === 'string' && !hasInterpolation(value) && !value.startsWith('KEYCODE_') ? `KEYCODE_${value}` : (value as string | number) } satisfies ActionArgs['key'];
      case 'wait':
        return { duration: this.duration(value, [...path, 'wait'], 0) } satisfies ActionArgs['wait'];
      case 'waitFor': {
        const condPath: PathKey[] = 'condition' in o ? [...path, 'waitFor', 'condition'] : [...path, 'waitFor'];
        const condRaw: Raw = 'condition' in o ? (o.condition as Raw) : Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'timeout' && k !== 'interval' && k !== 'onTimeout'));
        return {
          condition: this.condition(condRaw, condPath),
          timeout: this.duration(o.timeout, [...path, 'waitFor', 'timeout'], DEFAULTS.waitForTimeout),
          interval: this.duration(o.interval, [...path, 'waitFor', 'interval'], DEFAULTS.waitForInterval),
          onTimeout: (o.onTimeout as 'fail' | 'continue' | undefined) ?? 'fail',
        } satisfies ActionArgs['waitFor'];
      }
      case 'waitStable':
        return {
          timeout: this.duration(o.timeout, [...path, 'waitStable', 'timeout'], DEFAULTS.waitStableTimeout),
          interval: this.duration(o.interval, [...path, 'waitStable', 'interval'], DEFAULTS.waitStableInterval),
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
      const spec = this.part(
        (): ParamSpec => {
          const p = raw as Raw;
          return {
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
        },
        name,
        this.bad?.params,
      );
      if (spec) {
        out[name] = spec;
      }
    }
    return out;
  }

  sentries(v: unknown): LoadedSentry[] {
    if (!Array.isArray(v)) {
      return [];
    }
    const out: LoadedSentry[] = [];
    v.forEach((raw, i) => {
      const path: PathKey[] = ['sentries', i];
      const sentry = this.part(
        (): LoadedSentry => {
          const s = raw as Raw;
          return {
            name: s.name as string,
            every: this.duration(s.every, [...path, 'every'], DEFAULTS.sentryEvery),
            when: this.condition(s.when, [...path, 'when']),
            steps: this.steps(s.steps, [...path, 'steps']),
            then: (s.then as LoadedSentry['then'] | undefined) ?? 'resume',
            ...(s.cooldown !== undefined ? { cooldown: this.duration(s.cooldown, [...path, 'cooldown']) } : {}),
            ...this.located(path),
          };
        },
        formatPath(path),
        this.bad?.sentries,
      );
      if (sentry) {
        out.push(sentry);
      }
    });
    return out;
  }

  /** A top-level setting, left out of a partial routine when it has a problem. */
  top<T>(key: string, make: () => T): T | undefined {
    return this.part(make, key, this.bad?.topLevel);
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
      backoff: this.duration(o.backoff, ['onError', 'backoff'], DEFAULTS.backoff),
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
      ...(o.noProgress !== undefined ? { noProgress: this.duration(o.noProgress, ['stuck', 'noProgress']) } : {}),
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

function normaliseRoutine(data: Raw, parsed: ParsedYaml, registryName?: string, bad?: BadParts): LoadedRoutine {
  const n = new Normaliser(parsed, bad);
  let resolution: { width: number; height: number } = { ...DEFAULTS.resolution };
  const res = n.top('resolution', () => data.resolution);
  if (typeof res === 'string') {
    const [w, h] = res.split('x').map(Number);
    resolution = { width: w, height: h };
  }
  const onError = n.top('onError', () => n.onError(data.onError));
  const stuck = n.top('stuck', () => n.stuck(data.stuck));
  const name = n.top('name', () => data.name);
  const description = n.top('description', () => data.description);
  const tags = n.top('tags', () => data.tags);
  const app = n.top('app', () => data.app);
  const routine: LoadedRoutine = {
    name: typeof name === 'string' ? name : defaultName(parsed.file, registryName),
    ...(registryName ? { registryName } : {}),
    file: parsed.file,
    ...(typeof description === 'string' ? { description } : {}),
    tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [],
    params: n.params(data.params),
    vars: n.top('vars', () => n.scalars(data.vars)) ?? {},
    ...(typeof app === 'string' ? { app } : {}),
    resolution,
    sentries: n.sentries(data.sentries),
    ...(onError ? { onError } : {}),
    ...(stuck ? { stuck } : {}),
    steps: n.steps(data.steps, ['steps']),
    range: n.range([]),
    sources: n.sources,
  };
  for (const { path } of interpolatedScalars(parsed.doc.contents)) {
    const key = formatPath(path);
    if (!n.sources.has(key)) {
      n.sources.set(key, { range: n.range(path) });
    }
  }
  return routine;
}
