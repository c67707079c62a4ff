/**
 * Feeds {@link LiveSteps} from the fleet's events (no vscode): `bot.step` starts move a bot's marker, a bot that
 * stops, fails or goes offline loses its marker and scores, and `bot.routine` match events give the scores. The
 * bot's label is "bot <instance>" (an instance belongs to one group at a time).
 */
import type { FleetEvent } from '../../shared/fleetTypes';
import type { RoutineEvent } from '../../shared/routineEvents';
import type { LiveSteps } from './liveSteps';

interface Disposable {
  dispose(): void;
}

/** The part of the orchestrator's events the editor needs. */
export interface FleetEventSource {
  onDidEmitFleetEvent(listener: (e: FleetEvent) => void): Disposable;
}

export function botLabel(instance: string): string {
  return `bot ${instance}`;
}

const GONE = new Set(['stopped', 'failed', 'offline', 'idle']);

/** Applies one routine event of `bot` (also used by "Run Routine on Device"). */
export function applyRoutineEvent(model: LiveSteps, bot: string, e: RoutineEvent): void {
  if (e.type === 'step.start') {
    model.step(bot, e.range, e.step);
  } else if (e.type === 'match') {
    model.match(bot, e.range, { template: e.template, score: e.score, threshold: e.threshold, found: e.found, time: e.time });
  }
}

/** Applies one fleet event. */
export function applyFleetEvent(model: LiveSteps, e: FleetEvent): void {
  if (e.type === 'bot.routine') {
    if (e.event.type === 'match') {
      applyRoutineEvent(model, botLabel(e.instance), e.event);
    }
  } else if (e.type === 'bot.step' && e.phase === 'start') {
    model.step(botLabel(e.instance), e.range, e.step);
  } else if (e.type === 'bot.state' && GONE.has(e.state)) {
    model.remove(botLabel(e.instance));
  }
}

/** Follows one fleet's events until disposed (then its bots' markers go). */
export function followFleet(model: LiveSteps, source: FleetEventSource): Disposable {
  const sub = source.onDidEmitFleetEvent((e) => applyFleetEvent(model, e));
  return {
    dispose: () => {
      sub.dispose();
      for (const b of model.bots()) {
        if (b.startsWith('bot ')) {
          model.remove(b);
        }
      }
    },
  };
}
