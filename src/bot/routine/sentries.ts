/**
 * Sentry scheduling. Each running routine registers its sentries (a stack: a called routine's sentries are added
 * on top of its caller's, which keep running). The interpreter asks at every safe point (step boundaries and the
 * polls of waits) which sentries are due; their conditions are checked on the shared frame, and one that holds
 * runs its steps with exclusive use of the device while the routine is paused there.
 */
import type { LoadedSentry } from './loadedTypes';

export interface ActiveSentry {
  readonly def: LoadedSentry;
  /** The routine invocation that declared it (a `restart` restarts that one). */
  readonly owner: object;
  readonly everyMs: number;
  readonly cooldownMs: number;
  /** Clock time of the next check. */
  nextDue: number;
  /** How many times it fired in this run. */
  fired: number;
}

export class SentryScheduler {
  private readonly active: ActiveSentry[] = [];

  /** Adds the sentries of a routine invocation; each is first checked at `firstDue` (default: now). */
  push(owner: object, defs: ReadonlyArray<{ def: LoadedSentry; everyMs: number; cooldownMs: number }>, now: number): void {
    for (const d of defs) {
      this.active.push({ def: d.def, owner, everyMs: Math.max(1, d.everyMs), cooldownMs: d.cooldownMs, nextDue: now, fired: 0 });
    }
  }

  /** Removes the sentries of a routine invocation (it ended). */
  pop(owner: object): void {
    for (let i = this.active.length - 1; i >= 0; i--) {
      if (this.active[i].owner === owner) {
        this.active.splice(i, 1);
      }
    }
  }

  get size(): number {
    return this.active.length;
  }

  /** Sentries due at `now`, outermost routine first, in declaration order. */
  due(now: number): ActiveSentry[] {
    return this.active.filter((s) => s.nextDue <= now);
  }

  /** Earliest time a sentry is due, or undefined when none is registered. */
  nextDue(): number | undefined {
    let t: number | undefined;
    for (const s of this.active) {
      if (t === undefined || s.nextDue < t) {
        t = s.nextDue;
      }
    }
    return t;
  }

  /** The condition was checked (and did not hold). */
  checked(s: ActiveSentry, now: number): void {
    s.nextDue = now + s.everyMs;
  }

  /** The sentry fired and its steps finished at `now`. */
  firedAt(s: ActiveSentry, now: number): void {
    s.fired++;
    s.nextDue = now + Math.max(s.everyMs, s.cooldownMs);
  }
}
