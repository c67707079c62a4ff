/**
 * The account database's files on a real disk, damaged the ways a test campaign damaged them: an empty database
 * file, a cut or altered journal, a damaged SQLite page, temp files of a crash, a full disk, and locks that name a
 * live unrelated process, this process, another host, nothing at all, or that are folders. Through the PoolManager
 * and the CLI (`pools`, `run`, `routine run`).
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { MemoryLogger, nullLogger } from '../../src/shared/loggers';
import { NodeFileStore } from '../../src/host/nodePorts';
import { SystemClock } from '../../src/shared/clock';
import { main as poolsCli } from '../../src/cli/commands/pools';
import { processIdentity } from '../../src/orchestrator/pools/nodePoolStorage';
import { isPoolError, type PoolErrorCode } from '../../src/orchestrator/pools/poolErrors';
import { PoolManager } from '../../src/orchestrator/pools/poolManager';
import { loadSqlJs } from '../../src/orchestrator/pools/sqlWasm';
import { captureOutput, type CapturedOutput } from '../support/captureOutput';

const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'bin', 'emulator-fleet.js');
const LINUX_PROC = existsSync('/proc/self/stat');

function manager(root: string, opts: { readOnly?: boolean; forceUnlock?: boolean; logger?: MemoryLogger } = {}): PoolManager {
  return new PoolManager({ fileStore: new NodeFileStore(root), clock: new SystemClock(), logger: opts.logger ?? nullLogger, readOnly: opts.readOnly, forceUnlock: opts.forceUnlock });
}

function pools(args: string[]): Promise<CapturedOutput> {
  return captureOutput(() => poolsCli(args));
}

async function rejectsWith(p: Promise<unknown>, code: PoolErrorCode, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isPoolError(e), `expected a PoolError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

/** Runs the CLI in a child process. */
function cliChild(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, EMULATOR_FLEET_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI timed out: ${args.join(' ')}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A live process that is not Emulator Fleet (it only waits), started now. */
async function bystander(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log("up")'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    readline.createInterface({ input: child.stdout! }).once('line', () => resolve());
  });
  return child;
}

describe('(integration) account database storage: damage, full disks and locks', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const children: ChildProcess[] = [];

  function ws(opts: { group?: boolean } = {}): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleet-store-'));
    dirs.push(dir);
    mkdirSync(path.join(dir, 'pools'));
    for (const f of ['premium_accounts.yaml', 'wonder_pick_accounts.yaml', 'demo-accounts.json']) {
      cpSync(path.join(REPO, 'pools', f), path.join(dir, 'pools', f));
    }
    if (opts.group) {
      for (const d of ['groups', 'routines', 'templates']) {
        cpSync(path.join(REPO, d), path.join(dir, d), { recursive: true });
      }
    }
    return dir;
  }

  const fleet = (root: string, f: string) => path.join(root, '.fleet', f);

  /** A new database in `root`, closed. */
  async function created(root: string): Promise<void> {
    const m = manager(root);
    await m.open();
    await m.close();
  }

  /**
   * The files a crashed owner leaves: `completions` acknowledged checkout+complete pairs in the journal (2 records
   * each), copied into a fresh workspace (no lock). Returns that workspace.
   */
  async function crashedCopy(completions: number): Promise<string> {
    const src = ws();
    const m = manager(src);
    await m.open();
    await m.loadDefinitions({ watch: false });
    const port = m.accountPort('wonder_pick_accounts', { group: 'g', bot: '1', orchestrationId: 'o' });
    for (let i = 0; i < completions; i++) {
      const l = await port.checkoutNext();
      await port.complete(l!.accountId, { packs_opened: 1 });
    }
    const dst = ws();
    mkdirSync(path.join(dst, '.fleet'));
    for (const f of ['accounts.sqlite', 'accounts.journal']) {
      cpSync(fleet(src, f), fleet(dst, f));
    }
    port.dispose();
    await m.close();
    return dst;
  }

  after(() => {
    for (const c of children) {
      c.kill('SIGKILL');
    }
    for (const d of dirs) {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('an empty database file with an empty journal is refused as damaged and kept as it is', async () => {
    const root = ws();
    await created(root);
    truncateSync(fleet(root, 'accounts.sqlite'), 0);
    writeFileSync(fleet(root, 'accounts.journal'), '');
    const list = await pools(['list', '--root', root]);
    assert.equal(list.code, 1, list.out);
    assert.match(list.err, /^emulator-fleet: the account database \.fleet\/accounts\.sqlite is empty \(0 bytes\): it was damaged .* delete \.fleet\/accounts\.sqlite and \.fleet\/accounts\.journal\.$/);
    assert.equal(statSync(fleet(root, 'accounts.sqlite')).size, 0, 'not rewritten');
    assert.ok(!existsSync(fleet(root, 'accounts.lock')), 'no lock left');
  });

  it('a journal cut in the middle: the records before the cut are kept, the cut-off bytes set aside and reported', async () => {
    const root = await crashedCopy(9);
    const journal = readFileSync(fleet(root, 'accounts.journal'));
    const text = journal.toString('utf8');
    const lines = text.split('\n');
    assert.equal(lines.length, 20, 'the seed import, 18 records and the final newline');
    const cut = lines.slice(0, 7).join('\n').length + 1 + 40; // 40 bytes into record 8
    writeFileSync(fleet(root, 'accounts.journal'), journal.subarray(0, cut));
    const list = await pools(['list', '--root', root]);
    assert.equal(list.code, 0, list.err);
    const warn = /^warn: the journal \.fleet\/accounts\.journal ended with an incomplete record \(line 8, 40 bytes\).* Its bytes are kept in (\.fleet\/accounts\.journal\.dropped-\d{8}T\d{9}Z)/m.exec(list.err);
    assert.ok(warn, list.err);
    assert.deepEqual(readFileSync(path.join(root, warn[1])), journal.subarray(lines.slice(0, 7).join('\n').length + 1, cut));
    const m = manager(root, { readOnly: true });
    await m.open();
    assert.equal(m.history().filter((r) => r.outcome === 'completed').length, 3, 'records 2-7: three checkouts and completions');
    await m.close();
  });

  it('a flipped byte in the last complete journal line refuses the open, naming the journal and the line; nothing is compacted away', async () => {
    const root = await crashedCopy(2);
    const file = fleet(root, 'accounts.journal');
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] ^= 0x04;
    writeFileSync(file, bytes);
    const list = await pools(['list', '--root', root]);
    assert.equal(list.code, 1);
    assert.match(list.err, /^emulator-fleet: the journal \.fleet\/accounts\.journal is damaged at line 5: its checksum does not match its contents\. It holds changes that were acknowledged/);
    assert.match(list.err, /head -n 4 \.fleet\/accounts\.journal\.damaged > \.fleet\/accounts\.journal/);
    assert.deepEqual(readFileSync(file), bytes, 'the journal is as it was');
  });

  it('a damaged SQLite page is refused at open (integrity check), not at every checkout', async () => {
    const root = ws();
    await created(root);
    const file = fleet(root, 'accounts.sqlite');
    const SQL = await loadSqlJs();
    const data = readFileSync(file);
    const db = new SQL.Database(data);
    const pageSize = Number(db.exec('PRAGMA page_size')[0].values[0][0]);
    const page = Number(db.exec(`SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_leases_1'`)[0].values[0][0]);
    db.close();
    data[pageSize * (page - 1)] = 0x07;
    writeFileSync(file, data);
    const list = await pools(['list', '--root', root]);
    assert.equal(list.code, 1, list.out);
    assert.match(list.err, /^emulator-fleet: the account database \.fleet\/accounts\.sqlite is damaged \(SQLite's integrity check reports: Tree \d+ page \d+: btreeInitPage\(\) returns error code 11\)\. Nothing was changed\. Restore \.fleet\/accounts\.sqlite from a backup/);
  });

  it('removes temp files an interrupted snapshot write left, at open', async () => {
    const root = ws();
    await created(root);
    const size = statSync(fleet(root, 'accounts.sqlite')).size;
    const tmp = fleet(root, '.accounts.sqlite.99999999.deadbeef.tmp');
    writeFileSync(tmp, Buffer.alloc(size, 7));
    const logger = new MemoryLogger();
    const m = manager(root, { logger });
    const report = await m.open();
    assert.deepEqual(report.removedTempFiles, ['.fleet/.accounts.sqlite.99999999.deadbeef.tmp']);
    assert.ok(!existsSync(tmp));
    await m.close();
  });

  it('a full disk when a completion is written rejects with storage-failed naming the journal; nothing is accepted after', async function () {
    if (!existsSync('/dev/full')) {
      this.skip();
    }
    const root = ws();
    const m = manager(root);
    await m.open();
    await m.loadDefinitions({ watch: false });
    const port = m.accountPort('premium_accounts', { group: 'g', bot: '1', orchestrationId: 'o' });
    const lease = await port.checkoutNext();
    await port.release(lease!.accountId); // the journal handle is open now: swap the file under a fresh manager instead
    port.dispose();
    await m.close();

    const m2 = manager(root);
    await m2.open();
    await m2.loadDefinitions({ watch: false });
    const p2 = m2.accountPort('premium_accounts', { group: 'g', bot: '1', orchestrationId: 'o2' });
    // The journal is opened at the first write: make it a device where every write fails with ENOSPC.
    unlinkSync(fleet(root, 'accounts.journal'));
    symlinkSync('/dev/full', fleet(root, 'accounts.journal'));
    await rejectsWith(p2.checkoutNext(), 'storage-failed', /^writing the journal \.fleet\/accounts\.journal failed \(ENOSPC: no space left on device, write\): the disk is full: free some space\./);
    await rejectsWith(p2.checkoutNext(), 'storage-failed', /ENOSPC/);
    p2.dispose();
    await m2.close();
    assert.ok(!existsSync(fleet(root, 'accounts.lock')), 'the lock is released');
    unlinkSync(fleet(root, 'accounts.journal'));
    const m3 = manager(root);
    await m3.open();
    assert.deepEqual(m3.listLeases(), [], 'the unacknowledged checkout is not there');
    await m3.close();
  });

  describe('locks', () => {
    function writeLock(root: string, lock: Record<string, unknown> | string): void {
      mkdirSync(path.join(root, '.fleet'), { recursive: true });
      writeFileSync(fleet(root, 'accounts.lock'), typeof lock === 'string' ? lock : JSON.stringify(lock));
    }

    function lockOwner(root: string): number {
      return (JSON.parse(readFileSync(fleet(root, 'accounts.lock'), 'utf8')) as { pid: number }).pid;
    }

    it('a lock naming a live process that started after it (a reused pid) is stale', async function () {
      if (!LINUX_PROC) {
        this.skip();
      }
      const child = await bystander();
      children.push(child);
      const root = ws();
      await created(root);
      writeLock(root, { pid: child.pid, host: hostname(), since: new Date(Date.now() - 3_600_000).toISOString() });
      const logger = new MemoryLogger();
      const m = manager(root, { logger });
      const report = await m.open();
      assert.equal(lockOwner(root), process.pid);
      assert.match(report.warnings[0], new RegExp(`^took over the lock \\.fleet/accounts\\.lock left by process ${child.pid} since .*: process ${child.pid} now running started after the lock was written`));
      await m.close();

      // The same with a lock that records the start time: a different start time is another process...
      const id = (await processIdentity(child.pid!))!;
      writeLock(root, { pid: child.pid, host: hostname(), since: new Date().toISOString(), boot: id.bootId, start: id.startTicks - 1 });
      const m2 = manager(root);
      assert.match((await m2.open()).warnings[0], /started at another time, so it is another process with the same pid/);
      await m2.close();
      // ...the right one is its owner: refused, with the way out.
      writeLock(root, { pid: child.pid, host: hostname(), since: new Date().toISOString(), boot: id.bootId, start: id.startTicks });
      await rejectsWith(
        manager(root).open(),
        'db-locked',
        new RegExp(`^the account database \\.fleet/accounts\\.sqlite is in use by process ${child.pid} since .* \\(lock file \\.fleet/accounts\\.lock\\)\\. Stop that process first\\. If it is not an Emulator Fleet process using this database, start again with --force-unlock, or delete \\.fleet/accounts\\.lock\\.$`),
      );
      child.kill('SIGKILL');
    });

    it('a lock naming this process is stale when it predates the process, and refused when this process wrote it', async () => {
      const root = ws();
      await created(root);
      writeLock(root, { pid: process.pid, host: hostname(), since: new Date(Date.now() - process.uptime() * 1000 - 86_400_000).toISOString() });
      const m = manager(root);
      const report = await m.open();
      assert.match(report.warnings[0] ?? '', /started after the lock was written|another process/);
      await rejectsWith(manager(root).open(), 'db-locked', new RegExp(`in use by this process \\(${process.pid}\\) since .*: it is already open in this process`));
      await m.close();
    });

    it('a lock of another host is never taken over silently; --force-unlock takes it with a warning', async () => {
      const root = ws();
      await created(root);
      const foreign = { pid: 4242, host: 'build-7', since: '2026-01-02T03:04:05.000Z' };
      writeLock(root, foreign);
      await rejectsWith(
        manager(root).open(),
        'db-locked',
        /^the account database \.fleet\/accounts\.sqlite is in use by process 4242 on host 'build-7' since 2026-01-02T03:04:05\.000Z \(lock file \.fleet\/accounts\.lock\)\. This machine cannot see the processes of host 'build-7': stop it there; if it is gone \(or the host was renamed\), start again with --force-unlock, or delete \.fleet\/accounts\.lock\.$/,
      );
      const imp = await pools(['import', path.join(root, 'pools/demo-accounts.json'), '--root', root]);
      assert.equal(imp.code, 1);
      assert.match(imp.err, /host 'build-7'.*--force-unlock/);
      const list = await pools(['list', '--root', root]);
      assert.equal(list.code, 0, 'list still shows it read-only');
      assert.match(list.err, /^note: .*on host 'build-7'.*; showing it read-only/m);

      const forced = await pools(['import', path.join(root, 'pools/demo-accounts.json'), '--root', root, '--force-unlock']);
      assert.equal(forced.code, 0, forced.err);
      assert.match(forced.err, /^warn: forced: took over the lock \.fleet\/accounts\.lock of process 4242 on host 'build-7' \(since 2026-01-02T03:04:05\.000Z\)\. If that process still runs, two processes now change the account database and it can be damaged: stop it now\.$/m);
      assert.ok(!existsSync(fleet(root, 'accounts.lock')), 'released at the end like any lock');

      writeLock(root, foreign);
      const m = manager(root, { forceUnlock: true });
      assert.match((await m.open()).warnings[0], /^forced: took over the lock/);
      assert.equal(lockOwner(root), process.pid);
      await m.close();
    });

    it('an empty lock file is stale once a few seconds old; a young one is waited for', async () => {
      const root = ws();
      await created(root);
      writeLock(root, '');
      const old = (Date.now() - 60_000) / 1000;
      utimesSync(fleet(root, 'accounts.lock'), old, old);
      const m = manager(root);
      assert.match((await m.open()).warnings[0], /^took over the lock file \.fleet\/accounts\.lock: it was empty and 60 s old/);
      await m.close();

      writeLock(root, '');
      const young = (Date.now() - 4700) / 1000;
      utimesSync(fleet(root, 'accounts.lock'), young, young);
      const m2 = manager(root);
      assert.match((await m2.open()).warnings[0], /it was empty and 5 s old/);
      await m2.close();
    });

    it('a lock that is a folder, and a .fleet that is a file, get clear errors naming the path', async () => {
      const root = ws();
      await created(root);
      mkdirSync(fleet(root, 'accounts.lock'));
      await rejectsWith(manager(root).open(), 'storage-failed', /^the lock file \.fleet\/accounts\.lock is a folder, not a file .* remove \.fleet\/accounts\.lock and start again$/);
      const list = await pools(['list', '--root', root]);
      assert.equal(list.code, 1);
      assert.match(list.err, /\.fleet\/accounts\.lock is a folder/);

      const other = ws();
      writeFileSync(path.join(other, '.fleet'), 'not a folder');
      await rejectsWith(manager(other).open(), 'storage-failed', /^\.fleet is a file, not a folder, so the account database \.fleet\/accounts\.sqlite cannot be kept there: move or rename that file, and start again$/);
      await rejectsWith(manager(other, { readOnly: true }).open(), 'storage-failed', /^\.fleet is a file, not a folder/);
      assert.equal(readFileSync(path.join(other, '.fleet'), 'utf8'), 'not a folder');
    });

    it('run and routine run refuse a lock of another host and take it with --force-unlock', async function () {
      this.timeout(180_000);
      const root = ws({ group: true });
      await created(root);
      writeLock(root, { pid: 4242, host: 'build-7', since: '2026-01-02T03:04:05.000Z' });
      const refused = await cliChild(['run', 'Premium Farmers', '--root', root, '--virtual', '2', '--cycles', '1', '--json']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /cannot start the fleet: the account database \.fleet\/accounts\.sqlite is in use by process 4242 on host 'build-7'.*--force-unlock/);
      const run = await cliChild(['run', 'Premium Farmers', '--root', root, '--virtual', '2', '--duration', '1', '--json', '--force-unlock']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /warn: \[pools\] forced: took over the lock \.fleet\/accounts\.lock of process 4242 on host 'build-7'/);

      writeLock(root, { pid: 4242, host: 'build-7', since: '2026-01-02T03:04:05.000Z' });
      const usage = await cliChild(['routine', 'run', 'nav/to_home', '--root', root, '--virtual', '--force-unlock']);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--force-unlock goes with --pool/);
      const routine = await cliChild(['routine', 'run', 'nav/to_home', '--root', root, '--virtual', '--pool', 'premium_accounts', '--force-unlock', '--json']);
      assert.match(routine.stderr, /warn: \[pools\] forced: took over the lock \.fleet\/accounts\.lock of process 4242 on host 'build-7'/);
      assert.ok(!existsSync(fleet(root, 'accounts.lock')), 'released when the routine ends');
      assert.deepEqual(
        readdirSync(path.join(root, '.fleet')).filter((n) => n.includes('lock')),
        [],
      );
    });
  });
});
