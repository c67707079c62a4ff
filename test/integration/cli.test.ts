/**
 * The headless runner as a user runs it: `emulator-fleet groups list` and `emulator-fleet run <group> --virtual N`
 * in a child process (virtual devices on the embedded ADB host endpoint, real routines, real pool), including
 * Ctrl-C (SIGINT) for a graceful stop.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

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
  lines: string[];
  stderr: string;
}

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
    }, opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines, stderr });
    });
  });
}

describe('(integration) CLI: groups and run', function () {
  this.timeout(90_000);
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
    let sent = false;
    const r = await cli(['run', 'Premium Farmers', '--root', ws, '--virtual', '1', '--json', '--stop-timeout', '60'], {
      onLine: (line, child) => {
        if (!sent && line.includes('"type":"bot.step"') && line.includes('"phase":"start"')) {
          sent = true;
          child.kill('SIGINT');
          setTimeout(() => child.kill('SIGINT'), 100);
        }
      },
    });
    assert.ok(sent);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.lines[r.lines.length - 1]) as { type: string; state: string; bots: Array<{ instance: string; state: string }> };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.state, 'stopped');
    assert.deepEqual(
      summary.bots.map((b) => [b.instance, b.state]),
      [['1', 'stopped']],
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
