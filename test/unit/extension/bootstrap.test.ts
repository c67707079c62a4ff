/**
 * Activation stays cheap: the bundle VS Code activates (src/extension/bootstrap.ts) holds only the bootstrap and the
 * ids it registers placeholders for; the fleet code (zod, adbkit, sql.js, the language client, the host layer) is
 * the `extensionMain` bundle it loads on first need. A value import slipping into the bootstrap fails here.
 */
import { strict as assert } from 'node:assert';
import * as esbuild from 'esbuild';

describe('extension bootstrap bundle', () => {
  it('bundles only the bootstrap, the ids and the registrar port: nothing of the fleet code or node_modules', async function () {
    this.timeout(60_000);
    const r = await esbuild.build({
      entryPoints: ['src/extension/bootstrap.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode', 'sharp'],
      write: false,
      metafile: true,
      outdir: 'out/bootstrap-check',
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs).sort();
    assert.deepEqual(inputs, ['src/extension/bootstrap.ts', 'src/extension/constants.ts', 'src/extension/registrar.ts']);
    const bytes = r.outputFiles.find((f) => f.path.endsWith('.js'))!.contents.byteLength;
    assert.ok(bytes < 32 * 1024, `the bootstrap bundle is ${bytes} bytes`);
  });
});
