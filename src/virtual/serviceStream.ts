/**
 * One open device service (`shell:...`, `exec:...`, `sync:`), independent of how it is carried: an ADB transport
 * stream (`adbd.ts`) or a plain socket of the embedded host endpoint (`hostEndpoint.ts`).
 */
import { Emitter, type Event } from '../shared/lifecycle';
import { FleetError } from '../shared/errors';

export interface ServiceStream {
  /**
   * Sends bytes to the host. Buffers are sent as they are (never copied); the promise resolves when the stream
   * can take more (flow control). Writing to a closed stream drops the data and resolves.
   */
  write(data: Buffer | readonly Buffer[]): Promise<void>;
  /** Closes the stream from the device side once everything written has been sent. */
  end(): Promise<void>;
  /** Data from the host. Service handlers must subscribe synchronously inside `handleService`. */
  readonly onDidReceiveData: Event<Buffer>;
  /** Aborted when the stream closes for any reason (host closed it, connection dropped, `end`). */
  readonly signal: AbortSignal;
  readonly closed: boolean;
}

/** Shared plumbing for stream implementations: the data emitter and the close signal. */
export abstract class ServiceStreamBase implements ServiceStream {
  protected readonly _onDidReceiveData = new Emitter<Buffer>();
  readonly onDidReceiveData: Event<Buffer> = this._onDidReceiveData.event;
  private readonly abort = new AbortController();

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  abstract write(data: Buffer | readonly Buffer[]): Promise<void>;
  abstract end(): Promise<void>;

  /** Marks the stream closed (idempotent) and wakes everything waiting on it. */
  protected markClosed(reason: string): void {
    if (!this.abort.signal.aborted) {
      this.abort.abort(new StreamClosedError(reason));
      this._onDidReceiveData.dispose();
    }
  }
}

export class StreamClosedError extends FleetError<'stream-closed'> {
  constructor(reason: string) {
    super('stream-closed', `stream closed: ${reason}`);
    this.name = 'StreamClosedError';
  }
}

/** Normalises `write` input to a list of non-empty buffers. */
export function toParts(data: Buffer | readonly Buffer[]): Buffer[] {
  const list = Buffer.isBuffer(data) ? [data] : data;
  return list.filter((b) => b.length > 0);
}

/** A stream that collects output in memory; for tests and in-process callers. */
export class MemoryServiceStream extends ServiceStreamBase {
  readonly chunks: Buffer[] = [];
  private ended = false;

  write(data: Buffer | readonly Buffer[]): Promise<void> {
    if (!this.closed) {
      this.chunks.push(...toParts(data));
    }
    return Promise.resolve();
  }

  end(): Promise<void> {
    this.ended = true;
    this.markClosed('ended by device');
    return Promise.resolve();
  }

  /** True when the device side ended the stream (not the host). */
  get endedByDevice(): boolean {
    return this.ended;
  }

  /** Feeds host data to the service. */
  send(data: Buffer | string): void {
    this._onDidReceiveData.fire(typeof data === 'string' ? Buffer.from(data) : data);
  }

  /** The host closes the stream. */
  closeFromHost(): void {
    this.markClosed('closed by host');
  }

  output(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
