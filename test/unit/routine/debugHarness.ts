/** Shared set-up of the debugger tests: a harness with a debugger attached and queues of its events. */
import type { DebugAttachOptions, DebugEndEvent, DebugOutputEvent, DebugStopEvent, RoutineDebugger } from '../../../src/bot/routine/debug';
import type { RoutineEvent } from '../../../src/shared/routineEvents';
import { harness, type Harness, type HarnessOptions } from './interpreterHarness';

/** Routine text from lines (line N of the file is lines[N-1]). */
export function y(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** Events in order, awaited one by one (resolves at once when one is already queued). */
export class Queue<T> {
  readonly all: T[] = [];
  private read = 0;
  private waiters: Array<() => void> = [];

  push(e: T): void {
    this.all.push(e);
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  async next(): Promise<T> {
    while (this.read >= this.all.length) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.all[this.read++];
  }

  /** Events not read yet. */
  get pending(): T[] {
    return this.all.slice(this.read);
  }
}

export interface DebugHarness extends Harness {
  dbg: RoutineDebugger;
  stops: Queue<DebugStopEvent>;
  outputs: Queue<DebugOutputEvent>;
  ends: Queue<DebugEndEvent>;
  /** The next stop, as `line` (1-based) and reason. */
  stop(): Promise<DebugStopEvent & { line: number }>;
  /** Resolves with the first routine event (already emitted or to come) that matches. */
  event(match: (e: RoutineEvent) => boolean): Promise<RoutineEvent>;
}

export function debugHarness(o: HarnessOptions, attach: DebugAttachOptions = {}): DebugHarness {
  const h = harness(o);
  const dbg = h.interp.attachDebugger(attach);
  const stops = new Queue<DebugStopEvent>();
  const outputs = new Queue<DebugOutputEvent>();
  const ends = new Queue<DebugEndEvent>();
  dbg.onDidStop((e) => stops.push(e));
  dbg.onDidOutput((e) => outputs.push(e));
  dbg.onDidEnd((e) => ends.push(e));
  return {
    ...h,
    dbg,
    stops,
    outputs,
    ends,
    stop: async () => {
      const e = await stops.next();
      return { ...e, line: e.location.range.start.line };
    },
    event: (match) => {
      const done = h.events.find(match);
      if (done) {
        return Promise.resolve(done);
      }
      return new Promise((resolve) => {
        const sub = h.interp.onDidEmit((e) => {
          if (match(e)) {
            sub.dispose();
            resolve(e);
          }
        });
      });
    },
  };
}
