/**
 * Durations in routines (step `timeout`, `wait`, `waitFor.timeout`, sentry `every`, ...): the project's one
 * duration syntax (src/shared/durations.ts), capped at 24 hours.
 */
import { durationProblem as anyDurationProblem, parseDuration as parseAnyDuration } from '../../shared/durations';

/** Milliseconds. Every duration in a loaded routine is a number of milliseconds. */
export type Duration = number;

/** Largest duration a routine accepts: 24 hours (a larger value is almost certainly a unit mistake). */
export const MAX_DURATION_MS = 24 * 3_600_000;

/** Whole milliseconds, or undefined when not a duration or above {@link MAX_DURATION_MS}. */
export function parseDuration(value: unknown): Duration | undefined {
  return parseAnyDuration(value, MAX_DURATION_MS);
}

/**
 * Why a value is not a routine duration, or undefined when it is one. The loader checks literal values with it
 * and the interpreter checks `${var}` values after substitution with it: one rule for both.
 */
export function durationProblem(value: unknown): string | undefined {
  return anyDurationProblem(value, MAX_DURATION_MS);
}
