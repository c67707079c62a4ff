/**
 * Hostile workspace files through the CLI as a user runs it (child processes, virtual devices on the embedded ADB
 * endpoint): billion-laughs aliases, deep nesting, huge files, symbolic links out of the workspace and in loops.
 * Each such file is one located diagnostic (file:line:col) while the rest of the workspace keeps working, and a
 * file saved into routines/ during a run never stalls or kills the fleet.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'bin', 'emulator-fleet.js');

function copyWorkspace(into: string): string {
  mkdirSync(into, { recursive: true });
  for (const dir of ['groups', 'routines', 'templates', 'pools']) {
    cpSync(path.join(REPO, dir), path.join(into, dir), { recursive: true });
  }
  return into;
}

interface CliResult {
  code: number | null;
  lines: string[];
  stderr: string;
}

interface CliHooks {
  timeoutMs?: number;
  onLine?: (line: string, child: ChildProcess) => void;
  onStderrLine?: (line: string, child: ChildProcess) => void;
}

function cli(args: string[], hooks: CliHooks = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, EMULATOR_FLEET_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      hooks.onLine?.(l, child);
    });
    readline.createInterface({ input: child.stderr! }).on('line', (l) => {
      stderr += `${l}\n`;
      hooks.onStderrLine?.(l, child);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI timed out: ${args.join(' ')}\n${stderr}`));
    }, hooks.timeoutMs ?? 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines, stderr });
    });
  });
}

/** Nine levels of nine aliases: 9^9 nodes once expanded. */
function billionLaughs(): string {
  const lines = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) {
    lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** Block maps nested `depth` deep, one space per level. */
function deepBlockMaps(depth: number): string {
  let s = 'steps:\n  - log: hi\nvars:\n';
  for (let i = 0; i < depth; i++) {
    s += `${' '.repeat(i + 1)}k${i}:\n`;
  }
  return `${s}${' '.repeat(depth + 1)}v: 1\n`;
}

interface Diag {
  file: string;
  line: number;
  col: number;
  severity: string;
  message: string;
  code?: string;
}

describe('(integration) CLI: hostile workspace files', function () {
  this.timeout(180_000);
  let base: string;

  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'fleet-hostile-'));
  });

  afterEach(() => {
    rmSync(base, { recursive: true, force: true });
  });

  it('alias bombs and deep nesting: one located diagnostic per file; validate, groups list, pools list and run still work', async () => {
    const ws = copyWorkspace(path.join(base, 'ws'));
    writeFileSync(path.join(ws, 'groups/laughs.yaml'), billionLaughs());
    writeFileSync(path.join(ws, 'pools/laughs.yaml'), billionLaughs());
    writeFileSync(path.join(ws, 'templates/laughs.yaml'), billionLaughs());
    writeFileSync(path.join(ws, 'routines/deep3000.yaml'), deepBlockMaps(3000));
    writeFileSync(path.join(ws, 'routines/deep600.yaml'), deepBlockMaps(600));
    writeFileSync(path.join(ws, 'routines/dashes.yaml'), `steps:\n  ${'- '.repeat(10_000)}x\n`);

    const v = await cli(['validate', '--root', ws, '--json']);
    assert.equal(v.code, 1, v.stderr);
    const report = JSON.parse(v.lines.join('\n')) as { ok: boolean; diagnostics: Diag[] };
    assert.equal(report.ok, false);
    const got = report.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.code}`);
    assert.deepEqual(got, [
      'groups/laughs.yaml:4:24: too-many-nodes',
      'pools/laughs.yaml:4:24: too-many-nodes',
      'routines/dashes.yaml:2:406: too-deep',
      'routines/deep3000.yaml:1:1: file-too-large',
      'routines/deep600.yaml:205:207: too-deep',
      'templates/laughs.yaml:4:24: too-many-nodes',
    ]);
    assert.match(report.diagnostics[0].message, /^the file is too complex: with its aliases expanded \('\*c' repeats 820 nodes\) a group definition holds more than 5000 keys, values and list items$/);
    assert.match(report.diagnostics[3].message, /^the file is too large \(4\.3 MB\): a routine file may be at most 256 KB$/);
    assert.equal(report.diagnostics[4].message, 'nested deeper than 200 levels');

    const text = await cli(['validate', '--root', ws]);
    assert.equal(text.code, 1);
    assert.ok(text.lines.includes('routines/deep600.yaml:205:207: nested deeper than 200 levels'), text.lines.join('\n'));
    assert.match(text.stderr, /6 errors, 0 warnings \(checked 9 routines/);

    const groups = await cli(['groups', 'list', '--root', ws, '--json']);
    assert.equal(groups.code, 1, groups.stderr);
    const list = JSON.parse(groups.lines.join('\n')) as Array<{ name: string; valid: boolean; diagnostics: Diag[] }>;
    assert.deepEqual(
      list.map((g) => [g.name, g.valid, g.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}`)]),
      [
        ['laughs', false, ['groups/laughs.yaml:4:24']],
        ['Premium Farmers', true, []],
        ['Wonder Pick Farmers', true, []],
      ],
    );

    const pools = await cli(['pools', 'list', '--root', ws, '--json']);
    assert.equal(pools.code, 1, pools.stderr);
    const poolList = JSON.parse(pools.lines.join('\n')) as { pools: Array<{ name: string }>; diagnostics: Diag[] };
    assert.deepEqual(
      poolList.pools.map((p) => p.name),
      ['premium_accounts', 'wonder_pick_accounts'],
    );
    assert.deepEqual(
      poolList.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.code}`),
      ['pools/laughs.yaml:4:24: too-many-nodes'],
    );

    const routines = await cli(['routine', 'list', '--root', ws, '--json']);
    assert.equal(routines.code, 1, routines.stderr);
    const rl = routines.lines.map((l) => JSON.parse(l) as { name: string; valid: boolean });
    assert.deepEqual(
      rl.filter((r) => !r.valid).map((r) => r.name),
      ['dashes', 'deep3000', 'deep600'],
    );

    const run = await cli(['run', 'Premium Farmers', '--root', ws, '--virtual', '2', '--cycles', '1', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.lines[run.lines.length - 1]) as { type: string; bots: Array<{ cycles: number }> };
    assert.equal(summary.type, 'summary');
    assert.deepEqual(
      summary.bots.map((b) => b.cycles),
      [1, 1],
    );
  });

  it('symbolic links: self-links and a link to the parent are skipped at once, links out of the workspace are refused and never run', async () => {
    const ws = copyWorkspace(path.join(base, 'ws'));
    const outside = path.join(base, 'outside');
    mkdirSync(path.join(outside, 'more'), { recursive: true });
    writeFileSync(path.join(outside, 'evil.yaml'), 'steps:\n  - log: "read from outside the workspace"\n');
    writeFileSync(path.join(outside, 'more/also.yaml'), 'steps:\n  - log: "read from outside the workspace"\n');
    for (const name of ['a', 'b', 'c']) {
      symlinkSync('.', path.join(ws, 'routines', name));
    }
    symlinkSync('..', path.join(ws, 'routines/up'));
    symlinkSync(path.join(outside, 'evil.yaml'), path.join(ws, 'routines/evil.yaml'));
    symlinkSync(outside, path.join(ws, 'routines/ext'));
    rmSync(path.join(ws, 'templates/pocketPacks/title.logo.png'));
    cpSync(path.join(REPO, 'templates/pocketPacks/title.logo.png'), path.join(outside, 'logo.png'));
    symlinkSync(path.join(outside, 'logo.png'), path.join(ws, 'templates/pocketPacks/title.logo.png'));

    const v = await cli(['validate', '--root', ws], { timeoutMs: 60_000 });
    assert.equal(v.code, 1, v.stderr);
    const lines = v.lines.filter((l) => !l.includes('title.logo') || l.startsWith('templates/pocketPacks.yaml'));
    assert.deepEqual(lines.filter((l) => l.startsWith('routines/')), [
      "routines/a:1:1: warning: 'routines/a' is a symbolic link to an enclosing folder ('routines'): skipped, it would load the same files again",
      "routines/b:1:1: warning: 'routines/b' is a symbolic link to an enclosing folder ('routines'): skipped, it would load the same files again",
      "routines/c:1:1: warning: 'routines/c' is a symbolic link to an enclosing folder ('routines'): skipped, it would load the same files again",
      "routines/evil.yaml:1:1: 'routines/evil.yaml' is a symbolic link to a place outside the workspace: refused",
      "routines/ext:1:1: 'routines/ext' is a symbolic link to a place outside the workspace: refused",
      "routines/up:1:1: warning: 'routines/up' is a symbolic link to an enclosing folder (the workspace root): skipped, it would load the same files again",
    ]);
    assert.ok(
      v.lines.some((l) => /^templates\/pocketPacks\.yaml:\d+:\d+: template 'title\.logo': image 'templates\/pocketPacks\/title\.logo\.png' is refused: .* is a symbolic link to a place outside the workspace$/.test(l)),
      v.lines.join('\n'),
    );
    assert.match(v.stderr, /checked 7 routines/);

    const run = await cli(['routine', 'run', 'evil', '--root', ws, '--virtual', '--json']);
    assert.notEqual(run.code, 0, run.stderr);
    assert.match(run.lines.join('\n') + run.stderr, /routines\/evil\.yaml:1:1: 'routines\/evil\.yaml' is a symbolic link to a place outside the workspace: refused/);
    assert.doesNotMatch(run.lines.join('\n') + run.stderr, /read from outside the workspace/);
  });

  it('a file over the limits saved into routines/ during a run: a located diagnostic, and the bots keep cycling', async () => {
    const ws = copyWorkspace(path.join(base, 'ws'));
    const cycles = new Map<string, number>();
    const atDrop = new Map<string, number>();
    let dropped = false;
    let stopping = false;
    const seen = { huge: false, laughs: false };
    const maybeStop = (child: ChildProcess) => {
      // Stop once both problems were reported and every bot finished two more cycles since the files were saved.
      if (!stopping && seen.huge && seen.laughs && [...atDrop].every(([bot, n]) => (cycles.get(bot) ?? 0) >= n + 2)) {
        stopping = true;
        child.kill('SIGINT');
      }
    };
    const r = await cli(['run', 'Premium Farmers', '--root', ws, '--virtual', '2', '--json'], {
      timeoutMs: 170_000,
      onLine: (line, child) => {
        const e = JSON.parse(line) as { type: string; instance?: string };
        if (e.type !== 'bot.cycle' || !e.instance) {
          return;
        }
        cycles.set(e.instance, (cycles.get(e.instance) ?? 0) + 1);
        if (!dropped && cycles.size === 2) {
          dropped = true;
          for (const [bot, n] of cycles) {
            atDrop.set(bot, n);
          }
          // 50 MB would take minutes and gigabytes to parse; it must be refused from its size alone.
          writeFileSync(path.join(ws, 'routines/huge.yaml'), `steps:\n${'  - log: "a line of a very large routine"\n'.repeat(1_200_000)}`);
          writeFileSync(path.join(ws, 'routines/laughs.yaml'), billionLaughs());
        }
        maybeStop(child);
      },
      onStderrLine: (line, child) => {
        if (/^warn: \[routines\] routines\/huge\.yaml:1:1: the file is too large \(\d+\.\d MB\): a routine file may be at most 256 KB$/.test(line)) {
          seen.huge = true;
        }
        if (/^warn: \[routines\] routines\/laughs\.yaml:4:24: the file is too complex: with its aliases expanded/.test(line)) {
          seen.laughs = true;
        }
        maybeStop(child);
      },
    });
    assert.ok(dropped, 'both bots cycled before the files were saved');
    assert.deepEqual(seen, { huge: true, laughs: true }, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.lines[r.lines.length - 1]) as { type: string; state: string; stopReason: string; bots: Array<{ instance: string; cycles: number; state: string }> };
    assert.deepEqual([summary.type, summary.state, summary.stopReason], ['summary', 'stopped', 'requested']);
    for (const b of summary.bots) {
      assert.ok(b.cycles >= (atDrop.get(b.instance) ?? 0) + 2, `bot ${b.instance} kept cycling (${b.cycles} cycles)`);
    }
    assert.equal(existsSync(path.join(ws, '.fleet/accounts.lock')), false, 'the database lock was released');
  });
});
