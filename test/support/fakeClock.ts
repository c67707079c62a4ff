/** A deterministic clock for unit tests: time moves only when the test (or a sleeper) advances it. */
import type { Clock } from '../../src/shared/ports';

interface Sleeper {
  at: number;
  resolve: () => void;
  reject: (e: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class FakeClock implements Clock {
  private t = 0;
  private sleepers: Sleeper[] = [];
  /** When true, a sleep with nobody else to run advances time by itself (keeps async code flowing). */
  constructor(private readonly autoAdvance = true, private readonly epoch = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.t;
  }

  wallNow(): Date {
    return new Date(this.epoch + this.t);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      const s: Sleeper = { at: this.t + Math.max(0, ms), resolve, reject, signal };
      if (signal) {
        s.onAbort = () => {
          this.sleepers = this.sleepers.filter((x) => x !== s);
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        signal.addEventListener('abort', s.onAbort, { once: true });
      }
      this.sleepers.push(s);
      if (this.autoAdvance) {
        // Let other microtasks register their sleeps first, then jump to the earliest deadline.
        setImmediate(() => this.runNext());
      }
    });
  }

  /** Advance time by `ms`, waking every sleeper whose deadline passes, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > target) {
        break;
      }
      this.wake(next);
      await new Promise((r) => setImmediate(r));
    }
    this.t = target;
  }

  private earliest(): Sleeper | undefined {
    return this.sleepers.reduce<Sleeper | undefined>((a, b) => (!a || b.at < a.at ? b : a), undefined);
  }

  private wake(s: Sleeper): void {
    this.sleepers = this.sleepers.filter((x) => x !== s);
    if (s.signal && s.onAbort) {
      s.signal.removeEventListener('abort', s.onAbort);
    }
    this.t = Math.max(this.t, s.at);
    s.resolve();
  }

  private runNext(): void {
    const next = this.earliest();
    if (next) {
      this.wake(next);
    }
  }
}
