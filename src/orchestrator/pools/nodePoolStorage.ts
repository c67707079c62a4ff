/**
 * The account database on disk, in the workspace: `<db>.sqlite` (snapshot, replaced atomically through the
 * FileStore), `<db>.journal` (fsync'd append-only journal) and `<db>.lock` (the owner's pid).
 *
 * Lock rules: the lock file is created exclusively; when it exists and names a live pid (on this host), opening
 * fails with `db-locked` naming that pid; a lock left by a dead process is taken over.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FileStore } from '../../bot/ports';
import { PoolError } from './poolErrors';
import type { PoolStorage } from './poolStorage';

/** The default database path, relative to the workspace root. */
export const DEFAULT_DB_PATH = '.fleet/accounts.sqlite';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/** Whether a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function siblingPath(dbPath: string, ext: string): string {
  const base = dbPath.replace(/\.(sqlite3?|db)$/i, '');
  return `${base}${ext}`;
}

export class NodePoolStorage implements PoolStorage {
  readonly location: string;
  readonly journalFile: string;
  readonly lockFile: string;
  private journal: FileHandle | undefined;
  private haveLock = false;

  constructor(
    private readonly fileStore: FileStore,
    readonly dbPath: string = DEFAULT_DB_PATH,
  ) {
    this.location = fileStore.resolve(dbPath);
    this.journalFile = fileStore.resolve(siblingPath(dbPath, '.journal'));
    this.lockFile = fileStore.resolve(siblingPath(dbPath, '.lock'));
  }

  async acquireLock(): Promise<void> {
    await fsp.mkdir(path.dirname(this.lockFile), { recursive: true });
    const mine: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const fh = await fsp.open(this.lockFile, 'wx');
        try {
          await fh.writeFile(`${JSON.stringify(mine)}\n`);
          await fh.sync();
        } finally {
          await fh.close();
        }
        this.haveLock = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new PoolError('storage-failed', `cannot create the lock file ${this.lockFile}: ${(e as Error).message}`, { lockFile: this.lockFile });
        }
      }
      const seen = await readText(this.lockFile);
      if (seen === undefined) {
        continue; // removed meanwhile: try again
      }
      const info = parseLock(seen);
      if (!info) {
        // Empty or partial: perhaps its owner is between creating and writing it. Give it a moment, then call it stale.
        const st = await fsp.stat(this.lockFile).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs < 2000) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
      } else if (info.host !== mine.host || isPidAlive(info.pid)) {
        const who = info.pid === process.pid && info.host === mine.host ? `this process (${info.pid})` : `process ${info.pid}${info.host !== mine.host ? ` on ${info.host}` : ''}`;
        throw new PoolError('db-locked', `the account database ${this.location} is in use by ${who} since ${info.since} (lock file ${this.lockFile})`, {
          pid: info.pid,
          host: info.host,
          lockFile: this.lockFile,
        });
      }
      await this.takeOverStale(seen);
    }
    throw new PoolError('db-locked', `could not take the lock ${this.lockFile} (it keeps changing)`, { lockFile: this.lockFile });
  }

  /** Moves a stale lock aside atomically; if what was moved turns out to be someone else's fresh lock, puts it back. */
  private async takeOverStale(seen: string): Promise<void> {
    const aside = `${this.lockFile}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fsp.rename(this.lockFile, aside);
    } catch {
      return;
    }
    const moved = await readText(aside);
    if (moved !== seen) {
      await fsp.link(aside, this.lockFile).catch(() => undefined);
    }
    await fsp.rm(aside, { force: true });
  }

  async releaseLock(): Promise<void> {
    if (!this.haveLock) {
      return;
    }
    this.haveLock = false;
    const info = parseLock((await readText(this.lockFile)) ?? '');
    if (info && info.pid === process.pid) {
      await fsp.rm(this.lockFile, { force: true });
    }
  }

  async readSnapshot(): Promise<Uint8Array | undefined> {
    try {
      return await fsp.readFile(this.location);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return undefined;
      }
      throw new PoolError('db-corrupt', `cannot read the account database ${this.location}: ${(e as Error).message}`);
    }
  }

  async writeSnapshot(data: Uint8Array): Promise<void> {
    await this.fileStore.writeFileAtomic(this.dbPath, data);
    await syncDir(path.dirname(this.location)); // make the rename itself durable before the journal is emptied
  }

  async readJournal(): Promise<string> {
    return (await readText(this.journalFile)) ?? '';
  }

  async appendJournal(text: string): Promise<void> {
    if (!this.journal) {
      await fsp.mkdir(path.dirname(this.journalFile), { recursive: true });
      this.journal = await fsp.open(this.journalFile, 'a');
      await syncDir(path.dirname(this.journalFile));
    }
    await this.journal.appendFile(text);
    await this.journal.datasync();
  }

  async resetJournal(): Promise<void> {
    if (this.journal) {
      await this.journal.truncate(0);
      await this.journal.datasync();
      return;
    }
    try {
      await fsp.truncate(this.journalFile, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw e;
      }
    }
  }

  async close(): Promise<void> {
    const j = this.journal;
    this.journal = undefined;
    await j?.close();
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    return typeof v.pid === 'number' ? { pid: v.pid, host: String(v.host ?? ''), since: String(v.since ?? '?') } : undefined;
  } catch {
    return undefined;
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Not supported everywhere (Windows); the file's own fsync still holds its data.
  }
}
