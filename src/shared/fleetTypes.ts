/**
 * Snapshots and events of the fleet (orchestrator, groups, bots) as the tree, the monitor and the CLI show them.
 * Plain immutable data: JSON-serialisable, no Node APIs, no classes.
 */
import type { Diagnostic, SourceRange } from './geometry';

/** An emulator instance as a group definition names it: an index (MuMu-style) or a name / ADB serial. */
export type InstanceRef = number | string;

/** The key an instance is tracked by at run time (`1`, `emulator-5554`, `127.0.0.1:5555`). */
export type InstanceKey = string;

/** Normalizes an instance reference to its run-time key. */
export function instanceKey(ref: InstanceRef): InstanceKey {
  return typeof ref === 'number' ? String(ref) : ref.trim();
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
  /** Bots that ended and were taken out (replaced after a device drop). */
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
  /** The group run that holds it (by its instance key or its serial). */
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
  /** True while a group created from it is active. */
  active: boolean;
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
  /** Wall time, epoch ms. */
  time: number;
}

interface GroupEventBase extends EventBase {
  group: string;
  orchestrationId: string;
}

interface BotEventBase extends GroupEventBase {
  instance: InstanceKey;
}

export interface GroupStateEvent extends GroupEventBase {
  type: 'group.state';
  state: GroupState;
  previous: GroupState;
  reason?: StopReason;
  error?: ErrorInfo;
  snapshot: GroupSnapshot;
}

export interface BotStateEvent extends BotEventBase {
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
  /** The routine source the entry is about (the stuck step), when known. */
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

export interface MetricsEvent extends GroupEventBase {
  type: 'metrics';
  /** Steps finished per second over the last interval, whole group. */
  stepsPerSecond: number;
  bots: readonly BotMetrics[];
}

export interface DefinitionsChangedEvent extends EventBase {
  type: 'definitions.changed';
  /** Names whose entry was added, changed or removed. */
  names: readonly string[];
}

export interface InstanceEvent extends EventBase {
  type: 'instance.assigned' | 'instance.released';
  instance: InstanceKey;
  group: string;
  orchestrationId: string;
}

/** Everything the fleet reports, in one discriminated union (the CLI's `--json` lines). */
export type FleetEvent =
  | GroupStateEvent
  | BotStateEvent
  | BotStepEvent
  | BotCycleEvent
  | BotAccountEvent
  | LogEvent
  | MetricsEvent
  | DefinitionsChangedEvent
  | InstanceEvent;

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
