/**
 * The AccountPort one bot uses (created by `PoolManager.accountPort`): exclusive leases from one pool for one owner
 * (group + bot + orchestration id). While the bot holds leases, a heartbeat timer (on the injected clock) extends
 * them every `lease.heartbeat` so a long routine never loses its account; the timer stops when nothing is held.
 */
import type { AccountFieldValue, AccountLease, AccountPort } from '../../bot/accounts';
import type { Clock, Logger } from '../../shared/ports';
import type { Disposable } from '../../shared/lifecycle';
import type { AccountDatabase } from './accountDatabase';
import type { AccountRecord } from './accountFields';
import { buildDeviceFile } from './deviceFile';
import { checkout, completeLease, failLease, heartbeatLeases, releaseLease, requireLease, updateAccountFields, type LeaseOwner } from './leases';
import type { PoolDefinition } from './poolDefinition';
import { isPoolError, PoolError } from './poolErrors';

/** What a port needs from its manager. */
export interface PortHost {
  readonly clock: Clock;
  readonly logger: Logger;
  database(): AccountDatabase;
  /** The current definition of a pool; throws `unknown-pool`. */
  requireDefinition(name: string): PoolDefinition;
  definition(name: string): PoolDefinition | undefined;
  /** Called after every change the port made. */
  changed(): void;
  portDisposed(port: PoolAccountPort): void;
}

/** A lease as handed to the interpreter, with the pool's extra details. */
export interface PoolLease extends AccountLease {
  pool: string;
  /** When the lease lapses unless a heartbeat extends it (ISO time). */
  expiresAt: string;
  /** The history row of this lease. */
  runId: number;
}

const DEFAULT_MAX_FAILURES = 3;
/** First wait before retrying a failed heartbeat; it doubles up to the heartbeat interval. */
const HEARTBEAT_RETRY_MS = 1000;

/** The fields of a lease: every column (booleans as booleans), then custom fields that do not clash with a column. */
export function leaseFields(a: AccountRecord): Record<string, AccountFieldValue> {
  const { extra, ...cols } = a;
  const out: Record<string, AccountFieldValue> = {};
  for (const [k, v] of Object.entries(extra)) {
    out[k] = v;
  }
  Object.assign(out, cols);
  return out;
}

export class PoolAccountPort implements AccountPort, Disposable {
  private readonly held = new Set<string>();
  private heartbeat: AbortController | undefined;
  private disposed = false;

  constructor(
    private readonly host: PortHost,
    readonly poolName: string,
    readonly owner: LeaseOwner,
  ) {}

  /** Account ids this port holds leases on. */
  heldAccounts(): string[] {
    return [...this.held];
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  async checkoutNext(signal?: AbortSignal): Promise<PoolLease | undefined> {
    this.assertLive();
    throwIfAborted(signal);
    const def = this.host.requireDefinition(this.poolName);
    const res = await this.host.database().mutate((tx) => checkout(tx, def, this.owner, this.host.clock.wallNow()));
    if (res?.reclaimed.length) {
      this.host.logger.log('info', `reclaimed expired leases: ${res.reclaimed.join(', ')}`, { pool: this.poolName });
    }
    this.host.changed();
    if (!res) {
      return undefined;
    }
    const id = res.account.id;
    this.held.add(id);
    if (signal?.aborted || this.disposed) {
      await this.release(id, 'checkout aborted').catch(() => undefined);
      throwIfAborted(signal);
      this.assertLive();
    }
    this.startHeartbeat();
    return {
      accountId: id,
      fields: leaseFields(res.account),
      deviceFile: buildDeviceFile(res.account),
      pool: this.poolName,
      expiresAt: res.lease.expiresAt,
      runId: res.lease.runId,
    };
  }

  async complete(accountId: string, stats: Record<string, AccountFieldValue>): Promise<void> {
    await this.finish(accountId, (now) => (tx) => completeLease(tx, accountId, this.owner, stats, now));
  }

  async release(accountId: string, reason?: string): Promise<void> {
    await this.finish(accountId, (now) => (tx) => releaseLease(tx, accountId, this.owner, reason, now));
  }

  async markFailed(accountId: string, reason: string): Promise<void> {
    const max = this.host.definition(this.poolName)?.maxFailures ?? DEFAULT_MAX_FAILURES;
    await this.finish(accountId, (now) => (tx) => {
      failLease(tx, accountId, this.owner, reason, max, now);
    });
  }

  /** Sets fields of a leased account (see `updateAccountFields`); the lease stays. */
  async update(accountId: string, fields: Record<string, AccountFieldValue>): Promise<void> {
    try {
      await this.host.database().mutate((tx) => {
        requireLease(tx, accountId, this.owner);
        updateAccountFields(tx, accountId, fields, this.host.clock.wallNow());
      });
    } catch (e) {
      this.forgetIfLost(accountId, e);
      throw e;
    }
    this.host.changed();
  }

  private async finish(accountId: string, op: (now: Date) => Parameters<AccountDatabase['mutate']>[0]): Promise<void> {
    try {
      await this.host.database().mutate(op(this.host.clock.wallNow()));
    } catch (e) {
      this.forgetIfLost(accountId, e);
      throw e;
    }
    this.held.delete(accountId);
    this.stopHeartbeatIfIdle();
    this.host.changed();
  }

  private forgetIfLost(accountId: string, e: unknown): void {
    if (isPoolError(e, 'lease-lost') || isPoolError(e, 'not-leased')) {
      this.held.delete(accountId);
      this.stopHeartbeatIfIdle();
    }
  }

  /** Forgets leases ended elsewhere (a group stop's releaseAll) so the heartbeat does not chase them. */
  dropHeld(accountIds: readonly string[]): void {
    for (const id of accountIds) {
      this.held.delete(id);
    }
    this.stopHeartbeatIfIdle();
  }

  private startHeartbeat(): void {
    if (this.heartbeat || this.disposed || !this.held.size) {
      return;
    }
    const ac = new AbortController();
    this.heartbeat = ac;
    void this.heartbeatLoop(ac).catch((e: unknown) =>
      this.host.logger.log('error', `lease heartbeat stopped: ${e instanceof Error ? e.message : String(e)}`, { pool: this.poolName, group: this.owner.group, bot: this.owner.bot }),
    );
  }

  private stopHeartbeatIfIdle(): void {
    if (!this.held.size && this.heartbeat) {
      this.heartbeat.abort();
      this.heartbeat = undefined;
    }
  }

  /**
   * Extends the held leases every `lease.heartbeat`. A failed heartbeat is retried with backoff (1 s, 2 s, 4 s, ...
   * up to the heartbeat interval) as long as leases are held. It ends when nothing is held, the port is disposed,
   * or the database has stopped (a storage failure, or closed): then there is nothing a retry could change, and
   * every later call of the port rejects with that failure.
   */
  private async heartbeatLoop(ac: AbortController): Promise<void> {
    const where = { pool: this.poolName, group: this.owner.group, bot: this.owner.bot };
    let failures = 0;
    let lastProblem = '';
    try {
      while (!ac.signal.aborted && this.held.size) {
        const def = this.host.definition(this.poolName);
        const interval = def?.heartbeatMs ?? 60_000;
        const ttl = def?.leaseTtlMs ?? 600_000;
        const wait = failures ? Math.min(interval, HEARTBEAT_RETRY_MS * 2 ** (failures - 1)) : interval;
        try {
          await this.host.clock.sleep(wait, ac.signal);
        } catch {
          break; // aborted
        }
        if (ac.signal.aborted || !this.held.size) {
          break;
        }
        let lost: string[];
        try {
          const db = this.host.database();
          lost = await db.mutate((tx) => heartbeatLeases(tx, [...this.held], this.owner, ttl, this.host.clock.wallNow()));
        } catch (e) {
          if (ac.signal.aborted) {
            break;
          }
          const message = e instanceof Error ? e.message : String(e);
          if (isPoolError(e) && (e.code === 'storage-failed' || e.code === 'db-corrupt' || e.code === 'db-closed' || e.code === 'read-only')) {
            this.host.logger.log(e.code === 'db-closed' ? 'warn' : 'error', `lease heartbeat stopped: ${message}`, where);
            break;
          }
          failures++;
          if (message !== lastProblem) {
            lastProblem = message;
            this.host.logger.log('warn', `lease heartbeat failed (will retry while the leases are held): ${message}`, where);
          }
          continue;
        }
        if (failures) {
          this.host.logger.log('info', `lease heartbeat works again after ${failures} failed attempt(s)`, where);
          failures = 0;
          lastProblem = '';
        }
        for (const id of lost) {
          this.held.delete(id);
          this.host.logger.log('warn', `lease of account ${id} was lost before its heartbeat`, where);
        }
        if (lost.length) {
          try {
            this.host.changed();
          } catch (e) {
            this.host.logger.log('warn', `pool counts not updated: ${(e as Error).message}`, where);
          }
        }
      }
    } finally {
      if (this.heartbeat === ac) {
        this.heartbeat = undefined;
      }
    }
  }

  private assertLive(): void {
    if (this.disposed) {
      throw new PoolError('db-closed', `the account port of ${this.owner.group}/${this.owner.bot} is disposed`);
    }
  }

  /**
   * Stops the heartbeat and unregisters the owner's orchestration. Leases still held stay in the database until they
   * expire, `releaseAll` ends them, or the next start reclaims them.
   */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.heartbeat?.abort();
    this.heartbeat = undefined;
    this.host.portDisposed(this);
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new PoolError('aborted', signal.reason instanceof Error ? signal.reason.message : 'checkout aborted');
  }
}
