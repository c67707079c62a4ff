import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NodeFileStore } from '../../src/host/nodePorts';
import { nullLogger } from '../../src/shared/loggers';
import { SystemClock } from '../../src/shared/clock';
import { isPoolError } from '../../src/orchestrator/pools/poolErrors';
import { PoolManager } from '../../src/orchestrator/pools/poolManager';
import type { RunRecord } from '../../src/orchestrator/pools/leases';

const REPO = path.resolve(__dirname, '../..');
const WORKER = path.join(REPO, 'test/support/poolRaceWorker.ts');

function workspace(poolYaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-race-'));
  mkdirSync(path.join(dir, 'pools'));
  cpSync(path.join(REPO, 'pools/demo-accounts.json'), path.join(dir, 'pools/demo-accounts.json'));
  writeFileSync(path.join(dir, 'pools/race.yaml'), poolYaml);
  return dir;
}

function manager(root: string): PoolManager {
  return new PoolManager({ fileStore: new NodeFileStore(root), clock: new SystemClock(), logger: nullLogger });
}

/** A worker child whose stdout lines are collected; `waitFor` resolves when a line matches (bounded). */
class Worker {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  private buf = '';
  private waiters: Array<{ pred: (lines: string[]) => boolean; resolve: () => void }> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
      }
      this.check();
    });
    this.child.stderr!.on('data', () => undefined);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.pred(this.lines)) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  waitFor(pred: (lines: string[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred(this.lines)) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; output:\n${this.lines.slice(-5).join('\n')}`)), timeoutMs);
      const exit = () => reject(new Error(`worker exited while waiting for ${what}; output:\n${this.lines.slice(-5).join('\n')}`));
      this.child.once('exit', exit);
      this.waiters.push({
        pred,
        resolve: () => {
          clearTimeout(t);
          this.child.off('exit', exit);
          resolve();
        },
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
    }
  }
}

/** Checks from the history alone that no account was ever leased twice at once. */
function assertNoOverlap(runs: RunRecord[]): void {
  const byAccount = new Map<string, RunRecord[]>();
  for (const r of runs) {
    byAccount.set(r.accountId, [...(byAccount.get(r.accountId) ?? []), r]);
  }
  for (const [id, list] of byAccount) {
    list.sort((a, b) => a.id - b.id);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      assert.ok(prev.finishedAt !== null, `run ${prev.id} of ${id} never finished but run ${list[i].id} started`);
      assert.ok(prev.finishedAt <= list[i].startedAt, `runs ${prev.id} and ${list[i].id} of ${id} overlap`);
    }
  }
}

describe('(integration) account pool races, locks and crashes', function () {
  this.timeout(30_000);
  const dirs: string[] = [];
  const workers: Worker[] = [];
  after(() => {
    for (const w of workers) {
      w.kill();
    }
    for (const d of dirs) {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('8 bots in 2 groups race for 500 checkouts over 6 accounts without a double lease', async () => {
    const root = workspace('name: race\nfilters: [{ field: premium, op: eq, value: true }]\nlimit: 6\ncooldown: 0s\nretry: { maxFailures: 1000 }\n');
    dirs.push(root);
    const m = manager(root);
    await m.open();
    await m.loadDefinitions({ watch: false });
    assert.equal(m.stats('race').total, 6);
    const holders = new Map<string, string>();
    let checkouts = 0;
    let doubles = 0;
    const outcomes = { complete: 0, fail: 0, release: 0 };
    let rnd = 12345;
    const random = () => {
      rnd = (rnd * 1103515245 + 12345) & 0x7fffffff;
      return rnd / 0x7fffffff;
    };
    const bots = Array.from({ length: 8 }, (_, b) =>
      m.accountPort('race', { group: b < 4 ? 'Premium Farmers' : 'Wonder Pickers', bot: String(b % 4), orchestrationId: b < 4 ? 'orch-a' : 'orch-b', routine: 'race' }),
    );
    await Promise.all(
      bots.map(async (port, b) => {
        for (let spins = 0; checkouts < 500 && spins < 100_000; spins++) {
          const lease = await port.checkoutNext();
          if (!lease) {
            await new Promise((r) => setImmediate(r));
            continue;
          }
          checkouts++;
          if (holders.has(lease.accountId)) {
            doubles++;
          }
          holders.set(lease.accountId, `bot${b}`);
          for (let k = Math.floor(random() * 4); k > 0; k--) {
            await new Promise((r) => setImmediate(r));
          }
          holders.delete(lease.accountId);
          const x = random();
          if (x < 0.8) {
            outcomes.complete++;
            await port.complete(lease.accountId, { packs_opened: 1 });
          } else if (x < 0.9) {
            outcomes.fail++;
            await port.markFailed(lease.accountId, 'random failure');
          } else {
            outcomes.release++;
            await port.release(lease.accountId, 'random release');
          }
        }
      }),
    );
    assert.ok(checkouts >= 500);
    assert.equal(doubles, 0);
    assert.deepEqual(m.listLeases(), []);
    await m.close();

    const again = manager(root);
    await again.open();
    const runs = again.history({ limit: 10_000 });
    assert.equal(runs.length, checkouts);
    assert.equal(runs.filter((r) => r.outcome === 'completed').length, outcomes.complete);
    assert.equal(runs.filter((r) => r.outcome === 'failed').length, outcomes.fail);
    assert.equal(runs.filter((r) => r.outcome === 'released').length, outcomes.release);
    assert.deepEqual(new Set(runs.map((r) => r.group)), new Set(['Premium Farmers', 'Wonder Pickers']));
    assertNoOverlap(runs);
    const packs = JSON.parse(readFileSync(path.join(root, 'pools/demo-accounts.json'), 'utf8')) as Array<{ id: string; packs_opened: number }>;
    const added = runs.filter((r) => r.outcome === 'completed').length;
    const total = [...new Set(runs.map((r) => r.accountId))].reduce((n, id) => n + again.getAccount(id)!.packs_opened - packs.find((p) => p.id === id)!.packs_opened, 0);
    assert.equal(total, added, 'every completion added its pack exactly once');
    await again.close();
  });

  it('a second process gets a clear db-locked error naming the owner pid', async () => {
    const root = workspace('name: race\n');
    dirs.push(root);
    const first = new Worker([root, 'hold']);
    workers.push(first);
    await first.waitFor((l) => l.some((x) => x.startsWith('READY') || x.startsWith('ERROR')), 20_000, 'the first worker');
    assert.equal(first.lines[0], `READY ${first.child.pid}`);
    const second = new Worker([root, 'hold']);
    workers.push(second);
    const { code } = await second.exited;
    assert.equal(code, 3);
    assert.match(second.lines[0], new RegExp(`^ERROR db-locked the account database .* is in use by process ${first.child.pid} since `));
    await assert.rejects(manager(root).open(), (e: unknown) => isPoolError(e, 'db-locked') && e.message.includes(`process ${first.child.pid}`));
    first.child.stdin!.write('quit\n');
    assert.equal((await first.exited).code, 0);
    assert.ok(!existsSync(path.join(root, '.fleet/accounts.lock')));
  });

  it('kill -9 mid-run loses no acknowledged completion, and every lease is reclaimed at reopen', async () => {
    const root = workspace('name: race\ncooldown: 0s\n');
    dirs.push(root);
    const w = new Worker([root, 'work', 'race', '4', '25']);
    workers.push(w);
    await w.waitFor((l) => l.filter((x) => x.startsWith('ACK')).length >= 80 || l.some((x) => x.startsWith('ERROR')), 25_000, '80 acknowledged completions');
    w.kill('SIGKILL');
    const { signal } = await w.exited;
    assert.equal(signal, 'SIGKILL');
    assert.ok(!w.lines.some((x) => x.startsWith('ERROR')), w.lines.find((x) => x.startsWith('ERROR')));
    const acks = w.lines.filter((x) => x.startsWith('ACK ')).map((x) => x.split(' '));
    assert.ok(acks.length >= 80);
    assert.ok(existsSync(path.join(root, '.fleet/accounts.lock')), 'the dead worker left its lock');

    const m = manager(root);
    const report = await m.open();
    assert.equal(report.created, false);
    const runs = m.history({ limit: 100_000 });
    const completedSeqs = new Map(runs.filter((r) => r.outcome === 'completed').map((r) => [Number(r.stats?.seq), r.accountId]));
    for (const [, seq, accountId] of acks) {
      assert.equal(completedSeqs.get(Number(seq)), accountId, `acknowledged completion ${seq} of ${accountId} is in the history`);
    }
    assert.deepEqual(m.listLeases(), [], 'every lease was reclaimed');
    assert.equal(runs.filter((r) => r.outcome === 'running').length, 0);
    assert.equal(report.reclaimed.length, runs.filter((r) => r.outcome === 'reclaimed').length);
    await m.loadDefinitions({ watch: false });
    assert.deepEqual(m.stats('race'), { available: 40, total: 40, inUse: 0, completed: 0, failed: 0, banned: 0 });
    assertNoOverlap(runs);
    await m.close();
  });
});
