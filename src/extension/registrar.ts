/**
 * The registrations VS Code must find as soon as the extension activates (tree views, the monitor's serializer, the
 * debugger's factory and providers, the Screen view), behind one small port. The bootstrap (activate.ts) makes them
 * at activation with delegates and hands the fleet code this port, so the fleet code's objects take the delegates'
 * place when it loads (on first need); `directRegistrar` registers straight with VS Code.
 */
import * as vscode from 'vscode';

export interface Registrar {
  createTreeView<T>(viewId: string, options: vscode.TreeViewOptions<T>): vscode.TreeView<T>;
  registerWebviewPanelSerializer(viewType: string, serializer: vscode.WebviewPanelSerializer): vscode.Disposable;
  registerWebviewViewProvider(viewId: string, provider: vscode.WebviewViewProvider): vscode.Disposable;
  registerDebugAdapterDescriptorFactory(debugType: string, factory: vscode.DebugAdapterDescriptorFactory): vscode.Disposable;
  registerDebugConfigurationProvider(debugType: string, provider: vscode.DebugConfigurationProvider, trigger: vscode.DebugConfigurationProviderTriggerKind): vscode.Disposable;
}

/** The Screen view's options (one place: the bootstrap registers it, `directRegistrar` too). */
export const SCREEN_VIEW_OPTIONS = { webviewOptions: { retainContextWhenHidden: false } } as const;

export const directRegistrar: Registrar = {
  createTreeView: (viewId, options) => vscode.window.createTreeView(viewId, options),
  registerWebviewPanelSerializer: (viewType, serializer) => vscode.window.registerWebviewPanelSerializer(viewType, serializer),
  registerWebviewViewProvider: (viewId, provider) => vscode.window.registerWebviewViewProvider(viewId, provider, SCREEN_VIEW_OPTIONS),
  registerDebugAdapterDescriptorFactory: (debugType, factory) => vscode.debug.registerDebugAdapterDescriptorFactory(debugType, factory),
  registerDebugConfigurationProvider: (debugType, provider, trigger) => vscode.debug.registerDebugConfigurationProvider(debugType, provider, trigger),
};
