/** Typed errors of the account pools: every failure carries a machine-readable `code`. */
import { FleetError } from '../../shared/errors';

export type PoolErrorCode =
  /** Another live process holds the database lock (the message names its pid). */
  | 'db-locked'
  /** The database file or its journal cannot be read back. */
  | 'db-corrupt'
  /** The database was written by a newer version of the extension. */
  | 'db-newer-version'
  /** The database is not open (or already closed). */
  | 'db-closed'
  /** The database was opened read-only. */
  | 'read-only'
  /** Writing the journal or a snapshot failed; the in-memory state is no longer durable. */
  | 'storage-failed'
  /** No pool definition has this name. */
  | 'unknown-pool'
  /** No account has this id. */
  | 'unknown-account'
  /** The account is not leased by the caller. */
  | 'not-leased'
  /** The caller's lease was reclaimed (expired or released by a group stop). */
  | 'lease-lost'
  /** A field name or value that the account table does not accept. */
  | 'invalid-field'
  /** An import file that cannot be read at all. */
  | 'import-failed'
  /** The operation was aborted through its signal. */
  | 'aborted';

export class PoolError extends FleetError<PoolErrorCode> {
  declare readonly details: Record<string, unknown>;

  constructor(code: PoolErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details });
    this.name = 'PoolError';
  }
}

export function isPoolError(e: unknown, code?: PoolErrorCode): e is PoolError {
  return e instanceof PoolError && (code === undefined || e.code === code);
}
