// Bundles: the extension (node/cjs, `vscode` external; a small bootstrap and the fleet code it loads), the CLI (node/cjs), the standalone debug adapter, the vision
// worker, the virtual devices' worker, and the monitor and debugger Screen webviews (browser). sharp stays external (native); opencv.wasm and
// sql-wasm.wasm are copied beside the bundles because their loaders read them from __dirname.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const out = 'dist';

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  external: ['vscode', 'sharp'],
  logLevel: 'warning',
};

const builds = [
  // What VS Code activates (a few kB) and the fleet code it loads on first need (src/extension/bootstrap.ts).
  { ...node, entryPoints: { extension: 'src/extension/bootstrap.ts' } },
  { ...node, entryPoints: { extensionMain: 'src/extension/activate.ts' } },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' } },
  { ...node, entryPoints: { languageServer: 'src/language/server.ts' } },
  { ...node, entryPoints: { debugAdapter: 'src/extension/debug/standalone.ts' } },
  { ...node, entryPoints: { virtualDevicesWorker: 'src/host/virtualWorker.ts' } },
  existsSync('src/bot/vision/matchWorker.ts') && { ...node, entryPoints: { visionWorker: 'src/bot/vision/matchWorker.ts' } },
  existsSync('src/webview/main.ts') && {
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    entryPoints: {
      'webview/monitor': 'src/webview/main.ts',
      'webview/templateCapture': 'src/webview/templateCapture/main.ts',
      'webview/templateLab': 'src/webview/templateLab/main.ts',
    },
    logLevel: 'warning',
  },
  existsSync('src/webview/debugScreen/main.ts') && {
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    entryPoints: { 'webview/debugScreen': 'src/webview/debugScreen/main.ts' },
    logLevel: 'warning',
  },
].filter(Boolean);

function copyAssets() {
  mkdirSync(out, { recursive: true });
  const assets = [
    ['node_modules/opencv-wasm/opencv.wasm', 'opencv.wasm'],
    ['node_modules/sql.js/dist/sql-wasm.wasm', 'sql-wasm.wasm'],
  ];
  for (const [from, to] of assets) {
    if (existsSync(from)) {
      copyFileSync(from, path.join(out, to));
    }
  }
}

if (watch) {
  const ctxs = await Promise.all(builds.map((b) => esbuild.context({ ...b, outdir: out })));
  copyAssets();
  await Promise.all(ctxs.map((c) => c.watch()));
  console.log('[watch] build finished, watching for changes');
} else {
  await Promise.all(builds.map((b) => esbuild.build({ ...b, outdir: out })));
  copyAssets();
}
