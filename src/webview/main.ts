/**
 * The monitor webview's entry (bundled to dist/webview/monitor.js, an ES module, with monitor.css beside it).
 * The host's page: `<div id="root"></div>` plus `<script type="module" nonce="…" src="monitor.js">` and a
 * `<link rel="stylesheet" href="monitor.css">`, under a strict CSP (see the protocol notes).
 */
import './zodConfig';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import './monitor.css';
import { MonitorApp } from './app';
import type { UiState } from './model/uiState';
import { vscodeApi } from './vscodeApi';

const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
const app = new MonitorApp(root, vscodeApi<UiState>());
window.addEventListener('message', (e: MessageEvent) => app.handleMessage(e.data));
// For the browser harness and for debugging in the webview's developer tools.
(window as unknown as { __monitor: MonitorApp }).__monitor = app;
app.start();
