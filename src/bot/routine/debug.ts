/**
 * The routine debugger: hooks of the interpreter shaped for a Debug Adapter, without any DAP or vscode type
 * (the pure runtime beside the protocol, as in vscode-mock-debug). A debug adapter attaches a
 * {@link RoutineDebugger} to one interpreter (`interpreter.attachDebugger()`, or a bot's runner's
 * {@link RoutineDebugTarget}) and drives it with plain methods and events:
 *
 * - breakpoints on step lines (verified, or moved to the step's first line or to the next step of the same list),
 *   with conditions (a routine-language condition or a `${}` expression), hit counts and log messages; function
 *   breakpoints on routine names; exception stops for routine errors, stuck detection and sentries;
 * - stepping (`next`, `stepIn`, `stepOut`, `continue`), `pause` anywhere (mid-wait too), stop on entry;
 * - the call stack (routine calls and running sentries), their scopes (params, variables, system variables, the
 *   last matches, the account with its secrets redacted, the device), `setVariable` and `evaluate`.
 *
 * Everything is read from the interpreter's own data when asked (nothing is copied ahead of time and drifts).
 *
 * Time: while the debugger holds a run stopped, the routine's clock stands still (see routineClock.ts): waits,
 * step timeouts, retry backoffs, stuck detection and sentry schedules resume with what was left. Sentries do not
 * run while stopped. A debugger stop and a bot pause (`interpreter.pause()`) are distinct: `interpreter.resume()`
 * never continues a debugger stop, and `continue()` never resumes a bot pause.
 */
import { FleetError } from '../../shared/errors';
import type { LatencySummary } from '../../shared/fleetTypes';
import { formatDiagnostic, type SourceRange } from '../../shared/geometry';
import { Emitter, type Disposable, type Event } from '../../shared/lifecycle';
import { parseYaml, yamlData } from '../../shared/yamlSource';
import type { AccountLease } from '../accounts';
import type { RawFrame } from '../device';
import type { ActiveFrame, ExecContext, MatchRecord, StepEntry } from './context';
import { interpolateString } from './interpolate';
import { parseInterpolation, VARIABLE_NAME_PATTERN } from './interpolationSyntax';
import type { LoadedCondition, LoadedRoutine, LoadedStep } from './loadedTypes';
import { parseCondition } from './loader';
import type { RoutineClock } from './routineClock';
import { cloneValue, isTruthy, type VariableScope } from './variables';

// ---------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------

export type DebugStopReason = 'entry' | 'breakpoint' | 'function breakpoint' | 'step' | 'pause' | 'exception';

/** The exception stops a debugger can turn on. */
export type DebugExceptionFilter = 'error' | 'stuck' | 'sentry';

/** The exception filters with their labels (for the adapter's `exceptionBreakpointFilters` capability). */
export const DEBUG_EXCEPTION_FILTERS: ReadonlyArray<{ filter: DebugExceptionFilter; label: string; description: string; default: boolean }> = [
  {
    filter: 'error',
    label: 'Routine errors',
    description:
      'Stop at the step that failed, before its onError (or the routine\'s) decides what happens: every error, handled or not, once (not for failures its own retries recovered from, nor for cancellation).',
    default: false,
  },
  { filter: 'stuck', label: 'Stuck detected', description: 'Stop when stuck detection fires, before its recovery rung runs.', default: false },
  { filter: 'sentry', label: 'Sentry fired', description: 'Stop when a sentry\'s condition holds, before its steps run.', default: false },
];

/** Where a stop (or a frame) is: the routine, its file and the range of the step (or sentry, or routine). */
export interface DebugLocation {
  /** Registry name of the routine whose file holds the location. */
  routine: string;
  file: string;
  range: SourceRange;
  /** Path of the step (`steps[2].then[0]`) or sentry (`sentries[0]`); '' for the routine itself. */
  path: string;
}

export interface DebugStopEvent {
  reason: DebugStopReason;
  location: DebugLocation;
  /** The frame the run stopped in: the first of `frames()`. */
  frameId: number;
  /** The breakpoints (line and function) that caused the stop. */
  breakpointIds?: number[];
  /** A short description (the exception's message, a failed breakpoint condition). */
  text?: string;
  exception?: { filter: DebugExceptionFilter; message: string; code?: string; range?: SourceRange };
}

/** Why the run goes on after a stop. */
export interface DebugContinueEvent {
  action: 'continue' | 'next' | 'stepIn' | 'stepOut' | 'detach';
}

export interface DebugOutputEvent {
  /** `console`: a log point's message; `stderr`: a breakpoint whose condition could not be evaluated. */
  category: 'console' | 'stderr';
  /** The text, without a trailing newline. */
  text: string;
  location?: DebugLocation;
  breakpointId?: number;
}

export interface DebugRunEvent {
  /** The routine the run started with. */
  routine: string;
}

export interface DebugEndEvent {
  routine: string;
  ok: boolean;
  error?: { message: string; code: string; range?: SourceRange };
  stopped?: { reason: string; message?: string };
}

export interface DebugBreakpointSpec {
  /** 1-based line in the routine file. */
  line: number;
  /** A routine condition (YAML, like `image: home.packsButton` or `{ var: count, gt: 3 }`), a `${}` expression or a variable name. */
  condition?: string;
  /** `3` (the third hit only), `== 3`, `>= 3`, `> 3`, `<= 3`, `< 3`, `% 2` (every second hit). */
  hitCondition?: string;
  /** Log this instead of stopping; `${name}` is replaced by the variable's value. */
  logMessage?: string;
}

export interface DebugFunctionBreakpointSpec {
  /** A routine's registry name (or its display name). */
  name: string;
  condition?: string;
  hitCondition?: string;
}

export interface DebugBreakpoint {
  id: number;
  verified: boolean;
  /** The line it is bound to (moved to the step's first line); the requested line when unverified. */
  line?: number;
  requestedLine?: number;
  file?: string;
  /** Function breakpoints: the routine name. */
  name?: string;
  /** Why it is unverified or was moved. */
  message?: string;
}

export interface DebugExceptionFilters {
  error?: boolean;
  stuck?: boolean;
  sentry?: boolean;
}

export interface DebugFrame {
  /** Unique within the interpreter; stable while the frame lives. */
  id: number;
  kind: 'routine' | 'sentry';
  /** The routine's registry name, or `sentry '<name>'`. */
  name: string;
  /** The routine whose file holds the frame's location (a sentry's: the routine that declared it). */
  routine: string;
  file: string;
  /** The current step's range (a sentry between steps: the sentry's; a routine between steps: the routine's). */
  range: SourceRange;
  path: string;
  /** The current step's label (its name, id or action). */
  step?: string;
  /** 0 for the routine the run started with. */
  depth: number;
}

export type DebugScopeKind = 'params' | 'variables' | 'system' | 'matches' | 'account' | 'device';

export interface DebugScope {
  kind: DebugScopeKind;
  name: string;
  variables: DebugVariable[];
}

export type DebugValueType = 'string' | 'number' | 'boolean' | 'null' | 'list' | 'map' | 'match' | 'group';

export interface DebugVariable {
  name: string;
  /** The value (a copy of plain data). Redacted values are not included. */
  value: unknown;
  /** The value as shown: strings quoted, lists and maps summarised. */
  text: string;
  type: DebugValueType;
  /** Elements of lists and maps, fields of matches, members of groups. */
  children?: DebugVariable[];
  /** Variables scope: `local`, or the routine (caller) whose scope holds it. */
  origin?: string;
  /** True for what `setVariable` refuses (system variables, matches, account, device). */
  readOnly?: boolean;
  redacted?: boolean;
}

export interface DebugEvaluation {
  kind: 'variable' | 'expression' | 'condition';
  value: unknown;
  text: string;
  type: DebugValueType;
  children?: DebugVariable[];
  /** Conditions: the matches made to answer (on a frame captured for it). */
  matches?: MatchRecord[];
}

/** The screen of a stopped run (for a screen view). */
export interface DebugScreen {
  /** The frame; its pixels may be recycled by the device's next captures (retain it to keep it: see FrameLease). */
  frame: RawFrame;
  /** True when it was captured for this request; false when it is the frame the run's conditions last looked at. */
  fresh: boolean;
}

/** What the device scope shows beyond what the interpreter knows (the bot measures latencies). */
export interface DebugDeviceInfo {
  serial?: string;
  capture?: LatencySummary;
  input?: LatencySummary;
}

export interface DebugAttachOptions {
  /** Stop before the first step (of the run in progress, or of the next run). */
  stopOnEntry?: boolean;
  deviceInfo?: () => DebugDeviceInfo;
}

export type RoutineDebugErrorCode = 'not-stopped' | 'unknown-frame' | 'invalid-expression' | 'evaluation-failed' | 'invalid-value' | 'already-attached' | 'detached';

export class RoutineDebugError extends FleetError<RoutineDebugErrorCode> {
  constructor(code: RoutineDebugErrorCode, message: string) {
    super(code, message);
    this.name = 'RoutineDebugError';
  }
}

/** The handle a bot exposes for its routine: attach a debugger to one bot of a running group. */
export interface RoutineDebugTarget {
  /** Attaches a debugger to the bot's interpreter (throws `already-attached` when one is). */
  attach(opts?: DebugAttachOptions): RoutineDebugger;
  /** The debugger attached now, if any. */
  readonly debugger: RoutineDebugger | undefined;
  /** True while a routine runs (a debugger then applies to it at once; otherwise from the next run). */
  readonly running: boolean;
}

/** What {@link debugTargetOf} needs of the interpreter. */
export interface DebuggableInterpreter {
  attachDebugger(opts?: DebugAttachOptions): RoutineDebugger;
  readonly debugger: RoutineDebugger | undefined;
  readonly state: string;
}

/** The debug target of a runner's interpreter (`runner.debug`); `defaults` apply to every attach. */
export function debugTargetOf(interpreter: DebuggableInterpreter, defaults: DebugAttachOptions = {}): RoutineDebugTarget {
  return {
    attach: (opts = {}) => interpreter.attachDebugger({ ...defaults, ...definedOnly(opts) }),
    get debugger() {
      return interpreter.debugger;
    },
    get running() {
      return interpreter.state !== 'idle';
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------------------
// What the interpreter provides (internal)
// ---------------------------------------------------------------------------------------------------------

/** @internal What the debugger reads and asks of a run: implemented by the interpreter's run engine. */
export interface DebugEngine {
  /** The call stack, outermost first. */
  readonly stack: readonly ActiveFrame[];
  /** The run's latest matches, oldest first (bounded). */
  readonly recentMatches: readonly MatchRecord[];
  readonly lease: AccountLease | undefined;
  readonly clock: RoutineClock;
  readonly runSignal: AbortSignal;
  readonly rootScope: VariableScope;
  /** True while the run only waits (a sleep, a poll interval, the bot's pause): a pause then stops it at once. */
  readonly idle: boolean;
  /** Evaluates a condition for the debugger: no events, no pause points; `fresh` captures a new frame first. */
  inspectCondition(cond: LoadedCondition, ctx: ExecContext, opts: { fresh: boolean }): Promise<{ value: boolean; matches: MatchRecord[] }>;
  /** Sets a variable as the language does (system variables refused, parameters coerced); returns the value stored. */
  assignVariable(frame: ActiveFrame, name: string, value: unknown): unknown;
  deviceState(): DebugDeviceState;
  /**
   * The screen: the frame the run's conditions last looked at when nothing changed the screen since (and `fresh` is
   * false), else a capture made now (not cached: the run's own conditions are not affected).
   */
  screen(opts: { fresh: boolean }): Promise<DebugScreen>;
}

export interface DebugDeviceState {
  serial: string;
  captureMethod: string;
  displaySize?: { width: number; height: number };
  captures: number;
  cacheHits: number;
  frameAgeMs?: number;
}

/** @internal What the debugger needs of its interpreter. */
export interface DebugHost {
  routines: { get(name: string): LoadedRoutine | undefined; names?(): readonly string[] };
  detach(d: RoutineDebugger): void;
}

// ---------------------------------------------------------------------------------------------------------
// Breakpoint lines
// ---------------------------------------------------------------------------------------------------------

/** Every step list of a routine (its steps, its sentries' steps, and the blocks inside them), outermost first. */
export function stepLists(routine: LoadedRoutine): LoadedStep[][] {
  const out: LoadedStep[][] = [];
  const visit = (list: LoadedStep[]): void => {
    out.push(list);
    for (const s of list) {
      for (const child of childLists(s)) {
        visit(child);
      }
    }
  };
  visit(routine.steps);
  for (const s of routine.sentries) {
    visit(s.steps);
  }
  return out;
}

function childLists(step: LoadedStep): LoadedStep[][] {
  switch (step.action) {
    case 'if':
      return [...step.args.branches.map((b) => b.steps), step.args.else];
    case 'while':
    case 'until':
    case 'repeat':
      return [step.args.do];
    default:
      return [];
  }
}

/** The last line a step occupies (a block map's range ends at the start of the next line). */
function lastLine(r: SourceRange): number {
  return r.end.line > r.start.line && r.end.col <= 1 ? r.end.line - 1 : r.end.line;
}

/**
 * Where a breakpoint on `line` binds: the steps starting on that line; else the innermost step containing it (moved
 * to that step's first line); else, between two steps of the same list, the later one; else nowhere.
 */
export function resolveBreakpointLine(routine: LoadedRoutine, line: number): { steps: LoadedStep[]; line: number } | { message: string } {
  const lists = stepLists(routine);
  const all = lists.flat().sort((a, b) => a.range.offset[0] - b.range.offset[0]);
  const on = all.filter((s) => s.range.start.line === line);
  if (on.length) {
    return { steps: on, line };
  }
  let inner: LoadedStep | undefined;
  for (const s of all) {
    if (s.range.start.line < line && line <= lastLine(s.range) && (!inner || s.range.offset[0] >= inner.range.offset[0])) {
      inner = s;
    }
  }
  if (inner) {
    return { steps: [inner], line: inner.range.start.line };
  }
  for (const list of lists) {
    for (let i = 1; i < list.length; i++) {
      if (lastLine(list[i - 1].range) < line && line < list[i].range.start.line) {
        return { steps: [list[i]], line: list[i].range.start.line };
      }
    }
  }
  return { message: 'no step on this line' };
}

function sameFile(a: string, b: string): boolean {
  const x = a.replace(/\\/g, '/');
  const y = b.replace(/\\/g, '/');
  return x === y || x.endsWith(`/${y}`) || y.endsWith(`/${x}`);
}

// ---------------------------------------------------------------------------------------------------------
// Conditions, hit counts, log messages
// ---------------------------------------------------------------------------------------------------------

const VARIABLE_NAME_RE = new RegExp(VARIABLE_NAME_PATTERN);

/** A compiled condition or console input. */
type Test =
  | { kind: 'variable'; name: string }
  | { kind: 'expression'; text: string }
  | { kind: 'condition'; cond: LoadedCondition };

/**
 * Reads a breakpoint condition or a console input: a variable name, a `${}` expression, or a condition of the
 * routine language read by the routine loader (same syntax, same errors).
 */
function compileTest(text: string, file: string): Test {
  const t = text.trim();
  if (t === '') {
    throw new RoutineDebugError('invalid-expression', 'empty expression');
  }
  if (VARIABLE_NAME_RE.test(t)) {
    return { kind: 'variable', name: t };
  }
  const parsed = parseYaml(t, file);
  const read = parsed.diagnostics.some((d) => d.severity === 'error') ? undefined : yamlData(parsed);
  const data = read && 'data' in read ? read.data : undefined;
  if (typeof data === 'string' && data.includes('${')) {
    const r = parseInterpolation(data);
    if (!r.ok) {
      throw new RoutineDebugError('invalid-expression', `${r.error.message} in '${data}'`);
    }
    const outside = r.parts.filter((p): p is string => typeof p === 'string').join(' ');
    if (/[<>]|==|!=/.test(outside)) {
      throw new RoutineDebugError(
        'invalid-expression',
        `'${data}' is text, not a comparison: \${} only substitutes variables; compare with a condition such as { var: name, gt: 3 }`,
      );
    }
    return { kind: 'expression', text: data };
  }
  if ((data !== null && typeof data === 'object' && !Array.isArray(data)) || (read === undefined && /:/.test(t))) {
    const r = parseCondition(t, file);
    if (!r.value) {
      const first = r.diagnostics.find((d) => d.severity === 'error');
      throw new RoutineDebugError('invalid-expression', first ? formatDiagnostic(first) : 'invalid condition');
    }
    return { kind: 'condition', cond: r.value };
  }
  throw new RoutineDebugError(
    'invalid-expression',
    `expected a variable name, a \${} expression, or a condition of the routine language such as 'image: home.packsButton' or '{ var: count, gt: 3 }'`,
  );
}

/** `3` (the third hit), `== 3`, `>= 3`, `> 3`, `<= 3`, `< 3`, `% 2`. */
function compileHitCondition(text: string): (hits: number) => boolean {
  const m = /^\s*(>=|<=|==|=|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) {
    throw new RoutineDebugError('invalid-expression', `invalid hit count '${text}': expected a number (that hit only), or == N, >= N, > N, <= N, < N, % N`);
  }
  const n = Number(m[2]);
  switch (m[1]) {
    case '>=':
      return (h) => h >= n;
    case '>':
      return (h) => h > n;
    case '<=':
      return (h) => h <= n;
    case '<':
      return (h) => h < n;
    case '%':
      if (n === 0) {
        throw new RoutineDebugError('invalid-expression', `invalid hit count '${text}': % needs a number above 0`);
      }
      return (h) => h % n === 0;
    default:
      return (h) => h === n;
  }
}

/** A log message with its `${name}` references replaced (a missing variable shows as `<name: not set>`). */
function formatLogMessage(message: string, lookup: (name: string) => unknown): string {
  const r = parseInterpolation(message);
  if (!r.ok) {
    return message;
  }
  return r.parts
    .map((p) => {
      if (typeof p === 'string') {
        return p;
      }
      const v = lookup(p.name);
      return v === undefined ? `<${p.name}: not set>` : typeof v === 'string' ? v : JSON.stringify(v);
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------------------
// Values for display
// ---------------------------------------------------------------------------------------------------------

const SECRET_NAME_RE = /pass|token|secret|key|session|cookie|auth/i;
const REDACTED = '«redacted»';
const RECENT_MATCHES_SHOWN = 10;

function typeOf(v: unknown): DebugValueType {
  if (v === null || v === undefined) {
    return 'null';
  }
  if (Array.isArray(v)) {
    return 'list';
  }
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'map';
  }
}

function textOf(v: unknown): string {
  if (v === undefined) {
    return 'undefined';
  }
  if (Array.isArray(v)) {
    return `list (${v.length})`;
  }
  if (v !== null && typeof v === 'object') {
    return `map (${Object.keys(v).length})`;
  }
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** A variable for display (lists and maps with their elements as children). */
export function debugVariable(name: string, value: unknown, extra: Partial<DebugVariable> = {}, depth = 0): DebugVariable {
  const v: DebugVariable = { name, value: cloneValue(value), text: textOf(value), type: typeOf(value), ...extra };
  if (depth < 16 && value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((x, i) => [String(i), x] as const) : Object.entries(value as Record<string, unknown>);
    v.children = entries.map(([k, x]) => debugVariable(k, x, extra.readOnly ? { readOnly: true } : {}, depth + 1));
  }
  return v;
}

function matchText(m: MatchRecord): string {
  const b = m.box;
  const at = `(${Math.round(b.x)}, ${Math.round(b.y)}, ${Math.round(b.w)}x${Math.round(b.h)})`;
  return m.found ? `found ${m.score.toFixed(3)} >= ${m.threshold} at ${at}` : `not found: best ${m.score.toFixed(3)} < ${m.threshold} at ${at}`;
}

function matchVariable(name: string, m: MatchRecord): DebugVariable {
  const ro = { readOnly: true };
  return {
    name,
    value: { ...m, box: { ...m.box } },
    text: `${m.template}: ${matchText(m)}`,
    type: 'match',
    readOnly: true,
    children: [
      debugVariable('template', m.template, ro),
      debugVariable('found', m.found, ro),
      debugVariable('score', m.score, ro),
      debugVariable('threshold', m.threshold, ro),
      debugVariable('box', m.box, ro),
      debugVariable('ms', m.ms, ro),
      debugVariable('routine', m.routine, ro),
      ...(m.path !== undefined ? [debugVariable('step', m.path, ro)] : []),
      debugVariable('time', new Date(m.time).toISOString(), ro),
    ],
  };
}

function group(name: string, children: DebugVariable[], text = `${children.length}`): DebugVariable {
  return { name, value: undefined, text, type: 'group', readOnly: true, children };
}

function latencyVariable(name: string, l: LatencySummary | undefined): DebugVariable[] {
  if (!l) {
    return [];
  }
  const ro = { readOnly: true };
  const parts = [l.p50 !== undefined ? `p50 ${l.p50} ms` : '', l.p95 !== undefined ? `p95 ${l.p95} ms` : '', l.last !== undefined ? `last ${l.last} ms` : '']
    .filter(Boolean)
    .join(', ');
  return [
    {
      name,
      value: { ...l },
      text: parts || `${l.count} samples`,
      type: 'map',
      readOnly: true,
      children: Object.entries(l).map(([k, v]) => debugVariable(k, v, ro)),
    },
  ];
}

/** A scalar typed in the debugger (`5`, `true`, `"text"`, `text`), read by the YAML rules of a routine's `set`. */
function parseScalar(text: string): unknown {
  const parsed = parseYaml(text, '<value>');
  const err = parsed.diagnostics.find((d) => d.severity === 'error');
  if (err) {
    throw new RoutineDebugError('invalid-value', `cannot read the value: ${err.message}`);
  }
  const read = yamlData(parsed);
  if ('diagnostic' in read) {
    throw new RoutineDebugError('invalid-value', `cannot read the value: ${read.diagnostic.message}`);
  }
  const v = read.data === undefined ? null : read.data;
  if (v !== null && typeof v === 'object') {
    throw new RoutineDebugError('invalid-value', 'a variable is set to a string, number, boolean or null (as with set:)');
  }
  return v;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------------------
// The debugger
// ---------------------------------------------------------------------------------------------------------

interface LineBreakpoint {
  id: number;
  file: string;
  spec: DebugBreakpointSpec;
  test?: Test;
  hit?: (hits: number) => boolean;
  /** Why it can never hit (an invalid condition or hit count). */
  invalid?: string;
  hits: number;
  /** What was last told about it (the adapter hears of changes through onDidChangeBreakpoint). */
  reported: DebugBreakpoint;
}

interface FunctionBreakpoint {
  id: number;
  spec: DebugFunctionBreakpointSpec;
  test?: Test;
  hit?: (hits: number) => boolean;
  invalid?: string;
  hits: number;
}

interface StopState {
  event: DebugStopEvent;
  release: () => void;
  released: Promise<void>;
  resuming: boolean;
}

interface StepMode {
  kind: 'next' | 'stepIn' | 'stepOut';
  frame: ActiveFrame;
  /** The frame's index in the stack when stepping started. */
  index: number;
  /** How many steps of the frame were in progress (the stopped step's nesting level; 0 between steps). */
  level: number;
}

/**
 * One debugging session on one interpreter. Created by `interpreter.attachDebugger()`; `detach()` (or `dispose()`)
 * ends it and lets the run go on.
 */
export class RoutineDebugger implements Disposable {
  private readonly _onDidStop = new Emitter<DebugStopEvent>();
  /** The run stopped (the engine waits until continue, a step command, detach or cancellation). */
  readonly onDidStop: Event<DebugStopEvent> = this._onDidStop.event;
  private readonly _onDidContinue = new Emitter<DebugContinueEvent>();
  readonly onDidContinue: Event<DebugContinueEvent> = this._onDidContinue.event;
  private readonly _onDidOutput = new Emitter<DebugOutputEvent>();
  /** Log points and breakpoint conditions that could not be evaluated. */
  readonly onDidOutput: Event<DebugOutputEvent> = this._onDidOutput.event;
  private readonly _onDidStartRun = new Emitter<DebugRunEvent>();
  readonly onDidStartRun: Event<DebugRunEvent> = this._onDidStartRun.event;
  private readonly _onDidEnd = new Emitter<DebugEndEvent>();
  /** A run ended (a bot's next cycle starts a new run with the same debugger). */
  readonly onDidEnd: Event<DebugEndEvent> = this._onDidEnd.event;
  private readonly _onDidChangeBreakpoint = new Emitter<DebugBreakpoint>();
  /** A breakpoint's verification or line changed (a routine of its file was loaded or reloaded). */
  readonly onDidChangeBreakpoint: Event<DebugBreakpoint> = this._onDidChangeBreakpoint.event;

  private engine: DebugEngine | undefined;
  private disposed = false;
  private nextId = 1;
  private readonly lineBreakpoints = new Map<string, LineBreakpoint[]>();
  private functionBreakpoints: FunctionBreakpoint[] = [];
  private filters: Required<DebugExceptionFilters> = { error: false, stuck: false, sentry: false };
  /** Bindings of line breakpoints per loaded routine, rebuilt when breakpoints change. */
  private bindings = new WeakMap<LoadedRoutine, Map<LoadedStep, LineBreakpoint[]>>();
  /** Routines seen running, by file (breakpoints verify against them when the registry has none). */
  private readonly seen = new Map<string, LoadedRoutine>();
  private stopState: StopState | undefined;
  private pauseRequested = false;
  private entryPending: boolean;
  private stepMode: StepMode | undefined;
  /** A step the run stopped at before it started: its own start does not stop again. */
  private skipEntry: StepEntry | undefined;
  /** Errors already stopped at (an error passes every enclosing step on its way up). */
  private readonly reported = new WeakSet<object>();
  /** Inspections using the device while stopped; the run resumes once they are done. */
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly deviceInfo: (() => DebugDeviceInfo) | undefined;

  /** @internal Use `interpreter.attachDebugger()`. */
  constructor(
    private readonly host: DebugHost,
    opts: DebugAttachOptions = {},
  ) {
    this.entryPending = opts.stopOnEntry === true;
    this.deviceInfo = opts.deviceInfo;
  }

  /** True until detached. */
  get attached(): boolean {
    return !this.disposed;
  }

  /** True while a run is in progress. */
  get running(): boolean {
    return this.engine !== undefined;
  }

  /** The current stop, while stopped. */
  get stopped(): DebugStopEvent | undefined {
    return this.stopState?.event;
  }

  // ---- breakpoints ----

  /**
   * Replaces the breakpoints of one routine file (`file` as in the routine's source ranges, workspace-relative
   * with `/`; a path ending with it matches too). Returns one result per spec, in order.
   */
  setBreakpoints(file: string, specs: readonly DebugBreakpointSpec[]): DebugBreakpoint[] {
    this.throwIfDetached();
    const key = file.replace(/\\/g, '/');
    const old = this.lineBreakpoints.get(key) ?? [];
    const routine = this.routineOfFile(key);
    const out: LineBreakpoint[] = specs.map((spec) => {
      const same = old.find(
        (b) => b.spec.line === spec.line && b.spec.condition === spec.condition && b.spec.hitCondition === spec.hitCondition && b.spec.logMessage === spec.logMessage,
      );
      const bp: LineBreakpoint = same ?? { id: this.nextId++, file: key, spec: { ...spec }, hits: 0, reported: { id: 0, verified: false } };
      if (!same) {
        this.compileConditions(bp, spec, `${key}:${spec.line} condition`);
      }
      bp.reported = this.verify(bp, routine);
      return bp;
    });
    if (out.length) {
      this.lineBreakpoints.set(key, out);
    } else {
      this.lineBreakpoints.delete(key);
    }
    this.bindings = new WeakMap();
    return out.map((b) => ({ ...b.reported }));
  }

  /** Replaces the function breakpoints: a stop at the first step of each invocation of the named routines. */
  setFunctionBreakpoints(specs: readonly DebugFunctionBreakpointSpec[]): DebugBreakpoint[] {
    this.throwIfDetached();
    const old = this.functionBreakpoints;
    this.functionBreakpoints = specs.map((spec) => {
      const same = old.find((b) => b.spec.name === spec.name && b.spec.condition === spec.condition && b.spec.hitCondition === spec.hitCondition);
      if (same) {
        return same;
      }
      const bp: FunctionBreakpoint = { id: this.nextId++, spec: { ...spec }, hits: 0 };
      this.compileConditions(bp, spec, `${spec.name} condition`);
      return bp;
    });
    return this.functionBreakpoints.map((b) => {
      const known = this.host.routines.get(b.spec.name) !== undefined || (this.host.routines.names?.().includes(b.spec.name) ?? false);
      const message = b.invalid ?? (known ? undefined : `no routine named '${b.spec.name}' (it may not load)`);
      return { id: b.id, name: b.spec.name, verified: b.invalid === undefined && known, ...(message ? { message } : {}) };
    });
  }

  setExceptionFilters(filters: DebugExceptionFilters): void {
    this.throwIfDetached();
    this.filters = { error: filters.error === true, stuck: filters.stuck === true, sentry: filters.sentry === true };
  }

  // ---- execution ----

  /** Goes on until the next breakpoint, exception stop or pause. False when not stopped. */
  continue(): boolean {
    return this.resumeWith('continue');
  }

  /** Runs the current step (a whole call, loop or branch) and stops at the next step at the same or a shallower depth. */
  next(): boolean {
    return this.resumeWith('next');
  }

  /** Stops at the next step that starts anywhere: into a called routine, the branch or loop body taken, a sentry. */
  stepIn(): boolean {
    return this.resumeWith('stepIn');
  }

  /** Runs until the current routine (or sentry) returns, and stops at its caller's next step. */
  stepOut(): boolean {
    return this.resumeWith('stepOut');
  }

  /**
   * Stops the run as soon as possible: at once when it only waits (a wait, a poll interval, a retry backoff, a bot
   * pause; the wait resumes with its remainder), after the device or vision call in progress, or at the next step.
   * Without a run, the next run stops at its first step. False when already stopped or detached.
   */
  pause(): boolean {
    if (this.disposed || this.stopState) {
      return false;
    }
    this.pauseRequested = true;
    const engine = this.engine;
    if (engine?.idle) {
      queueMicrotask(() => {
        if (this.pauseRequested && !this.stopState && !this.disposed && this.engine === engine && engine.idle) {
          this.enterStop(engine, 'pause');
        }
      });
    }
    return true;
  }

  // ---- inspection ----

  /** The call stack, innermost first: routine calls at their current step, a running sentry as its own frame. */
  frames(): DebugFrame[] {
    const engine = this.engine;
    if (!engine) {
      return [];
    }
    const out: DebugFrame[] = [];
    for (let i = engine.stack.length - 1; i >= 0; i--) {
      const af = engine.stack[i];
      const loc = locationOf(af);
      const entry = af.steps[af.steps.length - 1];
      out.push({
        id: af.id,
        kind: af.kind,
        name: af.kind === 'sentry' ? `sentry '${af.sentry?.name ?? ''}'` : af.frame.name,
        routine: loc.routine,
        file: loc.file,
        range: loc.range,
        path: loc.path,
        ...(entry ? { step: entry.step.common.name ?? entry.step.common.id ?? entry.step.action } : {}),
        depth: i,
      });
    }
    return out;
  }

  /** The scopes of a frame, read now: params, variables, system, matches, account, device. */
  scopes(frameId: number): DebugScope[] {
    const { engine, af } = this.frameOf(frameId);
    return [
      { kind: 'params', name: 'Params', variables: this.paramsOf(af) },
      { kind: 'variables', name: 'Variables', variables: this.variablesOf(engine, af) },
      { kind: 'system', name: 'System', variables: this.systemOf(engine) },
      { kind: 'matches', name: 'Matches', variables: this.matchesScope(af) },
      { kind: 'account', name: 'Account', variables: accountVariables(engine.lease) },
      { kind: 'device', name: 'Device', variables: this.deviceVariables(engine) },
    ];
  }

  /** The matches of a frame's current step and the run's most recent ones (newest first): for a screen view. */
  matches(frameId: number): { current: MatchRecord[]; recent: MatchRecord[] } {
    const { engine, af } = this.frameOf(frameId);
    const entry = af.steps[af.steps.length - 1];
    return {
      current: (entry?.matches ?? []).map((m) => ({ ...m, box: { ...m.box } })),
      recent: engine.recentMatches
        .slice(-RECENT_MATCHES_SHOWN)
        .reverse()
        .map((m) => ({ ...m, box: { ...m.box } })),
    };
  }

  /**
   * Sets a variable of a frame while stopped. `value` is read like a value of `set:` (`5` a number, `true` a boolean,
   * `"5"` text, `${x}` substituted); a parameter keeps its declared type. The variable is set where it lives (this
   * routine's scope or a caller's); a new name becomes a local. System variables are refused, as `set` refuses them.
   */
  setVariable(frameId: number, name: string, value: string): DebugVariable {
    this.requireStopped();
    const { engine, af } = this.frameOf(frameId);
    const parsed = parseScalar(value);
    let stored: unknown;
    try {
      stored = engine.assignVariable(af, name, parsed);
    } catch (e) {
      throw new RoutineDebugError('invalid-value', messageOf(e));
    }
    return debugVariable(name, stored);
  }

  /**
   * Evaluates console input in a frame (default: the top one) while stopped: a variable name, a `${}` expression,
   * or a condition of the routine language, answered on a frame captured now (`image: home.packsButton` gives
   * found, score and box).
   */
  async evaluate(expression: string, frameId?: number): Promise<DebugEvaluation> {
    this.requireStopped();
    const { engine, af } = this.frameOf(frameId);
    const ctx = contextOf(af);
    const test = compileTest(expression, '<debug console>');
    try {
      switch (test.kind) {
        case 'variable': {
          const v = ctx.lookup(test.name);
          if (v === undefined) {
            throw new RoutineDebugError('evaluation-failed', `variable '${test.name}' is not set`);
          }
          return { kind: 'variable', ...valueFields(v) };
        }
        case 'expression':
          return { kind: 'expression', ...valueFields(interpolateString(test.text, ctx.lookup, undefined, 'expression')) };
        case 'condition': {
          const p = engine.inspectCondition(test.cond, ctx, { fresh: true });
          this.inflight.add(p);
          let r: { value: boolean; matches: MatchRecord[] };
          try {
            r = await p;
          } finally {
            this.inflight.delete(p);
          }
          const summary = r.matches.map((m) => `${m.template} ${matchText(m)}`).join('; ');
          return {
            kind: 'condition',
            value: r.value,
            text: summary ? `${r.value} (${summary})` : String(r.value),
            type: 'boolean',
            children: r.matches.map((m, i) => matchVariable(`#${i + 1} ${m.template}`, m)),
            matches: r.matches,
          };
        }
      }
    } catch (e) {
      if (e instanceof RoutineDebugError) {
        throw e;
      }
      throw new RoutineDebugError('evaluation-failed', messageOf(e));
    }
  }

  /**
   * The screen of the stopped run, for a screen view: the frame the current step's conditions looked at when nothing
   * changed the screen since, else (or with `fresh`) a capture made now. The run resumes only once it is taken.
   * Encode or retain the frame at once: the device may recycle its memory at its next captures.
   */
  async screen(opts: { fresh?: boolean } = {}): Promise<DebugScreen> {
    this.requireStopped();
    const engine = this.engine!;
    const p = engine.screen({ fresh: opts.fresh === true });
    this.inflight.add(p);
    try {
      return await p;
    } catch (e) {
      throw new RoutineDebugError('evaluation-failed', `the screen could not be captured: ${messageOf(e)}`);
    } finally {
      this.inflight.delete(p);
    }
  }

  /** Ends the session: breakpoints are forgotten, a stopped run goes on. Idempotent. */
  detach(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.lineBreakpoints.clear();
    this.functionBreakpoints = [];
    this.stepMode = undefined;
    this.pauseRequested = false;
    this.entryPending = false;
    if (this.stopState) {
      this._onDidContinue.fire({ action: 'detach' });
      this.endStop(this.stopState);
    }
    this.host.detach(this);
    this._onDidStop.dispose();
    this._onDidContinue.dispose();
    this._onDidOutput.dispose();
    this._onDidStartRun.dispose();
    this._onDidEnd.dispose();
    this._onDidChangeBreakpoint.dispose();
  }

  dispose(): void {
    this.detach();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Hooks (called by the interpreter)
  // ---------------------------------------------------------------------------------------------------------

  /** @internal A run started (or was in progress when the debugger attached: `announce` false). */
  runStarted(engine: DebugEngine, routine: string, announce = true): void {
    this.engine = engine;
    if (announce) {
      this._onDidStartRun.fire({ routine });
    }
  }

  /** @internal */
  runEnded(engine: DebugEngine, end: DebugEndEvent): void {
    if (this.engine !== engine) {
      return;
    }
    this.engine = undefined;
    this.stepMode = undefined;
    this.skipEntry = undefined;
    if (this.stopState) {
      this.endStop(this.stopState);
    }
    this._onDidEnd.fire(end);
  }

  /** @internal A routine invocation began: breakpoints of its file are checked against it. */
  frameEntered(_engine: DebugEngine, af: ActiveFrame): void {
    const routine = af.frame.routine;
    if (this.seen.get(routine.file) === routine) {
      return;
    }
    this.seen.set(routine.file, routine);
    for (const [file, bps] of this.lineBreakpoints) {
      if (!sameFile(file, routine.file)) {
        continue;
      }
      for (const bp of bps) {
        const now = this.verify(bp, routine);
        if (now.verified !== bp.reported.verified || now.line !== bp.reported.line || now.message !== bp.reported.message) {
          bp.reported = now;
          this._onDidChangeBreakpoint.fire({ ...now });
        }
      }
    }
  }

  /**
   * @internal A step is about to start (after its step boundary: bot pause point, stuck detection, sentries).
   * Log points print; the run stops here for stop on entry, breakpoints, a step command or a pause request.
   */
  async beforeStep(engine: DebugEngine, af: ActiveFrame, entry: StepEntry): Promise<void> {
    await this.holdWhileStopped(engine);
    const skip = this.skipEntry === entry;
    if (skip) {
      this.skipEntry = undefined;
    }
    const firstStep = !af.entered;
    af.entered = true;
    let reason: DebugStopReason | undefined = this.entryPending ? 'entry' : undefined;
    const ids: number[] = [];
    let text: string | undefined;
    if (firstStep && af.kind === 'routine') {
      for (const fb of this.functionBreakpoints) {
        if (fb.spec.name !== af.frame.name && fb.spec.name !== af.frame.routine.name) {
          continue;
        }
        const r = await this.evaluateHit(fb, engine, entry.ctx);
        if (r.error !== undefined) {
          text = r.error;
          this.output('stderr', r.error, af, fb.id);
        }
        if (r.stop) {
          ids.push(fb.id);
          reason ??= 'function breakpoint';
        }
      }
    }
    for (const bp of this.breakpointsAt(af.frame.routine, entry.step)) {
      const r = await this.evaluateHit(bp, engine, entry.ctx);
      if (r.error !== undefined) {
        text = r.error;
        this.output('stderr', r.error, af, bp.id);
      } else if (r.stop && bp.spec.logMessage !== undefined) {
        this.output('console', formatLogMessage(bp.spec.logMessage, entry.ctx.lookup), af, bp.id);
        continue;
      }
      if (r.stop) {
        ids.push(bp.id);
        if (reason !== 'entry') {
          reason = 'breakpoint';
        }
      }
    }
    if (!reason && this.pauseRequested) {
      reason = 'pause';
    }
    if (!reason && this.stepMode && this.stepReached(engine, af)) {
      reason = 'step';
    }
    if (reason && !skip && !this.disposed) {
      this.enterStop(engine, reason, { ...(ids.length ? { breakpointIds: ids } : {}), ...(text !== undefined ? { text } : {}) });
      await this.holdWhileStopped(engine);
    }
  }

  /** @internal A pause point inside a step (a wait, after a device or vision call): honours a pause request. */
  async checkpoint(engine: DebugEngine): Promise<void> {
    if (this.pauseRequested && !this.stopState && !this.disposed) {
      this.enterStop(engine, 'pause');
    }
    await this.holdWhileStopped(engine);
  }

  /** @internal A step failed for good (or an error reached a routine), before onError decides. Once per error. */
  async errorRaised(engine: DebugEngine, error: { code: string; message: string; range?: SourceRange }): Promise<void> {
    if (!this.filters.error || error.code === 'aborted' || this.reported.has(error) || this.disposed) {
      return;
    }
    this.reported.add(error);
    this.enterStop(engine, 'exception', {
      text: error.message,
      exception: { filter: 'error', message: error.message, code: error.code, ...(error.range ? { range: error.range } : {}) },
    });
    await this.holdWhileStopped(engine);
  }

  /** @internal Stuck detection fired; `error` is the failure that follows when the ladder is exhausted. */
  async stuckDetected(engine: DebugEngine, info: { detail: string; rung?: string; range: SourceRange; error?: object }): Promise<void> {
    if (!this.filters.stuck || this.disposed) {
      return;
    }
    if (info.error) {
      this.reported.add(info.error);
    }
    const message = `stuck: ${info.detail}; ${info.rung ? `next rung: ${info.rung}` : 'every rung of the ladder was tried'}`;
    this.enterStop(engine, 'exception', { text: message, exception: { filter: 'stuck', message, range: info.range } });
    await this.holdWhileStopped(engine);
  }

  /** @internal A sentry fired: its frame is on the stack, its steps not run yet. */
  async sentryFired(engine: DebugEngine, af: ActiveFrame): Promise<void> {
    if (!this.filters.sentry || this.disposed) {
      return;
    }
    const message = `sentry '${af.sentry?.name ?? ''}' fired`;
    this.enterStop(engine, 'exception', { text: message, exception: { filter: 'sentry', message, ...(af.sentry ? { range: af.sentry.range } : {}) } });
    await this.holdWhileStopped(engine);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Internals
  // ---------------------------------------------------------------------------------------------------------

  private throwIfDetached(): void {
    if (this.disposed) {
      throw new RoutineDebugError('detached', 'the debugger was detached');
    }
  }

  private requireStopped(): void {
    this.throwIfDetached();
    if (!this.stopState || !this.engine) {
      throw new RoutineDebugError('not-stopped', 'the routine is not stopped');
    }
  }

  private frameOf(frameId: number | undefined): { engine: DebugEngine; af: ActiveFrame } {
    const engine = this.engine;
    if (!engine || engine.stack.length === 0) {
      throw new RoutineDebugError('unknown-frame', 'no routine is running');
    }
    const af = frameId === undefined ? engine.stack[engine.stack.length - 1] : engine.stack.find((f) => f.id === frameId);
    if (!af) {
      throw new RoutineDebugError('unknown-frame', `no frame ${frameId} (the routine moved on)`);
    }
    return { engine, af };
  }

  private compileConditions(bp: LineBreakpoint | FunctionBreakpoint, spec: { condition?: string; hitCondition?: string }, label: string): void {
    try {
      if (spec.condition !== undefined && spec.condition.trim() !== '') {
        bp.test = compileTest(spec.condition, `<${label}>`);
      }
      if (spec.hitCondition !== undefined && spec.hitCondition.trim() !== '') {
        bp.hit = compileHitCondition(spec.hitCondition);
      }
    } catch (e) {
      bp.invalid = messageOf(e);
    }
  }

  /** The routine a breakpoint file holds: the registry's current one, else the last one seen running. */
  private routineOfFile(file: string): LoadedRoutine | undefined {
    for (const name of this.host.routines.names?.() ?? []) {
      const r = this.host.routines.get(name);
      if (r && sameFile(file, r.file)) {
        return r;
      }
    }
    for (const [f, r] of this.seen) {
      if (sameFile(file, f)) {
        return r;
      }
    }
    return undefined;
  }

  private verify(bp: LineBreakpoint, routine: LoadedRoutine | undefined): DebugBreakpoint {
    const base = { id: bp.id, file: bp.file, requestedLine: bp.spec.line };
    if (bp.invalid !== undefined) {
      return { ...base, verified: false, line: bp.spec.line, message: bp.invalid };
    }
    if (!routine) {
      return { ...base, verified: false, line: bp.spec.line, message: 'no routine of this file is loaded (it is checked again when one runs)' };
    }
    const r = resolveBreakpointLine(routine, bp.spec.line);
    if ('message' in r) {
      return { ...base, verified: false, line: bp.spec.line, message: r.message };
    }
    return { ...base, verified: true, line: r.line, ...(r.line !== bp.spec.line ? { message: `moved to the step on line ${r.line}` } : {}) };
  }

  private breakpointsAt(routine: LoadedRoutine, step: LoadedStep): LineBreakpoint[] {
    if (this.lineBreakpoints.size === 0) {
      return [];
    }
    let map = this.bindings.get(routine);
    if (!map) {
      map = new Map();
      for (const [file, bps] of this.lineBreakpoints) {
        if (!sameFile(file, routine.file)) {
          continue;
        }
        for (const bp of bps) {
          if (bp.invalid !== undefined) {
            continue;
          }
          const r = resolveBreakpointLine(routine, bp.spec.line);
          if ('steps' in r) {
            for (const s of r.steps) {
              map.set(s, [...(map.get(s) ?? []), bp]);
            }
          }
        }
      }
      this.bindings.set(routine, map);
    }
    return map.get(step) ?? [];
  }

  private async evaluateHit(bp: LineBreakpoint | FunctionBreakpoint, engine: DebugEngine, ctx: ExecContext): Promise<{ stop: boolean; error?: string }> {
    if (bp.invalid !== undefined) {
      return { stop: false };
    }
    if (bp.test) {
      let ok: boolean;
      try {
        ok = await this.runTest(bp.test, engine, ctx);
      } catch (e) {
        if (engine.runSignal.aborted) {
          return { stop: false };
        }
        return { stop: true, error: `breakpoint condition '${bp.spec.condition ?? ''}' could not be evaluated: ${messageOf(e)}` };
      }
      if (!ok) {
        return { stop: false };
      }
    }
    bp.hits++;
    return { stop: !bp.hit || bp.hit(bp.hits) };
  }

  private async runTest(test: Test, engine: DebugEngine, ctx: ExecContext): Promise<boolean> {
    switch (test.kind) {
      case 'variable': {
        const v = ctx.lookup(test.name);
        if (v === undefined) {
          throw new Error(`variable '${test.name}' is not set`);
        }
        return isTruthy(v);
      }
      case 'expression':
        return isTruthy(interpolateString(test.text, ctx.lookup, undefined, 'condition'));
      case 'condition':
        return (await engine.inspectCondition(test.cond, ctx, { fresh: false })).value;
    }
  }

  private output(category: DebugOutputEvent['category'], text: string, af: ActiveFrame, breakpointId: number): void {
    this._onDidOutput.fire({ category, text, location: locationOf(af), breakpointId });
  }

  private stepReached(engine: DebugEngine, af: ActiveFrame): boolean {
    const m = this.stepMode!;
    if (m.kind === 'stepIn') {
      return true;
    }
    const index = engine.stack.indexOf(af);
    if (index < m.index) {
      return true;
    }
    if (index > m.index) {
      return false;
    }
    if (af !== m.frame) {
      // Another routine (or sentry) at the same depth: the stepped frame ended.
      return true;
    }
    return m.kind === 'next' && af.steps.length <= Math.max(m.level, 1);
  }

  private enterStop(engine: DebugEngine, reason: DebugStopReason, extra: Partial<DebugStopEvent> = {}): void {
    const top = engine.stack[engine.stack.length - 1];
    if (!top) {
      return;
    }
    engine.clock.suspend();
    this.pauseRequested = false;
    this.entryPending = false;
    this.stepMode = undefined;
    const entry = top.steps[top.steps.length - 1];
    this.skipEntry = entry && !entry.started ? entry : undefined;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const event: DebugStopEvent = { reason, location: locationOf(top), frameId: top.id, ...extra };
    this.stopState = { event, release, released, resuming: false };
    this._onDidStop.fire(event);
  }

  private endStop(s: StopState): void {
    if (this.stopState !== s) {
      return;
    }
    this.stopState = undefined;
    this.engine?.clock.resume();
    s.release();
  }

  private resumeWith(action: 'continue' | 'next' | 'stepIn' | 'stepOut'): boolean {
    const s = this.stopState;
    const engine = this.engine;
    if (!s || s.resuming || !engine || this.disposed) {
      return false;
    }
    s.resuming = true;
    if (action !== 'continue') {
      const top = engine.stack[engine.stack.length - 1];
      this.stepMode = { kind: action, frame: top, index: engine.stack.length - 1, level: top.steps.length };
    }
    this._onDidContinue.fire({ action });
    const finish = () => this.endStop(s);
    if (this.inflight.size) {
      void Promise.allSettled([...this.inflight]).then(finish);
    } else {
      finish();
    }
    return true;
  }

  /** Waits while stopped; a cancelled run ends the stop at once. */
  private async holdWhileStopped(engine: DebugEngine): Promise<void> {
    const signal = engine.runSignal;
    while (this.stopState) {
      const s = this.stopState;
      if (signal.aborted) {
        this.endStop(s);
        return;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        void s.released.then(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
      if (signal.aborted) {
        this.endStop(s);
        return;
      }
    }
  }

  private paramsOf(af: ActiveFrame): DebugVariable[] {
    const scope = af.frame.scope;
    const out: DebugVariable[] = [];
    for (const name of Object.keys(af.frame.routine.params)) {
      if (scope.hasOwn(name)) {
        out.push(debugVariable(name, scope.get(name)));
      }
    }
    return out;
  }

  private variablesOf(engine: DebugEngine, af: ActiveFrame): DebugVariable[] {
    const params = af.frame.routine.params;
    const seen = new Set<string>(Object.keys(params).filter((n) => af.frame.scope.hasOwn(n)));
    const out: DebugVariable[] = [];
    for (const [name, value] of af.frame.scope.ownEntries()) {
      if (!seen.has(name)) {
        seen.add(name);
        out.push(debugVariable(name, value, { origin: 'local' }));
      }
    }
    // Variables of the callers' scopes this routine reads through (not shadowed), nearest first.
    for (let s = af.frame.scope.parent; s && s !== engine.rootScope; s = s.parent) {
      const owner = engine.stack.find((f) => f.kind === 'routine' && f.frame.scope === s);
      const origin = owner ? owner.frame.name : 'caller';
      for (const [name, value] of s.ownEntries()) {
        if (!seen.has(name)) {
          seen.add(name);
          out.push(debugVariable(name, value, { origin }));
        }
      }
    }
    return out;
  }

  private systemOf(engine: DebugEngine): DebugVariable[] {
    const out: DebugVariable[] = [];
    for (const [name, value] of engine.rootScope.ownEntries()) {
      out.push(debugVariable(name, value, { readOnly: true, origin: 'system' }));
    }
    if (!engine.rootScope.hasOwn('now')) {
      out.push(debugVariable('now', engine.clock.now(), { readOnly: true, origin: 'system' }));
    }
    return out;
  }

  private matchesScope(af: ActiveFrame): DebugVariable[] {
    const { current, recent } = this.matches(af.id);
    return [
      group('current step', current.map((m, i) => matchVariable(`#${i + 1} ${m.template}`, m))),
      group('recent', recent.map((m, i) => matchVariable(`#${i + 1} ${m.template}`, m))),
    ];
  }

  private deviceVariables(engine: DebugEngine): DebugVariable[] {
    const st = engine.deviceState();
    const info = this.deviceInfo?.() ?? {};
    const ro = { readOnly: true };
    return [
      debugVariable('serial', info.serial ?? st.serial, ro),
      debugVariable('captureMethod', st.captureMethod, ro),
      ...(st.displaySize ? [debugVariable('displaySize', `${st.displaySize.width}x${st.displaySize.height}`, ro)] : []),
      debugVariable('captures', st.captures, ro),
      debugVariable('frameCacheHits', st.cacheHits, ro),
      ...(st.frameAgeMs !== undefined ? [debugVariable('frameAgeMs', Math.round(st.frameAgeMs), ro)] : []),
      ...latencyVariable('captureLatency', info.capture),
      ...latencyVariable('inputLatency', info.input),
    ];
  }
}

/** The account scope: the lease's id and fields, secrets (and the device file) redacted. */
function accountVariables(lease: AccountLease | undefined): DebugVariable[] {
  if (!lease) {
    return [];
  }
  const ro = { readOnly: true };
  const fields = Object.entries(lease.fields).map(([k, v]) =>
    SECRET_NAME_RE.test(k) ? { name: k, value: undefined, text: REDACTED, type: typeOf(v), readOnly: true, redacted: true } : debugVariable(k, v, ro),
  );
  return [
    debugVariable('accountId', lease.accountId, ro),
    group('fields', fields, `map (${fields.length})`),
    { name: 'deviceFile', value: undefined, text: `${REDACTED} (${lease.deviceFile.length} characters)`, type: 'string', readOnly: true, redacted: true },
  ];
}

function contextOf(af: ActiveFrame): ExecContext {
  return af.steps[af.steps.length - 1]?.ctx ?? af.ctx;
}

function locationOf(af: ActiveFrame): DebugLocation {
  const entry = af.steps[af.steps.length - 1];
  const routine = af.frame.name;
  if (entry) {
    return { routine, file: entry.step.range.file, range: entry.step.range, path: entry.step.path };
  }
  if (af.kind === 'sentry' && af.sentry) {
    return { routine, file: af.sentry.range.file, range: af.sentry.range, path: af.sentry.path };
  }
  return { routine, file: af.frame.routine.range.file, range: af.frame.routine.range, path: '' };
}

function valueFields(v: unknown): Pick<DebugEvaluation, 'value' | 'text' | 'type' | 'children'> {
  const d = debugVariable('', v);
  return { value: d.value, text: d.text, type: d.type, ...(d.children ? { children: d.children } : {}) };
}
