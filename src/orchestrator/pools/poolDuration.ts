/**
 * Durations in pool definitions: strings like `250ms`, `2s`, `1m`, `12h`, `1d`, compounds like `1h30m`, or a
 * number meaning milliseconds.
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** Milliseconds for a duration string or number; undefined when the text is not a duration. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') {
    return Number.isFinite(v) && v >= 0 ? v : undefined;
  }
  const text = v.trim();
  if (!text) {
    return undefined;
  }
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) {
      return undefined;
    }
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = PART.lastIndex;
  }
  return Math.round(total);
}

/** Formats milliseconds the way definitions write them (`90s` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) {
    return '0s';
  }
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest) {
    parts.push(`${rest}ms`);
  }
  return parts.join('');
}

/** The text form of a duration, as a regular expression (also emitted as the JSON Schema `pattern`). */
export const DURATION_PATTERN = /^\s*(\d+(\.\d+)?(ms|s|m|h|d))+\s*$/;

/** Zod schema of a duration (string or ms); use `parseDuration` on the validated value. */
export function durationSchema(description: string) {
  return z
    .union([
      z.string().regex(DURATION_PATTERN, { message: 'not a duration (use for example 250ms, 30s, 10m, 12h, 1d, or a number of ms)' }),
      z.number().nonnegative(),
    ])
    .meta({ description, markdownDescription: `${description}\n\nA duration: \`250ms\`, \`30s\`, \`10m\`, \`12h\`, \`1d\`, \`1h30m\`, or a number of milliseconds.` });
}
