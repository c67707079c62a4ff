/** The record of every input the virtual device delivered to its app (`vdev inputlog`), for tests. */
export type InputRecord =
  | { kind: 'tap'; x: number; y: number }
  | { kind: 'swipe'; x1: number; y1: number; x2: number; y2: number; durationMs: number }
  | { kind: 'longpress'; x: number; y: number; durationMs: number }
  /** `text` exactly as delivered to the app; `via` tells `input text` from the ADBKeyboard broadcast. */
  | { kind: 'text'; text: string; via: 'input' | 'broadcast' }
  | { kind: 'key'; code: number; name?: string };

export type TimedInputRecord = InputRecord & { seq: number; at: number };

export class InputLog {
  private readonly items: TimedInputRecord[] = [];
  private seq = 0;

  constructor(
    private readonly now: () => number = () => performance.now(),
    /** Oldest records are dropped beyond this many. */
    private readonly capacity = 10_000,
  ) {}

  record(r: InputRecord): TimedInputRecord {
    const item = Object.freeze({ ...r, seq: ++this.seq, at: Math.round(this.now()) }) as TimedInputRecord;
    this.items.push(item);
    if (this.items.length > this.capacity) {
      this.items.splice(0, this.items.length - this.capacity);
    }
    return item;
  }

  /** A snapshot of the records, oldest first. */
  entries(): TimedInputRecord[] {
    return this.items.slice();
  }

  clear(): void {
    this.items.length = 0;
  }

  get size(): number {
    return this.items.length;
  }
}
