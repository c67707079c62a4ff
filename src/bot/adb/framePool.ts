/**
 * Recycled capture memory of one device. Raw screenshots are written straight from the socket into buffers of
 * this pool and handed out as frames with a {@link FrameLease}; the contract (what stays valid, how long, and how
 * to keep a frame longer) is documented on FrameLease in `../device`.
 *
 * Why: a raw 1080x1920 frame is 8 MB. A fresh buffer per capture makes V8 account 8 MB of external memory per
 * frame, which triggers a full mark-compact every frame or two (several ms of main-thread pause each); reusing a
 * few buffers per device takes that cost away.
 *
 * How a buffer is recycled: the memory stays, but the ArrayBuffer object that frames' views point into is
 * detached (transferred, zero-copy) and replaced by a new one over the same memory. Every view a consumer still
 * holds on the old frame becomes zero bytes long, so reading a recycled frame yields nothing instead of another
 * frame's pixels, and native code given a detached view gets no pointer at all.
 *
 * A V8 detail the capture path must respect: the ArrayBuffer objects made by recycling are young, and while more
 * than 32 MB of memory hangs off young ArrayBuffers (twice V8's largest semi-space), V8 runs a scavenge at
 * *every* allocation of memory outside its heap (a new Buffer, a socket chunk, a small typed array handed to native
 * code). So the capture path allocates none per frame: the socket reads straight into pooled memory, and header
 * and status buffers are reused. The default of 2 kept frames (3 buffers, 25 MB at 1080x1920) also keeps one
 * device's pool under that threshold, so allocations elsewhere in the process (adbkit's socket chunks, PNG
 * decoding) do not turn into scavenges either; several 1080x1920 devices in one process do cross it, and each
 * such scavenge is short (the benchmark's GC figure includes them).
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { FrameRecycledError, type FrameLease } from '../device';

/**
 * Moves an ArrayBuffer's memory to a new ArrayBuffer object through a message port (zero-copy, about a
 * microsecond): the old object and every view on it are detached.
 */
class Detacher {
  private channel: MessageChannel | undefined;

  detach(buf: ArrayBuffer): ArrayBuffer {
    if (!this.channel) {
      this.channel = new MessageChannel();
      this.channel.port1.unref();
      this.channel.port2.unref();
    }
    this.channel.port1.postMessage(buf, [buf]);
    const moved = receiveMessageOnPort(this.channel.port2)?.message as unknown;
    if (!(moved instanceof ArrayBuffer)) {
      throw new Error('frame memory could not be recycled (the transfer failed)');
    }
    return moved;
  }

  close(): void {
    this.channel?.port1.close();
    this.channel?.port2.close();
    this.channel = undefined;
  }
}

/** Frames of a device kept valid without any call (see FrameLease). */
export const DEFAULT_KEEP_FRAMES = 2;

/** Memory handed out by {@link FramePool.acquire}: a capture writes into `bytes`. */
export interface PoolBuffer {
  /** The whole buffer; a new view object each time the memory is handed out again. */
  readonly bytes: Uint8Array;
  readonly byteLength: number;
}

type SlotState = 'writing' | 'frame' | 'free';

class Slot implements PoolBuffer {
  /** The current (never detached) ArrayBuffer over this slot's memory. */
  buffer: ArrayBuffer;
  bytes: Uint8Array;
  state: SlotState = 'writing';
  /** Capture sequence number of the frame it holds (state 'frame'). */
  seq = 0;
  retains = 0;
  /** The capturer released its frame early. */
  released = false;
  /** Incremented each time the memory is handed out: a lease of an older generation is stale. */
  generation = 0;

  constructor(readonly byteLength: number) {
    this.buffer = new ArrayBuffer(byteLength);
    this.bytes = new Uint8Array(this.buffer);
  }

  /** Detaches every view of the previous frame and opens the memory for the next one. */
  recycle(detacher: Detacher): void {
    this.buffer = detacher.detach(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
    this.generation++;
    this.state = 'writing';
    this.retains = 0;
    this.released = false;
  }
}

class SlotLease implements FrameLease {
  constructor(
    private readonly slot: Slot,
    private readonly generation: number,
    private readonly frameId: number,
  ) {}

  get valid(): boolean {
    return this.slot.generation === this.generation;
  }

  retain(): () => void {
    if (!this.valid) {
      throw new FrameRecycledError(this.frameId);
    }
    const slot = this.slot;
    slot.retains++;
    let done = false;
    return () => {
      if (!done) {
        done = true;
        slot.retains--;
      }
    };
  }

  release(): void {
    if (this.valid) {
      this.slot.released = true;
    }
  }
}

export interface FramePoolStats {
  /** Buffers held. */
  buffers: number;
  bytes: number;
  /** Buffers holding a frame that something retains. */
  retained: number;
}

export class FramePool {
  /** Slots by byte length (a device's frames all have the same size, except while the screen rotates). */
  private readonly slots = new Map<number, Slot[]>();
  private published = 0;
  private disposed = false;
  private readonly detacher = new Detacher();
  /** Reusable 12-byte buffers for raw headers (see {@link borrowHead}). */
  private readonly heads: Uint8Array[] = [];

  /** @param keep the most recent frames always kept valid (at least 1). */
  constructor(readonly keep = DEFAULT_KEEP_FRAMES) {
    if (!Number.isInteger(keep) || keep < 1) {
      throw new RangeError(`keepFrames must be a positive integer, got ${keep}`);
    }
  }

  /**
   * Memory of `byteLength` bytes for a capture to write into: a free buffer, else the oldest frame that is neither
   * retained nor among the `keep` most recent (its views are detached first), else a new buffer.
   */
  acquire(byteLength: number): PoolBuffer {
    if (this.disposed) {
      return new Slot(byteLength);
    }
    let list = this.slots.get(byteLength);
    if (!list) {
      list = [];
      this.slots.set(byteLength, list);
    }
    let pick: Slot | undefined;
    for (const s of list) {
      if (s.state === 'free') {
        pick = s;
        break;
      }
      if (s.state === 'frame' && s.retains === 0 && (s.released || this.published - s.seq >= this.keep) && (!pick || s.seq < pick.seq)) {
        pick = s;
      }
    }
    if (pick) {
      if (pick.state === 'frame') {
        pick.recycle(this.detacher);
      } else {
        pick.state = 'writing';
      }
      return pick;
    }
    const slot = new Slot(byteLength);
    list.push(slot);
    return slot;
  }

  /** The capture in `buf` is complete: it becomes the newest frame, under the returned lease. */
  publish(buf: PoolBuffer, frameId: number): FrameLease {
    const slot = this.own(buf);
    slot.state = 'frame';
    slot.seq = ++this.published;
    return new SlotLease(slot, slot.generation, frameId);
  }

  /** Memory that never became a frame (a conversion's staging buffer) is reusable at once. */
  giveBack(buf: PoolBuffer): void {
    const slot = this.own(buf);
    slot.state = 'free';
  }

  /**
   * A capture that failed: its memory leaves the pool for good (the garbage collector frees it), since a cut-off
   * socket might still have been handed it.
   */
  discard(buf: PoolBuffer): void {
    const slot = this.own(buf);
    const list = this.slots.get(slot.byteLength);
    const i = list?.indexOf(slot) ?? -1;
    if (list && i >= 0) {
      list.splice(i, 1);
    }
  }

  /**
   * A 12-byte buffer for a raw header, to give back with {@link returnHead}. Reused: a socket handed a small new
   * array per capture would make V8 allocate a backing store for it, which triggers a scavenge whenever recycled
   * frame memory is young.
   */
  borrowHead(): Uint8Array {
    return this.heads.pop() ?? new Uint8Array(new ArrayBuffer(12));
  }

  returnHead(head: Uint8Array): void {
    if (this.heads.length < 4 && !this.disposed) {
      this.heads.push(head);
    }
  }

  stats(): FramePoolStats {
    let buffers = 0;
    let bytes = 0;
    let retained = 0;
    for (const [len, list] of this.slots) {
      buffers += list.length;
      bytes += len * list.length;
      retained += list.filter((s) => s.retains > 0).length;
    }
    return { buffers, bytes, retained };
  }

  /** Forgets every buffer (frames already handed out stay valid); later acquisitions are not pooled. */
  dispose(): void {
    this.disposed = true;
    this.slots.clear();
    this.heads.length = 0;
    this.detacher.close();
  }

  private own(buf: PoolBuffer): Slot {
    if (!(buf instanceof Slot)) {
      throw new TypeError('not a buffer of this pool');
    }
    return buf;
  }
}
