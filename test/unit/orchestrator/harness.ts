/** Builds an Orchestrator on fakes (memory files, fake devices, fake runners, fake pool) for the unit tests. */
import { MemoryLogger } from '../../../src/shared/loggers';
import type { FleetConfig } from '../../../src/orchestrator/config';
import { parseGroupDefinition, type BotGroupDefinition } from '../../../src/orchestrator/groupDefinition';
import { Orchestrator } from '../../../src/orchestrator/orchestrator';
import type { FleetEvent } from '../../../src/shared/fleetTypes';
import { FakeClock } from '../../support/fakeClock';
import { FakeDeviceProvider, FakePools, FakeRunnerFactory, routineCatalog, type RoutineScript } from './fleetFakes';
import { MemoryFileStore } from '../../support/memoryFileStore';

export interface Harness {
  clock: FakeClock;
  files: MemoryFileStore;
  devices: FakeDeviceProvider;
  runners: FakeRunnerFactory;
  pools: FakePools;
  orchestrator: Orchestrator;
  events: FleetEvent[];
  logger: MemoryLogger;
}

export interface HarnessOptions {
  files?: Record<string, string>;
  instances?: Array<string | number>;
  accounts?: number;
  script?: RoutineScript;
  config?: Partial<FleetConfig>;
}

export async function makeHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const clock = new FakeClock(true);
  const files = new MemoryFileStore(opts.files ?? {});
  const devices = new FakeDeviceProvider(clock, opts.instances ?? [1, 2, 3, 4]);
  const runners = new FakeRunnerFactory(clock, opts.script);
  const pools = new FakePools(opts.accounts ?? 100);
  const logger = new MemoryLogger('warn');
  let id = 0;
  const orchestrator = await Orchestrator.create({
    files,
    clock,
    logger,
    devices,
    runners,
    poolManager: pools,
    routineRegistry: routineCatalog('farm_premium', 'wonder_pick', 'broken_routine!'),
    config: { metricsIntervalMs: 0, reconnectIntervalMs: 100, reconnectTimeoutMs: 2000, ...opts.config },
    newId: () => `run-${++id}`,
  });
  const events: FleetEvent[] = [];
  orchestrator.onDidEmitFleetEvent((e) => events.push(e));
  return { clock, files, devices, runners, pools, orchestrator, events, logger };
}

/** A definition from YAML text (throws on errors). */
export function defFromYaml(text: string): BotGroupDefinition {
  const r = parseGroupDefinition(text, 'test.yaml');
  if (!r.value) {
    throw new Error(r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  }
  return r.value;
}

export function premiumDef(extra = ''): BotGroupDefinition {
  return defFromYaml(
    `name: Premium Farmers
description: Farm premium packs
routine: farm_premium
routineConfig: { packs: 2 }
availableInstances: [1, 2, 3, 4]
requestedBotCount: 2
accountPool: premium_accounts
launchOptions:
  stagger: 250ms
  stopTimeout: 5s
${extra}`,
  );
}
