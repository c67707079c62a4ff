/**
 * Pool definitions → parameterised SQL. Identifiers come only from the allow-list in accountFields.ts (a field that
 * is not there throws); every value from a definition is a bound parameter, never spliced into the text.
 *
 * A pool's members are: the accounts matching all filters (the first `limit` of them in sort order), plus `include`,
 * minus `exclude`. A member is available when it has no lease and its status is `available`, or `completed` with a
 * finished cooldown (pools with `cooldown`).
 */
import { EXTRA_KEY_PATTERN, isAccountColumn, toSqlValue } from './accountFields';
import type { FilterScalar, PoolDefinition, PoolFilter, PoolSort } from './poolDefinition';

export type SqlParam = string | number | null;

export interface SqlFragment {
  sql: string;
  params: SqlParam[];
}

const IDENT = /^[a-z_]+$/;

/** The SQL expression of an account field on table alias `a` (a column, or `json_extract` of `extra`). */
export function fieldExpr(field: string, alias = 'a'): SqlFragment {
  if (field.startsWith('extra.')) {
    const key = field.slice(6);
    if (!EXTRA_KEY_PATTERN.test(key)) {
      throw new Error(`invalid extra field '${field}'`);
    }
    return { sql: `json_extract(${alias}.extra, ?)`, params: [`$.${key}`] };
  }
  if (!isAccountColumn(field) || !IDENT.test(field)) {
    throw new Error(`'${field}' is not an account column`);
  }
  return { sql: `${alias}.${field}`, params: [] };
}

function param(v: FilterScalar): SqlParam {
  return toSqlValue(v);
}

function isoBefore(now: Date, ms: number): string {
  return new Date(now.getTime() - ms).toISOString();
}

/** One filter as a boolean SQL expression. `now` anchors olderThan/newerThan. */
export function filterToSql(f: PoolFilter, now: Date): SqlFragment {
  const col = fieldExpr(f.field);
  const c = col.sql;
  const p = [...col.params];
  const v = f.value;
  switch (f.op) {
    case 'eq':
      return { sql: `${c} IS ?`, params: [...p, param(v as FilterScalar)] };
    case 'ne':
      return { sql: `${c} IS NOT ?`, params: [...p, param(v as FilterScalar)] };
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le': {
      const op = { gt: '>', ge: '>=', lt: '<', le: '<=' }[f.op];
      return { sql: `${c} ${op} ?`, params: [...p, param(v as FilterScalar)] };
    }
    case 'in':
    case 'notIn': {
      const list = v as FilterScalar[];
      const hasNull = list.includes(null);
      const values = list.filter((x) => x !== null).map(param);
      const holes = values.map(() => '?').join(', ');
      if (f.op === 'in') {
        const parts: string[] = [];
        const params: SqlParam[] = [];
        if (values.length) {
          parts.push(`${c} IN (${holes})`);
          params.push(...p, ...values);
        }
        if (hasNull) {
          parts.push(`${c} IS NULL`);
          params.push(...p);
        }
        return { sql: `(${parts.join(' OR ')})`, params };
      }
      if (!values.length) {
        return { sql: `${c} IS NOT NULL`, params: p };
      }
      return hasNull
        ? { sql: `(${c} IS NOT NULL AND ${c} NOT IN (${holes}))`, params: [...p, ...p, ...values] }
        : { sql: `(${c} IS NULL OR ${c} NOT IN (${holes}))`, params: [...p, ...p, ...values] };
    }
    case 'contains':
      return { sql: `instr(lower(${c}), lower(?)) > 0`, params: [...p, param(v as FilterScalar)] };
    case 'olderThan':
      return { sql: `(${c} IS NULL OR ${c} < ?)`, params: [...p, ...p, isoBefore(now, v as number)] };
    case 'newerThan':
      return { sql: `(${c} IS NOT NULL AND ${c} >= ?)`, params: [...p, ...p, isoBefore(now, v as number)] };
  }
}

/** ORDER BY text (without the keywords) for a pool's sort, ending with the default tie-breakers. */
export function orderBySql(sort: readonly PoolSort[]): SqlFragment {
  const parts: string[] = [];
  const params: SqlParam[] = [];
  for (const s of sort) {
    const e = fieldExpr(s.field);
    parts.push(`${e.sql} ${s.order === 'desc' ? 'DESC' : 'ASC'}`);
    params.push(...e.params);
  }
  parts.push('a.last_used_at ASC', 'a.id ASC');
  return { sql: parts.join(', '), params };
}

function idList(ids: readonly string[]): string {
  return ids.map(() => '?').join(', ');
}

/** `WITH members(id) AS (...)`: the ids of a pool's accounts. */
export function membersCte(def: PoolDefinition, now: Date): SqlFragment {
  const where: string[] = [];
  const params: SqlParam[] = [];
  for (const f of def.filters) {
    const s = filterToSql(f, now);
    where.push(s.sql);
    params.push(...s.params);
  }
  if (def.exclude.length) {
    where.push(`a.id NOT IN (${idList(def.exclude)})`);
    params.push(...def.exclude);
  }
  let select = `SELECT a.id AS id FROM accounts a${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  if (def.limit !== undefined) {
    const order = orderBySql(def.sort);
    select = `SELECT id FROM (${select} ORDER BY ${order.sql} LIMIT ?)`;
    params.push(...order.params, def.limit);
  }
  if (def.include.length) {
    select += ` UNION SELECT a.id FROM accounts a WHERE a.id IN (${idList(def.include)})`;
    params.push(...def.include);
    if (def.exclude.length) {
      select += ` AND a.id NOT IN (${idList(def.exclude)})`;
      params.push(...def.exclude);
    }
  }
  return { sql: `WITH members(id) AS (${select})`, params };
}

/** Boolean SQL: the account (alias `a`) is free to hand out in this pool (leases not considered). */
export function availableStatusSql(def: PoolDefinition, now: Date): SqlFragment {
  if (def.cooldownMs === undefined) {
    return { sql: `a.status = 'available'`, params: [] };
  }
  return {
    sql: `(a.status = 'available' OR (a.status = 'completed' AND (a.completed_at IS NULL OR a.completed_at <= ?)))`,
    params: [isoBefore(now, def.cooldownMs)],
  };
}

/** The next account to lease: an available member in the pool's order. */
export function checkoutCandidateQuery(def: PoolDefinition, now: Date): SqlFragment {
  const m = membersCte(def, now);
  const avail = availableStatusSql(def, now);
  const order = orderBySql(def.sort);
  return {
    sql: `${m.sql} SELECT a.* FROM accounts a JOIN members m ON m.id = a.id WHERE NOT EXISTS (SELECT 1 FROM leases l WHERE l.account_id = a.id) AND ${avail.sql} ORDER BY ${order.sql} LIMIT 1`,
    params: [...m.params, ...avail.params, ...order.params],
  };
}

/** Counts of a pool's members by state: total, available, in_use, completed, failed, banned. */
export function poolStatsQuery(def: PoolDefinition, now: Date): SqlFragment {
  const m = membersCte(def, now);
  const avail = availableStatusSql(def, now);
  const free = `l.account_id IS NULL`;
  return {
    sql:
      `${m.sql} SELECT COUNT(*) AS total,` +
      ` COALESCE(SUM(CASE WHEN l.account_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS in_use,` +
      ` COALESCE(SUM(CASE WHEN ${free} AND ${avail.sql} THEN 1 ELSE 0 END), 0) AS available,` +
      ` COALESCE(SUM(CASE WHEN ${free} AND a.status = 'completed' AND NOT ${avail.sql} THEN 1 ELSE 0 END), 0) AS completed,` +
      ` COALESCE(SUM(CASE WHEN ${free} AND a.status = 'failed' THEN 1 ELSE 0 END), 0) AS failed,` +
      ` COALESCE(SUM(CASE WHEN ${free} AND a.status = 'banned' THEN 1 ELSE 0 END), 0) AS banned` +
      ` FROM accounts a JOIN members m ON m.id = a.id LEFT JOIN leases l ON l.account_id = a.id`,
    params: [...m.params, ...avail.params, ...avail.params],
  };
}

/** A pool's members in hand-out order (available ones first), for listings. */
export function poolMembersQuery(def: PoolDefinition, now: Date, limit: number): SqlFragment {
  const m = membersCte(def, now);
  const avail = availableStatusSql(def, now);
  const order = orderBySql(def.sort);
  return {
    sql: `${m.sql} SELECT a.*, (l.account_id IS NULL AND ${avail.sql}) AS is_available FROM accounts a JOIN members m ON m.id = a.id LEFT JOIN leases l ON l.account_id = a.id ORDER BY is_available DESC, ${order.sql} LIMIT ?`,
    params: [...m.params, ...avail.params, ...order.params, limit],
  };
}
