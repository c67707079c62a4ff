/** A FIFO of received byte chunks that the incremental protocol parsers read whole pieces from. */

/** Received chunks, read back as pieces of `n` bytes; zero-copy whenever a piece lies within one chunk. */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Bytes held. */
  get length(): number {
    return this.buffered;
  }

  /** Appends a received chunk (empty chunks are ignored). */
  push(chunk: Buffer): void {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
  }

  /** The first `n` bytes without removing them; the caller checks that `n <= length`. */
  peek(n: number): Buffer {
    if (this.chunks[0].length >= n) {
      return this.chunks[0].subarray(0, n);
    }
    return Buffer.concat(this.chunks).subarray(0, n);
  }

  /** Removes and returns the first `n` bytes; the caller checks that `0 < n <= length`. */
  take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) {
        this.chunks.shift();
      } else {
        this.chunks[0] = first.subarray(n);
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) {
          this.chunks.shift();
        } else {
          this.chunks[0] = c.subarray(k);
        }
      }
    }
    this.buffered -= n;
    return out;
  }
}
