/**
 * Orchestrator: the one global coordinator of the app (the seed's Layer 1). It owns the template and routine
 * registries, the pool manager, the configuration, the emulator manager, the group definitions (workspace YAML,
 * watched) and the active groups, and the instance registry that keeps two groups off one instance.
 * It only manages groups; bots live in their BotGroup.
 */
import type { RoutineRunnerFactory } from '../bot/bot';
import type { Clock, FileStore, Logger } from '../shared/ports';
import type { Event } from '../shared/lifecycle';
import type {
  BotAccountEvent,
  BotCycleEvent,
  BotStateEvent,
  BotStepEvent,
  DefinitionsChangedEvent,
  FleetEvent,
  GroupDefinitionSummary,
  GroupSnapshot,
  GroupStateEvent,
  InstanceEvent,
  LogEvent,
  MetricsEvent,
} from '../shared/fleetTypes';
import { BotGroup, type DeviceProvider, type GroupPoolAccess, type GroupStopOptions, type RoutineCatalog } from './botGroup';
import { resolveFleetConfig, type FleetConfig } from './config';
import { definitionSummary, DefinitionsStore } from './definitionsStore';
import { FleetEventHub, type FleetEvents } from './fleetEvents';
import { GroupDefinitionError, validateGroupDefinition, type BotGroupDefinition } from './groupDefinition';
import { InstanceRegistry } from './instanceRegistry';

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
  /** UUID factory for OrchestrationIDs (tests pass a deterministic one). */
  newId?: () => string;
  /** Watch groups/ for edits (default true). */
  watch?: boolean;
}

export class Orchestrator<R extends RoutineCatalog = RoutineCatalog, P extends GroupPoolAccess = GroupPoolAccess, T = unknown, E = unknown> implements FleetEvents {
  private readonly hub: FleetEventHub;
  private readonly definitions: DefinitionsStore;
  private readonly instances: InstanceRegistry;
  private readonly activeGroups = new Map<string, BotGroup>();
  private readonly _config: FleetConfig;
  private readonly log: Logger;
  private readonly newId: () => string;
  private disposed = false;
  private closed: Promise<void> | undefined;
  private readonly cleanups: Array<{ dispose(): void }> = [];

  readonly onDidChangeGroupState: Event<GroupStateEvent>;
  readonly onDidChangeBotState: Event<BotStateEvent>;
  readonly onDidChangeBotStep: Event<BotStepEvent>;
  readonly onDidCompleteCycle: Event<BotCycleEvent>;
  readonly onDidChangeBotAccount: Event<BotAccountEvent>;
  readonly onDidEmitLog: Event<LogEvent>;
  readonly onDidUpdateMetrics: Event<MetricsEvent>;
  readonly onDidChangeDefinitions: Event<DefinitionsChangedEvent>;
  readonly onDidChangeInstanceAssignment: Event<InstanceEvent>;
  readonly onDidEmitFleetEvent: Event<FleetEvent>;

  private constructor(private readonly deps: OrchestratorDeps<R, P, T, E>) {
    this._config = resolveFleetConfig(deps.config);
    this.log = deps.logger.child('orchestrator');
    this.newId = deps.newId ?? (() => globalThis.crypto.randomUUID());
    this.hub = new FleetEventHub((err) => this.log.log('warn', 'a fleet event listener threw', { error: String(err) }));
    this.onDidChangeGroupState = this.hub.onDidChangeGroupState;
    this.onDidChangeBotState = this.hub.onDidChangeBotState;
    this.onDidChangeBotStep = this.hub.onDidChangeBotStep;
    this.onDidCompleteCycle = this.hub.onDidCompleteCycle;
    this.onDidChangeBotAccount = this.hub.onDidChangeBotAccount;
    this.onDidEmitLog = this.hub.onDidEmitLog;
    this.onDidUpdateMetrics = this.hub.onDidUpdateMetrics;
    this.onDidChangeDefinitions = this.hub.onDidChangeDefinitions;
    this.onDidChangeInstanceAssignment = this.hub.onDidChangeInstanceAssignment;
    this.onDidEmitFleetEvent = this.hub.onDidEmitFleetEvent;
    this.instances = new InstanceRegistry(() => deps.clock.wallNow().getTime());
    this.definitions = new DefinitionsStore(deps.files, { dir: this._config.groupsDir, clock: deps.clock, logger: this.log });
    this.cleanups.push(
      this.definitions.onDidChange((e) => {
        this.hub.publish({ type: 'definitions.changed', time: deps.clock.wallNow().getTime(), names: e.names });
        for (const name of e.names) {
          this.activeGroups.get(name)?.noteSavedDefinition(this.definitions.get(name));
        }
      }),
      this.instances.onDidChangeAssignment((e) => {
        const a = e.assignment ?? e.previous;
        if (a) {
          this.hub.publish({
            type: e.assignment ? 'instance.assigned' : 'instance.released',
            time: deps.clock.wallNow().getTime(),
            instance: e.instance,
            group: a.group,
            orchestrationId: a.orchestrationId,
          });
        }
      }),
    );
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
    return this.definitions.entries().map((e) => Object.freeze(definitionSummary(e, this.activeGroups.has(e.name))));
  }

  /** Re-reads every definition file now (the watcher does this by itself after edits). */
  reloadGroupDefinitions(): Promise<void> {
    return this.definitions.load();
  }

  /** Deletes a saved definition. @throws GroupDefinitionError 'group-active' while its group runs, 'unknown-group'. */
  async deleteGroupDefinition(name: string): Promise<void> {
    if (this.activeGroups.has(name)) {
      throw new GroupDefinitionError('group-active', `group '${name}' is running; stop it before deleting its definition`);
    }
    await this.definitions.delete(name);
  }

  // ---- active groups (run-time instances) ----

  /**
   * Creates the run-time group of a definition (a new OrchestrationID) and adds it to the active groups.
   * Start it with `group.start(launchOptions)`.
   * @throws GroupDefinitionError 'group-active' when a group of that name is active, 'invalid-definition',
   *   'disposed' after dispose().
   */
  createGroup(def: BotGroupDefinition): BotGroup {
    if (this.disposed) {
      throw new GroupDefinitionError('disposed', 'the orchestrator is disposed: it creates no more groups');
    }
    const valid = validateGroupDefinition(def);
    const current = this.activeGroups.get(valid.name);
    if (current) {
      throw new GroupDefinitionError('group-active', `group '${valid.name}' is already active (run ${current.orchestrationId})`);
    }
    const group = new BotGroup({
      definition: { ...valid, createdAt: def.createdAt, updatedAt: def.updatedAt },
      orchestrationId: this.newId(),
      config: this._config,
      clock: this.deps.clock,
      logger: this.deps.logger,
      hub: this.hub,
      instances: this.instances,
      devices: this.deps.devices,
      runners: this.deps.runners,
      pools: this.deps.poolManager,
      routines: this.deps.routineRegistry,
    });
    this.activeGroups.set(group.name, group);
    group.noteSavedDefinition(this.definitions.get(group.name) ?? group.definition);
    group.done
      .then(() => {
        if (this.activeGroups.get(group.name) === group) {
          this.activeGroups.delete(group.name);
        }
        group.dispose();
      })
      .catch((e: unknown) => this.log.log('error', `cleaning up group '${group.name}' failed: ${e instanceof Error ? e.message : String(e)}`));
    return group;
  }

  getGroup(name: string): BotGroup | undefined {
    return this.activeGroups.get(name);
  }

  listActiveGroups(): BotGroup[] {
    return [...this.activeGroups.values()];
  }

  /** Stops an active group (gracefully unless `force`); it leaves the active groups, its definition stays. */
  async shutdownGroup(name: string, opts: GroupStopOptions = {}): Promise<GroupSnapshot> {
    const g = this.activeGroups.get(name);
    if (!g) {
      throw new GroupDefinitionError('unknown-group', `no active group is named '${name}'`);
    }
    const snap = await g.stop(opts);
    if (this.activeGroups.get(name) === g) {
      this.activeGroups.delete(name);
    }
    return snap;
  }

  /** Stops every active group (the extension's deactivate and the CLI's Ctrl-C). */
  async stopAll(opts: GroupStopOptions = {}): Promise<GroupSnapshot[]> {
    return Promise.all([...this.activeGroups.keys()].map((n) => this.shutdownGroup(n, opts)));
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
    const groups = [...this.activeGroups.values()];
    for (const g of groups) {
      g.dispose();
    }
    this.activeGroups.clear();
    this.closed = Promise.allSettled(groups.map((g) => g.done)).then(() => {
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
}
