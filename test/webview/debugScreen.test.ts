/**
 * The debugger's Screen view in a real browser (Chromium through playwright-core): the built bundle under the
 * extension's CSP (scripts by nonce, images from data: URLs), a fake `acquireVsCodeApi`, and a real screen: the one
 * the debug adapter answers (its custom screen request) while a routine is stopped on the virtual device's title
 * screen after an image condition matched. Saves test/webview/screenshots/debug-screen.png (for the README).
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { SCREEN_REQUEST, type FromDebugScreen, type ScreenPayload, type ToDebugScreen } from '../../src/shared/debugScreenProtocol';
import { DapSession } from '../support/dapSession';

const ROOT = path.resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(__dirname, 'screenshots');

const ROUTINE = ['steps:', '  - if: { image: title.tapToStart }', '    then:', '      - log: seen', ''].join('\n');

const PAGE = `<!DOCTYPE html><html><head><meta charset="UTF-8">
<link rel="stylesheet" href="debugScreen.css">
<script nonce="__NONCE__">
window.posted = [];
window.cspViolations = [];
window.errors = [];
document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', (e) => window.errors.push(String(e.message)));
let state;
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m), getState: () => state, setState: (s) => (state = s) });
</script>
</head><body><div id="root"></div><script type="module" nonce="__NONCE__" src="debugScreen.js"></script></body></html>`;

describe('debugger Screen view (browser)', function () {
  this.timeout(120_000);
  let ws: string;
  let out: string;
  let server: Server;
  let origin = '';
  let browser: Browser;
  let screen: ScreenPayload;

  before(async () => {
    // A real screen from the adapter, stopped on the title screen after `if: { image: title.tapToStart }` matched.
    ws = mkdtempSync(path.join(tmpdir(), 'fleet-screen-ws-'));
    cpSync(path.join(ROOT, 'templates'), path.join(ws, 'templates'), { recursive: true });
    mkdirSync(path.join(ws, 'routines'));
    writeFileSync(path.join(ws, 'routines', 'look.yaml'), ROUTINE);
    const s = new DapSession(ws);
    try {
      await s.start();
      await s.begin('launch', { routine: 'look' }, async () => {
        await s.setBreakpoints('routines/look.yaml', [{ line: 4 }]);
      });
      const st = await s.stopped();
      assert.equal(st.at, 'routines/look.yaml:4');
      await s.dc.evaluateRequest({ expression: 'image: home.packsButton', frameId: st.top.id, context: 'repl' });
      screen = (await s.dc.customRequest(SCREEN_REQUEST, { maxWidth: 360 })).body as ScreenPayload;
    } finally {
      await s.stop();
    }
    out = mkdtempSync(path.join(tmpdir(), 'fleet-screen-page-'));
    await esbuild.build({ entryPoints: { debugScreen: path.join(ROOT, 'src/webview/debugScreen/main.ts') }, outdir: out, bundle: true, platform: 'browser', format: 'esm', target: 'es2022', logLevel: 'warning' });
    writeFileSync(path.join(out, 'page.html'), PAGE);
    server = createServer((req, res) => {
      const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname) || 'page.html';
      let body: Buffer;
      try {
        body = readFileSync(path.join(out, name));
      } catch {
        res.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = { 'content-type': name.endsWith('.html') ? 'text/html' : name.endsWith('.css') ? 'text/css' : 'text/javascript' };
      if (name.endsWith('.html')) {
        const nonce = randomBytes(16).toString('base64');
        body = Buffer.from(body.toString('utf8').replaceAll('__NONCE__', nonce));
        // The CSP of src/extension/debug/screenView.ts (cspSource = this origin).
        headers['content-security-policy'] = `default-src 'none'; img-src ${origin} data:; style-src ${origin}; script-src 'nonce-${nonce}'; font-src ${origin}`;
      }
      res.writeHead(200, headers).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    for (const d of [ws, out]) {
      if (d) {
        rmSync(d, { recursive: true, force: true });
      }
    }
  });

  it('the adapter\'s screen: the frame the if looked at, its match, and the console\'s evaluated one', () => {
    assert.ok(screen.jpeg.length > 1000);
    assert.equal(screen.width, 360);
    assert.equal(screen.fresh, false, 'the frame the if looked at');
    assert.deepEqual(screen.matches, [], 'the log step has looked at nothing (a stop comes before its step runs)');
    assert.deepEqual(
      screen.recent.filter((m) => m.template === 'title.tapToStart').map((m) => [m.found, m.path]),
      [[true, 'steps[0]']],
    );
    assert.deepEqual(
      screen.evaluated.map((m) => [m.template, m.found]),
      [['home.packsButton', false]],
    );
    assert.equal(screen.location?.line, 4);
  });

  it('draws the paused frame with its matches, under the CSP, and asks for a fresh capture', async () => {
    const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    try {
      await page.goto(`${origin}/page.html`);
      await page.waitForFunction(() => (window as unknown as { posted: FromDebugScreen[] }).posted.some((m) => m.type === 'ready'));
      const msg: ToDebugScreen = { type: 'screen', screen };
      await page.evaluate((m) => window.postMessage(m, '*'), msg);
      await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('.frame')?.naturalWidth ?? 0) > 0 && !!document.querySelector<HTMLCanvasElement>('.overlay')?.dataset.matches);
      const drawn = await page.evaluate(() => document.querySelector<HTMLCanvasElement>('.overlay')!.dataset.matches!.split('|'));
      assert.deepEqual(
        drawn.map((d) => d.split(' ')[0]).sort(),
        ['home.packsButton', 'title.tapToStart'],
      );
      const status = await page.textContent('.status');
      assert.match(status ?? '', /Paused \(breakpoint\) · routines\/look\.yaml:4/);
      const items = await page.$$eval('.matches li', (l) => l.map((x) => `${x.className}: ${x.textContent ?? ''}`));
      assert.equal(items.length, 2);
      assert.match(items[0], /^previous found: \(steps\[0\]\) title\.tapToStart: found/);
      assert.match(items[1], /^evaluated missed: \(console\) home\.packsButton: not found/);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'debug-screen.png'), fullPage: true });
      await page.click('.refresh');
      const posted = await page.evaluate(() => (window as unknown as { posted: FromDebugScreen[] }).posted);
      assert.deepEqual(posted[posted.length - 1], { type: 'refresh', fresh: true });
      await page.evaluate(() => window.postMessage({ type: 'state', state: 'running' }, '*'));
      await page.waitForFunction(() => document.querySelector<HTMLElement>('.debug-screen')?.dataset.state === 'running');
      assert.equal(await page.isHidden('.stage'), true);
      const { csp, errors } = await page.evaluate(() => ({ csp: (window as unknown as { cspViolations: string[] }).cspViolations, errors: (window as unknown as { errors: string[] }).errors }));
      assert.deepEqual(csp, [], 'no CSP violation');
      assert.deepEqual(errors, [], 'no uncaught error');
    } finally {
      await page.close();
    }
  });
});
