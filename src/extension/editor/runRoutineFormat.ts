/** The run log of "Run Routine on Device" (pure). */
import type { SourceRange } from '../../shared/geometry';
import { formatRoutineInput, type RoutineEvent } from '../../shared/routineEvents';

/** One line of the run's log. */
export function formatRunEvent(e: RoutineEvent, t0: number): string {
  const t = `${((e.time - t0) / 1000).toFixed(1).padStart(6)}s`;
  const at = (r?: SourceRange) => (r ? ` (${r.file}:${r.start.line}:${r.start.col})` : '');
  switch (e.type) {
    case 'routine.start':
      return `${t} routine ${e.routine} ${JSON.stringify(e.params)}`;
    case 'routine.end':
      return `${t} routine ${e.routine} ${e.ok ? 'ended' : `failed: ${e.error ?? ''}`}`;
    case 'step.start':
      return `${t}   ${e.path} ${e.step}${at(e.range)}`;
    case 'step.end':
      return `${t}   ${e.path} ${e.step} ${e.ok ? 'ok' : `failed: ${e.error ?? ''}`} in ${e.ms} ms`;
    case 'match':
      return `${t}   match ${e.template}: ${e.score.toFixed(3)} (threshold ${e.threshold}) ${e.found ? `found at ${e.box.x},${e.box.y}` : 'not found'}${at(e.range)}`;
    case 'var':
      return `${t}   ${e.name} = ${JSON.stringify(e.value)}`;
    case 'log':
      return `${t}   ${e.level}: ${e.message}`;
    case 'error':
      return `${t}   error [${e.code ?? 'error'}]: ${e.message}${at(e.range)}`;
    case 'sentry':
      return `${t}   sentry '${e.sentry}' ${e.phase}${e.outcome ? ` (${e.outcome})` : ''}`;
    case 'stuck':
      return `${t}   stuck: ${e.reason}: ${e.rung}`;
    case 'account':
      return `${t}   account ${e.action}${e.accountId ? ` ${e.accountId}` : ''}`;
    case 'state':
      return `${t}   ${e.state}`;
    case 'input':
      return `${t}   ${formatRoutineInput(e.input)}${e.rung ? ` (stuck: ${e.rung})` : ''}`;
  }
}
