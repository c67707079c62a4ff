/**
 * Fakes for the orchestration unit tests: devices that can drop, a device provider, a routine runner that plays a
 * scripted routine through the injected clock (pausable at step boundaries, abortable), and an account pool.
 */
import type { AccountFieldValue, AccountLease, AccountPort } from '../../../src/bot/accounts';
import type { OpenedDevice, RoutineRunner, RoutineRunnerContext, RoutineRunnerFactory, RoutineRunOptions } from '../../../src/bot/bot';
import { DeviceError, type Device, type RawFrame } from '../../../src/bot/device';
import type { Clock } from '../../../src/shared/ports';
import { Emitter, type Event } from '../../../src/shared/lifecycle';
import type { RoutineEvent } from '../../../src/shared/routineEvents';
import type { DeviceProvider, GroupPoolAccess, InstanceProbe, LeaseOwnerInfo, RoutineCatalog } from '../../../src/orchestrator/botGroup';

/** A device whose every call succeeds until it is dropped. Input calls are recorded. */
export class FakeDevice {
  dropped = false;
  closed = false;
  readonly taps: Array<[number, number]> = [];
  private frames = 0;

  constructor(
    readonly serial: string,
    private readonly clock: Clock,
  ) {}

  asDevice(): Device {
    const check = () => {
      if (this.dropped || this.closed) {
        throw new DeviceError('offline', `device ${this.serial} is offline`, this.serial);
      }
    };
    const frame = (): RawFrame => ({ width: 2, height: 2, data: new Uint8Array(16), capturedAt: this.clock.now(), id: ++this.frames });
    const dev: Partial<Device> & { serial: string; captureMethod: 'raw' } = {
      serial: this.serial,
      captureMethod: 'raw',
      screenshot: async () => {
        check();
        await this.clock.sleep(5);
        check();
        return frame();
      },
      tap: async (x: number, y: number) => {
        check();
        await this.clock.sleep(1);
        this.taps.push([x, y]);
      },
      shell: async () => {
        check();
        return { stdout: '' };
      },
      close: async () => {
        this.closed = true;
      },
    };
    return dev as Device;
  }
}

interface InstanceState {
  online: boolean;
  serial: string;
}

/** Instances `1..n` (or named ones) with an online flag; `drop(i)` takes one offline and breaks its open devices. */
export class FakeDeviceProvider implements DeviceProvider {
  readonly instances = new Map<string, InstanceState>();
  readonly opened = new Map<string, FakeDevice[]>();
  openCount = 0;
  private readonly _onDidChangeInstances = new Emitter<unknown>();
  readonly onDidChangeInstances: Event<unknown> = this._onDidChangeInstances.event;
  private readonly _onDidCall = new Emitter<{ method: 'status' | 'open'; instance: string }>();
  /** Fires when status() or open() is entered (before a hold). */
  readonly onDidCall: Event<{ method: 'status' | 'open'; instance: string }> = this._onDidCall.event;
  /** While set, status() / open() wait until `unhold()` or their signal aborts (a slow probe, a slow connect). */
  hold: { status?: boolean; open?: boolean } = {};
  private holders: Array<() => void> = [];

  constructor(
    private readonly clock: Clock,
    names: Array<string | number> = [1, 2, 3, 4],
  ) {
    for (const n of names) {
      this.instances.set(String(n), { online: true, serial: `fake-${n}` });
    }
  }

  setOnline(instance: string, online: boolean): void {
    const s = this.instances.get(instance);
    if (!s) {
      throw new Error(`no instance ${instance}`);
    }
    s.online = online;
    if (!online) {
      for (const d of this.opened.get(instance) ?? []) {
        d.dropped = true;
      }
    }
    this._onDidChangeInstances.fire(undefined);
  }

  /** Lets every held call go on. */
  unhold(): void {
    this.hold = {};
    const h = this.holders;
    this.holders = [];
    h.forEach((f) => f());
  }

  private async held(method: 'status' | 'open', instance: string, signal?: AbortSignal): Promise<void> {
    // The hold in force when the call comes in (a listener may set one for the calls after this one).
    const hold = this.hold[method] === true;
    this._onDidCall.fire({ method, instance });
    if (!hold) {
      return;
    }
    await new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new DeviceError('aborted', `${method} of instance ${instance} aborted`));
        return;
      }
      const onAbort = () => reject(new DeviceError('aborted', `${method} of instance ${instance} aborted`));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.holders.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  async status(instance: string, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<InstanceProbe> {
    await this.held('status', instance, opts.signal);
    const s = this.instances.get(instance);
    if (!s) {
      return { instance, state: 'unknown' };
    }
    return { instance, state: s.online ? 'online' : 'offline', serial: opts.serial ?? s.serial };
  }

  async isOnline(instance: string): Promise<boolean> {
    return this.instances.get(instance)?.online === true;
  }

  async open(instance: string, opts: { serial?: string; signal?: AbortSignal } = {}): Promise<OpenedDevice> {
    await this.held('open', instance, opts.signal);
    const s = this.instances.get(instance);
    if (!s || !s.online) {
      throw new DeviceError('offline', `instance ${instance} is offline`);
    }
    this.openCount++;
    const serial = opts.serial ?? s.serial;
    const d = new FakeDevice(serial, this.clock);
    this.opened.set(instance, [...(this.opened.get(instance) ?? []), d]);
    return { device: d.asDevice(), serial };
  }
}

export interface ScriptContext {
  name: string;
  params: Record<string, unknown>;
  variables: Record<string, unknown>;
  signal: AbortSignal;
  device: Device;
  accounts?: AccountPort;
  clock: Clock;
  instance: string;
  /** Runs one step: step.start, the body, step.end (and the pause point before it). */
  step(name: string, body?: () => Promise<void>): Promise<void>;
}

export type RoutineScript = (ctx: ScriptContext) => Promise<void>;

/** The default routine: check out an account, 3 steps (screenshot + tap, `stepMs` each), complete the account. */
export function defaultScript(stepMs = 100): RoutineScript {
  return async (ctx) => {
    const lease = ctx.accounts ? await ctx.accounts.checkoutNext(ctx.signal) : undefined;
    if (ctx.accounts && !lease) {
      return;
    }
    for (let i = 0; i < 3; i++) {
      await ctx.step(`step${i + 1}`, async () => {
        await ctx.device.screenshot({ signal: ctx.signal });
        await ctx.device.tap(10 * i, 20, { signal: ctx.signal });
        await ctx.clock.sleep(stepMs, ctx.signal);
      });
    }
    if (lease) {
      await ctx.accounts!.complete(lease.accountId, { packs_opened: 1 });
    }
  };
}

export interface RunRecord {
  instance: string;
  name: string;
  params: Record<string, unknown>;
  variables: Record<string, unknown>;
}

/** A runner that plays a script; pausable at step boundaries (it emits `state: paused`), abortable. */
export class FakeRunner implements RoutineRunner {
  private readonly _onDidEmit = new Emitter<RoutineEvent>();
  readonly onDidEmit: Event<RoutineEvent> = this._onDidEmit.event;
  private paused = false;
  private resumeWaiters: Array<() => void> = [];
  disposed = false;

  constructor(
    private readonly factory: FakeRunnerFactory,
    private readonly ctx: RoutineRunnerContext,
  ) {}

  async run(name: string, params: Record<string, unknown>, opts: RoutineRunOptions): Promise<unknown> {
    this.factory.runs.push({ instance: this.ctx.instance, name, params, variables: opts.variables });
    const clock = this.factory.clock;
    const time = () => clock.now();
    const pausePoint = async () => {
      if (!this.paused) {
        return;
      }
      this._onDidEmit.fire({ type: 'state', time: time(), routine: name, state: 'paused' });
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(new Error('aborted'));
        if (opts.signal.aborted) {
          onAbort();
          return;
        }
        opts.signal.addEventListener('abort', onAbort, { once: true });
        this.resumeWaiters.push(() => {
          opts.signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
      this._onDidEmit.fire({ type: 'state', time: time(), routine: name, state: 'resumed' });
    };
    let index = 0;
    const step = async (stepName: string, body?: () => Promise<void>) => {
      await pausePoint();
      if (opts.signal.aborted) {
        throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted');
      }
      const path = `steps[${index++}]`;
      const t0 = time();
      this._onDidEmit.fire({ type: 'step.start', time: t0, routine: name, step: stepName, path });
      try {
        await body?.();
        this._onDidEmit.fire({ type: 'step.end', time: time(), routine: name, step: stepName, path, ok: true, ms: time() - t0 });
      } catch (e) {
        this._onDidEmit.fire({ type: 'step.end', time: time(), routine: name, step: stepName, path, ok: false, ms: time() - t0, error: String(e) });
        throw e;
      }
    };
    await this.factory.script({ name, params, variables: opts.variables, signal: opts.signal, device: this.ctx.device, accounts: this.ctx.accounts, clock, instance: this.ctx.instance, step });
    return { ok: true };
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const w = this.resumeWaiters;
    this.resumeWaiters = [];
    w.forEach((f) => f());
  }

  dispose(): void {
    this.disposed = true;
    this._onDidEmit.dispose();
  }
}

export class FakeRunnerFactory implements RoutineRunnerFactory {
  readonly runs: RunRecord[] = [];
  readonly created: FakeRunner[] = [];

  constructor(
    readonly clock: Clock,
    public script: RoutineScript = defaultScript(),
  ) {}

  create(ctx: RoutineRunnerContext): RoutineRunner {
    const r = new FakeRunner(this, ctx);
    this.created.push(r);
    return r;
  }
}

/** An account pool of `n` accounts; each is leased once (completed accounts do not come back). */
export class FakePools implements GroupPoolAccess {
  readonly available: string[];
  readonly leased = new Map<string, string>();
  readonly completed: string[] = [];
  readonly released: string[] = [];
  readonly releaseAllCalls: Array<{ orchestrationId?: string }> = [];
  readonly ports: Array<{ owner: LeaseOwnerInfo; disposed: boolean }> = [];
  /** Every call of every port, in order (`op bot id`). */
  readonly calls: string[] = [];
  /** When set, these operations (of this bot, or of every bot) throw the error from now on: a broken storage. */
  broken: { error: Error; ops: ReadonlyArray<keyof AccountPort>; bot?: string } | undefined;

  constructor(
    n: number,
    readonly poolName = 'premium_accounts',
  ) {
    this.available = Array.from({ length: n }, (_, i) => `acc${String(i + 1).padStart(2, '0')}`);
  }

  getPool(name: string): unknown {
    return name === this.poolName ? { name } : undefined;
  }

  accountPort(pool: string, owner: LeaseOwnerInfo): AccountPort & { dispose(): void } {
    const rec = { owner, disposed: false };
    this.ports.push(rec);
    const check = (op: keyof AccountPort, id?: string) => {
      this.calls.push(`${op} ${owner.bot}${id !== undefined ? ` ${id}` : ''}`);
      const b = this.broken;
      if (b && b.ops.includes(op) && (b.bot === undefined || b.bot === owner.bot)) {
        throw b.error;
      }
    };
    const take = (id: string) => {
      if (this.leased.get(id) !== owner.bot) {
        throw new Error(`account ${id} is not leased by ${owner.bot}`);
      }
      this.leased.delete(id);
    };
    return {
      checkoutNext: async (): Promise<AccountLease | undefined> => {
        check('checkoutNext');
        const id = this.available.shift();
        if (!id) {
          return undefined;
        }
        this.leased.set(id, owner.bot);
        return { accountId: id, fields: {}, deviceFile: '<xml/>' };
      },
      complete: async (id: string, _stats: Record<string, AccountFieldValue>) => {
        check('complete', id);
        take(id);
        this.completed.push(id);
      },
      release: async (id: string) => {
        check('release', id);
        take(id);
        this.released.push(id);
        this.available.unshift(id);
      },
      markFailed: async (id: string) => {
        check('markFailed', id);
        take(id);
      },
      update: async (id: string) => {
        check('update', id);
      },
      dispose: () => {
        rec.disposed = true;
      },
    };
  }

  async releaseAll(filter: { orchestrationId?: string }): Promise<string[]> {
    this.releaseAllCalls.push(filter);
    const ids = [...this.leased.keys()];
    for (const id of ids) {
      this.leased.delete(id);
      this.available.unshift(id);
    }
    return ids;
  }
}

/** A routine catalog knowing the given names; names ending in `!` are listed but invalid. */
export function routineCatalog(...names: string[]): RoutineCatalog {
  const valid = names.filter((n) => !n.endsWith('!'));
  const invalid = names.filter((n) => n.endsWith('!')).map((n) => n.slice(0, -1));
  return {
    has: (n) => valid.includes(n) || invalid.includes(n),
    entry: (n) =>
      valid.includes(n)
        ? { valid: true, diagnostics: [] }
        : invalid.includes(n)
          ? { valid: false, diagnostics: [{ file: `routines/${n}.yaml`, line: 3, col: 5, severity: 'error', message: "unknown template 'x'" }] }
          : undefined,
  };
}
