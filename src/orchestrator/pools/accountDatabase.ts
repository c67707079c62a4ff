/**
 * The account database: SQLite in memory (sql.js), made durable by a snapshot plus a journal.
 *
 * - Every mutation runs as one synchronous SQLite transaction. The statements it executed (with their bound
 *   parameters) are appended to the journal as one JSON line, and the promise resolves only once that line is
 *   fsync'd: an acknowledged operation survives kill -9 of the process right after it resolves. Concurrent
 *   mutations share an fsync (group commit).
 * - At open, the snapshot is loaded and the journal entries newer than it (`meta.journal_seq`) are replayed; a torn
 *   last line (a write cut short by a crash, never acknowledged) is dropped.
 * - The journal is compacted into a fresh snapshot (written atomically: temp file + rename) every `compactEvery`
 *   entries, at open when anything was replayed, and at close.
 * - `durability: 'snapshot'` instead writes the whole database before resolving each (group of) mutation(s); it is
 *   kept for comparison (see the report's figures) and for tiny databases.
 *
 * One process owns a database at a time (PoolStorage's lock). `readOnly` opens without the lock and refuses
 * mutations (listing pools while another process runs them).
 */
import type { Database, SqlValue } from 'sql.js';
import type { Logger } from '../../bot/ports';
import { nullLogger } from '../../bot/nodePorts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations';
import { PoolError } from './poolErrors';
import type { SqlParam } from './poolQuery';
import type { PoolStorage } from './poolStorage';
import { loadSqlJs } from './sqlWasm';

export type Row = Record<string, SqlValue>;

export interface SqlReader {
  all(sql: string, params?: readonly SqlParam[]): Row[];
  get(sql: string, params?: readonly SqlParam[]): Row | undefined;
}

export interface SqlWriter extends SqlReader {
  /** Executes a statement and records it for the journal; returns the number of rows changed. */
  run(sql: string, params?: readonly SqlParam[]): number;
}

export interface AccountDatabaseOptions {
  storage: PoolStorage;
  logger?: Logger;
  readOnly?: boolean;
  durability?: 'journal' | 'snapshot';
  /** Journal entries after which the journal is folded into a new snapshot (default 1000). */
  compactEvery?: number;
}

export interface DatabaseOpenReport {
  /** True when there was no database yet. */
  created: boolean;
  /** Journal entries applied on top of the snapshot. */
  replayed: number;
  /** True when a torn (unacknowledged) last journal line was dropped. */
  droppedTornTail: boolean;
  fromVersion: number;
  toVersion: number;
}

export interface DatabaseCounters {
  /** Sequence number of the last mutation. */
  seq: number;
  journalAppends: number;
  snapshotsWritten: number;
  journalEntriesSinceSnapshot: number;
}

interface JournalEntry {
  s: number;
  t: Array<[string, SqlParam[]]>;
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const PRAGMAS = 'PRAGMA foreign_keys = ON;';

export class AccountDatabase {
  private db: Database | undefined;
  private seq = 0;
  private pending: Pending[] = [];
  private writing: Promise<void> | undefined;
  private broken: PoolError | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  private counters = { journalAppends: 0, snapshotsWritten: 0, journalEntriesSinceSnapshot: 0 };
  private readonly logger: Logger;
  private readonly durability: 'journal' | 'snapshot';
  private readonly compactEvery: number;
  readonly readOnly: boolean;
  readonly storage: PoolStorage;
  openReport: DatabaseOpenReport = { created: false, replayed: 0, droppedTornTail: false, fromVersion: 0, toVersion: 0 };

  private constructor(opts: AccountDatabaseOptions) {
    this.storage = opts.storage;
    this.logger = opts.logger ?? nullLogger;
    this.readOnly = opts.readOnly ?? false;
    this.durability = opts.durability ?? 'journal';
    this.compactEvery = Math.max(1, opts.compactEvery ?? 1000);
  }

  /** Opens (creating, replaying and migrating as needed). Throws PoolError `db-locked`, `db-corrupt`, `db-newer-version`. */
  static async open(opts: AccountDatabaseOptions): Promise<AccountDatabase> {
    const d = new AccountDatabase(opts);
    if (!d.readOnly) {
      await d.storage.acquireLock();
    }
    try {
      // A read-only reader may catch the owner between writing a snapshot and emptying the journal: read again.
      for (let attempt = 1; ; attempt++) {
        try {
          await d.load();
          break;
        } catch (e) {
          if (!d.readOnly || attempt >= 3 || !(e instanceof PoolError && e.code === 'db-corrupt')) {
            throw e;
          }
          d.db?.close();
          d.db = undefined;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    } catch (e) {
      d.db?.close();
      d.db = undefined;
      await d.storage.close().catch(() => undefined);
      if (!d.readOnly) {
        await d.storage.releaseLock().catch(() => undefined);
      }
      throw e;
    }
    return d;
  }

  private async load(): Promise<void> {
    const SQL = await loadSqlJs();
    const snapshot = await this.storage.readSnapshot();
    const journal = await this.storage.readJournal();
    let db: Database;
    try {
      db = new SQL.Database(snapshot);
      db.exec(PRAGMAS);
    } catch (e) {
      throw new PoolError('db-corrupt', `${this.storage.location} is not an SQLite database: ${(e as Error).message}`);
    }
    this.db = db;
    let version: number;
    try {
      version = Number(db.exec('PRAGMA user_version')[0].values[0][0]);
      db.exec('SELECT count(*) FROM sqlite_master');
    } catch (e) {
      throw new PoolError('db-corrupt', `${this.storage.location} is not an SQLite database: ${(e as Error).message}`);
    }
    if (version > SCHEMA_VERSION) {
      throw new PoolError('db-newer-version', `${this.storage.location} has schema version ${version}; this version of Emulator Fleet knows up to ${SCHEMA_VERSION}`, {
        version,
      });
    }
    const entries = parseJournal(journal, this.storage.location);
    if (!snapshot && entries.entries.length) {
      throw new PoolError('db-corrupt', `${this.storage.location} is missing but its journal is not empty; restore the database file or delete the journal to start over`);
    }
    const fromVersion = version;
    let snapSeq = 0;
    if (version > 0) {
      const row = this.get(`SELECT value FROM meta WHERE key = 'journal_seq'`);
      snapSeq = row ? Number(row.value) : 0;
    }
    this.seq = snapSeq;
    let replayed = 0;
    for (const { entry, line } of entries.entries) {
      if (entry.s <= snapSeq) {
        continue;
      }
      if (entry.s !== this.seq + 1) {
        // Out of order, or a gap (a read-only reader that raced the owner's compaction sees one; it retries).
        throw new PoolError('db-corrupt', `journal line ${line} of ${this.storage.location}: sequence ${entry.s} follows ${this.seq}`);
      }
      try {
        db.exec('BEGIN');
        for (const [sql, params] of entry.t) {
          db.run(sql, params as SqlValue[]);
        }
        db.exec('COMMIT');
      } catch (e) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // already rolled back
        }
        throw new PoolError('db-corrupt', `journal line ${line} of ${this.storage.location} cannot be replayed: ${(e as Error).message}`);
      }
      this.seq = entry.s;
      replayed++;
    }
    version = this.migrate(version);
    this.openReport = { created: !snapshot, replayed, droppedTornTail: entries.tornTail, fromVersion, toVersion: version };
    if (replayed || entries.tornTail) {
      this.logger.log('info', `account database: replayed ${replayed} journal entries${entries.tornTail ? ' (dropped a torn last line)' : ''}`);
    }
    if (!this.readOnly && (!snapshot || replayed || entries.tornTail || version !== fromVersion || journal.length)) {
      await this.writeSnapshotNow();
    }
  }

  /** Applies pending migrations (in memory; a read-only database is never written back). */
  private migrate(version: number): number {
    const db = this.handle();
    for (const m of MIGRATIONS) {
      if (m.version <= version) {
        continue;
      }
      try {
        db.exec('BEGIN');
        for (const s of m.statements) {
          db.exec(s);
        }
        db.exec(`PRAGMA user_version = ${m.version}`);
        db.exec('COMMIT');
      } catch (e) {
        db.exec('ROLLBACK');
        throw new PoolError('db-corrupt', `migration ${m.version} (${m.description}) failed on ${this.storage.location}: ${(e as Error).message}`);
      }
      this.logger.log('info', `account database: migrated to schema version ${m.version} (${m.description})`);
      version = m.version;
    }
    return version;
  }

  private handle(): Database {
    if (!this.db) {
      throw new PoolError('db-closed', 'the account database is not open');
    }
    return this.db;
  }

  get isOpen(): boolean {
    return this.db !== undefined;
  }

  get counts(): DatabaseCounters {
    return { seq: this.seq, ...this.counters };
  }

  all(sql: string, params: readonly SqlParam[] = []): Row[] {
    const st = this.handle().prepare(sql);
    try {
      st.bind(params as SqlValue[]);
      const rows: Row[] = [];
      while (st.step()) {
        rows.push(st.getAsObject());
      }
      return rows;
    } finally {
      st.free();
    }
  }

  get(sql: string, params: readonly SqlParam[] = []): Row | undefined {
    return this.all(sql, params)[0];
  }

  /** Synchronous reads. */
  read<T>(fn: (q: SqlReader) => T): T {
    this.handle();
    return fn({ all: (s, p) => this.all(s, p), get: (s, p) => this.get(s, p) });
  }

  /**
   * Runs `fn` as one transaction (synchronously: no other operation interleaves) and resolves once the change is
   * durable. A throw rolls everything back and nothing is journaled.
   */
  async mutate<T>(fn: (tx: SqlWriter) => T): Promise<T> {
    const db = this.handle();
    if (this.readOnly) {
      throw new PoolError('read-only', 'the account database was opened read-only');
    }
    if (this.closing) {
      throw new PoolError('db-closed', 'the account database is closing');
    }
    if (this.broken) {
      throw this.broken;
    }
    const recorded: Array<[string, SqlParam[]]> = [];
    const tx: SqlWriter = {
      all: (s, p) => this.all(s, p),
      get: (s, p) => this.get(s, p),
      run: (sql, params = []) => {
        const clean = params.map(sqlSafe);
        db.run(sql, clean as SqlValue[]);
        recorded.push([sql, clean]);
        return db.getRowsModified();
      },
    };
    db.exec('BEGIN');
    let result: T;
    try {
      result = fn(tx);
      if (result && typeof (result as { then?: unknown }).then === 'function') {
        throw new Error('AccountDatabase.mutate: the transaction body must be synchronous');
      }
      db.exec('COMMIT');
    } catch (e) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // SQLite already rolled back (some errors end the transaction themselves)
      }
      throw e;
    }
    if (!recorded.length) {
      return result;
    }
    const seq = ++this.seq;
    await this.persist(`${JSON.stringify({ s: seq, t: recorded } satisfies JournalEntry)}\n`);
    return result;
  }

  private persist(line: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.kick();
    });
  }

  /** Starts the writer unless it runs; every write (journal batch or snapshot) goes through `writing`, one at a time. */
  private kick(): void {
    if (this.writing || !this.pending.length) {
      return;
    }
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      if (this.broken) {
        batch.forEach((p) => p.reject(this.broken));
        continue;
      }
      try {
        if (this.durability === 'snapshot') {
          await this.writeSnapshotNow();
        } else {
          await this.storage.appendJournal(batch.map((p) => p.line).join(''));
          this.counters.journalAppends++;
          this.counters.journalEntriesSinceSnapshot += batch.length;
        }
      } catch (e) {
        this.broken = new PoolError('storage-failed', `writing the account database ${this.storage.location} failed: ${(e as Error).message}`);
        this.logger.log('error', this.broken.message);
        batch.forEach((p) => p.reject(this.broken));
        continue;
      }
      batch.forEach((p) => p.resolve());
      if (this.durability === 'journal' && this.counters.journalEntriesSinceSnapshot >= this.compactEvery) {
        try {
          await this.writeSnapshotNow();
        } catch (e) {
          // The journal still holds everything; try again at the next threshold.
          this.logger.log('warn', `account database: compaction failed: ${(e as Error).message}`);
        }
      }
    }
  }

  /** Writes a snapshot of the current state and empties the journal. Only called with no write in flight. */
  private async writeSnapshotNow(): Promise<void> {
    const db = this.handle();
    db.run(`INSERT OR REPLACE INTO meta(key, value) VALUES ('journal_seq', ?)`, [String(this.seq)]);
    const data = db.export();
    db.exec(PRAGMAS); // export() reopens the connection
    await this.storage.writeSnapshot(data);
    this.counters.snapshotsWritten++;
    await this.storage.resetJournal();
    this.counters.journalEntriesSinceSnapshot = 0;
  }

  /** Resolves when every mutation so far is durable. */
  async flush(): Promise<void> {
    while (this.writing) {
      await this.writing.catch(() => undefined);
    }
  }

  /** Folds the journal into a new snapshot now. */
  async compact(): Promise<void> {
    if (this.readOnly) {
      return;
    }
    await this.flush();
    const run = this.writeSnapshotNow();
    this.writing = run
      .catch(() => undefined)
      .finally(() => {
        this.writing = undefined;
        this.kick();
      });
    await run;
  }

  /** Flushes, compacts, releases the lock and frees the database. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    if (!this.db) {
      return;
    }
    this.closing = true;
    try {
      await this.flush();
      if (!this.readOnly && !this.broken) {
        await this.compact();
      }
    } finally {
      this.db?.close();
      this.db = undefined;
      await this.storage.close().catch(() => undefined);
      if (!this.readOnly) {
        await this.storage.releaseLock();
      }
    }
  }
}

function sqlSafe(v: unknown): SqlParam {
  if (v === undefined || v === null) {
    return null;
  }
  if (typeof v === 'boolean') {
    return v ? 1 : 0;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      throw new PoolError('invalid-field', `cannot store the number ${v}`);
    }
    return v;
  }
  if (typeof v === 'string') {
    return v;
  }
  throw new PoolError('invalid-field', `cannot store a value of type ${typeof v}`);
}

function parseJournal(text: string, location: string): { entries: Array<{ entry: JournalEntry; line: number }>; tornTail: boolean } {
  const entries: Array<{ entry: JournalEntry; line: number }> = [];
  if (!text) {
    return { entries, tornTail: false };
  }
  const lines = text.split('\n');
  // A complete journal ends with '\n', so the last element is ''. Anything else there is a torn write.
  const last = lines.pop() ?? '';
  let tornTail = last.length > 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (!raw.trim()) {
      continue;
    }
    let entry: JournalEntry | undefined;
    try {
      const v = JSON.parse(raw) as JournalEntry;
      if (typeof v.s === 'number' && Array.isArray(v.t)) {
        entry = v;
      }
    } catch {
      entry = undefined;
    }
    if (!entry) {
      if (i === lines.length - 1 && !last) {
        // The very last line is damaged: treat it as the torn tail too.
        tornTail = true;
        continue;
      }
      throw new PoolError('db-corrupt', `journal line ${i + 1} of ${location} is damaged`);
    }
    entries.push({ entry, line: i + 1 });
  }
  return { entries, tornTail };
}
