/** Stylesheets imported for their side effect: esbuild emits them as dist/webview/monitor.css. */
declare module '*.css';
