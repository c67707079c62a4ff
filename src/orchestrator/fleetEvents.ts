/**
 * The fleet's event feed. One hub per orchestrator: groups, bots and the orchestrator's sources publish into it.
 * The hub numbers every event (`seq`, strictly increasing), folds it into the fleet state (the shared reducer of
 * src/shared/fleetModel.ts) and then delivers it on its ONE emitter; the typed accessors are filtered views of it.
 * So `snapshot()` is always the state after the last delivered event: a view that takes it and subscribes in the
 * same tick receives exactly the events with a greater `seq`.
 */
import { Emitter, filterEvent, type Disposable, type Event } from '../shared/lifecycle';
import { botChanges, FleetState } from '../shared/fleetModel';
import type {
  BotAccountEvent,
  BotCycleEvent,
  BotFrameEvent,
  BotRoutineEvent,
  BotSnapshot,
  BotStateEvent,
  BotStepEvent,
  DefinitionsChangedEvent,
  DevicesChangedEvent,
  FleetEvent,
  FleetSnapshot,
  GroupRemovedEvent,
  GroupStateEvent,
  InstanceEvent,
  LogEvent,
  MetricsEvent,
  PoolsChangedEvent,
  RoutinesChangedEvent,
  TemplatesChangedEvent,
  Unsequenced,
} from '../shared/fleetTypes';

/** The typed events of the fleet, as the orchestrator exposes them (views of `onDidEmitFleetEvent`). */
export interface FleetEvents {
  readonly onDidChangeGroupState: Event<GroupStateEvent>;
  readonly onDidRemoveGroup: Event<GroupRemovedEvent>;
  readonly onDidChangeBotState: Event<BotStateEvent>;
  readonly onDidChangeBotStep: Event<BotStepEvent>;
  readonly onDidCompleteCycle: Event<BotCycleEvent>;
  readonly onDidChangeBotAccount: Event<BotAccountEvent>;
  readonly onDidEmitRoutineEvent: Event<BotRoutineEvent>;
  readonly onDidCaptureFrame: Event<BotFrameEvent>;
  readonly onDidEmitLog: Event<LogEvent>;
  readonly onDidUpdateMetrics: Event<MetricsEvent>;
  readonly onDidChangeDefinitions: Event<DefinitionsChangedEvent>;
  readonly onDidChangeInstanceAssignment: Event<InstanceEvent>;
  readonly onDidChangePools: Event<PoolsChangedEvent>;
  readonly onDidChangeRoutines: Event<RoutinesChangedEvent>;
  readonly onDidChangeTemplates: Event<TemplatesChangedEvent>;
  readonly onDidChangeDevices: Event<DevicesChangedEvent>;
  /** Every event, in one feed, in `seq` order (the CLI's `--json` lines, the views). */
  readonly onDidEmitFleetEvent: Event<FleetEvent>;
}

/** Where a group publishes: its own events, and its bots' events with the bot's snapshot at that moment. */
export interface FleetEventSink {
  publish(e: Unsequenced<FleetEvent>): FleetEvent;
  /** A bot's event: the hub adds what changed in the bot's snapshot since its previous event (`changes`). */
  publishBot(e: Unsequenced<FleetEvent>, snapshot: BotSnapshot): FleetEvent;
}

/** The typed views of one feed. */
export function fleetEventViews(feed: Event<FleetEvent>): FleetEvents {
  return {
    onDidChangeGroupState: filterEvent(feed, 'group.state'),
    onDidRemoveGroup: filterEvent(feed, 'group.removed'),
    onDidChangeBotState: filterEvent(feed, 'bot.state'),
    onDidChangeBotStep: filterEvent(feed, 'bot.step'),
    onDidCompleteCycle: filterEvent(feed, 'bot.cycle'),
    onDidChangeBotAccount: filterEvent(feed, 'bot.account'),
    onDidEmitRoutineEvent: filterEvent(feed, 'bot.routine'),
    onDidCaptureFrame: filterEvent(feed, 'bot.frame'),
    onDidEmitLog: filterEvent(feed, 'log'),
    onDidUpdateMetrics: filterEvent(feed, 'metrics'),
    onDidChangeDefinitions: filterEvent(feed, 'definitions.changed'),
    onDidChangeInstanceAssignment: filterEvent(feed, 'instance.assigned', 'instance.released'),
    onDidChangePools: filterEvent(feed, 'pools.changed'),
    onDidChangeRoutines: filterEvent(feed, 'routines.changed'),
    onDidChangeTemplates: filterEvent(feed, 'templates.changed'),
    onDidChangeDevices: filterEvent(feed, 'devices.changed'),
    onDidEmitFleetEvent: feed,
  };
}

/** Numbers, folds and delivers the fleet's events. */
export class FleetEventHub implements FleetEventSink, Disposable {
  private readonly emitter: Emitter<FleetEvent>;
  private readonly state = new FleetState();
  private seq = 0;
  readonly events: FleetEvents;

  /** `onListenerError` receives exceptions thrown by listeners (they never reach the publisher). */
  constructor(onListenerError: (err: unknown) => void = () => undefined) {
    this.emitter = new Emitter(onListenerError);
    this.events = fleetEventViews(this.emitter.event);
  }

  /** The state after the last published event. */
  snapshot(): FleetSnapshot {
    return this.state.snapshot();
  }

  /** The reducer's state (read only: the orchestrator reads definitions, pools, ... back from it). */
  get current(): FleetState {
    return this.state;
  }

  publish(e: Unsequenced<FleetEvent>): FleetEvent {
    const full = { ...e, seq: ++this.seq } as FleetEvent;
    this.state.apply(full);
    this.emitter.fire(full);
    return full;
  }

  publishBot(e: Unsequenced<FleetEvent>, snapshot: BotSnapshot): FleetEvent {
    if (e.type === 'bot.state' || !('instance' in e) || !('group' in e) || e.type === 'log' || e.type === 'instance.assigned' || e.type === 'instance.released') {
      return this.publish(e);
    }
    const before = this.state.bot(snapshot.group, snapshot.instance);
    const changes = before && before.orchestrationId === snapshot.orchestrationId ? botChanges(before, snapshot) : undefined;
    return this.publish(changes ? ({ ...e, changes } as Unsequenced<FleetEvent>) : e);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
