/**
 * Disposables and events shaped like VS Code's, with no dependency on vscode.
 * `src/extension/adapters/typeChecks.ts` proves at compile time that the vscode types fit these.
 */

export interface Disposable {
  dispose(): void;
}

/** A subscription function: `onDidX(listener)` returns a disposable that unsubscribes. */
export type Event<T> = (listener: (e: T) => void) => Disposable;

export function toDisposable(fn: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (!done) {
        done = true;
        fn();
      }
    },
  };
}

/** Holds disposables; adding to a disposed store disposes the item at once. */
export class DisposableStore implements Disposable {
  private readonly items = new Set<Disposable>();
  private disposed = false;

  add<T extends Disposable>(item: T): T {
    if (this.disposed) {
      item.dispose();
    } else {
      this.items.add(item);
    }
    return item;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    const all = [...this.items].reverse();
    this.items.clear();
    for (const d of all) {
      d.dispose();
    }
  }
}

/** Base class for owners of listeners, timers and children. */
export abstract class DisposableBase implements Disposable {
  protected readonly store = new DisposableStore();

  protected register<T extends Disposable>(item: T): T {
    return this.store.add(item);
  }

  dispose(): void {
    this.store.dispose();
  }
}

/**
 * A typed event source. Listener errors are isolated: one throwing listener never stops the others
 * and never reaches the code that fired the event. A listener added while an event is being delivered does not
 * receive that event (it receives the next ones); one removed meanwhile receives nothing more.
 */
export class Emitter<T> implements Disposable {
  private listeners: Array<(e: T) => void> = [];
  private disposed = false;

  constructor(private readonly onListenerError: (err: unknown) => void = () => undefined) {}

  readonly event: Event<T> = (listener) => {
    if (this.disposed) {
      return toDisposable(() => undefined);
    }
    // Copy on write: a delivery in progress goes on over the list it started with.
    this.listeners = [...this.listeners, listener];
    let active = true;
    const wrapped = (e: T) => {
      if (active) {
        listener(e);
      }
    };
    this.listeners[this.listeners.length - 1] = wrapped;
    return toDisposable(() => {
      active = false;
      this.listeners = this.listeners.filter((l) => l !== wrapped);
    });
  };

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  fire(e: T): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.listeners = [];
  }
}

/**
 * The events of `event` whose `type` is one of `types`, typed as those members of the union: how a feed of one
 * discriminated union gives its typed views (`filterEvent(onDidEmitFleetEvent, 'group.state')`).
 */
export function filterEvent<E extends { type: string }, K extends E['type']>(event: Event<E>, ...types: readonly K[]): Event<OfType<E, K>> {
  const wanted = new Set<string>(types);
  return (listener) =>
    event((e) => {
      if (wanted.has(e.type)) {
        listener(e as OfType<E, K>);
      }
    });
}

/** The members of a union `E` whose `type` can be one of `K` (a member with a union `type` counts when they overlap). */
export type OfType<E extends { type: string }, K extends string> = E extends { type: infer T } ? ([Extract<T, K>] extends [never] ? never : E) : never;

/** Resolves with the next event that satisfies `pred`, or rejects on abort / timeout. */
export function waitForEvent<T>(event: Event<T>, pred: (e: T) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const store = new DisposableStore();
    const timer = setTimeout(() => {
      store.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for an event`));
    }, timeoutMs);
    store.add(toDisposable(() => clearTimeout(timer)));
    if (signal) {
      const onAbort = () => {
        store.dispose();
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      store.add(toDisposable(() => signal.removeEventListener('abort', onAbort)));
    }
    store.add(
      event((e) => {
        if (pred(e)) {
          store.dispose();
          resolve(e);
        }
      }),
    );
  });
}
