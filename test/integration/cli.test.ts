/**
 * The headless runner as a user runs it: `emulator-fleet groups list` and `emulator-fleet run <group> --virtual N`
 * in a child process (virtual devices on the embedded ADB host endpoint, real routines, real pool), including
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP for a graceful stop, groups that end on their own or fail, and the `--json`
 * summary of a run that cannot start.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { NodeFileStore } from '../../src/host/nodePorts';
import { nullLogger } from '../../src/shared/loggers';
import { SystemClock } from '../../src/shared/clock';
import { PoolManager } from '../../src/orchestrator/pools/poolManager';
import { runGroup, STOP_SIGNALS } from '../../src/cli/commands/run';

const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'bin', 'emulator-fleet.js');

/** A temporary copy of the repository's workspace (groups, routines, templates, pools). */
function copyWorkspace(prefix: string): string {
  const ws = mkdtempSync(path.join(tmpdir(), prefix));
  for (const dir of ['groups', 'routines', 'templates', 'pools']) {
    if (existsSync(path.join(REPO, dir))) {
      cpSync(path.join(REPO, dir), path.join(ws, dir), { recursive: true });
    }
  }
  return ws;
}

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

interface Summary {
  type: string;
  group: string;
  state: string;
  stopReason?: string;
  error?: { message: string; code?: string };
  bots: Array<{ instance: string; state: string; cycles: number; errors: number; stopReason?: string }>;
}

function lastJson<T>(r: CliResult): T {
  return JSON.parse(r.lines[r.lines.length - 1]) as T;
}

/**
 * How long a CLI run may take before it counts as hung: generous, because a loaded 2-core machine can take a minute
 * just to compile and start the CLI. Every test waits on the child's output, never on time.
 */
const HANG_GUARD_MS = 180_000;

/** Runs the CLI; `onLine` sees stdout lines as they come (it may send signals to the child). */
function cli(args: string[], opts: { timeoutMs?: number; onLine?: (line: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, EMULATOR_FLEET_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      lines.push(l);
      opts.onLine?.(l, child);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI timed out: ${args.join(' ')}\n${stderr}`));
    }, opts.timeoutMs ?? HANG_GUARD_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, lines, stderr });
    });
  });
}

describe('(integration) CLI: groups and run', function () {
  this.timeout(2 * HANG_GUARD_MS + 60_000);
  let ws: string;

  before(() => {
    ws = copyWorkspace('fleet-cli-');
  });

  after(() => {
    rmSync(ws, { recursive: true, force: true });
  });

  it('groups list shows the shipped groups; a broken file is listed with its located problem and exit 1', async () => {
    const ok = await cli(['groups', 'list', '--root', ws, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const list = JSON.parse(ok.lines.join('\n')) as Array<{ name: string; valid: boolean; routine: string; accountPool: string }>;
    assert.deepEqual(
      list.map((d) => [d.name, d.valid, d.routine, d.accountPool]),
      [
        ['Premium Farmers', true, 'farm_premium', 'premium_accounts'],
        ['Wonder Pick Farmers', true, 'wonder_pick', 'wonder_pick_accounts'],
      ],
    );
    writeFileSync(path.join(ws, 'groups', 'zz_broken.yaml'), 'name: Broken\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: 1\nstager: 2s\n');
    try {
      const bad = await cli(['groups', 'list', '--root', ws]);
      assert.equal(bad.code, 1);
      const text = bad.lines.join('\n');
      assert.match(text, /Premium Farmers/);
      assert.match(text, /groups\/zz_broken\.yaml:5:1: unknown key 'stager'/);
    } finally {
      rmSync(path.join(ws, 'groups', 'zz_broken.yaml'));
    }
    const usage = await cli(['groups', 'frobnicate']);
    assert.equal(usage.code, 2);
  });

  it('run --virtual 2 --cycles 1 --json prints events and a final summary', async () => {
    const r = await cli(['run', 'Premium Farmers', '--root', ws, '--virtual', '2', '--cycles', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.lines.map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    const types = new Set(events.map((e) => e.type));
    for (const t of ['group.state', 'bot.state', 'bot.step', 'bot.cycle', 'bot.account']) {
      assert.ok(types.has(t), `missing ${t} events`);
    }
    const summary = events[events.length - 1] as unknown as { type: string; bots: Array<{ instance: string; serial: string; cycles: number; errors: number; accounts: string[] }> };
    assert.equal(summary.type, 'summary');
    assert.deepEqual(
      summary.bots.map((b) => [b.instance, b.cycles, b.accounts.length]),
      [
        ['1', 1, 1],
        ['2', 1, 1],
      ],
    );
    assert.ok(summary.bots.every((b) => typeof b.serial === 'string' && b.errors >= 0));
  });

  it('Ctrl-C stops gracefully: the bots finish their step, then the summary is printed and the exit code is 0', async () => {
    let sent = false;
    const r = await cli(['run', 'premium_farmers', '--root', ws, '--virtual', '2', '--json'], {
      onLine: (line, child) => {
        if (!sent && line.includes('"type":"bot.step"') && line.includes('"phase":"end"') && line.includes('"instance":"2"')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    assert.ok(sent, 'a step ended before the interrupt');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /stopping/);
    const summary = JSON.parse(r.lines[r.lines.length - 1]) as { type: string; state: string; stopReason: string; bots: Array<{ state: string }> };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.state, 'stopped');
    assert.equal(summary.stopReason, 'requested');
    assert.deepEqual(
      summary.bots.map((b) => b.state),
      ['stopped', 'stopped'],
    );
    // Graceful: every step that started also ended (nothing was cut off).
    const steps = r.lines.filter((l) => l.includes('"type":"bot.step"')).map((l) => JSON.parse(l) as { instance: string; path: string; routine: string; phase: string });
    const open = new Map<string, number>();
    for (const s of steps) {
      const k = `${s.instance} ${s.routine} ${s.path}`;
      open.set(k, (open.get(k) ?? 0) + (s.phase === 'start' ? 1 : -1));
    }
    assert.deepEqual([...open.entries()].filter(([, n]) => n !== 0), [], 'a step was cut off');
  });

  it('SIGTERM (a plain kill) stops as gracefully as Ctrl-C', async () => {
    let sent = false;
    const r = await cli(['run', 'Premium Farmers', '--root', ws, '--virtual', '1', '--json'], {
      onLine: (line, child) => {
        if (!sent && line.includes('"type":"bot.step"') && line.includes('"phase":"end"')) {
          sent = true;
          child.kill('SIGTERM');
        }
      },
    });
    assert.ok(sent, 'a step ended before the signal');
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.lines[r.lines.length - 1]) as { type: string; state: string; stopReason: string };
    assert.deepEqual([summary.type, summary.state, summary.stopReason], ['summary', 'stopped', 'requested']);
  });

  it('a second Ctrl-C forces the stop', async () => {
    let first = false;
    let second = false;
    const r = await cli(['run', 'Premium Farmers', '--root', ws, '--virtual', '1', '--json', '--stop-timeout', '60'], {
      onLine: (line, child) => {
        if (!first && line.includes('"type":"bot.step"') && line.includes('"phase":"start"')) {
          first = true;
          child.kill('SIGINT');
        } else if (first && !second && line.includes('"type":"group.state"') && line.includes('"state":"stopping"')) {
          // The first stop began: the second signal follows at once.
          second = true;
          child.kill('SIGINT');
        }
      },
    });
    assert.ok(first && second, 'both signals were sent');
    assert.equal(r.signal, null, `the process died of a signal\n${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /forcing the stop/);
    const summary = JSON.parse(r.lines[r.lines.length - 1]) as { type: string; state: string; bots: Array<{ instance: string; state: string }> };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.state, 'stopped');
    assert.deepEqual(
      summary.bots.map((b) => [b.instance, b.state]),
      [['1', 'stopped']],
    );
  });

  it('SIGHUP (the terminal closes) stops as gracefully as Ctrl-C: summary printed, leases released, lock freed', async () => {
    let sent = false;
    const r = await cli(['run', 'Premium Farmers', '--root', ws, '--virtual', '2', '--json'], {
      onLine: (line, child) => {
        if (!sent && line.includes('"type":"bot.account"') && line.includes('"action":"checkout"')) {
          sent = true;
          child.kill('SIGHUP');
        }
      },
    });
    assert.ok(sent, 'an account was leased before the signal');
    assert.equal(r.signal, null, `killed by ${String(r.signal)}\n${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /stopping \(SIGHUP\)/);
    const summary = lastJson<Summary>(r);
    assert.deepEqual([summary.type, summary.state, summary.stopReason], ['summary', 'stopped', 'requested']);
    const pools = new PoolManager({ fileStore: new NodeFileStore(ws), clock: new SystemClock(), logger: nullLogger });
    const report = await pools.open();
    try {
      assert.deepEqual(report.reclaimed, [], 'the run gave back its leases itself');
      assert.deepEqual(pools.listLeases(), []);
    } finally {
      await pools.close();
    }
  });

  it('a group with fewer bots than requested ends once they are done (Wonder Pick Farmers --virtual 2 --cycles 1)', async () => {
    const r = await cli(['run', 'Wonder Pick Farmers', '--root', ws, '--virtual', '2', '--cycles', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = lastJson<Summary>(r);
    assert.deepEqual([summary.type, summary.state, summary.stopReason], ['summary', 'stopped', 'cycles-done']);
    assert.deepEqual(
      summary.bots.map((b) => [b.instance, b.cycles, b.state]),
      [
        ['1', 1, 'stopped'],
        ['2', 1, 'stopped'],
      ],
    );
  });

  it('in process: the signal listeners stay from the first moment until everything is closed', async () => {
    // A signal sent before the run's first await is not lost: nothing starts, the summary says so.
    const early = new EventEmitter();
    const out1 = new PassThrough();
    const lines1: string[] = [];
    readline.createInterface({ input: out1 }).on('line', (l) => lines1.push(l));
    const pending = runGroup({ root: ws, group: 'Premium Farmers', virtual: 1, json: true, stdout: out1, stderr: new PassThrough(), signals: early });
    early.emit('SIGINT', 'SIGINT');
    assert.equal(await pending, 130);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(JSON.parse(lines1[lines1.length - 1]), { type: 'summary', group: 'Premium Farmers', state: 'stopped', stopReason: 'requested', bots: [] });
    assert.deepEqual(
      STOP_SIGNALS.map((sig) => early.listenerCount(sig)),
      [0, 0, 0],
    );

    // While the run closes the fleet after its summary, a further signal is still handled (never Node's default).
    const signals = new EventEmitter();
    const out = new PassThrough();
    const atSummary: number[] = [];
    let sent = false;
    readline.createInterface({ input: out }).on('line', (l) => {
      if (!sent && l.includes('"type":"bot.step"')) {
        sent = true;
        signals.emit('SIGINT', 'SIGINT');
      }
      if (l.startsWith('{"type":"summary"')) {
        atSummary.push(...STOP_SIGNALS.map((sig) => signals.listenerCount(sig)));
        signals.emit('SIGINT', 'SIGINT');
      }
    });
    const code = await runGroup({ root: ws, group: 'Premium Farmers', virtual: 1, json: true, stdout: out, stderr: new PassThrough(), signals });
    assert.equal(code, 0);
    assert.deepEqual(atSummary, [1, 1, 1], 'listening while the fleet closes');
    assert.deepEqual(
      STOP_SIGNALS.map((sig) => signals.listenerCount(sig)),
      [0, 0, 0],
      'removed once the run is over',
    );
  });

  it('reports an unknown group and bad options clearly', async () => {
    const unknown = await cli(['run', 'Nope', '--root', ws, '--virtual', '1']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no group 'Nope'.*Premium Farmers/s);
    const both = await cli(['run', 'Premium Farmers', '--root', ws, '--cycles', '1', '--duration', '5']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either --cycles or --duration/);
  });
});

describe('(integration) CLI: failures end with a result', function () {
  this.timeout(2 * HANG_GUARD_MS + 60_000);
  let ws: string;

  before(() => {
    ws = copyWorkspace('fleet-cli-fail-');
    mkdirSync(path.join(ws, 'routines', 'test'), { recursive: true });
    writeFileSync(path.join(ws, 'routines', 'test', 'always_fails.yaml'), 'name: always fails\nsteps:\n  - fail: the button is gone\n');
    writeFileSync(
      path.join(ws, 'groups', 'zz_fails.yaml'),
      'name: Fails\nroutine: test/always_fails\navailableInstances: [1, 2]\nrequestedBotCount: 2\nlaunchOptions:\n  restart: { enabled: false }\n',
    );
  });

  after(() => {
    rmSync(ws, { recursive: true, force: true });
  });

  it('a group whose only bot fails ends as failed: exit 1, the summary carries the error', async () => {
    const r = await cli(['run', 'Fails', '--root', ws, '--virtual', '1', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const summary = lastJson<Summary>(r);
    assert.deepEqual([summary.type, summary.state, summary.stopReason], ['summary', 'failed', 'failed']);
    assert.deepEqual(
      summary.bots.map((b) => [b.instance, b.state, b.errors]),
      [['1', 'failed', 1]],
    );
    assert.match(summary.error?.message ?? '', /the button is gone/);
  });

  it('--json: an unknown group, a locked database and a routine that cannot start still end with their result line', async () => {
    const unknown = await cli(['run', 'Nope', '--root', ws, '--virtual', '1', '--json']);
    assert.equal(unknown.code, 1);
    const u = lastJson<Summary>(unknown);
    assert.deepEqual([u.type, u.group, u.state, u.error?.code], ['summary', 'Nope', 'failed', 'unknown-group']);
    assert.match(unknown.stderr, /no group 'Nope'/);

    // This process holds the pool database: the runs below cannot open it.
    const pools = new PoolManager({ fileStore: new NodeFileStore(ws), clock: new SystemClock(), logger: nullLogger });
    await pools.open();
    try {
      const locked = await cli(['run', 'Premium Farmers', '--root', ws, '--virtual', '1', '--json']);
      assert.equal(locked.code, 1);
      const l = lastJson<Summary>(locked);
      assert.deepEqual([l.type, l.group, l.state, l.error?.code], ['summary', 'Premium Farmers', 'failed', 'db-locked']);

      const routine = await cli(['routine', 'run', 'farm_premium', '--root', ws, '--virtual', '--pool', 'premium_accounts', '--json']);
      assert.equal(routine.code, 1, routine.stderr);
      const rr = lastJson<{ type: string; ok: boolean; error: { code: string; message: string } }>(routine);
      assert.deepEqual([rr.type, rr.ok, rr.error.code], ['result', false, 'db-locked']);
    } finally {
      await pools.close();
    }

    const noRoutine = await cli(['routine', 'run', 'nope', '--root', ws, '--virtual', '--json']);
    assert.equal(noRoutine.code, 2);
    const nr = lastJson<{ type: string; ok: boolean; error: { code: string; message: string } }>(noRoutine);
    assert.deepEqual([nr.type, nr.ok, nr.error.code], ['result', false, 'usage']);
    assert.match(nr.error.message, /unknown routine 'nope'/);

    // A --param the routine does not declare, or of the wrong type, is a usage error before any device opens.
    for (const [param, why] of [['pack=2', /has no parameter 'pack'.*packs \(int\)/], ['packs=many', /--param packs: .*expected/], ['packs=99', /above the maximum 50/]] as const) {
      const bad = await cli(['routine', 'run', 'farm_premium', '--root', ws, '--virtual', '--param', param, '--json']);
      assert.equal(bad.code, 2, `--param ${param}: exit 2 (${bad.stderr})`);
      const br = lastJson<{ type: string; ok: boolean; error: { code: string; message: string } }>(bad);
      assert.deepEqual([br.type, br.ok, br.error.code], ['result', false, 'usage']);
      assert.match(br.error.message, why);
    }
  });
});
