/**
 * The format of `pools/*.yaml`: which accounts form a pool (filters, sort, limit, include/exclude), how failures are
 * retried, how long a completed account cools down, and the lease timing. The zod schema is strict (unknown keys are
 * errors) and carries the descriptions from which the JSON Schema is generated (`z.toJSONSchema(poolDefinitionSchema)`).
 */
import { z } from 'zod';
import { ACCOUNT_COLUMNS, ACCOUNT_STATUSES, coerceColumnValue, EXTRA_KEY_PATTERN, isAccountColumn, type AccountColumn } from './accountFields';
import { durationSchema } from '../durationSchema';
import { parseDuration } from '../../shared/durations';

/** Columns a filter or a sort may name (everything but the password), plus `extra.<key>`. */
export const FILTERABLE_COLUMNS = (Object.keys(ACCOUNT_COLUMNS) as AccountColumn[]).filter((c) => c !== 'password');

export const FILTER_OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in', 'notIn', 'contains', 'olderThan', 'newerThan'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

const OP_DOCS: Record<FilterOp, string> = {
  eq: 'equal to `value` (`null` matches an empty field)',
  ne: 'not equal to `value`',
  gt: 'greater than `value`',
  ge: 'greater than or equal to `value`',
  lt: 'less than `value`',
  le: 'less than or equal to `value`',
  in: 'one of the list `value`',
  notIn: 'none of the list `value`',
  contains: 'text containing `value` (case-insensitive)',
  olderThan: 'a time field more than `value` (a duration) in the past; an empty time counts as older',
  newerThan: 'a time field less than `value` (a duration) in the past',
};

const EXTRA_FIELD = /^extra\.(?!__proto__$)[A-Za-z_][A-Za-z0-9_]*$/;

const fieldSchema = z
  .union([z.enum(FILTERABLE_COLUMNS as [AccountColumn, ...AccountColumn[]]), z.string().regex(EXTRA_FIELD, { message: 'not an account field' })])
  .meta({
    description: 'An account field (column name), or extra.<key> for an imported field without a column.',
    markdownDescription: `An account field: ${FILTERABLE_COLUMNS.map((c) => `\`${c}\``).join(', ')}, or \`extra.<key>\` for an imported field without a column.`,
  });

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const poolFilterSchema = z
  .strictObject({
    field: fieldSchema,
    op: z.enum(FILTER_OPS).meta({
      description: 'How the field is compared with value.',
      markdownDescription: FILTER_OPS.map((o) => `- \`${o}\`: ${OP_DOCS[o]}`).join('\n'),
    }),
    value: z.union([scalar, z.array(scalar)]).meta({
      description: 'What the field is compared with: a value of the field type, a list for in/notIn, a duration for olderThan/newerThan.',
    }),
  })
  .superRefine((f, ctx) => {
    const msg = checkFilterValue(f.field, f.op, f.value);
    if (msg) {
      ctx.addIssue({ code: 'custom', message: msg, path: ['value'] });
    }
  })
  .meta({
    description: 'A condition on an account field; all filters of a pool must hold.',
    defaultSnippets: [{ label: 'filter', body: { field: '${1:premium}', op: '${2:eq}', value: '${3:true}' } }],
  });

export const poolSortSchema = z
  .strictObject({
    field: fieldSchema,
    order: z.enum(['asc', 'desc']).default('asc').meta({ description: 'asc (smallest, oldest or empty first) or desc.' }),
  })
  .meta({ description: 'One sort key; accounts are handed out in this order (ties: least recently used, then id).' });

export const poolDefinitionSchema = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .meta({ description: 'The pool name that groups refer to (their accountPool).', examples: ['premium_accounts'] }),
    description: z.string().optional().meta({ description: 'What this pool is for; shown on the group card.' }),
    filters: z
      .array(poolFilterSchema)
      .default([])
      .meta({ description: 'Conditions on account fields, all of which must hold. No filters: every account.' }),
    sort: z
      .array(poolSortSchema)
      .default([])
      .meta({ description: 'The order in which accounts are handed out. Default: least recently used first.' }),
    limit: z.int().positive().optional().meta({ description: 'At most this many accounts (the first ones in sort order) form the pool.' }),
    include: z
      .array(z.string().min(1))
      .default([])
      .meta({ description: 'Account ids that are in the pool whatever the filters say.' }),
    exclude: z
      .array(z.string().min(1))
      .default([])
      .meta({ description: 'Account ids that are never in the pool (wins over include).' }),
    retry: z
      .strictObject({
        maxFailures: z
          .int()
          .min(1)
          .default(3)
          .meta({ description: 'A failed account goes back to the pool until it has failed this many times in a row; then its status is failed.' }),
      })
      .default({ maxFailures: 3 })
      .meta({ description: 'What happens to an account whose routine fails.' }),
    cooldown: durationSchema(
      'When set, a completed account is handed out again this long after its completion (farming). Unset: a completed account stays completed.',
    ).optional(),
    lease: z
      .strictObject({
        ttl: durationSchema('How long a lease lasts without a heartbeat before another bot may take the account.').default('10m'),
        heartbeat: durationSchema('How often a bot holding an account extends its lease while its routine runs.').default('1m'),
      })
      .default({ ttl: '10m', heartbeat: '1m' })
      .meta({ description: 'Exclusive leases of checked-out accounts.' }),
  })
  .superRefine((d, ctx) => {
    const ttl = parseDuration(d.lease.ttl);
    const hb = parseDuration(d.lease.heartbeat);
    if (ttl !== undefined && hb !== undefined) {
      if (ttl < 1000) {
        ctx.addIssue({ code: 'custom', message: 'lease.ttl must be at least 1s', path: ['lease', 'ttl'] });
      }
      if (hb <= 0 || hb >= ttl) {
        ctx.addIssue({ code: 'custom', message: 'lease.heartbeat must be shorter than lease.ttl (and more than 0)', path: ['lease', 'heartbeat'] });
      }
    }
  })
  .meta({
    title: 'Emulator Fleet account pool',
    description: 'An account pool: the accounts a group of bots works through, one exclusive lease per bot.',
    defaultSnippets: [
      {
        label: 'account pool',
        body: {
          name: '${1:my_pool}',
          description: '${2}',
          filters: [{ field: 'status', op: 'notIn', value: ['failed', 'banned'] }],
          sort: [{ field: 'last_used_at', order: 'asc' }],
          retry: { maxFailures: 3 },
        },
      },
    ],
  });

type Scalar = string | number | boolean | null;

/** Why a filter's value does not fit its field and op; undefined when it does. */
export function checkFilterValue(field: string, op: FilterOp, value: Scalar | Scalar[]): string | undefined {
  const isExtra = field.startsWith('extra.');
  if (isExtra && !EXTRA_KEY_PATTERN.test(field.slice(6))) {
    return `'${field}' is not a valid extra field`;
  }
  const type = isExtra ? 'extra' : isAccountColumn(field) ? ACCOUNT_COLUMNS[field] : undefined;
  if (type === undefined) {
    return `'${field}' is not an account field`;
  }
  const list = op === 'in' || op === 'notIn';
  if (list !== Array.isArray(value)) {
    return list ? `${op} expects a list of values` : `${op} expects a single value, not a list`;
  }
  if (op === 'olderThan' || op === 'newerThan') {
    if (type !== 'time') {
      return `${op} applies to time fields (last_used_at, completed_at, created_at, updated_at), not ${field}`;
    }
    return typeof value === 'string' || typeof value === 'number' ? (parseDuration(value) === undefined ? `'${String(value)}' is not a duration` : undefined) : `${op} expects a duration such as 12h`;
  }
  if (op === 'contains') {
    return type === 'text' || type === 'extra' ? (typeof value === 'string' && value !== '' ? undefined : 'contains expects non-empty text') : `contains applies to text fields, not ${field}`;
  }
  if ((op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') && (type === 'boolean' || type === 'status')) {
    return `${op} does not apply to ${field}; use eq, ne, in or notIn`;
  }
  const values = Array.isArray(value) ? value : [value];
  if (list && values.length === 0) {
    return `${op} expects at least one value`;
  }
  for (const v of values) {
    if (v === null) {
      if (op !== 'eq' && op !== 'ne' && !list) {
        return `${op} cannot compare with null`;
      }
      continue;
    }
    if (type === 'extra') {
      continue;
    }
    if (type === 'status' && !(ACCOUNT_STATUSES as readonly string[]).includes(String(v))) {
      return `'${String(v)}' is not a status (${ACCOUNT_STATUSES.join(', ')})`;
    }
    const c = coerceColumnValue(field as AccountColumn, v);
    if (!c.ok) {
      return c.message;
    }
  }
  return undefined;
}
