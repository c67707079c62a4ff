/**
 * Serves the monitor's browser harness for a person to look at: `node --import tsx test/webview/serveHarness.ts`,
 * then open the printed address (add `?scenario=demo|empty|sixteen|connecting&theme=light|dark|hc`). In the page's
 * console, `harness.frame('Premium Farmers', '1', 'home')` sends a frame and `harness.posted` lists what the view sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildHarness, serveHarness } from './harnessBuilder';

async function main(): Promise<void> {
  const out = mkdtempSync(path.join(tmpdir(), 'fleet-monitor-harness-'));
  await buildHarness(out);
  const server = await serveHarness(out);
  console.log(`monitor harness: ${server.url('scenario=demo&theme=dark')}`);
  const stop = (): void => {
    void server.close().finally(() => {
      rmSync(out, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
