/**
 * Coalesces bursts of changes into at most one flush per interval: the first change of a quiet period flushes on
 * the next tick, later ones wait for the interval to pass since the last flush. No vscode import (unit-tested).
 */

export interface TimerPort {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: TimerPort = {
  now: () => performance.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Throttle {
  private handle: unknown;
  private last = Number.NEGATIVE_INFINITY;
  private disposed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly flush: () => void,
    private readonly timers: TimerPort = realTimers,
  ) {}

  /** Something changed: flush once the interval since the last flush has passed. */
  poke(): void {
    if (this.disposed || this.handle !== undefined) {
      return;
    }
    const wait = Math.max(0, this.last + this.intervalMs - this.timers.now());
    this.handle = this.timers.set(() => {
      this.handle = undefined;
      this.last = this.timers.now();
      this.flush();
    }, wait);
  }

  dispose(): void {
    this.disposed = true;
    if (this.handle !== undefined) {
      this.timers.clear(this.handle);
      this.handle = undefined;
    }
  }
}
