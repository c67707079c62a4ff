/**
 * The routine's own time: the injected clock minus the time a debugger held the run stopped. Everything a routine
 * measures runs on it (waits and their deadlines, step timeouts, retry backoffs, stuck detection, sentry
 * schedules, `elapsed`, `${now}`, step durations), so a routine stopped in a debugger for ten minutes resumes
 * exactly where it was: a wait goes on for its remainder, no step times out, no sentry or stuck rung is overdue.
 * Wall-clock time (`wallNow`) is the injected clock's.
 */
import type { Clock } from '../../shared/ports';

export class RoutineClock implements Clock {
  /** Time spent suspended before the current suspension (ms of the injected clock). */
  private held = 0;
  private heldSince: number | undefined;
  private waiters: Array<() => void> = [];

  constructor(readonly real: Clock) {}

  now(): number {
    const t = this.real.now();
    return t - this.held - (this.heldSince === undefined ? 0 : t - this.heldSince);
  }

  wallNow(): Date {
    return this.real.wallNow();
  }

  /** True while suspended (routine time stands still). */
  get suspended(): boolean {
    return this.heldSince !== undefined;
  }

  /** Routine time stops until {@link resume}. Idempotent. */
  suspend(): void {
    if (this.heldSince === undefined) {
      this.heldSince = this.real.now();
    }
  }

  /** Routine time runs again; sleepers waiting for it go on. Idempotent. */
  resume(): void {
    if (this.heldSince === undefined) {
      return;
    }
    this.held += this.real.now() - this.heldSince;
    this.heldSince = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      w();
    }
  }

  /** Resolves when routine time runs (at once when it does); rejects when `signal` aborts first. */
  whenRunning(signal?: AbortSignal): Promise<void> {
    if (this.heldSince === undefined) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(abortError(signal!));
      };
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(done);
    });
  }

  /**
   * Sleeps `ms` of routine time: a suspension in between extends the sleep by its length (the remainder is slept
   * once time runs again). Rejects when `signal` aborts.
   */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0) {
      // Keep the injected clock's meaning of a zero sleep (a turn of its scheduler).
      await this.real.sleep(0, signal);
      return;
    }
    const end = this.now() + ms;
    for (;;) {
      await this.whenRunning(signal);
      const remaining = end - this.now();
      if (remaining <= 0) {
        return;
      }
      await this.real.sleep(remaining, signal);
    }
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
