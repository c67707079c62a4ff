/**
 * The fleet as the sidebar and the status bar see it: a FleetView built from the window's fleet, kept current by
 * the fleet's events (never polled), and change notifications coalesced to at most one per 100 ms (≤ 10 tree
 * refreshes a second however busy the bots are), each naming what changed so a tree refreshes only those items.
 *
 * The fleet is built on first need: the first view that shows asks (`ensure`); the state the welcome content
 * reads (`emulatorFleet.fleetState`: loading, ready, failed, noFolder) is set here.
 */
import * as vscode from 'vscode';
import type { Fleet } from '../../host/fleet';
import type { FleetEvent, GroupDefinitionSummary, GroupSnapshot, DeviceInfo } from '../../shared/fleetTypes';
import type { Logger } from '../../shared/ports';
import { CONTEXT_KEYS } from '../constants';
import type { FleetSession } from '../fleetSession';
import type { FleetView, PoolView } from './presentation';
import { Throttle, type TimerPort } from './throttle';

export interface FleetChange {
  /** Everything may have changed (a new fleet, definitions added or removed). */
  all: boolean;
  /** Groups whose row or bots changed. */
  groups: ReadonlySet<string>;
  devices: boolean;
  pools: boolean;
}

export type FleetLoadState = 'idle' | 'loading' | 'ready' | 'failed' | 'noFolder';

export interface FleetFeedOptions {
  session: FleetSession;
  logger: Logger;
  /** Minimum time between two change notifications (default 100 ms). */
  intervalMs?: number;
  timers?: TimerPort;
}

interface Pending {
  all: boolean;
  groups: Set<string>;
  devices: boolean;
  pools: boolean;
}

const none = (): Pending => ({ all: false, groups: new Set(), devices: false, pools: false });

export class FleetFeed implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<FleetChange>();
  /** Coalesced: at most one per interval. */
  readonly onDidChange = this._onDidChange.event;
  private readonly disposables: vscode.Disposable[] = [];
  private fleetSubs: Array<{ dispose(): void }> = [];
  private fleetNow: Fleet | undefined;
  private pending = none();
  private readonly throttle: Throttle;
  /** The last snapshot of every group seen (an ended group keeps its last state until it starts again). */
  private readonly lastGroups = new Map<string, GroupSnapshot>();
  private cache: { definitions?: readonly GroupDefinitionSummary[]; groups?: readonly GroupSnapshot[]; devices?: readonly DeviceInfo[]; pools?: readonly PoolView[] } = {};
  private _state: FleetLoadState = 'idle';
  private _loadError: string | undefined;
  private poolsWanted = false;
  /** Change notifications sent so far (the bench's refresh rate). */
  flushes = 0;

  constructor(private readonly o: FleetFeedOptions) {
    this.throttle = new Throttle(o.intervalMs ?? 100, () => this.flush(), o.timers);
    this.disposables.push(
      this._onDidChange,
      o.session.onDidChangeFleet((f) => this.attach(f)),
      o.session.onDidChangeSettings(() => this.mark({ devices: true })),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.mark({ all: true })),
    );
    if (o.session.current) {
      this.attach(o.session.current);
    }
  }

  get state(): FleetLoadState {
    return this._state;
  }

  /** Why the fleet failed to load (the welcome view points to the log for the rest). */
  get loadError(): string | undefined {
    return this._loadError;
  }

  get fleet(): Fleet | undefined {
    return this.fleetNow;
  }

  /** Builds the fleet if nobody has yet (a view became visible). */
  ensure(): void {
    if (this.fleetNow || this._state === 'loading') {
      return;
    }
    this.setState('loading');
    this.o.session.fleet().then(
      (f) => this.attach(f),
      (e: unknown) => {
        const code = (e as { code?: unknown }).code;
        this._loadError = e instanceof Error ? e.message : String(e);
        this.setState(code === 'no-folder' ? 'noFolder' : 'failed');
        if (code !== 'no-folder' && code !== 'disposed') {
          this.o.logger.log('error', `the fleet could not be loaded: ${this._loadError}`);
        }
        this.mark({ all: true });
      },
    );
  }

  /** Opens the account database so the pools show their counts (the Pools view asks when it shows). */
  wantPools(): void {
    const f = this.fleetNow;
    if (this.poolsWanted || !f) {
      return;
    }
    this.poolsWanted = true;
    f.pools().then(
      () => this.mark({ pools: true, all: true }),
      (e: unknown) => this.o.logger.log('warn', `the account pools could not be opened: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  /** What the views show now (undefined until the fleet is built). */
  view(): FleetView | undefined {
    const f = this.fleetNow;
    if (!f) {
      return undefined;
    }
    const c = this.cache;
    c.definitions ??= f.orchestrator.listGroupDefinitions();
    if (!c.groups) {
      for (const g of f.orchestrator.listActiveGroups()) {
        this.lastGroups.set(g.name, g.snapshot());
      }
      const names = new Set(c.definitions.map((d) => d.name));
      for (const n of [...this.lastGroups.keys()]) {
        if (!names.has(n) && !f.orchestrator.getGroup(n)) {
          this.lastGroups.delete(n);
        }
      }
      c.groups = [...this.lastGroups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    c.devices ??= f.devices.list();
    c.pools ??= poolsOf(f);
    return { definitions: c.definitions, groups: c.groups, devices: c.devices, pools: c.pools, servers: this.o.session.settings.adbServers };
  }

  /** Notes a change now (the manual Refresh re-reads everything). */
  refresh(): void {
    if (!this.fleetNow && this._state !== 'loading') {
      this.setState('idle');
      this.ensure();
    }
    void this.fleetNow?.orchestrator.reloadGroupDefinitions().catch((e: unknown) => this.o.logger.log('warn', `reloading the group definitions failed: ${String(e)}`));
    this.mark({ all: true, devices: true, pools: true });
  }

  dispose(): void {
    this.throttle.dispose();
    this.detach();
    for (const d of this.disposables) {
      d.dispose();
    }
  }

  private setState(s: FleetLoadState): void {
    this._state = s;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.fleetState, s);
  }

  private detach(): void {
    for (const s of this.fleetSubs) {
      s.dispose();
    }
    this.fleetSubs = [];
  }

  private attach(f: Fleet | undefined): void {
    if (f === this.fleetNow) {
      return;
    }
    this.detach();
    this.fleetNow = f;
    this.lastGroups.clear();
    this.poolsWanted = false;
    if (!f) {
      this.setState('idle');
      this.mark({ all: true, devices: true, pools: true });
      return;
    }
    this._loadError = undefined;
    const o = f.orchestrator;
    const pm = o.poolManager();
    this.fleetSubs.push(
      o.onDidEmitFleetEvent((e) => this.onEvent(e)),
      f.devices.onDidChangeDevices(() => this.mark({ devices: true })),
    );
    if (pm) {
      this.fleetSubs.push(
        pm.onDidChangePools(() => this.mark({ pools: true, all: true })),
        pm.onDidChangePoolStats((e) => this.mark({ pools: true, groups: this.groupsUsing(e.pool) })),
      );
    }
    this.setState('ready');
    this.mark({ all: true, devices: true, pools: true });
  }

  private groupsUsing(pool: string): string[] {
    return (this.cache.definitions ?? this.fleetNow?.orchestrator.listGroupDefinitions() ?? []).filter((d) => d.accountPool === pool).map((d) => d.name);
  }

  private onEvent(e: FleetEvent): void {
    const type: string = e.type;
    if (type === 'log') {
      return;
    }
    if (type === 'definitions.changed' || type === 'group.removed') {
      this.mark({ all: true });
      return;
    }
    if (type === 'devices.changed' || type === 'instance.assigned' || type === 'instance.released') {
      this.mark({ devices: true, groups: 'group' in e && typeof e.group === 'string' ? [e.group] : [] });
      return;
    }
    if (type === 'pools.changed') {
      this.mark({ pools: true, all: true });
      return;
    }
    if (e.type === 'group.state') {
      this.lastGroups.set(e.group, e.snapshot);
      // A group that appears or ends changes the rows around it (counts, the status bar) too.
      this.mark({ groups: [e.group], devices: e.state !== e.previous });
      return;
    }
    if ('group' in e && typeof e.group === 'string') {
      this.mark({ groups: [e.group], devices: type === 'bot.state' });
    }
  }

  private mark(c: { all?: boolean; groups?: readonly string[]; devices?: boolean; pools?: boolean }): void {
    const p = this.pending;
    if (c.all) {
      p.all = true;
      this.cache = {};
    }
    if (c.groups?.length) {
      for (const g of c.groups) {
        p.groups.add(g);
      }
      this.cache.groups = undefined;
      this.cache.definitions = undefined;
    }
    if (c.devices) {
      p.devices = true;
      this.cache.devices = undefined;
    }
    if (c.pools) {
      p.pools = true;
      this.cache.pools = undefined;
    }
    this.throttle.poke();
  }

  private flush(): void {
    const p = this.pending;
    this.pending = none();
    this.flushes++;
    this._onDidChange.fire(p);
  }
}

function poolsOf(f: Fleet): PoolView[] {
  const pm = f.orchestrator.poolManager();
  if (!pm?.isOpen) {
    return [];
  }
  const leases = pm.listLeases();
  const out: PoolView[] = pm.listPools().map((p) => ({
    name: p.name,
    file: p.file,
    valid: true,
    diagnostics: pm.diagnostics.filter((d) => d.file === p.file),
    available: p.stats.available,
    total: p.stats.total,
    cooldown: p.stats.completed,
    leases: leases
      .filter((l) => l.pool === p.name)
      .map((l) => ({ accountId: l.accountId, group: l.group, bot: l.bot, orchestrationId: l.orchestrationId, since: Date.parse(l.acquiredAt), expiresAt: Date.parse(l.expiresAt) })),
  }));
  // A pool file with errors defines no pool: it is listed with its problems.
  const byFile = new Map<string, PoolView['diagnostics'][number][]>();
  for (const d of pm.diagnostics.filter((x) => x.severity === 'error')) {
    if (!out.some((p) => p.file === d.file)) {
      byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
    }
  }
  for (const [file, diagnostics] of byFile) {
    out.push({ name: file.replace(/^.*\//, '').replace(/\.ya?ml$/, ''), file, valid: false, diagnostics, leases: [] });
  }
  return out;
}
