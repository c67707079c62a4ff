/**
 * Worker entry of the matcher pool: loads opencv-wasm once, then serves match requests from the pool. Bundled
 * to `dist/visionWorker.js`; from sources it is started through tsx (see `resolveWorkerEntry`).
 */
import { parentPort } from 'node:worker_threads';
import { loadCv } from './cvTypes';
import { Matcher } from './matcher';
import { isVisionError } from './visionError';
import type { WorkerReply, WorkerRequest } from './workerProtocol';

function serve(): void {
  const port = parentPort;
  if (!port) {
    throw new Error('matchWorker must run in a worker thread');
  }
  const cancelled = new Set<number>();
  const started = performance.now();
  let matcher: Matcher | undefined;
  const backlog: WorkerRequest[] = [];

  const reply = (r: WorkerReply) => port.postMessage(r);

  const handle = (req: WorkerRequest, m: Matcher) => {
    if (req.type === 'cancel') {
      return;
    }
    if (cancelled.size) {
      // Jobs arrive in id order: a cancelled id below this one will never come again.
      for (const c of cancelled) {
        if (c < req.id) {
          cancelled.delete(c);
        }
      }
      if (cancelled.delete(req.id)) {
        return;
      }
    }
    try {
      if (req.type === 'match') {
        const t0 = performance.now();
        const out = m.match(req.frame, req.image, req.plan);
        reply({ type: 'match', id: req.id, best: out.best, matches: out.matches, matchMs: performance.now() - t0 });
      } else if (req.type === 'stats') {
        reply({ type: 'stats', id: req.id, stats: m.stats() });
      } else if (req.type === 'clear') {
        m.clear();
        reply({ type: 'done', id: req.id });
      }
    } catch (e) {
      reply({
        type: 'error',
        id: req.id,
        code: isVisionError(e) ? e.code : 'match-failed',
        message: e instanceof Error ? e.message : String(e),
      });
    }
  };

  port.on('message', (req: WorkerRequest) => {
    if (req.type === 'cancel') {
      cancelled.add(req.id);
      return;
    }
    if (matcher) {
      handle(req, matcher);
    } else {
      backlog.push(req);
    }
  });

  loadCv().then(
    ({ cv }) => {
      matcher = new Matcher(cv);
      reply({ type: 'ready', id: 0, loadMs: performance.now() - started });
      for (const req of backlog.splice(0)) {
        handle(req, matcher);
      }
    },
    (e: unknown) => {
      // Without OpenCV the worker is useless: fail loudly so the pool rejects its jobs.
      throw e instanceof Error ? e : new Error(String(e));
    },
  );
}

serve();
