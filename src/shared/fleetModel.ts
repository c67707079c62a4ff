/**
 * The fleet model every view shares (the VS Code tree, the monitor webview, a remote client) and the orchestrator's
 * own snapshot comes from: a FleetSnapshot plus the sequenced fleet events applied in order. Pure TypeScript (no
 * Node, no DOM), so it runs in the extension host, the webview and tests alike.
 *
 * - `FleetState` is the reducer: `apply(event)` changes the state exactly as the orchestrator's hub did when it
 *   published the event, and `snapshot()` gives the state back as a FleetSnapshot. A state built from a snapshot at
 *   `seq` N with the events N+1..M applied equals the orchestrator's snapshot at M.
 * - `FleetModel` adds the sequencing a view needs: duplicates (seq at or below the applied one) are skipped, events
 *   ahead of the next expected number wait in a reorder buffer, and a missing number (a gap) asks for a snapshot
 *   (`snapshotWanted`); the events behind the gap apply on top of the next snapshot, or as soon as the missing ones
 *   arrive late. Events before the first snapshot wait the same way.
 *
 * What each event changes: `group.state` replaces its group (a new run replaces an ended one); `group.removed` drops
 * an ended group; `bot.state` replaces (or adds) its bot; the other bot events apply their `changes`; `metrics` sets
 * its bots' counters and latencies; `definitions.changed`, `routines.changed`, `templates.changed` and
 * `pools.changed` replace (or remove) their entries; `devices.changed` replaces the device list. Derived on output:
 * a definition's `active` (its group runs) and a device's `heldBy`, `capture` and `input` (the active bot driving it).
 */
import {
  compareInstances,
  isBotActive,
  isGroupRunning,
  type BotChanges,
  type BotSnapshot,
  type DeviceInfo,
  type FleetEvent,
  type FleetSnapshot,
  type GroupDefinitionSummary,
  type GroupSnapshot,
  type InstanceKey,
  type PoolInfo,
  type RoutineInfo,
  type TemplateInfo,
} from './fleetTypes';

// ---------------------------------------------------------------------------------------------------------------
// Bot changes
// ---------------------------------------------------------------------------------------------------------------

/** Fields that name a bot; they never change, so they are never in `changes`. */
const BOT_IDENTITY: ReadonlySet<string> = new Set(['group', 'orchestrationId', 'instance', 'routine']);

/** Structural equality of plain JSON-like data. */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
      return false;
    }
    for (let i = 0; i < a.length; i++) {
      if (!sameData(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) {
    return false;
  }
  for (const k of ak) {
    if (!sameData(ao[k], bo[k])) {
      return false;
    }
  }
  return true;
}

/** The fields of `next` that differ from `prev` (`null` for a field `next` lacks), or undefined when none does. */
export function botChanges(prev: BotSnapshot, next: BotSnapshot): BotChanges | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  const p = prev as unknown as Record<string, unknown>;
  const n = next as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(p), ...Object.keys(n)])) {
    if (BOT_IDENTITY.has(k) || sameData(p[k], n[k])) {
      continue;
    }
    out[k] = n[k] === undefined ? null : n[k];
    any = true;
  }
  return any ? (out as BotChanges) : undefined;
}

/** `b` with `changes` applied (a new frozen object). */
export function applyBotChanges(b: BotSnapshot, changes: BotChanges): BotSnapshot {
  const out: Record<string, unknown> = { ...b };
  for (const [k, v] of Object.entries(changes)) {
    if (BOT_IDENTITY.has(k)) {
      continue;
    }
    if (v === null || v === undefined) {
      delete out[k];
    } else {
      out[k] = v;
    }
  }
  return Object.freeze(out) as unknown as BotSnapshot;
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Whether active bot `b` drives device `d`: by its serial once it has one, else by its instance key. */
function drives(b: BotSnapshot, d: DeviceInfo): boolean {
  if (!isBotActive(b.state)) {
    return false;
  }
  return b.serial !== undefined ? b.serial === d.serial : b.instance === d.serial || (d.instance !== undefined && b.instance === d.instance);
}

/** A device entry as its source lists it: without what the model derives (holder and latencies). */
function rawDevice(d: DeviceInfo): DeviceInfo {
  if (d.heldBy === undefined && d.capture === undefined && d.input === undefined) {
    return d;
  }
  const { heldBy: _h, capture: _c, input: _i, ...rest } = d;
  return rest;
}

// ---------------------------------------------------------------------------------------------------------------
// The reducer
// ---------------------------------------------------------------------------------------------------------------

/** The fleet's state: a snapshot and the events applied to it. Treat what it returns as immutable. */
export class FleetState {
  private _seq = 0;
  private _time = 0;
  private definitions = new Map<string, GroupDefinitionSummary>();
  private groups = new Map<string, GroupSnapshot>();
  private devices: readonly DeviceInfo[] = [];
  private pools = new Map<string, PoolInfo>();
  private routines = new Map<string, RoutineInfo>();
  private templates = new Map<string, TemplateInfo>();

  constructor(s?: FleetSnapshot) {
    if (s) {
      this.reset(s);
    }
  }

  /** The sequence number of the last event applied (the snapshot's before any). */
  get seq(): number {
    return this._seq;
  }

  /** Wall time of the last change, epoch ms. */
  get time(): number {
    return this._time;
  }

  /** Replaces the whole state with a snapshot's. */
  reset(s: FleetSnapshot): void {
    this._seq = s.seq;
    this._time = s.time;
    this.definitions = new Map(s.definitions.map((d) => [d.name, d]));
    this.groups = new Map(s.groups.map((g) => [g.name, g]));
    this.devices = s.devices.map(rawDevice);
    this.pools = new Map(s.pools.map((p) => [p.name, p]));
    this.routines = new Map(s.routines.map((r) => [r.name, r]));
    this.templates = new Map((s.templates ?? []).map((t) => [t.name, t]));
  }

  /** Applies one event (the caller keeps the order: see FleetModel). */
  apply(e: FleetEvent): void {
    this._seq = e.seq;
    this._time = e.time;
    switch (e.type) {
      case 'group.state':
        this.groups.set(e.group, e.snapshot);
        return;
      case 'group.removed': {
        const g = this.groups.get(e.group);
        if (g && g.orchestrationId === e.orchestrationId) {
          this.groups.delete(e.group);
        }
        return;
      }
      case 'bot.state': {
        const g = this.runOf(e.group, e.orchestrationId);
        if (!g) {
          return;
        }
        const bots = [...g.bots];
        const i = bots.findIndex((b) => b.instance === e.instance);
        if (i >= 0) {
          bots[i] = e.snapshot;
        } else {
          const at = bots.findIndex((b) => compareInstances(b.instance, e.instance) > 0);
          bots.splice(at < 0 ? bots.length : at, 0, e.snapshot);
        }
        this.setBots(g, bots);
        return;
      }
      case 'bot.step':
      case 'bot.cycle':
      case 'bot.account':
      case 'bot.routine':
      case 'bot.frame': {
        const changes = e.changes;
        if (changes) {
          this.updateBot(e.group, e.orchestrationId, e.instance, (b) => applyBotChanges(b, changes));
        }
        return;
      }
      case 'metrics': {
        const g = this.runOf(e.group, e.orchestrationId);
        if (!g) {
          return;
        }
        const byInstance = new Map(e.bots.map((m) => [m.instance, m]));
        let changed = false;
        const bots = g.bots.map((b) => {
          const m = byInstance.get(b.instance);
          if (!m) {
            return b;
          }
          const next = applyBotChanges(b, { cycles: m.cycles, errors: m.errors, steps: m.steps, capture: m.capture, input: m.input });
          if (sameData(next, b)) {
            return b;
          }
          changed = true;
          return next;
        });
        if (changed) {
          this.setBots(g, bots);
        }
        return;
      }
      case 'definitions.changed':
        replaceNamed(this.definitions, e.names, e.definitions);
        return;
      case 'routines.changed':
        replaceNamed(this.routines, e.names, e.routines);
        return;
      case 'templates.changed':
        replaceNamed(this.templates, e.names, e.templates);
        return;
      case 'pools.changed':
        for (const p of e.pools) {
          this.pools.set(p.name, p);
        }
        for (const n of e.removed) {
          this.pools.delete(n);
        }
        return;
      case 'devices.changed':
        this.devices = e.devices.map(rawDevice);
        return;
      case 'log':
      case 'instance.assigned':
      case 'instance.released':
        return;
    }
  }

  /** The whole state as a snapshot (lists sorted by name; derived fields filled in). */
  snapshot(): FleetSnapshot {
    return {
      seq: this._seq,
      time: this._time,
      definitions: this.definitionList(),
      groups: this.groupList(),
      devices: this.deviceList(),
      pools: [...this.pools.values()].sort(byName),
      routines: [...this.routines.values()].sort(byName),
      templates: [...this.templates.values()].sort(byName),
    };
  }

  group(name: string): GroupSnapshot | undefined {
    return this.groups.get(name);
  }

  groupList(): GroupSnapshot[] {
    return [...this.groups.values()].sort(byName);
  }

  /** A bot of a group's current run. */
  bot(group: string, instance: InstanceKey): BotSnapshot | undefined {
    return this.groups.get(group)?.bots.find((b) => b.instance === instance);
  }

  definition(name: string): GroupDefinitionSummary | undefined {
    const d = this.definitions.get(name);
    return d ? this.withActive(d) : undefined;
  }

  definitionList(): GroupDefinitionSummary[] {
    return [...this.definitions.values()].sort(byName).map((d) => this.withActive(d));
  }

  pool(name: string): PoolInfo | undefined {
    return this.pools.get(name);
  }

  routine(name: string): RoutineInfo | undefined {
    return this.routines.get(name);
  }

  /** The devices, each with the active bot driving it (its holder and latencies). */
  deviceList(): DeviceInfo[] {
    const bots = [...this.groups.values()].sort(byName).flatMap((g) => g.bots);
    return this.devices.map((d) => {
      const b = bots.find((x) => drives(x, d));
      return b ? { ...d, heldBy: { group: b.group, orchestrationId: b.orchestrationId, instance: b.instance }, capture: b.capture, input: b.input } : d;
    });
  }

  private withActive(d: GroupDefinitionSummary): GroupDefinitionSummary {
    const g = this.groups.get(d.name);
    const active = g !== undefined && isGroupRunning(g.state);
    return d.active === active ? d : { ...d, active };
  }

  private runOf(group: string, orchestrationId: string): GroupSnapshot | undefined {
    const g = this.groups.get(group);
    return g && g.orchestrationId === orchestrationId ? g : undefined;
  }

  private updateBot(group: string, orchestrationId: string, instance: InstanceKey, f: (b: BotSnapshot) => BotSnapshot): void {
    const g = this.runOf(group, orchestrationId);
    if (!g) {
      return;
    }
    const i = g.bots.findIndex((b) => b.instance === instance);
    if (i < 0) {
      return;
    }
    const bots = [...g.bots];
    bots[i] = f(bots[i]);
    this.setBots(g, bots);
  }

  private setBots(g: GroupSnapshot, bots: readonly BotSnapshot[]): void {
    this.groups.set(g.name, Object.freeze({ ...g, bots: Object.freeze(bots) }));
  }
}

function replaceNamed<T extends { name: string }>(map: Map<string, T>, names: readonly string[], entries: readonly T[]): void {
  const byName = new Map(entries.map((x) => [x.name, x]));
  for (const n of new Set([...names, ...byName.keys()])) {
    const x = byName.get(n);
    if (x) {
      map.set(n, x);
    } else {
      map.delete(n);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sequencing
// ---------------------------------------------------------------------------------------------------------------

export type SnapshotReason = 'gap' | 'changed' | 'invalid';

/** An event a view could not read (an unknown type from a newer host, or an invalid body): it advances `seq` only. */
export interface OpaqueFleetEvent {
  opaque: true;
  seq: number;
}

export interface FleetModelHooks {
  /** After a snapshot replaced the state. */
  onSnapshot?(s: FleetSnapshot): void;
  /** After an event was applied to the state, in seq order. */
  onEvent?(e: FleetEvent): void;
}

export interface SequenceResult {
  /** Events applied now (including earlier buffered ones the batch unblocked). */
  applied: number;
  /** Duplicates (seq at or below the applied one, or already waiting). */
  duplicates: number;
}

/** Events the reorder buffer holds at most; beyond, it is dropped and a snapshot asked for. */
export const MAX_PENDING_EVENTS = 20_000;

/** The fleet state as a view keeps it: a snapshot, then events by `seq`. */
export class FleetModel {
  readonly state = new FleetState();
  private appliedSeq = -1;
  private session: string | undefined;
  private readonly pending = new Map<number, FleetEvent | OpaqueFleetEvent>();
  private _snapshotWanted: SnapshotReason | undefined;
  /** Buffered events were dropped: only a snapshot can close the gap. */
  private lostEvents = false;
  private _version = 0;

  constructor(private readonly hooks: FleetModelHooks = {}) {}

  /** The sequence number applied so far (-1 before the first snapshot). */
  get seq(): number {
    return this.appliedSeq;
  }

  get hasSnapshot(): boolean {
    return this.appliedSeq >= 0;
  }

  /** Bumps on every change, so a renderer can skip work when nothing changed. */
  get version(): number {
    return this._version;
  }

  /** Why the model needs a fresh snapshot, or undefined. */
  get snapshotWanted(): SnapshotReason | undefined {
    return this._snapshotWanted;
  }

  /** Events waiting behind a gap (or for the first snapshot). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Replaces the state with a snapshot. A snapshot older than the applied state of the same session is stale and
   * ignored (returns false); a snapshot of another session (the host restarted) is always taken. Buffered events
   * after it apply at once.
   */
  applySnapshot(s: FleetSnapshot, session?: string): boolean {
    const sameSession = session === undefined || this.session === undefined || session === this.session;
    if (this.hasSnapshot && sameSession && s.seq < this.appliedSeq) {
      return false;
    }
    if (!sameSession) {
      this.pending.clear();
    }
    this.session = session ?? this.session;
    this.appliedSeq = s.seq;
    this.state.reset(s);
    this._snapshotWanted = undefined;
    this.lostEvents = false;
    for (const k of [...this.pending.keys()]) {
      if (k <= s.seq) {
        this.pending.delete(k);
      }
    }
    this.hooks.onSnapshot?.(s);
    this.drain();
    this._version++;
    return true;
  }

  /** Applies a batch of events in `seq` order (buffering what comes early). */
  applyEvents(events: readonly (FleetEvent | OpaqueFleetEvent)[]): SequenceResult {
    let duplicates = 0;
    for (const e of events) {
      if (e.seq <= this.appliedSeq || this.pending.has(e.seq)) {
        duplicates++;
        continue;
      }
      this.pending.set(e.seq, e);
    }
    if (this.pending.size > MAX_PENDING_EVENTS) {
      // Far behind: drop the buffer and start again from a snapshot.
      this.pending.clear();
      this.lostEvents = true;
      this.requestSnapshot('gap');
    }
    return { applied: this.drain(), duplicates };
  }

  /** Marks the model as wanting a snapshot (a gap is the strongest reason; otherwise the first one stays). */
  requestSnapshot(reason: SnapshotReason): void {
    if (this._snapshotWanted === undefined || reason === 'gap') {
      this._snapshotWanted = reason;
    }
  }

  /** The state as a snapshot (at the applied sequence number). */
  snapshot(): FleetSnapshot {
    return { ...this.state.snapshot(), seq: Math.max(0, this.appliedSeq) };
  }

  private drain(): number {
    if (!this.hasSnapshot) {
      return 0;
    }
    let n = 0;
    for (;;) {
      const next = this.pending.get(this.appliedSeq + 1);
      if (!next) {
        break;
      }
      this.pending.delete(this.appliedSeq + 1);
      this.appliedSeq++;
      if (!('opaque' in next)) {
        this.state.apply(next);
        this.hooks.onEvent?.(next);
      }
      n++;
    }
    if (this.pending.size > 0) {
      this.requestSnapshot('gap');
    } else if (this._snapshotWanted === 'gap' && !this.lostEvents) {
      // The missing events arrived late: no snapshot needed for the gap any more.
      this._snapshotWanted = undefined;
    }
    if (n > 0) {
      this._version++;
    }
    return n;
  }
}
