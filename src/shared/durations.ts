/**
 * The one duration syntax of every YAML file (routines, groups, pools): `250ms`, `2s`, `1.5s`, `1m`, `12h`, `1d`,
 * compounds like `1h30m`, or a number meaning milliseconds (also as text, as `${var}` interpolation produces).
 */

/** Source of the JSON Schema `pattern` and of the parser: one or more (non-negative number, unit) parts. */
export const DURATION_PATTERN = '^(?:(?:\\d+(?:\\.\\d+)?|\\.\\d+)(?:ms|s|m|h|d))+$';

const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The text to show in messages about a bad duration. */
export const DURATION_HINT = "a duration like '250ms', '2s', '1.5s', '1m', '12h', '1h30m' or a number of milliseconds";

/**
 * Milliseconds (rounded) for a duration given as text or as a number of milliseconds; undefined when the input
 * is not a duration, is negative or not finite, or exceeds `maxMs`.
 */
export function parseDuration(value: unknown, maxMs = Number.POSITIVE_INFINITY): number | undefined {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const t = value.trim();
    if (/^\d+(\.\d+)?$/.test(t)) {
      ms = Number(t);
    } else {
      if (!t) {
        return undefined;
      }
      ms = 0;
      let pos = 0;
      while (pos < t.length) {
        PART.lastIndex = pos;
        const m = PART.exec(t);
        if (!m) {
          return undefined;
        }
        ms += Number(m[1]) * UNIT_MS[m[2]];
        pos = PART.lastIndex;
      }
    }
  } else {
    return undefined;
  }
  if (!Number.isFinite(ms) || ms < 0 || ms > maxMs) {
    return undefined;
  }
  return Math.round(ms);
}

/** Shortest exact text for a number of milliseconds: `1500` → `1.5s`, `60000` → `1m`, `5400000` → `1.5h`. */
export function formatDuration(ms: number): string {
  if (ms >= 86_400_000 && ms % 8_640_000 === 0) {
    return `${ms / 86_400_000}d`;
  }
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
