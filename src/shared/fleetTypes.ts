/**
 * The fleet model every view shares: snapshots and sequenced events of the fleet (definitions, groups, bots, devices,
 * pools, routines, templates) as the tree, the monitor, the CLI and a remote client see them, and the typed results
 * of the fleet's name-addressed commands. Plain immutable data: JSON-serialisable, no Node APIs, no classes.
 *
 * A view takes `orchestrator.snapshot()` and subscribes in the same tick: it then receives exactly the events with
 * `seq` greater than the snapshot's, in order, and `src/shared/fleetModel.ts` applies them (the same reducer the
 * orchestrator's own snapshot comes from).
 */
import type { Diagnostic, SourceRange } from './geometry';
import type { RoutineEvent } from './routineEvents';

/** An emulator instance as a group definition names it: an index (MuMu-style) or a name / ADB serial. */
export type InstanceRef = number | string;

/** The key an instance is tracked by at run time (`1`, `emulator-5554`, `127.0.0.1:5555`). */
export type InstanceKey = string;

/** Normalizes an instance reference to its run-time key. */
export function instanceKey(ref: InstanceRef): InstanceKey {
  return typeof ref === 'number' ? String(ref) : ref.trim();
}

/** Instance keys in natural order (`2` before `10`): the order of a group's bots. */
export function compareInstances(a: InstanceKey, b: InstanceKey): number {
  return a.localeCompare(b, undefined, { numeric: true });
}

/**
 * Life of a bot. `waiting`: backing off before a restart (or waiting for the pool); `offline`: its device dropped
 * and it is reconnecting (or about to be replaced).
 */
export type BotState = 'idle' | 'starting' | 'running' | 'paused' | 'stopping' | 'stopped' | 'failed' | 'waiting' | 'offline';

/** Life of a group. `waiting`: started but waiting for a free instance (launch option `onBusy: wait`). */
export type GroupState = 'idle' | 'starting' | 'running' | 'paused' | 'waiting' | 'stopping' | 'stopped' | 'failed';

/** Why a bot (or a group) stopped. */
export type StopReason =
  /** stop() was called (Ctrl-C, the Stop button, shutdownGroup). */
  | 'requested'
  /** The launch options' cycle count was reached. */
  | 'cycles-done'
  /** The launch options' duration ran out. */
  | 'duration'
  /** The account pool had no account left (launch option `stopWhenPoolEmpty`). */
  | 'pool-empty'
  /** Its device dropped and the group moved it to another instance. */
  | 'replaced'
  /** `restartBot`: a fresh bot took its place on the same instance. */
  | 'restarted'
  /** Failures exceeded the restart policy, or the device never came back. */
  | 'failed'
  /** Every bot of the group ended on its own. */
  | 'finished';

/** Latency figures over a recent window of samples (milliseconds). */
export interface LatencySummary {
  count: number;
  p50?: number;
  p95?: number;
  last?: number;
}

export interface ErrorInfo {
  message: string;
  /** Machine-readable code from the typed error (`offline`, `timeout`, `unknown-routine`, ...). */
  code?: string;
  /** Wall time, epoch ms. */
  time: number;
}

export interface StepInfo {
  /** The step's display name (its action, or its `name:`). */
  name: string;
  /** The step's path inside the routine (`steps[3].then[0]`). */
  path: string;
  /** The routine that owns the step (a nested routine may run inside the group's routine). */
  routine: string;
  range?: SourceRange;
  /** Wall time the step started, epoch ms. */
  since: number;
}

export interface BotSnapshot {
  group: string;
  orchestrationId: string;
  instance: InstanceKey;
  /** ADB serial of the device once opened. */
  serial?: string;
  state: BotState;
  /** Wall time of the last state change, epoch ms. */
  stateSince: number;
  routine: string;
  /** The step running now, when the routine is inside one. */
  step?: StepInfo;
  /** The account leased now. */
  account?: string;
  /** Every account this bot leased during this run, in order. */
  accounts: readonly string[];
  /** Cycles that ended successfully. */
  cycles: number;
  /** Cycles that ended with an error. */
  errors: number;
  /** Restarts after failures (and reconnects after device drops, and instance restarts of the stuck ladder). */
  restarts: number;
  lastError?: ErrorInfo;
  capture: LatencySummary;
  input: LatencySummary;
  /** Steps finished so far (the fleet's unit of decision). */
  steps: number;
  stopReason?: StopReason;
}

export interface SkippedInstance {
  instance: InstanceKey;
  reason: 'busy' | 'offline' | 'unknown';
  /** For `busy`: the group holding it. */
  owner?: string;
}

export interface GroupSnapshot {
  name: string;
  /** UUID of this run of the group. */
  orchestrationId: string;
  state: GroupState;
  stateSince: number;
  description?: string;
  routine: string;
  accountPool?: string;
  requestedBotCount: number;
  availableInstances: readonly InstanceKey[];
  /** The group's bots now, by instance order. */
  bots: readonly BotSnapshot[];
  /** Bots that ended and were taken out (replaced after a device drop, or restarted with `restartBot`). */
  retiredBots: readonly BotSnapshot[];
  skippedInstances: readonly SkippedInstance[];
  startedAt?: number;
  stoppedAt?: number;
  stopReason?: StopReason;
  lastError?: ErrorInfo;
  /** True when the saved definition was edited after this group was created (it applies at the next start). */
  differsFromDefinition: boolean;
}

/** A device the fleet can see: a virtual device, or a device of one of its ADB servers. */
export interface DeviceInfo {
  serial: string;
  source: 'virtual' | 'adb';
  /** `host:port` of its ADB server (a virtual device: the embedded endpoint serving it). */
  server?: string;
  /** The numeric instance key that resolves to it, when there is one (every device is also addressed by its serial). */
  instance?: InstanceKey;
  state: 'online' | 'offline' | 'unauthorized' | 'unknown';
  model?: string;
  /**
   * The group run that holds it. In a fleet snapshot: the active bot whose serial (or instance key) is this device's;
   * in the device listing (`FleetDevices.list()`): the instance registry's claim of its instance key or serial.
   */
  heldBy?: { group: string; orchestrationId: string; instance: InstanceKey };
  captureMethod?: 'raw' | 'png';
  /** Latency figures of the bot driving it, if any. */
  capture?: LatencySummary;
  input?: LatencySummary;
}

/** One `groups/*.yaml` file as the definitions list shows it, valid or not. */
export interface GroupDefinitionSummary {
  /** The definition's name, or the file's stem when the name cannot be read. */
  name: string;
  /** Workspace-relative path. */
  file: string;
  valid: boolean;
  description?: string;
  routine?: string;
  accountPool?: string;
  requestedBotCount?: number;
  availableInstances?: readonly InstanceKey[];
  diagnostics: readonly Diagnostic[];
  /** True while a group of that name runs (in a fleet snapshot: derived from its groups). */
  active: boolean;
}

/** One lease of an account pool. */
export interface PoolLeaseInfo {
  accountId: string;
  group: string;
  /** The bot's instance key. */
  bot: string;
  orchestrationId: string;
  /** Wall time the lease was taken, epoch ms. */
  since: number;
  /** Wall time the lease expires unless its heartbeat extends it, epoch ms (as of the pool's last change event). */
  expiresAt: number;
}

/** One `pools/*.yaml` file as the views show it, valid or not. */
export interface PoolInfo {
  /** The pool's name, or the file's stem when the file defines no pool. */
  name: string;
  /** Workspace-relative path. */
  file: string;
  valid: boolean;
  diagnostics: readonly Diagnostic[];
  /**
   * The counts are absent while they are unknown: the account database is not open yet (a fleet that opens it on
   * first use), or the file defines no valid pool. Opening the database publishes `pools.changed` with them.
   */
  available?: number;
  total?: number;
  /** Accounts cooling down now (completed, not yet available again; pools with a `cooldown`). */
  cooldown?: number;
  /** The pool's leases now (empty while the database is not open). */
  leases: readonly PoolLeaseInfo[];
}

/** One routine file (valid or not). */
export interface RoutineInfo {
  /** Registry name: the path under `routines/` without `.yaml`. */
  name: string;
  /** Workspace-relative path. */
  file: string;
  valid: boolean;
  diagnostics: readonly Diagnostic[];
}

/** One template of the template registry. */
export interface TemplateInfo {
  name: string;
  /** The registry file that defines it (workspace-relative). */
  file: string;
}

/**
 * Everything a view shows, at sequence number `seq`: apply the events with a greater `seq` to it (fleetModel.ts).
 * Lists are sorted by name (bots by instance, devices as their sources list them).
 */
export interface FleetSnapshot {
  /** The sequence number of the last event the snapshot includes (0 before any). */
  seq: number;
  /** Wall time of the last change it includes, epoch ms. */
  time: number;
  definitions: readonly GroupDefinitionSummary[];
  /** Running groups and ended ones (an ended group keeps its last state until it is started again or cleared). */
  groups: readonly GroupSnapshot[];
  devices: readonly DeviceInfo[];
  pools: readonly PoolInfo[];
  routines: readonly RoutineInfo[];
  templates: readonly TemplateInfo[];
}

/** Instance ownership as the instance registry holds it. */
export interface InstanceAssignmentInfo {
  instance: InstanceKey;
  group: string;
  orchestrationId: string;
  /** Wall time of the claim, epoch ms. */
  since: number;
}

interface EventBase {
  /** Sequence number: assigned by the orchestrator's hub at publish, strictly increasing (1, 2, 3...). */
  seq: number;
  /** Wall time, epoch ms (routine events use the same time base). */
  time: number;
}

interface GroupEventBase extends EventBase {
  group: string;
  orchestrationId: string;
}

/** A field of a bot's snapshot that may be absent. */
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];

/**
 * What changed in a bot's snapshot since the bot's previous event (the hub computes it): the fields that changed,
 * with their new value; `null` means an optional field is gone (the step ended, the account was given back).
 */
export type BotChanges = {
  [K in Exclude<keyof BotSnapshot, 'group' | 'orchestrationId' | 'instance' | 'routine'>]?: K extends OptionalKeys<BotSnapshot> ? Exclude<BotSnapshot[K], undefined> | null : BotSnapshot[K];
};

interface BotEventBase extends GroupEventBase {
  instance: InstanceKey;
  /** The bot's snapshot fields that changed since its previous event (absent when nothing did). */
  changes?: BotChanges;
}

export interface GroupStateEvent extends GroupEventBase {
  type: 'group.state';
  state: GroupState;
  /** Equal to `state` when only the snapshot changed (a bot was retired, the saved definition was edited). */
  previous: GroupState;
  reason?: StopReason;
  error?: ErrorInfo;
  snapshot: GroupSnapshot;
}

/** A bot's state changed (or a bot appeared: its first event, `idle` → `starting`). Carries its whole snapshot. */
export interface BotStateEvent extends Omit<BotEventBase, 'changes'> {
  type: 'bot.state';
  state: BotState;
  previous: BotState;
  reason?: StopReason;
  error?: ErrorInfo;
  snapshot: BotSnapshot;
}

export interface BotStepEvent extends BotEventBase {
  type: 'bot.step';
  phase: 'start' | 'end';
  routine: string;
  step: string;
  path: string;
  range?: SourceRange;
  ok?: boolean;
  ms?: number;
  error?: string;
}

export interface BotCycleEvent extends BotEventBase {
  type: 'bot.cycle';
  /** 1-based number of the attempt. */
  cycle: number;
  ok: boolean;
  ms: number;
  error?: ErrorInfo;
}

export interface BotAccountEvent extends BotEventBase {
  type: 'bot.account';
  action: 'checkout' | 'complete' | 'release' | 'failed' | 'empty';
  accountId?: string;
}

/**
 * Every event a bot's routine emits, forwarded as it is (match, var, routine.start/end, step.start/end, sentry,
 * account, stuck, state, log, error, with their source ranges). `event.time` is wall-clock epoch ms too.
 */
export interface BotRoutineEvent extends BotEventBase {
  type: 'bot.routine';
  event: RoutineEvent;
}

/** A capture of a bot's device (metadata only: a view asks the bot for the pixels). */
export interface BotFrameEvent extends BotEventBase {
  type: 'bot.frame';
  /** Per-bot frame sequence number (1, 2, 3...): `Bot.latestFrame().frame`. */
  frame: number;
  width: number;
  height: number;
  /** How long the capture took. */
  captureMs: number;
}

export interface LogEvent extends EventBase {
  type: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  group?: string;
  orchestrationId?: string;
  instance?: InstanceKey;
  /**
   * What the entry is about, for consumers that react to it rather than show it. Bot codes: `stuck-notify` (a
   * routine's stuck ladder reached `notify`: a person should look at the instance), `instance-restart` (the ladder
   * reached `restartEmulator` and the instance is being restarted), `instance-restarted`, `instance-restart-failed`.
   */
  code?: string;
  /** The routine source the entry is about (the stuck step, the routine's log step), when known. */
  range?: SourceRange;
  data?: Record<string, unknown>;
}

export interface BotMetrics {
  instance: InstanceKey;
  state: BotState;
  cycles: number;
  errors: number;
  steps: number;
  capture: LatencySummary;
  input: LatencySummary;
}

/** A group's figures, every `metricsIntervalMs`; the bots' counters and latencies update the model too. */
export interface MetricsEvent extends GroupEventBase {
  type: 'metrics';
  /** Steps finished per second over the last interval, whole group. */
  stepsPerSecond: number;
  bots: readonly BotMetrics[];
}

/** Group definition files were added, changed or removed. */
export interface DefinitionsChangedEvent extends EventBase {
  type: 'definitions.changed';
  /** Names whose entry was added, changed or removed. */
  names: readonly string[];
  /** The current entries of those names (a name without one was removed). */
  definitions: readonly GroupDefinitionSummary[];
}

export interface InstanceEvent extends GroupEventBase {
  type: 'instance.assigned' | 'instance.released';
  instance: InstanceKey;
}

/** Pools were added, changed (definition, counts, leases) or removed; coalesced (one event per burst of changes). */
export interface PoolsChangedEvent extends EventBase {
  type: 'pools.changed';
  /** The changed and added pools, in full. */
  pools: readonly PoolInfo[];
  /** Names of the pools that are gone. */
  removed: readonly string[];
}

export interface RoutinesChangedEvent extends EventBase {
  type: 'routines.changed';
  /** Names added, changed (content or diagnostics) or removed. */
  names: readonly string[];
  /** The current entries of those names (a name without one was removed). */
  routines: readonly RoutineInfo[];
}

export interface TemplatesChangedEvent extends EventBase {
  type: 'templates.changed';
  /** Names added, changed or removed. */
  names: readonly string[];
  /** The current entries of those names (a name without one was removed). */
  templates: readonly TemplateInfo[];
}

/** The device list changed (a device came, went or changed state): the whole list, as its sources give it. */
export interface DevicesChangedEvent extends EventBase {
  type: 'devices.changed';
  devices: readonly DeviceInfo[];
}

/** An ended group was cleared (`clearGroup`, or its definition was deleted): views drop it. */
export interface GroupRemovedEvent extends GroupEventBase {
  type: 'group.removed';
}

/** Everything the fleet reports, in one discriminated union (the CLI's `--json` lines). */
export type FleetEvent =
  | GroupStateEvent
  | GroupRemovedEvent
  | BotStateEvent
  | BotStepEvent
  | BotCycleEvent
  | BotAccountEvent
  | BotRoutineEvent
  | BotFrameEvent
  | LogEvent
  | MetricsEvent
  | DefinitionsChangedEvent
  | InstanceEvent
  | PoolsChangedEvent
  | RoutinesChangedEvent
  | TemplatesChangedEvent
  | DevicesChangedEvent;

export type FleetEventType = FleetEvent['type'];

/** An event as its source publishes it: the hub adds `seq` (and a bot event's `changes`). */
export type Unsequenced<E> = E extends unknown ? Omit<E, 'seq'> : never;

/** The events a bot publishes (into its group's sink). */
export type BotFleetEvent = Unsequenced<BotStateEvent | BotStepEvent | BotCycleEvent | BotAccountEvent | BotRoutineEvent | BotFrameEvent | LogEvent>;

// ---- name-addressed commands ----

/**
 * Error codes of the fleet's commands (stable strings, for programs):
 * - `unknown-group`: no definition (or group) has that name; `invalid-definition`: the saved definition has errors;
 * - `group-active`: a group of that name runs (stop it first); `not-running`: the group (or bot) is not running;
 * - `unknown-bot`: the group has no bot on that instance; `instance-busy`: another group holds an instance;
 * - `no-instances`: none of the group's instances is available; `unknown-routine`, `invalid-routine`,
 *   `unknown-pool`: what the definition names is missing or broken; `disposed`: the orchestrator is shut down;
 * - `failed`: anything else (the message says what).
 */
export type FleetErrorCode =
  | 'unknown-group'
  | 'invalid-definition'
  | 'group-active'
  | 'not-running'
  | 'unknown-bot'
  | 'instance-busy'
  | 'no-instances'
  | 'unknown-routine'
  | 'invalid-routine'
  | 'unknown-pool'
  | 'disposed'
  | 'failed';

export interface FleetResultError {
  code: FleetErrorCode;
  message: string;
  /** `invalid-definition`: the definition's first error, located. */
  diagnostic?: Diagnostic;
}

/** The typed, serialisable result of a fleet command (never thrown: the same shape local and remote). */
export type FleetResult<T> = { ok: true; value: T } | { ok: false; error: FleetResultError };

/** Per bot figures of a finished run (the CLI's final `summary` line). */
export interface RunSummaryBot {
  instance: InstanceKey;
  serial?: string;
  cycles: number;
  errors: number;
  accounts: readonly string[];
  state: BotState;
  stopReason?: StopReason;
}

export interface RunSummary {
  type: 'summary';
  group: string;
  /** Absent when the run ended before its group was created (unknown group, bad workspace, database locked). */
  orchestrationId?: string;
  state: GroupState;
  stopReason?: StopReason;
  bots: readonly RunSummaryBot[];
  /** Why the run failed: the group's last error, or what kept it from running. */
  error?: ErrorInfo;
}

/** Bot states in which a bot still holds its instance and may act. */
export function isBotActive(state: BotState): boolean {
  return state !== 'stopped' && state !== 'failed' && state !== 'idle';
}

/** Group states in which the group counts as running (it sits in the orchestrator's active groups). */
export function isGroupRunning(state: GroupState): boolean {
  return state === 'starting' || state === 'running' || state === 'paused' || state === 'waiting' || state === 'stopping';
}

/** The summary of a finished (or running) group. Replaced bots are listed too. */
export function runSummaryOf(g: GroupSnapshot): RunSummary {
  const bots = [...g.retiredBots, ...g.bots].map(
    (b): RunSummaryBot => ({ instance: b.instance, serial: b.serial, cycles: b.cycles, errors: b.errors, accounts: b.accounts, state: b.state, stopReason: b.stopReason }),
  );
  return { type: 'summary', group: g.name, orchestrationId: g.orchestrationId, state: g.state, stopReason: g.stopReason, bots, ...(g.lastError ? { error: g.lastError } : {}) };
}
