/**
 * Runs the workspace validator (`validateWorkspace`, the code behind `emulator-fleet validate`) over the disk
 * with the open documents overlaid. On a worker thread by default, so completion and hover never wait for a
 * validation, and a validation that a newer edit made pointless can be stopped; inline for tests and as a
 * fallback.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Diagnostic } from '../shared/geometry';
import { NodeFileStore } from '../host/nodePorts';
import { nullLogger } from '../shared/loggers';
import { RoutineRegistry } from '../bot/routine/registry';
import { ParseCache, validateWorkspace } from '../orchestrator/workspaceValidation';
import { OverlayFileStore } from './overlayFileStore';

export interface ValidationRequest {
  root: string;
  /** Open documents: [workspace-relative path, text]. */
  overlays: Array<[string, string]>;
}

export interface ValidationRunner {
  validate(req: ValidationRequest): Promise<Diagnostic[]>;
  /** A newer request makes the one in flight pointless: stop it if it has run long. */
  supersede(): void;
  dispose(): void;
}

export class ValidationCancelled extends Error {
  constructor() {
    super('validation superseded');
    this.name = 'ValidationCancelled';
  }
}

/**
 * The validation itself: the disk of `root` with the open documents over it. Kept across requests, so files that
 * did not change are not parsed again (routines: the validator's routine registry; templates, pools and groups: its
 * parse cache).
 */
export class WorkspaceValidator {
  private current: { root: string; disk: NodeFileStore; store: OverlayFileStore; routines: RoutineRegistry; parsed: ParseCache } | undefined;

  /**
   * `syncReads`: read the disk with the synchronous calls (see the file store's `syncReads`); for the
   * validation worker, whose thread does nothing else.
   */
  constructor(private readonly options: { syncReads?: boolean } = {}) {}

  async validate(req: ValidationRequest): Promise<Diagnostic[]> {
    if (this.current?.root !== req.root) {
      this.current?.routines.dispose();
      const disk = new NodeFileStore(req.root, { syncReads: this.options.syncReads });
      const store = new OverlayFileStore(disk);
      this.current = { root: req.root, disk, store, routines: new RoutineRegistry(store, nullLogger), parsed: new ParseCache() };
    }
    const { disk, store, routines, parsed } = this.current;
    const open = new Map(req.overlays);
    for (const [p] of store.entries()) {
      if (!open.has(p)) {
        store.remove(p);
      }
    }
    for (const [p, text] of open) {
      store.set(p, text);
    }
    // The disk as of one moment: each path's links are resolved once per validation, not at every listing,
    // stat and read of it (the next validation looks again).
    const snapshot = disk.snapshot();
    try {
      return await validateWorkspace(store, { routines, parsed });
    } finally {
      snapshot.end();
    }
  }

  dispose(): void {
    this.current?.routines.dispose();
    this.current = undefined;
  }
}

export class InlineValidationRunner implements ValidationRunner {
  private readonly validator = new WorkspaceValidator();

  validate(req: ValidationRequest): Promise<Diagnostic[]> {
    return this.validator.validate(req);
  }
  supersede(): void {
    // An inline run cannot be interrupted; its result is discarded by the caller.
  }
  dispose(): void {
    this.validator.dispose();
  }
}

/** workerData that makes the server's entry module run the validator loop instead of the server. */
export const VALIDATION_WORKER_ROLE = 'emulator-fleet-validator';

interface WorkerRequestMessage {
  id: number;
  req: ValidationRequest;
}
type WorkerReplyMessage = { id: number; ok: true; diagnostics: Diagnostic[] } | { id: number; ok: false; error: string };

/** The worker's side: answers validation requests from its parent port. */
export function runValidationWorker(port: { on(ev: 'message', fn: (m: WorkerRequestMessage) => void): void; postMessage(m: WorkerReplyMessage): void }): void {
  // The worker's thread only validates: blocking reads cost it nothing and save the thread pool's round trips.
  const validator = new WorkspaceValidator({ syncReads: true });
  port.on('message', (m) => {
    validator.validate(m.req).then(
      (diagnostics) => port.postMessage({ id: m.id, ok: true, diagnostics }),
      (e: unknown) => port.postMessage({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
  });
}

/** A run this long (ms) is stopped when superseded; shorter ones finish and their result is dropped. */
const STOP_AFTER_MS = 1000;

export class WorkerValidationRunner implements ValidationRunner {
  private worker: Worker | undefined;
  /** Set when the worker cannot run here: validations then run on the server's thread. */
  private fallback: WorkspaceValidator | undefined;
  private nextId = 1;
  /** Requests in flight, each with the worker it was posted to. */
  private readonly pending = new Map<number, { resolve: (d: Diagnostic[]) => void; reject: (e: Error) => void; started: number; worker: Worker }>();

  /**
   * `entry`: the server's entry module (a bundle, or a .ts file run through tsx). `stopAfterMs`: how long a
   * superseded run may have run before it is stopped.
   */
  constructor(
    private readonly entry: string,
    private readonly log: (message: string) => void = () => undefined,
    private readonly stopAfterMs = STOP_AFTER_MS,
  ) {}

  /** Rejects the requests posted to `w` (all: undefined). */
  private rejectPending(w: Worker | undefined, e: Error): void {
    for (const [id, p] of this.pending) {
      if (!w || p.worker === w) {
        this.pending.delete(id);
        p.reject(e);
      }
    }
  }

  private start(): Worker {
    const workerData = { role: VALIDATION_WORKER_ROLE };
    let w: Worker;
    if (this.entry.endsWith('.ts')) {
      // From sources: workers do not inherit the parent's TypeScript loader, so register tsx first.
      const loader = ['tsx', 'cjs'].join('/');
      const tsx = require.resolve(loader);
      w = new Worker(`require(${JSON.stringify(tsx)});\nrequire(${JSON.stringify(path.resolve(this.entry))});\n`, { eval: true, workerData });
    } else {
      w = new Worker(this.entry, { workerData });
    }
    w.on('message', (m: WorkerReplyMessage) => {
      const p = this.pending.get(m.id);
      if (!p) {
        return;
      }
      this.pending.delete(m.id);
      if (m.ok) {
        p.resolve(m.diagnostics);
      } else {
        p.reject(new Error(m.error));
      }
    });
    // Only this worker's requests fail with it: a worker stopped by supersede() exits while the next one already
    // validates the newer text.
    const fail = (e: Error) => {
      if (this.worker === w) {
        this.worker = undefined;
      }
      this.rejectPending(w, e);
    };
    w.on('error', (e) => {
      this.log(`validation worker failed (${e.message}); validating on the server's thread from now on`);
      this.fallback ??= new WorkspaceValidator();
      fail(e);
    });
    w.on('exit', (code) => fail(code === 0 ? new ValidationCancelled() : new Error(`the validation worker exited with code ${code}`)));
    w.unref();
    return w;
  }

  validate(req: ValidationRequest): Promise<Diagnostic[]> {
    if (this.fallback) {
      return this.fallback.validate(req);
    }
    this.worker ??= this.start();
    const id = this.nextId++;
    const w = this.worker;
    return new Promise<Diagnostic[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, started: Date.now(), worker: w });
      w.postMessage({ id, req } satisfies WorkerRequestMessage);
    });
  }

  supersede(): void {
    const w = this.worker;
    if (!w || ![...this.pending.values()].some((p) => p.worker === w && Date.now() - p.started >= this.stopAfterMs)) {
      return;
    }
    this.worker = undefined;
    this.rejectPending(w, new ValidationCancelled());
    void w.terminate().catch(() => undefined);
  }

  dispose(): void {
    this.fallback?.dispose();
    const w = this.worker;
    this.worker = undefined;
    this.rejectPending(undefined, new ValidationCancelled());
    if (w) {
      void w.terminate().catch(() => undefined);
    }
  }
}
