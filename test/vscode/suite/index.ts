/**
 * The extension test suite's entry point, run inside a real VS Code extension host. Both runners start it:
 * test/vscode/run.ts (VS Code server + Chromium, used here and in CI; its host phase) and
 * test/vscode/runTestElectron.ts (@vscode/test-electron, for machines that can download VS Code).
 * With FLEET_VSCODE_RESULT set, it writes `{ passed, failed, passes, failures }` there (the extension host exits
 * with code 0 even when tests fail, so the runner reads this file).
 */
import * as fs from 'node:fs';

interface MochaRunner {
  on(event: string, fn: (...args: unknown[]) => void): void;
}

export function run(): Promise<void> {
  // Mocha stays external (resolved from the extension's node_modules); mocha 12 exports a namespace.
  const { Mocha } = require('mocha') as { Mocha: new (opts: object) => { suite: { emit(...a: unknown[]): void }; run(cb: (failures: number) => void): MochaRunner } };
  const mocha = new Mocha({ ui: 'bdd', timeout: 30000, color: false });
  mocha.suite.emit('pre-require', globalThis, 'vscode-suite', mocha);
  require('./extension.test');
  require('./language.test');
  require('./debug.test');
  require('./fleet.test');
  require('./editor.test');
  require('./monitor.test');

  return new Promise((resolve, reject) => {
    let passed = 0;
    let failed = 0;
    const passes: string[] = [];
    const failures: { title: string; error: string }[] = [];
    const runner = mocha.run(() => {
      const summary = `vscode suite: ${passed} passed, ${failed} failed`;
      console.log(summary);
      const out = process.env.FLEET_VSCODE_RESULT;
      if (out) {
        fs.writeFileSync(out, JSON.stringify({ passed, failed, passes, failures }));
      }
      if (failed > 0) {
        reject(new Error(`${failed} tests failed`));
      } else {
        resolve();
      }
    });
    runner.on('pass', (t) => {
      passed++;
      passes.push((t as { fullTitle(): string }).fullTitle());
      console.log(`  ok   ${(t as { fullTitle(): string }).fullTitle()}`);
    });
    runner.on('fail', (t, err) => {
      failed++;
      const title = (t as { fullTitle(): string }).fullTitle();
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push({ title, error });
      console.log(`  FAIL ${title}\n${error}`);
    });
  });
}
