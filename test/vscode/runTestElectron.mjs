// Runs the extension test suite with @vscode/test-electron (it downloads VS Code, so it needs a network
// that reaches VS Code's update service; the code-server runner is the offline equivalent).
import { runTests } from '@vscode/test-electron';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, ['test/vscode/build.mjs'], { cwd: root, stdio: 'inherit' });
await runTests({
  extensionDevelopmentPath: root,
  extensionTestsPath: path.join(root, 'out/vscode-test/index.js'),
  launchArgs: ['--disable-extensions', '--disable-workspace-trust', path.join(root, 'test/fixtures/workspace')],
});
