/**
 * What a running routine needs from its group's account pool. The orchestrator's pool manager implements
 * it per bot (owner = group + bot); the interpreter's account actions call it.
 */

export interface AccountLease {
  accountId: string;
  /** The account's fields as stored (packs_opened, hourglasses, premium, ...). */
  fields: Record<string, string | number | boolean | null>;
  /** Contents of the device account file to push (SharedPreferences XML). */
  deviceFile: string;
}

export type AccountFieldValue = string | number | boolean | null;

export interface AccountPort {
  /** Exclusive lease of the next available account; undefined when the pool is empty. */
  checkoutNext(signal?: AbortSignal): Promise<AccountLease | undefined>;
  /** Success: store stats (added to counters) and release. */
  complete(accountId: string, stats: Record<string, AccountFieldValue>): Promise<void>;
  /** Give the account back unused. */
  release(accountId: string, reason?: string): Promise<void>;
  markFailed(accountId: string, reason: string): Promise<void>;
  update(accountId: string, fields: Record<string, AccountFieldValue>): Promise<void>;
}

/** Where the demo game (and the Pocket TCG game the Go bot drives) reads its account. */
export const DEMO_ACCOUNT_FILE = '/data/data/com.emulatorfleet.pocketpacks/shared_prefs/deviceAccount.xml';
