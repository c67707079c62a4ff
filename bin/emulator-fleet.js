#!/usr/bin/env node
'use strict';
// In a source checkout (src/ present, tsx installed) runs the TypeScript sources through tsx, so the CLI is
// never a stale build; in a packaged install runs the bundle dist/cli.js. EMULATOR_FLEET_BUNDLED=1 forces
// the bundle.
const path = require('node:path');
const fs = require('node:fs');
const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'cli', 'main.ts');
let entry;
if (!process.env.EMULATOR_FLEET_BUNDLED && fs.existsSync(source)) {
  try {
    require.resolve('tsx/cjs');
    require('tsx/cjs');
    entry = source;
  } catch {
    entry = undefined;
  }
}
entry = entry || path.join(root, 'dist', 'cli.js');
require(entry)
  .cliMain(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`emulator-fleet: ${err && err.message ? err.message : err}`);
      process.exitCode = 1;
    },
  );
