// Runs the extension test suite with @vscode/test-electron (it downloads VS Code, so it needs a network
// that reaches VS Code's update service; the code-server runner is the offline equivalent). It opens the same
// workspace as the code-server runner (a temporary copy of the fleet workspace) and starts the same suite.
import { runTests } from '@vscode/test-electron';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyTestWorkspace } from './testWorkspace.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, ['test/vscode/build.mjs'], { cwd: root, stdio: 'inherit' });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-vscode-'));
try {
  const ws = copyTestWorkspace(root, tmp);
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out/vscode-test/index.js'),
    launchArgs: ['--disable-extensions', '--disable-workspace-trust', ws],
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
