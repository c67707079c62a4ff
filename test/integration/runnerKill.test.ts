/**
 * Kill -9 of the headless runner in the middle of a run, then a restart: no acknowledged account completion is
 * lost and every lease the killed run held is reclaimed. The runner is the real `emulator-fleet run` in a child
 * process (virtual devices, real routines, the real SQLite pool in a temporary workspace).
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { NodeFileStore } from '../../src/host/nodePorts';
import { SystemClock } from '../../src/shared/clock';
import { nullLogger } from '../../src/shared/loggers';
import { PoolManager } from '../../src/orchestrator/pools/poolManager';

const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'bin', 'emulator-fleet.js');

describe('(integration) runner killed with SIGKILL mid-run', function () {
  this.timeout(120_000);
  let ws: string;

  before(() => {
    ws = mkdtempSync(path.join(tmpdir(), 'fleet-kill-'));
    for (const dir of ['groups', 'routines', 'templates', 'pools']) {
      if (existsSync(path.join(REPO, dir))) {
        cpSync(path.join(REPO, dir), path.join(ws, dir), { recursive: true });
      }
    }
  });

  after(() => {
    rmSync(ws, { recursive: true, force: true });
  });

  it('keeps every acknowledged completion and reclaims every lease at the next start', async () => {
    const completed: string[] = [];
    let checkedOutAtKill = 0;
    const checkedOut = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'run', 'Premium Farmers', '--root', ws, '--virtual', '2', '--json'], {
        cwd: REPO,
        env: { ...process.env, EMULATOR_FLEET_FROM_SOURCE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no completion within the time limit\n${stderr}`));
      }, 100_000);
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        let e: { type?: string; action?: string; accountId?: string };
        try {
          e = JSON.parse(line) as typeof e;
        } catch {
          return;
        }
        if (e.type === 'bot.account' && e.accountId) {
          if (e.action === 'checkout') {
            checkedOut.add(e.accountId);
          } else if (e.action === 'complete') {
            completed.push(e.accountId);
            checkedOut.delete(e.accountId);
            // Kill as soon as a completion was acknowledged while the other bot still holds an account.
            if (completed.length >= 2 && checkedOut.size > 0 && child.exitCode === null) {
              checkedOutAtKill = checkedOut.size;
              child.kill('SIGKILL');
            }
          } else {
            checkedOut.delete(e.accountId);
          }
        }
      });
      child.on('close', (_code, signal) => {
        clearTimeout(timer);
        if (signal !== 'SIGKILL') {
          reject(new Error(`the runner ended by itself (${String(signal)})\n${stderr}`));
        } else {
          resolve();
        }
      });
    });
    assert.ok(completed.length >= 2);
    assert.ok(checkedOutAtKill >= 1, 'a lease was held when the runner died');

    const pools = new PoolManager({ fileStore: new NodeFileStore(ws), clock: new SystemClock(), logger: nullLogger });
    const report = await pools.open();
    try {
      for (const id of completed) {
        const runs = pools.history({ accountId: id });
        assert.ok(
          runs.some((r) => r.outcome === 'completed'),
          `the acknowledged completion of ${id} is in the history (${JSON.stringify(runs.map((r) => r.outcome))})`,
        );
      }
      assert.deepEqual(pools.listLeases(), [], 'no lease survives the restart');
      assert.ok(report.reclaimed.length >= checkedOutAtKill, `reclaimed ${JSON.stringify(report.reclaimed)}`);
    } finally {
      await pools.close();
    }
  });
});
