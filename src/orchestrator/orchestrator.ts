/**
 * Orchestrator: the one global coordinator of the app (the seed's Layer 1). It owns the template and routine
 * registries, the pool manager, the configuration, the emulator manager, the group definitions (workspace YAML,
 * watched) and the active groups, and the instance registry that keeps two groups off one instance.
 * It only manages groups; bots live in their BotGroup.
 */
import type { RoutineRunnerFactory } from '../bot/bot';
import type { Clock, FileStore, Logger } from '../shared/ports';
import type { Event } from '../shared/lifecycle';
import { sameData } from '../shared/fleetModel';
import {
  type BotSnapshot,
  type DeviceInfo,
  type FleetErrorCode,
  type FleetResult,
  type FleetResultError,
  type FleetSnapshot,
  type GroupDefinitionSummary,
  type GroupSnapshot,
  type InstanceKey,
  type PoolInfo,
  type RoutineInfo,
  type TemplateInfo,
} from '../shared/fleetTypes';
import { FleetError } from '../shared/errors';
import { BotGroup, type DeviceProvider, type GroupPoolAccess, type GroupStopOptions, type RoutineCatalog } from './botGroup';
import { resolveFleetConfig, type FleetConfig } from './config';
import { definitionSummary, DefinitionsStore } from './definitionsStore';
import { FleetEventHub, type FleetEvents } from './fleetEvents';
import { GroupDefinitionError, validateGroupDefinition, type BotGroupDefinition, type LaunchOptions } from './groupDefinition';
import { InstanceRegistry } from './instanceRegistry';
import { FrameRequestError, type BotFrame, type FrameRequestOptions } from '../bot/botDevice';

/** A list the fleet model shows, and when it may have changed (the orchestrator diffs it and publishes the change). */
export interface FleetListSource<T> {
  list(): readonly T[];
  readonly onDidChange: Event<unknown>;
}

/**
 * What the fleet snapshot lists besides groups and definitions; the host adapts its pieces (FleetDevices, the pool
 * manager, the routine and template registries). A missing source lists nothing.
 */
export interface FleetInfoSources {
  devices?: FleetListSource<DeviceInfo>;
  /** Pool counts and leases are absent while the account database is not open (see PoolInfo). */
  pools?: FleetListSource<PoolInfo>;
  routines?: FleetListSource<RoutineInfo>;
  templates?: FleetListSource<TemplateInfo>;
}

export interface OrchestratorDeps<R extends RoutineCatalog, P extends GroupPoolAccess, T, E> {
  files: FileStore;
  clock: Clock;
  logger: Logger;
  config?: Partial<FleetConfig>;
  /** Where bots get their devices (emulators through the emulator manager, virtual devices, ...). */
  devices: DeviceProvider;
  /** Makes the routine interpreter of each bot. */
  runners: RoutineRunnerFactory;
  templateRegistry?: T;
  routineRegistry?: R;
  poolManager?: P;
  emulatorManager?: E;
  /** The lists the fleet snapshot shows (devices, pools, routines, templates). */
  sources?: FleetInfoSources;
  /** UUID factory for OrchestrationIDs (tests pass a deterministic one). */
  newId?: () => string;
  /** Watch groups/ for edits (default true). */
  watch?: boolean;
}

/** Options of `startGroup`. */
export interface StartGroupOptions {
  /** Overrides of the definition's launch options for this run. */
  launch?: Partial<LaunchOptions>;
}

const RESULT_CODES: ReadonlySet<string> = new Set<FleetErrorCode>([
  'unknown-group',
  'invalid-definition',
  'group-active',
  'not-running',
  'unknown-bot',
  'instance-busy',
  'no-instances',
  'unknown-routine',
  'invalid-routine',
  'unknown-pool',
  'disposed',
  'failed',
]);

/** An error as a command result's error (stable code; `failed` for anything without a known code). */
export function fleetResultError(e: unknown): FleetResultError {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof FleetError) {
    const code: string = e.code;
    const mapped = code === 'group-stopped' ? 'not-running' : code;
    if (RESULT_CODES.has(mapped)) {
      const diagnostic = e instanceof GroupDefinitionError ? e.diagnostics.find((d) => d.severity === 'error') : undefined;
      return { code: mapped as FleetErrorCode, message, ...(diagnostic ? { diagnostic } : {}) };
    }
  }
  return { code: 'failed', message };
}

function ok<T>(value: T): FleetResult<T> {
  return { ok: true, value };
}

function fail<T>(code: FleetErrorCode, message: string): FleetResult<T> {
  return { ok: false, error: { code, message } };
}

type ListKind = 'devices' | 'pools' | 'routines' | 'templates';

export class Orchestrator<R extends RoutineCatalog = RoutineCatalog, P extends GroupPoolAccess = GroupPoolAccess, T = unknown, E = unknown> implements FleetEvents {
  private readonly hub: FleetEventHub;
  private readonly definitions: DefinitionsStore;
  private readonly instances: InstanceRegistry;
  /** Every group by name: running, created but not started (`idle`), and ended ones (kept until cleared). */
  private readonly groups = new Map<string, BotGroup>();
  private readonly _config: FleetConfig;
  private readonly log: Logger;
  private readonly newId: () => string;
  private disposed = false;
  private closed: Promise<void> | undefined;
  private readonly cleanups: Array<{ dispose(): void }> = [];
  private readonly dirtyLists = new Set<ListKind>();

  readonly onDidChangeGroupState: FleetEvents['onDidChangeGroupState'];
  readonly onDidRemoveGroup: FleetEvents['onDidRemoveGroup'];
  readonly onDidChangeBotState: FleetEvents['onDidChangeBotState'];
  readonly onDidChangeBotStep: FleetEvents['onDidChangeBotStep'];
  readonly onDidCompleteCycle: FleetEvents['onDidCompleteCycle'];
  readonly onDidChangeBotAccount: FleetEvents['onDidChangeBotAccount'];
  readonly onDidEmitRoutineEvent: FleetEvents['onDidEmitRoutineEvent'];
  readonly onDidCaptureFrame: FleetEvents['onDidCaptureFrame'];
  readonly onDidEmitLog: FleetEvents['onDidEmitLog'];
  readonly onDidUpdateMetrics: FleetEvents['onDidUpdateMetrics'];
  readonly onDidChangeDefinitions: FleetEvents['onDidChangeDefinitions'];
  readonly onDidChangeInstanceAssignment: FleetEvents['onDidChangeInstanceAssignment'];
  readonly onDidChangePools: FleetEvents['onDidChangePools'];
  readonly onDidChangeRoutines: FleetEvents['onDidChangeRoutines'];
  readonly onDidChangeTemplates: FleetEvents['onDidChangeTemplates'];
  readonly onDidChangeDevices: FleetEvents['onDidChangeDevices'];
  readonly onDidEmitFleetEvent: FleetEvents['onDidEmitFleetEvent'];

  private constructor(private readonly deps: OrchestratorDeps<R, P, T, E>) {
    this._config = resolveFleetConfig(deps.config);
    this.log = deps.logger.child('orchestrator');
    this.newId = deps.newId ?? (() => globalThis.crypto.randomUUID());
    this.hub = new FleetEventHub((err) => this.log.log('warn', 'a fleet event listener threw', { error: String(err) }));
    const ev = this.hub.events;
    this.onDidChangeGroupState = ev.onDidChangeGroupState;
    this.onDidRemoveGroup = ev.onDidRemoveGroup;
    this.onDidChangeBotState = ev.onDidChangeBotState;
    this.onDidChangeBotStep = ev.onDidChangeBotStep;
    this.onDidCompleteCycle = ev.onDidCompleteCycle;
    this.onDidChangeBotAccount = ev.onDidChangeBotAccount;
    this.onDidEmitRoutineEvent = ev.onDidEmitRoutineEvent;
    this.onDidCaptureFrame = ev.onDidCaptureFrame;
    this.onDidEmitLog = ev.onDidEmitLog;
    this.onDidUpdateMetrics = ev.onDidUpdateMetrics;
    this.onDidChangeDefinitions = ev.onDidChangeDefinitions;
    this.onDidChangeInstanceAssignment = ev.onDidChangeInstanceAssignment;
    this.onDidChangePools = ev.onDidChangePools;
    this.onDidChangeRoutines = ev.onDidChangeRoutines;
    this.onDidChangeTemplates = ev.onDidChangeTemplates;
    this.onDidChangeDevices = ev.onDidChangeDevices;
    this.onDidEmitFleetEvent = ev.onDidEmitFleetEvent;
    this.instances = new InstanceRegistry(() => deps.clock.wallNow().getTime());
    this.definitions = new DefinitionsStore(deps.files, { dir: this._config.groupsDir, clock: deps.clock, logger: this.log });
    this.cleanups.push(
      this.definitions.onDidChange((e) => this.onDefinitionsChanged(e.names)),
      this.instances.onDidChangeAssignment((e) => {
        const a = e.assignment ?? e.previous;
        if (a) {
          this.hub.publish({
            type: e.assignment ? 'instance.assigned' : 'instance.released',
            time: this.now(),
            instance: e.instance,
            group: a.group,
            orchestrationId: a.orchestrationId,
          });
        }
      }),
    );
    const sources = deps.sources ?? {};
    for (const kind of ['devices', 'pools', 'routines', 'templates'] as const) {
      const src = sources[kind];
      if (src) {
        this.cleanups.push(src.onDidChange(() => this.listChanged(kind)));
        this.publishList(kind);
      }
    }
  }

  /** Builds an orchestrator and loads the workspace's group definitions (and watches them unless `watch: false`). */
  static async create<R extends RoutineCatalog = RoutineCatalog, P extends GroupPoolAccess = GroupPoolAccess, T = unknown, E = unknown>(
    deps: OrchestratorDeps<R, P, T, E>,
  ): Promise<Orchestrator<R, P, T, E>> {
    const o = new Orchestrator(deps);
    await o.definitions.load();
    if (deps.watch ?? true) {
      o.definitions.watch();
    }
    return o;
  }

  // ---- registries (the seed's accessors) ----

  templateRegistry(): T | undefined {
    return this.deps.templateRegistry;
  }

  routineRegistry(): R | undefined {
    return this.deps.routineRegistry;
  }

  poolManager(): P | undefined {
    return this.deps.poolManager;
  }

  emulatorManager(): E | undefined {
    return this.deps.emulatorManager;
  }

  config(): Readonly<FleetConfig> {
    return this._config;
  }

  instanceRegistry(): InstanceRegistry {
    return this.instances;
  }

  // ---- group definitions (saved configurations) ----

  /** Saves a definition to `groups/` (in place when its file exists: comments kept); returns what was saved. */
  saveGroupDefinition(def: BotGroupDefinition): Promise<BotGroupDefinition> {
    return this.definitions.save(def);
  }

  /**
   * The saved definition named `name`, read fresh from its file.
   * @throws GroupDefinitionError 'unknown-group', or 'invalid-definition' carrying the file's diagnostics.
   */
  async loadGroupDefinition(name: string): Promise<BotGroupDefinition> {
    const before = this.definitions.entry(name);
    if (before) {
      await this.definitions.refresh([before.file]);
    }
    const e = this.definitions.entry(name);
    if (!e) {
      throw new GroupDefinitionError('unknown-group', `no group definition is named '${name}'`);
    }
    const def = this.definitions.get(name);
    if (!def) {
      const first = e.diagnostics.find((d) => d.severity === 'error');
      throw new GroupDefinitionError('invalid-definition', `group definition '${name}' (${e.file}) has errors${first ? `: ${first.line}:${first.col}: ${first.message}` : ''}`, e.diagnostics);
    }
    return def;
  }

  /** Every definition file, valid or not (with its located diagnostics), marked active when its group runs. */
  listGroupDefinitions(): GroupDefinitionSummary[] {
    return this.definitions.entries().map((e) => Object.freeze(definitionSummary(e, this.isActive(e.name))));
  }

  /** Re-reads every definition file now (the watcher does this by itself after edits). */
  reloadGroupDefinitions(): Promise<void> {
    return this.definitions.load();
  }

  /**
   * Deletes a saved definition, and the ended group of that name (`group.removed`).
   * @throws GroupDefinitionError 'group-active' while its group runs, 'unknown-group'.
   */
  async deleteGroupDefinition(name: string): Promise<void> {
    if (this.isActive(name)) {
      throw new GroupDefinitionError('group-active', `group '${name}' is running; stop it before deleting its definition`);
    }
    await this.definitions.delete(name);
    this.removeEnded(name);
  }

  // ---- the fleet model ----

  /**
   * Everything a view shows, at the feed's last `seq`: synchronous and consistent with the feed (subscribe to
   * `onDidEmitFleetEvent` in the same tick and you receive exactly the events with a greater `seq`).
   */
  snapshot(): FleetSnapshot {
    return this.hub.snapshot();
  }

  // ---- groups (run-time instances) ----

  /**
   * Creates the run-time group of a definition (a new OrchestrationID). Start it with `group.start(launchOptions)`;
   * UIs use `startGroup(name)`, which does both. A created group that is not started is not active (it is not in
   * `listActiveGroups` nor in the snapshot) and is replaced by the next createGroup/startGroup of its name; an ended
   * group of that name is replaced too.
   * @throws GroupDefinitionError 'group-active' when a group of that name runs, 'invalid-definition',
   *   'disposed' after dispose().
   */
  createGroup(def: BotGroupDefinition): BotGroup {
    if (this.disposed) {
      throw new GroupDefinitionError('disposed', 'the orchestrator is disposed: it creates no more groups');
    }
    const valid = validateGroupDefinition(def);
    const current = this.groups.get(valid.name);
    if (current && current.isRunning()) {
      throw new GroupDefinitionError('group-active', `group '${valid.name}' is already active (run ${current.orchestrationId})`);
    }
    if (current) {
      // Never started, or ended: the new run takes its place (its first group.state event replaces it in views).
      this.groups.delete(valid.name);
      current.dispose();
    }
    const group = new BotGroup({
      definition: { ...valid, createdAt: def.createdAt, updatedAt: def.updatedAt },
      orchestrationId: this.newId(),
      config: this._config,
      clock: this.deps.clock,
      logger: this.deps.logger,
      sink: this.hub,
      feed: this.hub.events.onDidEmitFleetEvent,
      instances: this.instances,
      devices: this.deps.devices,
      runners: this.deps.runners,
      pools: this.deps.poolManager,
      routines: this.deps.routineRegistry,
    });
    this.groups.set(group.name, group);
    group.noteSavedDefinition(this.definitions.get(group.name) ?? group.definition);
    group.done
      .then(() => group.dispose())
      .catch((e: unknown) => this.log.log('error', `cleaning up group '${group.name}' failed: ${e instanceof Error ? e.message : String(e)}`));
    return group;
  }

  /** The group of that name: running, ended (until cleared or started again), or created and not started. */
  getGroup(name: string): BotGroup | undefined {
    return this.groups.get(name);
  }

  /** The running groups (from start until they have stopped). */
  listActiveGroups(): BotGroup[] {
    return [...this.groups.values()].filter((g) => g.isRunning());
  }

  /** The ended groups (stopped or failed), kept with their last state until started again or cleared. */
  listEndedGroups(): BotGroup[] {
    return [...this.groups.values()].filter((g) => g.currentState === 'stopped' || g.currentState === 'failed');
  }

  /** Stops a running group (gracefully unless `force`); it stays as an ended group. */
  async shutdownGroup(name: string, opts: GroupStopOptions = {}): Promise<GroupSnapshot> {
    const g = this.groups.get(name);
    if (!g || (!g.isRunning() && g.currentState !== 'idle')) {
      throw new GroupDefinitionError('unknown-group', `no active group is named '${name}'`);
    }
    const wasIdle = g.currentState === 'idle';
    const snap = await g.stop(opts);
    if (wasIdle && this.groups.get(name) === g) {
      // Never started: nothing to keep.
      this.groups.delete(name);
    }
    return snap;
  }

  /** Stops every running group (the extension's deactivate and the CLI's Ctrl-C). */
  async stopAll(opts: GroupStopOptions = {}): Promise<GroupSnapshot[]> {
    return Promise.all(this.listActiveGroups().map((g) => g.stop(opts)));
  }

  // ---- name-addressed commands (typed, serialisable results; never throw) ----

  /**
   * Loads the saved definition `name` fresh, creates its group and starts it; resolves once the bots are launched
   * (the group's snapshot then). An ended group of that name is replaced. Codes: unknown-group, invalid-definition
   * (with the first located diagnostic), group-active, unknown-routine, invalid-routine, unknown-pool, no-instances,
   * instance-busy, disposed.
   */
  async startGroup(name: string, opts: StartGroupOptions = {}): Promise<FleetResult<GroupSnapshot>> {
    if (this.disposed) {
      return fail('disposed', 'the orchestrator is disposed: it starts no more groups');
    }
    if (this.isActive(name)) {
      return fail('group-active', `group '${name}' is already running`);
    }
    try {
      const def = await this.loadGroupDefinition(name);
      const g = this.createGroup(def);
      await g.start(opts.launch);
      return ok(g.snapshot());
    } catch (e) {
      return { ok: false, error: fleetResultError(e) };
    }
  }

  /** Stops a running group (gracefully unless `force`); resolves with its final snapshot. */
  async stopGroup(name: string, opts: GroupStopOptions = {}): Promise<FleetResult<GroupSnapshot>> {
    const g = this.runningGroup(name);
    if (!g.ok) {
      return g;
    }
    try {
      return ok(await g.value.stop(opts));
    } catch (e) {
      return { ok: false, error: fleetResultError(e) };
    }
  }

  /** Pauses a running group at its bots' next step boundaries (during its start: its bots start paused). */
  pauseGroup(name: string): Promise<FleetResult<GroupSnapshot>> {
    return this.groupCommand(name, (g) => g.pause());
  }

  resumeGroup(name: string): Promise<FleetResult<GroupSnapshot>> {
    return this.groupCommand(name, (g) => g.resume());
  }

  /** Pauses one bot of a running group. Codes: unknown-group, not-running, unknown-bot. */
  pauseBot(group: string, instance: InstanceKey): Promise<FleetResult<BotSnapshot>> {
    return this.botCommand(group, instance, async (g, b) => {
      b.pause();
      return b.snapshot();
    });
  }

  resumeBot(group: string, instance: InstanceKey): Promise<FleetResult<BotSnapshot>> {
    return this.botCommand(group, instance, async (g, b) => {
      b.resume();
      return b.snapshot();
    });
  }

  /**
   * Stops a bot gracefully (its account returns to the pool) and starts a fresh bot on the same instance of the
   * group; resolves with the new bot's snapshot. Codes: unknown-group, not-running, unknown-bot, instance-busy.
   */
  restartBot(group: string, instance: InstanceKey): Promise<FleetResult<BotSnapshot>> {
    return this.botCommand(group, instance, async (g) => (await g.restartBot(instance)).snapshot());
  }

  // ---- frames (a tile reads the latest; a zoom asks for a fresh one) ----

  /** The latest frame of a group's bot, retained for the caller (release it); undefined without bot or frame. */
  botFrame(group: string, instance: InstanceKey): BotFrame | undefined {
    return this.groups.get(group)?.botFrame(instance);
  }

  /**
   * A frame of a group's bot at most `maxAgeMs` old, sharing a capture in flight (Bot.requestFrame).
   * @throws FrameRequestError 'unknown-bot', 'no-device', 'ended', 'aborted'; or the capture's DeviceError.
   */
  requestBotFrame(group: string, instance: InstanceKey, opts: FrameRequestOptions = {}): Promise<BotFrame> {
    const g = this.groups.get(group);
    return g ? g.requestBotFrame(instance, opts) : Promise.reject(new FrameRequestError('unknown-bot', `no group is named '${group}'`));
  }

  /**
   * Removes an ended group (views drop it: `group.removed`). Codes: unknown-group (no group of that name),
   * group-active (it runs: stop it first).
   */
  clearGroup(name: string): FleetResult<GroupSnapshot> {
    const g = this.groups.get(name);
    if (!g || g.currentState === 'idle') {
      return fail('unknown-group', `no group is named '${name}'`);
    }
    if (g.isRunning()) {
      return fail('group-active', `group '${name}' is running; stop it before clearing it`);
    }
    const snap = g.snapshot();
    this.removeEnded(name);
    return ok(snap);
  }

  /**
   * Forces every group to stop and releases everything. Await stopAll first for a graceful end. The events of
   * the forced stops (the groups' and bots' final states, the released instances) are still published; the event
   * hub closes once every group has ended. `whenDisposed` resolves then.
   */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.definitions.dispose();
    const groups = [...this.groups.values()];
    for (const g of groups) {
      g.dispose();
    }
    this.closed = Promise.allSettled(groups.map((g) => (g.currentState === 'idle' ? undefined : g.done))).then(() => {
      for (const c of this.cleanups) {
        c.dispose();
      }
      this.instances.dispose();
      this.hub.dispose();
    });
  }

  /** Resolves once dispose() has finished (every group ended, the event hub closed). */
  get whenDisposed(): Promise<void> {
    return this.closed ?? Promise.resolve();
  }

  // ---- internals ----

  private now(): number {
    return this.deps.clock.wallNow().getTime();
  }

  private isActive(name: string): boolean {
    return this.groups.get(name)?.isRunning() ?? false;
  }

  private runningGroup(name: string): FleetResult<BotGroup> {
    if (this.disposed) {
      return fail('disposed', 'the orchestrator is disposed');
    }
    const g = this.groups.get(name);
    if (!g || g.currentState === 'idle') {
      return fail(this.definitions.entry(name) ? 'not-running' : 'unknown-group', this.definitions.entry(name) ? `group '${name}' is not running` : `no group is named '${name}'`);
    }
    if (!g.isRunning()) {
      return fail('not-running', `group '${name}' is not running (${g.currentState})`);
    }
    return ok(g);
  }

  private async groupCommand(name: string, f: (g: BotGroup) => void): Promise<FleetResult<GroupSnapshot>> {
    const g = this.runningGroup(name);
    if (!g.ok) {
      return g;
    }
    if (g.value.currentState === 'stopping') {
      return fail('not-running', `group '${name}' is stopping`);
    }
    f(g.value);
    return ok(g.value.snapshot());
  }

  private async botCommand(group: string, instance: InstanceKey, f: (g: BotGroup, b: NonNullable<ReturnType<BotGroup['getBot']>>) => Promise<BotSnapshot>): Promise<FleetResult<BotSnapshot>> {
    const g = this.runningGroup(group);
    if (!g.ok) {
      return g;
    }
    const b = g.value.getBot(instance);
    if (!b) {
      return fail('unknown-bot', `group '${group}' has no bot on instance ${instance}`);
    }
    if (b.isFinished) {
      return fail('not-running', `the bot on instance ${instance} of group '${group}' has ended (${b.currentState})`);
    }
    try {
      return ok(await f(g.value, b));
    } catch (e) {
      return { ok: false, error: fleetResultError(e) };
    }
  }

  /** Drops the ended group `name` (if there is one) and tells the views. */
  private removeEnded(name: string): void {
    const g = this.groups.get(name);
    if (!g || g.isRunning() || g.currentState === 'idle') {
      return;
    }
    this.groups.delete(name);
    this.hub.publish({ type: 'group.removed', time: this.now(), group: name, orchestrationId: g.orchestrationId });
  }

  private onDefinitionsChanged(names: readonly string[]): void {
    const entries = names.flatMap((n) => {
      const e = this.definitions.entry(n);
      return e ? [Object.freeze(definitionSummary(e, this.isActive(n)))] : [];
    });
    this.hub.publish({ type: 'definitions.changed', time: this.now(), names: [...names], definitions: entries });
    for (const name of names) {
      const g = this.groups.get(name);
      if (!this.definitions.entry(name)) {
        // The definition was deleted: its ended group goes too.
        this.removeEnded(name);
      }
      if (g?.isRunning()) {
        g.noteSavedDefinition(this.definitions.get(name));
      }
    }
  }

  /** A source may have changed: the diff is published once per burst (a microtask later). */
  private listChanged(kind: ListKind): void {
    if (this.dirtyLists.has(kind)) {
      return;
    }
    this.dirtyLists.add(kind);
    queueMicrotask(() => {
      this.dirtyLists.delete(kind);
      if (!this.disposed) {
        this.publishList(kind);
      }
    });
  }

  private publishList(kind: ListKind): void {
    const src = this.deps.sources?.[kind];
    if (!src) {
      return;
    }
    let list: readonly unknown[];
    try {
      list = src.list();
    } catch (e) {
      this.log.log('warn', `listing the ${kind} failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const state = this.hub.current.snapshot();
    const time = this.now();
    if (kind === 'devices') {
      const devices = list as readonly DeviceInfo[];
      const before = state.devices.map(({ heldBy: _h, capture: _c, input: _i, ...rest }) => rest);
      const after = devices.map(({ heldBy: _h, capture: _c, input: _i, ...rest }) => rest);
      if (!sameData(before, after)) {
        this.hub.publish({ type: 'devices.changed', time, devices: [...devices] });
      }
      return;
    }
    const old = new Map<string, unknown>((state[kind] as ReadonlyArray<{ name: string }>).map((x) => [x.name, x]));
    const now = new Map((list as ReadonlyArray<{ name: string }>).map((x) => [x.name, x]));
    const changed = [...now.values()].filter((x) => !sameData(old.get(x.name), x));
    const removed = [...old.keys()].filter((n) => !now.has(n));
    if (changed.length === 0 && removed.length === 0) {
      return;
    }
    if (kind === 'pools') {
      this.hub.publish({ type: 'pools.changed', time, pools: changed as PoolInfo[], removed });
    } else if (kind === 'routines') {
      this.hub.publish({ type: 'routines.changed', time, names: [...changed.map((x) => x.name), ...removed], routines: changed as RoutineInfo[] });
    } else {
      this.hub.publish({ type: 'templates.changed', time, names: [...changed.map((x) => x.name), ...removed], templates: changed as TemplateInfo[] });
    }
  }
}
