/**
 * The language server of the fleet's YAML: wires an LSP connection to the workspace index, the diagnostics
 * service and the feature modules. Serves routines/, templates/, groups/ and pools/ of one workspace root.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CodeActionKind,
  LSPErrorCodes,
  FileChangeType,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { NodeFileStore } from '../host/nodePorts';
import { codeActions } from './codeActions';
import { complete } from './completion';
import { DeviceList } from './devices';
import { DiagnosticsService } from './diagnosticsService';
import type { FileModel } from './fileModel';
import { foldingRanges } from './folding';
import { hover } from './hover';
import { definition, references } from './navigation';
import { documentSymbols } from './outline';
import { OverlayFileStore } from './overlayFileStore';
import { DEFAULT_DIAGNOSTICS_DELAY_MS, DEVICES_NOTIFICATION, type FleetInitializationOptions } from './protocol';
import { prepareRename, rename } from './rename';
import { TextLines } from './textLines';
import { InlineValidationRunner, WorkerValidationRunner, type ValidationRunner } from './validationRunner';
import { WorkspaceIndex } from './workspaceIndex';
import { fileKind, WorkspacePaths } from './workspacePaths';

export interface FleetServerOptions {
  /** The server's entry module, started again as the validation worker. */
  entry: string;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function uriToPath(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The workspace root: `initializationOptions.root`, else the workspace folder holding groups/ or routines/
 * (a multi-root workspace), else the first folder or the root URI.
 */
export function pickRoot(params: InitializeParams): string | undefined {
  const opts = (params.initializationOptions ?? {}) as FleetInitializationOptions;
  if (typeof opts.root === 'string' && opts.root) {
    return opts.root;
  }
  const folders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => !!p);
  const fleet = folders.find((f) => ['groups', 'routines'].some((d) => isDirectory(`${f}/${d}`)));
  if (fleet) {
    return fleet;
  }
  if (folders.length) {
    return folders[0];
  }
  const fromUri = params.rootUri ? uriToPath(params.rootUri) : undefined;
  return fromUri ?? params.rootPath ?? undefined;
}

interface Session {
  paths: WorkspacePaths;
  store: OverlayFileStore;
  index: WorkspaceIndex;
  diagnostics: DiagnosticsService;
}

export function startFleetLanguageServer(connection: Connection, options: FleetServerOptions): void {
  const documents = new TextDocuments(TextDocument);
  const devices = new DeviceList();
  let session: Session | undefined;
  let renameFiles = false;
  const log = (m: string) => connection.console.log(m);

  const versionOf = (path: string): number | null => {
    if (!session) {
      return null;
    }
    return documents.get(session.paths.uri(path))?.version ?? null;
  };

  connection.onInitialize((params): InitializeResult => {
    const opts = (params.initializationOptions ?? {}) as FleetInitializationOptions;
    const root = pickRoot(params);
    const ws = params.capabilities.workspace?.workspaceEdit;
    renameFiles = !!ws?.documentChanges && !!ws.resourceOperations?.includes('rename');
    if (root && existsSync(root)) {
      const paths = new WorkspacePaths(root);
      const store = new OverlayFileStore(new NodeFileStore(paths.root));
      let runner: ValidationRunner;
      if (opts.validation === 'inline') {
        runner = new InlineValidationRunner();
      } else {
        runner = new WorkerValidationRunner(options.entry, log);
      }
      const diagnostics = new DiagnosticsService({
        store,
        runner,
        paths,
        publish: (uri, list, version) => void connection.sendDiagnostics({ uri, diagnostics: list, ...(version !== undefined ? { version } : {}) }).catch(() => undefined),
        versionOf: (p) => documents.get(paths.uri(p))?.version,
        delayMs: typeof opts.diagnosticsDelayMs === 'number' && opts.diagnosticsDelayMs >= 0 ? opts.diagnosticsDelayMs : DEFAULT_DIAGNOSTICS_DELAY_MS,
        log,
      });
      session = { paths, store, index: new WorkspaceIndex(store), diagnostics };
      log(`Emulator Fleet language server: workspace ${paths.root}`);
    } else {
      log('Emulator Fleet language server: no workspace root (no folder holds routines/ or groups/): features are off');
    }
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [' ', ':', '{', '$', '.', '/'] },
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: 'emulator-fleet-language-server' },
    };
  });

  connection.onInitialized(() => {
    session?.diagnostics.schedule();
  });

  /** The served document's model: workspace path, text (the editor's when open) parsed once per version. */
  const modelOf = async (uri: string): Promise<FileModel | undefined> => {
    if (!session) {
      return undefined;
    }
    const path = session.paths.relative(uri);
    if (!path || !fileKind(path)) {
      return undefined;
    }
    const doc = documents.get(uri);
    const text = doc ? doc.getText() : await session.index.text(path);
    return text === undefined ? undefined : session.index.modelOf(path, text);
  };

  const track = (doc: TextDocument, open: boolean) => {
    if (!session) {
      return;
    }
    const path = session.paths.relative(doc.uri);
    if (!path || !fileKind(path)) {
      return;
    }
    if (open) {
      session.store.set(path, doc.getText());
    } else {
      session.store.remove(path);
      session.index.invalidate([path], false);
    }
    session.diagnostics.schedule();
  };
  documents.onDidOpen((e) => track(e.document, true));
  documents.onDidChangeContent((e) => track(e.document, true));
  documents.onDidClose((e) => track(e.document, false));

  connection.onDidChangeWatchedFiles((params) => {
    if (!session) {
      return;
    }
    const changed: string[] = [];
    let structural = false;
    for (const c of params.changes) {
      const p = session.paths.relative(c.uri);
      if (p) {
        changed.push(p);
        structural ||= c.type !== FileChangeType.Changed;
      }
    }
    if (changed.length) {
      session.index.invalidate(changed, structural);
      session.diagnostics.schedule();
    }
  });

  connection.onNotification(DEVICES_NOTIFICATION, (params: unknown) => devices.update(params));

  const cancelled = (token: CancellationToken) => {
    if (token.isCancellationRequested) {
      throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    }
  };

  connection.onCompletion(async (params, token) => {
    if (!session) {
      return [];
    }
    const path = session.paths.relative(params.textDocument.uri);
    const kind = path ? fileKind(path) : undefined;
    if (!path || !kind) {
      return [];
    }
    // Completion parses the text once itself (with the cursor marked), so the document's model is not built here.
    const doc = documents.get(params.textDocument.uri);
    const text = doc ? doc.getText() : await session.index.text(path);
    if (text === undefined) {
      return [];
    }
    cancelled(token);
    const lines = new TextLines(text);
    return complete({ path, kind, text, lines }, lines.offsetAt(params.position), { index: session.index, paths: session.paths, devices });
  });

  connection.onHover(async (params) => {
    const m = await modelOf(params.textDocument.uri);
    return m && session ? hover(m, m.lines.offsetAt(params.position), { index: session.index, paths: session.paths }) : null;
  });

  connection.onDefinition(async (params) => {
    const m = await modelOf(params.textDocument.uri);
    return m && session ? definition(m, m.lines.offsetAt(params.position), session.index, session.paths) : [];
  });

  connection.onReferences(async (params) => {
    const m = await modelOf(params.textDocument.uri);
    return m && session ? references(m, m.lines.offsetAt(params.position), params.context.includeDeclaration, session.index, session.paths) : [];
  });

  connection.onPrepareRename(async (params) => {
    const m = await modelOf(params.textDocument.uri);
    return (m && prepareRename(m, m.lines.offsetAt(params.position))) ?? null;
  });

  connection.onRenameRequest(async (params) => {
    const m = await modelOf(params.textDocument.uri);
    if (!m || !session) {
      return null;
    }
    return rename(m, m.lines.offsetAt(params.position), params.newName, session.index, session.paths, { renameFiles, versionOf });
  });

  connection.onDocumentSymbol(async (params) => {
    const m = await modelOf(params.textDocument.uri);
    return m ? documentSymbols(m) : [];
  });

  connection.onFoldingRanges(async (params) => {
    const m = await modelOf(params.textDocument.uri);
    return m ? foldingRanges(m) : [];
  });

  connection.onCodeAction(async (params) => {
    const m = await modelOf(params.textDocument.uri);
    return m && session ? codeActions(m, params.context.diagnostics, { index: session.index, paths: session.paths, versionOf }) : [];
  });

  connection.onShutdown(() => {
    session?.diagnostics.dispose();
  });

  documents.listen(connection);
  connection.listen();
}
