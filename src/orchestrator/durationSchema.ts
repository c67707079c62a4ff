/** Durations in group and pool definitions: the project's one duration syntax (src/shared/durations.ts), with no upper cap. */
import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN } from '../shared/durations';

/** Zod schema of a duration (string or ms); use `parseDuration` on the validated value. */
export function durationSchema(description: string) {
  return z
    .union([z.string().regex(new RegExp(DURATION_PATTERN.replace('^', '^\\s*').replace(/\$$/, '\\s*$')), { message: `not a duration (use ${DURATION_HINT})` }), z.number().nonnegative()])
    .meta({ description, markdownDescription: `${description}\n\nA duration: \`250ms\`, \`30s\`, \`10m\`, \`12h\`, \`1d\`, \`1h30m\`, or a number of milliseconds.` });
}
