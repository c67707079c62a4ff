/**
 * A pool of worker threads running the matcher, so callers await results and their event loop never blocks on
 * OpenCV. Frames and template images travel as views over SharedArrayBuffers (shared, not copied); jobs for a
 * frame go preferably to a worker that already converted it. Idle workers are unref'd (a CLI exits promptly)
 * and terminated after `idleTimeoutMs`.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Disposable } from '../../shared/lifecycle';
import { findWorkerEntry, type WorkerEntry } from '../workerEntry';
import type { Logger } from '../../shared/ports';
import type { MatchPlan } from './matchPlan';
import type { MatcherStats, PixelsRef } from './matcher';
import { VisionError } from './visionError';
import type { MatchReply, WorkerReply, WorkerRequest } from './workerProtocol';

export type { WorkerEntry } from '../workerEntry';

/** The vision worker: `visionWorker.js` next to this code when bundled; from TypeScript sources, `matchWorker.ts` through tsx. */
export function resolveWorkerEntry(dir: string = __dirname): WorkerEntry {
  const entry = findWorkerEntry(dir, 'visionWorker.js', 'matchWorker.ts');
  if (!entry) {
    throw new VisionError('worker-failed', `the vision worker is missing: neither ${path.join(dir, 'visionWorker.js')} nor ${path.join(dir, 'matchWorker.ts')} exists`);
  }
  return entry;
}

export interface MatcherPoolOptions {
  /** Worker count; default max(1, cores - 1). */
  size?: number;
  /** Idle workers are terminated after this long (ms); 0 keeps them. Default 60000. */
  idleTimeoutMs?: number;
  /** Jobs posted to one worker at a time (the rest wait in the pool's queue). Default 2. */
  maxInFlightPerWorker?: number;
  logger?: Logger;
  /** Override the worker entry (tests). */
  entry?: WorkerEntry;
}

interface Job {
  id: number;
  msg: WorkerRequest;
  frameKey?: string | number;
  resolve: (r: WorkerReply) => void;
  reject: (e: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  slot?: Slot;
}

interface Slot {
  worker: Worker;
  inflight: Map<number, Job>;
  /** Frame keys recently sent to this worker (mirrors its frame cache). */
  frames: Array<string | number>;
  idleTimer?: NodeJS.Timeout;
  dead: boolean;
}

/** Default pool size: one worker per core, leaving one core to the caller. */
export function defaultPoolSize(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, cores - 1);
}

export class MatcherPool implements Disposable {
  readonly size: number;
  private readonly idleTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly entry: WorkerEntry | undefined;
  private readonly logger: Logger | undefined;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private disposed = false;

  constructor(opts: MatcherPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.size ?? defaultPoolSize()));
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
    this.maxInFlight = Math.max(1, opts.maxInFlightPerWorker ?? 2);
    this.entry = opts.entry;
    this.logger = opts.logger;
  }

  /** Live workers. */
  get workerCount(): number {
    return this.slots.length;
  }

  /** Jobs waiting for a worker (not yet posted). */
  get queued(): number {
    return this.queue.length;
  }

  /** Runs one match in a worker. Rejects with VisionError (`aborted`, `disposed`, `worker-failed`, or the worker's). */
  async match(frame: PixelsRef, image: PixelsRef, plan: MatchPlan, signal?: AbortSignal): Promise<MatchReply> {
    const id = this.nextId++;
    const reply = await this.enqueue({ type: 'match', id, frame, image, plan }, signal, frame.key);
    return reply as MatchReply;
  }

  /** Matcher statistics of every live worker (heap size, caches, match count). */
  async stats(): Promise<MatcherStats[]> {
    const replies = await Promise.all(this.slots.map((s) => this.direct(s, { type: 'stats', id: this.nextId++ })));
    return replies.map((r) => (r.type === 'stats' ? r.stats : undefined)).filter((s): s is MatcherStats => s !== undefined);
  }

  /** Frees the cached frames and templates of every worker. */
  async clearCaches(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.direct(s, { type: 'clear', id: this.nextId++ })));
    for (const s of this.slots) {
      s.frames = [];
    }
  }

  /** Starts every worker and waits until each has loaded OpenCV. */
  async warmup(): Promise<void> {
    this.assertAlive();
    while (this.slots.length < this.size) {
      this.spawn();
    }
    await this.stats();
  }

  /** Terminates the workers; pending and queued jobs reject with `disposed`. */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    const err = () => new VisionError('disposed', 'the matcher pool was disposed');
    for (const job of this.queue.splice(0)) {
      this.settle(job, undefined, err());
    }
    for (const slot of this.slots.splice(0)) {
      this.killSlot(slot, err());
    }
  }

  private assertAlive(): void {
    if (this.disposed) {
      throw new VisionError('disposed', 'the matcher pool was disposed');
    }
  }

  private enqueue(msg: WorkerRequest, signal: AbortSignal | undefined, frameKey?: string | number): Promise<WorkerReply> {
    return new Promise<WorkerReply>((resolve, reject) => {
      if (this.disposed) {
        reject(new VisionError('disposed', 'the matcher pool was disposed'));
        return;
      }
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const job: Job = { id: msg.id, msg, frameKey, resolve, reject, signal };
      if (signal) {
        job.onAbort = () => this.abort(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /** Posts a control request to one worker, bypassing the queue. */
  private direct(slot: Slot, msg: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const job: Job = { id: msg.id, msg, resolve, reject };
      this.post(slot, job);
    });
  }

  private abort(job: Job): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) {
      this.queue.splice(i, 1);
    } else if (job.slot) {
      const slot = job.slot;
      if (slot.inflight.delete(job.id) && !slot.dead) {
        slot.worker.postMessage({ type: 'cancel', id: job.id } satisfies WorkerRequest);
        this.afterSettle(slot);
      }
    }
    this.settle(job, undefined, abortError(job.signal!));
    this.pump();
  }

  private pump(): void {
    while (this.queue.length && !this.disposed) {
      const job = this.queue[0];
      const slot = this.pickSlot(job.frameKey);
      if (!slot) {
        return;
      }
      this.queue.shift();
      this.post(slot, job);
    }
  }

  private pickSlot(frameKey: string | number | undefined): Slot | undefined {
    if (this.slots.length < this.size && !this.slots.some((s) => s.inflight.size === 0)) {
      try {
        return this.spawn();
      } catch (e) {
        if (!this.slots.length) {
          const err = e instanceof VisionError ? e : new VisionError('worker-failed', `cannot start a vision worker: ${String(e)}`, { cause: e });
          for (const job of this.queue.splice(0)) {
            this.settle(job, undefined, err);
          }
          return undefined;
        }
      }
    }
    let best: Slot | undefined;
    let bestCost = Infinity;
    for (const s of this.slots) {
      if (s.inflight.size >= this.maxInFlight) {
        continue;
      }
      const cost = s.inflight.size * 2 + (frameKey !== undefined && s.frames.includes(frameKey) ? 0 : 1);
      if (cost < bestCost) {
        best = s;
        bestCost = cost;
      }
    }
    return best;
  }

  private post(slot: Slot, job: Job): void {
    job.slot = slot;
    slot.inflight.set(job.id, job);
    if (job.frameKey !== undefined && !slot.frames.includes(job.frameKey)) {
      slot.frames.push(job.frameKey);
      if (slot.frames.length > 8) {
        slot.frames.shift();
      }
    }
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    slot.worker.ref();
    slot.worker.postMessage(job.msg);
  }

  private spawn(): Slot {
    const entry = this.entry ?? resolveWorkerEntry();
    const worker = new Worker(entry.filename, { eval: entry.eval });
    const slot: Slot = { worker, inflight: new Map(), frames: [], dead: false };
    worker.on('message', (r: WorkerReply) => this.onReply(slot, r));
    worker.on('error', (e: Error) => this.onWorkerDeath(slot, new VisionError('worker-failed', `vision worker failed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => this.onWorkerDeath(slot, new VisionError('worker-failed', `vision worker exited with code ${code}`)));
    worker.unref();
    this.slots.push(slot);
    this.logger?.log('debug', 'vision worker started', { workers: this.slots.length });
    return slot;
  }

  private onReply(slot: Slot, r: WorkerReply): void {
    if (r.type === 'ready') {
      this.logger?.log('debug', 'vision worker ready', { loadMs: Math.round(r.loadMs) });
      return;
    }
    const job = slot.inflight.get(r.id);
    if (!job) {
      return; // cancelled
    }
    slot.inflight.delete(r.id);
    if (r.type === 'error') {
      this.settle(job, undefined, new VisionError(r.code, r.message));
    } else {
      this.settle(job, r);
    }
    this.afterSettle(slot);
    this.pump();
  }

  private afterSettle(slot: Slot): void {
    if (slot.inflight.size || slot.dead) {
      return;
    }
    slot.worker.unref();
    if (this.idleTimeoutMs > 0) {
      slot.idleTimer = setTimeout(() => {
        if (!slot.inflight.size && !slot.dead) {
          this.removeSlot(slot);
          this.killSlot(slot, new VisionError('disposed', 'idle worker stopped'));
        }
      }, this.idleTimeoutMs);
      slot.idleTimer.unref();
    }
  }

  private onWorkerDeath(slot: Slot, err: VisionError): void {
    if (slot.dead) {
      return;
    }
    this.logger?.log('warn', err.message);
    this.removeSlot(slot);
    this.killSlot(slot, err);
    this.pump();
  }

  private removeSlot(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) {
      this.slots.splice(i, 1);
    }
  }

  private killSlot(slot: Slot, err: VisionError): void {
    slot.dead = true;
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
    }
    for (const job of slot.inflight.values()) {
      this.settle(job, undefined, err);
    }
    slot.inflight.clear();
    void slot.worker.terminate().catch(() => undefined);
  }

  private settle(job: Job, reply: WorkerReply | undefined, err?: Error): void {
    if (job.signal && job.onAbort) {
      job.signal.removeEventListener('abort', job.onAbort);
    }
    if (err) {
      job.reject(err);
    } else {
      job.resolve(reply!);
    }
  }
}

function abortError(signal: AbortSignal): VisionError {
  const reason: unknown = signal.reason;
  return new VisionError('aborted', reason instanceof Error ? reason.message : 'aborted', { cause: reason });
}
