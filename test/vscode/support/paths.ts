/**
 * Where the real-VS-Code test machinery finds things: the repository, the VS Code server bundled with code-server
 * (installed by scripts/setup-code-server.sh), Chromium, and the artefacts folder (screenshots, logs; gitignored).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../../..');

export const CODE_SERVER_VERSION = '4.100.3';
const CODE_SERVER = path.join(ROOT, `.vscode-test/code-server-${CODE_SERVER_VERSION}/node_modules/code-server`);

/** The VS Code server's entry point (started directly: it honours the extension-test payload). */
export const SERVER_MAIN = path.join(CODE_SERVER, 'lib/vscode/out/server-main.js');

/** Debian's Chromium unless `CHROMIUM_PATH` says otherwise. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots, logs and failure captures of the last run (`FLEET_VSCODE_ARTIFACTS` overrides; under out/, gitignored). */
export const ARTIFACTS = path.resolve(process.env.FLEET_VSCODE_ARTIFACTS ?? path.join(ROOT, 'out/vscode-artifacts'));

/** Installs code-server when it is missing (one time, about 35 s with a warm npm cache). */
export function ensureCodeServer(log: (msg: string) => void = console.log): void {
  if (existsSync(path.join(CODE_SERVER, '.fleet-ready'))) {
    return;
  }
  log(`installing code-server ${CODE_SERVER_VERSION} (one time)`);
  execFileSync('bash', [path.join(ROOT, 'scripts/setup-code-server.sh')], { stdio: 'inherit' });
}

/** Builds the extension bundles (dist/) for development (source maps, not minified). */
export function buildExtension(): void {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

/** Bundles the extension-host test suite to out/vscode-test/index.js. */
export function buildHostSuite(): void {
  execFileSync(process.execPath, ['test/vscode/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
}
