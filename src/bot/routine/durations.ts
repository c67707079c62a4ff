/**
 * The one duration syntax of the routine language: `250ms`, `2s`, `1.5s`, `1m`, `1h`, or a bare number meaning
 * milliseconds. Used by every duration field (step `timeout`, `wait`, `waitFor.timeout`, sentry `every`, ...).
 */

/** Milliseconds. Every duration in a loaded routine is a number of milliseconds. */
export type Duration = number;

/** Source of the JSON Schema `pattern` and of the parser: a non-negative decimal number and a unit. */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?|\\.\\d+)(?:ms|s|m|h)$';

const DURATION_RE = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Largest duration accepted anywhere: 24 hours (a larger value is almost certainly a unit mistake). */
export const MAX_DURATION_MS = 24 * 3_600_000;

/** The text to show in messages about a bad duration. */
export const DURATION_HINT = "a duration like '250ms', '2s', '1.5s', '1m' or a number of milliseconds";

/**
 * Parses a duration given as text (`'2s'`) or as a number of milliseconds. Returns the value in whole
 * milliseconds (rounded), or undefined when the input is not a valid duration (negative, not finite, no
 * unit on a string, above {@link MAX_DURATION_MS}).
 */
export function parseDuration(value: unknown): Duration | undefined {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const t = value.trim();
    const m = DURATION_RE.exec(t);
    if (m) {
      ms = Number(m[1]) * UNIT_MS[m[2]];
    } else if (/^\d+(\.\d+)?$/.test(t)) {
      // A quoted bare number (or a number produced by `${var}` interpolation) means milliseconds too.
      ms = Number(t);
    } else {
      return undefined;
    }
  } else {
    return undefined;
  }
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DURATION_MS) {
    return undefined;
  }
  return Math.round(ms);
}

/** Shortest exact text for a number of milliseconds: `1500` → `1.5s`, `60000` → `1m`, `250` → `250ms`. */
export function formatDuration(ms: Duration): string {
  if (ms >= 3_600_000 && ms % 360_000 === 0) {
    return `${ms / 3_600_000}h`;
  }
  if (ms >= 60_000 && ms % 6_000 === 0) {
    return `${ms / 60_000}m`;
  }
  if (ms >= 1000 && ms % 10 === 0) {
    return `${ms / 1000}s`;
  }
  return `${ms}ms`;
}
