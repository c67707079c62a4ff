/**
 * Where a worker thread's code is: its bundle beside the running bundle, or (running from TypeScript sources) its
 * source module, started through a tiny evaluated bootstrap that registers tsx first (workers do not inherit a
 * parent's `require('tsx/cjs')`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** How to start a worker: a script file, or code to evaluate. */
export interface WorkerEntry {
  filename: string;
  eval: boolean;
}

/** `bundled` in `dir` when it exists, else `source` in `dir` through tsx, else undefined (the caller names the problem). */
export function findWorkerEntry(dir: string, bundled: string, source: string): WorkerEntry | undefined {
  const bundle = path.join(dir, bundled);
  if (fs.existsSync(bundle)) {
    return { filename: bundle, eval: false };
  }
  const file = path.join(dir, source);
  if (fs.existsSync(file)) {
    // Not a literal: bundlers must leave this alone (a bundle never gets here, its worker bundle is beside it).
    const loader = ['tsx', 'cjs'].join('/');
    const tsx = require.resolve(loader);
    return { filename: `require(${JSON.stringify(tsx)});\nrequire(${JSON.stringify(file)});\n`, eval: true };
  }
  return undefined;
}
