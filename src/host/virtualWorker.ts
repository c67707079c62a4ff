/**
 * The worker thread that runs the fleet's virtual devices (the extension's and the CLI's): a VirtualDeviceHost
 * driven by messages from `VirtualSource`. The devices' rendering, their game clocks and the frames written to the
 * bots' sockets then load this thread, not the one running the bots, the views and the editor's features.
 */
import { readlinkSync } from 'node:fs';
import * as os from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { Logger, LogLevel } from '../shared/ports';
import { refOf, VirtualDeviceHost, type VirtualWorkerMessage, type VirtualWorkerRequest } from './virtualDeviceHost';

function post(m: VirtualWorkerMessage): void {
  parentPort!.postMessage(m);
}

/** A record's data as plain JSON (what a message can carry); data that cannot be is named, never thrown. */
function plainData(data: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
  } catch (e) {
    return { unserializable: e instanceof Error ? e.message : String(e) };
  }
}

/** Log records go to the fleet's logger, with their source path. */
function forwardingLogger(source: string[]): Logger {
  return {
    log(level: LogLevel, message: string, data?: Record<string, unknown>) {
      post({ type: 'log', level, source, message, ...(data ? { data: plainData(data) } : {}) });
    },
    child: (s: string) => forwardingLogger([...source, s]),
  };
}

/** Niceness of this thread: when the cores are busy, the thread running the bots and the editor goes first. */
const THREAD_NICENESS = 10;

/**
 * Lowers this thread's scheduling priority (Linux: a thread is a task with its own niceness, named by
 * /proc/thread-self). The devices stand in for emulators, which are other processes: they must not slow the fleet's
 * own thread down. Elsewhere, or when it fails, the thread keeps the process's priority.
 */
function lowerThreadPriority(): void {
  try {
    const tid = /task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1];
    if (tid !== undefined) {
      os.setPriority(Number(tid), Math.max(os.getPriority(Number(tid)), THREAD_NICENESS));
    }
  } catch {
    // Not Linux, or not allowed: the default priority.
  }
}

async function main(): Promise<void> {
  lowerThreadPriority();
  let host: VirtualDeviceHost;
  try {
    host = await VirtualDeviceHost.start(forwardingLogger([]));
  } catch (e) {
    post({ type: 'start-failed', message: e instanceof Error ? e.message : String(e) });
    return;
  }
  const listed = (): void => post({ type: 'listed', devices: host.listing() });
  host.endpoint.onDidChangeDevices(listed);
  post({ type: 'ready', port: host.port });
  parentPort!.on('message', (r: VirtualWorkerRequest) => {
    void handle(host, r).then(
      (reply) => {
        listed();
        post({ type: 'reply', id: r.id, ...reply });
      },
      (e: unknown) => post({ type: 'reply', id: r.id, error: e instanceof Error ? e.message : String(e) }),
    );
  });
}

async function handle(host: VirtualDeviceHost, r: VirtualWorkerRequest): Promise<Omit<Extract<VirtualWorkerMessage, { type: 'reply' }>, 'type' | 'id'>> {
  switch (r.type) {
    case 'add':
      return { devices: host.add(r.seeds).map((d) => refOf(d, false)) };
    case 'remove':
      await host.remove(r.serials);
      return {};
    case 'unlist':
      return { unlisted: host.unlist(r.serial) };
    case 'relist':
      host.relist(r.serial);
      return {};
    case 'close':
      await host.close();
      return {};
  }
}

void main();
