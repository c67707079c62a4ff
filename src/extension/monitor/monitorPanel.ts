/**
 * The "Emulator Fleet: Monitor" webview panel: one per window (the command creates it or reveals it), restored after
 * a reload by its serializer, with a strict CSP (a nonce, no inline script, resources from dist/webview only). The
 * message loop is a MonitorSession; this file only wires it to VS Code (the webview, visibility, the editor, the
 * settings) and to the window's fleet through the MonitorService.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../shared/ports';
import type { ToMonitor } from '../../shared/monitorProtocol';
import { encodeJpeg } from '../../bot/vision/frameEncoder';
import { COMMANDS, MONITOR_VIEW_TYPE } from '../constants';
import { directRegistrar, type Registrar } from '../registrar';
import type { CommandRunner } from '../commands/commandRunner';
import type { FleetSession } from '../fleetSession';
import { MonitorSession } from './monitorSession';
import type { MonitorService } from './monitorService';
import type { MonitorUiPort } from './monitorPorts';

export { MONITOR_VIEW_TYPE };
export const OPEN_MONITOR_COMMAND = COMMANDS.openMonitor;
export const MONITOR_TITLE = 'Emulator Fleet: Monitor';

export interface MonitorPanelOptions {
  extensionUri: vscode.Uri;
  logger: Logger;
  session: FleetSession;
  service: MonitorService;
  runner: CommandRunner;
  /** Where the serializer is registered (the bootstrap's delegates; default: straight with VS Code). */
  registrar?: Registrar;
}

/** The page the monitor's bundle expects (`<div id="root">`, its CSS, its module script with the nonce). */
export function monitorHtml(webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>, extensionUri: vscode.Uri, nonce: string): string {
  const base = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const css = webview.asWebviewUri(vscode.Uri.joinPath(base, 'monitor.css')).toString();
  const js = webview.asWebviewUri(vscode.Uri.joinPath(base, 'monitor.js')).toString();
  const src = webview.cspSource;
  const csp = [`default-src 'none'`, `img-src ${src} data: blob:`, `script-src 'nonce-${nonce}'`, `style-src ${src} 'nonce-${nonce}'`, `font-src ${src}`].join('; ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="${csp}" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${MONITOR_TITLE}</title>
    <link rel="stylesheet" href="${css}" />
  </head>
  <body>
    <div id="root"></div>
    <script type="module" nonce="${nonce}" src="${js}"></script>
  </body>
</html>`;
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

export class MonitorPanels implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private current: MonitorSession | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly log: Logger;

  constructor(private readonly o: MonitorPanelOptions) {
    this.log = o.logger.child('monitor');
  }

  /** The command and the serializer. */
  register(): vscode.Disposable {
    this.disposables.push(
      this.o.runner.register(COMMANDS.openMonitor, () => this.open()),
      (this.o.registrar ?? directRegistrar).registerWebviewPanelSerializer(MONITOR_VIEW_TYPE, {
        deserializeWebviewPanel: (panel: vscode.WebviewPanel) => {
          this.attach(panel);
          return Promise.resolve();
        },
      }),
    );
    return this;
  }

  /** The open panel's message loop (tests read its counters). */
  get session(): MonitorSession | undefined {
    return this.current;
  }

  get webviewPanel(): vscode.WebviewPanel | undefined {
    return this.panel;
  }

  /** Creates the panel or reveals it. */
  open(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(undefined, false);
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(MONITOR_VIEW_TYPE, MONITOR_TITLE, vscode.ViewColumn.Active, this.webviewOptions());
    this.attach(panel);
    return panel;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) {
      d.dispose();
    }
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.o.extensionUri, 'dist', 'webview')] };
  }

  private attach(panel: vscode.WebviewPanel): void {
    if (this.panel && this.panel !== panel) {
      // A second panel restored next to the first: keep one.
      this.panel.dispose();
    }
    this.panel = panel;
    panel.webview.options = this.webviewOptions();
    const service = this.o.service;
    const settings = this.o.session;
    const session = new MonitorSession({
      post: (msg: ToMonitor) => panel.webview.postMessage(msg),
      logger: this.o.logger,
      ui: this.ui(),
      encodeJpeg: (frame, opts) => encodeJpeg(frame, opts),
      recorder: service.recorder,
      save: service.save,
      thumbnailFps: () => settings.settings.monitorThumbnailFps,
      visible: panel.visible,
    });
    this.current = session;
    const subs: vscode.Disposable[] = [
      panel.webview.onDidReceiveMessage((m: unknown) => session.receive(m)),
      panel.onDidChangeViewState((e) => session.setVisible(e.webviewPanel.visible)),
      service.onDidChangePort((port) => session.setFleet(port)),
    ];
    panel.onDidDispose(() => {
      for (const s of subs) {
        s.dispose();
      }
      session.dispose();
      if (this.panel === panel) {
        this.panel = undefined;
        this.current = undefined;
      }
    });
    panel.webview.html = monitorHtml(panel.webview, this.o.extensionUri, newNonce());
    session.setFleet(service.port());
    // Opening the monitor builds the fleet (cheap: nothing starts); without a folder the view shows what to do.
    void service.ensureFleet().catch((e: unknown) => this.log.log('info', `the monitor has no fleet: ${e instanceof Error ? e.message : String(e)}`));
  }

  private ui(): MonitorUiPort {
    return {
      confirm: async (message, detail, action) => (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action,
      openFile: async (file, line, col) => {
        const root = this.o.session.root;
        if (!root) {
          throw new Error('the fleet has no folder');
        }
        const uri = vscode.Uri.joinPath(vscode.Uri.file(root), file);
        const pos = line !== undefined ? new vscode.Position(Math.max(0, line - 1), Math.max(0, (col ?? 1) - 1)) : undefined;
        await vscode.window.showTextDocument(uri, { preview: false, viewColumn: vscode.ViewColumn.Beside, ...(pos ? { selection: new vscode.Range(pos, pos) } : {}) });
      },
      executeCommand: async (id) => {
        await vscode.commands.executeCommand(id);
      },
    };
  }
}
