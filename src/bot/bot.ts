/**
 * Bot: runs its group's routine in cycles on one device. A cycle is one routine run with the system variables
 * `cycle`, `bot_instance`, `group` and `orchestration_id`, and the group's routineConfig as the routine's params.
 * It reports state transitions, step progress, cycles, accounts and logs; restarts failed cycles with backoff;
 * and on a device drop goes `offline`, then reconnects or is replaced by its group.
 *
 * The bot depends on small ports only: a device source (open a device for an instance), a routine runner
 * factory (the interpreter), and the pool's AccountPort. Tests pass fakes.
 */
import type { AccountFieldValue, AccountLease, AccountPort } from './accounts';
import type { Device } from './device';
import { FrameTap, measuredDevice, switchableDevice, type BotFrame, type FrameRequestOptions, type LatencyTracker } from './botDevice';
import { InstanceRestart } from './instanceRestart';
import type { DebugDeviceInfo } from './routine/debug';
import type { Clock, Logger } from '../shared/ports';
import type { Disposable, Event } from '../shared/lifecycle';
import type { RoutineEvent } from '../shared/routineEvents';
import type { RoutineDebugTarget } from './routine/debug';
import type {
  BotAccountEvent,
  BotFleetEvent,
  BotSnapshot,
  BotState,
  ErrorInfo,
  InstanceKey,
  LogEvent,
  StepInfo,
  StopReason,
} from '../shared/fleetTypes';
import { FleetError } from '../shared/errors';

/** Options of one routine run. */
export interface RoutineRunOptions {
  signal: AbortSignal;
  /** System variables of the cycle (`cycle`, `bot_instance`, `group`, `orchestration_id`). */
  variables: Record<string, unknown>;
}

/** What the bot needs from the routine interpreter bound to its device. */
export interface RoutineRunner {
  /** Runs routine `name` once with `params`; rejects on failure or abort. */
  run(name: string, params: Record<string, unknown>, opts: RoutineRunOptions): Promise<unknown>;
  /** Pause at the next step boundary (the step in progress finishes). */
  pause(): void;
  resume(): void;
  readonly onDidEmit: Event<RoutineEvent>;
  /** The routine debugger's handle (attach to this bot's interpreter), when the runner offers one. */
  readonly debug?: RoutineDebugTarget;
  dispose?(): void;
}

export interface RoutineRunnerContext {
  device: Device;
  serial: string;
  /** The bot's device figures now (serial, capture and input latency): the debugger's device scope reads them. */
  deviceInfo?: () => DebugDeviceInfo;
  /** The pool's account port for this bot; undefined when the group has no pool. */
  accounts?: AccountPort;
  logger: Logger;
  group: string;
  orchestrationId: string;
  instance: InstanceKey;
}

export interface RoutineRunnerFactory {
  create(ctx: RoutineRunnerContext): RoutineRunner | Promise<RoutineRunner>;
}

export interface OpenedDevice {
  device: Device;
  serial: string;
}

/** Opens the device of an instance. */
export interface BotDeviceSource {
  open(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal }): Promise<OpenedDevice>;
  /** Whether the instance's device answers now (used after a failed cycle to tell a drop from a routine error). */
  isOnline(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal }): Promise<boolean>;
  /**
   * Restarts the instance (its emulator, or the virtual device) and resolves once it answers again; devices opened
   * before are stale afterwards and the bot opens a new one. Optional: without it the bot reports the stuck
   * ladder's `restartEmulator` rung as an `instance-restart-failed` log instead of performing it.
   * @throws InstanceRestartError (instanceRestart.ts), or the source's own typed error (it carries a `code`)
   */
  restart?(instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal }): Promise<void>;
}

export interface RestartPolicy {
  enabled: boolean;
  /** Consecutive failed cycles allowed before the bot fails; `Infinity` for unlimited. */
  maxRestarts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  resetAfterSuccess: boolean;
}

/** What the group decides when a bot's device dropped. */
export type OfflineDecision = 'replace' | 'reconnect';

export interface BotOptions {
  group: string;
  orchestrationId: string;
  instance: InstanceKey;
  /** Device serial forced by an instance override. */
  serial?: string;
  /**
   * Called with the serial of every device the bot opens, before it is used; throws (InstanceBusyError) when
   * another group's run already drives that device under another instance name. The group claims the serial.
   */
  claimSerial?: (serial: string) => void;
  routine: string;
  params: Record<string, unknown>;
  /** Successful cycles after which the bot stops; undefined = no limit. */
  cycles?: number;
  /** Clock time after which no new cycle starts. */
  deadline?: number;
  cycleDelayMs: number;
  restart: RestartPolicy;
  stopWhenPoolEmpty: boolean;
  /** Without stopWhenPoolEmpty: how long to wait before trying the pool again after it had no account. */
  poolRetryMs: number;
  /** Default graceful-stop timeout. */
  stopTimeoutMs: number;
  reconnectTimeoutMs: number;
  reconnectIntervalMs: number;
  /** Makes the capture and input latency trackers. */
  createLatencyTracker: () => LatencyTracker;
  devices: BotDeviceSource;
  runners: RoutineRunnerFactory;
  accounts?: AccountPort;
  clock: Clock;
  logger: Logger;
  /** Asked on a device drop (and again while reconnecting fails): replace the bot, or keep reconnecting. */
  onOffline?: (bot: Bot) => Promise<OfflineDecision>;
  /**
   * Called once, synchronously, when the bot meets an error that ends the whole run (the account storage failed:
   * see {@link fatalStorageError}). The bot itself stops as `failed` without retrying; the group stops the others.
   */
  onFatalError?: (bot: Bot, error: ErrorInfo) => void;
  /**
   * The bot's one event sink (its group's): state changes, steps, cycles, accounts, logs, every routine event
   * (`bot.routine`) and captures (`bot.frame`). Called synchronously, after the bot's snapshot reflects the event.
   */
  publish?: (e: BotFleetEvent) => void;
}

export interface BotStopOptions {
  /** Abort the current step at once. */
  force?: boolean;
  /** Time the current step gets to finish before the stop is forced (defaults to the bot's stopTimeoutMs). */
  timeoutMs?: number;
  reason?: StopReason;
}

/** Typed errors of the bot. */
export class BotError extends FleetError<'stopped' | 'device-unavailable' | 'runner-failed'> {
  constructor(code: 'stopped' | 'device-unavailable' | 'runner-failed', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'BotError';
  }
}

/** True when `e` (or one of its causes) is a device error meaning the device is gone. */
export function isOfflineError(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 8 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (code === 'offline' || code === 'device-offline') {
      return true;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** Codes of account-storage failures (the pool's `storage-failed` and `db-corrupt`): the run cannot go on safely. */
export const FATAL_STORAGE_CODES: ReadonlySet<string> = new Set(['storage-failed', 'db-corrupt']);

/**
 * The account-storage failure carried by `e` or one of its causes (a routine wraps the pool's error in its own),
 * or undefined. Such an error is never retried: what the pool acknowledged may not be durable any more.
 */
export function fatalStorageError(e: unknown): Error | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 8 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && FATAL_STORAGE_CODES.has(code)) {
      return cur instanceof Error ? cur : new Error(String((cur as { message?: unknown }).message ?? code));
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorInfo(e: unknown, time: number): ErrorInfo {
  const message = e instanceof Error ? e.message : String(e);
  const code = e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
  return code ? { message, code, time } : { message, time };
}


/**
 * The pool's AccountPort seen through the bot: it knows which leases the bot holds and reports them, and it sees
 * every pool error first-hand (before a routine wraps or swallows it), so a storage failure always reaches the bot.
 */
class TrackingAccountPort implements AccountPort {
  readonly held = new Set<string>();
  /** The pool had no account for a checkout during the current cycle. */
  emptySeen = false;
  /** A checkout succeeded during the current cycle. */
  leasedThisCycle = false;

  constructor(
    private readonly inner: AccountPort,
    private readonly onEvent: (action: BotAccountEvent['action'], accountId?: string) => void,
    private readonly onStorageFailure: (e: Error) => void,
  ) {}

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const fatal = fatalStorageError(e);
      if (fatal) {
        this.onStorageFailure(fatal);
      }
      throw e;
    }
  }

  async checkoutNext(signal?: AbortSignal): Promise<AccountLease | undefined> {
    const lease = await this.call(() => this.inner.checkoutNext(signal));
    if (lease) {
      this.held.add(lease.accountId);
      this.leasedThisCycle = true;
      this.onEvent('checkout', lease.accountId);
    } else {
      this.emptySeen = true;
      this.onEvent('empty');
    }
    return lease;
  }

  async complete(accountId: string, stats: Record<string, AccountFieldValue>): Promise<void> {
    await this.call(() => this.inner.complete(accountId, stats));
    this.held.delete(accountId);
    this.onEvent('complete', accountId);
  }

  async release(accountId: string, reason?: string): Promise<void> {
    await this.call(() => this.inner.release(accountId, reason));
    this.held.delete(accountId);
    this.onEvent('release', accountId);
  }

  async markFailed(accountId: string, reason: string): Promise<void> {
    await this.call(() => this.inner.markFailed(accountId, reason));
    this.held.delete(accountId);
    this.onEvent('failed', accountId);
  }

  update(accountId: string, fields: Record<string, AccountFieldValue>): Promise<void> {
    return this.call(() => this.inner.update(accountId, fields));
  }

  /** Gives back every lease still held; returns how many. Errors are reported, not thrown. */
  async releaseHeld(reason: string, onError: (id: string, e: unknown) => void): Promise<number> {
    let n = 0;
    for (const id of [...this.held]) {
      try {
        await this.release(id, reason);
        n++;
      } catch (e) {
        this.held.delete(id);
        onError(id, e);
      }
    }
    return n;
  }
}

interface CycleOutcome {
  ok: boolean;
  error?: unknown;
  abandoned?: boolean;
}

export class Bot implements Disposable {
  readonly group: string;
  readonly orchestrationId: string;
  readonly instance: InstanceKey;
  readonly routine: string;

  private state: BotState = 'idle';
  private stateSince: number;
  private serial: string | undefined;
  /** The view of the device the runner gets: it follows `current` across instance restarts (see `switchableDevice`). */
  private device: Device | undefined;
  /** The (measured) device opened now; undefined between a restart and the reopen. */
  private current: Device | undefined;
  /** The last device opened (its `serial` and `captureMethod` answer while none is open). */
  private lastOpened: Device | undefined;
  /** The stuck ladder's instance restarts (instanceRestart.ts); its gate holds the runner's device calls. */
  private readonly restart: InstanceRestart;
  /** Keeps the latest frame of the routine's captures and serves viewers (botDevice.ts). */
  private readonly tap: FrameTap;
  private runner: RoutineRunner | undefined;
  private runnerSubscription: Disposable | undefined;
  private readonly accounts: TrackingAccountPort | undefined;
  private readonly accountHistory: string[] = [];
  private currentAccount: string | undefined;
  private readonly stepStack: StepInfo[] = [];
  private cyclesDone = 0;
  private attempts = 0;
  private errors = 0;
  private consecutiveFailures = 0;
  private restarts = 0;
  private steps = 0;
  private lastError: ErrorInfo | undefined;
  private stopReason: StopReason | undefined;
  private failed = false;
  /** The error that ended the run for good (an account-storage failure); set once. */
  private fatal: ErrorInfo | undefined;
  /** What the bot is doing apart from a pause (`starting`, `running`, `waiting`, `offline`): where resume goes back to. */
  private activity: BotState = 'idle';
  private readonly capture: LatencyTracker;
  private readonly input: LatencyTracker;

  private stopRequested = false;
  /** Aborts waits (backoff, pause, reconnect, cycle delay) when a stop is requested. */
  private readonly stopController = new AbortController();
  private cycleController: AbortController | undefined;
  private cycleSettled: Promise<void> | undefined;
  private abandonCycle: (() => void) | undefined;
  private paused = false;
  private pauseWaiters: Array<() => void> = [];
  private runnerPausedAck = false;
  private pausedAckWaiters: Array<() => void> = [];
  private life: Promise<BotSnapshot> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: BotOptions) {
    this.group = options.group;
    this.orchestrationId = options.orchestrationId;
    this.instance = options.instance;
    this.routine = options.routine;
    this.stateSince = options.clock.wallNow().getTime();
    this.serial = options.serial;
    this.capture = options.createLatencyTracker();
    this.input = options.createLatencyTracker();
    this.log = options.logger.child(`bot:${options.instance}`);
    this.tap = new FrameTap({
      clock: options.clock,
      onFrame: (f) => this.publish({ type: 'bot.frame', time: f.time, group: this.group, orchestrationId: this.orchestrationId, instance: this.instance, frame: f.frame, width: f.width, height: f.height, captureMs: f.captureMs }),
      capture: () => this.current?.screenshot({ signal: this.stopController.signal }),
    });
    this.restart = new InstanceRestart({
      instance: this.instance,
      clock: options.clock,
      reconnectTimeoutMs: options.reconnectTimeoutMs,
      reconnectIntervalMs: options.reconnectIntervalMs,
      stopSignal: this.stopController.signal,
      stopRequested: () => this.stopRequested,
      isFinished: () => this.isFinished,
      serial: () => this.serial ?? options.serial,
      restartSource: options.devices.restart ? (instance, opts) => options.devices.restart!.call(options.devices, instance, opts) : undefined,
      dropCurrent: async () => {
        const stale = this.current;
        this.current = undefined;
        await stale?.close().catch(() => undefined);
      },
      reopen: async () => (await this.openDevice()) !== undefined,
      restarted: () => {
        this.restarts++;
      },
      reopenFailed: (e) => {
        this.lastError = e;
        this.log.log('warn', `cannot open instance ${this.instance} after its restart: ${e.message}`);
      },
      log: (level, message, extra) => this.emitLog(level, message, extra),
      sleep: (ms) => this.sleep(ms),
    });
    if (options.accounts) {
      this.accounts = new TrackingAccountPort(
        options.accounts,
        (action, accountId) => this.onAccount(action, accountId),
        (e) => this.onStorageFailure(e),
      );
    }
  }

  /** Starts the bot's life (idempotent; a no-op once the bot stopped); `done` resolves with the final snapshot. */
  start(): void {
    if (!this.life && this.isFinished) {
      return;
    }
    this.life ??= this.runLife();
  }

  /** Resolves when the bot has stopped or failed, with its final snapshot. */
  get done(): Promise<BotSnapshot> {
    return this.life ?? Promise.resolve(this.snapshot());
  }

  get currentState(): BotState {
    return this.state;
  }

  get isFinished(): boolean {
    return this.state === 'stopped' || this.state === 'failed';
  }

  /** Accounts this bot holds right now. */
  get heldAccounts(): string[] {
    return [...(this.accounts?.held ?? [])];
  }

  snapshot(): BotSnapshot {
    const top = this.stepStack[this.stepStack.length - 1];
    return Object.freeze({
      group: this.group,
      orchestrationId: this.orchestrationId,
      instance: this.instance,
      ...(this.serial !== undefined ? { serial: this.serial } : {}),
      state: this.state,
      stateSince: this.stateSince,
      routine: this.routine,
      ...(top ? { step: top } : {}),
      ...(this.currentAccount !== undefined ? { account: this.currentAccount } : {}),
      accounts: Object.freeze([...this.accountHistory]),
      cycles: this.cyclesDone,
      errors: this.errors,
      restarts: this.restarts,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      capture: this.capture.summary(),
      input: this.input.summary(),
      steps: this.steps,
      ...(this.stopReason !== undefined ? { stopReason: this.stopReason } : {}),
    });
  }

  /**
   * The frame of the routine's latest capture (no capture of its own: a tile costs nothing), retained for the
   * caller, who calls `release()` when done; undefined before the first capture and after the bot ended.
   */
  latestFrame(): BotFrame | undefined {
    return this.tap.latestFrame();
  }

  /**
   * The latest frame when it is at most `maxAgeMs` old (default 0); else the frame of a capture under way (the
   * routine's or another viewer's); else one capture, shared by every caller meanwhile. Retained for the caller.
   * @throws FrameRequestError 'no-device' (no device open now), 'ended', 'aborted'; or the capture's DeviceError.
   */
  requestFrame(opts: FrameRequestOptions = {}): Promise<BotFrame> {
    return this.tap.requestFrame(opts);
  }

  /** The device figures the debugger's device scope shows (and DeviceInfo.capture/input of the bot's device). */
  deviceInfo(): DebugDeviceInfo {
    return { ...(this.serial !== undefined ? { serial: this.serial } : {}), capture: this.capture.summary(), input: this.input.summary() };
  }

  /** Pauses at the next step boundary (the step in progress finishes); no new cycle starts until resume. */
  pause(): void {
    if (this.paused || this.isFinished || this.stopRequested) {
      return;
    }
    this.paused = true;
    this.toRunner('pause', (r) => r.pause());
    this.setState('paused');
  }

  resume(): void {
    if (!this.paused) {
      return;
    }
    this.paused = false;
    this.runnerPausedAck = false;
    this.toRunner('resume', (r) => r.resume());
    const waiters = this.pauseWaiters;
    this.pauseWaiters = [];
    waiters.forEach((w) => w());
    if (!this.isFinished && !this.stopRequested) {
      // Back to what the pause interrupted: a cycle runs, or the bot connects, reconnects (offline) or waits.
      this.setState(this.cycleSettled ? 'running' : this.activity === 'running' ? 'waiting' : this.activity);
    }
  }

  /**
   * Graceful stop: no new cycle; the current step may finish (within the timeout), then the run is aborted,
   * held accounts are released and the device closed. With `force`, the step is aborted at once.
   */
  async stop(opts: BotStopOptions = {}): Promise<BotSnapshot> {
    if (!this.life) {
      this.tap.close();
      this.stopReason ??= opts.reason ?? 'requested';
      this.setState('stopped', { reason: this.stopReason });
      return this.snapshot();
    }
    if (this.isFinished) {
      return this.done;
    }
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.stopReason ??= opts.reason ?? 'requested';
      this.setState('stopping', { reason: this.stopReason });
      this.stopController.abort(new BotError('stopped', 'bot stopped'));
      this.releasePauseWaiters();
    }
    if (opts.force) {
      this.forceAbort();
    } else if (this.cycleSettled) {
      await this.finishStepThenAbort(opts.timeoutMs ?? this.options.stopTimeoutMs);
    }
    return this.done;
  }

  /** Forces the stop; the events of the stop (the final state) are still published. */
  dispose(): void {
    this.stop({ force: true }).catch((e: unknown) => {
      this.log.log('error', `stopping the bot on dispose failed: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  /** Publishes one event into the bot's sink (its group's); a throwing sink never reaches the bot. */
  private publish(e: BotFleetEvent): void {
    try {
      this.options.publish?.(e);
    } catch (err) {
      this.log.log('warn', `publishing a ${e.type} event failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The bot's life; never rejects (`done` always resolves with the final snapshot). */
  private async runLife(): Promise<BotSnapshot> {
    try {
      return await this.live();
    } catch (e) {
      const info = errorInfo(e, this.options.clock.wallNow().getTime());
      this.log.log('error', `the bot ended on an unexpected error: ${info.message}`);
      this.tap.close();
      this.failed = true;
      this.stopReason = 'failed';
      this.lastError = info;
      this.setState('failed', { reason: 'failed', error: info });
      return this.snapshot();
    }
  }

  private async live(): Promise<BotSnapshot> {
    const o = this.options;
    this.setState('starting');
    try {
      let connected = await this.tryConnect();
      // A stop during the connect is no device drop: nothing to report, nothing to reconnect.
      if (!connected && !this.stopRequested) {
        connected = await this.handleOffline(new BotError('device-unavailable', `instance ${this.instance} could not be opened`));
      }
      while (connected) {
        if (this.stopRequested) {
          break;
        }
        if (o.cycles !== undefined && this.cyclesDone >= o.cycles) {
          this.stopReason ??= 'cycles-done';
          break;
        }
        if (o.deadline !== undefined && o.clock.now() >= o.deadline) {
          this.stopReason ??= 'duration';
          break;
        }
        await this.pauseGate();
        if (this.stopRequested) {
          break;
        }
        this.setState('running');
        const outcome = await this.runCycle();
        // A cycle that ended while its instance restarts is judged once the restart is over (it may have left
        // the bot without a device, which the device-drop handling below then sees).
        await this.restart.task;
        if (this.stopRequested || outcome.abandoned) {
          break;
        }
        // The pool had no account for this cycle (whatever its outcome): stop, or wait for one to come back
        // (accounts return after their cooldown).
        if (this.accounts?.emptySeen === true) {
          if (o.stopWhenPoolEmpty) {
            this.stopReason = 'pool-empty';
            break;
          }
          if (!this.accounts.leasedThisCycle) {
            this.setState('waiting');
            await this.sleep(o.poolRetryMs);
            continue;
          }
        }
        if (outcome.ok) {
          if (o.cycleDelayMs > 0 && !(o.cycles !== undefined && this.cyclesDone >= o.cycles)) {
            await this.sleep(o.cycleDelayMs);
          }
          continue;
        }
        if (await this.isDeviceDrop(outcome.error)) {
          connected = await this.handleOffline(outcome.error);
          continue;
        }
        this.errors++;
        this.consecutiveFailures++;
        this.lastError = errorInfo(outcome.error, o.clock.wallNow().getTime());
        if (!o.restart.enabled || this.consecutiveFailures > o.restart.maxRestarts) {
          this.failed = true;
          this.stopReason = 'failed';
          this.log.log('error', `cycle failed, no restart left: ${this.lastError.message}`);
          break;
        }
        const delay = Math.min(o.restart.maxDelayMs, o.restart.initialDelayMs * o.restart.factor ** (this.consecutiveFailures - 1));
        this.setState('waiting', { error: this.lastError });
        this.emitLog('warn', `cycle failed (${this.consecutiveFailures}/${Number.isFinite(o.restart.maxRestarts) ? o.restart.maxRestarts : '∞'}), restarting in ${Math.round(delay)} ms: ${this.lastError.message}`);
        await this.sleep(delay);
        if (!this.stopRequested) {
          this.restarts++;
        }
      }
    } catch (e) {
      if (!this.stopRequested) {
        this.failed = true;
        this.stopReason = 'failed';
        this.lastError = errorInfo(e, o.clock.wallNow().getTime());
        this.log.log('error', `bot crashed: ${this.lastError.message}`);
      }
    }
    try {
      await this.teardown();
    } catch (e) {
      this.log.log('warn', `cleaning up the bot failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.setState(this.failed ? 'failed' : 'stopped', { reason: this.stopReason ?? 'finished', error: this.failed ? this.lastError : undefined });
    return this.snapshot();
  }

  /**
   * The account storage failed (seen by the account port, whatever the routine made of the error): the bot stops
   * at once as `failed` with that error, without retrying or starting another cycle, and tells its group.
   */
  private onStorageFailure(e: Error): void {
    if (this.fatal || this.isFinished) {
      return;
    }
    const info = errorInfo(e, this.options.clock.wallNow().getTime());
    this.fatal = info;
    this.failed = true;
    this.stopReason = 'failed';
    this.lastError = info;
    this.emitLog('error', `the account storage failed: ${info.message} (the bot stops; nothing is retried)`, info.code !== undefined ? { code: info.code } : {});
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.stopController.abort(new BotError('stopped', 'the account storage failed'));
      this.releasePauseWaiters();
    }
    this.forceAbort();
    try {
      this.options.onFatalError?.(this, info);
    } catch (err) {
      this.log.log('warn', `the fatal-error listener threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Opens the instance's device and makes it current; undefined when a stop came meanwhile. Throws when the
   * device cannot be opened or another group already drives it (the serial claim).
   */
  private async openDevice(): Promise<OpenedDevice | undefined> {
    const o = this.options;
    const opened = await o.devices.open(this.instance, { serial: this.serial ?? o.serial, signal: this.stopController.signal });
    try {
      if (this.stopRequested) {
        await opened.device.close().catch(() => undefined);
        return undefined;
      }
      o.claimSerial?.(opened.serial);
    } catch (e) {
      await opened.device.close().catch(() => undefined);
      throw e;
    }
    this.serial = opened.serial;
    this.current = measuredDevice(opened.device, o.clock, this.capture, this.input, this.tap);
    this.lastOpened = this.current;
    return opened;
  }

  private async tryConnect(): Promise<boolean> {
    const o = this.options;
    try {
      const opened = await this.openDevice();
      if (!opened) {
        return false;
      }
      this.device = switchableDevice({
        instance: this.instance,
        current: () => this.current,
        lastOpened: () => this.lastOpened,
        gate: () => this.restart.gate,
        serial: () => this.serial,
      });
      const runner = await o.runners.create({
        device: this.device,
        serial: opened.serial,
        deviceInfo: () => this.deviceInfo(),
        accounts: this.accounts,
        logger: this.log,
        group: this.group,
        orchestrationId: this.orchestrationId,
        instance: this.instance,
      });
      this.runner = runner;
      this.runnerSubscription = runner.onDidEmit((e) => this.onRoutineEvent(e));
      if (this.paused) {
        this.toRunner('pause', (r) => r.pause());
      }
      return true;
    } catch (e) {
      if (!this.stopRequested) {
        this.lastError = errorInfo(e, o.clock.wallNow().getTime());
        this.log.log('warn', `cannot open instance ${this.instance}: ${this.lastError.message}`);
      }
      await this.disconnect();
      return false;
    }
  }

  private async disconnect(): Promise<void> {
    this.runnerSubscription?.dispose();
    this.runnerSubscription = undefined;
    try {
      this.runner?.dispose?.();
    } catch {
      // a runner that fails to dispose is dropped anyway
    }
    this.runner = undefined;
    const d = this.current;
    this.current = undefined;
    this.device = undefined;
    if (d) {
      await d.close().catch(() => undefined);
    }
    this.stepStack.length = 0;
  }

  /** A failed cycle is a device drop when the error says so or the device no longer answers. */
  private async isDeviceDrop(error: unknown): Promise<boolean> {
    if (isOfflineError(error)) {
      return true;
    }
    try {
      return !(await this.options.devices.isOnline(this.instance, { serial: this.serial, signal: this.stopController.signal }));
    } catch {
      return false;
    }
  }

  /** Device dropped: go offline, then reconnect (or be replaced). Returns true when reconnected. */
  private async handleOffline(error: unknown): Promise<boolean> {
    const o = this.options;
    if (this.stopRequested) {
      return false;
    }
    this.lastError = errorInfo(error, o.clock.wallNow().getTime());
    this.setState('offline', { error: this.lastError });
    this.emitLog('warn', `device of instance ${this.instance} dropped: ${this.lastError.message}`);
    await this.disconnect();
    await this.releaseHeldAccounts('device dropped');
    const started = o.clock.now();
    let delay = o.reconnectIntervalMs;
    for (;;) {
      if (this.stopRequested) {
        return false;
      }
      let decision: OfflineDecision = 'reconnect';
      if (o.onOffline) {
        try {
          decision = await o.onOffline(this);
        } catch {
          decision = 'reconnect';
        }
      }
      if (this.stopRequested) {
        return false;
      }
      if (decision === 'replace') {
        this.stopReason = 'replaced';
        this.stopRequested = true;
        this.emitLog('info', `instance ${this.instance} is replaced by another instance`);
        return false;
      }
      if (await this.tryConnect()) {
        this.restarts++;
        this.emitLog('info', `reconnected to instance ${this.instance}`);
        return true;
      }
      if (o.clock.now() - started >= o.reconnectTimeoutMs) {
        this.failed = true;
        this.stopReason = 'failed';
        this.emitLog('error', `instance ${this.instance} did not come back within ${o.reconnectTimeoutMs} ms`);
        return false;
      }
      await this.sleep(delay);
      delay = Math.min(delay * 2, o.reconnectIntervalMs * 8);
    }
  }

  private async runCycle(): Promise<CycleOutcome> {
    const o = this.options;
    const runner = this.runner;
    if (!runner) {
      return { ok: false, error: new BotError('runner-failed', 'no routine runner') };
    }
    this.attempts++;
    if (this.accounts) {
      this.accounts.emptySeen = false;
      this.accounts.leasedThisCycle = false;
    }
    const controller = new AbortController();
    this.cycleController = controller;
    const variables = { cycle: this.attempts, bot_instance: this.instance, group: this.group, orchestration_id: this.orchestrationId };
    const t0 = o.clock.now();
    let abandon!: () => void;
    const abandoned = new Promise<CycleOutcome>((resolve) => {
      abandon = () => resolve({ ok: false, abandoned: true, error: new BotError('stopped', 'the routine did not stop; abandoned') });
    });
    this.abandonCycle = abandon;
    const run = runner.run(o.routine, { ...o.params }, { signal: controller.signal, variables }).then(
      (): CycleOutcome => ({ ok: true }),
      (error: unknown): CycleOutcome => ({ ok: false, error }),
    );
    this.cycleSettled = run.then(() => undefined);
    const outcome = await Promise.race([run, abandoned]);
    this.cycleSettled = undefined;
    this.cycleController = undefined;
    this.abandonCycle = undefined;
    this.stepStack.length = 0;
    this.runnerPausedAck = false;
    const ms = o.clock.now() - t0;
    const idle = this.accounts !== undefined && this.accounts.emptySeen && !this.accounts.leasedThisCycle;
    if (outcome.ok && !idle) {
      this.cyclesDone++;
      if (o.restart.resetAfterSuccess) {
        this.consecutiveFailures = 0;
      }
    }
    const stoppedByUs = !outcome.ok && this.stopRequested;
    this.publish({
      type: 'bot.cycle',
      time: o.clock.wallNow().getTime(),
      group: this.group,
      orchestrationId: this.orchestrationId,
      instance: this.instance,
      cycle: this.attempts,
      ok: outcome.ok,
      ms: Math.round(ms),
      ...(outcome.ok ? {} : { error: errorInfo(stoppedByUs ? new BotError('stopped', 'stopped during the cycle') : outcome.error, o.clock.wallNow().getTime()) }),
    });
    return outcome;
  }

  private async finishStepThenAbort(timeoutMs: number): Promise<void> {
    const settled = this.cycleSettled;
    if (!settled) {
      return;
    }
    if (!this.paused) {
      this.toRunner('pause', (r) => r.pause());
    }
    const timer = new AbortController();
    const pausedAck = this.runnerPausedAck
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          this.pausedAckWaiters.push(resolve);
        });
    await Promise.race([settled, pausedAck, this.options.clock.sleep(timeoutMs, timer.signal).catch(() => undefined)]);
    timer.abort();
    this.forceAbort();
  }

  private forceAbort(): void {
    const c = this.cycleController;
    if (c && !c.signal.aborted) {
      c.abort(new BotError('stopped', 'bot stopped'));
      // A routine that ignores the abort is abandoned after a short grace.
      const abandon = this.abandonCycle;
      const grace = new AbortController();
      this.cycleSettled?.then(
        () => grace.abort(),
        () => grace.abort(),
      );
      void this.options.clock
        .sleep(2000, grace.signal)
        .then(() => abandon?.())
        .catch(() => undefined);
    }
    this.toRunner('resume', (r) => r.resume());
  }

  private async teardown(): Promise<void> {
    // An instance restart in flight ends soon: it runs under the stop signal.
    await this.restart.task;
    await this.releaseHeldAccounts('bot stopped');
    this.currentAccount = undefined;
    await this.disconnect();
    // The bot ends: its latest frame is released, frame requests answer `ended`.
    this.tap.close();
  }

  private async releaseHeldAccounts(reason: string): Promise<void> {
    if (!this.accounts) {
      return;
    }
    await this.accounts.releaseHeld(reason, (id, e) => this.emitLog('warn', `releasing account ${id} failed: ${e instanceof Error ? e.message : String(e)}`));
    this.currentAccount = undefined;
  }

  /** Calls the runner (if any); a runner that throws is logged, never breaks a pause, resume or stop. */
  private toRunner(what: string, fn: (r: RoutineRunner) => void): void {
    const r = this.runner;
    if (!r) {
      return;
    }
    try {
      fn(r);
    } catch (e) {
      this.log.log('warn', `the routine runner's ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private pauseGate(): Promise<void> {
    if (!this.paused || this.stopRequested) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.pauseWaiters.push(resolve));
  }

  private releasePauseWaiters(): void {
    const w = [...this.pauseWaiters, ...this.pausedAckWaiters];
    this.pauseWaiters = [];
    this.pausedAckWaiters = [];
    w.forEach((f) => f());
  }

  private async sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopRequested) {
      return;
    }
    await this.options.clock.sleep(ms, this.stopController.signal).catch(() => undefined);
  }

  private onRoutineEvent(e: RoutineEvent): void {
    this.applyRoutineEvent(e);
    // Every routine event, as the runner emitted it, after the bot's own reading of it.
    this.publish({ type: 'bot.routine', time: e.time, group: this.group, orchestrationId: this.orchestrationId, instance: this.instance, event: e });
  }

  private applyRoutineEvent(e: RoutineEvent): void {
    const o = this.options;
    const time = o.clock.wallNow().getTime();
    const base = { time, group: this.group, orchestrationId: this.orchestrationId, instance: this.instance };
    switch (e.type) {
      case 'step.start': {
        const info: StepInfo = Object.freeze({ name: e.step, path: e.path, routine: e.routine, since: time, ...(e.range ? { range: e.range } : {}) });
        this.stepStack.push(info);
        this.publish({ ...base, type: 'bot.step', phase: 'start', routine: e.routine, step: e.step, path: e.path, ...(e.range ? { range: e.range } : {}) });
        break;
      }
      case 'step.end': {
        const i = this.stepStack.map((s) => `${s.routine}\0${s.path}`).lastIndexOf(`${e.routine}\0${e.path}`);
        if (i >= 0) {
          this.stepStack.splice(i);
        }
        this.steps++;
        this.publish({
          ...base,
          type: 'bot.step',
          phase: 'end',
          routine: e.routine,
          step: e.step,
          path: e.path,
          ok: e.ok,
          ms: e.ms,
          ...(e.range ? { range: e.range } : {}),
          ...(e.error !== undefined ? { error: e.error } : {}),
        });
        break;
      }
      case 'log':
        this.publish({ ...base, type: 'log', level: e.level, message: e.message, data: { routine: e.routine } });
        break;
      case 'error':
        this.publish({ ...base, type: 'log', level: 'warn', message: e.message, data: { routine: e.routine, ...(e.code ? { code: e.code } : {}) } });
        break;
      case 'stuck':
        if (e.rung === 'restartEmulator') {
          this.restart.request(e);
        } else if (e.rung === 'notify') {
          this.emitLog('warn', `routine ${e.routine} is stuck (${e.reason}): instance ${this.instance} needs attention`, {
            code: 'stuck-notify',
            range: e.range,
            data: { routine: e.routine, reason: e.reason },
          });
        } else {
          this.publish({ ...base, type: 'log', level: 'warn', message: `stuck: ${e.reason} (${e.rung})`, ...(e.range ? { range: e.range } : {}), data: { routine: e.routine } });
        }
        break;
      case 'state':
        if (e.state === 'paused') {
          this.runnerPausedAck = true;
          const w = this.pausedAckWaiters;
          this.pausedAckWaiters = [];
          w.forEach((f) => f());
        } else {
          this.runnerPausedAck = false;
        }
        break;
      default:
        break;
    }
  }

  private onAccount(action: BotAccountEvent['action'], accountId?: string): void {
    if (action === 'checkout' && accountId !== undefined) {
      this.currentAccount = accountId;
      this.accountHistory.push(accountId);
    } else if (accountId !== undefined && accountId === this.currentAccount) {
      this.currentAccount = undefined;
    }
    this.publish({
      type: 'bot.account',
      time: this.options.clock.wallNow().getTime(),
      group: this.group,
      orchestrationId: this.orchestrationId,
      instance: this.instance,
      action,
      ...(accountId !== undefined ? { accountId } : {}),
    });
  }

  private emitLog(level: LogEvent['level'], message: string, extra: { code?: string; range?: LogEvent['range']; data?: Record<string, unknown> } = {}): void {
    this.log.log(level, message, extra.code !== undefined ? { code: extra.code } : undefined);
    this.publish({
      type: 'log',
      time: this.options.clock.wallNow().getTime(),
      level,
      message,
      group: this.group,
      orchestrationId: this.orchestrationId,
      instance: this.instance,
      ...(extra.code !== undefined ? { code: extra.code } : {}),
      ...(extra.range ? { range: extra.range } : {}),
      ...(extra.data ? { data: extra.data } : {}),
    });
  }

  private setState(state: BotState, extra: { reason?: StopReason; error?: ErrorInfo } = {}): void {
    if (state === this.state && !extra.error) {
      return;
    }
    if (this.isFinished) {
      return;
    }
    const previous = this.state;
    this.state = state;
    if (state === 'starting' || state === 'running' || state === 'waiting' || state === 'offline') {
      this.activity = state;
    }
    this.stateSince = this.options.clock.wallNow().getTime();
    this.publish({
      type: 'bot.state',
      time: this.stateSince,
      group: this.group,
      orchestrationId: this.orchestrationId,
      instance: this.instance,
      state,
      previous,
      ...(extra.reason ? { reason: extra.reason } : {}),
      ...(extra.error ? { error: extra.error } : {}),
      snapshot: this.snapshot(),
    });
  }
}
