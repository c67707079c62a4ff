/**
 * Versioned schema migrations of the account database. The version lives in SQLite's `PRAGMA user_version`;
 * each migration runs in its own transaction. Never edit a released migration: append a new one.
 */

export interface Migration {
  version: number;
  description: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'accounts, leases, runs, meta',
    statements: [
      `CREATE TABLE accounts (
        id TEXT PRIMARY KEY NOT NULL,
        password TEXT NOT NULL DEFAULT '',
        name TEXT,
        premium INTEGER NOT NULL DEFAULT 0 CHECK (premium IN (0, 1)),
        packs_opened INTEGER NOT NULL DEFAULT 0,
        hourglasses INTEGER NOT NULL DEFAULT 0,
        wonder_picks_done INTEGER NOT NULL DEFAULT 0,
        shinedust INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'in_use', 'completed', 'failed', 'banned')),
        failure_count INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_used_at TEXT,
        completed_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        notes TEXT,
        extra TEXT NOT NULL DEFAULT '{}'
      )`,
      `CREATE INDEX accounts_status ON accounts(status)`,
      `CREATE TABLE leases (
        account_id TEXT NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
        pool TEXT NOT NULL,
        owner_group TEXT NOT NULL,
        owner_bot TEXT NOT NULL,
        orchestration_id TEXT NOT NULL,
        run_id INTEGER,
        previous_status TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      )`,
      `CREATE INDEX leases_orchestration ON leases(orchestration_id)`,
      `CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        pool TEXT NOT NULL,
        group_name TEXT NOT NULL,
        bot TEXT NOT NULL,
        orchestration_id TEXT NOT NULL,
        routine TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'completed', 'failed', 'released', 'reclaimed', 'expired')),
        reason TEXT,
        stats TEXT
      )`,
      `CREATE INDEX runs_account ON runs(account_id, id)`,
      `CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT)`,
    ],
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
