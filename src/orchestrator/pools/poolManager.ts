/**
 * The account pools of a workspace: the account database (`.fleet/accounts.sqlite`, see accountDatabase.ts), the
 * pool definitions (`pools/*.yaml`, watched), per-bot AccountPorts with exclusive leases, imports and statistics.
 * One PoolManager per process (the orchestrator's); groups share it and get one port per bot.
 *
 * Start-up: `open()` takes the database lock, replays the journal, and reclaims every lease left by an earlier run
 * (no orchestration is alive yet). When the database does not exist yet and the workspace has
 * `pools/demo-accounts.json`, it is seeded from that file (the demo account set).
 */
import type { AccountFieldValue } from '../../bot/accounts';
import type { Clock, FileStore, Logger } from '../../shared/ports';
import { isYamlName, listWorkspaceFiles, readWorkspaceYaml } from '../../bot/workspaceFiles';
import type { Diagnostic } from '../../shared/geometry';
import { Emitter, type Disposable, type Event } from '../../shared/lifecycle';
import { AccountDatabase, type DatabaseOpenReport } from './accountDatabase';
import type { AccountRecord } from './accountFields';
import { applyImport, parseAccountsFile, type ImportFormat, type ImportReport } from './accountImport';
import { getAccount, reclaimLeases, rowToAccount, rowToLease, rowToRun, updateAccountFields, type LeaseOwner, type LeaseRecord, type RunRecord } from './leases';
import { DEFAULT_DB_PATH, NodePoolStorage } from './nodePoolStorage';
import { PoolAccountPort, type PortHost } from './poolAccountPort';
import { parsePoolDefinition, type PoolDefinition } from './poolDefinition';
import { diagnosticAt } from '../../shared/yamlSource';
import { PoolError } from './poolErrors';
import { poolMembersQuery, poolStatsQuery } from './poolQuery';
import type { PoolStorage } from './poolStorage';

/** Where the demo account set lives in a workspace; seeds a new database. */
export const DEMO_ACCOUNTS_FILE = 'pools/demo-accounts.json';
export const POOLS_DIR = 'pools';

export interface PoolManagerOptions {
  fileStore: FileStore;
  clock: Clock;
  logger: Logger;
  /** Database path relative to the workspace root (default `.fleet/accounts.sqlite`). */
  dbPath?: string;
  /** Folder of pool definitions (default `pools`). */
  poolsDir?: string;
  /** Storage to use instead of the workspace files (tests). */
  storage?: PoolStorage;
  /** `journal` (default): fsync'd journal + periodic snapshots. `snapshot`: a full snapshot before every acknowledgement. */
  durability?: 'journal' | 'snapshot';
  compactEvery?: number;
  /** Open without the lock and refuse changes (look at a database another process owns). */
  readOnly?: boolean;
  /** Seed a new database from `pools/demo-accounts.json` (default true). */
  autoSeed?: boolean;
  /**
   * Take the database lock over even when it names a live process or another host (the CLI's `--force-unlock`).
   * The takeover is logged as a warning and listed in the open report's `warnings`.
   */
  forceUnlock?: boolean;
}

/** Counts of a pool's accounts. The group card's "Pool: 45/100" is available/total. */
export interface PoolStats {
  available: number;
  total: number;
  inUse: number;
  /** Completed and not (yet) available again. */
  completed: number;
  failed: number;
  banned: number;
}

export interface PoolSummary {
  name: string;
  description?: string;
  file: string;
  stats: PoolStats;
}

export interface PoolsChangedEvent {
  pools: readonly PoolSummary[];
  /** Problems of the definition files (a file with errors defines no pool). */
  diagnostics: readonly Diagnostic[];
}

export interface PoolStatsChangedEvent {
  pool: string;
  stats: PoolStats;
}

export interface PoolOpenReport extends DatabaseOpenReport {
  /** Set when a new database was seeded from the demo account set. */
  seeded?: ImportReport;
  /** Accounts whose leases, left by an earlier run, were reclaimed. */
  reclaimed: string[];
}

/** One file of an import batch. */
export interface ImportInput {
  text: string;
  /** Names the file in diagnostics; its extension picks the format unless `format` is given. */
  file: string;
  format?: ImportFormat;
}

export interface LoadDefinitionsResult {
  pools: PoolDefinition[];
  diagnostics: Diagnostic[];
}

/** Which leases `releaseAll` ends; every given field must match. */
export interface LeaseFilter {
  orchestrationId?: string;
  group?: string;
  bot?: string;
  pool?: string;
}

const EMPTY_STATS: PoolStats = { available: 0, total: 0, inUse: 0, completed: 0, failed: 0, banned: 0 };

export class PoolManager implements Disposable {
  private db: AccountDatabase | undefined;
  private definitions = new Map<string, PoolDefinition>();
  private definitionDiagnostics: Diagnostic[] = [];
  private watcher: { dispose(): void } | undefined;
  private reloading: Promise<LoadDefinitionsResult> | undefined;
  private reloadAgain = false;
  private opening: Promise<void> | undefined;
  private readonly ports = new Set<PoolAccountPort>();
  private readonly lastStats = new Map<string, string>();
  private readonly fileStore: FileStore;
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly poolsDir: string;
  readonly dbPath: string;
  private readonly portHost: PortHost;

  private readonly _onDidChangePools = new Emitter<PoolsChangedEvent>();
  /** Pool definitions were (re)loaded. */
  readonly onDidChangePools: Event<PoolsChangedEvent> = this._onDidChangePools.event;
  private readonly _onDidChangePoolStats = new Emitter<PoolStatsChangedEvent>();
  /** A pool's counts changed (after a checkout, completion, import...). */
  readonly onDidChangePoolStats: Event<PoolStatsChangedEvent> = this._onDidChangePoolStats.event;

  constructor(private readonly options: PoolManagerOptions) {
    this.fileStore = options.fileStore;
    this.clock = options.clock;
    this.logger = options.logger;
    this.poolsDir = options.poolsDir ?? POOLS_DIR;
    this.dbPath = options.dbPath ?? DEFAULT_DB_PATH;
    this.portHost = {
      clock: options.clock,
      logger: options.logger,
      database: () => this.database(),
      requireDefinition: (n) => this.requireDefinition(n),
      definition: (n) => this.definition(n),
      changed: () => this.changed(),
      portDisposed: (p) => this.ports.delete(p),
    };
  }

  get isOpen(): boolean {
    return this.db?.isOpen ?? false;
  }

  get readOnly(): boolean {
    return this.options.readOnly ?? false;
  }

  /** The database (open). */
  database(): AccountDatabase {
    if (!this.db || !this.db.isOpen) {
      throw new PoolError('db-closed', 'the account pools are not open');
    }
    return this.db;
  }

  /**
   * Opens the database unless it is open or opening (callers share one open): how a host that opens the pools
   * lazily opens them on first use. A failed open can be tried again.
   */
  ensureOpen(): Promise<void> {
    this.opening ??= this.open().then(
      () => undefined,
      (e: unknown) => {
        this.opening = undefined;
        throw e;
      },
    );
    return this.opening;
  }

  /** Opens the database; seeds a new one from the demo set; reclaims leases left by earlier runs. */
  async open(): Promise<PoolOpenReport> {
    if (this.db) {
      throw new PoolError('db-locked', 'this PoolManager is already open');
    }
    const storage = this.options.storage ?? new NodePoolStorage(this.fileStore, this.dbPath);
    this.db = await AccountDatabase.open({
      storage,
      logger: this.logger,
      readOnly: this.options.readOnly,
      durability: this.options.durability,
      compactEvery: this.options.compactEvery,
      forceUnlock: this.options.forceUnlock,
    });
    const report: PoolOpenReport = { ...this.db.openReport, reclaimed: [] };
    if (!this.readOnly) {
      if (report.created && (this.options.autoSeed ?? true) && (await this.fileStore.stat(DEMO_ACCOUNTS_FILE))?.isFile) {
        const [seeded] = await this.import(DEMO_ACCOUNTS_FILE);
        report.seeded = seeded;
        this.logger.log('info', `account database created and seeded from ${DEMO_ACCOUNTS_FILE}: ${seeded.imported} accounts`);
      }
      report.reclaimed = await this.reclaimStale();
      if (report.reclaimed.length) {
        this.logger.log('info', `reclaimed ${report.reclaimed.length} leases left by an earlier run`);
      }
    }
    // The counts are known now: listeners get them.
    this.changed();
    return report;
  }

  /** Stops heartbeats and file watching, makes everything durable, compacts and releases the lock. */
  async close(): Promise<void> {
    this.watcher?.dispose();
    this.watcher = undefined;
    for (const p of [...this.ports]) {
      p.dispose();
    }
    const db = this.db;
    this.db = undefined;
    await db?.close();
  }

  /** Closes in the background (prefer `await close()`). */
  dispose(): void {
    void this.close().catch((e: unknown) => this.logger.log('error', `closing the account pools failed: ${(e as Error).message}`));
    this._onDidChangePools.dispose();
    this._onDidChangePoolStats.dispose();
  }

  // ---- definitions ----

  /** Loads every `pools/*.yaml`; with `watch` (default true) reloads on changes and fires onDidChangePools. */
  async loadDefinitions(options: { watch?: boolean } = {}): Promise<LoadDefinitionsResult> {
    const result = await this.reloadDefinitions();
    if ((options.watch ?? true) && !this.watcher) {
      this.watcher = this.fileStore.watch(
        this.poolsDir,
        (paths) => {
          // [] means anything may have changed (the watch was re-established).
          if (paths.length === 0 || paths.some((p) => /\.ya?ml$/i.test(p))) {
            void this.reloadDefinitions().catch((e: unknown) => this.logger.log('error', `reloading pool definitions failed: ${(e as Error).message}`));
          }
        },
        (e) => this.logger.log('warn', `live reload of pool definitions: ${e.message}`),
      );
    }
    return result;
  }

  private reloadDefinitions(): Promise<LoadDefinitionsResult> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      let r: LoadDefinitionsResult;
      do {
        this.reloadAgain = false;
        r = await this.readDefinitions();
      } while (this.reloadAgain);
      return r;
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async readDefinitions(): Promise<LoadDefinitionsResult> {
    const listing = await listWorkspaceFiles(this.fileStore, this.poolsDir, { include: isYamlName });
    const defs = new Map<string, PoolDefinition>();
    const diagnostics: Diagnostic[] = [...listing.diagnostics];
    for (const file of listing.files) {
      const read = await readWorkspaceYaml(this.fileStore, file);
      if ('missing' in read) {
        continue;
      }
      if ('diagnostic' in read) {
        diagnostics.push(read.diagnostic);
        continue;
      }
      const r = parsePoolDefinition(read.text, file);
      diagnostics.push(...r.diagnostics);
      if (!r.value) {
        continue;
      }
      const other = defs.get(r.value.name);
      if (other && r.parsed) {
        diagnostics.push(diagnosticAt(r.parsed, ['name'], `pool '${r.value.name}' is already defined in ${other.file}`, 'duplicate-pool'));
        continue;
      }
      defs.set(r.value.name, r.value);
    }
    this.definitions = defs;
    this.definitionDiagnostics = diagnostics;
    this._onDidChangePools.fire({ pools: this.isOpen ? this.listPools() : [...defs.values()].map((d) => summary(d, EMPTY_STATS)), diagnostics: [...diagnostics] });
    this.changed();
    return { pools: [...defs.values()], diagnostics };
  }

  /** Problems found the last time the definitions were loaded. */
  get diagnostics(): readonly Diagnostic[] {
    return this.definitionDiagnostics;
  }

  /** Replaces or adds a definition in memory (tests, or definitions that do not come from files). */
  setDefinition(def: PoolDefinition): void {
    this.definitions.set(def.name, def);
    this.changed();
  }

  definition(name: string): PoolDefinition | undefined {
    return this.definitions.get(name);
  }

  requireDefinition(name: string): PoolDefinition {
    const d = this.definitions.get(name);
    if (!d) {
      throw new PoolError('unknown-pool', `there is no account pool named '${name}'${this.definitions.size ? ` (pools: ${[...this.definitions.keys()].join(', ')})` : ''}`, {
        pool: name,
      });
    }
    return d;
  }

  /** The names of the pools defined now (with or without an open database). */
  poolNames(): string[] {
    return [...this.definitions.keys()];
  }

  getPool(name: string): PoolDefinition | undefined {
    return this.definition(name);
  }

  listPools(): PoolSummary[] {
    return [...this.definitions.values()].sort((a, b) => a.name.localeCompare(b.name)).map((d) => summary(d, this.computeStats(d)));
  }

  stats(name: string): PoolStats {
    return this.computeStats(this.requireDefinition(name));
  }

  private computeStats(def: PoolDefinition): PoolStats {
    const q = poolStatsQuery(def, this.clock.wallNow());
    const r = this.database().get(q.sql, q.params) ?? {};
    return {
      available: Number(r.available ?? 0),
      total: Number(r.total ?? 0),
      inUse: Number(r.in_use ?? 0),
      completed: Number(r.completed ?? 0),
      failed: Number(r.failed ?? 0),
      banned: Number(r.banned ?? 0),
    };
  }

  /** A pool's accounts in hand-out order (available first). */
  poolAccounts(name: string, limit = 10): AccountRecord[] {
    const q = poolMembersQuery(this.requireDefinition(name), this.clock.wallNow(), limit);
    return this.database()
      .all(q.sql, q.params)
      .map((r) => rowToAccount(r));
  }

  // ---- ports and leases ----

  /** The AccountPort of one bot: leases from `poolName` for `owner`. Dispose it when the bot stops. */
  accountPort(poolName: string, owner: LeaseOwner): PoolAccountPort {
    this.requireDefinition(poolName);
    this.database();
    const port = new PoolAccountPort(this.portHost, poolName, { ...owner });
    this.ports.add(port);
    return port;
  }

  /** Orchestration ids with at least one live port. */
  liveOrchestrations(): Set<string> {
    return new Set([...this.ports].map((p) => p.owner.orchestrationId));
  }

  /**
   * Reclaims leases of crashed runs: expired ones, and those whose orchestration has no live port in this manager
   * (this process owns the database, so nobody else can be using them). Returns the account ids.
   */
  async reclaimStale(): Promise<string[]> {
    const live = this.liveOrchestrations();
    const now = this.clock.wallNow();
    const iso = now.toISOString();
    const expired = await this.database().mutate((tx) => reclaimLeases(tx, now, (l) => l.expiresAt <= iso, 'expired', 'lease expired'));
    const orphaned = await this.database().mutate((tx) => reclaimLeases(tx, now, (l) => !live.has(l.orchestrationId), 'reclaimed', 'orchestration is not running'));
    const all = [...expired, ...orphaned];
    if (all.length) {
      for (const p of this.ports) {
        p.dropHeld(all);
      }
      this.changed();
    }
    return all;
  }

  /** Ends the matching leases (a group stop releases its own); the accounts go back to their pools. */
  async releaseAll(filter: LeaseFilter, reason = 'group stopped'): Promise<string[]> {
    const match = (l: LeaseRecord) =>
      (filter.orchestrationId === undefined || l.orchestrationId === filter.orchestrationId) &&
      (filter.group === undefined || l.group === filter.group) &&
      (filter.bot === undefined || l.bot === filter.bot) &&
      (filter.pool === undefined || l.pool === filter.pool);
    const ids = await this.database().mutate((tx) => reclaimLeases(tx, this.clock.wallNow(), match, 'released', reason));
    if (ids.length) {
      for (const p of this.ports) {
        p.dropHeld(ids);
      }
      this.changed();
    }
    return ids;
  }

  listLeases(): LeaseRecord[] {
    return this.database()
      .all('SELECT * FROM leases ORDER BY acquired_at, account_id')
      .map((r) => rowToLease(r));
  }

  /** The run history, newest first. */
  history(filter: { accountId?: string; limit?: number } = {}): RunRecord[] {
    const limit = filter.limit ?? 1000;
    const rows = filter.accountId
      ? this.database().all('SELECT * FROM runs WHERE account_id = ? ORDER BY id DESC LIMIT ?', [filter.accountId, limit])
      : this.database().all('SELECT * FROM runs ORDER BY id DESC LIMIT ?', [limit]);
    return rows.map((r) => rowToRun(r));
  }

  getAccount(id: string): AccountRecord | undefined {
    return getAccount(this.database(), id);
  }

  /** Sets account fields outside any lease (administration); same rules as AccountPort.update. */
  async updateAccount(id: string, fields: Record<string, AccountFieldValue>): Promise<void> {
    await this.database().mutate((tx) => updateAccountFields(tx, id, fields, this.clock.wallNow()));
    this.changed();
  }

  // ---- imports ----

  /**
   * Imports a workspace file, or every .xml/.csv/.json file of a workspace folder, as one batch (see `importBatch`).
   */
  async import(path: string): Promise<ImportReport[]> {
    const st = await this.fileStore.stat(path);
    if (!st) {
      throw new PoolError('import-failed', `${path} does not exist`, { file: path });
    }
    const files = st.isDirectory
      ? (await this.fileStore.list(path)).filter((n) => /\.(xml|csv|json)$/i.test(n) && !n.startsWith('.')).map((n) => `${path.replace(/\/+$/, '')}/${n}`)
      : [path];
    const batch: ImportInput[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = await this.fileStore.readText(f);
      } catch (e) {
        throw new PoolError('import-failed', `cannot read ${f}: ${(e as Error).message}; nothing was imported`, { file: f });
      }
      batch.push({ text, file: f });
    }
    return this.importBatch(batch);
  }

  /** Imports accounts from the text of a file; `file` names it in diagnostics and picks the format by extension. */
  async importText(text: string, file: string, format?: ImportFormat): Promise<ImportReport> {
    const [report] = await this.importBatch([{ text, file, format }]);
    return report;
  }

  /**
   * Imports several files as one batch: every file is parsed first, then all their good rows are written in one
   * transaction, so a batch is imported completely or (on a storage failure) not at all. Rows with errors are
   * skipped and reported with file, line and column, one report per file; they never stop the other rows.
   */
  async importBatch(files: readonly ImportInput[]): Promise<ImportReport[]> {
    const parsed = files.map((f) => ({ file: f.file, parsed: parseAccountsFile(f.text, f.file, f.format) }));
    const reports = await this.database().mutate((tx) => parsed.map((p) => applyImport(tx, p.parsed, p.file, this.clock.wallNow())));
    this.changed();
    return reports;
  }

  // ---- events ----

  private changed(): void {
    if (!this._onDidChangePoolStats.hasListeners || !this.isOpen) {
      return;
    }
    for (const def of this.definitions.values()) {
      const stats = this.computeStats(def);
      const key = JSON.stringify(stats);
      if (this.lastStats.get(def.name) !== key) {
        this.lastStats.set(def.name, key);
        this._onDidChangePoolStats.fire({ pool: def.name, stats });
      }
    }
  }
}

function summary(d: PoolDefinition, stats: PoolStats): PoolSummary {
  return { name: d.name, description: d.description, file: d.file, stats };
}
