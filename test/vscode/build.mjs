// Bundles the extension test suite (vscode and node_modules stay external) to out/vscode-test/index.js.
import * as esbuild from 'esbuild';
await esbuild.build({
  entryPoints: { index: 'test/vscode/suite/index.ts' },
  outdir: 'out/vscode-test',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  external: ['vscode'],
  sourcemap: true,
  logLevel: 'warning',
});
