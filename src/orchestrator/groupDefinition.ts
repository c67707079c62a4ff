/**
 * BotGroupDefinition: the saveable configuration of a bot group (the seed's blueprint), parsed from
 * `groups/*.yaml` with located diagnostics, and written back by editing the parsed YAML document in place so
 * that comments and layout survive.
 */
import { Document, isCollection, isMap, isScalar } from 'yaml';
import type { Diagnostic } from '../shared/geometry';
import { instanceKey, type InstanceKey, type InstanceRef } from '../shared/fleetTypes';
import { diagnosticAt, parseAndValidate, type ParsedYaml } from '../shared/yamlSource';
import { formatDuration, parseDuration } from '../shared/durations';
import type { RestartPolicy } from '../bot/bot';
import { groupDefinitionSchema, type GroupDefinitionData } from './groupSchema';
import { codePointLabel, firstControlCodePoint } from './nameChecks';
import { FleetError } from '../shared/errors';

/** A routine's registry name (path under routines/ without extension). */
export type RoutineName = string;
/** An account pool's name (pools/<name>.yaml). */
export type AccountPoolName = string;
export type RoutineConfigValue = string | number | boolean;
export type RoutineConfig = Record<string, RoutineConfigValue>;

export type { RestartPolicy };

export interface InstanceOverride {
  instance: InstanceRef;
  serial?: string;
  routineConfig?: RoutineConfig;
}

export type OnBusy = 'fail' | 'skip' | 'wait';

export interface LaunchOptions {
  staggerMs: number;
  onBusy: OnBusy;
  waitTimeoutMs: number;
  restart: RestartPolicy;
  /** Cycles per bot; undefined with no duration = run until stopped. */
  cycles?: number;
  /** Run time of the group; undefined with no cycles = run until stopped. */
  durationMs?: number;
  cycleDelayMs: number;
  stopWhenPoolEmpty: boolean;
  stopTimeoutMs: number;
  overrides: InstanceOverride[];
}

/** The seed's BotGroupDefinition, with durations in milliseconds. */
export interface BotGroupDefinition {
  name: string;
  description?: string;
  routine: RoutineName;
  routineConfig: RoutineConfig;
  availableInstances: InstanceRef[];
  requestedBotCount: number;
  accountPool?: AccountPoolName;
  launchOptions: LaunchOptions;
  /** ISO 8601; set when saved. */
  createdAt?: string;
  updatedAt?: string;
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = Object.freeze({
  enabled: true,
  maxRestarts: 5,
  initialDelayMs: 2000,
  maxDelayMs: 60_000,
  factor: 2,
  resetAfterSuccess: true,
});

/** Launch options when a definition sets none. */
export function defaultLaunchOptions(): LaunchOptions {
  return {
    staggerMs: 1000,
    onBusy: 'skip',
    waitTimeoutMs: 300_000,
    restart: { ...DEFAULT_RESTART_POLICY },
    cycleDelayMs: 0,
    stopWhenPoolEmpty: true,
    stopTimeoutMs: 10_000,
    overrides: [],
  };
}

export interface ParsedGroupDefinition {
  value?: BotGroupDefinition;
  diagnostics: Diagnostic[];
  parsed: ParsedYaml;
}

/** Parses and validates a group definition; `value` is set only when there is no error. */
export function parseGroupDefinition(text: string, file: string): ParsedGroupDefinition {
  const r = parseAndValidate(text, file, groupDefinitionSchema);
  if (!r.value) {
    return { diagnostics: r.diagnostics, parsed: r.parsed };
  }
  const nameProblem = groupNameProblem(r.value.name);
  if (nameProblem) {
    return { diagnostics: [...r.diagnostics, diagnosticAt(r.parsed, ['name'], nameProblem, 'invalid-name')], parsed: r.parsed };
  }
  return { value: normalizeGroupDefinition(r.value), diagnostics: r.diagnostics, parsed: r.parsed };
}

/**
 * Why a group name is refused, or undefined: a name is one line of text, so a control character (a line break, an
 * escape sequence that would drive the terminal where the name is printed) is an error.
 */
export function groupNameProblem(name: string): string | undefined {
  const cp = firstControlCodePoint(name);
  return cp === undefined ? undefined : `the group name contains a control character (${codePointLabel(cp)}); a name is one line of visible text`;
}

function ms(v: string | number): number {
  return parseDuration(v) ?? 0;
}

/** Validated YAML data → BotGroupDefinition (durations in ms). */
export function normalizeGroupDefinition(d: GroupDefinitionData): BotGroupDefinition {
  const lo = d.launchOptions;
  const def: BotGroupDefinition = {
    name: d.name,
    routine: d.routine,
    routineConfig: { ...d.routineConfig },
    availableInstances: d.availableInstances.map((i) => (typeof i === 'string' ? i.trim() : i)),
    requestedBotCount: d.requestedBotCount,
    launchOptions: {
      staggerMs: ms(lo.stagger),
      onBusy: lo.onBusy,
      waitTimeoutMs: ms(lo.waitTimeout),
      restart: {
        enabled: lo.restart.enabled,
        maxRestarts: lo.restart.maxRestarts === 'unlimited' ? Infinity : lo.restart.maxRestarts,
        initialDelayMs: ms(lo.restart.initialDelay),
        maxDelayMs: ms(lo.restart.maxDelay),
        factor: lo.restart.factor,
        resetAfterSuccess: lo.restart.resetAfterSuccess,
      },
      cycleDelayMs: ms(lo.cycleDelay),
      stopWhenPoolEmpty: lo.stopWhenPoolEmpty,
      stopTimeoutMs: ms(lo.stopTimeout),
      overrides: lo.overrides.map((o) => ({
        instance: typeof o.instance === 'string' ? o.instance.trim() : o.instance,
        ...(o.serial !== undefined ? { serial: o.serial } : {}),
        ...(o.routineConfig !== undefined ? { routineConfig: { ...o.routineConfig } } : {}),
      })),
    },
  };
  if (lo.cycles !== undefined) {
    def.launchOptions.cycles = lo.cycles;
  }
  if (lo.duration !== undefined) {
    def.launchOptions.durationMs = ms(lo.duration);
  }
  if (d.description !== undefined) {
    def.description = d.description;
  }
  if (d.accountPool !== undefined) {
    def.accountPool = d.accountPool;
  }
  if (d.createdAt !== undefined) {
    def.createdAt = d.createdAt;
  }
  if (d.updatedAt !== undefined) {
    def.updatedAt = d.updatedAt;
  }
  return def;
}

export class GroupDefinitionError extends FleetError<'invalid-definition' | 'unknown-group' | 'duplicate-group' | 'group-active' | 'invalid-name' | 'disposed'> {
  constructor(
    code: GroupDefinitionError['code'],
    message: string,
    readonly diagnostics: readonly Diagnostic[] = [],
  ) {
    super(code, message);
    this.name = 'GroupDefinitionError';
  }
}

/**
 * Checks a definition built in code (not from YAML) against the schema, through its YAML form; throws
 * GroupDefinitionError('invalid-definition') with the problems, and returns the normalized definition.
 */
export function validateGroupDefinition(def: BotGroupDefinition): BotGroupDefinition {
  const nameProblem = typeof def.name === 'string' ? groupNameProblem(def.name) : undefined;
  if (nameProblem) {
    throw new GroupDefinitionError('invalid-definition', `group definition ${JSON.stringify(def.name)} is invalid: name: ${nameProblem}`);
  }
  const data = definitionToYamlObject(def, false);
  const r = groupDefinitionSchema.safeParse(data);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(definition)'}: ${i.message}`).join('; ');
    throw new GroupDefinitionError('invalid-definition', `group definition '${def.name}' is invalid: ${msg}`);
  }
  return normalizeGroupDefinition(r.data);
}

function dur(msValue: number): string | number {
  return formatDuration(msValue);
}

/**
 * The YAML form of a definition (camelCase keys, durations as text). With `compact`, launch options equal to
 * the defaults are left out (a new file stays short).
 */
export function definitionToYamlObject(def: BotGroupDefinition, compact = true): Record<string, unknown> {
  const out: Record<string, unknown> = { name: def.name };
  if (def.description !== undefined) {
    out.description = def.description;
  }
  out.routine = def.routine;
  if (!compact || Object.keys(def.routineConfig).length > 0) {
    out.routineConfig = { ...def.routineConfig };
  }
  out.availableInstances = [...def.availableInstances];
  out.requestedBotCount = def.requestedBotCount;
  if (def.accountPool !== undefined) {
    out.accountPool = def.accountPool;
  }
  const lo = launchOptionsToYamlObject(def.launchOptions, compact);
  if (!compact || Object.keys(lo).length > 0) {
    out.launchOptions = lo;
  }
  if (def.createdAt !== undefined) {
    out.createdAt = def.createdAt;
  }
  if (def.updatedAt !== undefined) {
    out.updatedAt = def.updatedAt;
  }
  return out;
}

function launchOptionsToYamlObject(lo: LaunchOptions, compact: boolean): Record<string, unknown> {
  const d = defaultLaunchOptions();
  const out: Record<string, unknown> = {};
  const put = (key: string, value: unknown, isDefault: boolean) => {
    if (!compact || !isDefault) {
      out[key] = value;
    }
  };
  put('stagger', dur(lo.staggerMs), lo.staggerMs === d.staggerMs);
  put('onBusy', lo.onBusy, lo.onBusy === d.onBusy);
  put('waitTimeout', dur(lo.waitTimeoutMs), lo.waitTimeoutMs === d.waitTimeoutMs);
  const r = lo.restart;
  const rd = d.restart;
  const restart: Record<string, unknown> = {};
  const putR = (key: string, value: unknown, isDefault: boolean) => {
    if (!compact || !isDefault) {
      restart[key] = value;
    }
  };
  putR('enabled', r.enabled, r.enabled === rd.enabled);
  putR('maxRestarts', Number.isFinite(r.maxRestarts) ? r.maxRestarts : 'unlimited', r.maxRestarts === rd.maxRestarts);
  putR('initialDelay', dur(r.initialDelayMs), r.initialDelayMs === rd.initialDelayMs);
  putR('maxDelay', dur(r.maxDelayMs), r.maxDelayMs === rd.maxDelayMs);
  putR('factor', r.factor, r.factor === rd.factor);
  putR('resetAfterSuccess', r.resetAfterSuccess, r.resetAfterSuccess === rd.resetAfterSuccess);
  if (!compact || Object.keys(restart).length > 0) {
    out.restart = restart;
  }
  if (lo.cycles !== undefined) {
    out.cycles = lo.cycles;
  }
  if (lo.durationMs !== undefined) {
    out.duration = dur(lo.durationMs);
  }
  put('cycleDelay', dur(lo.cycleDelayMs), lo.cycleDelayMs === d.cycleDelayMs);
  put('stopWhenPoolEmpty', lo.stopWhenPoolEmpty, lo.stopWhenPoolEmpty === d.stopWhenPoolEmpty);
  put('stopTimeout', dur(lo.stopTimeoutMs), lo.stopTimeoutMs === d.stopTimeoutMs);
  put(
    'overrides',
    lo.overrides.map((o) => ({ instance: o.instance, ...(o.serial !== undefined ? { serial: o.serial } : {}), ...(o.routineConfig ? { routineConfig: { ...o.routineConfig } } : {}) })),
    lo.overrides.length === 0,
  );
  return out;
}

/** A stable JSON text of a value (object keys sorted), for equality checks. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (typeof val === 'number' && !Number.isFinite(val)) {
      return String(val);
    }
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      return Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return val;
  });
}

/**
 * True when two definitions configure the same run (the timestamps are ignored). A running group uses this to
 * report that its saved definition changed.
 */
export function sameGroupConfiguration(a: BotGroupDefinition, b: BotGroupDefinition): boolean {
  const strip = (d: BotGroupDefinition) => ({ ...d, createdAt: undefined, updatedAt: undefined, availableInstances: d.availableInstances.map(instanceKey) });
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/** Deep copy (definitions handed out are never shared with the store's cache). */
export function cloneGroupDefinition(def: BotGroupDefinition): BotGroupDefinition {
  return structuredClone(def);
}

/** The instance keys of a definition, in order. */
export function definitionInstanceKeys(def: BotGroupDefinition): InstanceKey[] {
  return def.availableInstances.map(instanceKey);
}

/** Routine config of one instance: the group's, with the instance override merged over it. */
export function routineConfigFor(def: BotGroupDefinition, instance: InstanceKey): RoutineConfig {
  const o = def.launchOptions.overrides.find((x) => instanceKey(x.instance) === instance);
  return { ...def.routineConfig, ...(o?.routineConfig ?? {}) };
}

/** The device serial an override forces for an instance, if any. */
export function serialOverrideFor(def: BotGroupDefinition, instance: InstanceKey): string | undefined {
  return def.launchOptions.overrides.find((x) => instanceKey(x.instance) === instance)?.serial;
}

/** Merges launch option overrides (for example from the CLI's --cycles / --duration) over a definition's. */
export function mergeLaunchOptions(base: LaunchOptions, over: Partial<LaunchOptions> | undefined): LaunchOptions {
  if (!over) {
    return structuredClone(base);
  }
  const merged: LaunchOptions = { ...structuredClone(base), ...structuredClone(over), restart: { ...base.restart, ...(over.restart ?? {}) } };
  if (over.cycles !== undefined) {
    delete merged.durationMs;
  }
  if (over.durationMs !== undefined) {
    delete merged.cycles;
  }
  return merged;
}

/** A file name for a new definition: `Premium Farmers` → `premium_farmers.yaml`. */
export function definitionFileStem(name: string): string {
  const stem = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return stem || 'group';
}

/**
 * Writes `def` into a parsed YAML document in place: only fields whose value changed are touched, nested maps
 * are edited key by key, so comments, key order and untouched formatting stay as they were.
 * `previous` is the definition the document held (undefined when it did not validate).
 */
export function applyDefinitionToDocument(doc: Document, previous: BotGroupDefinition | undefined, def: BotGroupDefinition): void {
  const next = definitionToYamlObject(def, true);
  const prevFull = previous ? definitionToYamlObject(previous, false) : undefined;
  const nextFull = definitionToYamlObject(def, false);
  if (!isMap(doc.contents)) {
    doc.contents = doc.createNode(next) as typeof doc.contents;
    return;
  }
  mergeMap(doc, [], prevFull, nextFull, next);
}

function mergeMap(
  doc: Document,
  path: string[],
  prevFull: Record<string, unknown> | undefined,
  nextFull: Record<string, unknown>,
  nextCompact: Record<string, unknown>,
): void {
  const here = path.length ? doc.getIn(path, true) : doc.contents;
  const existingKeys = new Set<string>();
  if (isMap(here)) {
    for (const p of here.items) {
      const k = (p.key as { value?: unknown } | null)?.value ?? p.key;
      existingKeys.add(String(k));
    }
  }
  for (const key of Object.keys(nextFull)) {
    const inDoc = existingKeys.has(key);
    const nv = nextFull[key];
    const pv = prevFull?.[key];
    if (!inDoc) {
      // Absent keys are written only when the compact form has them (a non-default value).
      if (key in nextCompact) {
        doc.setIn([...path, key], nextCompact[key]);
      }
      continue;
    }
    if (prevFull !== undefined && canonicalJson(pv) === canonicalJson(nv)) {
      continue;
    }
    const node = doc.getIn([...path, key], true);
    if (isMap(node) && nv && typeof nv === 'object' && !Array.isArray(nv)) {
      const pvObj = pv && typeof pv === 'object' && !Array.isArray(pv) ? (pv as Record<string, unknown>) : undefined;
      const compactChild = nextCompact[key];
      mergeMap(doc, [...path, key], pvObj, nv as Record<string, unknown>, compactChild && typeof compactChild === 'object' ? (compactChild as Record<string, unknown>) : {});
      continue;
    }
    replaceNode(doc, [...path, key], node, nv);
  }
  for (const key of existingKeys) {
    if (!(key in nextFull)) {
      doc.deleteIn([...path, key]);
    }
  }
}

/** Sets a value keeping what can be kept of the old node: a scalar's comments, a collection's flow style. */
function replaceNode(doc: Document, path: string[], old: unknown, value: unknown): void {
  const primitive = value === null || typeof value !== 'object';
  if (isScalar(old) && primitive) {
    old.value = value;
    return;
  }
  const created = doc.createNode(value);
  if (isCollection(old) && isCollection(created)) {
    created.flow = old.flow;
  }
  if ((isCollection(old) || isScalar(old)) && (isCollection(created) || isScalar(created))) {
    created.comment = old.comment;
    created.commentBefore = old.commentBefore;
    created.spaceBefore = old.spaceBefore;
  }
  doc.setIn(path, created);
}

/** The YAML text of a new definition file (compact; instance lists in flow style). */
export function newDefinitionText(def: BotGroupDefinition): string {
  const doc = new Document(definitionToYamlObject(def, true));
  const seq = doc.get('availableInstances', true);
  if (isCollection(seq)) {
    seq.flow = true;
  }
  return doc.toString({ flowCollectionPadding: false });
}
