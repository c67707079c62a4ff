/**
 * A minimal LSP client for protocol-level tests and the authoring benchmark: builds the language server bundle
 * (esbuild, once per process), starts it as a child process over stdio, and speaks LSP to it. Diagnostics are
 * collected as they are published; waits resolve on notifications, never after fixed sleeps.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  IPCMessageReader,
  IPCMessageWriter,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';

const REPO = path.resolve(__dirname, '../..');

let built: Promise<string> | undefined;

/** Path of the bundled server (built into a temporary folder on first use). */
export function buildServer(): Promise<string> {
  built ??= (async () => {
    const esbuild = await import('esbuild');
    const out = mkdtempSync(path.join(tmpdir(), 'fleet-lsp-build-'));
    await esbuild.build({
      entryPoints: { languageServer: path.join(REPO, 'src/language/server.ts') },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outdir: out,
      external: ['vscode', 'sharp'],
      logLevel: 'warning',
    });
    process.once('exit', () => rmSync(out, { recursive: true, force: true }));
    return path.join(out, 'languageServer.js');
  })();
  return built;
}

/** A temporary copy of the shipped workspace (routines, templates, groups, pools). */
export function copyWorkspace(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'fleet-lsp-ws-'));
  for (const d of ['routines', 'templates', 'groups', 'pools']) {
    cpSync(path.join(REPO, d), path.join(root, d), { recursive: true });
  }
  return root;
}

/** `text` with the first `|` removed, and the position it marked. */
export function marked(text: string): { text: string; line: number; character: number } {
  const at = text.indexOf('|');
  if (at < 0) {
    throw new Error('no | marker in the text');
  }
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  return { text: text.slice(0, at) + text.slice(at + 1), line, character: at - (before.lastIndexOf('\n') + 1) };
}

export const CLIENT_CAPABILITIES: ClientCapabilities = {
  workspace: { workspaceEdit: { documentChanges: true, resourceOperations: ['create', 'rename', 'delete'] }, didChangeWatchedFiles: { dynamicRegistration: false } },
  textDocument: {
    completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    publishDiagnostics: { versionSupport: true },
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
    rename: { prepareSupport: true },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
  },
};

interface Waiter {
  uri: string;
  accept: (p: PublishDiagnosticsParams) => boolean;
  resolve: (d: Diagnostic[]) => void;
}

export class LspTestClient {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private readonly waiters = new Set<Waiter>();
  private readonly versions = new Map<string, number>();
  private readonly texts = new Map<string, string>();
  readonly stderr: string[] = [];

  private constructor(
    readonly root: string,
    readonly child: ChildProcess,
    readonly connection: ProtocolConnection,
  ) {
    connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p);
      for (const w of [...this.waiters]) {
        if (w.uri === p.uri && w.accept(p)) {
          this.waiters.delete(w);
          w.resolve(p.diagnostics);
        }
      }
    });
    connection.onNotification('window/logMessage', () => undefined);
  }

  /**
   * Starts the bundled server over stdio, or over node IPC (`transport: 'ipc'`, how the VS Code client starts it:
   * a forked module with `--node-ipc`).
   */
  static async start(
    root: string,
    initializationOptions: Record<string, unknown> = {},
    capabilities: ClientCapabilities = CLIENT_CAPABILITIES,
    transport: 'stdio' | 'ipc' = 'stdio',
  ): Promise<LspTestClient> {
    const server = await buildServer();
    const child =
      transport === 'ipc'
        ? fork(server, ['--node-ipc', `--clientProcessId=${process.pid}`], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
        : spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const connection =
      transport === 'ipc'
        ? createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child))
        : createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspTestClient(root, child, connection);
    child.stderr!.on('data', (d: Buffer) => client.stderr.push(d.toString()));
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(root).href,
      capabilities,
      initializationOptions: { root, ...initializationOptions },
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: 'ws' }],
    });
    await connection.sendNotification('initialized', {});
    return client;
  }

  uri(rel: string): string {
    return pathToFileURL(path.join(this.root, rel)).href;
  }

  /** Text of a workspace file on disk. */
  disk(rel: string): string {
    return readFileSync(path.join(this.root, rel), 'utf8');
  }

  async open(rel: string, text = this.disk(rel)): Promise<number> {
    this.versions.set(rel, 1);
    this.texts.set(rel, text);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: this.uri(rel), languageId: 'yaml', version: 1, text } });
    return 1;
  }

  /** Replaces the whole text of an open document; returns the new version. */
  async change(rel: string, text: string): Promise<number> {
    const version = (this.versions.get(rel) ?? 0) + 1;
    this.versions.set(rel, version);
    this.texts.set(rel, text);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri: this.uri(rel), version }, contentChanges: [{ text }] });
    return version;
  }

  async close(rel: string): Promise<void> {
    this.versions.delete(rel);
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri: this.uri(rel) } });
  }

  text(rel: string): string {
    return this.texts.get(rel) ?? this.disk(rel);
  }

  /**
   * The next published diagnostics of `rel` that satisfy `accept` (the latest already published counts when
   * `current` is true). Rejects after `timeoutMs` so a broken server fails the test instead of hanging it.
   */
  waitForDiagnostics(rel: string, accept: (p: PublishDiagnosticsParams) => boolean, opts: { current?: boolean; timeoutMs?: number } = {}): Promise<Diagnostic[]> {
    const uri = this.uri(rel);
    const latest = this.diagnostics.get(uri);
    if (opts.current && latest && accept(latest)) {
      return Promise.resolve(latest.diagnostics);
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        uri,
        accept,
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        const last = this.diagnostics.get(uri);
        reject(new Error(`no matching diagnostics for ${rel} (last: ${JSON.stringify(last)}; server stderr: ${this.stderr.join('')})`));
      }, opts.timeoutMs ?? 30_000);
      this.waiters.add(w);
    });
  }

  /** Diagnostics of an open document at exactly `version`. */
  diagnosticsAt(rel: string, version: number): Promise<Diagnostic[]> {
    return this.waitForDiagnostics(rel, (p) => p.version === version, { current: true });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  position(rel: string, line: number, character: number): { textDocument: { uri: string }; position: { line: number; character: number } } {
    return { textDocument: { uri: this.uri(rel) }, position: { line, character } };
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) {
        resolve();
      } else {
        this.child.once('exit', () => resolve());
      }
    });
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      this.child.kill('SIGKILL');
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }
}
