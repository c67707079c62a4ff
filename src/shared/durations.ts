/**
 * The one duration syntax of every YAML file (routines, groups, pools): `250ms`, `2s`, `1.5s`, `1m`, `12h`, `1d`,
 * compounds like `1h30m`, or a number meaning milliseconds (also as text, as `${var}` interpolation produces).
 */

/**
 * Source of the JSON Schema `pattern` and of the parser: a non-negative number (milliseconds), or one or more
 * (non-negative number, unit) parts, with no space between them.
 */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?|(?:(?:\\d+(?:\\.\\d+)?|\\.\\d+)(?:ms|s|m|h|d))+)$';

const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;

/** The units of the duration syntax, smallest first. */
export const DURATION_UNITS = ['ms', 's', 'm', 'h', 'd'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The text to show in messages about a bad duration. */
export const DURATION_HINT = "a duration like '250ms', '2s', '1.5s', '1m', '12h', '1h30m' or a number of milliseconds";

/** Why a value is not a duration (at most `maxMs`), or undefined when it is one: the one check of every duration. */
export function durationProblem(value: unknown, maxMs = Number.POSITIVE_INFINITY): string | undefined {
  const ms = parseDurationUncapped(value);
  if (ms === undefined) {
    if (typeof value === 'number' && Number.isFinite(value) && value < 0) {
      return `expected ${DURATION_HINT}, not a negative number`;
    }
    if (typeof value === 'string' && /^\s*-/.test(value)) {
      return `expected ${DURATION_HINT}, not a negative one`;
    }
    if (typeof value === 'string' && /\s/.test(value.trim())) {
      return `expected ${DURATION_HINT} (no spaces inside: write '1h30m')`;
    }
    return `expected ${DURATION_HINT}`;
  }
  if (ms > maxMs) {
    let got = formatDuration(ms, durationUnitOf(value));
    if ((parseDurationUncapped(got) ?? 0) <= maxMs) {
      got = formatDuration(ms); // rounding in the author's unit would hide the excess
    }
    return `a duration may not exceed ${formatDuration(maxMs, maxMs % 3_600_000 === 0 ? 'h' : undefined)} (got ${got})`;
  }
  return undefined;
}

function parseDurationUncapped(value: unknown): number | undefined {
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
        ms += Number(m[1]) * UNIT_MS[m[2] as DurationUnit];
        pos = PART.lastIndex;
      }
    }
  } else {
    return undefined;
  }
  if (!Number.isFinite(ms) || ms < 0) {
    return undefined;
  }
  return Math.round(ms);
}

/**
 * Milliseconds (rounded) for a duration given as text or as a number of milliseconds; undefined when the input
 * is not a duration, is negative or not finite, or exceeds `maxMs`.
 */
export function parseDuration(value: unknown, maxMs = Number.POSITIVE_INFINITY): number | undefined {
  const ms = parseDurationUncapped(value);
  return ms === undefined || ms > maxMs ? undefined : ms;
}

/**
 * The unit a duration was written in, for messages that repeat it in the author's terms: the largest unit of the
 * text (`90s` → `s`, `1h30m` → `h`), `ms` for a number; undefined when it is not a duration.
 */
export function durationUnitOf(value: unknown): DurationUnit | undefined {
  if (typeof value === 'number') {
    return 'ms';
  }
  if (typeof value !== 'string' || parseDurationUncapped(value) === undefined) {
    return undefined;
  }
  const t = value.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    return 'ms';
  }
  let best: DurationUnit = 'ms';
  for (const m of t.matchAll(/(ms|s|m|h|d)/g)) {
    const u = m[1] as DurationUnit;
    if (UNIT_MS[u] > UNIT_MS[best]) {
      best = u;
    }
  }
  return best;
}

/**
 * A duration for people. Without `unit`: the shortest exact text of the (rounded) milliseconds — `1500` → `1.5s`,
 * `60000` → `1m`, `5400000` → `1.5h`, `9997.8` → `9998ms` — which also reads back with {@link parseDuration}. With
 * `unit` (the unit the author wrote, see {@link durationUnitOf}): in that unit, rounded to at most 3 decimals
 * (`90000`, `s` → `90s`).
 */
export function formatDuration(ms: number, unit?: DurationUnit): string {
  if (!Number.isFinite(ms)) {
    return `${ms}ms`;
  }
  const r = Math.round(ms);
  if (unit !== undefined && unit !== 'ms') {
    const v = Math.round((r / UNIT_MS[unit]) * 1000) / 1000;
    if (v !== 0 || r === 0) {
      return `${v}${unit}`;
    }
  }
  if (unit === 'ms') {
    return `${r}ms`;
  }
  if (r >= 86_400_000 && r % 8_640_000 === 0) {
    return `${r / 86_400_000}d`;
  }
  if (r >= 3_600_000 && r % 360_000 === 0) {
    return `${r / 3_600_000}h`;
  }
  if (r >= 60_000 && r % 6_000 === 0) {
    return `${r / 60_000}m`;
  }
  if (r >= 1000 && r % 10 === 0) {
    return `${r / 1000}s`;
  }
  return `${r}ms`;
}
