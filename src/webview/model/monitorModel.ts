/**
 * The monitor's view model: the shared fleet model (src/shared/fleetModel.ts: the host's snapshot plus the seq'd
 * fleet events applied in order) and what the monitor derives from it: the cards and tiles, and per bot its last
 * matches, recent events, the step shown and whether it needs attention. Pure TypeScript (no DOM), so it runs in Node
 * tests as it runs in the webview. Raw events are validated here (`parseFleetEvent`) before the shared model applies
 * them.
 */
import { FleetModel, type OpaqueFleetEvent, type SnapshotReason } from '../../shared/fleetModel';
import type {
  BotSnapshot,
  BotState,
  DeviceInfo,
  ErrorInfo,
  FleetEvent,
  FleetSnapshot,
  GroupState,
  LatencySummary,
  PoolInfo,
  StepInfo,
} from '../../shared/fleetTypes';
import type { Diagnostic, SourceRange } from '../../shared/geometry';
import { botKey, instanceLabel, parseFleetEvent, type BotRef, type FrameMatch, type GroupAction, type RecorderEvent, type RoutineLocation } from '../../shared/monitorProtocol';
import { formatRoutineInput, type RoutineEvent, type RoutineInput } from '../../shared/routineEvents';


export interface ApplyResult {
  /** Events applied now (including earlier buffered ones the batch unblocked). */
  applied: number;
  /** Duplicates (seq at or below the applied one). */
  duplicates: number;
  /** Why events were unusable or only advanced `seq` (for the host's log). */
  problems: string[];
}

/** A line of a bot's event list. */
export interface RecentEvent {
  time: number;
  kind: 'step' | 'match' | 'error' | 'log' | 'state' | 'account' | 'cycle' | 'input' | 'other';
  text: string;
  tone?: 'ok' | 'warn' | 'error';
  /** An input's author: the routine, or the user's takeover (shown apart). */
  by?: 'routine' | 'user';
}

export interface StatusView {
  state: GroupState | BotState | 'invalid';
  symbol: string;
  label: string;
  tone: 'ok' | 'idle' | 'busy' | 'warn' | 'error';
}

export interface CardButton {
  action: GroupAction;
  label: string;
  primary?: boolean;
  disabled?: boolean;
  title?: string;
}

export interface StepView {
  name: string;
  routine: string;
  path: string;
  since: number;
  location?: RoutineLocation;
  /** `farm_premium.yaml:12` */
  locationLabel?: string;
}

export interface BotTile {
  ref: BotRef;
  key: string;
  label: string;
  serial?: string;
  orchestrationId: string;
  status: StatusView;
  step?: StepView;
  account?: string;
  cycles: number;
  errors: number;
  restarts: number;
  capture: LatencySummary;
  /** `p50 38 · p95 61 ms`, or `No capture yet`. */
  captureLabel: string;
  /** The current step's matches: found first, best score first. */
  matches: FrameMatch[];
  lastError?: ErrorInfo;
  /** A person should look (the stuck ladder reached `notify`). */
  attention?: string;
  /** Manual takeover is possible (the bot is paused). */
  takeover: boolean;
  lastFrame?: { frame: number; time: number; width: number; height: number; captureMs: number };
  recent: readonly RecentEvent[];
}

export interface GroupCard {
  name: string;
  /** The definition's file (workspace-relative), when there is one. */
  file?: string;
  status: StatusView;
  description?: string;
  routine?: { name: string; file?: string; label: string };
  pool?: { name: string; label: string; known: boolean };
  /** `Active: Instance 1, Instance 2` or `Available: 4 instances`. */
  instancesLine: string;
  /** Every instance, when the line lists only the first ones. */
  instancesTitle?: string;
  problems: readonly Diagnostic[];
  /** Short facts under the card: why it stopped, its last error, skipped instances, an edited definition. */
  notes: { text: string; tone?: 'warn' | 'error' }[];
  buttons: CardButton[];
  /** True while the group runs: its tiles are shown. */
  live: boolean;
  tiles: BotTile[];
}

export interface MonitorView {
  cards: GroupCard[];
  anyLive: boolean;
}

type StepSource = 'step' | 'routine';

interface BotExtras {
  orchestrationId: string;
  /** Steps started and not ended, innermost last, with the sources that reported the start. */
  stepStack: { info: StepInfo; seen: Set<StepSource> }[];
  /** The step shown: the innermost open one, or the last one that ran. */
  shownStep?: StepInfo;
  matches: Map<string, FrameMatch>;
  recent: RecentEvent[];
  attention?: string;
  lastFrame?: BotTile['lastFrame'];
}

const GROUP_STATUS: Record<GroupState, Omit<StatusView, 'state'>> = {
  idle: { symbol: '○', label: 'Idle', tone: 'idle' },
  starting: { symbol: '◔', label: 'Starting', tone: 'busy' },
  running: { symbol: '●', label: 'Running', tone: 'ok' },
  paused: { symbol: '‖', label: 'Paused', tone: 'warn' },
  waiting: { symbol: '◌', label: 'Waiting', tone: 'busy' },
  stopping: { symbol: '◑', label: 'Stopping', tone: 'busy' },
  stopped: { symbol: '○', label: 'Stopped', tone: 'idle' },
  failed: { symbol: '✕', label: 'Failed', tone: 'error' },
};

const BOT_STATUS: Record<BotState, Omit<StatusView, 'state'>> = {
  idle: { symbol: '○', label: 'Idle', tone: 'idle' },
  starting: { symbol: '◔', label: 'Starting', tone: 'busy' },
  running: { symbol: '●', label: 'Running', tone: 'ok' },
  paused: { symbol: '‖', label: 'Paused', tone: 'warn' },
  stopping: { symbol: '◑', label: 'Stopping', tone: 'busy' },
  stopped: { symbol: '○', label: 'Stopped', tone: 'idle' },
  failed: { symbol: '✕', label: 'Failed', tone: 'error' },
  waiting: { symbol: '◌', label: 'Waiting', tone: 'busy' },
  offline: { symbol: '⚠', label: 'Offline', tone: 'error' },
};

const STOP_REASON_TEXT: Record<string, string> = {
  requested: 'stopped on request',
  'cycles-done': 'all cycles done',
  duration: 'its duration ran out',
  'pool-empty': 'the account pool ran empty',
  replaced: 'replaced on another instance',
  failed: 'failed',
  finished: 'every bot finished',
};

const MAX_MATCHES = 24;
/** A card lists this many active instances by name; more are summed up. */
const MAX_LISTED_INSTANCES = 4;

export function groupStatus(state: GroupState): StatusView {
  return { state, ...GROUP_STATUS[state] };
}

export function botStatus(state: BotState): StatusView {
  return { state, ...BOT_STATUS[state] };
}

function isRunningState(state: GroupState): boolean {
  return state === 'starting' || state === 'running' || state === 'paused' || state === 'waiting' || state === 'stopping';
}

function baseName(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}

export function locationOf(range: SourceRange | undefined): RoutineLocation | undefined {
  return range ? { file: range.file, line: range.start.line, col: range.start.col } : undefined;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function captureLabel(c: LatencySummary): string {
  if (c.count === 0 || (c.p50 === undefined && c.p95 === undefined)) {
    return 'No capture yet';
  }
  const n = (v: number | undefined) => (v === undefined ? '—' : String(Math.round(v)));
  return `p50 ${n(c.p50)} · p95 ${n(c.p95)} ms`;
}

function score(v: number): string {
  return v.toFixed(2);
}

/** One line for a routine event, as the zoom's event list shows it. */
export function describeRoutineEvent(e: RoutineEvent): Omit<RecentEvent, 'time'> {
  switch (e.type) {
    case 'step.start':
      return { kind: 'step', text: `▶ ${e.step}` };
    case 'step.end':
      return e.ok
        ? { kind: 'step', text: `✓ ${e.step} (${Math.round(e.ms)} ms)`, tone: 'ok' }
        : { kind: 'step', text: `✕ ${e.step}: ${e.error ?? 'failed'}`, tone: 'error' };
    case 'match':
      return { kind: 'match', text: `${e.found ? '◆' : '◇'} ${e.template} ${score(e.score)}${e.found ? '' : ` < ${score(e.threshold)}`}`, tone: e.found ? 'ok' : undefined };
    case 'error':
      return { kind: 'error', text: `Error: ${e.message}`, tone: 'error' };
    case 'log':
      return { kind: 'log', text: e.message, tone: e.level === 'error' ? 'error' : e.level === 'warn' ? 'warn' : undefined };
    case 'sentry':
      return { kind: 'other', text: `Sentry ${e.sentry} ${e.phase}${e.outcome ? ` → ${e.outcome}` : ''}`, tone: 'warn' };
    case 'stuck':
      return { kind: 'error', text: `Stuck (${e.rung}): ${e.reason}`, tone: 'warn' };
    case 'account':
      return { kind: 'account', text: `Account ${e.action}${e.accountId ? ` ${e.accountId}` : ''}` };
    case 'var':
      return { kind: 'other', text: `${e.name} = ${shortValue(e.value)}` };
    case 'routine.start':
      return { kind: 'other', text: `Routine ${e.routine} started` };
    case 'routine.end':
      return { kind: 'other', text: `Routine ${e.routine} ${e.ok ? 'ended' : `failed${e.error ? `: ${e.error}` : ''}`}`, tone: e.ok ? undefined : 'error' };
    case 'state':
      return { kind: 'state', text: `Routine ${e.state}` };
    case 'input':
      return { kind: 'input', text: `Routine: ${formatRoutineInput(e.input)}${e.rung ? ` (stuck: ${e.rung})` : ''}${stepSuffix(e.step, e.input.kind)}`, by: 'routine' };
  }
}

/** ` · Open pack` after a routine input: the step's label, unless it only repeats the action (`tap`). */
function stepSuffix(step: string | undefined, kind: string): string {
  return step !== undefined && step !== kind ? ` · ${step}` : '';
}

function shortValue(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** One line for a recorded event (the recorder's frames list their events with these). */
export function describeRecorderEvent(e: RecorderEvent): RecentEvent {
  switch (e.kind) {
    case 'routine':
      return { time: e.time, ...describeRoutineEvent(e.event) };
    case 'input': {
      const i = e.input;
      // A takeover's text has no `chars`; every other takeover input has a routine input's shape.
      const input: RoutineInput = i.kind === 'text' && !('chars' in i) ? { kind: 'text', chars: [...i.text].length, text: i.text } : (i as RoutineInput);
      if (e.by === 'user') {
        return { time: e.time, kind: 'input', text: `You: ${formatRoutineInput(input)}`, by: 'user' };
      }
      const where = stepSuffix(e.step, input.kind);
      return { time: e.time, kind: 'input', text: `Routine: ${formatRoutineInput(input)}${e.rung ? ` (stuck: ${e.rung})` : ''}${where}`, by: 'routine' };
    }
    case 'state':
      return { time: e.time, kind: 'state', text: `State ${e.previous ? `${e.previous} → ` : ''}${e.state}`, tone: e.state === 'failed' ? 'error' : undefined };
  }
}

function stepView(s: StepInfo | undefined): StepView | undefined {
  if (!s) {
    return undefined;
  }
  const location = locationOf(s.range);
  return { name: s.name, routine: s.routine, path: s.path, since: s.since, location, locationLabel: location ? `${baseName(location.file)}:${location.line}` : undefined };
}

export class MonitorModel {
  private readonly core: FleetModel;
  private readonly extras = new Map<string, BotExtras>();

  constructor(private readonly opts: { recentLimit?: number } = {}) {
    this.core = new FleetModel({ onSnapshot: (s) => this.keepExtras(s), onEvent: (e) => this.derive(e) });
  }

  /** The sequence number applied so far (-1 before the first snapshot). */
  get seq(): number {
    return this.core.seq;
  }

  get hasSnapshot(): boolean {
    return this.core.hasSnapshot;
  }

  /** Bumps on every change, so a renderer can skip work when nothing changed. */
  get version(): number {
    return this.core.version;
  }

  /** Why the model needs a fresh snapshot, or undefined. */
  get snapshotWanted(): SnapshotReason | undefined {
    return this.core.snapshotWanted;
  }

  /** Events waiting behind a gap (or for the first snapshot). */
  get pendingCount(): number {
    return this.core.pendingCount;
  }

  get deviceList(): readonly DeviceInfo[] {
    return this.core.state.deviceList();
  }

  /** The fleet state as the shared model holds it. */
  snapshot(): FleetSnapshot {
    return this.core.snapshot();
  }

  /**
   * Replaces the state with a snapshot. A snapshot older than the applied state of the same session is stale and
   * ignored (returns false). Buffered events after it apply at once.
   */
  applySnapshot(s: FleetSnapshot, session?: string): boolean {
    return this.core.applySnapshot(s, session);
  }

  /** Applies a batch of raw events (each validated here). */
  applyEvents(raw: readonly unknown[]): ApplyResult {
    const problems: string[] = [];
    const events: Array<FleetEvent | OpaqueFleetEvent> = [];
    for (const r of raw) {
      const p = parseFleetEvent(r);
      if (p.kind === 'invalid') {
        problems.push(p.reason);
      } else if (p.kind === 'opaque') {
        problems.push(p.reason);
        events.push({ opaque: true, seq: p.seq });
        if (!p.reason.startsWith('unknown event type') && p.seq > this.core.seq) {
          // A known event we could not read: our state may be off from here on.
          this.core.requestSnapshot('invalid');
        }
      } else {
        events.push(p.event);
      }
    }
    const r = this.core.applyEvents(events);
    return { applied: r.applied, duplicates: r.duplicates, problems };
  }

  /** Per-bot extras of bots that are still the same run survive a snapshot; the others go. */
  private keepExtras(s: FleetSnapshot): void {
    const live = new Set<string>();
    for (const g of s.groups) {
      for (const b of g.bots) {
        const k = botKey(b);
        live.add(k);
        const x = this.extras.get(k);
        if (x && x.orchestrationId !== b.orchestrationId) {
          this.extras.delete(k);
        }
      }
    }
    for (const k of [...this.extras.keys()]) {
      if (!live.has(k)) {
        this.extras.delete(k);
      }
    }
  }

  private extrasOf(group: string, instance: string, orchestrationId: string): BotExtras {
    const k = botKey({ group, instance });
    let x = this.extras.get(k);
    if (!x || x.orchestrationId !== orchestrationId) {
      x = { orchestrationId, stepStack: [], matches: new Map(), recent: [] };
      this.extras.set(k, x);
    }
    return x;
  }

  private pushRecent(x: BotExtras, e: RecentEvent): void {
    x.recent.push(e);
    const limit = this.opts.recentLimit ?? 40;
    if (x.recent.length > limit) {
      x.recent.splice(0, x.recent.length - limit);
    }
  }

  /** Whether an event belongs to its group's current run. */
  private isCurrent(group: string, orchestrationId: string): boolean {
    return this.core.state.group(group)?.orchestrationId === orchestrationId;
  }

  /**
   * A step started. The same start may arrive twice, as `bot.step` and as a forwarded `bot.routine` event: the
   * second one (from the other source, same step on top) merges into the first.
   */
  private stepStarted(x: BotExtras, s: StepInfo, source: StepSource): void {
    const top = x.stepStack[x.stepStack.length - 1];
    if (top && !top.seen.has(source) && top.info.path === s.path && top.info.routine === s.routine) {
      top.seen.add(source);
      top.info = top.info.range ? top.info : s;
      x.shownStep = top.info;
      return;
    }
    x.stepStack.push({ info: s, seen: new Set([source]) });
    if (x.stepStack.length > 64) {
      x.stepStack.shift();
    }
    x.shownStep = s;
    x.matches.clear();
  }

  private stepEnded(x: BotExtras, routine: string, path: string): void {
    for (let i = x.stepStack.length - 1; i >= 0; i--) {
      const s = x.stepStack[i].info;
      if (s.path === path && s.routine === routine) {
        x.stepStack.splice(i);
        break;
      }
    }
    // Show the enclosing step again, or keep the one that just ended (no flicker between steps).
    x.shownStep = x.stepStack[x.stepStack.length - 1]?.info ?? x.shownStep;
  }

  /** What the monitor derives from an event the shared model applied. */
  private derive(e: FleetEvent): void {
    switch (e.type) {
      case 'group.state':
      case 'group.removed':
        // Extras of another run of the group (or of a removed group) go.
        for (const [k, x] of [...this.extras]) {
          if (k.startsWith(`${e.group}\u0000`) && (e.type === 'group.removed' || x.orchestrationId !== e.orchestrationId)) {
            this.extras.delete(k);
          }
        }
        return;
      case 'bot.state': {
        if (!this.isCurrent(e.group, e.orchestrationId)) {
          return;
        }
        const x = this.extrasOf(e.group, e.instance, e.orchestrationId);
        if (e.previous !== e.state) {
          this.pushRecent(x, { time: e.time, kind: 'state', text: `State ${e.previous} → ${e.state}`, tone: e.state === 'failed' || e.state === 'offline' ? 'error' : undefined });
        }
        if (e.state !== 'running' && e.state !== 'paused') {
          x.attention = undefined;
        }
        return;
      }
      case 'bot.step': {
        if (!this.isCurrent(e.group, e.orchestrationId)) {
          return;
        }
        const x = this.extrasOf(e.group, e.instance, e.orchestrationId);
        if (e.phase === 'start') {
          this.stepStarted(x, { name: e.step, path: e.path, routine: e.routine, ...(e.range ? { range: e.range } : {}), since: e.time }, 'step');
        } else {
          this.stepEnded(x, e.routine, e.path);
        }
        return;
      }
      case 'bot.routine': {
        if (!this.isCurrent(e.group, e.orchestrationId)) {
          return;
        }
        const x = this.extrasOf(e.group, e.instance, e.orchestrationId);
        const r = e.event;
        if (r.type === 'step.start') {
          this.stepStarted(x, { name: r.step, path: r.path, routine: r.routine, ...(r.range ? { range: r.range } : {}), since: r.time }, 'routine');
        } else if (r.type === 'step.end') {
          this.stepEnded(x, r.routine, r.path);
        } else if (r.type === 'match') {
          x.matches.delete(r.template);
          x.matches.set(r.template, { template: r.template, box: r.box, score: r.score, found: r.found, threshold: r.threshold });
          if (x.matches.size > MAX_MATCHES) {
            x.matches.delete(x.matches.keys().next().value as string);
          }
        }
        this.pushRecent(x, { time: e.time, ...describeRoutineEvent(r) });
        return;
      }
      case 'bot.cycle': {
        if (!this.isCurrent(e.group, e.orchestrationId)) {
          return;
        }
        const x = this.extrasOf(e.group, e.instance, e.orchestrationId);
        x.attention = undefined;
        this.pushRecent(x, {
          time: e.time,
          kind: 'cycle',
          text: e.ok ? `Cycle ${e.cycle} done (${Math.round(e.ms / 1000)} s)` : `Cycle ${e.cycle} failed${e.error ? `: ${e.error.message}` : ''}`,
          tone: e.ok ? 'ok' : 'error',
        });
        return;
      }
      case 'bot.frame': {
        if (!this.isCurrent(e.group, e.orchestrationId)) {
          return;
        }
        const x = this.extrasOf(e.group, e.instance, e.orchestrationId);
        x.lastFrame = { frame: e.frame, time: e.time, width: e.width, height: e.height, captureMs: e.captureMs };
        return;
      }
      case 'log': {
        if (e.group === undefined || e.instance === undefined || e.orchestrationId === undefined || !this.isCurrent(e.group, e.orchestrationId)) {
          return;
        }
        const x = this.extrasOf(e.group, e.instance, e.orchestrationId);
        if (e.code === 'stuck-notify') {
          x.attention = e.message;
        }
        if (e.level !== 'debug') {
          this.pushRecent(x, { time: e.time, kind: 'log', text: e.message, tone: e.level === 'error' ? 'error' : e.level === 'warn' ? 'warn' : undefined });
        }
        return;
      }
      default:
        return;
    }
  }

  /** A bot's tile, when the bot exists in the current run of its group. */
  tile(ref: BotRef): BotTile | undefined {
    const g = this.core.state.group(ref.group);
    const b = g?.bots.find((x) => x.instance === ref.instance);
    return g && b ? this.tileOf(b) : undefined;
  }

  private tileOf(b: BotSnapshot): BotTile {
    const key = botKey(b);
    const x = this.extras.get(key);
    const own = x && x.orchestrationId === b.orchestrationId ? x : undefined;
    const matches = own ? [...own.matches.values()].sort((p, q) => Number(q.found) - Number(p.found) || q.score - p.score) : [];
    return {
      ref: { group: b.group, instance: b.instance },
      key,
      label: instanceLabel(b.instance),
      serial: b.serial,
      orchestrationId: b.orchestrationId,
      status: botStatus(b.state),
      step: stepView(own?.shownStep ?? b.step),
      account: b.account,
      cycles: b.cycles,
      errors: b.errors,
      restarts: b.restarts,
      capture: b.capture,
      captureLabel: captureLabel(b.capture),
      matches,
      lastError: b.lastError,
      attention: own?.attention,
      takeover: b.state === 'paused',
      lastFrame: own?.lastFrame,
      recent: own ? [...own.recent] : [],
    };
  }

  /** The cards: one per definition or group, by name. */
  view(): MonitorView {
    const st = this.core.state;
    const names = new Set<string>([...st.definitionList().map((d) => d.name), ...st.groupList().map((g) => g.name)]);
    const cards = [...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' })).map((n) => this.card(n));
    return { cards, anyLive: cards.some((c) => c.live) };
  }

  private card(name: string): GroupCard {
    const st = this.core.state;
    const def = st.definition(name);
    const g = st.group(name);
    const live = g !== undefined && isRunningState(g.state);
    const invalid = def !== undefined && !def.valid;
    let status: StatusView;
    if (g && (live || !invalid)) {
      status = groupStatus(g.state);
    } else if (invalid) {
      status = { state: 'invalid', symbol: '⚠', label: 'Invalid', tone: 'error' };
    } else {
      status = groupStatus('stopped');
    }
    const routineName = g?.routine ?? def?.routine;
    const routineInfo = routineName !== undefined ? st.routine(routineName) : undefined;
    const routine =
      routineName !== undefined ? { name: routineName, file: routineInfo?.file, label: routineInfo ? baseName(routineInfo.file) : routineName } : undefined;
    const poolName = g?.accountPool ?? def?.accountPool;
    let pool: GroupCard['pool'];
    if (poolName !== undefined) {
      const p = st.pool(poolName);
      pool = p ? { name: poolName, known: true, label: poolLabel(p) } : { name: poolName, known: false, label: `${poolName} (not found)` };
    }
    let instancesLine: string;
    let instancesTitle: string | undefined;
    if (live && g) {
      const labels = g.bots.map((b) => instanceLabel(b.instance));
      if (labels.length === 0) {
        instancesLine = 'Active: waiting for an instance';
      } else if (labels.length <= MAX_LISTED_INSTANCES) {
        instancesLine = `Active: ${labels.join(', ')}`;
      } else {
        instancesLine = `Active: ${labels.slice(0, 3).join(', ')} and ${labels.length - 3} more`;
        instancesTitle = labels.join(', ');
      }
    } else {
      const n = def?.availableInstances?.length ?? g?.availableInstances.length ?? 0;
      instancesLine = `Available: ${plural(n, 'instance')}`;
    }
    const notes: GroupCard['notes'] = [];
    if (g && !live) {
      if (g.state === 'failed') {
        notes.push({ text: `Failed${g.lastError ? `: ${g.lastError.message}` : ''}`, tone: 'error' });
      } else if (g.stopReason && g.stopReason !== 'requested') {
        notes.push({ text: `Ended: ${STOP_REASON_TEXT[g.stopReason] ?? g.stopReason}` });
      }
      const cycles = [...g.retiredBots, ...g.bots].reduce((a, b) => a + b.cycles, 0);
      const errors = [...g.retiredBots, ...g.bots].reduce((a, b) => a + b.errors, 0);
      if (cycles + errors > 0) {
        notes.push({ text: `Last run: ${plural(cycles, 'cycle')}, ${plural(errors, 'error')}` });
      }
    }
    if (g && live) {
      for (const s of g.skippedInstances) {
        notes.push({ text: `${instanceLabel(s.instance)} skipped: ${s.reason}${s.owner ? ` (held by ${s.owner})` : ''}`, tone: 'warn' });
      }
      if (g.lastError) {
        notes.push({ text: `Last error: ${g.lastError.message}`, tone: 'error' });
      }
    }
    if (g?.differsFromDefinition && live) {
      notes.push({ text: 'The definition was edited: the changes apply at the next start', tone: 'warn' });
    }
    if (!def && g) {
      notes.push({ text: 'Its definition file is gone', tone: 'warn' });
    }
    return {
      name,
      file: def?.file,
      status,
      description: g?.description ?? def?.description,
      routine,
      pool,
      instancesLine,
      instancesTitle,
      problems: def?.diagnostics ?? [],
      notes,
      buttons: buttonsFor(g?.state, invalid, live),
      live,
      tiles: live && g ? g.bots.map((b) => this.tileOf(b)) : [],
    };
  }

  /** For tests and diagnostics. */
  debugState(): { seq: number; time: number; groups: string[]; definitions: string[] } {
    const st = this.core.state;
    return { seq: this.core.seq, time: st.time, groups: st.groupList().map((g) => g.name), definitions: st.definitionList().map((d) => d.name) };
  }
}

/** `45/100 accounts · 2 cooling down`; `accounts not counted yet` while the counts are unknown (its database is not open). */
function poolLabel(p: PoolInfo): string {
  const counts = p.available !== undefined && p.total !== undefined ? `${p.available}/${p.total} accounts` : 'accounts not counted yet';
  const cooling = p.cooldown !== undefined && p.cooldown > 0 ? ` · ${p.cooldown} cooling down` : '';
  return `${counts}${cooling}${p.valid ? '' : ' · invalid pool file'}`;
}

/** The buttons of a card for its group's state (undefined: no group has run, or it ended). */
export function buttonsFor(state: GroupState | undefined, invalid: boolean, live: boolean): CardButton[] {
  const edit: CardButton = { action: 'edit', label: 'Edit' };
  const del: CardButton = { action: 'delete', label: 'Delete' };
  if (!live || state === undefined) {
    return [
      invalid ? { action: 'start', label: 'Start', primary: true, disabled: true, title: 'Fix the problems in the definition first' } : { action: 'start', label: 'Start', primary: true },
      edit,
      del,
    ];
  }
  switch (state) {
    case 'paused':
      return [{ action: 'resume', label: 'Resume', primary: true }, { action: 'stop', label: 'Stop' }, edit, del];
    case 'stopping':
      return [{ action: 'stop', label: 'Stopping…', disabled: true }, edit, del];
    default:
      return [{ action: 'pause', label: 'Pause' }, { action: 'stop', label: 'Stop' }, edit, del];
  }
}
