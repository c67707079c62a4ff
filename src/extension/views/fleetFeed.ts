/**
 * The fleet as the sidebar and the status bar see it: the orchestrator's snapshot with its sequenced events applied
 * by the shared reducer (src/shared/fleetModel.ts), never polled, and change notifications coalesced to at most one
 * per 100 ms (≤ 10 tree refreshes a second however busy the bots are), each naming what changed so a tree refreshes
 * only those items.
 *
 * The fleet is built on first need: the first view that shows asks (`ensure`); the state the welcome content
 * reads (`emulatorFleet.fleetState`: loading, ready, failed, noFolder) is set here.
 */
import * as vscode from 'vscode';
import type { Fleet } from '../../host/fleet';
import { FleetModel } from '../../shared/fleetModel';
import type { FleetEvent } from '../../shared/fleetTypes';
import type { Logger } from '../../shared/ports';
import { CONTEXT_KEYS } from '../constants';
import type { FleetSession } from '../fleetSession';
import type { FleetView } from './presentation';
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
  /** The fleet's state: its snapshot plus the events since, applied in order by the shared reducer. */
  private model = new FleetModel();
  /** The view of the model's current version (rebuilt after a change, when a view asks). */
  private cache: { version: number; view: FleetView } | undefined;
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
      o.session.onDidChangeSettings(() => {
        if (this._state === 'failed') {
          // A mended setting (the fleet folder) may be what it needed: try again.
          this.setState('idle');
          this.ensure();
        }
        this.mark({ devices: true });
      }),
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

  /**
   * Builds the fleet if nobody has yet (a view became visible). After a failure it waits for Refresh (the welcome's
   * Retry) or a settings change: the views ask again on every refresh, and a build retried from there would loop.
   */
  ensure(): void {
    if (this.fleetNow || this._state === 'loading' || this._state === 'failed' || this._state === 'noFolder') {
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
    if (!this.fleetNow) {
      return undefined;
    }
    if (this.model.snapshotWanted) {
      this.model.applySnapshot(this.fleetNow.orchestrator.snapshot());
    }
    if (this.cache?.version !== this.model.version) {
      const snap = this.model.snapshot();
      this.cache = { version: this.model.version, view: { definitions: snap.definitions, groups: snap.groups, devices: snap.devices, pools: snap.pools, servers: this.o.session.settings.adbServers } };
    }
    return this.cache.view;
  }

  /** Notes a change now (the manual Refresh re-reads everything). */
  refresh(): void {
    if (!this.fleetNow && this._state !== 'loading') {
      this.setState('idle');
      this.ensure();
    }
    const f = this.fleetNow;
    if (f) {
      this.model.applySnapshot(f.orchestrator.snapshot());
      void f.orchestrator.reloadGroupDefinitions().catch((e: unknown) => this.o.logger.log('warn', `reloading the group definitions failed: ${String(e)}`));
    }
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
    this.model = new FleetModel();
    this.cache = undefined;
    this.poolsWanted = false;
    if (!f) {
      this.setState('idle');
      this.mark({ all: true, devices: true, pools: true });
      return;
    }
    this._loadError = undefined;
    const o = f.orchestrator;
    // The snapshot and the subscription in the same tick: the events that follow are exactly those after it.
    this.model.applySnapshot(o.snapshot());
    this.fleetSubs.push(o.onDidEmitFleetEvent((e) => this.onEvent(e)));
    this.setState('ready');
    this.mark({ all: true, devices: true, pools: true });
  }

  private onEvent(e: FleetEvent): void {
    this.model.applyEvents([e]);
    const type: string = e.type;
    // Logs, frames and the routines' own events change no row (the bot's step and counters come in its changes).
    if (type === 'log' || type === 'bot.frame' || type === 'bot.routine' || type === 'templates.changed' || type === 'routines.changed') {
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
    if (e.type === 'pools.changed') {
      // The groups drawing on a changed pool show its counts.
      const names = new Set(e.pools.map((p) => p.name));
      this.mark({ pools: true, groups: this.model.state.definitionList().filter((d) => d.accountPool !== undefined && names.has(d.accountPool)).map((d) => d.name) });
      return;
    }
    if (e.type === 'group.state') {
      this.mark({ groups: [e.group], devices: e.state !== e.previous });
      return;
    }
    if ('group' in e && typeof e.group === 'string') {
      this.mark({ groups: [e.group], devices: type === 'bot.state' });
    }
  }

  private mark(c: { all?: boolean; groups?: readonly string[]; devices?: boolean; pools?: boolean }): void {
    const p = this.pending;
    p.all ||= c.all ?? false;
    for (const g of c.groups ?? []) {
      p.groups.add(g);
    }
    p.devices ||= c.devices ?? false;
    p.pools ||= c.pools ?? false;
    this.throttle.poke();
  }

  private flush(): void {
    const p = this.pending;
    this.pending = none();
    this.flushes++;
    this._onDidChange.fire(p);
  }
}
