/**
 * Builders of fleet snapshots and seq'd events for the monitor's tests: the unit tests of the view model and the
 * browser harness's scripted host (bundled into the page) use the same ones. Pure data, no Node APIs.
 */
import { botChanges } from '../../src/shared/fleetModel';
import type {
  BotChanges,
  BotSnapshot,
  BotState,
  FleetEvent,
  FleetSnapshot,
  GroupDefinitionSummary,
  GroupSnapshot,
  GroupState,
  InstanceKey,
  PoolInfo,
  RoutineInfo,
} from '../../src/shared/fleetTypes';
import type { Rect, SourceRange } from '../../src/shared/geometry';

export const T0 = 1_760_000_000_000;

export function range(file: string, line: number, col = 5): SourceRange {
  return { file, start: { line, col }, end: { line, col: col + 10 }, offset: [line * 40, line * 40 + 10] };
}

export function bot(group: string, instance: InstanceKey, o: Partial<BotSnapshot> = {}): BotSnapshot {
  return {
    group,
    orchestrationId: `${group}-run1`,
    instance,
    serial: `127.0.0.1:${5554 + Number(instance) * 2 || 5554}`,
    state: 'running',
    stateSince: T0,
    routine: 'farm_premium',
    accounts: [],
    cycles: 0,
    errors: 0,
    restarts: 0,
    capture: { count: 0 },
    input: { count: 0 },
    steps: 0,
    ...o,
  };
}

export function group(name: string, o: Partial<GroupSnapshot> = {}): GroupSnapshot {
  const orchestrationId = o.orchestrationId ?? `${name}-run1`;
  return {
    name,
    orchestrationId,
    state: 'running',
    stateSince: T0,
    routine: 'farm_premium',
    requestedBotCount: o.bots?.length ?? 0,
    availableInstances: ['1', '2', '3', '4'],
    bots: [],
    retiredBots: [],
    skippedInstances: [],
    startedAt: T0,
    differsFromDefinition: false,
    ...o,
  };
}

export function definition(name: string, o: Partial<GroupDefinitionSummary> = {}): GroupDefinitionSummary {
  return {
    name,
    file: `groups/${name.toLowerCase().replace(/[^a-z0-9]+/g, '_')}.yaml`,
    valid: true,
    routine: 'farm_premium',
    requestedBotCount: 2,
    availableInstances: ['1', '2', '3', '4'],
    diagnostics: [],
    active: false,
    ...o,
  };
}

export function pool(name: string, available: number, total: number, o: Partial<PoolInfo> = {}): PoolInfo {
  return { name, file: `pools/${name}.yaml`, valid: true, diagnostics: [], available, total, cooldown: 0, leases: [], ...o };
}

export function routine(name: string): RoutineInfo {
  return { name, file: `routines/${name}.yaml`, valid: true, diagnostics: [] };
}

export function snapshot(o: Partial<FleetSnapshot> = {}): FleetSnapshot {
  return { seq: 0, time: T0, definitions: [], groups: [], devices: [], pools: [], routines: [], templates: [], ...o };
}

/**
 * Builds seq'd events with increasing numbers and times. Like the orchestrator's hub, it attaches to each bot event
 * the `changes` of the bot's snapshot (it follows each bot from the snapshot given to the first event about it).
 */
export class EventFactory {
  private readonly bots = new Map<string, BotSnapshot>();

  constructor(
    public seq = 0,
    public time = T0,
  ) {}

  private base(): { seq: number; time: number } {
    this.seq++;
    this.time += 10;
    return { seq: this.seq, time: this.time };
  }

  /** The bot as the events so far left it; `f` gives its next snapshot, whose differences become `changes`. */
  private change(b: BotSnapshot, f: (cur: BotSnapshot) => BotSnapshot): { changes?: BotChanges } {
    const k = `${b.group}\u0000${b.instance}\u0000${b.orchestrationId}`;
    const cur = this.bots.get(k) ?? b;
    const next = f(cur);
    this.bots.set(k, next);
    const changes = botChanges(cur, next);
    return changes ? { changes } : {};
  }

  groupState(g: GroupSnapshot, previous: GroupState = 'stopped'): FleetEvent {
    for (const b of g.bots) {
      this.bots.set(`${b.group}\u0000${b.instance}\u0000${b.orchestrationId}`, b);
    }
    return { ...this.base(), type: 'group.state', group: g.name, orchestrationId: g.orchestrationId, state: g.state, previous, snapshot: g };
  }

  botState(b: BotSnapshot, previous: BotState = 'starting'): FleetEvent {
    this.bots.set(`${b.group}\u0000${b.instance}\u0000${b.orchestrationId}`, b);
    return { ...this.base(), type: 'bot.state', group: b.group, orchestrationId: b.orchestrationId, instance: b.instance, state: b.state, previous, snapshot: b };
  }

  step(b: BotSnapshot, phase: 'start' | 'end', step: string, path: string, line: number, o: { routine?: string; ok?: boolean } = {}): FleetEvent {
    const routineName = o.routine ?? b.routine;
    const base = this.base();
    const r = range(`routines/${routineName}.yaml`, line);
    const changes = this.change(b, (cur) => {
      if (phase === 'start') {
        return { ...cur, step: { name: step, path, routine: routineName, range: r, since: base.time } };
      }
      const { step: _done, ...rest } = cur;
      return { ...rest, steps: cur.steps + 1 };
    });
    return {
      ...base,
      ...changes,
      type: 'bot.step',
      group: b.group,
      orchestrationId: b.orchestrationId,
      instance: b.instance,
      phase,
      routine: routineName,
      step,
      path,
      range: r,
      ...(phase === 'end' ? { ok: o.ok ?? true, ms: 120 } : {}),
    };
  }

  match(b: BotSnapshot, template: string, score: number, box: Rect, threshold = 0.9): FleetEvent {
    const base = this.base();
    return {
      ...base,
      type: 'bot.routine',
      group: b.group,
      orchestrationId: b.orchestrationId,
      instance: b.instance,
      event: { type: 'match', time: base.time, routine: b.routine, template, found: score >= threshold, score, threshold, box, ms: 12 },
    };
  }

  routineStep(b: BotSnapshot, phase: 'start' | 'end', step: string, path: string, line: number): FleetEvent {
    const base = this.base();
    const r = range(`routines/${b.routine}.yaml`, line);
    return {
      ...base,
      type: 'bot.routine',
      group: b.group,
      orchestrationId: b.orchestrationId,
      instance: b.instance,
      event:
        phase === 'start'
          ? { type: 'step.start', time: base.time, routine: b.routine, step, path, range: r }
          : { type: 'step.end', time: base.time, routine: b.routine, step, path, range: r, ok: true, ms: 50 },
    };
  }

  cycle(b: BotSnapshot, cycle: number, ok: boolean): FleetEvent {
    const base = this.base();
    const error = ok ? undefined : { message: 'timed out waiting for home_banner', code: 'timeout', time: base.time };
    const changes = this.change(b, (cur) => (ok ? { ...cur, cycles: cur.cycles + 1 } : { ...cur, errors: cur.errors + 1, lastError: error }));
    return {
      ...base,
      ...changes,
      type: 'bot.cycle',
      group: b.group,
      orchestrationId: b.orchestrationId,
      instance: b.instance,
      cycle,
      ok,
      ms: 5000,
      ...(error ? { error } : {}),
    };
  }

  account(b: BotSnapshot, action: 'checkout' | 'complete', accountId: string): FleetEvent {
    const base = this.base();
    const changes = this.change(b, (cur) => {
      if (action === 'checkout') {
        return { ...cur, account: accountId, accounts: [...cur.accounts, accountId] };
      }
      const { account: _gone, ...rest } = cur;
      return rest;
    });
    return { ...base, ...changes, type: 'bot.account', group: b.group, orchestrationId: b.orchestrationId, instance: b.instance, action, accountId };
  }

  frame(b: BotSnapshot, frame: number): FleetEvent {
    return { ...this.base(), type: 'bot.frame', group: b.group, orchestrationId: b.orchestrationId, instance: b.instance, frame, width: 540, height: 960, captureMs: 30 };
  }

  metrics(g: GroupSnapshot, captureP50: number, captureP95: number): FleetEvent {
    return {
      ...this.base(),
      type: 'metrics',
      group: g.name,
      orchestrationId: g.orchestrationId,
      stepsPerSecond: 3,
      bots: g.bots.map((b) => ({
        instance: b.instance,
        state: b.state,
        cycles: b.cycles,
        errors: b.errors,
        steps: b.steps,
        capture: { count: 20, p50: captureP50, p95: captureP95, last: captureP50 },
        input: { count: 5, p50: 20, p95: 40 },
      })),
    };
  }

  definitionsChanged(definitions: GroupDefinitionSummary[], removed: string[] = []): FleetEvent {
    return { ...this.base(), type: 'definitions.changed', names: [...definitions.map((d) => d.name), ...removed], definitions };
  }

  removed(g: GroupSnapshot): FleetEvent {
    return { ...this.base(), type: 'group.removed', group: g.name, orchestrationId: g.orchestrationId };
  }
}

/** The demo fleet of the screenshots: one group per card state, a long name, an invalid definition. */
export function demoFleet(o: { runningBots?: number } = {}): { snapshot: FleetSnapshot; running: GroupSnapshot; paused: GroupSnapshot } {
  const n = o.runningBots ?? 2;
  const runningBots = Array.from({ length: n }, (_, i) =>
    bot('Premium Farmers', String(i + 1), {
      account: `acct-${String(101 + i).padStart(4, '0')}`,
      cycles: 12 + i,
      errors: i % 3 === 2 ? 1 : 0,
      steps: 140 + i * 7,
      capture: { count: 40, p50: 31 + i, p95: 58 + i },
      step: { name: 'tap home.packsButton', path: 'steps[3]', routine: 'farm_premium', range: range('routines/farm_premium.yaml', 14), since: T0 },
    }),
  );
  const running = group('Premium Farmers', { description: 'Farm premium packs', accountPool: 'premium_accounts', bots: runningBots, requestedBotCount: n });
  const pausedBot = bot('Mission Claimer', '5', { state: 'paused', routine: 'claim_missions', account: 'acct-0042', cycles: 3, capture: { count: 12, p50: 40, p95: 71 } });
  const paused = group('Mission Claimer', {
    state: 'paused',
    routine: 'claim_missions',
    description: 'Claims every mission reward',
    accountPool: 'mission_accounts',
    availableInstances: ['5'],
    bots: [pausedBot],
  });
  const snapshot: FleetSnapshot = {
    seq: 10,
    time: T0,
    definitions: [
      definition('Premium Farmers', { description: 'Farm premium packs', accountPool: 'premium_accounts', active: true }),
      definition('Wonder Pick Farmers', { description: 'Automated wonder pick farming', routine: 'wonder_pick', accountPool: 'wonder_accounts' }),
      definition('Mission Claimer', { description: 'Claims every mission reward', routine: 'claim_missions', accountPool: 'mission_accounts', availableInstances: ['5'], active: true }),
      definition('A group with a very long name that does not fit on one line of a narrow panel', {
        description: 'Its description is long too, so that the card has to wrap it over a few lines without overflowing',
        routine: 'wonder_pick',
      }),
      definition('broken', {
        valid: false,
        routine: undefined,
        diagnostics: [{ file: 'groups/broken.yaml', line: 3, col: 1, severity: 'error', message: 'unknown key "routin" (did you mean "routine"?)' }],
      }),
    ],
    groups: [running, paused],
    devices: [],
    pools: [pool('premium_accounts', 45, 100), pool('wonder_accounts', 20, 50), pool('mission_accounts', 7, 10, { cooldown: 2 })],
    routines: [routine('farm_premium'), routine('wonder_pick'), routine('claim_missions')],
    templates: [],
  };
  return { snapshot, running, paused };
}
