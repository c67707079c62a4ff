/**
 * Stuck detection: a routine is stuck when no step completed for `noProgress`, or when the same tap target was
 * tapped `count` times within the last `window` completed steps. Each detection climbs one rung of the ladder
 * (`tapAgain`, `back`, `restartApp`, `restartEmulator`, `notify`); a rung that the interpreter cannot perform
 * itself (`restartEmulator`, `notify`) is emitted as an event for the orchestrator. When every rung has been tried
 * the routine fails with `stuck`. The ladder starts over once `window` steps complete without a detection.
 */
import type { StuckRung } from './actionCatalogue';
import { formatDuration, type DurationUnit } from '../../shared/durations';

export interface StuckConfig {
  /** No step completed for this long (ms). */
  noProgressMs?: number;
  /** The unit `noProgress` was written in, for messages. */
  noProgressUnit?: DurationUnit;
  /** The same tap target `count` times within the last `window` completed steps. */
  sameTarget?: { count: number; window: number };
  ladder: readonly StuckRung[];
}

export type StuckReason = 'no-progress' | 'same-target';

export interface StuckDetection {
  reason: StuckReason;
  /** The rung to perform now, or undefined when the ladder is exhausted. */
  rung: StuckRung | undefined;
  /** Index of that rung in the ladder. */
  rungIndex: number;
  /** Human-readable cause, for logs and events. */
  detail: string;
}

/** Steps that must complete cleanly before the ladder starts over (when `sameTarget` gives no window). */
const DEFAULT_RESET_STEPS = 10;

export class StuckDetector {
  private lastProgress: number;
  private recent: Array<string | undefined> = [];
  private rungIndex = 0;
  private stepsSinceRung = 0;
  private pendingSameTarget: string | undefined;

  constructor(
    readonly config: StuckConfig,
    now: number,
  ) {
    this.lastProgress = now;
  }

  /** The ladder position (0 = next detection performs the first rung). */
  get nextRungIndex(): number {
    return this.rungIndex;
  }

  /** A step completed. `target` identifies what it tapped (undefined for other steps). */
  stepCompleted(now: number, target?: string): void {
    this.lastProgress = now;
    this.stepsSinceRung++;
    if (this.stepsSinceRung >= this.resetSteps() && this.rungIndex > 0 && this.pendingSameTarget === undefined) {
      this.rungIndex = 0;
    }
    const st = this.config.sameTarget;
    if (!st) {
      return;
    }
    this.recent.push(target);
    if (this.recent.length > st.window) {
      this.recent.splice(0, this.recent.length - st.window);
    }
    if (target !== undefined) {
      const n = this.recent.filter((t) => t === target).length;
      if (n >= st.count) {
        this.pendingSameTarget = target;
      }
    }
  }

  /** Time (clock ms) at which a no-progress detection would fire, or undefined. */
  deadline(): number | undefined {
    return this.config.noProgressMs === undefined ? undefined : this.lastProgress + this.config.noProgressMs;
  }

  /** A detection to act on now, if any. Each detection consumes one rung. */
  check(now: number): StuckDetection | undefined {
    let reason: StuckReason | undefined;
    let detail = '';
    if (this.pendingSameTarget !== undefined) {
      reason = 'same-target';
      detail = `tapped ${this.pendingSameTarget} ${this.config.sameTarget!.count} times within ${this.config.sameTarget!.window} steps`;
    } else if (this.config.noProgressMs !== undefined && now - this.lastProgress >= this.config.noProgressMs) {
      reason = 'no-progress';
      detail = `no step completed for ${formatDuration(now - this.lastProgress, this.config.noProgressUnit)} (stuck.noProgress is ${formatDuration(this.config.noProgressMs, this.config.noProgressUnit)})`;
    }
    if (!reason) {
      return undefined;
    }
    const index = this.rungIndex;
    const rung = this.config.ladder[index];
    this.rungIndex++;
    // Start a fresh observation window after acting.
    this.pendingSameTarget = undefined;
    this.recent = [];
    this.lastProgress = now;
    this.stepsSinceRung = 0;
    return { reason, rung, rungIndex: index, detail };
  }

  /** Clears the progress timer (for example after a sentry or a rung that took time). */
  touch(now: number): void {
    this.lastProgress = now;
  }

  private resetSteps(): number {
    return this.config.sameTarget?.window ?? DEFAULT_RESET_STEPS;
  }
}
