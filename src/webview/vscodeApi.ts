/** The API a VS Code webview gets from `acquireVsCodeApi()` (callable once per page). */
export interface VsCodeApi<S = unknown> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState(state: S): S;
}

declare global {
  function acquireVsCodeApi<S = unknown>(): VsCodeApi<S>;
}

/** The page's API; outside a webview (a plain browser), messages go nowhere and the state lives in memory. */
export function vscodeApi<S>(): VsCodeApi<S> {
  if (typeof acquireVsCodeApi === 'function') {
    return acquireVsCodeApi<S>();
  }
  let state: S | undefined;
  return {
    postMessage: () => undefined,
    getState: () => state,
    setState: (s) => (state = s),
  };
}
