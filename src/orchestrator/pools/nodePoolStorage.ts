/**
 * The account database on disk, in the workspace: `<db>.sqlite` (snapshot, replaced atomically: temp file, fsync,
 * rename), `<db>.journal` (fsync'd append-only journal) and `<db>.lock` (who owns the database).
 *
 * Lock rules. The lock file is created atomically with its contents (written to a temp file, then hard-linked into
 * place, so it is never seen empty). It names the owner: pid, host name, time, and on Linux the boot id and the
 * process start time (clock ticks since boot, from /proc). When it exists, opening read-write:
 * - takes it over when its process is gone: the pid is not running, or (Linux) the pid now belongs to a process
 *   that started later, or the machine was restarted since (a container's pid 1 after a restart is such a case);
 * - takes over a lock that names this very process only when it was written before this process started; a lock
 *   this process wrote means the database is already open here, and is refused;
 * - never takes over a lock of another host name (this machine cannot see its processes): the error names the host;
 * - takes over an empty or unreadable lock file once it is `EMPTY_LOCK_STALE_MS` old (an older version wrote the
 *   lock in two steps; a young one may be in the middle of it);
 * - refuses a live owner with `db-locked`, naming its pid, host and the way out: `force` (the CLI's
 *   `--force-unlock`) takes any lock over, with a warning.
 * Elsewhere than Linux a live pid is trusted (its start time is not checked).
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FileStore } from '../../shared/ports';
import { PoolError } from './poolErrors';
import type { LockOptions, PoolStorage } from './poolStorage';

/** The default database path, relative to the workspace root. */
export const DEFAULT_DB_PATH = '.fleet/accounts.sqlite';

/** An empty or unreadable lock file older than this is stale. */
export const EMPTY_LOCK_STALE_MS = 5000;
/** A lock without a recorded start time is stale when its live pid started this much later than the lock's time. */
const LEGACY_START_TOLERANCE_MS = 5000;
/** Gives up when the lock was replaced this many times while trying to take it. */
const MAX_LOCK_CHANGES = 20;

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  /** Linux: /proc/sys/kernel/random/boot_id of the owner's machine. */
  boot?: string;
  /** Linux: the owner's start time in clock ticks since boot (/proc/<pid>/stat, field 22). */
  start?: number;
  /** Random: tells this lock from another with the same pid. */
  token?: string;
}

/** Who a running process is on this machine (Linux), to tell it from a later process with the same pid. */
export interface ProcessIdentity {
  bootId: string;
  /** Start time in clock ticks since boot. */
  startTicks: number;
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

/** The identity of a running process from /proc (Linux); undefined elsewhere or when it does not run. */
export async function processIdentity(pid: number): Promise<ProcessIdentity | undefined> {
  try {
    const [stat, boot] = await Promise.all([fsp.readFile(`/proc/${pid}/stat`, 'utf8'), fsp.readFile('/proc/sys/kernel/random/boot_id', 'utf8')]);
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; field 22 is the 20th after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    return Number.isSafeInteger(startTicks) && boot.trim() ? { bootId: boot.trim(), startTicks } : undefined;
  } catch {
    return undefined;
  }
}

/** The wall-clock start of a process from its identity (Linux: boot time + ticks / USER_HZ, which procfs fixes at 100). */
async function startWallTime(id: ProcessIdentity): Promise<number | undefined> {
  try {
    const btime = Number(/^btime (\d+)$/m.exec(await fsp.readFile('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(btime) ? btime * 1000 + id.startTicks * 10 : undefined;
  } catch {
    return undefined;
  }
}

function siblingPath(dbPath: string, ext: string): string {
  const base = dbPath.replace(/\.(sqlite3?|db)$/i, '');
  return `${base}${ext}`;
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class NodePoolStorage implements PoolStorage {
  /** Absolute paths. */
  readonly dbFile: string;
  readonly journalFile: string;
  readonly lockFile: string;
  /** As shown in messages: workspace-relative. */
  readonly location: string;
  readonly journalLocation: string;
  readonly lockLocation: string;
  private journal: FileHandle | undefined;
  private mine: LockInfo | undefined;

  constructor(
    private readonly fileStore: FileStore,
    readonly dbPath: string = DEFAULT_DB_PATH,
  ) {
    this.dbFile = fileStore.resolve(dbPath);
    this.journalFile = fileStore.resolve(siblingPath(dbPath, '.journal'));
    this.lockFile = fileStore.resolve(siblingPath(dbPath, '.lock'));
    this.location = this.show(this.dbFile);
    this.journalLocation = this.show(this.journalFile);
    this.lockLocation = this.show(this.lockFile);
  }

  /** A path as shown to the user: relative to the workspace when inside it. */
  private show(abs: string): string {
    const rel = path.relative(this.fileStore.root, abs);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  }

  /** The folder of the database files, created when missing; a clear error when something else is in the way. */
  private async ensureFolder(): Promise<void> {
    const dir = path.dirname(this.dbFile);
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (e) {
      throw await this.folderError(e);
    }
  }

  private async folderError(e: unknown): Promise<PoolError> {
    // Find the first part of the path that exists but is not a folder.
    const dir = path.dirname(this.dbFile);
    for (let p = dir; ; p = path.dirname(p)) {
      const st = await fsp.stat(p).catch(() => undefined);
      if (st && !st.isDirectory()) {
        return new PoolError('storage-failed', `${this.show(p)} is a file, not a folder, so the account database ${this.location} cannot be kept there: move or rename that file, and start again`, {
          file: this.show(p),
        });
      }
      if (st || path.dirname(p) === p) {
        break;
      }
    }
    return new PoolError('storage-failed', `cannot create the folder ${this.show(dir)} for the account database: ${(e as Error).message}`, { file: this.show(dir) });
  }

  async acquireLock(options: LockOptions = {}): Promise<string[]> {
    await this.ensureFolder();
    const id = await processIdentity(process.pid);
    const me: LockInfo = {
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
      ...(id ? { boot: id.bootId, start: id.startTicks } : {}),
      token: randomBytes(8).toString('hex'),
    };
    const warnings: string[] = [];
    const deadline = Date.now() + 6 * EMPTY_LOCK_STALE_MS;
    let changes = 0;
    for (;;) {
      if (await this.createLock(me)) {
        this.mine = me;
        return warnings;
      }
      let st;
      try {
        st = await fsp.lstat(this.lockFile);
      } catch (e) {
        if (errCode(e) === 'ENOENT') {
          continue; // removed meanwhile: try again
        }
        throw new PoolError('storage-failed', `cannot read the lock file ${this.lockLocation}: ${(e as Error).message}`, { lockFile: this.lockLocation });
      }
      if (!st.isFile()) {
        throw new PoolError(
          'storage-failed',
          `the lock file ${this.lockLocation} is a ${st.isDirectory() ? 'folder' : 'special file'}, not a file (Emulator Fleet never makes it one), so nobody can own the account database: remove ${this.lockLocation} and start again`,
          { lockFile: this.lockLocation },
        );
      }
      const seen = await fsp.readFile(this.lockFile, 'utf8').catch(() => undefined);
      if (seen === undefined) {
        continue;
      }
      const info = parseLock(seen);
      if (!info) {
        const age = Date.now() - st.mtimeMs;
        if (age < EMPTY_LOCK_STALE_MS && !options.force) {
          if (Date.now() > deadline) {
            throw new PoolError('db-locked', `the lock file ${this.lockLocation} stays ${seen.trim() ? 'unreadable' : 'empty'} and keeps being rewritten: stop whatever writes it, or delete it, and start again`, {
              lockFile: this.lockLocation,
            });
          }
          await new Promise((r) => setTimeout(r, Math.min(100, EMPTY_LOCK_STALE_MS - age + 10)));
          continue;
        }
        warnings.push(`took over the lock file ${this.lockLocation}: it was ${seen.trim() ? 'unreadable' : 'empty'} and ${Math.round(age / 1000)} s old (left by an interrupted start)`);
      } else {
        const verdict = await judgeLock(info, me);
        if (verdict.held) {
          if (!options.force) {
            throw this.lockedError(info, verdict);
          }
          warnings.push(
            `forced: took over the lock ${this.lockLocation} of ${verdict.who} (since ${info.since}). If that process still runs, two processes now change the account database and it can be damaged: stop it now.`,
          );
        } else if (verdict.why) {
          warnings.push(`took over the lock ${this.lockLocation} left by process ${info.pid} since ${info.since}: ${verdict.why}`);
        }
      }
      if (++changes > MAX_LOCK_CHANGES) {
        throw new PoolError('db-locked', `could not take the lock ${this.lockLocation}: it was replaced ${MAX_LOCK_CHANGES} times while trying (other processes keep opening the account database?)`, {
          lockFile: this.lockLocation,
        });
      }
      await this.takeOver(seen);
    }
  }

  private lockedError(info: LockInfo, { who, remote, self }: HeldLock): PoolError {
    const details = { pid: info.pid, host: info.host, lockFile: this.lockLocation };
    if (self) {
      return new PoolError('db-locked', `the account database ${this.location} is in use by ${who} since ${info.since}: it is already open in this process (lock file ${this.lockLocation})`, details);
    }
    const check = remote
      ? `This machine cannot see the processes of host '${info.host}': stop it there; if it is gone (or the host was renamed), start again with --force-unlock, or delete ${this.lockLocation}.`
      : `Stop that process first. If it is not an Emulator Fleet process using this database, start again with --force-unlock, or delete ${this.lockLocation}.`;
    return new PoolError('db-locked', `the account database ${this.location} is in use by ${who} since ${info.since} (lock file ${this.lockLocation}). ${check}`, details);
  }

  /** Creates the lock file with its contents in one step; false when it exists. */
  private async createLock(me: LockInfo): Promise<boolean> {
    const text = `${JSON.stringify(me)}\n`;
    const tmp = `${this.lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeDurable(tmp, text, 'wx');
      try {
        await fsp.link(tmp, this.lockFile);
      } catch (e) {
        if (errCode(e) === 'EEXIST') {
          return false;
        }
        if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'].includes(errCode(e) ?? '')) {
          throw e;
        }
        // No hard links here (some shared or FAT folders): create it exclusively, then write it.
        try {
          await writeDurable(this.lockFile, text, 'wx');
        } catch (e2) {
          if (errCode(e2) === 'EEXIST') {
            return false;
          }
          throw e2;
        }
      }
      await syncDir(path.dirname(this.lockFile));
      return true;
    } catch (e) {
      if (errCode(e) === 'ENOTDIR' || errCode(e) === 'ENOENT') {
        throw await this.folderError(e);
      }
      throw new PoolError('storage-failed', `cannot create the lock file ${this.lockLocation}: ${(e as Error).message}`, { lockFile: this.lockLocation });
    } finally {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  /** Moves a stale lock aside atomically; if what was moved turns out to be someone else's fresh lock, puts it back. */
  private async takeOver(seen: string): Promise<void> {
    const aside = `${this.lockFile}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fsp.rename(this.lockFile, aside);
    } catch {
      return;
    }
    const moved = await fsp.readFile(aside, 'utf8').catch(() => undefined);
    if (moved !== seen) {
      await fsp.link(aside, this.lockFile).catch(() => undefined);
    }
    await fsp.rm(aside, { force: true }).catch(() => undefined);
  }

  async releaseLock(): Promise<void> {
    const mine = this.mine;
    if (!mine) {
      return;
    }
    this.mine = undefined;
    const info = parseLock((await fsp.readFile(this.lockFile, 'utf8').catch(() => undefined)) ?? '');
    // Only our own lock: after a forced takeover it belongs to someone else.
    if (info && info.pid === mine.pid && info.token === mine.token) {
      await fsp.rm(this.lockFile, { force: true });
    }
  }

  async readSnapshot(): Promise<Uint8Array | undefined> {
    try {
      return await fsp.readFile(this.dbFile);
    } catch (e) {
      if (errCode(e) === 'ENOENT') {
        return undefined;
      }
      if (errCode(e) === 'ENOTDIR') {
        throw await this.folderError(e);
      }
      throw new PoolError('storage-failed', `cannot read the account database ${this.location}: ${(e as Error).message}`, { file: this.location });
    }
  }

  async writeSnapshot(data: Uint8Array): Promise<void> {
    const dir = path.dirname(this.dbFile);
    const tmp = path.join(dir, `.${path.basename(this.dbFile)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeDurable(tmp, data, 'w');
      await fsp.rename(tmp, this.dbFile);
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
    await syncDir(dir); // make the rename itself durable before the journal is emptied
  }

  async readJournal(): Promise<Uint8Array> {
    try {
      return await fsp.readFile(this.journalFile);
    } catch (e) {
      if (errCode(e) === 'ENOENT') {
        return new Uint8Array(0);
      }
      if (errCode(e) === 'ENOTDIR') {
        throw await this.folderError(e);
      }
      throw new PoolError('storage-failed', `cannot read the journal ${this.journalLocation}: ${(e as Error).message}`, { file: this.journalLocation });
    }
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
      if (errCode(e) !== 'ENOENT') {
        throw e;
      }
    }
  }

  async setAside(data: Uint8Array): Promise<string> {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
    for (let n = 1; ; n++) {
      const file = `${this.journalFile}.dropped-${stamp}${n > 1 ? `-${n}` : ''}`;
      try {
        await writeDurable(file, data, 'wx');
      } catch (e) {
        if (errCode(e) === 'EEXIST' && n < 100) {
          continue;
        }
        throw e;
      }
      await syncDir(path.dirname(file));
      return this.show(file);
    }
  }

  async cleanTemp(): Promise<string[]> {
    const dir = path.dirname(this.dbFile);
    const snapshotTemp = new RegExp(`^\\.${escapeRe(path.basename(this.dbFile))}\\.\\d+\\.[0-9a-f]+\\.tmp$`);
    const lockTemp = new RegExp(`^${escapeRe(path.basename(this.lockFile))}\\.(?:(\\d+)\\.[0-9a-f]+\\.tmp|stale-(\\d+)-[0-9a-f]+)$`);
    const removed: string[] = [];
    for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
      const lock = lockTemp.exec(name);
      // Snapshot temp files are only written by the owner (now us); lock temp files only while their process runs.
      if (snapshotTemp.test(name) || (lock && !isPidAlive(Number(lock[1] ?? lock[2])))) {
        try {
          await fsp.rm(path.join(dir, name), { force: true });
          removed.push(this.show(path.join(dir, name)));
        } catch {
          // Left for the next open: a leftover temp file harms nothing but space.
        }
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    const j = this.journal;
    this.journal = undefined;
    await j?.close();
  }
}

interface HeldLock {
  held: true;
  /** Who holds it, in words: `process 12 on host 'ci-3'`, `this process (12)`. */
  who: string;
  /** On another host. */
  remote: boolean;
  /** This very process wrote it (the database is already open here). */
  self: boolean;
}

/** Whether the owner a lock names still holds it. */
async function judgeLock(info: LockInfo, me: LockInfo): Promise<HeldLock | { held: false; why?: string }> {
  if (info.host !== me.host) {
    return { held: true, who: `process ${info.pid} on host '${info.host}'`, remote: true, self: false };
  }
  if (!isPidAlive(info.pid)) {
    return { held: false }; // a crash left it: the usual case, nothing to warn about
  }
  const self = info.pid === process.pid;
  const id = self && me.boot !== undefined && me.start !== undefined ? { bootId: me.boot, startTicks: me.start } : await processIdentity(info.pid);
  if (id && info.boot !== undefined && info.start !== undefined) {
    if (id.bootId !== info.boot) {
      return { held: false, why: `the machine was restarted since, so process ${info.pid} now running is another one` };
    }
    if (id.startTicks !== info.start) {
      return { held: false, why: `process ${info.pid} now running started at another time, so it is another process with the same pid` };
    }
  } else {
    // A lock without a start time (an earlier version wrote it): a process that started after the lock is not its owner.
    const since = Date.parse(info.since);
    const started = id ? await startWallTime(id) : self ? Date.now() - process.uptime() * 1000 : undefined;
    if (started !== undefined && Number.isFinite(since) && started > since + LEGACY_START_TOLERANCE_MS) {
      return { held: false, why: `process ${info.pid} now running started after the lock was written, so it is another process with the same pid` };
    }
  }
  return { held: true, who: self ? `this process (${info.pid})` : `process ${info.pid}`, remote: false, self };
}

/** Writes a whole file and fsyncs it. */
async function writeDurable(file: string, data: Uint8Array | string, flags: 'w' | 'wx'): Promise<void> {
  const fh = await fsp.open(file, flags);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid !== 'number') {
      return undefined;
    }
    return {
      pid: v.pid,
      host: String(v.host ?? ''),
      since: String(v.since ?? '?'),
      ...(typeof v.boot === 'string' && typeof v.start === 'number' ? { boot: v.boot, start: v.start } : {}),
      ...(typeof v.token === 'string' ? { token: v.token } : {}),
    };
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
