/**
 * The debug targets of a fleet's bots, for a debug adapter's attach: a runner factory that wraps the interpreter's
 * and remembers each bot's runner (by group and instance) while the bot holds it. Every runner a bot creates goes
 * through it, so the adapter finds the bot's interpreter without reaching into the bot.
 *
 * TODO(lead): once bots expose their debug target (`bot.debugTarget()`, see the design's debugger hooks), this can
 * read it from `orchestrator.getGroup(group)?.getBot(instance)` instead of wrapping the runner factory.
 */
import type { RoutineRunner, RoutineRunnerContext, RoutineRunnerFactory } from '../bot/bot';
import type { DebugDeviceInfo } from '../bot/routine/debug';
import type { DebugTargetEntry, DebugTargetInfo, DebugTargets } from '../bot/routine/debugTargets';
import type { LatencySummary } from '../shared/fleetTypes';
import { Emitter, type Event } from '../shared/lifecycle';
import type { RoutineEvent } from '../shared/routineEvents';

/** What the targets read of a bot beyond its runner (its snapshot's serial, routine and latencies). */
export interface BotFigures {
  serial?: string;
  routine?: string;
  capture?: LatencySummary;
  input?: LatencySummary;
}

interface Tracked {
  ctx: RoutineRunnerContext;
  runner: RoutineRunner;
}

function key(group: string, instance: string): string {
  return `${group}\u0000${instance}`;
}

export class RunnerDebugTargets implements RoutineRunnerFactory, DebugTargets {
  private readonly runners = new Map<string, Tracked>();
  private readonly _onDidChange = new Emitter<void>();
  readonly onDidChange: Event<void> = this._onDidChange.event;
  private figures: (group: string, instance: string) => BotFigures | undefined = () => undefined;

  constructor(private readonly inner: RoutineRunnerFactory) {}

  /** Where the bots' figures come from (the orchestrator's snapshots, bound once it exists). */
  bindFigures(figures: (group: string, instance: string) => BotFigures | undefined): void {
    this.figures = figures;
  }

  async create(ctx: RoutineRunnerContext): Promise<RoutineRunner> {
    const runner = await this.inner.create(ctx);
    const k = key(ctx.group, ctx.instance);
    const tracked: Tracked = { ctx, runner };
    this.runners.set(k, tracked);
    this._onDidChange.fire();
    const forget = () => {
      if (this.runners.get(k) === tracked) {
        this.runners.delete(k);
        this._onDidChange.fire();
      }
    };
    const dispose = () => {
      forget();
      runner.dispose?.();
    };
    // Everything of the runner goes through as it is (members added to the runner later too), but dispose, which
    // also forgets it here.
    const wrapped = new Proxy(runner, {
      get: (target, prop, receiver) => {
        if (prop === 'dispose') {
          return dispose;
        }
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    return wrapped;
  }

  find(group: string, instance: string): DebugTargetEntry | undefined {
    const t = this.runners.get(key(group, instance));
    const debug = t?.runner.debug;
    if (!t || !debug) {
      return undefined;
    }
    return {
      group,
      instance,
      debug,
      onDidEmit: t.runner.onDidEmit as Event<RoutineEvent>,
      deviceInfo: (): DebugDeviceInfo => {
        const f = this.figures(group, instance);
        return { serial: f?.serial ?? t.ctx.serial, ...(f?.capture ? { capture: f.capture } : {}), ...(f?.input ? { input: f.input } : {}) };
      },
    };
  }

  list(): DebugTargetInfo[] {
    const out: DebugTargetInfo[] = [];
    for (const t of this.runners.values()) {
      const debug = t.runner.debug;
      if (!debug) {
        continue;
      }
      const f = this.figures(t.ctx.group, t.ctx.instance);
      out.push({
        group: t.ctx.group,
        instance: t.ctx.instance,
        serial: f?.serial ?? t.ctx.serial,
        ...(f?.routine !== undefined ? { routine: f.routine } : {}),
        running: debug.running,
        attached: debug.debugger !== undefined,
      });
    }
    return out.sort((a, b) => a.group.localeCompare(b.group) || a.instance.localeCompare(b.instance, undefined, { numeric: true }));
  }

  dispose(): void {
    this.runners.clear();
    this._onDidChange.dispose();
  }
}
