/**
 * What VS Code activates (the `extension` bundle): the log, Show Logs, and placeholders for everything the manifest
 * contributes, so activation costs a few milliseconds. The fleet code (activate.ts, the `extensionMain` bundle: the
 * host layer, zod, adbkit, sql.js, the language client) loads on first need:
 * - a command runs (its placeholder loads the fleet code, which registers the real command, and runs it again);
 * - a view of the container asks for its rows, the monitor panel is restored, the Screen view shows, a debug
 *   session is configured (the delegates made here pass to the fleet code's objects);
 * - a routine, template, group or pool YAML is open (the language client and the live CodeLens start), or the
 *   API is read (tests).
 */
import { createRequire } from 'node:module';
import * as vscode from 'vscode';
import type * as Main from './activate';
import { COMMANDS, DEBUG_TYPE, MONITOR_VIEW_TYPE, SCREEN_VIEW_ID, VIEW_OPTIONS, VIEWS } from './constants';
import { SCREEN_VIEW_OPTIONS, type Registrar } from './registrar';

type Api = Main.EmulatorFleetApi;

/** The fleet code, loaded once; `why` goes to the log with the time it took. */
interface Loader {
  (why: string): Api;
  readonly loaded: boolean;
}

/** A tree data provider standing in for the fleet code's until it loads (the first rows asked load it). */
class TreeDelegate implements vscode.TreeDataProvider<unknown> {
  private readonly changed = new vscode.EventEmitter<unknown>();
  readonly onDidChangeTreeData = this.changed.event;
  private target: vscode.TreeDataProvider<unknown> | undefined;
  private relay: vscode.Disposable | undefined;

  constructor(
    private readonly load: Loader,
    private readonly viewId: string,
  ) {}

  bind(target: vscode.TreeDataProvider<unknown>): void {
    this.target = target;
    this.relay?.dispose();
    this.relay = target.onDidChangeTreeData?.((e) => this.changed.fire(e));
    this.changed.fire(undefined);
  }

  private real(): vscode.TreeDataProvider<unknown> | undefined {
    if (!this.target) {
      this.load(`the ${this.viewId} view was shown`);
    }
    return this.target;
  }

  getTreeItem(element: unknown): vscode.TreeItem | Thenable<vscode.TreeItem> {
    const t = this.real();
    if (!t) {
      throw new Error(`Emulator Fleet: the ${this.viewId} view has no rows yet`);
    }
    return t.getTreeItem(element);
  }

  getChildren(element?: unknown): vscode.ProviderResult<unknown[]> {
    return this.real()?.getChildren(element) ?? [];
  }

  getParent(element: unknown): vscode.ProviderResult<unknown> {
    return this.real()?.getParent?.(element);
  }

  resolveTreeItem(item: vscode.TreeItem, element: unknown, token: vscode.CancellationToken): vscode.ProviderResult<vscode.TreeItem> {
    const t = this.real();
    return t?.resolveTreeItem ? t.resolveTreeItem(item, element, token) : item;
  }

  dispose(): void {
    this.relay?.dispose();
    this.changed.dispose();
  }
}

/**
 * The registrations VS Code needs from activation on, made here with delegates; the fleet code gets them through
 * the {@link Registrar} port (each may be asked for once).
 */
class BootRegistrar implements Registrar {
  private readonly views = new Map<string, { view: vscode.TreeView<unknown>; delegate: TreeDelegate }>();
  private serializer: vscode.WebviewPanelSerializer | undefined;
  private screen: vscode.WebviewViewProvider | undefined;
  private factory: vscode.DebugAdapterDescriptorFactory | undefined;
  private readonly configProviders = new Map<vscode.DebugConfigurationProviderTriggerKind, vscode.DebugConfigurationProvider>();

  constructor(load: Loader, subscriptions: vscode.Disposable[]) {
    for (const id of Object.values(VIEWS)) {
      const delegate = new TreeDelegate(load, id);
      const view = vscode.window.createTreeView(id, { treeDataProvider: delegate, ...VIEW_OPTIONS[id] });
      this.views.set(id, { view, delegate });
      subscriptions.push(delegate, view);
    }
    subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(MONITOR_VIEW_TYPE, {
        deserializeWebviewPanel: (panel, state) => {
          load('the monitor panel was restored');
          return this.serializer?.deserializeWebviewPanel(panel, state) ?? Promise.resolve();
        },
      }),
      vscode.window.registerWebviewViewProvider(
        SCREEN_VIEW_ID,
        {
          resolveWebviewView: (view, context, token) => {
            load('the Screen view was shown');
            return this.screen?.resolveWebviewView(view, context, token);
          },
        },
        SCREEN_VIEW_OPTIONS,
      ),
      vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
        createDebugAdapterDescriptor: (session, executable) => {
          load('a debug session started');
          return this.factory?.createDebugAdapterDescriptor(session, executable);
        },
      }),
    );
    for (const trigger of [vscode.DebugConfigurationProviderTriggerKind.Initial, vscode.DebugConfigurationProviderTriggerKind.Dynamic]) {
      const real = (): vscode.DebugConfigurationProvider | undefined => {
        load('a debug configuration was asked for');
        return this.configProviders.get(trigger);
      };
      subscriptions.push(
        vscode.debug.registerDebugConfigurationProvider(
          DEBUG_TYPE,
          {
            provideDebugConfigurations: (folder, token) => real()?.provideDebugConfigurations?.(folder, token) ?? [],
            resolveDebugConfiguration: (folder, config, token) => {
              const p = real();
              return p?.resolveDebugConfiguration ? p.resolveDebugConfiguration(folder, config, token) : config;
            },
            resolveDebugConfigurationWithSubstitutedVariables: (folder, config, token) => {
              const p = real();
              return p?.resolveDebugConfigurationWithSubstitutedVariables ? p.resolveDebugConfigurationWithSubstitutedVariables(folder, config, token) : config;
            },
          },
          trigger,
        ),
      );
    }
  }

  createTreeView<T>(viewId: string, options: vscode.TreeViewOptions<T>): vscode.TreeView<T> {
    const made = this.views.get(viewId);
    if (!made) {
      return vscode.window.createTreeView(viewId, options);
    }
    made.delegate.bind(options.treeDataProvider as vscode.TreeDataProvider<unknown>);
    // The view was made with the delegate; its element type is the fleet code's from now on.
    return made.view as vscode.TreeView<T>;
  }

  registerWebviewPanelSerializer(viewType: string, serializer: vscode.WebviewPanelSerializer): vscode.Disposable {
    if (viewType !== MONITOR_VIEW_TYPE) {
      return vscode.window.registerWebviewPanelSerializer(viewType, serializer);
    }
    this.serializer = serializer;
    return new vscode.Disposable(() => (this.serializer = undefined));
  }

  registerWebviewViewProvider(viewId: string, provider: vscode.WebviewViewProvider): vscode.Disposable {
    if (viewId !== SCREEN_VIEW_ID) {
      return vscode.window.registerWebviewViewProvider(viewId, provider);
    }
    this.screen = provider;
    return new vscode.Disposable(() => (this.screen = undefined));
  }

  registerDebugAdapterDescriptorFactory(debugType: string, factory: vscode.DebugAdapterDescriptorFactory): vscode.Disposable {
    if (debugType !== DEBUG_TYPE) {
      return vscode.debug.registerDebugAdapterDescriptorFactory(debugType, factory);
    }
    this.factory = factory;
    return new vscode.Disposable(() => (this.factory = undefined));
  }

  registerDebugConfigurationProvider(debugType: string, provider: vscode.DebugConfigurationProvider, trigger: vscode.DebugConfigurationProviderTriggerKind): vscode.Disposable {
    if (debugType !== DEBUG_TYPE || this.configProviders.has(trigger)) {
      return vscode.debug.registerDebugConfigurationProvider(debugType, provider, trigger);
    }
    this.configProviders.set(trigger, provider);
    return new vscode.Disposable(() => this.configProviders.delete(trigger));
  }
}

/** The ids of every command the extension contributes or registers (each gets a placeholder until the fleet code loads). */
function commandIds(context: vscode.ExtensionContext): string[] {
  const manifest = context.extension.packageJSON as { contributes?: { commands?: { command?: unknown }[] } };
  const declared = (manifest.contributes?.commands ?? []).map((c) => c.command).filter((c): c is string => typeof c === 'string');
  return [...new Set([...Object.values(COMMANDS), ...declared])].filter((id) => id !== COMMANDS.showLogs);
}

/** A YAML file of routines/, templates/, groups/ or pools/ inside a workspace folder (the language server's files). */
export function isFleetYaml(doc: Pick<vscode.TextDocument, 'languageId' | 'uri'>): boolean {
  return doc.uri.scheme === 'file' && /\.ya?ml$/i.test(doc.uri.path) && /\/(routines|templates|groups|pools)\//.test(doc.uri.path) && vscode.workspace.getWorkspaceFolder(doc.uri) !== undefined;
}

let mainModule: typeof Main | undefined;

export function activate(context: vscode.ExtensionContext): Api {
  const output = vscode.window.createOutputChannel('Emulator Fleet', { log: true });
  context.subscriptions.push(output, vscode.commands.registerCommand(COMMANDS.showLogs, () => output.show(true)));

  const placeholders: vscode.Disposable[] = [];
  let api: Api | undefined;
  const load = Object.assign(
    (why: string): Api => {
      if (api) {
        return api;
      }
      for (const d of placeholders.splice(0)) {
        d.dispose();
      }
      const t0 = performance.now();
      const file = context.asAbsolutePath('dist/extensionMain.js');
      try {
        mainModule = createRequire(file)(file) as typeof Main;
        api = mainModule.activateMain(context, { output, registrar });
      } catch (e) {
        // Said once in the log, in words, then thrown to whoever asked (the command, the view, the test).
        output.error(`the fleet features did not load (${why}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        throw e;
      }
      output.info(`fleet features loaded in ${Math.round(performance.now() - t0)} ms (${why})`);
      return api;
    },
    {
      get loaded(): boolean {
        return api !== undefined;
      },
    },
  ) as Loader;
  const registrar = new BootRegistrar(load, context.subscriptions);

  for (const id of commandIds(context)) {
    placeholders.push(
      vscode.commands.registerCommand(id, (...args: unknown[]) => {
        load(`${id} was run`);
        return vscode.commands.executeCommand(id, ...args);
      }),
    );
  }
  context.subscriptions.push({ dispose: () => placeholders.splice(0).forEach((d) => d.dispose()) });

  // The language client and the routine editor's features serve open fleet YAML files.
  const whenYaml = (doc: vscode.TextDocument): void => {
    if (!load.loaded && isFleetYaml(doc)) {
      setImmediate(() => load(`${vscode.workspace.asRelativePath(doc.uri)} is open`));
    }
  };
  context.subscriptions.push(vscode.workspace.onDidOpenTextDocument(whenYaml));
  vscode.workspace.textDocuments.forEach(whenYaml);

  output.info('Emulator Fleet activated');
  const lazy = <K extends keyof Api>(key: K): Api[K] => load(`the API's ${String(key)} was read`)[key];
  return {
    get version() {
      return String(context.extension.packageJSON.version ?? '0.0.0');
    },
    get session() {
      return lazy('session');
    },
    get languageClient() {
      return lazy('languageClient');
    },
    get editor() {
      return lazy('editor');
    },
    get feed() {
      return lazy('feed');
    },
    get trees() {
      return lazy('trees');
    },
    get statusBar() {
      return lazy('statusBar');
    },
    get monitor() {
      return lazy('monitor');
    },
    get monitorPanels() {
      return lazy('monitorPanels');
    },
    usePrompter: (p) => lazy('usePrompter')(p),
    shutdown: (graceMs) => lazy('shutdown')(graceMs),
  };
}

/** Stops the fleet gracefully when the fleet code was loaded (see activate.ts `deactivate`). */
export async function deactivate(): Promise<void> {
  await mainModule?.deactivate();
}
