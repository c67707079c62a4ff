/**
 * Loading sql.js (SQLite compiled to WebAssembly). The wasm file is found next to the running script first (an
 * esbuild bundle in dist/ has `sql-wasm.wasm` copied beside it), then in the installed sql.js package (running from
 * source).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type initSqlJsType from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

const WASM_NAME = 'sql-wasm.wasm';

/** Absolute path of `sql-wasm.wasm`: beside the bundle when bundled, else from node_modules/sql.js/dist. */
export function locateSqlWasm(): string {
  const beside = path.join(__dirname, WASM_NAME);
  if (existsSync(beside)) {
    return beside;
  }
  try {
    return require.resolve(`sql.js/dist/${WASM_NAME}`);
  } catch {
    return beside; // not installed either: the loader's error names the missing file
  }
}

let loading: Promise<SqlJsStatic> | undefined;

/**
 * The sql.js module, initialised once per process (the wasm is compiled once; databases are separate). sql.js is
 * required here, on first use, so that a process that never opens a database never loads it.
 */
export function loadSqlJs(): Promise<SqlJsStatic> {
  loading ??= (require('sql.js') as typeof initSqlJsType)({ locateFile: () => locateSqlWasm() }).catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}
