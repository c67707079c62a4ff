/** Loading one `pools/*.yaml` file into a normalized PoolDefinition, with located diagnostics. */
import type { Diagnostic } from '../../shared/geometry';
import { parseAndValidate, type ParsedYaml } from '../../shared/yamlSource';
import { ACCOUNT_COLUMNS, toIsoTime, type AccountColumn } from './accountFields';
import { parseDuration } from '../../shared/durations';
import { poolDefinitionSchema, type FilterOp } from './poolSchema';

export type FilterScalar = string | number | boolean | null;

export interface PoolFilter {
  /** A column name or `extra.<key>`. */
  field: string;
  op: FilterOp;
  /** Normalized: booleans stay booleans, times are ISO strings, durations are milliseconds. */
  value: FilterScalar | FilterScalar[];
}

export interface PoolSort {
  field: string;
  order: 'asc' | 'desc';
}

/** A validated pool definition with durations in milliseconds. */
export interface PoolDefinition {
  name: string;
  description?: string;
  /** The file it was loaded from (workspace-relative when loaded by the PoolManager). */
  file: string;
  filters: PoolFilter[];
  sort: PoolSort[];
  limit?: number;
  include: string[];
  exclude: string[];
  /** Consecutive failures after which an account's status becomes `failed`. */
  maxFailures: number;
  /** When set, completed accounts are handed out again this many ms after completion. */
  cooldownMs?: number;
  leaseTtlMs: number;
  heartbeatMs: number;
}

export interface ParsedPoolDefinition {
  value?: PoolDefinition;
  diagnostics: Diagnostic[];
  /** The parsed YAML (for locating further problems, such as duplicate names). */
  parsed?: ParsedYaml;
}

/** Parses and validates the text of a pool definition; `value` is set only when there is no error. */
export function parsePoolDefinition(text: string, file: string): ParsedPoolDefinition {
  const r = parseAndValidate(text, file, poolDefinitionSchema);
  if (!r.value) {
    return { diagnostics: r.diagnostics, parsed: r.parsed };
  }
  const d = r.value;
  const def: PoolDefinition = {
    name: d.name,
    description: d.description,
    file,
    filters: d.filters.map((f) => ({ field: f.field, op: f.op, value: normalizeFilterValue(f.field, f.op, f.value) })),
    sort: d.sort.map((s) => ({ field: s.field, order: s.order })),
    limit: d.limit,
    include: [...new Set(d.include)],
    exclude: [...new Set(d.exclude)],
    maxFailures: d.retry.maxFailures,
    cooldownMs: d.cooldown === undefined ? undefined : parseDuration(d.cooldown),
    leaseTtlMs: parseDuration(d.lease.ttl) ?? 600_000,
    heartbeatMs: parseDuration(d.lease.heartbeat) ?? 60_000,
  };
  return { value: def, diagnostics: r.diagnostics, parsed: r.parsed };
}

function normalizeFilterValue(field: string, op: FilterOp, value: FilterScalar | FilterScalar[]): FilterScalar | FilterScalar[] {
  if (op === 'olderThan' || op === 'newerThan') {
    return parseDuration(value as string | number) ?? 0;
  }
  const type = field.startsWith('extra.') ? 'extra' : ACCOUNT_COLUMNS[field as AccountColumn];
  const one = (v: FilterScalar): FilterScalar => {
    if (v === null) {
      return null;
    }
    switch (type) {
      case 'boolean':
        return typeof v === 'boolean' ? v : ['true', 'yes', 'y', '1', 'on'].includes(String(v).toLowerCase());
      case 'integer':
        return Number(v);
      case 'time':
        return toIsoTime(v) ?? String(v);
      case 'status':
        return String(v).toLowerCase();
      default:
        return v;
    }
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}
