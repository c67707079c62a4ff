/**
 * Where the account database lives: an exclusive lock, a snapshot (the SQLite file) and an append-only journal of
 * the operations since that snapshot. `NodePoolStorage` keeps them in the workspace; `MemoryPoolStorage` in memory
 * (unit tests; it can simulate a crash).
 */
import { PoolError } from './poolErrors';

export interface PoolStorage {
  /** Shown in messages: where the database is. */
  readonly location: string;
  /** Takes the single-owner lock; throws PoolError `db-locked` when a live process holds it. */
  acquireLock(): Promise<void>;
  releaseLock(): Promise<void>;
  /** The last snapshot (an SQLite database file), or undefined when there is none. */
  readSnapshot(): Promise<Uint8Array | undefined>;
  /** Replaces the snapshot atomically (a reader sees the old or the new file, never a mix). */
  writeSnapshot(data: Uint8Array): Promise<void>;
  /** The journal's text ('' when there is none). */
  readJournal(): Promise<string>;
  /** Appends to the journal; resolves once the text is on stable storage (fsync). */
  appendJournal(text: string): Promise<void>;
  /** Empties the journal durably. */
  resetJournal(): Promise<void>;
  /** Releases file handles (not the lock). */
  close(): Promise<void>;
}

/** In-memory storage for unit tests. Every call is durable at once; `crash()` leaves a stale lock as a killed owner would. */
export class MemoryPoolStorage implements PoolStorage {
  readonly location = 'memory';
  snapshot: Uint8Array | undefined;
  journal = '';
  locked = false;
  appends = 0;
  snapshots = 0;

  async acquireLock(): Promise<void> {
    if (this.locked) {
      throw new PoolError('db-locked', 'the in-memory account database is already open', {});
    }
    this.locked = true;
  }

  async releaseLock(): Promise<void> {
    this.locked = false;
  }

  async readSnapshot(): Promise<Uint8Array | undefined> {
    return this.snapshot ? this.snapshot.slice() : undefined;
  }

  async writeSnapshot(data: Uint8Array): Promise<void> {
    this.snapshot = data.slice();
    this.snapshots++;
  }

  async readJournal(): Promise<string> {
    return this.journal;
  }

  async appendJournal(text: string): Promise<void> {
    this.journal += text;
    this.appends++;
  }

  async resetJournal(): Promise<void> {
    this.journal = '';
  }

  async close(): Promise<void> {}

  /** Simulates the owning process dying: the lock becomes stale (free), stored data stays. */
  crash(): void {
    this.locked = false;
  }
}
