#!/usr/bin/env node
// Runs every test suite of the project and ends with one line totalling them: `N passed, N failed`.
// Usage: node scripts/test.mjs [suite...]   (suites: checks, unit, integration, webview, vscode; default all)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wanted = process.argv.slice(2);
const mochaBin = path.join(root, 'node_modules/mocha/bin/mocha.js');

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    // A suite that outlives its budget is asked to stop (SIGTERM: it cleans up and reports), then killed.
    let timer;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        process.stderr.write(`\n${path.basename(args[args.length - 1] ?? cmd)} exceeded ${opts.timeoutMs} ms: stopping it\n`);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 45_000).unref();
      }, opts.timeoutMs);
    }
    let out = '';
    // `buffered`: the output is kept and printed by the caller (checks running side by side stay readable).
    const tee = (stream, dest) =>
      stream.on('data', (d) => {
        out += d;
        if (!opts.buffered) dest.write(d);
      });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 1 : 0), out });
    });
  });
}

function hasTests(dir) {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return false;
  const walk = (d) => readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.test.ts')));
  return walk(abs);
}

// `jobs` > 1: the suite's files run in that many processes at once (mocha's parallel mode; a file's tests stay in order).
async function mochaSuite(name, dir, timeout, jobs = 1) {
  if (!hasTests(dir)) return { name, passed: 0, failed: 0, skipped: 0 };
  const parallel = jobs > 1 ? ['--parallel', '--jobs', String(jobs)] : [];
  const r = await run(process.execPath, ['--import', 'tsx', mochaBin, '--timeout', String(timeout), '--reporter', 'spec', ...parallel, `${dir}/**/*.test.ts`]);
  const num = (re) => Number((r.out.match(re) ?? [])[1] ?? 0);
  const passed = num(/(\d+) passing/);
  let failed = num(/(\d+) failing/);
  const skipped = num(/(\d+) pending/);
  if (r.code !== 0 && failed === 0) failed = 1; // crashed before mocha could report
  return { name, passed, failed, skipped };
}

async function check(name, cmd, args) {
  const r = await run(cmd, args, { buffered: true });
  return { name, passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1, skipped: 0, header: `\n== ${name}: ${cmd} ${args.join(' ')}`, out: r.out };
}

const suites = {
  // Two lanes side by side (each check is one single-threaded process; the machine has two cores): lint alone
  // (the longest), and the type checks, generated-file checks and the build. Each check's output is printed whole.
  checks: async () => {
    const npx = path.join(root, 'node_modules/.bin');
    const has = (f) => existsSync(path.join(root, f));
    const lint = [has('eslint.config.mjs') && ['lint', path.join(npx, 'eslint'), ['--max-warnings', '0', 'src', 'test']]];
    const rest = [
      ['typecheck', path.join(npx, 'tsc'), ['-p', 'tsconfig.json', '--noEmit']],
      ['typecheck (pure core, no vscode types)', path.join(npx, 'tsc'), ['-p', 'tsconfig.core.json', '--noEmit']],
      has('scripts/schemas.ts') && ['schemas:check', process.execPath, ['--import', 'tsx', 'scripts/schemas.ts', '--check']],
      has('scripts/makeTemplates.ts') && ['templates:check', process.execPath, ['--import', 'tsx', 'scripts/makeTemplates.ts', '--check']],
      has('scripts/docs.ts') && ['docs:check', process.execPath, ['--import', 'tsx', 'scripts/docs.ts', '--check']],
      ['build', process.execPath, ['esbuild.mjs']],
    ];
    const lane = async (list) => {
      const out = [];
      for (const c of list.filter(Boolean)) {
        const r = await check(...c);
        process.stdout.write(`${r.header}\n${r.out}`);
        out.push(r);
      }
      return out;
    };
    const [a, b] = await Promise.all([lane(rest), lane(lint)]);
    return [...a, ...b].map(({ name, passed, failed, skipped }) => ({ name, passed, failed, skipped }));
  },
  // Two files at a time: the integration tests mostly wait on adb, sockets and child processes; every file starts
  // its own adb servers, devices and workspaces on ports and folders of its own.
  unit: async () => [await mochaSuite('unit', 'test/unit', 20000, 2)],
  integration: async () => [await mochaSuite('integration', 'test/integration', 60000, 2)],
  // The monitor webview in headless Chromium (playwright-core), against the built bundle under the extension's CSP.
  webview: async () => [await mochaSuite('webview', 'test/webview', 120000)],
  // The real VS Code (code-server's VS Code server + Chromium): the extension-host suite, the browser tests and the
  // packaged .vsix installed into the server (test/vscode/run.ts; it has its own watchdog, this is the backstop).
  vscode: async () => {
    const runner = path.join(root, 'test/vscode/run.ts');
    if (!existsSync(runner)) return [];
    const budget = Number(process.env.FLEET_VSCODE_TIMEOUT_MS ?? 900_000) + 60_000;
    const r = await run(process.execPath, ['--import', 'tsx', runner], { timeoutMs: budget });
    const m = r.out.match(/vscode suite: (\d+) passed, (\d+) failed/g)?.pop()?.match(/(\d+) passed, (\d+) failed/);
    const passed = m ? Number(m[1]) : 0;
    let failed = m ? Number(m[2]) : 1;
    if (r.code !== 0 && failed === 0) failed = 1; // ended without reporting its failure
    return [{ name: 'vscode', passed, failed, skipped: 0 }];
  },
};

const order = wanted.length ? wanted : Object.keys(suites);
const all = [];
for (const s of order) {
  if (!suites[s]) {
    console.error(`unknown suite '${s}' (known: ${Object.keys(suites).join(', ')})`);
    process.exit(2);
  }
  console.log(`\n######## suite: ${s}`);
  all.push(...(await suites[s]()));
}
console.log('\n== summary');
for (const r of all) console.log(`${r.name}: ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`);
const passed = all.reduce((a, r) => a + r.passed, 0);
const failed = all.reduce((a, r) => a + r.failed, 0);
const skipped = all.reduce((a, r) => a + r.skipped, 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
