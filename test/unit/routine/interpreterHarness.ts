/** Shared set-up of the interpreter unit tests: routines from YAML text, a scripted device, a fake vision and clock. */
import type { AccountFieldValue, AccountLease, AccountPort } from '../../../src/bot/accounts';
import { MemoryLogger } from '../../../src/shared/loggers';
import { RoutineInterpreter, type RoutineInterpreterDeps, type RoutineResult, type RunOptions } from '../../../src/bot/routine/interpreter';
import { parseRoutine } from '../../../src/bot/routine/loader';
import type { LoadedRoutine } from '../../../src/bot/routine/loadedTypes';
import { formatDiagnostic } from '../../../src/shared/geometry';
import type { RoutineEvent } from '../../../src/shared/routineEvents';
import { FakeClock } from '../../support/fakeClock';
import { ScriptedDevice, ScriptedVision, type ScreenDef, type ScriptedDeviceOptions, type TransitionRule } from '../../support/scriptedDevice';

/** Loads a routine from text (as `routines/<name>.yaml`); throws with the diagnostics when it does not load. */
export function loadRoutine(name: string, text: string): LoadedRoutine {
  const r = parseRoutine(text, `routines/${name}.yaml`, name);
  if (!r.value) {
    throw new Error(`routine ${name} does not load:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  }
  return r.value;
}

export interface HarnessOptions {
  routines: Record<string, string>;
  screens?: Record<string, ScreenDef>;
  start?: string;
  rules?: TransitionRule[];
  accounts?: AccountPort;
  autoAdvance?: boolean;
  device?: Partial<ScriptedDeviceOptions>;
  deps?: Partial<RoutineInterpreterDeps>;
}

export interface Harness {
  clock: FakeClock;
  device: ScriptedDevice;
  vision: ScriptedVision;
  interp: RoutineInterpreter;
  logger: MemoryLogger;
  events: RoutineEvent[];
  routines: Map<string, LoadedRoutine>;
  run(name: string, params?: Record<string, unknown>, opts?: RunOptions): Promise<RoutineResult>;
  /** Events of one type. */
  of<T extends RoutineEvent['type']>(type: T): Array<Extract<RoutineEvent, { type: T }>>;
  /** An event's time on the test clock (event times are wall-clock epoch ms). */
  at(e: RoutineEvent): number;
}

export function harness(o: HarnessOptions): Harness {
  const clock = new FakeClock(o.autoAdvance ?? true);
  const epoch = clock.wallNow().getTime() - clock.now();
  const screens = o.screens ?? { blank: {} };
  const device = new ScriptedDevice({ screens, start: o.start ?? Object.keys(screens)[0], clock, rules: o.rules, ...o.device });
  const vision = new ScriptedVision(device, clock);
  const routines = new Map<string, LoadedRoutine>();
  for (const [name, text] of Object.entries(o.routines)) {
    routines.set(name, loadRoutine(name, text));
  }
  const logger = new MemoryLogger();
  const interp = new RoutineInterpreter({ device, vision, clock, logger, routines: { get: (n) => routines.get(n), names: () => [...routines.keys()] }, accounts: o.accounts, ...o.deps });
  const events: RoutineEvent[] = [];
  interp.onDidEmit((e) => events.push(e));
  return {
    clock,
    device,
    vision,
    interp,
    logger,
    events,
    routines,
    run: (name, params, opts) => interp.run(name, params, opts),
    of: <T extends RoutineEvent['type']>(type: T) => events.filter((e): e is Extract<RoutineEvent, { type: T }> => e.type === type),
    at: (e) => e.time - epoch,
  };
}

/** An in-memory AccountPort recording every call. */
export class MemoryAccounts implements AccountPort {
  readonly calls: Array<{ op: string; id?: string; data?: unknown }> = [];
  readonly leased = new Set<string>();

  constructor(public available: AccountLease[]) {}

  async checkoutNext(): Promise<AccountLease | undefined> {
    const a = this.available.shift();
    this.calls.push({ op: 'checkout', id: a?.accountId });
    if (a) {
      this.leased.add(a.accountId);
    }
    return a;
  }

  async complete(accountId: string, stats: Record<string, AccountFieldValue>): Promise<void> {
    this.calls.push({ op: 'complete', id: accountId, data: stats });
    this.leased.delete(accountId);
  }

  async release(accountId: string, reason?: string): Promise<void> {
    this.calls.push({ op: 'release', id: accountId, data: reason });
    this.leased.delete(accountId);
  }

  async markFailed(accountId: string, reason: string): Promise<void> {
    this.calls.push({ op: 'failed', id: accountId, data: reason });
    this.leased.delete(accountId);
  }

  async update(accountId: string, fields: Record<string, AccountFieldValue>): Promise<void> {
    this.calls.push({ op: 'update', id: accountId, data: fields });
  }
}

/** An account lease for tests. */
export function lease(id: string, fields: AccountLease['fields'] = {}): AccountLease {
  return { accountId: id, fields, deviceFile: `<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n    <string name="account_id">${id}</string>\n</map>\n` };
}

/** Lets pending promise callbacks and immediates run (for tests that drive the clock by hand). */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) {
    await new Promise((r) => setImmediate(r));
  }
}
