/**
 * The real-VS-Code test runner: one VS Code server (bundled with code-server, installed by
 * scripts/setup-code-server.sh) and one headless Chromium (playwright-core) for three phases:
 *
 * 1. host: the extension-host mocha suite (test/vscode/suite/, bundled to out/vscode-test/index.js) runs inside the
 *    real extension host of a window opened with the extension-development + test payload; it writes a result file.
 * 2. browser: mocha runs test/vscode/browser/**\/*.test.ts here, in Node; the tests drive workbench windows of the
 *    same server (whose extensions folder loads the extension from the repository's dist/) through Playwright.
 * 3. vsix: mocha runs test/vscode/vsix/**\/*.test.ts: `npm run package`, the .vsix installed into a separate
 *    server, the extension checked from there.
 *
 * Usage: node --import tsx test/vscode/run.ts [--phase host,browser,vsix] [--grep RE] [--screenshots]
 *   --screenshots  browser phase only, tests titled `@readme` (and matching --grep when given); copies their README
 *                  screenshots to docs/images/.
 * Environment: FLEET_VSCODE_TIMEOUT_MS (whole run, default 900000), FLEET_VSCODE_HOST_TIMEOUT_MS (host suite,
 * default 300000), FLEET_VSCODE_ARTIFACTS (artefacts folder, default out/vscode-artifacts), CHROMIUM_PATH.
 *
 * Prints `vscode suite: N passed, N failed` last (scripts/test.mjs reads it) and exits non-zero on any failure,
 * crash (server, extension host or page) or timeout. Never hangs: every wait is bounded, a global watchdog ends
 * the run, and the servers' process groups are killed on every way out.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import Mocha from 'mocha';
import type { Browser } from 'playwright-core';
import { artifactsDir, readScreenshots, resetArtifacts, saveFolder } from './support/artifacts';
import { launchBrowser } from './support/browser';
import { ARTIFACTS, buildExtension, buildHostSuite, ensureCodeServer, ROOT } from './support/paths';
import { killAllServers, VsCodeServer } from './support/server';
import { closeAllWorkbenches, openWorkbenches, setSession, type Session } from './support/session';
import { Workbench } from './support/workbench';
import { copyFleetWorkspace } from './support/workspace';

type Phase = 'host' | 'browser' | 'vsix';
const PHASES: Phase[] = ['host', 'browser', 'vsix'];

const { values: opts } = parseArgs({
  options: {
    phase: { type: 'string', default: PHASES.join(',') },
    grep: { type: 'string' },
    screenshots: { type: 'boolean', default: false },
  },
});
const phases = (opts.screenshots ? 'browser' : opts.phase!).split(',').map((p) => p.trim()) as Phase[];
for (const p of phases) {
  if (!PHASES.includes(p)) {
    console.error(`unknown phase '${p}' (known: ${PHASES.join(', ')})`);
    process.exit(2);
  }
}
// --screenshots with --grep: the @readme tests whose title also matches (one view's screenshots regenerated alone).
const grep = opts.screenshots ? (opts.grep ? `^(?=.*@readme)(?=.*(?:${opts.grep}))` : '@readme') : opts.grep;
const RUN_TIMEOUT_MS = Number(process.env.FLEET_VSCODE_TIMEOUT_MS ?? 900_000);
const HOST_TIMEOUT_MS = Number(process.env.FLEET_VSCODE_HOST_TIMEOUT_MS ?? 300_000);

const totals = { passed: 0, failed: 0 };
const timings: Record<string, number> = {};
const slowHooks: string[] = [];
let server: VsCodeServer | undefined;
let browser: Browser | undefined;
let tmp: string | undefined;
let finishing = false;

function log(msg: string): void {
  console.log(`[vscode-runner] ${msg}`);
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

async function timed<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[name] = seconds(performance.now() - t0);
  }
}

/** Ends the run: closes windows, browser and server (bounded), saves logs, prints the totals. Idempotent. */
async function finish(reason?: string): Promise<never> {
  if (finishing) {
    return new Promise<never>(() => undefined);
  }
  finishing = true;
  if (reason) {
    log(reason);
    totals.failed++;
  }
  // Cleanup must not hang either: whatever is left after 30 s is killed.
  const hard = setTimeout(() => {
    log('cleanup took over 30 s: killing what is left');
    server?.killNow();
    print();
    process.exit(1);
  }, 30_000);
  try {
    if (reason) {
      // Aborting: no graceful shutdown (a window may be stuck); the servers' process groups go first.
      killAllServers();
    } else {
      await closeAllWorkbenches();
    }
    await Promise.race([browser?.close().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    if (server) {
      writeFileSync(path.join(artifactsDir('logs'), 'server-output.txt'), server.lines.join('\n'));
      saveFolder(server.logsDir(), 'logs', 'server');
      await server.stop();
    }
  } catch (e) {
    log(`cleanup: ${(e as Error).message}`);
  }
  if (tmp) {
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
  clearTimeout(hard);
  print();
  process.exit(totals.failed > 0 ? 1 : 0);
}

function print(): void {
  log(`timings (s): ${JSON.stringify(timings)}`);
  if (slowHooks.length > 0) {
    log(`hooks of 2 s or more: ${slowHooks.join('; ')}`);
  }
  log(`artefacts (screenshots, failure captures, logs): ${path.relative(process.cwd(), ARTIFACTS) || ARTIFACTS}`);
  console.log(`vscode suite: ${totals.passed} passed, ${totals.failed} failed`);
}

const watchdog = setTimeout(() => void finish(`the run exceeded ${RUN_TIMEOUT_MS} ms (FLEET_VSCODE_TIMEOUT_MS): stopped`), RUN_TIMEOUT_MS);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => void finish(`received ${sig}: stopped`));
}
process.on('uncaughtException', (e) => void finish(`runner error: ${e.stack ?? e.message}`));
process.on('unhandledRejection', (e) => void finish(`runner error (unhandled rejection): ${e instanceof Error ? e.stack : String(e)}`));

/** Polls `cond` every 200 ms until it is true; `problem` returns a reason to give up early (a crash). */
async function until(cond: () => boolean, timeoutMs: number, problem: () => string | undefined): Promise<'ok' | 'timeout' | string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) {
      return 'ok';
    }
    const p = problem();
    if (p) {
      return p;
    }
    if (Date.now() > end) {
      return 'timeout';
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Phase 1: the extension-host suite in a window opened with the development and test payload. */
async function hostPhase(s: VsCodeServer, b: Browser, resultFile: string): Promise<void> {
  buildHostSuite();
  const consoleLog: string[] = [];
  const ws = copyFleetWorkspace(tmp!, 'workspace');
  const wb = await Workbench.open(b, s, {
    folder: ws,
    noWait: true,
    payload: [
      ['extensionDevelopmentPath', s.remoteUri(ROOT)],
      ['extensionTestsPath', s.remoteUri(path.join(ROOT, 'out/vscode-test/index.js'))],
    ],
    // The suite's console (forwarded by the workbench with a `%c LEVEL color: ...` prefix), kept as a log.
    onConsole: (m) => consoleLog.push(m.text().replace(/^%c\s*\w+ color: \S+\s?/, '')),
  });
  const exitsBefore = s.exits.length;
  const outcome = await until(
    () => existsSync(resultFile),
    HOST_TIMEOUT_MS,
    () => {
      if (wb.crashed) {
        return wb.crashed;
      }
      const exit = s.exits.slice(exitsBefore)[0];
      // The suite writes its result before the extension host ends; an exit without a result is a crash.
      return exit && !existsSync(resultFile) ? `the extension host exited (code ${exit.code}, signal ${exit.signal}) before the suite reported` : undefined;
    },
  );
  if (outcome !== 'ok') {
    await wb.captureFailure('host-suite');
    log(`host suite: ${outcome === 'timeout' ? `no result within ${HOST_TIMEOUT_MS} ms` : outcome}\nserver output (tail):\n${s.tail(60)}`);
    totals.failed++;
  } else {
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as { passed: number; failed: number; passes?: string[]; failures: { title: string; error: string }[] };
    for (const t of result.passes ?? []) {
      console.log(`  ok   ${t}`);
    }
    for (const f of result.failures) {
      log(`FAIL ${f.title}\n${f.error}`);
    }
    totals.passed += result.passed;
    totals.failed += result.failed;
    log(`host suite: ${result.passed} passed, ${result.failed} failed`);
  }
  s.acknowledgeExits();
  await wb.close();
  writeFileSync(path.join(artifactsDir('logs'), 'host-suite-console.txt'), consoleLog.join('\n'));
}

function testFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) {
    return [];
  }
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join(abs, f));
}

/** Crashes seen since the last call: a server or extension host that ended unasked, a page that crashed. */
const reported = new WeakMap<VsCodeServer, number>();
function crashes(sess: Session): string[] {
  const servers = new Set([sess.server, ...openWorkbenches().map((w) => w.server)]);
  const out: string[] = [];
  for (const s of servers) {
    if (s.exited) {
      out.push(`the VS Code server on port ${s.port} exited (code ${s.exited.code}, signal ${s.exited.signal})`);
    }
    const unexpected = s.unexpectedExits();
    for (const e of unexpected.slice(reported.get(s) ?? 0)) {
      out.push(`an extension host (pid ${e.pid}) exited unasked: code ${e.code}, signal ${e.signal}`);
    }
    reported.set(s, unexpected.length);
  }
  for (const w of openWorkbenches()) {
    if (w.crashed) {
      out.push(w.crashed);
    }
  }
  return out;
}

/** Phases 2 and 3: mocha, in this process, on the browser or vsix test files. */
async function mochaPhase(name: string, dirs: string[], sess: Session): Promise<void> {
  const files = dirs.flatMap(testFiles);
  if (files.length === 0) {
    log(`${name}: no test files`);
    return;
  }
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, reporter: 'spec', ...(grep ? { grep } : {}) });
  mocha.rootHooks({
    beforeEach(this: Mocha.Context) {
      (sess as { currentTest?: string }).currentTest = this.currentTest?.fullTitle();
    },
    async afterEach(this: Mocha.Context) {
      const t = this.currentTest;
      if (t?.state === 'failed') {
        for (const w of openWorkbenches()) {
          await w.captureFailure(t.fullTitle());
        }
      }
      const found = crashes(sess);
      if (found.length > 0) {
        throw new Error(`crash during "${t?.fullTitle()}":\n${found.join('\n')}\nserver output (tail):\n${sess.server.tail(40)}`);
      }
    },
  });
  for (const f of files) {
    mocha.addFile(f);
  }
  await mocha.loadFilesAsync();
  const { passed, failed } = await new Promise<{ passed: number; failed: number }>((resolve) => {
    let p = 0;
    let f = 0;
    const runner = mocha.run(() => resolve({ passed: p, failed: f }));
    runner.on('pass', () => p++);
    runner.on('fail', () => f++);
    // Where the phase's time goes besides the tests: the hooks (windows opened, servers started) that took long.
    const hookStart = new Map<Mocha.Hook, number>();
    runner.on('hook', (h: Mocha.Hook) => hookStart.set(h, performance.now()));
    runner.on('hook end', (h: Mocha.Hook) => {
      const t0 = hookStart.get(h);
      if (t0 !== undefined && performance.now() - t0 >= 2000) {
        slowHooks.push(`${h.fullTitle()}: ${seconds(performance.now() - t0)} s`);
      }
    });
  });
  mocha.dispose();
  totals.passed += passed;
  totals.failed += failed;
  log(`${name}: ${passed} passed, ${failed} failed`);
}

async function main(): Promise<void> {
  ensureCodeServer(log);
  resetArtifacts();
  await timed('build', () => buildExtension());
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-vscode-run-'));
  const resultFile = path.join(tmp, 'host-result.json');
  server = await timed('server start', () => VsCodeServer.start({ tmpParent: tmp, env: { FLEET_VSCODE_RESULT: resultFile } }));
  browser = await timed('browser start', () => launchBrowser());
  browser.on('disconnected', () => void finish(finishing ? undefined : 'Chromium disconnected'));
  const sess: Session = {
    browser,
    server,
    tmp,
    newWorkspace: (name) => copyFleetWorkspace(mkdtempSync(path.join(tmp!, 'ws-')), name ?? 'workspace'),
  };
  setSession(sess);
  if (phases.includes('host')) {
    await timed('host suite', () => hostPhase(server!, browser!, resultFile));
  }
  if (phases.includes('browser')) {
    await timed('browser tests', () => mochaPhase('browser tests', ['test/vscode/browser'], sess));
    await closeAllWorkbenches();
  }
  if (phases.includes('vsix')) {
    await timed('vsix tests', () => mochaPhase('vsix tests', ['test/vscode/vsix'], sess));
    await closeAllWorkbenches();
  }
  if (opts.screenshots) {
    copyReadmeScreenshots();
  }
  clearTimeout(watchdog);
  await finish();
}

/** `--screenshots`: the README screenshots of this run go to docs/images/ (replacing older ones of the same name). */
function copyReadmeScreenshots(): void {
  const shots = readScreenshots().filter((s) => s.readme);
  if (shots.length === 0) {
    log('no README screenshot was taken (tests titled @readme take them with screenshot(name, { readme: true }))');
    totals.failed++;
    return;
  }
  const dest = path.join(ROOT, 'docs/images');
  mkdirSync(dest, { recursive: true });
  for (const s of shots) {
    copyFileSync(s.file, path.join(dest, `${s.name}.png`));
    log(`docs/images/${s.name}.png  (${s.theme ?? '?'} theme, from "${s.test ?? '?'}")`);
  }
}

main().catch((e: unknown) => finish(`runner error: ${e instanceof Error ? e.stack : String(e)}`));
