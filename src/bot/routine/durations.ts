/**
 * Durations in routines (step `timeout`, `wait`, `waitFor.timeout`, sentry `every`, ...): the project's one
 * duration syntax (src/shared/durations.ts), capped at 24 hours.
 */
import { parseDuration as parseAnyDuration } from '../../shared/durations';

export { DURATION_HINT, DURATION_PATTERN, formatDuration } from '../../shared/durations';

/** Milliseconds. Every duration in a loaded routine is a number of milliseconds. */
export type Duration = number;

/** Largest duration a routine accepts: 24 hours (a larger value is almost certainly a unit mistake). */
export const MAX_DURATION_MS = 24 * 3_600_000;

/** Whole milliseconds, or undefined when not a duration or above {@link MAX_DURATION_MS}. */
export function parseDuration(value: unknown): Duration | undefined {
  return parseAnyDuration(value, MAX_DURATION_MS);
}
