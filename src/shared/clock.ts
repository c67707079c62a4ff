/** The real clock: plain JavaScript timers (no Node API), usable by the core, the host and the webview. */
import type { Clock } from './ports';

export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }
  wallNow(): Date {
    return new Date();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return abortableSleep(ms, signal);
  }
}

/** Resolves after `ms`; rejects with the signal's reason (as an Error) when aborted. */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** An aborted signal's reason as an Error. */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'aborted'));
}
