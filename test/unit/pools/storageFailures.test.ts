import { strict as assert } from 'node:assert';
import type { Database } from 'sql.js';
import { MemoryLogger } from '../../../src/shared/loggers';
import type { AccountDatabase } from '../../../src/orchestrator/pools/accountDatabase';
import { PoolAccountPort, type PortHost } from '../../../src/orchestrator/pools/poolAccountPort';
import { parsePoolDefinition } from '../../../src/orchestrator/pools/poolDefinition';
import { isPoolError, type PoolErrorCode } from '../../../src/orchestrator/pools/poolErrors';
import { PoolManager } from '../../../src/orchestrator/pools/poolManager';
import { ioError, MemoryPoolStorage } from '../../../src/orchestrator/pools/poolStorage';
import { loadSqlJs } from '../../../src/orchestrator/pools/sqlWasm';
import { FakeClock } from '../../support/fakeClock';
import { MemoryFileStore } from '../../support/memoryFileStore';

const CSV = ['id,password,premium,packs_opened', 'a,pa,true,5', 'b,pb,true,1', 'c,pc,false,9', 'd,pd,true,3'].join('\n');
const G1 = { group: 'Premium Farmers', bot: '1', orchestrationId: 'orch-1' };
const G2 = { group: 'Wonder Pickers', bot: '1', orchestrationId: 'orch-2' };

interface Setup {
  m: PoolManager;
  storage: MemoryPoolStorage;
  clock: FakeClock;
  logger: MemoryLogger;
}

async function setup(poolYaml = 'name: all\ncooldown: 0s\nlease: { ttl: 10s, heartbeat: 3s }\n'): Promise<Setup> {
  const clock = new FakeClock(false);
  const storage = new MemoryPoolStorage();
  const logger = new MemoryLogger();
  const m = new PoolManager({ fileStore: new MemoryFileStore(), clock, logger, storage });
  await m.open();
  await m.importText(CSV, 'seed.csv');
  m.setDefinition(parsePoolDefinition(poolYaml, 'pools/all.yaml').value!);
  return { m, storage, clock, logger };
}

async function rejectsWith(p: Promise<unknown>, code: PoolErrorCode, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isPoolError(e), `expected a PoolError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) {
      assert.match(e.message, pattern);
    }
    return true;
  });
}

const ENOSPC = () => ioError('ENOSPC', 'no space left on device, write');

/** The port operations a bot uses, on a port that holds `held` (a leased account id). */
const OPERATIONS: Array<[string, (p: PoolAccountPort, held: string) => Promise<unknown>]> = [
  ['checkout', (p) => p.checkoutNext()],
  ['complete', (p, id) => p.complete(id, { packs_opened: 1 })],
  ['return', (p, id) => p.release(id, 'not needed')],
  ['fail', (p, id) => p.markFailed(id, 'stuck')],
  ['update', (p, id) => p.update(id, { shinedust: 5 })],
];

/** Reaches into the in-memory SQLite database (to damage it the way a bad page would). */
function rawDatabase(db: AccountDatabase): Database {
  return (db as unknown as { db: Database }).db;
}

/** Points the `accounts` table at a page of another b-tree: every read or write of it meets "database disk image is malformed". */
function damageAccountsTable(db: Database): void {
  const version = Number(db.exec('PRAGMA schema_version')[0].values[0][0]);
  const page = Number(db.exec(`SELECT rootpage FROM sqlite_master WHERE name = 'runs_account'`)[0].values[0][0]);
  db.exec(`PRAGMA writable_schema = ON; UPDATE sqlite_master SET rootpage = ${page} WHERE name = 'accounts'; PRAGMA schema_version = ${version + 1}; PRAGMA writable_schema = OFF;`);
}

/** A database file whose index page of `leases` is damaged (its page type byte): accounts still read fine. */
async function withDamagedLeaseIndex(snapshot: Uint8Array): Promise<Uint8Array> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(snapshot);
  const pageSize = Number(db.exec('PRAGMA page_size')[0].values[0][0]);
  const page = Number(db.exec(`SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_leases_1'`)[0].values[0][0]);
  db.close();
  const bad = snapshot.slice();
  bad[pageSize * (page - 1)] = 0x07;
  const check = new SQL.Database(bad);
  assert.equal(check.exec('SELECT count(*) FROM accounts')[0].values[0][0], 4, 'the damage is not visible to a plain read');
  check.close();
  return bad;
}

describe('(unit) account pools: storage failures surface as PoolError on every path', function () {
  this.timeout(20_000);

  before(async () => {
    await loadSqlJs();
  });

  for (const [name, op] of OPERATIONS) {
    it(`a full disk at ${name} rejects with storage-failed, and every later change too`, async () => {
      const { m, storage } = await setup();
      const port = m.accountPort('all', G1);
      const held = (await port.checkoutNext())!.accountId;
      storage.failAppend = ENOSPC();
      await rejectsWith(op(port, held), 'storage-failed', /writing the journal memory journal failed \(ENOSPC: no space left on device, write\): the disk is full: free some space/);
      assert.ok(m.database().failure, 'the database has stopped');
      storage.failAppend = undefined; // space is back: still nothing is accepted (the in-memory state is not durable)
      for (const [, other] of OPERATIONS) {
        await rejectsWith(other(port, held), 'storage-failed');
      }
      await rejectsWith(m.importText(CSV, 'again.csv'), 'storage-failed');
      await rejectsWith(m.releaseAll({ group: G1.group }), 'storage-failed');
      await m.close();
      assert.equal(storage.locked, false);
    });
  }

  it('a storage failure at the heartbeat stops it; the next call of the port rejects with it', async () => {
    const { m, storage, clock, logger } = await setup();
    const port = m.accountPort('all', G1);
    const held = (await port.checkoutNext())!.accountId;
    storage.failAppend = ENOSPC();
    await clock.advance(3000);
    assert.equal(m.database().failure?.code, 'storage-failed');
    assert.ok(logger.records.some((r) => r.level === 'error' && /lease heartbeat stopped: writing the journal memory journal failed/.test(r.message)));
    storage.failAppend = undefined;
    await rejectsWith(port.complete(held, {}), 'storage-failed');
    await rejectsWith(port.checkoutNext(), 'storage-failed');
    await m.close();
  });

  it('damage SQLite meets while running rejects with db-corrupt on every path, and stops the database', async () => {
    for (const [name, op] of OPERATIONS) {
      const { m } = await setup();
      const port = m.accountPort('all', G1);
      const held = (await port.checkoutNext())!.accountId;
      damageAccountsTable(rawDatabase(m.database()));
      await rejectsWith(op(port, held), 'db-corrupt', /the account database memory database is damaged \(SQLite reports: database disk image is malformed\)\. Nothing was changed\. Restore/);
      assert.equal(m.database().failure?.code, 'db-corrupt', `${name}: stopped`);
      for (const [, other] of OPERATIONS) {
        await rejectsWith(other(port, held), 'db-corrupt');
      }
      await m.close();
    }
  });

  it('the account database refuses a damaged page at open (integrity check), before anything reads it', async () => {
    const { m, storage } = await setup();
    await m.close();
    storage.snapshot = await withDamagedLeaseIndex(storage.snapshot!);
    const again = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger: new MemoryLogger(), storage });
    await rejectsWith(again.open(), 'db-corrupt', /the account database memory database is damaged \(SQLite's integrity check reports: Tree \d+ page \d+: btreeInitPage\(\) returns error code 11\)\. Nothing was changed\./);
    assert.equal(storage.locked, false);
  });

  it('a snapshot that cannot be written at close rejects with storage-failed naming the file; the lock is released', async () => {
    const { m, storage } = await setup();
    storage.failSnapshot = ENOSPC();
    await rejectsWith(m.close(), 'storage-failed', /writing the account database memory database failed .*the disk is full/);
    assert.equal(storage.locked, false);
  });

  it('a failed compaction loses nothing and does not stop the database (the journal holds every change)', async () => {
    const clock = new FakeClock(false);
    const storage = new MemoryPoolStorage();
    const logger = new MemoryLogger();
    const m = new PoolManager({ fileStore: new MemoryFileStore(), clock, logger, storage, compactEvery: 2 });
    await m.open();
    m.setDefinition(parsePoolDefinition('name: all\ncooldown: 0s\n', 'pools/all.yaml').value!);
    await m.importText(CSV, 'seed.csv');
    storage.failSnapshot = ENOSPC();
    const port = m.accountPort('all', G1);
    for (let i = 0; i < 3; i++) {
      const l = await port.checkoutNext();
      await port.complete(l!.accountId, { packs_opened: 1 });
    }
    assert.equal(m.database().failure, undefined);
    assert.ok(
      logger.records.some(
        (r) => r.level === 'warn' && r.message.startsWith('account database: folding the journal into memory database failed (ENOSPC: no space left on device, write); nothing is lost'),
      ),
    );
    storage.failSnapshot = undefined;
    storage.crash();
    const again = new PoolManager({ fileStore: new MemoryFileStore(), clock, logger: new MemoryLogger(), storage });
    await again.open();
    assert.equal(['a', 'b', 'c', 'd'].reduce((n, id) => n + (again.getAccount(id)?.packs_opened ?? 0), 0), 21, 'the 3 completions are there');
    await again.close();
  });

  it('removes temporary files of an interrupted snapshot write at open', async () => {
    const storage = new MemoryPoolStorage();
    storage.tempFiles = ['.accounts.sqlite.123.abcd.tmp'];
    const logger = new MemoryLogger();
    const m = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger, storage });
    const report = await m.open();
    assert.deepEqual(report.removedTempFiles, ['.accounts.sqlite.123.abcd.tmp']);
    assert.deepEqual(storage.tempFiles, []);
    await m.close();
  });
});

describe('(unit) account pools: the lease heartbeat survives transient failures', function () {
  this.timeout(20_000);

  before(async () => {
    await loadSqlJs();
  });

  it('retries with backoff while leases are held, so a long routine keeps its account', async () => {
    const { m, clock } = await setup('name: one\ninclude: [b]\nfilters: [{ field: id, op: eq, value: none }]\nlease: { ttl: 10s, heartbeat: 3s }\n');
    const logger = new MemoryLogger();
    const real = m.database();
    let failures = 2;
    const flaky = new Proxy(real, {
      get(target, prop) {
        if (prop === 'mutate' && failures > 0) {
          return async () => {
            failures--;
            throw new Error('simulated transient failure');
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const host: PortHost = {
      clock,
      logger,
      database: () => flaky,
      requireDefinition: (n) => m.requireDefinition(n),
      definition: (n) => m.definition(n),
      changed: () => undefined,
      portDisposed: () => undefined,
    };
    failures = 0;
    const holder = new PoolAccountPort(host, 'one', G1);
    assert.equal((await holder.checkoutNext())?.accountId, 'b');
    failures = 2; // the next two heartbeats fail (at 3 s, and the retry 1 s later); the one 2 s after that works
    const other = m.accountPort('one', G2);
    for (let t = 0; t < 40; t++) {
      await clock.advance(1000);
    }
    assert.equal(failures, 0);
    assert.equal(await other.checkoutNext(), undefined, 'the lease was never lost');
    const lease = m.listLeases()[0];
    assert.equal(lease.accountId, 'b');
    assert.ok(Date.parse(lease.expiresAt) > Date.parse('2026-01-01T00:00:40.000Z'), `extended: ${lease.expiresAt}`);
    const warns = logger.records.filter((r) => r.level === 'warn').map((r) => r.message);
    assert.deepEqual(warns, ['lease heartbeat failed (will retry while the leases are held): simulated transient failure']);
    assert.ok(logger.records.some((r) => r.message === 'lease heartbeat works again after 2 failed attempt(s)'));
    await holder.complete('b', {});
    holder.dispose();
    await m.close();
  });
});
