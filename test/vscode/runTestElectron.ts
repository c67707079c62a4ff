/**
 * Runs the extension-host suite with @vscode/test-electron (it downloads VS Code, so it needs a network that
 * reaches VS Code's update service; test/vscode/run.ts is the offline equivalent used in CI). It opens the same
 * workspace as run.ts (a fresh copy of the fleet workspace) and starts the same suite.
 * Usage: npm run test:vscode-electron
 */
import { runTests } from '@vscode/test-electron';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildExtension, buildHostSuite, ROOT } from './support/paths';
import { copyFleetWorkspace } from './support/workspace';

async function main(): Promise<void> {
  buildExtension();
  buildHostSuite();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-vscode-'));
  try {
    const ws = copyFleetWorkspace(tmp);
    await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(ROOT, 'out/vscode-test/index.js'),
      launchArgs: ['--disable-extensions', '--disable-workspace-trust', ws],
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
