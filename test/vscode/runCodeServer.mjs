#!/usr/bin/env node
// Runs the extension test suite in a real VS Code: the VS Code server bundled with code-server 4.100.3
// (installed by scripts/setup-code-server.sh) driven by Debian's Chromium through playwright-core.
// Prints `vscode suite: N passed, N failed` (read by scripts/test.mjs) and exits non-zero on failure.
// FLEET_VSCODE_SCREENSHOT=file.png saves a screenshot of the workbench after the suite.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { copyTestWorkspace } from './testWorkspace.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const csRoot = path.join(root, '.vscode-test/code-server-4.100.3/node_modules/code-server');
const serverMain = path.join(csRoot, 'lib/vscode/out/server-main.js');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const timeoutMs = Number(process.env.FLEET_VSCODE_TIMEOUT_MS ?? 180000);

function log(msg) {
  console.log(`[vscode-runner] ${msg}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForHttp(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not answer at ${url} within ${ms} ms`);
}

function finish(passed, failed, code) {
  console.log(`vscode suite: ${passed} passed, ${failed} failed`);
  process.exit(code);
}

if (!existsSync(path.join(csRoot, '.fleet-ready'))) {
  log('installing code-server (one time)');
  execFileSync('bash', [path.join(root, 'scripts/setup-code-server.sh')], { stdio: 'inherit' });
}
if (!existsSync(chromium)) {
  log(`no Chromium at ${chromium}`);
  finish(0, 1, 1);
}

execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, ['test/vscode/build.mjs'], { cwd: root, stdio: 'inherit' });

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-vscode-'));
const ws = copyTestWorkspace(root, tmp);
const resultFile = path.join(tmp, 'result.json');
const port = await freePort();
const server = spawn(
  process.execPath,
  [
    serverMain,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--enable-smoke-test-driver',
    '--disable-workspace-trust',
    '--disable-telemetry',
    '--server-data-dir', path.join(tmp, 'server-data'),
    '--user-data-dir', path.join(tmp, 'user-data'),
    '--extensions-dir', path.join(tmp, 'extensions'),
  ],
  { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLEET_VSCODE_RESULT: resultFile } },
);
let serverLog = '';
server.stdout.on('data', (d) => (serverLog += d));
server.stderr.on('data', (d) => (serverLog += d));

let browser;
const cleanup = async () => {
  try {
    await browser?.close();
  } catch {
    // already gone
  }
  try {
    process.kill(-server.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(tmp, { recursive: true, force: true });
};

try {
  await waitForHttp(`http://127.0.0.1:${port}/version`, 30000);
  const { chromium: pw } = await import('playwright-core');
  browser = await pw.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    const t = m.text();
    if (/vscode suite:|^\s+(ok|FAIL) /.test(t)) console.log(t);
  });
  const authority = `127.0.0.1:${port}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', `vscode-remote://${authority}${root}`],
    ['extensionTestsPath', `vscode-remote://${authority}${path.join(root, 'out/vscode-test/index.js')}`],
  ]);
  await page.goto(`http://${authority}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
  const end = Date.now() + timeoutMs;
  while (!existsSync(resultFile) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!existsSync(resultFile)) {
    log(`no result within ${timeoutMs} ms; server log tail:\n${serverLog.slice(-3000)}`);
    await page.screenshot({ path: path.join(root, 'out/vscode-test/timeout.png') }).catch(() => undefined);
    await cleanup();
    finish(0, 1, 1);
  }
  if (process.env.FLEET_VSCODE_SCREENSHOT) {
    // For a person to look at the workbench the suite ran in.
    await page.screenshot({ path: process.env.FLEET_VSCODE_SCREENSHOT }).catch((e) => log(`screenshot failed: ${e}`));
  }
  const result = JSON.parse(readFileSync(resultFile, 'utf8'));
  for (const f of result.failures) log(`FAIL ${f.title}\n${f.error}`);
  await cleanup();
  finish(result.passed, result.failed, result.failed ? 1 : 0);
} catch (e) {
  log(`runner error: ${e instanceof Error ? e.stack : e}`);
  await cleanup();
  finish(0, 1, 1);
}
