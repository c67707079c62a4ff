/**
 * Builds and serves the monitor's browser harness: the webview bundle (as esbuild.mjs builds it), the fake host,
 * real frames of the virtual device's demo game encoded to JPEG with sharp, and the theme stylesheets. The server
 * sends the page with a strict CSP like the extension's (a fresh nonce per page).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import sharp from 'sharp';
import { LAYOUT } from '../../src/virtual/game/layout';
import { makeRig } from '../unit/virtual/gameTestSupport';
import type { FrameAsset } from './harness/fakeHost';

const ROOT = path.resolve(__dirname, '../..');
const HERE = __dirname;

/** Device and thumbnail sizes: a scaled, non-square display (540x960 shown from 270x480 frames). */
export const DEVICE = { width: 540, height: 960 };
export const THUMB = { width: 270, height: 480 };

/** The frames the harness can send, by name. */
export const FRAME_NAMES = ['title', 'home', 'packs', 'opening1', 'opening2', 'opening3', 'wonder', 'missions'] as const;

async function renderFrames(): Promise<Record<string, FrameAsset>> {
  const rig = makeRig({ width: DEVICE.width, height: DEVICE.height, seed: 7 });
  const out: Record<string, FrameAsset> = {};
  const grab = async (name: string): Promise<void> => {
    const rgba = await rig.game.render();
    const jpeg = await sharp(rgba, { raw: { width: DEVICE.width, height: DEVICE.height, channels: 4 } })
      .resize(THUMB.width, THUMB.height)
      .jpeg({ quality: 80 })
      .toBuffer();
    out[name] = { width: THUMB.width, height: THUMB.height, device: DEVICE, b64: jpeg.toString('base64') };
  };
  await grab('title');
  rig.tapRect(LAYOUT.title.tapToStart);
  rig.time.advance(100);
  await grab('home');
  rig.tapRect(LAYOUT.home.packsButton);
  rig.time.advance(100);
  await grab('packs');
  rig.tapRect(LAYOUT.packSelect.open);
  for (const n of [1, 2, 3]) {
    rig.time.advance(250);
    await grab(`opening${n}`);
  }
  rig.time.advance(2000);
  rig.game.key(4);
  rig.game.key(4);
  rig.time.advance(100);
  if (rig.game.screen() !== 'home') {
    // Results need a tap and Next to get home.
    rig.tapRect(LAYOUT.opening.tapToReveal);
    rig.time.advance(100);
    rig.tapRect(LAYOUT.results.next);
    rig.time.advance(100);
  }
  rig.tapRect(LAYOUT.home.wonderPickButton);
  rig.time.advance(100);
  await grab('wonder');
  rig.game.key(4);
  rig.time.advance(100);
  rig.tapRect(LAYOUT.home.missionsButton);
  rig.time.advance(100);
  await grab('missions');
  return out;
}

/** Builds the harness into `outDir`. */
export async function buildHarness(outDir: string): Promise<void> {
  mkdirSync(path.join(outDir, 'themes'), { recursive: true });
  // The webview bundle exactly as esbuild.mjs makes it (browser, ES module, its CSS beside it).
  await esbuild.build({
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    entryPoints: { monitor: path.join(ROOT, 'src/webview/main.ts') },
    outdir: outDir,
    logLevel: 'warning',
  });
  await esbuild.build({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: { harness: path.join(HERE, 'harness/fakeHost.ts') },
    outdir: outDir,
    logLevel: 'warning',
  });
  const frames = await renderFrames();
  writeFileSync(path.join(outDir, 'frames.js'), `window.__harnessFrames = ${JSON.stringify(frames)};\n`);
  copyFileSync(path.join(HERE, 'harness/harness.html'), path.join(outDir, 'harness.html'));
  for (const f of readdirSync(path.join(HERE, 'harness/themes'))) {
    copyFileSync(path.join(HERE, 'harness/themes', f), path.join(outDir, 'themes', f));
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

export interface HarnessServer {
  origin: string;
  url(query?: string): string;
  close(): Promise<void>;
}

/** Serves `outDir` on 127.0.0.1 with the extension's CSP on the page. */
export async function serveHarness(outDir: string): Promise<HarnessServer> {
  let origin = '';
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rel = path.normalize(decodeURIComponent(u.pathname)).replace(/^([/\\])+/, '');
    const file = path.join(outDir, rel || 'harness.html');
    if (!file.startsWith(outDir)) {
      res.writeHead(403).end();
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
    if (file.endsWith('.html')) {
      const nonce = randomBytes(16).toString('base64');
      body = Buffer.from(body.toString('utf8').replaceAll('__NONCE__', nonce));
      // The CSP the extension sets on the panel (cspSource = this origin).
      headers['content-security-policy'] = `default-src 'none'; img-src ${origin} data: blob:; script-src 'nonce-${nonce}'; style-src ${origin} 'nonce-${nonce}'`;
    }
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (query = '') => `${origin}/harness.html${query ? `?${query}` : ''}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
