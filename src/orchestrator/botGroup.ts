/**
 * BotGroup: the run-time instance of a BotGroupDefinition. It owns the bots of one run (keyed by instance), picks
 * requestedBotCount instances from availableInstances (skipping offline ones and, per `onBusy`, busy ones), starts
 * the bots staggered, replaces a bot whose device dropped when a spare instance is free, and stops gracefully.
 * Every state change goes to the orchestrator's event hub. Each group has an OrchestrationID (a UUID per run).
 */
import type { AccountPort } from '../bot/accounts';
import { Bot, fatalStorageError, type BotDeviceSource, type BotStopOptions, type OfflineDecision, type RoutineRunnerFactory } from '../bot/bot';
import type { Clock, Logger } from '../shared/ports';
import type { Diagnostic } from '../shared/geometry';
import { filterEvent, type Disposable, type Event } from '../shared/lifecycle';
import {
  compareInstances,
  isBotActive,
  isGroupRunning,
  type BotSnapshot,
  type ErrorInfo,
  type GroupSnapshot,
  type FleetEvent,
  type GroupState,
  type GroupStateEvent,
  type InstanceKey,
  type SkippedInstance,
  type StopReason,
} from '../shared/fleetTypes';
import type { FleetConfig } from './config';
import type { FleetEventSink } from './fleetEvents';
import {
  cloneGroupDefinition,
  definitionInstanceKeys,
  mergeLaunchOptions,
  routineConfigFor,
  sameGroupConfiguration,
  serialOverrideFor,
  type BotGroupDefinition,
  type LaunchOptions,
} from './groupDefinition';
import { InstanceBusyError, type InstanceRegistry } from './instanceRegistry';
import { FrameRequestError, type BotFrame, type FrameRequestOptions } from '../bot/botDevice';
import { LatencyWindow } from '../shared/stats';
import { RateMeter } from './metrics';
import { FleetError } from '../shared/errors';

/** Reachability of an instance's device. */
export interface InstanceProbe {
  instance: InstanceKey;
  state: 'online' | 'offline' | 'unknown';
  serial?: string;
}

/** Where the fleet's devices come from (emulator discovery, virtual devices, a fixed serial list). */
export interface DeviceProvider extends BotDeviceSource {
  status(instance: InstanceKey, opts?: { serial?: string; signal?: AbortSignal }): Promise<InstanceProbe>;
  /** Fires when instances may have come or gone (a group waiting for instances re-checks). */
  readonly onDidChangeInstances?: Event<unknown>;
}

/** Owner of a lease, as the pool records it. */
export interface LeaseOwnerInfo {
  group: string;
  bot: string;
  orchestrationId: string;
  routine?: string;
}

/** What a group needs from the pool manager (PoolManager fits). */
export interface GroupPoolAccess {
  /** The pool definition, or undefined when there is no such pool. */
  getPool(name: string): unknown;
  accountPort(pool: string, owner: LeaseOwnerInfo): AccountPort & Partial<Disposable>;
  releaseAll(filter: { orchestrationId?: string }, reason?: string): Promise<string[]>;
  /** Opens the pool storage when the host opens it lazily (awaited before a group with a pool starts its bots). */
  ensureOpen?(): Promise<void>;
}

/** What a group needs from the routine registry (RoutineRegistry fits). */
export interface RoutineCatalog {
  has(name: string): boolean;
  /** The routine's validity and problems, when the catalog knows them. */
  entry?(name: string): { readonly valid: boolean; readonly diagnostics: readonly Diagnostic[] } | undefined;
}

export type GroupErrorCode =
  | 'group-already-started'
  | 'unknown-routine'
  | 'invalid-routine'
  | 'unknown-pool'
  | 'no-instances'
  | 'instance-busy'
  | 'group-stopped'
  | 'unknown-bot'
  | 'bot-restarting';

export class GroupError extends FleetError<GroupErrorCode> {
  declare readonly details: Record<string, unknown>;

  constructor(code: GroupErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, { cause: options?.cause, details });
    this.name = 'GroupError';
  }
}

export interface LaunchResult {
  orchestrationId: string;
  requested: number;
  /** Instances a bot was started on. */
  launched: InstanceKey[];
  skipped: SkippedInstance[];
  /** With `onBusy: wait`: bots still waiting for an instance. */
  waiting: number;
}

export interface BotGroupDeps {
  definition: BotGroupDefinition;
  orchestrationId: string;
  config: FleetConfig;
  clock: Clock;
  logger: Logger;
  /** The orchestrator's hub: the group's and its bots' events go there. */
  sink: FleetEventSink;
  /** The hub's feed (the group's `onDidChangeState` is a view of it). */
  feed?: Event<FleetEvent>;
  instances: InstanceRegistry;
  devices: DeviceProvider;
  runners: RoutineRunnerFactory;
  pools?: GroupPoolAccess;
  routines?: RoutineCatalog;
}

export interface GroupStopOptions {
  force?: boolean;
  /** Graceful timeout per bot (default: the launch options' stopTimeout). */
  timeoutMs?: number;
  reason?: StopReason;
}

interface BotRecord {
  bot: Bot;
  port?: AccountPort & Partial<Disposable>;
  /** Device serials the bot claimed besides its instance key (released when the bot ends). */
  serials: Set<string>;
}

export class BotGroup implements Disposable {
  readonly name: string;
  readonly orchestrationId: string;
  /** The definition this run was created from (a frozen copy; edits to the saved one apply at the next start). */
  readonly definition: Readonly<BotGroupDefinition>;


  /** This run's state changes, as the hub published them (a filtered view of the fleet feed). */
  readonly onDidChangeState: Event<GroupStateEvent>;

  private state: GroupState = 'idle';
  private stateSince: number;
  private launch: LaunchOptions;
  private readonly bots = new Map<InstanceKey, BotRecord>();
  private readonly retired: BotSnapshot[] = [];
  private skipped: SkippedInstance[] = [];
  /** Instances being claimed by an in-flight selection (guards concurrent replacements). */
  private readonly reserving = new Set<InstanceKey>();
  private startedAt: number | undefined;
  private stoppedAt: number | undefined;
  private stopReason: StopReason | undefined;
  private lastError: ErrorInfo | undefined;
  private differs = false;
  /** pause() came while the group was starting. */
  private pauseWanted = false;
  /** Instances whose bot restartBot is replacing (the group does not end meanwhile). */
  private readonly restarting = new Set<InstanceKey>();
  private deadline: number | undefined;
  private waitingFor = 0;
  private stopRequested = false;
  private readonly stopController = new AbortController();
  private finishing: Promise<GroupSnapshot> | undefined;
  /** The start in progress (a stop waits for it to give back what it claimed). */
  private startTask: Promise<LaunchResult> | undefined;
  /** True while start() selects instances and launches bots: the group cannot end meanwhile. */
  private launching = false;
  private resolveDone!: (s: GroupSnapshot) => void;
  /** Resolves with the final snapshot once the group has stopped (or failed). */
  readonly done: Promise<GroupSnapshot>;
  private readonly log: Logger;
  private readonly rate = new RateMeter();

  constructor(private readonly deps: BotGroupDeps) {
    this.definition = Object.freeze(cloneGroupDefinition(deps.definition));
    this.name = deps.definition.name;
    this.orchestrationId = deps.orchestrationId;
    this.launch = mergeLaunchOptions(this.definition.launchOptions, undefined);
    this.stateSince = deps.clock.wallNow().getTime();
    this.log = deps.logger.child(`group:${this.name}`);
    this.done = new Promise((r) => (this.resolveDone = r));
    const states = deps.feed ? filterEvent(deps.feed, 'group.state') : undefined;
    this.onDidChangeState = (listener) =>
      states
        ? states((e) => {
            if (e.orchestrationId === this.orchestrationId) {
              listener(e);
            }
          })
        : { dispose: () => undefined };
  }

  get currentState(): GroupState {
    return this.state;
  }

  /** The launch options in effect (the definition's, with the overrides given to start). */
  get launchOptions(): Readonly<LaunchOptions> {
    return this.launch;
  }

  /** True from start until the group has stopped. */
  isRunning(): boolean {
    return isGroupRunning(this.state);
  }

  /** True when the saved definition no longer matches the one this group runs. */
  get differsFromDefinition(): boolean {
    return this.differs;
  }

  /**
   * Compares the saved definition with this run's; a difference is reported in the snapshot (it applies at the
   * next start). `saved` undefined means the definition was deleted or became invalid.
   */
  noteSavedDefinition(saved: BotGroupDefinition | undefined): void {
    const differs = !saved || !sameGroupConfiguration(saved, this.definition);
    if (differs !== this.differs) {
      this.differs = differs;
      this.fireState(this.state, {});
    }
  }

  /**
   * Starts the group: validates the routine and pool, claims instances, starts the bots staggered.
   * @throws GroupError ('group-already-started', 'unknown-routine', 'unknown-pool', 'no-instances') or
   *   InstanceBusyError (`onBusy: fail`); the group is then failed and holds nothing.
   */
  async start(launchOptions?: Partial<LaunchOptions>): Promise<LaunchResult> {
    if (this.state !== 'idle') {
      throw new GroupError('group-already-started', `group '${this.name}' was already started (run ${this.orchestrationId}); create a new group to run it again`);
    }
    const task = this.launchGroup(launchOptions);
    this.startTask = task;
    try {
      return await task;
    } finally {
      this.startTask = undefined;
    }
  }

  private async launchGroup(launchOptions: Partial<LaunchOptions> | undefined): Promise<LaunchResult> {
    this.launching = true;
    const def = this.definition;
    this.launch = mergeLaunchOptions(def.launchOptions, launchOptions);
    this.startedAt = this.deps.clock.wallNow().getTime();
    this.setState('starting');
    try {
      if (this.deps.routines && !this.deps.routines.has(def.routine)) {
        throw new GroupError('unknown-routine', `group '${this.name}': there is no routine '${def.routine}'`, { routine: def.routine });
      }
      const entry = this.deps.routines?.entry?.(def.routine);
      if (entry && !entry.valid) {
        const first = entry.diagnostics.find((d) => d.severity === 'error');
        throw new GroupError(
          'invalid-routine',
          `group '${this.name}': routine '${def.routine}' has errors${first ? ` (${first.file}:${first.line}:${first.col}: ${first.message})` : ''}`,
          { routine: def.routine, diagnostics: entry.diagnostics },
        );
      }
      if (def.accountPool !== undefined && this.deps.pools && this.deps.pools.getPool(def.accountPool) === undefined) {
        throw new GroupError('unknown-pool', `group '${this.name}': there is no account pool '${def.accountPool}'`, { pool: def.accountPool });
      }
      if (def.accountPool !== undefined) {
        await this.deps.pools?.ensureOpen?.();
      }
      if (this.launch.durationMs !== undefined) {
        this.deadline = this.deps.clock.now() + this.launch.durationMs;
      }
      const { chosen, skipped } = await this.selectInstances(def.requestedBotCount, this.launch.onBusy);
      this.skipped = skipped;
      if (chosen.length === 0 && this.launch.onBusy !== 'wait' && !this.stopRequested) {
        throw new GroupError('no-instances', `group '${this.name}': none of its instances is available (${describeSkipped(skipped)})`, { skipped });
      }
      // Only `onBusy: wait` waits for the missing bots; with `skip` or `fail` the group runs with the bots it has.
      this.waitingFor = this.launch.onBusy === 'wait' ? Math.max(0, def.requestedBotCount - chosen.length) : 0;
      for (const c of skipped) {
        this.groupLog('warn', `instance ${c.instance} skipped: ${c.reason}${c.owner ? ` (held by '${c.owner}')` : ''}`);
      }
      const launched: InstanceKey[] = [];
      for (let i = 0; i < chosen.length; i++) {
        if (this.stopRequested) {
          break;
        }
        this.createBot(chosen[i]);
        launched.push(chosen[i]);
        if (i < chosen.length - 1 && this.launch.staggerMs > 0) {
          await this.deps.clock.sleep(this.launch.staggerMs, this.stopController.signal).catch(() => undefined);
        }
      }
      for (const rest of chosen.slice(launched.length)) {
        this.deps.instances.release(rest, this.orchestrationId);
      }
      const result: LaunchResult = { orchestrationId: this.orchestrationId, requested: def.requestedBotCount, launched, skipped, waiting: this.waitingFor };
      if (this.stopRequested) {
        return result;
      }
      this.setState(this.waitingFor > 0 && launched.length === 0 ? 'waiting' : 'running');
      if (this.pauseWanted) {
        this.pauseWanted = false;
        this.pause();
      }
      if (this.waitingFor > 0) {
        this.waitForInstances().catch((e: unknown) => this.unexpected('waiting for instances', e));
      }
      if (this.launch.durationMs !== undefined) {
        this.deps.clock
          .sleep(this.launch.durationMs, this.stopController.signal)
          .then(
            () => this.stop({ reason: 'duration' }),
            () => undefined,
          )
          .catch((e: unknown) => this.unexpected('stopping after the duration', e));
      }
      if (this.deps.config.metricsIntervalMs > 0) {
        this.metricsLoop().catch((e: unknown) => this.unexpected('publishing metrics', e));
      }
      return result;
    } catch (e) {
      this.lastError ??= toErrorInfo(e, this.deps.clock.wallNow().getTime());
      this.stopReason = 'failed';
      this.stopRequested = true;
      this.stopController.abort();
      await Promise.all([...this.bots.values()].map((r) => r.bot.stop({ force: true, reason: 'failed' }).catch((err: unknown) => this.unexpected(`stopping the bot on instance ${r.bot.instance}`, err))));
      await this.finish(true);
      throw e;
    } finally {
      this.launching = false;
      // Bots that ended during the start (or a stop that came meanwhile) are judged now.
      this.checkFinished();
    }
  }

  /**
   * Creates a bot on `instance` and starts it (the instance is claimed for this run first).
   * @throws InstanceBusyError when another group holds the instance; GroupError('group-stopped') after a stop.
   */
  createBot(instance: InstanceKey): Bot {
    if (this.stopRequested || !this.startedAt) {
      throw new GroupError('group-stopped', `group '${this.name}' is not running`);
    }
    const existing = this.bots.get(instance);
    if (existing && isBotActive(existing.bot.currentState)) {
      return existing.bot;
    }
    if (existing) {
      this.retire(instance);
    }
    this.deps.instances.claim(instance, { group: this.name, orchestrationId: this.orchestrationId });
    const def = this.definition;
    const cfg = this.deps.config;
    const serials = new Set<string>();
    const port = def.accountPool !== undefined && this.deps.pools ? this.deps.pools.accountPort(def.accountPool, { group: this.name, bot: instance, orchestrationId: this.orchestrationId, routine: def.routine }) : undefined;
    const bot = new Bot({
      group: this.name,
      orchestrationId: this.orchestrationId,
      instance,
      serial: serialOverrideFor(def, instance),
      // The device may also be named by its serial elsewhere: claim that name too, so no two groups drive it.
      claimSerial: (serial) => {
        if (serial !== instance) {
          this.deps.instances.claim(serial, { group: this.name, orchestrationId: this.orchestrationId });
          serials.add(serial);
        }
      },
      routine: def.routine,
      params: routineConfigFor(def, instance),
      cycles: this.launch.cycles,
      deadline: this.deadline,
      cycleDelayMs: this.launch.cycleDelayMs,
      restart: this.launch.restart,
      stopWhenPoolEmpty: this.launch.stopWhenPoolEmpty,
      poolRetryMs: cfg.poolRetryMs,
      stopTimeoutMs: this.launch.stopTimeoutMs,
      reconnectTimeoutMs: cfg.reconnectTimeoutMs,
      reconnectIntervalMs: cfg.reconnectIntervalMs,
      createLatencyTracker: () => new LatencyWindow(cfg.latencyWindow),
      devices: this.deps.devices,
      runners: this.deps.runners,
      accounts: port,
      clock: this.deps.clock,
      logger: this.log,
      onOffline: (b) => this.decideOffline(b),
      onFatalError: (b, error) => this.failRun(error, `bot ${b.instance}`),
      // Only the current bot of its instance publishes (a retired one stays quiet: views show its replacement).
      publish: (e) => {
        if (this.bots.get(instance)?.bot === bot) {
          this.deps.sink.publishBot(e, bot.snapshot());
        }
      },
    });
    const record: BotRecord = { bot, port, serials };
    this.bots.set(instance, record);
    bot.start();
    if (this.state === 'paused' || this.pauseWanted) {
      bot.pause();
    }
    bot.done
      .then(
        () => this.onBotDone(instance, record),
        (e: unknown) => {
          this.unexpected(`ending the bot on instance ${instance}`, e);
          this.onBotDone(instance, record);
        },
      )
      .catch((e: unknown) => this.unexpected(`ending the bot on instance ${instance}`, e));
    return bot;
  }

  /** Stops the bot on `instance` (gracefully unless `force`), releases its instance and removes it. */
  async shutdownBot(instance: InstanceKey, opts: BotStopOptions = {}): Promise<BotSnapshot | undefined> {
    const r = this.bots.get(instance);
    if (!r) {
      return undefined;
    }
    const snap = await r.bot.stop({ timeoutMs: this.launch.stopTimeoutMs, ...opts });
    this.retire(instance);
    return snap;
  }

  /**
   * Stops the bot on `instance` gracefully (its step finishes within the stop timeout, its account goes back to the
   * pool) and starts a fresh bot on the same instance; the old one is retired with stop reason `restarted`.
   * @throws GroupError('group-stopped') when the group is not running, ('unknown-bot') when it has no bot there;
   *   InstanceBusyError when another group took the instance meanwhile.
   */
  async restartBot(instance: InstanceKey, opts: { timeoutMs?: number } = {}): Promise<Bot> {
    if (this.stopRequested || !this.isRunning() || this.state === 'starting') {
      throw new GroupError('group-stopped', `group '${this.name}' is not running`);
    }
    const r = this.bots.get(instance);
    if (!r) {
      throw new GroupError('unknown-bot', `group '${this.name}' has no bot on instance ${instance}`, { instance });
    }
    if (this.restarting.has(instance)) {
      throw new GroupError('bot-restarting', `the bot on instance ${instance} of group '${this.name}' is already restarting`, { instance });
    }
    this.restarting.add(instance);
    try {
      await r.bot.stop({ timeoutMs: opts.timeoutMs ?? this.launch.stopTimeoutMs, reason: 'restarted' });
      if (this.stopRequested) {
        throw new GroupError('group-stopped', `group '${this.name}' stopped while its bot on instance ${instance} restarted`);
      }
      if (this.bots.get(instance) === r) {
        this.retire(instance);
      }
      return this.createBot(instance);
    } finally {
      this.restarting.delete(instance);
      this.checkFinished();
    }
  }

  /** The latest frame of the bot on `instance` (see Bot.latestFrame); undefined without a bot or a frame. */
  botFrame(instance: InstanceKey): BotFrame | undefined {
    return this.bots.get(instance)?.bot.latestFrame();
  }

  /** A frame of the bot on `instance` (see Bot.requestFrame). @throws FrameRequestError 'unknown-bot' without one. */
  requestBotFrame(instance: InstanceKey, opts: FrameRequestOptions = {}): Promise<BotFrame> {
    const b = this.bots.get(instance)?.bot;
    return b ? b.requestFrame(opts) : Promise.reject(new FrameRequestError('unknown-bot', `group '${this.name}' has no bot on instance ${instance}`));
  }

  getBot(instance: InstanceKey): Bot | undefined {
    return this.bots.get(instance)?.bot;
  }

  /** Snapshots of the group's bots (by instance order). */
  getAllBots(): BotSnapshot[] {
    return [...this.bots.keys()].sort(compareInstances).map((k) => this.bots.get(k)!.bot.snapshot());
  }

  /** Graceful stop: bots finish their step (within the timeout), accounts are released, then bots are forced. */
  async stop(opts: GroupStopOptions = {}): Promise<GroupSnapshot> {
    if (this.state === 'idle') {
      this.stopReason = opts.reason ?? 'requested';
      this.stopRequested = true;
      await this.finish(false);
      return this.done;
    }
    if (this.state === 'stopped' || this.state === 'failed') {
      return this.done;
    }
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.stopReason ??= opts.reason ?? 'requested';
      this.stopController.abort();
      this.setState('stopping', { reason: this.stopReason });
    }
    // A start in progress sees the stop, gives back the instances it claimed and launches nothing more.
    await this.startTask?.catch(() => undefined);
    const timeoutMs = opts.timeoutMs ?? this.launch.stopTimeoutMs;
    await Promise.all(
      [...this.bots.values()].map((r) =>
        r.bot.stop({ force: opts.force, timeoutMs, reason: this.stopReason }).catch((e: unknown) => this.unexpected(`stopping the bot on instance ${r.bot.instance}`, e)),
      ),
    );
    this.checkFinished();
    return this.done;
  }

  /**
   * An error that ends the run (the account storage failed): the group stops as `failed` with it as lastError;
   * the other bots stop gracefully.
   */
  private failRun(error: ErrorInfo, source: string): void {
    if (this.finishing) {
      return;
    }
    if (this.stopReason !== 'failed' || !this.lastError) {
      this.lastError = error;
    }
    this.stopReason = 'failed';
    this.groupLog('error', `${source}: ${error.message}; the group stops`);
    this.stop({ reason: 'failed' }).catch((e: unknown) => this.unexpected('stopping after a fatal error', e));
  }

  /** A rejection nobody else handles: logged, never unhandled. */
  private unexpected(what: string, e: unknown): void {
    this.groupLog('error', `${what} failed unexpectedly: ${e instanceof Error ? e.message : String(e)}`);
  }

  /**
   * Pauses every bot at its next step boundary. During the start it takes effect too: the bots started so far pause,
   * the ones started later start paused, and the group is `paused` once the start is done.
   */
  pause(): void {
    if (this.state === 'starting') {
      this.pauseWanted = true;
      for (const r of this.bots.values()) {
        r.bot.pause();
      }
      return;
    }
    if (this.state !== 'running' && this.state !== 'waiting') {
      return;
    }
    for (const r of this.bots.values()) {
      r.bot.pause();
    }
    this.setState('paused');
  }

  /** Resumes a paused group (during the start: cancels a pause asked for meanwhile). */
  resume(): void {
    if (this.state === 'starting' && this.pauseWanted) {
      this.pauseWanted = false;
      for (const r of this.bots.values()) {
        r.bot.resume();
      }
      return;
    }
    if (this.state !== 'paused') {
      return;
    }
    for (const r of this.bots.values()) {
      r.bot.resume();
    }
    this.setState(this.bots.size === 0 && this.waitingFor > 0 ? 'waiting' : 'running');
  }

  snapshot(): GroupSnapshot {
    const def = this.definition;
    return Object.freeze({
      name: this.name,
      orchestrationId: this.orchestrationId,
      state: this.state,
      stateSince: this.stateSince,
      ...(def.description !== undefined ? { description: def.description } : {}),
      routine: def.routine,
      ...(def.accountPool !== undefined ? { accountPool: def.accountPool } : {}),
      requestedBotCount: def.requestedBotCount,
      availableInstances: Object.freeze(definitionInstanceKeys(def)),
      bots: Object.freeze(this.getAllBots()),
      retiredBots: Object.freeze([...this.retired]),
      skippedInstances: Object.freeze([...this.skipped]),
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      ...(this.stoppedAt !== undefined ? { stoppedAt: this.stoppedAt } : {}),
      ...(this.stopReason !== undefined && !this.isRunning() ? { stopReason: this.stopReason } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      differsFromDefinition: this.differs,
    });
  }

  /** Forces the stop; the final events are still published (into the orchestrator's hub). */
  dispose(): void {
    this.stop({ force: true }).catch((e: unknown) => this.unexpected('stopping the group on dispose', e));
  }

  // ---- internals ----

  /** Picks up to `count` instances: online, not held by another run (per onBusy), claimed for this run. */
  private async selectInstances(count: number, onBusy: LaunchOptions['onBusy']): Promise<{ chosen: InstanceKey[]; skipped: SkippedInstance[] }> {
    const chosen: InstanceKey[] = [];
    const skipped: SkippedInstance[] = [];
    try {
      for (const instance of definitionInstanceKeys(this.definition)) {
        if (chosen.length >= count) {
          break;
        }
        const holder = this.deps.instances.holder(instance);
        if (holder && holder.orchestrationId !== this.orchestrationId) {
          if (onBusy === 'fail') {
            throw new InstanceBusyError(instance, holder);
          }
          skipped.push({ instance, reason: 'busy', owner: holder.group });
          continue;
        }
        const probe = await this.probe(instance);
        if (this.stopRequested) {
          break;
        }
        if (probe.state !== 'online') {
          skipped.push({ instance, reason: probe.state === 'offline' ? 'offline' : 'unknown' });
          continue;
        }
        // Re-check after the await: another group may have claimed it meanwhile.
        const again = this.deps.instances.holder(instance);
        if (again && again.orchestrationId !== this.orchestrationId) {
          if (onBusy === 'fail') {
            throw new InstanceBusyError(instance, again);
          }
          skipped.push({ instance, reason: 'busy', owner: again.group });
          continue;
        }
        this.deps.instances.claim(instance, { group: this.name, orchestrationId: this.orchestrationId });
        chosen.push(instance);
      }
    } catch (e) {
      for (const c of chosen) {
        this.deps.instances.release(c, this.orchestrationId);
      }
      throw e;
    }
    return { chosen, skipped };
  }

  private async probe(instance: InstanceKey): Promise<{ state: 'online' | 'offline' | 'unknown' }> {
    try {
      return await this.deps.devices.status(instance, { serial: serialOverrideFor(this.definition, instance), signal: this.stopController.signal });
    } catch {
      return { state: 'unknown' };
    }
  }

  /** A spare instance for a replacement: in availableInstances, without a bot of this run, free and online. */
  private async claimSpare(): Promise<InstanceKey | undefined> {
    for (const instance of definitionInstanceKeys(this.definition)) {
      if (this.bots.has(instance) || this.reserving.has(instance) || this.deps.instances.isBusyFor(instance, this.orchestrationId)) {
        continue;
      }
      this.reserving.add(instance);
      try {
        const p = await this.probe(instance);
        if (p.state !== 'online' || this.stopRequested || this.bots.has(instance) || this.deps.instances.isBusyFor(instance, this.orchestrationId)) {
          continue;
        }
        this.deps.instances.claim(instance, { group: this.name, orchestrationId: this.orchestrationId });
        return instance;
      } finally {
        this.reserving.delete(instance);
      }
    }
    return undefined;
  }

  private async decideOffline(bot: Bot): Promise<OfflineDecision> {
    if (this.stopRequested) {
      return 'reconnect';
    }
    const spare = await this.claimSpare();
    if (!spare) {
      return 'reconnect';
    }
    if (this.stopRequested) {
      this.deps.instances.release(spare, this.orchestrationId);
      return 'reconnect';
    }
    this.groupLog('info', `instance ${bot.instance} dropped; its bot moves to instance ${spare}`);
    return this.tryCreateBot(spare) ? 'replace' : 'reconnect';
  }

  /** onBusy: wait — fills missing bots as instances free up, until waitTimeout. */
  private async waitForInstances(): Promise<void> {
    const c = this.deps.clock;
    const until = c.now() + this.launch.waitTimeoutMs;
    let wake: (() => void) | undefined;
    const poke = () => wake?.();
    const subs = [this.deps.instances.onDidChangeAssignment(poke), ...(this.deps.devices.onDidChangeInstances ? [this.deps.devices.onDidChangeInstances(poke)] : [])];
    try {
      while (this.waitingFor > 0 && !this.stopRequested && c.now() < until) {
        const spare = await this.claimSpare();
        if (spare && !this.stopRequested && this.tryCreateBot(spare)) {
          this.waitingFor--;
          if (this.state === 'waiting') {
            this.setState('running');
          }
          continue;
        }
        const timer = new AbortController();
        await Promise.race([
          new Promise<void>((r) => (wake = r)),
          c.sleep(Math.min(this.deps.config.instancePollMs, Math.max(1, until - c.now())), AbortSignal.any([timer.signal, this.stopController.signal])).catch(() => undefined),
        ]);
        timer.abort();
        wake = undefined;
      }
      if (this.waitingFor > 0 && !this.stopRequested) {
        this.groupLog('warn', `gave up waiting for ${this.waitingFor} instance(s) after ${this.launch.waitTimeoutMs} ms`);
        this.waitingFor = 0;
        this.checkFinished();
      }
    } finally {
      subs.forEach((s) => s.dispose());
    }
  }

  /** createBot for a claimed spare; on failure (e.g. the pool went away) the spare is released and false returned. */
  private tryCreateBot(spare: InstanceKey): boolean {
    try {
      this.createBot(spare);
      return true;
    } catch (e) {
      this.deps.instances.release(spare, this.orchestrationId);
      this.groupLog('warn', `bot on instance ${spare} could not start: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  private async metricsLoop(): Promise<void> {
    const c = this.deps.clock;
    while (!this.stopRequested) {
      await c.sleep(this.deps.config.metricsIntervalMs, this.stopController.signal).catch(() => undefined);
      if (this.stopRequested) {
        break;
      }
      const bots = this.getAllBots();
      const steps = bots.reduce((n, b) => n + b.steps, 0) + this.retired.reduce((n, b) => n + b.steps, 0);
      this.deps.sink.publish({
        type: 'metrics',
        time: c.wallNow().getTime(),
        group: this.name,
        orchestrationId: this.orchestrationId,
        stepsPerSecond: this.rate.sample(steps, c.now()),
        bots: bots.map((b) => ({ instance: b.instance, state: b.state, cycles: b.cycles, errors: b.errors, steps: b.steps, capture: b.capture, input: b.input })),
      });
    }
  }

  private onBotDone(instance: InstanceKey, record: BotRecord): void {
    try {
      record.port?.dispose?.();
    } catch {
      // a port that fails to dispose is gone anyway
    }
    const current = this.bots.get(instance);
    if (!current || current === record) {
      // Not when a newer bot of this run took the instance over meanwhile (createBot retires a finished bot).
      this.deps.instances.release(instance, this.orchestrationId);
    }
    this.releaseSerials(record);
    const snap = record.bot.snapshot();
    if (snap.stopReason === 'replaced' && current === record) {
      this.retire(instance);
    }
    this.checkFinished();
  }

  private retire(instance: InstanceKey): void {
    const r = this.bots.get(instance);
    if (!r) {
      return;
    }
    this.bots.delete(instance);
    this.retired.push(r.bot.snapshot());
    this.deps.instances.release(instance, this.orchestrationId);
    if (r.bot.isFinished) {
      this.releaseSerials(r);
    }
    // The bot left `bots` for `retiredBots`: views get the group's new snapshot.
    this.fireState(this.state, {});
  }

  /** Gives back the device serials a finished bot claimed, unless another live bot of this run uses them. */
  private releaseSerials(record: BotRecord): void {
    for (const serial of record.serials) {
      const inUse = [...this.bots.values()].some((r) => r !== record && !r.bot.isFinished && r.serials.has(serial));
      if (!inUse) {
        this.deps.instances.release(serial, this.orchestrationId);
      }
    }
  }

  /**
   * The end rule: the group ends once every bot it started has ended and nothing waits for an instance (only
   * `onBusy: wait` waits, until its waitTimeout). It is `failed` when every bot it has failed (or a fatal error
   * or a failed start ended it); otherwise `stopped`, with the reason its bots share (`cycles-done`, `duration`,
   * `pool-empty`), `finished` when they differ, or the reason of the stop that was requested.
   */
  private checkFinished(): void {
    if (this.finishing || this.launching || this.restarting.size > 0 || this.state === 'idle' || this.state === 'starting') {
      return;
    }
    const anyActive = [...this.bots.values()].some((r) => !r.bot.isFinished);
    if (anyActive || (this.waitingFor > 0 && !this.stopRequested)) {
      return;
    }
    const all = [...this.bots.values()].map((r) => r.bot.snapshot());
    const allFailed = all.length > 0 && all.every((b) => b.state === 'failed');
    if (allFailed && !this.lastError) {
      const first = all.find((b) => b.lastError)?.lastError;
      if (first) {
        this.lastError = first;
      }
    }
    if (!this.stopReason) {
      const reasons = new Set(all.filter((b) => b.state !== 'failed').map((b) => b.stopReason));
      const only = reasons.size === 1 ? [...reasons][0] : undefined;
      this.stopReason = allFailed ? 'failed' : (only ?? 'finished');
    }
    this.finish(allFailed).catch((e: unknown) => this.unexpected('ending the group', e));
  }

  private finish(failed: boolean): Promise<GroupSnapshot> {
    this.finishing ??= (async () => {
      this.stopRequested = true;
      this.stopController.abort();
      if (this.deps.pools && this.definition.accountPool !== undefined) {
        try {
          const ids = await this.deps.pools.releaseAll({ orchestrationId: this.orchestrationId }, 'group stopped');
          if (ids.length) {
            this.groupLog('info', `released ${ids.length} account(s) still leased`);
          }
        } catch (e) {
          this.groupLog('warn', `releasing the group's accounts failed: ${e instanceof Error ? e.message : String(e)}`);
          const fatal = fatalStorageError(e);
          if (fatal) {
            this.lastError ??= toErrorInfo(fatal, this.deps.clock.wallNow().getTime());
            this.stopReason = 'failed';
          }
        }
      }
      this.deps.instances.releaseAll(this.orchestrationId);
      this.stoppedAt = this.deps.clock.wallNow().getTime();
      this.setState(failed || this.stopReason === 'failed' ? 'failed' : 'stopped', { reason: this.stopReason ?? 'requested', error: this.lastError });
      const snap = this.snapshot();
      this.resolveDone(snap);
      return snap;
    })();
    return this.finishing;
  }

  private setState(state: GroupState, extra: { reason?: StopReason; error?: ErrorInfo } = {}): void {
    if (state === this.state) {
      return;
    }
    const previous = this.state;
    this.state = state;
    this.stateSince = this.deps.clock.wallNow().getTime();
    this.fireState(previous, extra);
  }

  private fireState(previous: GroupState, extra: { reason?: StopReason; error?: ErrorInfo }): void {
    if (this.startedAt === undefined) {
      // A group that was never started is no part of the fleet model (it publishes nothing).
      return;
    }
    this.deps.sink.publish({
      type: 'group.state',
      time: this.deps.clock.wallNow().getTime(),
      group: this.name,
      orchestrationId: this.orchestrationId,
      state: this.state,
      previous,
      ...(extra.reason ? { reason: extra.reason } : {}),
      ...(extra.error ? { error: extra.error } : {}),
      snapshot: this.snapshot(),
    });
  }

  private groupLog(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.log.log(level, message);
    this.deps.sink.publish({ type: 'log', time: this.deps.clock.wallNow().getTime(), level, message, group: this.name, orchestrationId: this.orchestrationId });
  }
}

function describeSkipped(s: readonly SkippedInstance[]): string {
  return s.length ? s.map((x) => `${x.instance}: ${x.reason}${x.owner ? ` by '${x.owner}'` : ''}`).join(', ') : 'no instance listed';
}

function toErrorInfo(e: unknown, time: number): ErrorInfo {
  const message = e instanceof Error ? e.message : String(e);
  const code = e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
  return code ? { message, code, time } : { message, time };
}
