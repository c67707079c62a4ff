/**
 * `npm run vscode [-- --port N] [--folder PATH | --copy] [--workspace-trust] [--no-build]`
 *
 * Serves the real VS Code (the VS Code server bundled with code-server, the one the tests use; installed first
 * when missing) on 127.0.0.1 with the extension loaded from this checkout's dist/ and the fleet workspace open,
 * and prints the address to open in a browser. Nothing to install but this repository's dependencies.
 *
 * - The workspace is the repository itself (it holds routines/, templates/, groups/, pools/), so what you change
 *   there is what the CLI and the tests read; `--copy` opens a fresh temporary copy instead, `--folder` any folder.
 * - Every folder is trusted (the demo shows the product at work); `--workspace-trust` turns VS Code's trust
 *   prompts on, to see what the extension does in an untrusted folder.
 * - After `npm run build` (or with `npm run watch` running), "Developer: Reload Window" loads the new bundles.
 * - Ctrl-C stops the server and everything it started (its process group).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildExtension, CODE_SERVER_VERSION, ensureCodeServer, ROOT } from '../test/vscode/support/paths';
import { VsCodeServer } from '../test/vscode/support/server';
import { copyFleetWorkspace } from '../test/vscode/support/workspace';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      folder: { type: 'string' },
      copy: { type: 'boolean', default: false },
      'workspace-trust': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const port = values.port !== undefined ? Number(values.port) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new Error(`--port ${values.port}: expected a port number (1-65535)`);
  }
  ensureCodeServer();
  if (!values['no-build']) {
    buildExtension();
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-vscode-serve-'));
  const folder = values.folder ? path.resolve(values.folder) : values.copy ? copyFleetWorkspace(tmp, 'fleet') : ROOT;
  const logFile = path.join(ROOT, 'out/vscode-serve.log');
  mkdirSync(path.dirname(logFile), { recursive: true });
  writeFileSync(logFile, '');
  const lines: string[] = [];
  const server = await VsCodeServer.start({
    port,
    tmpParent: tmp,
    workspaceTrust: values['workspace-trust'],
    // The theme is the user's choice in the browser (a machine setting would override it).
    settings: { 'workbench.colorTheme': undefined },
    onLine: (l) => {
      lines.push(l);
      if (lines.length >= 50) {
        writeFileSync(logFile, `${lines.splice(0).join('\n')}\n`, { flag: 'a' });
      }
    },
  });
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log('\nstopping the VS Code server');
    writeFileSync(logFile, `${lines.join('\n')}\n`, { flag: 'a' });
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => void stop(0));
  }
  void server
    .waitFor(() => false, 2 ** 31 - 1, 'nothing')
    .catch((e: Error) => {
      if (!stopping) {
        console.error(`the VS Code server stopped: ${e.message}`);
        void stop(1);
      }
    });
  console.log(`
Emulator Fleet in VS Code (the VS Code server of code-server ${CODE_SERVER_VERSION})

  open  ${server.url(folder)}

  workspace   ${folder}
  extension   ${ROOT} (dist/; after a rebuild run "Developer: Reload Window")
  trust       ${values['workspace-trust'] ? 'VS Code asks whether to trust the folder' : 'every folder trusted (--workspace-trust for the prompts)'}
  server log  ${path.relative(process.cwd(), logFile)}

Ctrl-C stops it.`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
