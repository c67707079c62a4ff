#!/usr/bin/env node
'use strict';
// Runs the bundled CLI when built (dist/cli.js); otherwise runs the TypeScript sources through tsx.
const path = require('node:path');
const fs = require('node:fs');
const bundled = path.join(__dirname, '..', 'dist', 'cli.js');
if (fs.existsSync(bundled) && !process.env.EMULATOR_FLEET_FROM_SOURCE) {
  require(bundled).cliMain(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => { console.error(`emulator-fleet: ${err && err.message ? err.message : err}`); process.exitCode = 1; });
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'cli', 'main.ts')).cliMain(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => { console.error(`emulator-fleet: ${err && err.message ? err.message : err}`); process.exitCode = 1; });
}
