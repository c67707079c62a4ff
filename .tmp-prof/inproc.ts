import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createFleet } from '../src/host/fleet';
import { NodeFileStore } from '../src/host/nodePorts';
import { SystemClock } from '../src/shared/clock';
import { nullLogger } from '../src/shared/loggers';
import { parseGroupDefinition } from '../src/orchestrator/groupDefinition';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function main() {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'prof-'));
  for (const d of ['routines', 'templates', 'pools']) cpSync(path.join(__dirname, '..', d), path.join(ws, d), { recursive: true });
  const fleet = await createFleet({ files: new NodeFileStore(ws), clock: new SystemClock(), logger: nullLogger, watch: false, virtual: { count: 16 }, config: { metricsIntervalMs: 0 } });
  const def = parseGroupDefinition(`name: b16\nroutine: farm_premium\nroutineConfig: { packs: 1 }\navailableInstances: [${Array.from({ length: 16 }, (_, i) => i + 1).join(', ')}]\nrequestedBotCount: 16\nlaunchOptions: { stagger: 200ms, onBusy: skip }\n`, 'b.yaml').value!;
  const g = fleet.orchestrator.createGroup(def);
  await g.start();
  await sleep(8000);
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const per: number[] = [];
  const sec = monitorEventLoopDelay({ resolution: 5 });
  sec.enable();
  for (let i = 0; i < 15; i++) { await sleep(1000); per.push(Math.round(sec.percentile(99) / 1e6 - 5)); sec.reset(); }
  h.disable();
  console.log(JSON.stringify({ p99: h.percentile(99) / 1e6 - 5, max: h.max / 1e6, per, rss: process.memoryUsage().rss / 1e6 }));
  await g.stop({ timeoutMs: 5000 });
  await fleet.close();
}
void main();
