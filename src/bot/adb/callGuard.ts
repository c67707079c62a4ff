/**
 * Deadlines and cancellation for device calls. A guarded call either settles by itself or is cut off by its
 * timeout or its AbortSignal; when cut off, every cleanup it registered runs (destroying its adb sockets), so a
 * timed-out call never hangs and never leaves a connection behind. Errors are mapped to DeviceError codes.
 */
import { Parser } from '@devicefarmer/adbkit';
import { DeviceError, type DeviceErrorCode } from '../device';
import { formatDuration } from '../../shared/durations';

export interface GuardContext {
  /** Runs `fn` if the call is cut off (timeout or abort), or at once if it already was. */
  onCancel(fn: () => void): void;
  /** True once the call has been cut off; the body should stop doing work. */
  readonly cancelled: boolean;
}

export interface GuardOptions {
  /** What the call does, for messages: `screenshot`, `shell 'wm size'`. */
  what: string;
  serial?: string;
  timeoutMs: number;
  /**
   * Cuts the call off when it fires. Several signals (a caller's and a device's own) are listened to directly, for
   * the call's duration only: `AbortSignal.any` would tie a composite signal to a long-lived one through a WeakRef,
   * which keeps the call's whole closure (sockets, multi-megabyte frames) alive through every young-generation
   * collection and costs a full mark-compact per screenshot.
   */
  signal?: AbortSignal | readonly AbortSignal[];
}

/**
 * Runs `body` under a deadline and an optional AbortSignal.
 * @throws DeviceError('timeout') after `timeoutMs`, DeviceError('aborted') when the signal fires, otherwise the
 *   body's error mapped by {@link toDeviceError}.
 */
export function guardCall<T>(opts: GuardOptions, body: (ctx: GuardContext) => Promise<T>): Promise<T> {
  const { what, serial } = opts;
  const signals: readonly AbortSignal[] = opts.signal === undefined ? [] : Array.isArray(opts.signal) ? opts.signal : [opts.signal as AbortSignal];
  const abortError = (signal: AbortSignal): DeviceError =>
    signal.reason instanceof DeviceError ? signal.reason : new DeviceError('aborted', `${what} aborted`, serial, { cause: signal.reason });
  const already = signals.find((s) => s.aborted);
  if (already) {
    return Promise.reject(abortError(already));
  }
  return new Promise<T>((resolve, reject) => {
    const cleanups: Array<() => void> = [];
    let done = false;
    let cancelled = false;
    const ctx: GuardContext = {
      onCancel(fn) {
        if (cancelled) {
          runQuietly(fn);
        } else if (!done) {
          cleanups.push(fn);
        }
      },
      get cancelled() {
        return cancelled;
      },
    };
    const finish = () => {
      done = true;
      clearTimeout(timer);
      for (const s of signals) {
        s.removeEventListener('abort', onAbort);
      }
    };
    const cutOff = (err: DeviceError) => {
      if (done) {
        return;
      }
      finish();
      cancelled = true;
      for (const fn of cleanups.splice(0)) {
        runQuietly(fn);
      }
      reject(err);
    };
    const timeoutMs = Math.max(0, opts.timeoutMs);
    const timer = setTimeout(() => cutOff(new DeviceError('timeout', `${what} timed out after ${formatDuration(timeoutMs)} (its timeout)`, serial)), timeoutMs);
    // A DeviceError as the abort reason is passed on as is (closing a device aborts its calls with 'offline').
    const onAbort = (ev: Event) => cutOff(abortError(ev.target as AbortSignal));
    for (const s of signals) {
      s.addEventListener('abort', onAbort, { once: true });
    }
    let p: Promise<T>;
    try {
      p = Promise.resolve(body(ctx));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (v) => {
        if (!done) {
          finish();
          cleanups.length = 0;
          resolve(v);
        }
      },
      (e: unknown) => {
        if (!done) {
          finish();
          // A failing body may leave sockets open (for example a parse error mid-stream): close them too.
          for (const fn of cleanups.splice(0)) {
            runQuietly(fn);
          }
          reject(toDeviceError(e, what, serial));
        }
      },
    );
  });
}

function runQuietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // cleanup must never throw into the caller
  }
}

const OFFLINE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/** Messages of the adb server (FAIL replies) that mean the device is not there (any more). */
const OFFLINE_MESSAGE = /device (?:'[^']*' )?not found|device offline|device unauthorized|no devices?(?:\/emulators)? found|closed|connection reset|connection closed|transport .*not found|cannot connect|failed to connect|unable to connect/i;

/** Maps anything thrown by adbkit, a socket or our own code to a DeviceError. */
export function toDeviceError(e: unknown, what: string, serial?: string): DeviceError {
  if (e instanceof DeviceError) {
    return e;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const errno = (err as NodeJS.ErrnoException).code;
  let code: DeviceErrorCode;
  if (errno && OFFLINE_ERRNO.has(errno)) {
    code = 'offline';
  } else if (err instanceof Parser.PrematureEOFError) {
    code = 'offline';
  } else if (err instanceof Parser.UnexpectedDataError) {
    code = 'protocol';
  } else if (err instanceof Parser.FailError) {
    code = OFFLINE_MESSAGE.test(err.message) ? 'offline' : 'command-failed';
  } else if (OFFLINE_MESSAGE.test(err.message)) {
    code = 'offline';
  } else {
    code = 'command-failed';
  }
  return new DeviceError(code, `${what}: ${err.message}`, serial, { cause: err });
}
