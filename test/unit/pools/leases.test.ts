import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MemoryLogger } from '../../../src/shared/loggers';
import { parsePoolDefinition, type PoolDefinition } from '../../../src/orchestrator/pools/poolDefinition';
import { isPoolError, type PoolErrorCode } from '../../../src/orchestrator/pools/poolErrors';
import { PoolManager, type PoolStatsChangedEvent } from '../../../src/orchestrator/pools/poolManager';
import { MemoryPoolStorage } from '../../../src/orchestrator/pools/poolStorage';
import { loadSqlJs } from '../../../src/orchestrator/pools/sqlWasm';
import { FakeClock } from '../../support/fakeClock';
import { MemoryFileStore } from '../../support/memoryFileStore';

function poolDef(yaml: string): PoolDefinition {
  const r = parsePoolDefinition(yaml, 'pools/t.yaml');
  assert.deepEqual(r.diagnostics, []);
  return r.value!;
}

const CSV = ['id,password,premium,packs_opened', 'a,pa,true,5', 'b,pb,true,1', 'c,pc,false,9', 'd,pd,true,3'].join('\n');

async function rejectsWith(p: Promise<unknown>, code: PoolErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isPoolError(e), `expected a PoolError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

interface Setup {
  m: PoolManager;
  clock: FakeClock;
  storage: MemoryPoolStorage;
  files: MemoryFileStore;
}

async function setup(opts: { storage?: MemoryPoolStorage; clock?: FakeClock; files?: MemoryFileStore; seed?: boolean } = {}): Promise<Setup> {
  const clock = opts.clock ?? new FakeClock(false);
  const storage = opts.storage ?? new MemoryPoolStorage();
  const files = opts.files ?? new MemoryFileStore();
  const m = new PoolManager({ fileStore: files, clock, logger: new MemoryLogger(), storage });
  await m.open();
  if (opts.seed ?? true) {
    const r = await m.importText(CSV, 'seed.csv');
    assert.equal(r.imported, 4);
  }
  return { m, clock, storage, files };
}

const G1 = { group: 'Premium Farmers', bot: '1', orchestrationId: 'orch-1' };
const G2 = { group: 'Wonder Pickers', bot: '1', orchestrationId: 'orch-2' };

describe('(unit) account pool leases', function () {
  this.timeout(10_000);

  before(async () => {
    await loadSqlJs();
  });

  it('leases each account to one holder at a time, in sort order, across groups', async () => {
    const { m } = await setup();
    m.setDefinition(poolDef('name: prem\nfilters: [{ field: premium, op: eq, value: true }]\nsort: [{ field: packs_opened, order: asc }]\n'));
    const p1 = m.accountPort('prem', G1);
    const p2 = m.accountPort('prem', G2);
    assert.deepEqual(m.stats('prem'), { available: 3, total: 3, inUse: 0, completed: 0, failed: 0, banned: 0 });
    const l1 = await p1.checkoutNext();
    const l2 = await p2.checkoutNext();
    const l3 = await p1.checkoutNext();
    assert.deepEqual([l1?.accountId, l2?.accountId, l3?.accountId], ['b', 'd', 'a']);
    assert.equal(await p2.checkoutNext(), undefined);
    assert.deepEqual(m.stats('prem'), { available: 0, total: 3, inUse: 3, completed: 0, failed: 0, banned: 0 });
    assert.equal(l1?.fields.premium, true);
    assert.equal(l1?.fields.status, 'in_use');
    assert.match(l1!.deviceFile, /<string name="deviceAccount">b<\/string>/);
    assert.equal(l1!.expiresAt, '2026-01-01T00:10:00.000Z');
    assert.deepEqual(
      m
        .listLeases()
        .map((l) => `${l.accountId}:${l.group}/${l.bot}`)
        .sort(),
      ['a:Premium Farmers/1', 'b:Premium Farmers/1', 'd:Wonder Pickers/1'],
    );
    await m.close();
  });

  it('complete adds counters; without cooldown the account stays completed, with cooldown it comes back', async () => {
    const { m, clock } = await setup();
    m.setDefinition(poolDef('name: once\ninclude: [a]\nfilters: [{ field: id, op: eq, value: none }]\n'));
    m.setDefinition(poolDef('name: farm\ninclude: [a]\nfilters: [{ field: id, op: eq, value: none }]\ncooldown: 1h\n'));
    const p = m.accountPort('once', G1);
    const l = await p.checkoutNext();
    assert.equal(l?.accountId, 'a');
    await p.complete('a', { packsOpened: 2, hourglasses: 1, cards: 5 });
    const acc = m.getAccount('a')!;
    assert.equal(acc.packs_opened, 7);
    assert.equal(acc.hourglasses, 1);
    assert.equal(acc.status, 'completed');
    assert.equal(acc.completed_at, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(m.stats('once'), { available: 0, total: 1, inUse: 0, completed: 1, failed: 0, banned: 0 });
    assert.deepEqual(m.stats('farm'), { available: 0, total: 1, inUse: 0, completed: 1, failed: 0, banned: 0 });
    await clock.advance(3_600_000);
    assert.equal(m.stats('farm').available, 1);
    assert.equal(m.stats('once').available, 0);
    const pf = m.accountPort('farm', G2);
    assert.equal((await pf.checkoutNext())?.accountId, 'a');
    assert.equal(await p.checkoutNext(), undefined);
    const [run] = m.history({ accountId: 'a', limit: 1 });
    assert.equal(run.outcome, 'running');
    const done = m.history({ accountId: 'a' })[1];
    assert.equal(done.outcome, 'completed');
    assert.deepEqual(done.stats, { packsOpened: 2, hourglasses: 1, cards: 5 });
    await rejectsWith(p.complete('a', {}), 'not-leased');
    await rejectsWith(pf.complete('a', { packs_opened: 'many' }), 'invalid-field');
    assert.equal(m.getAccount('a')?.packs_opened, 7, 'a refused completion changes nothing');
    await m.close();
  });

  it('a failed account goes back to the pool until it reaches maxFailures', async () => {
    const { m } = await setup();
    m.setDefinition(poolDef('name: p\ninclude: [c]\nfilters: [{ field: id, op: eq, value: none }]\nretry: { maxFailures: 2 }\n'));
    const p = m.accountPort('p', G1);
    await p.checkoutNext();
    await p.markFailed('c', 'popup not closed');
    let acc = m.getAccount('c')!;
    assert.deepEqual([acc.status, acc.failure_count, acc.last_error], ['available', 1, 'popup not closed']);
    assert.equal((await p.checkoutNext())?.accountId, 'c');
    await p.markFailed('c', 'again');
    acc = m.getAccount('c')!;
    assert.deepEqual([acc.status, acc.failure_count], ['failed', 2]);
    assert.equal(await p.checkoutNext(), undefined);
    assert.deepEqual(m.stats('p'), { available: 0, total: 1, inUse: 0, completed: 0, failed: 1, banned: 0 });
    await m.close();
  });

  it('release gives the account back unchanged; a success resets failures', async () => {
    const { m } = await setup();
    m.setDefinition(poolDef('name: p\ninclude: [a]\nfilters: [{ field: id, op: eq, value: none }]\ncooldown: 0s\n'));
    const p = m.accountPort('p', G1);
    await p.checkoutNext();
    await p.markFailed('a', 'x');
    await p.checkoutNext();
    await p.release('a', 'device lost');
    const acc = m.getAccount('a')!;
    assert.deepEqual([acc.status, acc.failure_count, acc.packs_opened], ['available', 1, 5]);
    assert.equal(m.history({ accountId: 'a', limit: 1 })[0].reason, 'released by bot: device lost');
    await rejectsWith(p.release('a'), 'not-leased');
    await p.checkoutNext();
    await p.complete('a', {});
    assert.equal(m.getAccount('a')?.failure_count, 0);
    // cooldown 0s: available again at once
    assert.equal((await p.checkoutNext())?.accountId, 'a');
    await m.close();
  });

  it('heartbeats extend a lease while it is held; a silent holder loses it at expiry', async () => {
    const { m, clock } = await setup();
    m.setDefinition(poolDef('name: p\ninclude: [b]\nfilters: [{ field: id, op: eq, value: none }]\nlease: { ttl: 10s, heartbeat: 3s }\n'));
    const holder = m.accountPort('p', G1);
    const other = m.accountPort('p', G2);
    assert.equal((await holder.checkoutNext())?.accountId, 'b');
    for (let i = 0; i < 10; i++) {
      await clock.advance(3000);
    }
    const lease = m.listLeases()[0];
    assert.equal(lease.heartbeatAt, '2026-01-01T00:00:30.000Z');
    assert.equal(lease.expiresAt, '2026-01-01T00:00:40.000Z');
    assert.equal(await other.checkoutNext(), undefined, 'a heart-beating lease is never taken');
    holder.dispose(); // the bot dies: no more heartbeats
    await clock.advance(9000);
    assert.equal(await other.checkoutNext(), undefined, 'not expired yet');
    await clock.advance(1000);
    const taken = await other.checkoutNext();
    assert.equal(taken?.accountId, 'b');
    const runs = m.history({ accountId: 'b' });
    assert.deepEqual(
      runs.map((r) => `${r.group}:${r.outcome}`),
      ['Wonder Pickers:running', 'Premium Farmers:expired'],
    );
    await rejectsWith(holder.complete('b', {}), 'lease-lost');
    await other.complete('b', { packs_opened: 1 });
    await m.close();
  });

  it('a heartbeat that finds its lease gone stops chasing it', async () => {
    const { m, clock } = await setup();
    m.setDefinition(poolDef('name: p\ninclude: [b]\nfilters: [{ field: id, op: eq, value: none }]\nlease: { ttl: 10s, heartbeat: 3s }\n'));
    const holder = m.accountPort('p', G1);
    await holder.checkoutNext();
    assert.deepEqual(await m.releaseAll({ group: 'Premium Farmers' }), ['b']);
    assert.deepEqual(holder.heldAccounts(), []);
    await clock.advance(3000);
    assert.equal(m.getAccount('b')?.status, 'available');
    await rejectsWith(holder.complete('b', {}), 'lease-lost');
    await m.close();
  });

  it('releaseAll ends only the matching leases', async () => {
    const { m } = await setup();
    m.setDefinition(poolDef('name: all\n'));
    const a = m.accountPort('all', G1);
    const b = m.accountPort('all', { ...G1, bot: '2' });
    const c = m.accountPort('all', G2);
    await a.checkoutNext();
    await b.checkoutNext();
    const lc = await c.checkoutNext();
    const released = await m.releaseAll({ orchestrationId: 'orch-1' });
    assert.equal(released.length, 2);
    assert.deepEqual(
      m.listLeases().map((l) => l.accountId),
      [lc!.accountId],
    );
    assert.equal(m.stats('all').inUse, 1);
    assert.equal(m.history().filter((r) => r.outcome === 'released' && r.reason === 'group stopped').length, 2);
    await m.close();
  });

  it('reclaims the leases of a crashed run when the database is opened again', async () => {
    const storage = new MemoryPoolStorage();
    const first = await setup({ storage });
    first.m.setDefinition(poolDef('name: all\n'));
    const p = first.m.accountPort('all', G1);
    const l1 = await p.checkoutNext();
    const l2 = await p.checkoutNext();
    await p.complete(l2!.accountId, { packs_opened: 4 });
    await p.checkoutNext();
    // The process dies: no close, heartbeats stop, the lock is stale.
    p.dispose();
    storage.crash();
    const second = await setup({ storage, seed: false });
    assert.ok(second.m.database().openReport.replayed > 0);
    const reclaimed = (await second.m.reclaimStale()).length;
    assert.equal(reclaimed, 0, 'open() already reclaimed everything');
    assert.deepEqual(second.m.listLeases(), []);
    assert.equal(second.m.getAccount(l1!.accountId)?.status, 'available');
    assert.equal(second.m.getAccount(l2!.accountId)?.packs_opened, (first.m.getAccount(l2!.accountId)?.packs_opened ?? 0));
    const outcomes = second.m
      .history()
      .map((r) => r.outcome)
      .sort();
    assert.deepEqual(outcomes, ['completed', 'reclaimed', 'reclaimed']);
    await second.m.close();
  });

  it('reclaimStale keeps leases of live orchestrations and reclaims the others', async () => {
    const { m } = await setup();
    m.setDefinition(poolDef('name: all\n'));
    const live = m.accountPort('all', G1);
    const dead = m.accountPort('all', G2);
    await live.checkoutNext();
    await dead.checkoutNext();
    dead.dispose();
    const r = await m.reclaimStale();
    assert.equal(r.length, 1);
    assert.equal(m.listLeases()[0].orchestrationId, 'orch-1');
    await m.close();
  });

  it('update sets columns and custom fields, refuses bad ones, and bans', async () => {
    const { m } = await setup();
    m.setDefinition(poolDef('name: all\ncooldown: 0s\n'));
    const p = m.accountPort('all', G1);
    const l = await p.checkoutNext();
    const id = l!.accountId;
    await p.update(id, { shinedust: '250', name: 'Nick', region: 'eu', premium: 'no' });
    let acc = m.getAccount(id)!;
    assert.deepEqual([acc.shinedust, acc.name, acc.premium, acc.extra.region], [250, 'Nick', false, 'eu']);
    await rejectsWith(p.update(id, { status: 'completed' }), 'invalid-field');
    await rejectsWith(p.update(id, { created_at: 'x' }), 'invalid-field');
    await rejectsWith(p.update(id, { 'bad key': 1 }), 'invalid-field');
    await rejectsWith(p.update(id, { hourglasses: 1.5 }), 'invalid-field');
    await p.update(id, { region: null, status: 'banned' });
    await p.complete(id, { packs_opened: 1 });
    acc = m.getAccount(id)!;
    assert.equal(acc.extra.region, undefined);
    assert.equal(acc.status, 'banned', 'a ban survives completion');
    assert.equal(m.stats('all').banned, 1);
    await m.updateAccount(id, { status: 'available' });
    assert.equal(m.getAccount(id)?.status, 'available');
    await rejectsWith(m.updateAccount('nobody', { name: 'x' }), 'unknown-account');
    await m.close();
  });

  it('lifting a ban while the account is leased sticks once the lease ends', async () => {
    const { m } = await setup();
    m.setDefinition(poolDef('name: all\n'));
    const p = m.accountPort('all', G1);
    const id = (await p.checkoutNext())!.accountId;
    await m.updateAccount(id, { status: 'banned' });
    assert.equal(m.getAccount(id)?.status, 'banned');
    await m.updateAccount(id, { status: 'available' });
    assert.equal(m.getAccount(id)?.status, 'in_use', 'still leased');
    assert.equal(m.stats('all').inUse, 1);
    await p.release(id);
    assert.equal(m.getAccount(id)?.status, 'available', 'the lifted ban is not restored by the release');
    await m.close();
  });

  it('fires onDidChangePoolStats with the new counts', async () => {
    const { m } = await setup();
    m.setDefinition(poolDef('name: all\n'));
    const events: PoolStatsChangedEvent[] = [];
    m.onDidChangePoolStats((e) => events.push(e));
    const p = m.accountPort('all', G1);
    await p.checkoutNext();
    assert.deepEqual(events.at(-1), { pool: 'all', stats: { available: 3, total: 4, inUse: 1, completed: 0, failed: 0, banned: 0 } });
    await p.checkoutNext();
    assert.equal(events.at(-1)?.stats.inUse, 2);
    await m.close();
  });

  it('refuses unknown pools, aborted checkouts and a second owner', async () => {
    const { m, storage } = await setup();
    assert.throws(() => m.accountPort('nope', G1), (e: unknown) => isPoolError(e, 'unknown-pool'));
    m.setDefinition(poolDef('name: all\n'));
    const ac = new AbortController();
    ac.abort();
    await rejectsWith(m.accountPort('all', G1).checkoutNext(ac.signal), 'aborted');
    const again = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger: new MemoryLogger(), storage });
    await rejectsWith(again.open(), 'db-locked');
    await m.close();
    await again.open();
    await again.close();
  });
});

describe('(unit) account database durability (in-memory storage)', function () {
  this.timeout(10_000);

  it('every acknowledged mutation is in the journal before it resolves', async () => {
    const { m, storage } = await setup();
    m.setDefinition(poolDef('name: all\n'));
    const before = storage.journal.length;
    await m.accountPort('all', G1).checkoutNext();
    assert.ok(storage.journal.length > before);
    const [crc, json] = storage.journal.trimEnd().split('\n').at(-1)!.split(/ (.*)/s);
    assert.match(crc, /^[0-9a-f]{8}$/, 'each record starts with its checksum');
    const last = JSON.parse(json) as { s: number; t: unknown[] };
    assert.ok(last.t.length >= 3, 'one entry holds the whole transaction');
    await m.close();
    assert.equal(storage.journal, '', 'close folds the journal into the snapshot');
  });

  it('drops a torn last journal line and refuses a damaged middle one', async () => {
    const storage = new MemoryPoolStorage();
    const first = await setup({ storage });
    first.m.setDefinition(poolDef('name: all\n'));
    await first.m.accountPort('all', G1).checkoutNext();
    storage.crash();
    const intact = storage.journal;
    storage.journal = `${intact}{"s":99,"t":[["UPDATE acc`;
    const second = await setup({ storage, seed: false });
    assert.equal(second.m.database().openReport.droppedTornTail, true);
    assert.equal(second.m.getAccount('a')?.id, 'a');
    await second.m.close();

    const s3 = new MemoryPoolStorage();
    const third = await setup({ storage: s3 });
    third.m.setDefinition(poolDef('name: all\n'));
    await third.m.accountPort('all', G1).checkoutNext();
    s3.crash();
    s3.journal = `garbage\n${s3.journal}`;
    const fourth = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger: new MemoryLogger(), storage: s3 });
    await rejectsWith(fourth.open(), 'db-corrupt');
    assert.equal(s3.locked, false, 'a failed open releases the lock');
  });

  it('refuses a database from a newer version and a file that is not SQLite', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.exec('PRAGMA user_version = 99');
    const storage = new MemoryPoolStorage();
    storage.snapshot = db.export();
    db.close();
    const m = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger: new MemoryLogger(), storage });
    await rejectsWith(m.open(), 'db-newer-version');
    const junk = new MemoryPoolStorage();
    junk.snapshot = new TextEncoder().encode('this is not a database file at all, not even close to one.....................................................');
    await rejectsWith(new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger: new MemoryLogger(), storage: junk }).open(), 'db-corrupt');
  });

  it('snapshot durability writes the whole database before acknowledging, and no journal', async () => {
    const storage = new MemoryPoolStorage();
    const m = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger: new MemoryLogger(), storage, durability: 'snapshot' });
    await m.open();
    const before = storage.snapshots;
    await m.importText(CSV, 'seed.csv');
    assert.equal(storage.snapshots, before + 1);
    assert.equal(storage.journal, '');
    storage.crash();
    const again = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger: new MemoryLogger(), storage });
    await again.open();
    assert.equal(again.getAccount('d')?.password, 'pd');
    await again.close();
  });

  it('compacts the journal into a snapshot every compactEvery entries', async () => {
    const storage = new MemoryPoolStorage();
    const m = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger: new MemoryLogger(), storage, compactEvery: 3 });
    await m.open();
    await m.importText(CSV, 'seed.csv');
    m.setDefinition(poolDef('name: all\n'));
    const p = m.accountPort('all', G1);
    const before = storage.snapshots;
    for (let i = 0; i < 4; i++) {
      await p.checkoutNext();
    }
    assert.ok(storage.snapshots > before);
    assert.ok(storage.journal.split('\n').filter(Boolean).length < 3);
    storage.crash();
    const again = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger: new MemoryLogger(), storage });
    const r = await again.open();
    assert.equal(r.reclaimed.length, 4, 'the state before the crash was fully restored (then reclaimed)');
    await again.close();
  });

  it('a read-only open refuses changes', async () => {
    const storage = new MemoryPoolStorage();
    const { m } = await setup({ storage });
    await m.close();
    const ro = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger: new MemoryLogger(), storage, readOnly: true });
    await ro.open();
    assert.equal(ro.getAccount('a')?.password, 'pa');
    await rejectsWith(ro.importText(CSV, 'x.csv'), 'read-only');
    await ro.close();
  });
});

describe('(unit) pool manager definitions and seeding', function () {
  this.timeout(10_000);

  it('loads pools/*.yaml, reports errors and duplicate names with positions', async () => {
    const files = new MemoryFileStore({
      'pools/a.yaml': 'name: alpha\ndescription: first\n',
      'pools/b.yaml': '# same name\nname: alpha\n',
      'pools/c.yml': 'name: gamma\nfilters:\n  - { field: premium, op: lt, value: 1 }\n',
      'pools/notes.txt': 'ignored',
    });
    const { m } = await setup({ files });
    let fired = 0;
    m.onDidChangePools(() => fired++);
    const r = await m.loadDefinitions();
    assert.deepEqual(
      r.pools.map((p) => p.name),
      ['alpha'],
    );
    assert.equal(fired, 1);
    const msgs = r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.message}`);
    assert.deepEqual(msgs, ["pools/b.yaml:2:7 pool 'alpha' is already defined in pools/a.yaml", 'pools/c.yml:3:38 filters[0].value: lt does not apply to premium; use eq, ne, in or notIn']);
    assert.deepEqual(m.listPools(), [{ name: 'alpha', description: 'first', file: 'pools/a.yaml', stats: { available: 4, total: 4, inUse: 0, completed: 0, failed: 0, banned: 0 } }]);
    await m.close();
  });

  it('seeds a new database from pools/demo-accounts.json, once', async () => {
    const demo = readFileSync(path.join(__dirname, '../../../pools/demo-accounts.json'), 'utf8');
    const files = new MemoryFileStore({ 'pools/demo-accounts.json': demo });
    const storage = new MemoryPoolStorage();
    const m = new PoolManager({ fileStore: files, clock: new FakeClock(false), logger: new MemoryLogger(), storage });
    const report = await m.open();
    assert.equal(report.created, true);
    assert.equal(report.seeded?.imported, 40);
    assert.deepEqual(report.seeded?.diagnostics, []);
    m.setDefinition(poolDef('name: prem\nfilters: [{ field: premium, op: eq, value: true }]\n'));
    assert.equal(m.stats('prem').total, 16);
    await m.close();
    const again = new PoolManager({ fileStore: files, clock: new FakeClock(false), logger: new MemoryLogger(), storage });
    const r2 = await again.open();
    assert.equal(r2.created, false);
    assert.equal(r2.seeded, undefined);
    await again.close();
  });

  it('the shipped pool definitions are valid', () => {
    for (const f of ['premium_accounts.yaml', 'wonder_pick_accounts.yaml']) {
      const text = readFileSync(path.join(__dirname, '../../../pools', f), 'utf8');
      const r = parsePoolDefinition(text, `pools/${f}`);
      assert.deepEqual(r.diagnostics, [], f);
      assert.equal(r.value?.name, f.replace('.yaml', ''));
    }
  });
});
