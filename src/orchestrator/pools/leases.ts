/**
 * Account operations inside one database transaction: exclusive leases (checkout, heartbeat, complete, release,
 * fail, reclaim) and field updates. Every statement names its rows by id, so replaying the journal reproduces
 * exactly what happened.
 *
 * Rules:
 * - A lease is one row of `leases` (account_id UNIQUE): no two holders, whatever the group. The account's status is
 *   `in_use` while leased; its status before the lease is kept and restored when the account is given back.
 * - `complete`: adds numeric stats to the counter columns, status `completed` (pools with a `cooldown` hand it out
 *   again once the cooldown has passed), failure_count back to 0.
 * - `markFailed`: failure_count + 1 and last_error; status `failed` once failure_count reaches the pool's
 *   maxFailures, otherwise the account goes back to the pool with its previous status.
 * - `release`: back to the previous status, counters untouched.
 * - A banned account stays banned whatever happens to its lease.
 * - Every lease has a row in `runs` (the history): outcome running → completed | failed | released | reclaimed | expired.
 */
import type { AccountFieldValue } from '../../bot/accounts';
import type { Row, SqlReader, SqlWriter } from './accountDatabase';
import {
  canonicalColumn,
  coerceColumnValue,
  EXTRA_KEY_PATTERN,
  isCounterColumn,
  isWritableColumn,
  toSqlValue,
  unstorableText,
  type AccountRecord,
  type AccountStatus,
  type CounterColumn,
  type WritableColumn,
} from './accountFields';
import type { PoolDefinition } from './poolDefinition';
import { PoolError } from './poolErrors';
import { checkoutCandidateQuery } from './poolQuery';

/** Who holds a lease: a bot of a group in one orchestration (one run of that group). */
export interface LeaseOwner {
  group: string;
  bot: string;
  orchestrationId: string;
  /** The routine being run, recorded in the history. */
  routine?: string;
}

export interface LeaseRecord {
  accountId: string;
  pool: string;
  group: string;
  bot: string;
  orchestrationId: string;
  runId: number;
  previousStatus: AccountStatus;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
}

export type RunOutcome = 'running' | 'completed' | 'failed' | 'released' | 'reclaimed' | 'expired';

export interface RunRecord {
  id: number;
  accountId: string;
  pool: string;
  group: string;
  bot: string;
  orchestrationId: string;
  routine: string | null;
  startedAt: string;
  finishedAt: string | null;
  outcome: RunOutcome;
  reason: string | null;
  stats: Record<string, AccountFieldValue> | null;
}

export function rowToAccount(r: Row): AccountRecord {
  let extra: Record<string, AccountFieldValue> = {};
  try {
    extra = JSON.parse(String(r.extra ?? '{}')) as Record<string, AccountFieldValue>;
  } catch {
    extra = {};
  }
  return {
    id: String(r.id),
    password: String(r.password ?? ''),
    name: r.name === null || r.name === undefined ? null : String(r.name),
    premium: Number(r.premium) === 1,
    packs_opened: Number(r.packs_opened ?? 0),
    hourglasses: Number(r.hourglasses ?? 0),
    wonder_picks_done: Number(r.wonder_picks_done ?? 0),
    shinedust: Number(r.shinedust ?? 0),
    status: String(r.status) as AccountStatus,
    failure_count: Number(r.failure_count ?? 0),
    last_error: nullableText(r.last_error),
    last_used_at: nullableText(r.last_used_at),
    completed_at: nullableText(r.completed_at),
    created_at: String(r.created_at),
    updated_at: String(r.updated_at),
    notes: nullableText(r.notes),
    extra,
  };
}

function nullableText(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function rowToLease(r: Row): LeaseRecord {
  return {
    accountId: String(r.account_id),
    pool: String(r.pool),
    group: String(r.owner_group),
    bot: String(r.owner_bot),
    orchestrationId: String(r.orchestration_id),
    runId: Number(r.run_id),
    previousStatus: String(r.previous_status) as AccountStatus,
    acquiredAt: String(r.acquired_at),
    heartbeatAt: String(r.heartbeat_at),
    expiresAt: String(r.expires_at),
  };
}

export function rowToRun(r: Row): RunRecord {
  let stats: Record<string, AccountFieldValue> | null = null;
  if (r.stats !== null && r.stats !== undefined) {
    try {
      stats = JSON.parse(String(r.stats)) as Record<string, AccountFieldValue>;
    } catch {
      stats = null;
    }
  }
  return {
    id: Number(r.id),
    accountId: String(r.account_id),
    pool: String(r.pool),
    group: String(r.group_name),
    bot: String(r.bot),
    orchestrationId: String(r.orchestration_id),
    routine: nullableText(r.routine),
    startedAt: String(r.started_at),
    finishedAt: nullableText(r.finished_at),
    outcome: String(r.outcome) as RunOutcome,
    reason: nullableText(r.reason),
    stats,
  };
}

export function getAccount(q: SqlReader, id: string): AccountRecord | undefined {
  const r = q.get('SELECT * FROM accounts WHERE id = ?', [id]);
  return r ? rowToAccount(r) : undefined;
}

export function getLease(q: SqlReader, accountId: string): LeaseRecord | undefined {
  const r = q.get('SELECT * FROM leases WHERE account_id = ?', [accountId]);
  return r ? rowToLease(r) : undefined;
}

export interface CheckoutResult {
  account: AccountRecord;
  lease: LeaseRecord;
  /** Expired leases that were reclaimed on the way. */
  reclaimed: string[];
}

/** Leases the next available account of the pool to `owner`; undefined when none is available. */
export function checkout(tx: SqlWriter, def: PoolDefinition, owner: LeaseOwner, now: Date): CheckoutResult | undefined {
  const reclaimed = reclaimLeases(tx, now, (l) => l.expiresAt <= now.toISOString(), 'expired', 'lease expired');
  const q = checkoutCandidateQuery(def, now);
  const row = tx.get(q.sql, q.params);
  if (!row) {
    return undefined;
  }
  const account = rowToAccount(row);
  const at = now.toISOString();
  const expires = new Date(now.getTime() + def.leaseTtlMs).toISOString();
  tx.run(`INSERT INTO runs (account_id, pool, group_name, bot, orchestration_id, routine, started_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, 'running')`, [
    account.id,
    def.name,
    owner.group,
    owner.bot,
    owner.orchestrationId,
    owner.routine ?? null,
    at,
  ]);
  const runId = Number(tx.get('SELECT last_insert_rowid() AS id')?.id);
  tx.run(
    `INSERT INTO leases (account_id, pool, owner_group, owner_bot, orchestration_id, run_id, previous_status, acquired_at, heartbeat_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [account.id, def.name, owner.group, owner.bot, owner.orchestrationId, runId, account.status, at, at, expires],
  );
  tx.run(`UPDATE accounts SET status = 'in_use', updated_at = ? WHERE id = ?`, [at, account.id]);
  return {
    account: { ...account, status: 'in_use', updated_at: at },
    lease: {
      accountId: account.id,
      pool: def.name,
      group: owner.group,
      bot: owner.bot,
      orchestrationId: owner.orchestrationId,
      runId,
      previousStatus: account.status,
      acquiredAt: at,
      heartbeatAt: at,
      expiresAt: expires,
    },
    reclaimed,
  };
}

/** The owner's lease of `accountId`; throws `lease-lost` (it had one, now gone) or `not-leased`. */
export function requireLease(q: SqlReader, accountId: string, owner: LeaseOwner): LeaseRecord {
  const lease = getLease(q, accountId);
  if (lease && lease.orchestrationId === owner.orchestrationId && lease.group === owner.group && lease.bot === owner.bot) {
    return lease;
  }
  const last = q.get(`SELECT outcome, reason FROM runs WHERE account_id = ? AND orchestration_id = ? AND group_name = ? AND bot = ? ORDER BY id DESC LIMIT 1`, [
    accountId,
    owner.orchestrationId,
    owner.group,
    owner.bot,
  ]);
  const details = { accountId, group: owner.group, bot: owner.bot };
  if (last && ['reclaimed', 'expired', 'released'].includes(String(last.outcome)) && !wasReleasedByOwner(last)) {
    throw new PoolError('lease-lost', `the lease of account ${accountId} held by ${owner.group}/${owner.bot} was ${String(last.outcome)}${last.reason ? ` (${String(last.reason)})` : ''}`, details);
  }
  if (!getAccount(q, accountId)) {
    throw new PoolError('unknown-account', `there is no account ${accountId}`, details);
  }
  throw new PoolError('not-leased', `account ${accountId} is not leased by ${owner.group}/${owner.bot}`, details);
}

function wasReleasedByOwner(run: Row): boolean {
  return String(run.outcome) === 'released' && String(run.reason ?? '').startsWith('released by bot');
}

/** Parses `complete()` stats: numeric values for counter columns are added; everything is kept in the history. */
export function counterIncrements(stats: Record<string, AccountFieldValue>): Partial<Record<CounterColumn, number>> {
  const out: Partial<Record<CounterColumn, number>> = {};
  for (const [key, raw] of Object.entries(stats)) {
    const col = canonicalColumn(key);
    if (!col || !isCounterColumn(col)) {
      continue;
    }
    const c = coerceColumnValue(col, raw);
    if (!c.ok) {
      throw new PoolError('invalid-field', `stat '${key}': ${c.message}`, { field: key });
    }
    out[col] = (out[col] ?? 0) + (c.value as number);
  }
  return out;
}

export function completeLease(tx: SqlWriter, accountId: string, owner: LeaseOwner, stats: Record<string, AccountFieldValue>, now: Date): void {
  const lease = requireLease(tx, accountId, owner);
  const inc = counterIncrements(stats);
  const at = now.toISOString();
  const sets = Object.keys(inc).map((c) => `${c} = ${c} + ?`);
  const params = Object.values(inc);
  tx.run(
    `UPDATE accounts SET ${[...sets, `status = CASE WHEN status = 'banned' THEN 'banned' ELSE 'completed' END`, 'completed_at = ?', 'last_used_at = ?', 'failure_count = 0', 'updated_at = ?'].join(', ')} WHERE id = ?`,
    [...params, at, at, at, accountId],
  );
  finishRun(tx, lease, 'completed', null, stats, at);
}

export function releaseLease(tx: SqlWriter, accountId: string, owner: LeaseOwner, reason: string | undefined, now: Date): void {
  const lease = requireLease(tx, accountId, owner);
  giveBack(tx, lease, 'released', `released by bot${reason ? `: ${reason}` : ''}`, now.toISOString());
}

export function failLease(tx: SqlWriter, accountId: string, owner: LeaseOwner, reason: string, maxFailures: number, now: Date): AccountStatus {
  const lease = requireLease(tx, accountId, owner);
  const acc = getAccount(tx, accountId);
  const failures = (acc?.failure_count ?? 0) + 1;
  const at = now.toISOString();
  const status: AccountStatus = acc?.status === 'banned' ? 'banned' : failures >= maxFailures ? 'failed' : lease.previousStatus === 'in_use' ? 'available' : lease.previousStatus;
  tx.run(`UPDATE accounts SET failure_count = ?, last_error = ?, status = ?, last_used_at = ?, updated_at = ? WHERE id = ?`, [failures, reason, status, at, at, accountId]);
  finishRun(tx, lease, 'failed', reason, null, at);
  return status;
}

/** Extends the owner's leases; returns the ids whose lease is gone (reclaimed meanwhile). */
export function heartbeatLeases(tx: SqlWriter, accountIds: readonly string[], owner: LeaseOwner, ttlMs: number, now: Date): string[] {
  const at = now.toISOString();
  const expires = new Date(now.getTime() + ttlMs).toISOString();
  const lost: string[] = [];
  for (const id of accountIds) {
    const n = tx.run(`UPDATE leases SET heartbeat_at = ?, expires_at = ? WHERE account_id = ? AND orchestration_id = ? AND owner_group = ? AND owner_bot = ?`, [
      at,
      expires,
      id,
      owner.orchestrationId,
      owner.group,
      owner.bot,
    ]);
    if (n === 0) {
      lost.push(id);
    }
  }
  return lost;
}

/** Ends every lease that `pred` selects: the account goes back to its previous status; returns the account ids. */
export function reclaimLeases(tx: SqlWriter, now: Date, pred: (l: LeaseRecord) => boolean, outcome: 'reclaimed' | 'expired' | 'released', reason: string): string[] {
  const at = now.toISOString();
  const ids: string[] = [];
  for (const row of tx.all('SELECT * FROM leases ORDER BY account_id')) {
    const lease = rowToLease(row);
    if (pred(lease)) {
      giveBack(tx, lease, outcome, reason, at);
      ids.push(lease.accountId);
    }
  }
  return ids;
}

function giveBack(tx: SqlWriter, lease: LeaseRecord, outcome: RunOutcome, reason: string, at: string): void {
  const back = lease.previousStatus === 'in_use' ? 'available' : lease.previousStatus;
  tx.run(`UPDATE accounts SET status = CASE WHEN status = 'banned' THEN 'banned' ELSE ? END, updated_at = ? WHERE id = ?`, [back, at, lease.accountId]);
  finishRun(tx, lease, outcome, reason, null, at);
}

function finishRun(tx: SqlWriter, lease: LeaseRecord, outcome: RunOutcome, reason: string | null, stats: Record<string, AccountFieldValue> | null, at: string): void {
  tx.run(`UPDATE runs SET finished_at = ?, outcome = ?, reason = ?, stats = ? WHERE id = ?`, [at, outcome, reason, stats ? JSON.stringify(stats) : null, lease.runId]);
  tx.run(`DELETE FROM leases WHERE account_id = ?`, [lease.accountId]);
}

/**
 * Sets fields of an account: writable columns (coerced to their type), `status: banned` (or `available` to lift a
 * ban), and any other identifier-like key into `extra` (null removes it). Throws `invalid-field`.
 */
export function updateAccountFields(tx: SqlWriter, accountId: string, fields: Record<string, AccountFieldValue>, now: Date): void {
  const acc = getAccount(tx, accountId);
  if (!acc) {
    throw new PoolError('unknown-account', `there is no account ${accountId}`, { accountId });
  }
  const sets: string[] = [];
  const params: Array<string | number | null> = [];
  const extra = { ...acc.extra };
  let extraChanged = false;
  for (const [key, raw] of Object.entries(fields)) {
    const col = canonicalColumn(key);
    if (col === 'status') {
      const c = coerceColumnValue('status', raw);
      if (!c.ok || (c.value !== 'banned' && c.value !== 'available')) {
        throw new PoolError('invalid-field', `status can only be set to banned (or available to lift a ban), got ${JSON.stringify(raw)}`, { field: key });
      }
      if (c.value === 'available' && acc.status !== 'banned') {
        continue;
      }
      const lease = getLease(tx, accountId);
      // A leased account stays `in_use`; the lease's previous status is what it returns to when given back.
      sets.push('status = ?');
      params.push(lease && c.value === 'available' ? 'in_use' : (c.value as string));
      if (lease) {
        tx.run(`UPDATE leases SET previous_status = ? WHERE account_id = ?`, [c.value as string, accountId]);
      }
      continue;
    }
    if (col) {
      if (!isWritableColumn(col)) {
        throw new PoolError('invalid-field', `field '${key}' cannot be set (writable: ${['password', 'name', 'premium', 'packs_opened', 'hourglasses', 'wonder_picks_done', 'shinedust', 'notes', 'last_error', 'status'].join(', ')}, or a custom field)`, {
          field: key,
        });
      }
      const c = coerceColumnValue(col, raw);
      if (!c.ok) {
        throw new PoolError('invalid-field', `field '${key}': ${c.message}`, { field: key });
      }
      sets.push(`${col as WritableColumn} = ?`);
      params.push(toSqlValue(c.value));
      continue;
    }
    if (!EXTRA_KEY_PATTERN.test(key)) {
      throw new PoolError('invalid-field', `field '${key}' is not a valid custom field name (letters, digits, _)`, { field: key });
    }
    if (raw !== null && typeof raw === 'object') {
      throw new PoolError('invalid-field', `field '${key}' must be text, a number or a boolean`, { field: key });
    }
    const bad = typeof raw === 'string' ? unstorableText(raw) : undefined;
    if (bad) {
      throw new PoolError('invalid-field', `field '${key}' ${bad}`, { field: key });
    }
    if (raw === null) {
      delete extra[key];
    } else {
      extra[key] = raw;
    }
    extraChanged = true;
  }
  if (extraChanged) {
    sets.push('extra = ?');
    params.push(JSON.stringify(extra));
  }
  if (!sets.length) {
    return;
  }
  sets.push('updated_at = ?');
  params.push(now.toISOString());
  tx.run(`UPDATE accounts SET ${sets.join(', ')} WHERE id = ?`, [...params, accountId]);
}
