/**
 * The packaged extension as a user gets it: `npm run package` (vsce, linux-x64) → `--install-extension` into a
 * fresh VS Code server → a window on the fleet workspace WITHOUT the development payload. A file the extension
 * needs at run time that is missing from the package fails here.
 *
 * `npm run package` builds dist/ for production; `after` rebuilds the development bundles so the checkout is as
 * before.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { buildExtension, ROOT } from '../support/paths';
import { VsCodeServer } from '../support/server';
import { openWorkbench, session } from '../support/session';
import type { Workbench } from '../support/workbench';

const VSIX = path.join(ROOT, 'dist/emulator-fleet.vsix');

/** Files the extension reads at run time, relative to its installed folder (globs: one `*` in the last part). */
export const RUNTIME_FILES = [
  'package.json',
  'dist/extension.js',
  'dist/extensionMain.js',
  'dist/languageServer.js',
  'dist/visionWorker.js',
  'dist/webview/monitor.js',
  'dist/webview/monitor.css',
  'dist/webview/templateCapture.js',
  'dist/webview/templateCapture.css',
  'dist/webview/templateLab.js',
  'dist/webview/templateLab.css',
  'dist/opencv.wasm',
  'dist/sql-wasm.wasm',
  'node_modules/sharp/package.json',
  'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64-*.node',
  'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.*',
  'schemas/routine.schema.json',
  'schemas/templates.schema.json',
  'schemas/group.schema.json',
  'schemas/pool.schema.json',
];

/**
 * Everything shipped is one of these (an allowlist, so a stray folder of the checkout, a local scratch folder say,
 * fails here instead of going out in the package). Widen it when the extension needs a new kind of file.
 */
const SHIPPED = [
  /^(package\.json|readme\.md|changelog\.md|LICENSE\.txt|\.vsixmanifest)$/,
  /^dist\/[^/]+\.(js|wasm)$/,
  /^dist\/webview\/[^/]+\.(js|css)$/,
  /^node_modules\/(sharp|detect-libc|semver|@img\/[^/]+)\//,
  /^schemas\/[^/]+\.schema\.json$/,
  /^bin\/emulator-fleet\.js$/,
  // The demo workspace (routines, templates, groups, pools) the walkthrough copies.
  /^(routines|templates|groups|pools)\//,
  // The activity-bar icon and the walkthrough's pages.
  /^media\/[\w/-]+\.(svg|md|png)$/,
];
/** Never shipped, even inside an allowed folder. */
const NEVER_SHIPPED = [/\.map$/, /(^|\/)[^/]+\.ts$/, /\.vsix$/];

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: ROOT, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      } else {
        resolve(stdout + stderr);
      }
    });
  });
}

function exists(folder: string, rel: string): boolean {
  const dir = path.join(folder, path.dirname(rel));
  const base = path.basename(rel);
  if (!base.includes('*')) {
    return existsSync(path.join(folder, rel));
  }
  const [pre, post] = base.split('*') as [string, string];
  return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith(pre) && f.endsWith(post) && f.length >= pre.length + post.length);
}

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))]));
}

/** Every relative path the manifest points at (main, contributed icons, schemas, walkthrough media...). */
function manifestPaths(manifest: Record<string, unknown>): string[] {
  const out: string[] = [];
  const visit = (v: unknown, key: string): void => {
    if (typeof v === 'string') {
      if (/^\.{0,2}\//.test(v) && /^(main|browser|icon|url|path|light|dark|image|markdown|svg|media|altText)$/.test(key) === true && !/^https?:/.test(v)) {
        out.push(path.posix.normalize(v));
      }
    } else if (Array.isArray(v)) {
      v.forEach((x) => visit(x, key));
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        visit(x, k);
      }
    }
  };
  visit({ main: manifest.main, icon: manifest.icon, contributes: manifest.contributes }, '');
  return [...new Set(out)];
}

describe('(vsix) the packaged extension installed into the VS Code server', function () {
  const timings: Record<string, number> = {};
  let server: VsCodeServer | undefined;
  let installed: string;
  let wb: Workbench | undefined;

  before(async function () {
    this.timeout(600_000);
    let t0 = performance.now();
    await run('npm', ['run', 'package'], 300_000);
    timings.packageS = (performance.now() - t0) / 1000;
    assert.ok(existsSync(VSIX), `npm run package wrote ${path.relative(ROOT, VSIX)}`);
    t0 = performance.now();
    // Installs with the server's own CLI (`server-main.js --install-extension`), then starts the server.
    server = await VsCodeServer.start({ tmpParent: session().tmp, repoExtension: false, install: [VSIX], workspaceTrust: false });
    timings.installAndStartS = (performance.now() - t0) / 1000;
    const entries = JSON.parse(readFileSync(path.join(server.extensionsDir, 'extensions.json'), 'utf8')) as Array<{ identifier: { id: string }; location: { path: string } }>;
    const ours = entries.find((e) => e.identifier.id === 'emulator-fleet.emulator-fleet');
    assert.ok(ours, `the server lists the installed extension (extensions.json: ${JSON.stringify(entries.map((e) => e.identifier.id))})`);
    installed = ours.location.path;
    assert.ok(installed.startsWith(server.extensionsDir), `installed under the server's extensions folder, not the checkout: ${installed}`);
  });

  after(async function () {
    this.timeout(120_000);
    await wb?.close();
    await server?.stop();
    console.log(`      vsix timings (s): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v * 10) / 10])))}`);
    buildExtension();
  });

  it('holds every file the extension needs at run time, and nothing else', () => {
    const missing = RUNTIME_FILES.filter((f) => !exists(installed, f));
    assert.deepEqual(missing, [], `missing from the installed extension (${installed})`);
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    const referenced = manifestPaths(manifest).filter((p) => !existsSync(path.join(installed, p)));
    assert.deepEqual(referenced, [], 'files the manifest points at');
    const files = walk(installed);
    const unwanted = files.filter((f) => !f.startsWith('node_modules/') && (NEVER_SHIPPED.some((re) => re.test(f)) || !SHIPPED.some((re) => re.test(f))));
    assert.deepEqual(unwanted, [], 'files that must not be shipped (see SHIPPED and NEVER_SHIPPED)');
    const packages = files.filter((f) => f.startsWith('node_modules/') && !SHIPPED.some((re) => re.test(f)));
    assert.deepEqual(packages, [], 'packages that are not runtime dependencies');
    for (const f of RUNTIME_FILES.filter((x) => !x.includes('*'))) {
      assert.ok(statSync(path.join(installed, f)).size > 0, `${f} is not empty`);
    }
  });

  it('resolves every package its bundles require from the installed folder', () => {
    const builtins = new Set([...builtinModules, 'vscode']);
    const bundles = walk(path.join(installed, 'dist')).filter((f) => f.endsWith('.js') && !f.startsWith('webview/'));
    const unresolved: string[] = [];
    for (const b of bundles) {
      const src = readFileSync(path.join(installed, 'dist', b), 'utf8');
      for (const m of src.matchAll(/\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
        const name = m[1]!;
        if (name.startsWith('node:') || builtins.has(name.split('/')[0]!)) {
          continue;
        }
        const pkg = name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!;
        if (!existsSync(path.join(installed, 'node_modules', pkg, 'package.json'))) {
          unresolved.push(`${b}: ${name}`);
        }
      }
    }
    assert.deepEqual(unresolved, [], 'packages required by the bundles but not shipped');
  });

  it('loads sharp (native) from the installed folder and encodes an image', async () => {
    const script = `const sharp = require(${JSON.stringify(path.join(installed, 'node_modules/sharp'))});
      sharp({ create: { width: 4, height: 4, channels: 3, background: '#336699' } }).png().toBuffer()
        .then((b) => console.log(JSON.stringify({ png: b.length, vips: sharp.versions.vips })));`;
    const out = await run(process.execPath, ['-e', script], 60_000);
    const r = JSON.parse(out.trim().split('\n').pop()!) as { png: number; vips: string };
    assert.ok(r.png > 0 && r.vips, out);
  });

  it('activates in a window without the development payload: F1 → Show Logs shows the activation line', async () => {
    const t0 = performance.now();
    wb = await openWorkbench({ server });
    await wb.runCommand('Emulator Fleet: Show Logs');
    await wb.waitForText('Emulator Fleet activated', { within: '.part.panel' });
    timings.windowToActivationLineS = (performance.now() - t0) / 1000;
    const activation = server!.lines.concat(readLogs(server!)).find((l) => /ExtensionService#_doActivateExtension emulator-fleet\.emulator-fleet/.test(l));
    assert.ok(activation, 'the extension host log shows the activation');
  });

  it('runs the demo group on virtual devices from the installed extension: a bot completes a cycle', async function () {
    this.timeout(300_000);
    const w = wb!;
    const t0 = performance.now();
    // Virtual devices only: no ADB server of this machine is touched.
    server!.setSettings({ 'emulatorFleet.adb.servers': [] });
    await w.openViewContainer('Emulator Fleet');
    await w.runCommand('Emulator Fleet: Start Virtual Devices…');
    await w.answerInput('4');
    await w.treeItem('Devices', 'Virtual devices');
    await w.runCommand('Emulator Fleet: Start Group');
    await w.pickQuickItem('Premium Farmers');
    const group = await w.treeItem('Groups', 'Premium Farmers');
    const g = await group.elementHandle();
    await w.page.waitForFunction((el) => /Running/.test(el?.getAttribute('aria-label') ?? ''), g, { timeout: 120_000, polling: 250 });
    const bot = await w.treeItem('Groups', ['Premium Farmers', 'bot 1']);
    const handle = await bot.elementHandle();
    // The bot's row says `N cycles` once it completed one (the extension host ran the routine on the device).
    await w.page.waitForFunction((el) => /\b[1-9]\d* cycles?\b/.test(el?.getAttribute('aria-label') ?? ''), handle, { timeout: 240_000, polling: 250 });
    timings.groupCycleS = (performance.now() - t0) / 1000;
    await w.runCommand('Emulator Fleet: Stop Group');
    await w.pickQuickItem('Premium Farmers');
    await w.page.waitForFunction((el) => /Stopped/.test(el?.getAttribute('aria-label') ?? ''), g, { timeout: 60_000, polling: 250 });
  });

  // Keep it in this describe block: it reuses the installed server and window (`wb`).
});

/** The extension host logs of a server (where activation is logged). */
function readLogs(s: VsCodeServer): string[] {
  const dir = s.logsDir();
  if (!existsSync(dir)) {
    return [];
  }
  return walk(dir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n'));
}
