/**
 * Shows a bot's frames on a canvas without flicker: each frame is decoded off the main thread
 * (createImageBitmap) and drawn only once decoded, so the previous image stays until the next one is ready.
 * At most one decode is in flight per sink; a frame that arrives meanwhile waits, and a newer one replaces it.
 */
import type { Size } from '../shared/geometry';
import type { FrameImage } from '../shared/monitorProtocol';

export interface ShownFrame {
  frame: number;
  time: number;
  width: number;
  height: number;
  device: Size;
}

function base64Bytes(s: string): Uint8Array {
  const comma = s.startsWith('data:') ? s.indexOf(',') : -1;
  const bin = atob(comma >= 0 ? s.slice(comma + 1) : s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) {
    out[i] = bin.charCodeAt(i);
  }
  return out;
}

/** Decodes an encoded frame into a bitmap (rejects on a corrupt image). */
export function decodeFrame(f: Pick<FrameImage, 'data' | 'mime'>): Promise<ImageBitmap> {
  const bytes = typeof f.data === 'string' ? base64Bytes(f.data) : f.data;
  return createImageBitmap(new Blob([bytes as BlobPart], { type: f.mime }));
}

export class FrameSink {
  private busy = false;
  private queued: { f: FrameImage; done: () => void } | undefined;
  private disposed = false;
  private _shown: ShownFrame | undefined;
  /** Frames decoded and drawn, for tests and diagnostics. */
  drawn = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onShown: (f: ShownFrame) => void,
    private readonly onError: (message: string) => void,
  ) {}

  get shown(): ShownFrame | undefined {
    return this._shown;
  }

  /** Resolves once the frame is drawn, dropped for a newer one, or failed to decode. */
  show(f: FrameImage): Promise<void> {
    return new Promise((done) => {
      if (this.disposed) {
        done();
        return;
      }
      if (this.busy) {
        this.queued?.done();
        this.queued = { f, done };
        return;
      }
      void this.run(f, done);
    });
  }

  private async run(f: FrameImage, done: () => void): Promise<void> {
    this.busy = true;
    try {
      const bmp = await decodeFrame(f);
      try {
        if (!this.disposed) {
          if (this.canvas.width !== bmp.width || this.canvas.height !== bmp.height) {
            this.canvas.width = bmp.width;
            this.canvas.height = bmp.height;
          }
          this.canvas.getContext('2d')?.drawImage(bmp, 0, 0);
          this.drawn++;
          this.canvas.dataset.frame = String(f.frame);
          this._shown = { frame: f.frame, time: f.time, width: bmp.width, height: bmp.height, device: f.device };
          this.onShown(this._shown);
        }
      } finally {
        bmp.close();
      }
    } catch (e) {
      this.onError(`frame ${f.frame} could not be decoded: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.busy = false;
      done();
      const q = this.queued;
      this.queued = undefined;
      if (q) {
        void this.run(q.f, q.done);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.queued?.done();
    this.queued = undefined;
  }
}
