/**
 * The fleet's event feed. One hub per orchestrator: groups and bots publish into it, and the tree, the monitor
 * and the CLI subscribe to the typed events (or to `onDidEmitFleetEvent`, every event in one union).
 */
import { Emitter, type Disposable, type Event } from '../shared/lifecycle';
import type {
  BotAccountEvent,
  BotCycleEvent,
  BotStateEvent,
  BotStepEvent,
  DefinitionsChangedEvent,
  FleetEvent,
  GroupStateEvent,
  InstanceEvent,
  LogEvent,
  MetricsEvent,
} from '../shared/fleetTypes';

/** The typed events of the fleet, as the orchestrator exposes them. */
export interface FleetEvents {
  readonly onDidChangeGroupState: Event<GroupStateEvent>;
  readonly onDidChangeBotState: Event<BotStateEvent>;
  readonly onDidChangeBotStep: Event<BotStepEvent>;
  readonly onDidCompleteCycle: Event<BotCycleEvent>;
  readonly onDidChangeBotAccount: Event<BotAccountEvent>;
  readonly onDidEmitLog: Event<LogEvent>;
  readonly onDidUpdateMetrics: Event<MetricsEvent>;
  readonly onDidChangeDefinitions: Event<DefinitionsChangedEvent>;
  readonly onDidChangeInstanceAssignment: Event<InstanceEvent>;
  /** Every event above, in one feed (the CLI's `--json` lines). */
  readonly onDidEmitFleetEvent: Event<FleetEvent>;
}

/** Owns the emitters; `publish` routes an event to its typed emitter and to the all-events feed. */
export class FleetEventHub implements FleetEvents, Disposable {
  private readonly _onDidChangeGroupState: Emitter<GroupStateEvent>;
  private readonly _onDidChangeBotState: Emitter<BotStateEvent>;
  private readonly _onDidChangeBotStep: Emitter<BotStepEvent>;
  private readonly _onDidCompleteCycle: Emitter<BotCycleEvent>;
  private readonly _onDidChangeBotAccount: Emitter<BotAccountEvent>;
  private readonly _onDidEmitLog: Emitter<LogEvent>;
  private readonly _onDidUpdateMetrics: Emitter<MetricsEvent>;
  private readonly _onDidChangeDefinitions: Emitter<DefinitionsChangedEvent>;
  private readonly _onDidChangeInstanceAssignment: Emitter<InstanceEvent>;
  private readonly _onDidEmitFleetEvent: Emitter<FleetEvent>;

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

  /** `onListenerError` receives exceptions thrown by listeners (they never reach the publisher). */
  constructor(onListenerError: (err: unknown) => void = () => undefined) {
    this._onDidChangeGroupState = new Emitter(onListenerError);
    this._onDidChangeBotState = new Emitter(onListenerError);
    this._onDidChangeBotStep = new Emitter(onListenerError);
    this._onDidCompleteCycle = new Emitter(onListenerError);
    this._onDidChangeBotAccount = new Emitter(onListenerError);
    this._onDidEmitLog = new Emitter(onListenerError);
    this._onDidUpdateMetrics = new Emitter(onListenerError);
    this._onDidChangeDefinitions = new Emitter(onListenerError);
    this._onDidChangeInstanceAssignment = new Emitter(onListenerError);
    this._onDidEmitFleetEvent = new Emitter(onListenerError);
    this.onDidChangeGroupState = this._onDidChangeGroupState.event;
    this.onDidChangeBotState = this._onDidChangeBotState.event;
    this.onDidChangeBotStep = this._onDidChangeBotStep.event;
    this.onDidCompleteCycle = this._onDidCompleteCycle.event;
    this.onDidChangeBotAccount = this._onDidChangeBotAccount.event;
    this.onDidEmitLog = this._onDidEmitLog.event;
    this.onDidUpdateMetrics = this._onDidUpdateMetrics.event;
    this.onDidChangeDefinitions = this._onDidChangeDefinitions.event;
    this.onDidChangeInstanceAssignment = this._onDidChangeInstanceAssignment.event;
    this.onDidEmitFleetEvent = this._onDidEmitFleetEvent.event;
  }

  publish(e: FleetEvent): void {
    switch (e.type) {
      case 'group.state':
        this._onDidChangeGroupState.fire(e);
        break;
      case 'bot.state':
        this._onDidChangeBotState.fire(e);
        break;
      case 'bot.step':
        this._onDidChangeBotStep.fire(e);
        break;
      case 'bot.cycle':
        this._onDidCompleteCycle.fire(e);
        break;
      case 'bot.account':
        this._onDidChangeBotAccount.fire(e);
        break;
      case 'log':
        this._onDidEmitLog.fire(e);
        break;
      case 'metrics':
        this._onDidUpdateMetrics.fire(e);
        break;
      case 'definitions.changed':
        this._onDidChangeDefinitions.fire(e);
        break;
      case 'instance.assigned':
      case 'instance.released':
        this._onDidChangeInstanceAssignment.fire(e);
        break;
    }
    this._onDidEmitFleetEvent.fire(e);
  }

  dispose(): void {
    for (const em of [
      this._onDidChangeGroupState,
      this._onDidChangeBotState,
      this._onDidChangeBotStep,
      this._onDidCompleteCycle,
      this._onDidChangeBotAccount,
      this._onDidEmitLog,
      this._onDidUpdateMetrics,
      this._onDidChangeDefinitions,
      this._onDidChangeInstanceAssignment,
      this._onDidEmitFleetEvent,
    ]) {
      em.dispose();
    }
  }
}
