import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NodeFileStore } from '../../src/host/nodePorts';
import { nullLogger } from '../../src/shared/loggers';
import { SystemClock } from '../../src/shared/clock';
import { main as poolsCli } from '../../src/cli/commands/pools';
import { isPoolError } from '../../src/orchestrator/pools/poolErrors';
import { PoolManager } from '../../src/orchestrator/pools/poolManager';
import { waitForEvent } from '../../src/shared/lifecycle';
import { captureOutput, type CapturedOutput } from '../support/captureOutput';

const REPO = path.resolve(__dirname, '../..');

function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-pools-'));
  mkdirSync(path.join(dir, 'pools'));
  for (const f of ['premium_accounts.yaml', 'wonder_pick_accounts.yaml', 'demo-accounts.json']) {
    cpSync(path.join(REPO, 'pools', f), path.join(dir, 'pools', f));
  }
  return dir;
}

function manager(root: string, opts: { readOnly?: boolean } = {}): PoolManager {
  return new PoolManager({ fileStore: new NodeFileStore(root), clock: new SystemClock(), logger: nullLogger, ...opts });
}

/** Runs the pools command in this process and captures what it prints. */
function cli(args: string[]): Promise<CapturedOutput> {
  return captureOutput(() => poolsCli(args));
}

describe('(integration) account pools database files', function () {
  this.timeout(20_000);
  const dirs: string[] = [];
  const ws = () => {
    const d = workspace();
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('creates, seeds, persists across close/reopen, and never leaves a lock behind', async () => {
    const root = ws();
    const m = manager(root);
    const report = await m.open();
    assert.equal(report.created, true);
    assert.equal(report.seeded?.imported, 40);
    const db = path.join(root, '.fleet/accounts.sqlite');
    const lock = path.join(root, '.fleet/accounts.lock');
    assert.ok(existsSync(db), 'the database file is written at creation');
    assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid);
    await m.loadDefinitions({ watch: false });
    assert.deepEqual(m.stats('premium_accounts'), { available: 16, total: 16, inUse: 0, completed: 0, failed: 0, banned: 0 });
    const port = m.accountPort('premium_accounts', { group: 'Premium Farmers', bot: '1', orchestrationId: 'o1' });
    const lease = await port.checkoutNext();
    await port.complete(lease!.accountId, { packs_opened: 3 });
    const l2 = await port.checkoutNext();
    await port.markFailed(l2!.accountId, 'stuck on title');
    port.dispose();
    await m.close();
    assert.ok(!existsSync(lock), 'close removes the lock');
    assert.equal(statSync(path.join(root, '.fleet/accounts.journal')).size, 0, 'close compacts the journal');

    const again = manager(root);
    const r2 = await again.open();
    assert.equal(r2.created, false);
    assert.equal(r2.seeded, undefined);
    await again.loadDefinitions({ watch: false });
    const acc = again.getAccount(lease!.accountId)!;
    assert.equal(acc.status, 'completed');
    assert.equal(acc.packs_opened, JSON.parse(readFileSync(path.join(root, 'pools/demo-accounts.json'), 'utf8')).find((a: { id: string }) => a.id === acc.id).packs_opened + 3);
    assert.equal(again.getAccount(l2!.accountId)?.last_error, 'stuck on title');
    assert.equal(again.history().length, 2);
    await again.close();
  });

  it('a second owner in the same process gets db-locked naming the pid; read-only still works', async () => {
    const root = ws();
    const m = manager(root);
    await m.open();
    await assert.rejects(manager(root).open(), (e: unknown) => {
      assert.ok(isPoolError(e, 'db-locked'));
      assert.match(e.message, new RegExp(`this process \\(${process.pid}\\)`));
      return true;
    });
    const ro = manager(root, { readOnly: true });
    await ro.open();
    assert.equal(ro.getAccount(m.listLeases()[0]?.accountId ?? 'none'), undefined);
    assert.ok(ro.getAccount(JSON.parse(readFileSync(path.join(root, 'pools/demo-accounts.json'), 'utf8'))[0].id));
    await ro.close();
    await m.close();
  });

  it('takes over the lock of a dead process', async () => {
    const root = ws();
    const m0 = manager(root);
    await m0.open();
    await m0.close();
    // A pid that cannot exist (above pid_max).
    writeFileSync(path.join(root, '.fleet/accounts.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: require('node:os').hostname(), since: 'earlier' }));
    const m = manager(root);
    await m.open();
    assert.equal(JSON.parse(readFileSync(path.join(root, '.fleet/accounts.lock'), 'utf8')).pid, process.pid);
    await m.close();
  });

  it('watches pools/*.yaml and reloads the definitions on change', async () => {
    const root = ws();
    const m = manager(root);
    await m.open();
    await m.loadDefinitions();
    const added = waitForEvent(m.onDidChangePools, (e) => e.pools.some((p) => p.name === 'fresh'), 10_000);
    writeFileSync(path.join(root, 'pools/fresh.yaml'), 'name: fresh\nfilters: [{ field: hourglasses, op: ge, value: 6 }]\n');
    const e = await added;
    assert.ok(e.pools.find((p) => p.name === 'fresh')!.stats.total > 0);
    const broken = waitForEvent(m.onDidChangePools, (ev) => ev.diagnostics.length > 0, 10_000);
    writeFileSync(path.join(root, 'pools/fresh.yaml'), 'name: fresh\nfilters: [{ field: hourglasses, op: ge, value: many }]\n');
    const b = await broken;
    assert.match(b.diagnostics[0].message, /whole number/);
    assert.equal(b.diagnostics[0].file, 'pools/fresh.yaml');
    assert.equal(m.getPool('fresh'), undefined, 'a file with errors defines no pool');
    await m.close();
  });

  it('pools list / show / import from the command line', async () => {
    const root = ws();
    const list = await cli(['list', '--root', root]);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^POOL\s+AVAILABLE\s+IN USE\s+COMPLETED\s+FAILED\s+DESCRIPTION$/m);
    assert.match(list.out, /^premium_accounts\s+16\/16\s+0\s+0\s+0\s+Premium-pass/m);
    assert.match(list.out, /^wonder_pick_accounts\s+40\/40/m);

    const json = JSON.parse((await cli(['list', '--root', root, '--json'])).out) as { pools: Array<{ name: string; stats: { total: number } }> };
    assert.deepEqual(
      json.pools.map((p) => [p.name, p.stats.total]),
      [
        ['premium_accounts', 16],
        ['wonder_pick_accounts', 40],
      ],
    );

    const show = await cli(['show', 'premium_accounts', '--root', root, '--limit', '3']);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /filters: {4}premium eq true AND status notIn \["failed","banned"\]/);
    assert.match(show.out, /accounts: {3}16\/16 available/);
    assert.equal(show.out.split('\n').filter((l) => l.startsWith('demo')).length, 3);
    assert.ok(!show.out.includes(JSON.parse(readFileSync(path.join(root, 'pools/demo-accounts.json'), 'utf8'))[0].password), 'passwords are never shown');
    const showJson = JSON.parse((await cli(['show', 'premium_accounts', '--root', root, '--json'])).out) as { accounts: Array<Record<string, unknown>> };
    assert.equal(showJson.accounts.length, 10);
    assert.ok(!('password' in showJson.accounts[0]));

    const missing = await cli(['show', 'nope', '--root', root]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no account pool named 'nope' \(pools: premium_accounts, wonder_pick_accounts\)/);

    const inbox = path.join(root, 'inbox');
    mkdirSync(inbox);
    writeFileSync(path.join(inbox, 'one.xml'), `<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n  <string name="deviceAccount">xmlacc1</string>\n  <string name="devicePassword">pw</string>\n  <boolean name="premium" value="true" />\n</map>\n`);
    writeFileSync(path.join(inbox, 'two.xml'), '<account>xmlacc2</account><password>pw2</password>');
    writeFileSync(path.join(inbox, 'broken.xml'), '<map>\n  <string name="deviceAccount">x</string>\n');
    writeFileSync(path.join(inbox, 'ignore.txt'), 'not an account');
    const csv = path.join(root, 'more.csv');
    writeFileSync(csv, 'id,password,premium,notes\ncsv1,p,true,"hello, world"\ncsv2,p,nope,x\n');
    const imp = await cli(['import', inbox, csv, '--root', root]);
    assert.equal(imp.code, 1, 'errors in some rows give exit code 1');
    assert.match(imp.err, /broken\.xml:1:1: <map> is never closed/);
    assert.match(imp.err, /more\.csv:3:8: premium expects true or false, got 'nope'/);
    assert.match(imp.out, /^3 imported, 0 updated, 0 unchanged, 2 skipped \(4 files\)$/m);
    const again = await cli(['import', path.join(inbox, 'one.xml'), '--root', root, '--json']);
    assert.equal(again.code, 0);
    assert.equal((JSON.parse(again.out) as { total: { unchanged: number } }).total.unchanged, 1);
    const after = JSON.parse((await cli(['list', '--root', root, '--json'])).out) as { pools: Array<{ name: string; stats: { total: number } }> };
    assert.equal(after.pools[0].stats.total, 18, 'two new premium accounts');

    assert.equal((await cli(['frobnicate', '--root', root])).code, 2);
    assert.equal((await cli(['show', '--root', root])).code, 2);
    const negative = await cli(['show', 'premium_accounts', '--root', root, '--limit=-1']);
    assert.equal(negative.code, 2);
    assert.match(negative.err, /--limit expects a positive integer, got -1/);
  });

  it('the CLI reads a database owned by another live process read-only, and refuses to import into it', async () => {
    const root = ws();
    const owner = manager(root);
    await owner.open();
    const list = await cli(['list', '--root', root]);
    assert.equal(list.code, 0);
    assert.match(list.err, /in use by this process .*showing it read-only/);
    assert.match(list.out, /premium_accounts\s+16\/16/);
    const imp = await cli(['import', path.join(root, 'pools/demo-accounts.json'), '--root', root]);
    assert.equal(imp.code, 1);
    assert.match(imp.err, /is in use by/);
    await owner.close();
  });
});
