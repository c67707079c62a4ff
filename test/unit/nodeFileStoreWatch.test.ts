/**
 * Watching workspace folders: a watcher error is reported (never swallowed) and the watch re-established, with an
 * "anything may have changed" callback so nothing edited meanwhile is missed; a watched folder that is removed
 * and created again is watched again. Loaders log the failures.
 */
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import type { FSWatcher } from 'node:fs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MemoryLogger } from '../../src/shared/loggers';
import { NodeFileStore, type WatchFunction } from '../../src/host/nodePorts';
import { RoutineRegistry } from '../../src/bot/routine/registry';
import { waitForEvent } from '../../src/shared/lifecycle';

type Listener = (event: string, name: string | Buffer | null) => void;

/** A stand-in for fs.watch that hands out controllable watchers (errors cannot be provoked on a real one). */
class FakeWatch {
  readonly watchers: Array<{ dir: string; emitter: EventEmitter & { close(): void; closed: boolean }; listener: Listener }> = [];
  private waiting: Array<{ n: number; resolve: () => void }> = [];
  /** Throw this from the next call (as fs.watch does for ENOSPC, EMFILE). */
  throwNext: Error | undefined;

  readonly fn: WatchFunction = (dir, _options, listener) => {
    if (this.throwNext) {
      const e = this.throwNext;
      this.throwNext = undefined;
      queueMicrotask(() => this.settle());
      throw e;
    }
    const emitter = Object.assign(new EventEmitter(), {
      closed: false,
      close(this: { closed: boolean }) {
        this.closed = true;
      },
    });
    this.watchers.push({ dir, emitter, listener });
    this.settle();
    return emitter as unknown as FSWatcher;
  };

  /** Resolves once `n` watchers were created. */
  created(n: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ n, resolve });
      this.settle();
    });
  }

  private settle(): void {
    this.waiting = this.waiting.filter((w) => {
      if (this.watchers.length >= w.n) {
        w.resolve();
        return false;
      }
      return true;
    });
  }
}

function errnoError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** Collects calls of a callback; `next()` resolves with the next one. */
class Calls<T> {
  readonly seen: T[] = [];
  private waiters: Array<(v: T) => void> = [];
  readonly fn = (v: T): void => {
    const w = this.waiters.shift();
    if (w) {
      w(v);
    } else {
      this.seen.push(v);
    }
  };
  next(): Promise<T> {
    const v = this.seen.shift();
    return v !== undefined ? Promise.resolve(v) : new Promise((resolve) => this.waiters.push(resolve));
  }
}

describe('(unit) NodeFileStore.watch: errors are reported and the watch comes back', function () {
  this.timeout(20_000);
  let ws: string;

  beforeEach(() => {
    ws = mkdtempSync(path.join(tmpdir(), 'fleet-watch-'));
    mkdirSync(path.join(ws, 'routines'));
  });

  afterEach(() => {
    rmSync(ws, { recursive: true, force: true });
  });

  it('a watcher error is reported, the watch re-established and "anything may have changed" reported', async () => {
    const fake = new FakeWatch();
    const store = new NodeFileStore(ws, { watch: fake.fn, rewatchDelayMs: 1 });
    const changes = new Calls<string[]>();
    const errors = new Calls<Error>();
    const w = store.watch('routines', changes.fn, errors.fn);
    try {
      await fake.created(1);
      fake.watchers[0].listener('rename', 'a.yaml');
      assert.deepEqual(await changes.next(), ['routines/a.yaml']);

      fake.watchers[0].emitter.emit('error', errnoError('EMFILE', 'too many open files'));
      const e = await errors.next();
      assert.match(e.message, /^watching 'routines' failed \(EMFILE: too many open files\); retrying in 1 ms$/);
      assert.equal(fake.watchers[0].emitter.closed, true);
      await fake.created(2);
      assert.deepEqual(await changes.next(), [], 'after re-establishing: anything may have changed');
      fake.watchers[1].listener('change', 'b.yaml');
      assert.deepEqual(await changes.next(), ['routines/b.yaml']);
      // The dead watcher's late events are ignored.
      fake.watchers[0].listener('change', 'ghost.yaml');
      fake.watchers[1].listener('change', 'c.yaml');
      assert.deepEqual(await changes.next(), ['routines/c.yaml']);
    } finally {
      w.dispose();
    }
  });

  it('fs.watch throwing (ENOSPC: no inotify watches left) is reported and retried', async () => {
    const fake = new FakeWatch();
    fake.throwNext = errnoError('ENOSPC', 'System limit for number of file watchers reached');
    const store = new NodeFileStore(ws, { watch: fake.fn, rewatchDelayMs: 1 });
    const changes = new Calls<string[]>();
    const errors = new Calls<Error>();
    const w = store.watch('routines', changes.fn, errors.fn);
    try {
      assert.match((await errors.next()).message, /^watching 'routines' failed \(ENOSPC: System limit/);
      await fake.created(1);
      assert.deepEqual(await changes.next(), []);
    } finally {
      w.dispose();
    }
  });

  it('a watched folder removed and created again is watched again (real file system)', async () => {
    const store = new NodeFileStore(ws, { rewatchDelayMs: 20 });
    const changes = new Calls<string[]>();
    const errors = new Calls<Error>();
    const w = store.watch('routines', changes.fn, errors.fn);
    try {
      writeFileSync(path.join(ws, 'routines/one.yaml'), 'steps: []\n');
      assert.deepEqual(await changes.next(), ['routines/one.yaml']);
      rmSync(path.join(ws, 'routines'), { recursive: true });
      // Wait for the removal to be seen (its events), then bring the folder back.
      for (let c = await changes.next(); !c.includes('routines/one.yaml'); c = await changes.next()) {
        // other events of the removal
      }
      mkdirSync(path.join(ws, 'routines'));
      writeFileSync(path.join(ws, 'routines/two.yaml'), 'steps: []\n');
      // Re-established: first "anything may have changed" (two.yaml may predate the new watch), then live events.
      let c = await changes.next();
      while (c.length !== 0) {
        c = await changes.next();
      }
      writeFileSync(path.join(ws, 'routines/three.yaml'), 'steps: []\n');
      for (c = await changes.next(); !c.includes('routines/three.yaml'); c = await changes.next()) {
        // late events
      }
      assert.deepEqual(errors.seen, []);
    } finally {
      w.dispose();
    }
  });

  it('the routine registry logs a failed watch and reloads once it is back', async () => {
    const fake = new FakeWatch();
    const logger = new MemoryLogger();
    writeFileSync(path.join(ws, 'routines/main.yaml'), 'steps:\n  - log: hi\n');
    const reg = new RoutineRegistry(new NodeFileStore(ws, { watch: fake.fn, rewatchDelayMs: 1 }), logger);
    try {
      await reg.reload();
      reg.watch();
      await fake.created(1);
      // Edited while the watch is down: only the re-established watch can tell.
      const changed = waitForEvent(reg.onDidChangeRoutines, (e) => e.added.includes('added'), 15_000);
      writeFileSync(path.join(ws, 'routines/added.yaml'), 'steps:\n  - log: new\n');
      fake.watchers[0].emitter.emit('error', errnoError('EIO', 'i/o error'));
      assert.deepEqual((await changed).added, ['added']);
      const warn = logger.records.find((r) => r.level === 'warn');
      assert.match(warn?.message ?? '', /^live reload of routines: watching 'routines' failed \(EIO: i\/o error\); retrying/);
    } finally {
      reg.dispose();
    }
  });
});
