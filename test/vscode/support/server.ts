/**
 * A VS Code server (the one bundled with code-server) on 127.0.0.1, started directly from `server-main.js` in its own
 * process group so that stopping it also ends its file watcher and extension hosts. The server's output is kept
 * and parsed: it says when an extension host starts and exits, which is how a crash is noticed.
 *
 * Settings go to the server's machine settings file (`<user-data>/Machine/settings.json`), which the workbench
 * reads like user settings and watches: {@link VsCodeServer.setSettings} changes them live (the colour theme, say).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, SERVER_MAIN } from './paths';

export interface ServerOptions {
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /**
   * Load the extension from the repository (its package.json and dist/) as an installed extension: an entry in the
   * extensions folder's `extensions.json` pointing at the repository. Default true.
   */
  repoExtension?: boolean;
  /** .vsix files to install (`--install-extension`) into the server's extensions folder before it starts. */
  install?: string[];
  /** Machine settings merged over {@link DEFAULT_SETTINGS}; a key set to `undefined` is left out. */
  settings?: Record<string, unknown>;
  /** Workspace trust prompts (default false: every folder is trusted, `--disable-workspace-trust`). */
  workspaceTrust?: boolean;
  /** Extra environment for the server and so for its extension hosts. */
  env?: Record<string, string>;
  /** Parent of the server's temporary folders (default: the OS temp folder). */
  tmpParent?: string;
  /** Called with every line the server prints. */
  onLine?: (line: string) => void;
}

/** Settings every server starts with: no telemetry, update or gallery traffic, no welcome page. */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.colorTheme': 'Default Light Modern',
  'workbench.startupEditor': 'none',
  // The extension's walkthrough would open on install and take the active editor from the tests.
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.openRepositoryInParentFolders': 'never',
  'editor.cursorBlinking': 'solid',
};

export interface ExtensionHostExit {
  pid: number;
  code: number | null;
  signal: string | null;
  /** True when a window was being closed on purpose (see {@link VsCodeServer.expectExtensionHostExits}). */
  expected: boolean;
}

const live = new Set<VsCodeServer>();
process.on('exit', () => killAllServers());

/** SIGKILLs the process group of every server this process started and has not stopped. */
export function killAllServers(): void {
  for (const s of live) {
    s.killNow();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${path.basename(args[0] ?? file)} ${args.slice(1).join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      } else {
        resolve(stdout + stderr);
      }
    });
  });
}

export class VsCodeServer {
  readonly port: number;
  readonly dir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** Every line the server printed. */
  readonly lines: string[] = [];
  readonly exits: ExtensionHostExit[] = [];
  /** Extension hosts running now (pids). */
  readonly extensionHosts = new Set<number>();
  /** Set when the server process ended (it should only end through {@link stop}). */
  exited?: { code: number | null; signal: string | null };
  private readonly child: ChildProcess;
  private readonly settingsFile: string;
  private settings: Record<string, unknown>;
  private expecting = 0;
  private stopping = false;
  private readonly waiters = new Set<() => void>();

  private constructor(child: ChildProcess, port: number, dir: string, settings: Record<string, unknown>, onLine?: (line: string) => void) {
    this.child = child;
    this.port = port;
    this.dir = dir;
    this.userDataDir = path.join(dir, 'user-data');
    this.extensionsDir = path.join(dir, 'extensions');
    this.settingsFile = path.join(this.userDataDir, 'Machine', 'settings.json');
    this.settings = settings;
    let partial = '';
    const onData = (d: Buffer): void => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        this.onLine(line);
        onLine?.(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      this.exited = { code, signal };
      live.delete(this);
      this.notify();
    });
  }

  /** Starts a server and resolves once it answers HTTP. */
  static async start(opts: ServerOptions = {}): Promise<VsCodeServer> {
    const dir = mkdtempSync(path.join(opts.tmpParent ?? os.tmpdir(), 'fleet-vscode-server-'));
    const userData = path.join(dir, 'user-data');
    const extensions = path.join(dir, 'extensions');
    mkdirSync(path.join(userData, 'Machine'), { recursive: true });
    mkdirSync(extensions, { recursive: true });
    const settings = { ...DEFAULT_SETTINGS, ...opts.settings };
    writeFileSync(path.join(userData, 'Machine', 'settings.json'), JSON.stringify(settings, null, 2));
    const common = ['--accept-server-license-terms', '--user-data-dir', userData, '--extensions-dir', extensions];
    for (const vsix of opts.install ?? []) {
      const out = await run(process.execPath, [SERVER_MAIN, ...common, '--install-extension', vsix], 120_000);
      if (!/successfully installed/i.test(out)) {
        throw new Error(`installing ${vsix} did not succeed:\n${out}`);
      }
    }
    if (opts.repoExtension ?? true) {
      linkRepoExtension(extensions);
    }
    const port = opts.port ?? (await freePort());
    const child = spawn(
      process.execPath,
      [
        SERVER_MAIN,
        '--host', '127.0.0.1',
        '--port', String(port),
        '--without-connection-token',
        '--enable-smoke-test-driver',
        '--disable-telemetry',
        ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
        ...common,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } },
    );
    const server = new VsCodeServer(child, port, dir, settings, opts.onLine);
    live.add(server);
    try {
      await server.waitFor(() => server.lines.some((l) => l.includes('Extension host agent listening on')), 60_000, 'the server to listen');
      return server;
    } catch (e) {
      await server.stop();
      throw e;
    }
  }

  get authority(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * The workbench address for a folder ('' for an empty window, no folder open), with an optional payload
   * (extension development and test paths...).
   */
  url(folder: string, payload: Array<[string, string]> = []): string {
    const p: Array<[string, string]> = [['skipWelcome', 'true'], ...payload];
    return `http://${this.authority}/?${folder ? `folder=${encodeURIComponent(folder)}&` : 'ew=true&'}payload=${encodeURIComponent(JSON.stringify(p))}`;
  }

  /** A `vscode-remote:` URI for a path on this machine (what the payload's paths must be). */
  remoteUri(p: string): string {
    return `vscode-remote://${this.authority}${p}`;
  }

  /** Merges settings into the machine settings file; open windows apply them live. */
  setSettings(patch: Record<string, unknown>): void {
    this.settings = { ...this.settings, ...patch };
    writeFileSync(this.settingsFile, JSON.stringify(this.settings, null, 2));
  }

  getSetting(key: string): unknown {
    return (JSON.parse(readFileSync(this.settingsFile, 'utf8')) as Record<string, unknown>)[key];
  }

  /** The last `n` lines the server printed. */
  tail(n = 40): string {
    return this.lines.slice(-n).join('\n');
  }

  /** The server's and extension hosts' log files (under the user data folder). */
  logsDir(): string {
    return path.join(this.userDataDir, 'logs');
  }

  /** Marks every extension-host exit seen so far as expected (after a test run ended its own extension host). */
  acknowledgeExits(): void {
    for (const e of this.exits) {
      e.expected = true;
    }
  }

  /** Exits of extension hosts that nobody asked for (a crash, or `process.exit` in an extension). */
  unexpectedExits(): ExtensionHostExit[] {
    return this.exits.filter((e) => !e.expected);
  }

  /**
   * Runs `fn` (closing a window, say) and counts every extension-host exit until it returns as expected; then waits
   * until `exits` of the extension hosts running before it have ended (default: all of them), bounded by `timeoutMs`.
   * A window's extension host is one of several when other windows of this server stay open: close it with `exits: 1`.
   */
  async expectExtensionHostExits<T>(fn: () => Promise<T>, opts: { exits?: number; timeoutMs?: number } = {}): Promise<T> {
    const before = [...this.extensionHosts];
    const exits = Math.min(opts.exits ?? before.length, before.length);
    this.expecting++;
    try {
      const r = await fn();
      if (exits > 0) {
        const ended = (): number => before.filter((pid) => !this.extensionHosts.has(pid)).length;
        await this.waitFor(() => ended() >= exits, opts.timeoutMs ?? 30_000, exits === 1 ? 'an extension host to exit' : `${exits} extension hosts to exit`);
      }
      return r;
    } finally {
      this.expecting--;
    }
  }

  /** Resolves when `cond` holds (re-checked on every server line and exit); rejects after `timeoutMs` or if the server dies. */
  waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (cond()) {
          done();
          resolve();
        } else if (this.exited && !this.stopping) {
          done();
          reject(new Error(`the VS Code server exited (code ${this.exited.code}, signal ${this.exited.signal}) while waiting for ${what}\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Kills the server's process group (server, file watcher, extension hosts) and removes its folders. */
  async stop(opts: { keep?: boolean } = {}): Promise<void> {
    this.stopping = true;
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.killNow();
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000).unref())]);
    }
    live.delete(this);
    if (!opts.keep) {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    }
  }

  /** SIGKILLs the process group at once (also used at process exit). */
  killNow(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private onLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 5000) {
      this.lines.splice(0, 1000);
    }
    const launched = /<(\d+)> Launched Extension Host Process/.exec(line);
    if (launched) {
      this.extensionHosts.add(Number(launched[1]));
    }
    const exited = /<(\d+)> Extension Host Process exited with code: (\S+), signal: (\S+?)\.?$/.exec(line);
    if (exited) {
      const pid = Number(exited[1]);
      this.extensionHosts.delete(pid);
      const code = exited[2] === 'null' ? null : Number(exited[2]);
      const signal = exited[3] === 'null' ? null : exited[3];
      this.exits.push({ pid, code, signal, expected: this.expecting > 0 || this.stopping });
    }
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) {
      w();
    }
  }
}

/** The repository as an installed extension: the server loads package.json and dist/ from the checkout. */
export function linkRepoExtension(extensionsDir: string): void {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; publisher: string; version: string };
  const id = `${pkg.publisher}.${pkg.name}`;
  const file = path.join(extensionsDir, 'extensions.json');
  const entries = (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Array<{ identifier: { id: string } }>) : []).filter((e) => e.identifier.id !== id);
  entries.push({ identifier: { id }, version: pkg.version, location: { $mid: 1, path: ROOT, scheme: 'file' } } as (typeof entries)[number]);
  writeFileSync(file, JSON.stringify(entries));
}
