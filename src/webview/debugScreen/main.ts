/**
 * The debugger Screen view's entry (bundled to dist/webview/debugScreen.js, an ES module, with debugScreen.css
 * beside it). The host's page: `<div id="root"></div>` and the script under a strict CSP with a nonce (see
 * src/extension/debug/screenView.ts).
 */
import './debugScreen.css';
import type { ToDebugScreen } from '../../shared/debugScreenProtocol';
import { vscodeApi } from '../vscodeApi';
import { DebugScreenApp } from './app';

const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
const app = new DebugScreenApp(root, vscodeApi());
window.addEventListener('message', (e: MessageEvent) => app.handleMessage(e.data as ToDebugScreen));
// For the browser test and for debugging in the webview's developer tools.
(window as unknown as { __debugScreen: DebugScreenApp }).__debugScreen = app;
app.start();
