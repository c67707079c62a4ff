/**
 * The instance restart of a bot: the stuck ladder's `restartEmulator` rung.
 *
 * The routine goes on; it is not aborted. The interpreter emits the rung at a step boundary and carries on with its
 * next step, so the bot closes a gate on the runner's (switchable) device at once: every device call of the routine
 * waits until the instance has restarted and a new device is open, then goes to that new device. The routine keeps
 * its ladder position (a later detection climbs to the next rung, e.g. `notify`), its variables and its account; its
 * own navigation steps bring the app back from the launcher. When the restart fails (no way to restart, a command
 * failed) the gate opens on the old device and the routine goes on as if the rung did nothing, which the next
 * detection escalates. When the instance restarted but no device could be opened again within reconnectTimeoutMs,
 * the routine's device calls fail with `offline` and the bot's ordinary device-drop handling takes over (reconnect,
 * or replacement by its group).
 */
import { FleetError } from '../shared/errors';
import type { ErrorInfo, InstanceKey, LogEvent } from '../shared/fleetTypes';
import type { Clock } from '../shared/ports';
import type { RoutineEvent } from '../shared/routineEvents';

/** Why an instance could not be restarted: the source cannot restart it, or the restart itself failed. */
export class InstanceRestartError extends FleetError<'unsupported' | 'failed'> {
  constructor(code: 'unsupported' | 'failed', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'InstanceRestartError';
  }
}

export type StuckEvent = Extract<RoutineEvent, { type: 'stuck' }>;

type LogExtra = { code?: string; range?: LogEvent['range']; data?: Record<string, unknown> };

/** What the restart needs from its bot. */
export interface InstanceRestartHost {
  readonly instance: InstanceKey;
  readonly clock: Clock;
  readonly reconnectTimeoutMs: number;
  readonly reconnectIntervalMs: number;
  /** Aborts the restart and the reopen when the bot stops. */
  readonly stopSignal: AbortSignal;
  stopRequested(): boolean;
  isFinished(): boolean;
  /** The device serial to restart (the instance's device), if known. */
  serial(): string | undefined;
  /** The device source's restart, when it has one. */
  restartSource: ((instance: InstanceKey, opts: { serial?: string; signal?: AbortSignal }) => Promise<void>) | undefined;
  /** Closes the device open now (stale once the instance restarted); the runner's calls then wait at the gate. */
  dropCurrent(): Promise<void>;
  /** Opens the instance's device again; false when a stop came meanwhile; throws when it cannot be opened. */
  reopen(): Promise<boolean>;
  /** The instance restarted and its device is open again (the bot counts a restart). */
  restarted(): void;
  /** The last error of a failed reopen (kept as the bot's lastError). */
  reopenFailed(e: ErrorInfo): void;
  log(level: LogEvent['level'], message: string, extra?: LogExtra): void;
  /** Backoff sleep that a stop ends early. */
  sleep(ms: number): Promise<void>;
}

function errorInfo(e: unknown, time: number): ErrorInfo {
  const message = e instanceof Error ? e.message : String(e);
  const code = e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
  return code ? { message, code, time } : { message, time };
}

/** One bot's instance restarts: at most one at a time; the gate is open while none runs. */
export class InstanceRestart {
  private gateP: Promise<void> | undefined;
  private taskP: Promise<void> | undefined;

  constructor(private readonly host: InstanceRestartHost) {}

  /** Open while the instance restarts: the runner's device calls wait for it. */
  get gate(): Promise<void> | undefined {
    return this.gateP;
  }

  /** The restart in flight (never rejects). */
  get task(): Promise<void> | undefined {
    return this.taskP;
  }

  /** The ladder reached `restartEmulator`: restart the instance unless a restart is under way. */
  request(e: StuckEvent): void {
    const h = this.host;
    if (h.stopRequested() || h.isFinished()) {
      return;
    }
    if (this.taskP) {
      h.log('info', `instance ${h.instance} is already restarting`, { range: e.range, data: { routine: e.routine } });
      return;
    }
    let open!: () => void;
    this.gateP = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.taskP = this.run(e)
      .catch((err: unknown) => {
        h.log('error', `restarting instance ${h.instance} failed: ${err instanceof Error ? err.message : String(err)}`, { code: 'instance-restart-failed', range: e.range });
      })
      .finally(() => {
        this.gateP = undefined;
        this.taskP = undefined;
        open();
      });
  }

  private async run(e: StuckEvent): Promise<void> {
    const h = this.host;
    const data = { routine: e.routine, reason: e.reason };
    const restart = h.restartSource;
    if (!restart) {
      const err = new InstanceRestartError('unsupported', `the device source of instance ${h.instance} cannot restart instances`);
      h.log('error', `routine ${e.routine} is stuck (${e.reason}) and ${err.message}`, { code: 'instance-restart-failed', range: e.range, data: { ...data, cause: err.code } });
      return;
    }
    h.log('warn', `routine ${e.routine} is stuck (${e.reason}): restarting instance ${h.instance}`, { code: 'instance-restart', range: e.range, data });
    try {
      await restart(h.instance, { serial: h.serial(), signal: h.stopSignal });
    } catch (err) {
      if (!h.stopRequested()) {
        const info = errorInfo(err, h.clock.wallNow().getTime());
        h.log('error', `restarting instance ${h.instance} failed: ${info.message}`, {
          code: 'instance-restart-failed',
          range: e.range,
          data: { ...data, ...(info.code !== undefined ? { cause: info.code } : {}) },
        });
      }
      return;
    }
    // The instance restarted: the device open before is stale.
    await h.dropCurrent();
    const last = await this.reopenWithin();
    if (last === true) {
      h.restarted();
      h.log('info', `instance ${h.instance} restarted`, { code: 'instance-restarted', range: e.range, data });
    } else if (!h.stopRequested()) {
      h.log('error', `instance ${h.instance} restarted but could not be opened again within ${h.reconnectTimeoutMs} ms`, {
        code: 'instance-restart-failed',
        range: e.range,
        data: { ...data, ...(last?.code !== undefined ? { cause: last.code } : {}) },
      });
    }
  }

  /** Opens the device again, retrying with backoff within reconnectTimeoutMs: true, or the last error (undefined: stopped). */
  private async reopenWithin(): Promise<true | ErrorInfo | undefined> {
    const h = this.host;
    const started = h.clock.now();
    let delay = h.reconnectIntervalMs;
    let last: ErrorInfo | undefined;
    for (;;) {
      if (h.stopRequested()) {
        return undefined;
      }
      try {
        return (await h.reopen()) ? true : undefined;
      } catch (err) {
        if (!h.stopRequested()) {
          last = errorInfo(err, h.clock.wallNow().getTime());
          h.reopenFailed(last);
        }
      }
      if (h.clock.now() - started >= h.reconnectTimeoutMs) {
        return last;
      }
      await h.sleep(delay);
      delay = Math.min(delay * 2, h.reconnectIntervalMs * 8);
    }
  }
}
