/**
 * The account database: SQLite in memory (sql.js), made durable by a snapshot plus a journal.
 *
 * - Every mutation runs as one synchronous SQLite transaction. The statements it executed (with their bound
 *   parameters) are appended to the journal as one checksummed line (journalFormat.ts), and the promise resolves
 *   only once that line is fsync'd: an acknowledged operation survives kill -9 of the process right after it
 *   resolves. Concurrent mutations share an fsync (group commit).
 * - At open, the snapshot is loaded and checked (`PRAGMA integrity_check`), then the journal entries newer than it
 *   (`meta.journal_seq`) are replayed. Only a final fragment without its newline (a write cut short by a crash,
 *   never acknowledged) is dropped, with a warning, and its bytes are kept in a file beside the journal. Any other
 *   damage (a bad checksum, a missing record) refuses the open with the journal's name, the line and how to recover:
 *   an acknowledged record is never dropped silently. An empty database file is damage too, never a new database.
 * - The journal is compacted into a fresh snapshot (written atomically: temp file + rename) every `compactEvery`
 *   entries, at open when anything was replayed, and at close.
 * - `durability: 'snapshot'` instead writes the whole database before resolving each (group of) mutation(s); it is
 *   kept for comparison (see the report's figures) and for tiny databases.
 * - The first storage failure (a journal or snapshot write that fails, damage SQLite finds while running) stops the
 *   database: that operation and every later change reject with PoolError `storage-failed` (or `db-corrupt`), so
 *   nothing goes on with state that is not durable.
 *
 * One process owns a database at a time (PoolStorage's lock). `readOnly` opens without the lock and refuses
 * mutations (listing pools while another process runs them).
 */
import type { Database, SqlValue } from 'sql.js';
import type { Logger } from '../../shared/ports';
import { nullLogger } from '../../shared/loggers';
import { encodeJournalEntry, parseJournal, type JournalEntry, type ParsedJournal } from './journalFormat';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations';
import { isPoolError, PoolError } from './poolErrors';
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
  /** Take the lock over even from a live process or another host (reported as a warning). */
  forceUnlock?: boolean;
}

export interface DatabaseOpenReport {
  /** True when there was no database yet. */
  created: boolean;
  /** Journal entries applied on top of the snapshot. */
  replayed: number;
  /** True when a torn (unacknowledged) last journal fragment was dropped. */
  droppedTornTail: boolean;
  /** Where the dropped bytes were kept (as shown in messages). */
  setAside?: string;
  /** True when the journal was written by an earlier version without checksums (read-write: now folded in). */
  legacyJournal: boolean;
  /** Temporary snapshot files of an interrupted write that were removed. */
  removedTempFiles: string[];
  /** Things the user should know about (also logged as warnings). */
  warnings: string[];
  /** Time spent in SQLite's integrity check. */
  integrityCheckMs: number;
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

interface Pending {
  line: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const PRAGMAS = 'PRAGMA foreign_keys = ON;';
/** The first 16 bytes of every SQLite database file: `SQLite format 3\0`. */
const SQLITE_MAGIC = [...'SQLite format 3'].map((c) => c.charCodeAt(0)).concat(0);

/** SQLite's words for a damaged database file. */
const CORRUPT_SQLITE = /malformed|not a database|corrupt/i;
/** SQLite's words for storage that fails underneath it. */
const FAILED_SQLITE = /disk is full|disk I\/O error|out of memory|unable to open/i;

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
  private readonly forceUnlock: boolean;
  readonly readOnly: boolean;
  readonly storage: PoolStorage;
  openReport: DatabaseOpenReport = emptyReport();

  private constructor(opts: AccountDatabaseOptions) {
    this.storage = opts.storage;
    this.logger = opts.logger ?? nullLogger;
    this.readOnly = opts.readOnly ?? false;
    this.durability = opts.durability ?? 'journal';
    this.compactEvery = Math.max(1, opts.compactEvery ?? 1000);
    this.forceUnlock = opts.forceUnlock ?? false;
  }

  /**
   * Opens (creating, replaying and migrating as needed). Throws PoolError `db-locked`, `db-corrupt`,
   * `db-newer-version` or `storage-failed`.
   */
  static async open(opts: AccountDatabaseOptions): Promise<AccountDatabase> {
    const d = new AccountDatabase(opts);
    const warnings: string[] = [];
    let removedTempFiles: string[] = [];
    if (!d.readOnly) {
      warnings.push(...(await d.storage.acquireLock({ force: d.forceUnlock })));
      for (const w of warnings) {
        d.logger.log('warn', w);
      }
    }
    try {
      if (!d.readOnly) {
        removedTempFiles = await d.storage.cleanTemp();
        if (removedTempFiles.length) {
          d.logger.log('info', `account database: removed ${removedTempFiles.length} temporary file(s) left by an interrupted write: ${removedTempFiles.join(', ')}`);
        }
      }
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
    d.openReport.warnings.unshift(...warnings);
    d.openReport.removedTempFiles = removedTempFiles;
    return d;
  }

  private async load(): Promise<void> {
    const SQL = await loadSqlJs();
    const snapshot = await this.storage.readSnapshot();
    const journal = await this.storage.readJournal();
    const where = this.storage.location;
    if (snapshot && snapshot.length === 0) {
      throw new PoolError(
        'db-corrupt',
        `the account database ${where} is empty (0 bytes): it was damaged (a database is never written empty), and starting over would lose every account and its history. Restore ${where} from a backup; or, to start with a new database, delete ${where} and ${this.storage.journalLocation}.`,
        { file: where },
      );
    }
    if (snapshot && (snapshot.length < 100 || SQLITE_MAGIC.some((b, i) => snapshot[i] !== b))) {
      throw corruptError(this.storage, 'it is not an SQLite database file');
    }
    let db: Database;
    try {
      db = new SQL.Database(snapshot);
      db.exec(PRAGMAS);
    } catch (e) {
      throw corruptError(this.storage, `SQLite cannot open it: ${(e as Error).message}`);
    }
    this.db = db;
    let version: number;
    let integrityCheckMs = 0;
    try {
      version = Number(db.exec('PRAGMA user_version')[0].values[0][0]);
      if (snapshot) {
        const t0 = performance.now();
        const problems = db
          .exec('PRAGMA integrity_check(5)')
          .flatMap((r) => r.values.map((v) => String(v[0])))
          .filter((m) => m !== 'ok');
        integrityCheckMs = performance.now() - t0;
        if (problems.length) {
          throw corruptError(this.storage, `SQLite's integrity check reports: ${summarize(problems)}`);
        }
      }
    } catch (e) {
      if (isPoolError(e)) {
        throw e;
      }
      throw corruptError(this.storage, `SQLite reports: ${(e as Error).message}`);
    }
    if (version > SCHEMA_VERSION) {
      throw new PoolError('db-newer-version', `${where} has schema version ${version}; this version of Emulator Fleet knows up to ${SCHEMA_VERSION}`, {
        version,
      });
    }
    const parsed = parseJournal(journal);
    if (parsed.damaged.length) {
      throw damagedJournalError(this.storage, parsed, parsed.damaged[0].line, parsed.damaged[0].reason);
    }
    if (!snapshot && parsed.records.length) {
      throw new PoolError(
        'db-corrupt',
        `the account database ${where} is missing but its journal ${this.storage.journalLocation} is not empty: restore ${where} from a backup, or delete ${this.storage.journalLocation} to start over with a new database`,
        { file: where, journal: this.storage.journalLocation },
      );
    }
    const fromVersion = version;
    let snapSeq = 0;
    if (version > 0) {
      const row = this.get(`SELECT value FROM meta WHERE key = 'journal_seq'`);
      snapSeq = row ? Number(row.value) : 0;
    }
    this.seq = snapSeq;
    let replayed = 0;
    for (const { entry, line } of parsed.records) {
      if (entry.s <= snapSeq) {
        continue;
      }
      if (entry.s !== this.seq + 1) {
        // A gap (a read-only reader that raced the owner's compaction sees one; it retries) or records out of order.
        throw damagedJournalError(
          this.storage,
          parsed,
          line,
          entry.s > this.seq + 1 ? `record ${entry.s} follows record ${this.seq}: ${entry.s - this.seq - 1} record(s) are missing before it` : `record ${entry.s} is out of order after record ${this.seq}`,
        );
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
        throw damagedJournalError(this.storage, parsed, line, `SQLite cannot apply it: ${(e as Error).message}`);
      }
      this.seq = entry.s;
      replayed++;
    }
    version = this.migrate(version);
    const report: DatabaseOpenReport = {
      ...emptyReport(),
      created: !snapshot,
      replayed,
      droppedTornTail: parsed.torn !== undefined,
      legacyJournal: parsed.legacy,
      integrityCheckMs,
      fromVersion,
      toVersion: version,
    };
    if (parsed.torn && !this.readOnly) {
      // (A read-only reader sees the owner's write in flight: nothing to report.)
      let aside: string;
      try {
        aside = await this.storage.setAside(parsed.torn.bytes);
      } catch (e) {
        throw storageError(e, `keeping the incomplete end of the journal ${this.storage.journalLocation} aside`);
      }
      report.setAside = aside;
      const w =
        `the journal ${this.storage.journalLocation} ended with an incomplete record (line ${parsed.torn.line}, ${parsed.torn.bytes.length} bytes), as a crash in the middle of a write leaves it; ` +
        `it was never acknowledged, so it was dropped. Its bytes are kept in ${aside} (delete that file when you no longer need it). ` +
        `If the journal was cut short some other way (a copy, a full disk), the records after that point are lost: restore the journal from a backup instead.`;
      report.warnings.push(w);
      this.logger.log('warn', w);
    }
    if (replayed) {
      this.logger.log('info', `account database: replayed ${replayed} journal entries`);
    }
    if (parsed.legacy && !this.readOnly) {
      this.logger.log('info', `account database: the journal ${this.storage.journalLocation} was written by an earlier version (without checksums); it is folded into the database now`);
    }
    this.openReport = report;
    if (!this.readOnly && (!snapshot || replayed || parsed.torn || version !== fromVersion || journal.length)) {
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

  /** The storage failure that stopped the database (every change is refused since), if any. */
  get failure(): PoolError | undefined {
    return this.broken;
  }

  get counts(): DatabaseCounters {
    return { seq: this.seq, ...this.counters };
  }

  all(sql: string, params: readonly SqlParam[] = []): Row[] {
    const db = this.handle();
    try {
      const st = db.prepare(sql);
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
    } catch (e) {
      throw this.sqliteFailure(e);
    }
  }

  get(sql: string, params: readonly SqlParam[] = []): Row | undefined {
    return this.all(sql, params)[0];
  }

  /**
   * A storage failure hidden in an SQLite error (a damaged page met while running, memory or I/O failing) becomes
   * the database's failure: PoolError `db-corrupt` or `storage-failed`, and no change is accepted any more. Other
   * errors (a constraint a statement broke) are returned as they are.
   */
  private sqliteFailure(e: unknown): unknown {
    if (isPoolError(e) || !(e instanceof Error)) {
      return e;
    }
    if (CORRUPT_SQLITE.test(e.message)) {
      this.broken ??= corruptError(this.storage, `SQLite reports: ${e.message}`);
    } else if (FAILED_SQLITE.test(e.message)) {
      this.broken ??= new PoolError('storage-failed', `the account database ${this.storage.location} failed: SQLite reports: ${e.message}. No change is accepted any more: stop, and start again.`, {
        file: this.storage.location,
      });
    } else {
      return e;
    }
    this.logger.log('error', this.broken.message);
    return this.broken;
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
        try {
          db.run(sql, clean as SqlValue[]);
        } catch (e) {
          throw this.sqliteFailure(e);
        }
        recorded.push([sql, clean]);
        return db.getRowsModified();
      },
    };
    let result: T;
    try {
      db.exec('BEGIN');
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
      throw this.sqliteFailure(e);
    }
    if (!recorded.length) {
      return result;
    }
    const seq = ++this.seq;
    await this.persist(encodeJournalEntry({ s: seq, t: recorded } satisfies JournalEntry));
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
          try {
            await this.storage.appendJournal(batch.map((p) => p.line).join(''));
          } catch (e) {
            throw storageError(e, `writing the journal ${this.storage.journalLocation}`);
          }
          this.counters.journalAppends++;
          this.counters.journalEntriesSinceSnapshot += batch.length;
        }
      } catch (e) {
        this.broken = isPoolError(e) ? e : storageError(e, `writing the account database ${this.storage.location}`);
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
          const cause = isPoolError(e) && typeof e.details.cause === 'string' ? e.details.cause : (e as Error).message;
          this.logger.log(
            'warn',
            `account database: folding the journal into ${this.storage.location} failed (${cause}); nothing is lost (the journal ${this.storage.journalLocation} holds every change), trying again after ${this.compactEvery} more changes`,
          );
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
    try {
      await this.storage.writeSnapshot(data);
    } catch (e) {
      throw storageError(e, `writing the account database ${this.storage.location}`);
    }
    this.counters.snapshotsWritten++;
    try {
      await this.storage.resetJournal();
    } catch (e) {
      throw storageError(e, `emptying the journal ${this.storage.journalLocation}`);
    }
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

function emptyReport(): DatabaseOpenReport {
  return { created: false, replayed: 0, droppedTornTail: false, legacyJournal: false, removedTempFiles: [], warnings: [], integrityCheckMs: 0, fromVersion: 0, toVersion: 0 };
}

function summarize(problems: readonly string[]): string {
  const first = problems[0].split('\n').filter((l) => l && !l.startsWith('***'));
  const text = first.slice(0, 2).join('; ');
  return problems.length > 1 || first.length > 2 ? `${text}; ...` : text;
}

/** The error for a damaged database file, with what to do about it. */
function corruptError(storage: PoolStorage, detail: string): PoolError {
  const db = storage.location;
  return new PoolError(
    'db-corrupt',
    `the account database ${db} is damaged (${detail}). Nothing was changed. Restore ${db} from a backup; or, to start over with a new database, move ${db} and ${storage.journalLocation} aside and import your accounts again.`,
    { file: db },
  );
}

/** The error for a journal that cannot be replayed safely: names the journal and the line, and how to recover. */
function damagedJournalError(storage: PoolStorage, parsed: ParsedJournal, line: number, reason: string): PoolError {
  const j = storage.journalLocation;
  const total = parsed.lines + (parsed.torn ? 1 : 0);
  const after = Math.max(0, total - line);
  const keep = line - 1;
  const recovery =
    keep > 0
      ? `To recover: restore ${j} from a backup; or keep its intact part: move ${j} aside (for example to ${j}.damaged) and write a new ${j} holding only its first ${keep} line(s) (on Linux or macOS: head -n ${keep} ${j}.damaged > ${j}); the changes of line ${line} and after are then lost.`
      : `To recover: restore ${j} from a backup; or move ${j} aside (for example to ${j}.damaged): the database then opens as it was at its last snapshot, and the changes in the journal are lost.`;
  return new PoolError(
    'db-corrupt',
    `the journal ${j} is damaged at line ${line}: ${reason}. ${after ? `It and the ${after} line(s) after it hold` : 'It holds'} changes that were acknowledged, so the account database ${storage.location} is not opened (nothing was changed). ${recovery}`,
    { journal: j, line },
  );
}

/** A failed storage operation as PoolError `storage-failed`, saying what failed and what to do. */
export function storageError(e: unknown, what: string): PoolError {
  if (isPoolError(e)) {
    return e;
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  const hint =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full: free some space'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied: check who owns the file and its folder'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : 'check the disk and the file';
  return new PoolError('storage-failed', `${what} failed (${msg}): ${hint}. No change is accepted any more (the changes acknowledged before are safe in the journal): stop, fix this, and start again.`, {
    code,
    cause: msg,
  });
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
