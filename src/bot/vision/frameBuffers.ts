/**
 * Recycled shared memory for frames. Every captured frame is copied once into a SharedArrayBuffer that all matcher
 * workers read; allocating a fresh multi-megabyte buffer per frame churns the garbage collector (pauses of tens of
 * milliseconds at 1080x1920), so slots are reused once no job reads them any more.
 */

/** One reusable shared buffer. */
export interface FrameSlot {
  readonly bytes: Uint8Array;
  /** Jobs posted with this slot's pixels that have not finished. The slot is not reused while any is pending. */
  inflight: number;
  lastUsed: number;
  /** Never written yet: its pages are not mapped, so the first copy is slow (see `copyInto`). */
  fresh: boolean;
  /**
   * Incremented each time the slot is handed out: a holder that remembers the generation it got can tell whether
   * the slot still holds its frame (cheaper for the garbage collector than a callback holding a WeakRef).
   */
  generation: number;
  /** Called when the slot is handed to another frame (the previous frame must be prepared again). */
  onReuse?: () => void;
}

export class FrameBuffers {
  private readonly slots = new Map<number, FrameSlot[]>();
  private tick = 0;

  /** @param maxPerSize slots kept per frame byte size; more are created only while all are busy. */
  constructor(private readonly maxPerSize = 16) {}

  /** A slot of `byteLength` bytes: a new one while under the limit, else the least recently used idle one. */
  acquire(byteLength: number): FrameSlot {
    let list = this.slots.get(byteLength);
    if (!list) {
      list = [];
      this.slots.set(byteLength, list);
    }
    let slot: FrameSlot | undefined;
    if (list.length >= this.maxPerSize) {
      for (const s of list) {
        if (s.inflight === 0 && (!slot || s.lastUsed < slot.lastUsed)) {
          slot = s;
        }
      }
    }
    if (slot) {
      const previous = slot.onReuse;
      slot.onReuse = undefined;
      previous?.();
    } else {
      slot = { bytes: new Uint8Array(new SharedArrayBuffer(byteLength)), inflight: 0, lastUsed: 0, fresh: true, generation: 0 };
      list.push(slot);
    }
    slot.generation++;
    this.touch(slot);
    return slot;
  }

  /** Marks a slot as recently used (kept longer before reuse). */
  touch(slot: FrameSlot): void {
    slot.lastUsed = ++this.tick;
  }

  /** Bytes held, for diagnostics. */
  get bytes(): number {
    let n = 0;
    for (const [len, list] of this.slots) {
      n += len * list.length;
    }
    return n;
  }
}

/** Bytes copied per event-loop turn into a fresh slot (its pages are faulted in by this first write). */
const FRESH_CHUNK = 512 * 1024;
/** Bytes copied per event-loop turn into a recycled slot (pages already mapped: about 0.2 ms per chunk). */
const WARM_CHUNK = 2 * 1024 * 1024;

/**
 * Copies `data` into the slot without blocking the caller's event loop for long. A fresh slot's first write
 * faults in every page (several milliseconds per 8 MB frame, tens under memory pressure), so it is copied in
 * 512 KiB chunks with a turn of the event loop between them; a recycled slot is copied at once when the frame is
 * at most 2 MiB (540x960 RGBA: well under a millisecond), else in 2 MiB chunks (a 1080x1920 frame takes four
 * turns instead of one 1-2 ms block). Returns undefined when the copy is complete; while it runs, the slot counts
 * as in flight (never recycled).
 */
export function copyInto(slot: FrameSlot, data: Uint8Array): Promise<void> | undefined {
  const chunk = slot.fresh ? FRESH_CHUNK : WARM_CHUNK;
  if (data.byteLength <= chunk) {
    slot.bytes.set(data);
    slot.fresh = false;
    return undefined;
  }
  slot.inflight++;
  return (async () => {
    try {
      for (let off = 0; off < data.byteLength; off += chunk) {
        slot.bytes.set(data.subarray(off, Math.min(data.byteLength, off + chunk)), off);
        if (off + chunk < data.byteLength) {
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      slot.fresh = false;
    } finally {
      slot.inflight--;
    }
  })();
}
