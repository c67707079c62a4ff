/**
 * Where the account database lives: an exclusive lock, a snapshot (the SQLite file) and an append-only journal of
 * the operations since that snapshot. `NodePoolStorage` keeps them in the workspace; `MemoryPoolStorage` in memory
 * (unit tests; it can simulate a crash and storage failures).
 */
import { PoolError } from './poolErrors';

export interface LockOptions {
  /**
   * Take the lock over even when it names a live process or another host (the CLI's `--force-unlock`). The
   * takeover is reported as a warning.
   */
  force?: boolean;
}

export interface PoolStorage {
  /** The database file as shown in messages (workspace-relative where possible). */
  readonly location: string;
  /** The journal file as shown in messages. */
  readonly journalLocation: string;
  /**
   * Takes the single-owner lock; throws PoolError `db-locked` when a live process holds it. Returns warnings about
   * locks it took over (stale ones it could not be sure of, or forced ones).
   */
  acquireLock(options?: LockOptions): Promise<string[]>;
  releaseLock(): Promise<void>;
  /** The last snapshot (an SQLite database file), or undefined when there is none. */
  readSnapshot(): Promise<Uint8Array | undefined>;
  /** Replaces the snapshot atomically (a reader sees the old or the new file, never a mix). */
  writeSnapshot(data: Uint8Array): Promise<void>;
  /** The journal's bytes (empty when there is none). */
  readJournal(): Promise<Uint8Array>;
  /** Appends to the journal; resolves once the text is on stable storage (fsync). */
  appendJournal(text: string): Promise<void>;
  /** Empties the journal durably. */
  resetJournal(): Promise<void>;
  /**
   * Keeps bytes dropped from the journal in a new file beside it (`<journal>.dropped-<time>`), durably; returns
   * that file as shown in messages.
   */
  setAside(data: Uint8Array): Promise<string>;
  /** Removes temporary files that an interrupted snapshot write left behind; returns their names. Lock held. */
  cleanTemp(): Promise<string[]>;
  /** Releases file handles (not the lock). */
  close(): Promise<void>;
}

/** In-memory storage for unit tests. Every call is durable at once; `crash()` leaves a stale lock as a killed owner would. */
export class MemoryPoolStorage implements PoolStorage {
  readonly location = 'memory database';
  readonly journalLocation = 'memory journal';
  snapshot: Uint8Array | undefined;
  journal = '';
  locked = false;
  appends = 0;
  snapshots = 0;
  /** Files written by setAside, by name. */
  readonly aside = new Map<string, Uint8Array>();
  /** Temp files "left by a crash" (names); cleanTemp removes them. */
  tempFiles: string[] = [];
  /** When set, appendJournal fails with it (the journal is left unchanged). */
  failAppend: Error | undefined;
  /** When set, writeSnapshot fails with it. */
  failSnapshot: Error | undefined;

  async acquireLock(options: LockOptions = {}): Promise<string[]> {
    if (this.locked && !options.force) {
      throw new PoolError('db-locked', 'the in-memory account database is already open', {});
    }
    const forced = this.locked;
    this.locked = true;
    return forced ? ['forced: took over the lock of the in-memory account database'] : [];
  }

  async releaseLock(): Promise<void> {
    this.locked = false;
  }

  async readSnapshot(): Promise<Uint8Array | undefined> {
    return this.snapshot ? this.snapshot.slice() : undefined;
  }

  async writeSnapshot(data: Uint8Array): Promise<void> {
    if (this.failSnapshot) {
      throw this.failSnapshot;
    }
    this.snapshot = data.slice();
    this.snapshots++;
  }

  async readJournal(): Promise<Uint8Array> {
    return new TextEncoder().encode(this.journal);
  }

  async appendJournal(text: string): Promise<void> {
    if (this.failAppend) {
      throw this.failAppend;
    }
    this.journal += text;
    this.appends++;
  }

  async resetJournal(): Promise<void> {
    this.journal = '';
  }

  async setAside(data: Uint8Array): Promise<string> {
    const name = `memory journal.dropped-${this.aside.size + 1}`;
    this.aside.set(name, data.slice());
    return name;
  }

  async cleanTemp(): Promise<string[]> {
    const removed = this.tempFiles;
    this.tempFiles = [];
    return removed;
  }

  async close(): Promise<void> {}

  /** Simulates the owning process dying: the lock becomes stale (free), stored data stays. */
  crash(): void {
    this.locked = false;
  }
}

/** An Error with a Node-style `code` (tests simulate ENOSPC and the like). */
export function ioError(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  e.code = code;
  return e;
}
