/**
 * The debugger's Screen view (a webview view in the Run and Debug side bar): the paused bot's frame with the current
 * step's matches drawn, asked of the session (custom `emulatorFleet/screen` request) at each stop the session
 * announces (custom `emulatorFleet/screenChanged` event). The page is src/webview/debugScreen, under a strict CSP
 * (scripts by nonce only, images from data: URLs and the extension).
 */
import * as vscode from 'vscode';
import { SCREEN_CHANGED_EVENT, SCREEN_REQUEST, type FromDebugScreen, type ScreenChangedBody, type ScreenPayload, type ScreenRequestArguments, type ToDebugScreen } from '../../shared/debugScreenProtocol';
import { webviewHtml } from '../webviewHtml';
import { DEBUG_TYPE } from './config';

import { SCREEN_VIEW_ID } from '../constants';
import { directRegistrar, type Registrar } from '../registrar';
export { SCREEN_VIEW_ID };

export class DebugScreenViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The emulator-fleet session whose screen is shown, and whether it is stopped now. */
  private session: vscode.DebugSession | undefined;
  private stopped = false;
  private request = 0;

  constructor(private readonly extensionUri: vscode.Uri) {
    this.subscriptions.push(
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type === DEBUG_TYPE && e.event === SCREEN_CHANGED_EVENT) {
          this.changed(e.session, e.body as ScreenChangedBody);
        }
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.id === this.session?.id) {
          this.session = undefined;
          this.stopped = false;
          this.post({ type: 'state', state: 'ended' });
        }
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'debugScreen', 'Screen', { rootId: 'root' });
    this.subscriptions.push(
      view.webview.onDidReceiveMessage((m: FromDebugScreen) => this.fromPage(m)),
      view.onDidChangeVisibility(() => {
        if (view.visible && this.stopped) {
          void this.show({});
        }
      }),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
        }
      }),
    );
  }

  private fromPage(m: FromDebugScreen): void {
    if (m.type === 'ready') {
      if (this.stopped) {
        void this.show({});
      } else {
        this.post({ type: 'state', state: this.session ? 'running' : 'idle' });
      }
    } else if (m.type === 'refresh' && this.stopped) {
      void this.show({ fresh: m.fresh === true });
    }
  }

  private changed(session: vscode.DebugSession, body: ScreenChangedBody): void {
    this.session = session;
    this.stopped = body.state === 'stopped';
    if (body.state === 'stopped') {
      void this.show({});
    } else {
      this.request++;
      this.post({ type: 'state', state: body.state });
    }
  }

  /** Asks the session for the screen and sends it to the page (an answer overtaken by a newer request is dropped). */
  private async show(args: ScreenRequestArguments): Promise<void> {
    const session = this.session;
    if (!session || !this.view?.visible) {
      return;
    }
    const n = ++this.request;
    try {
      const screen = (await session.customRequest(SCREEN_REQUEST, { maxWidth: 720, ...args })) as ScreenPayload;
      if (n === this.request) {
        this.post({ type: 'screen', screen });
      }
    } catch (e) {
      if (n === this.request) {
        this.post({ type: 'state', state: 'error', message: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  private post(m: ToDebugScreen): void {
    void this.view?.webview.postMessage(m);
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) {
      d.dispose();
    }
  }
}

export function registerScreenView(context: vscode.ExtensionContext, registrar: Registrar = directRegistrar): void {
  const provider = new DebugScreenViewProvider(context.extensionUri);
  context.subscriptions.push(provider, registrar.registerWebviewViewProvider(SCREEN_VIEW_ID, provider));
}
