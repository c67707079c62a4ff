/**
 * A Debug Adapter Protocol client for the debugger's tests and benchmark: `DebugClient` of
 * `@vscode/debugadapter-testsupport` with every event queued as it arrives (none is lost between two awaits), and
 * helpers for the usual sequence (initialize, launch or attach, breakpoints, configurationDone) and for stops.
 */
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

const REPO = path.resolve(__dirname, '../..');
/** The standalone adapter's source, run through tsx (no build needed). */
export const STANDALONE_ADAPTER = path.join(REPO, 'src/extension/debug/standalone.ts');

/** Events in order, awaited one by one (resolves at once when one is already queued). */
export class EventQueue<T> {
  readonly all: T[] = [];
  private read = 0;
  private waiters: Array<() => void> = [];
  private closedBy: Error | undefined;

  push(e: T): void {
    this.all.push(e);
    this.wake();
  }

  /** Makes waiting calls fail (the adapter went away). */
  close(error: Error): void {
    this.closedBy = error;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  async next(): Promise<T> {
    while (this.read >= this.all.length) {
      if (this.closedBy) {
        throw this.closedBy;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.all[this.read++];
  }

  /** The next event that matches (the ones before it are consumed). */
  async until(match: (e: T) => boolean): Promise<T> {
    for (;;) {
      const e = await this.next();
      if (match(e)) {
        return e;
      }
    }
  }

  get pending(): T[] {
    return this.all.slice(this.read);
  }

  /** Forgets the events received so far. */
  drain(): void {
    this.read = this.all.length;
  }
}

const EVENTS = ['initialized', 'stopped', 'continued', 'output', 'breakpoint', 'terminated', 'exited', 'emulatorFleet/screenChanged'] as const;
export type EventName = (typeof EVENTS)[number];

export interface Stop {
  event: DebugProtocol.StoppedEvent;
  reason: string;
  frames: DebugProtocol.StackFrame[];
  /** `routines/x.yaml:LINE` of the top frame (workspace-relative). */
  at: string;
  top: DebugProtocol.StackFrame;
}

export class DapSession {
  readonly dc: DebugClient;
  private readonly queues = new Map<string, EventQueue<DebugProtocol.Event>>();
  private stopping: Promise<void> | undefined;

  /**
   * A client of the standalone adapter, spawned with tsx (`port`: connect to an adapter served on a TCP port instead,
   * for in-process sessions).
   */
  constructor(readonly root: string) {
    this.dc = new DebugClient(process.execPath, STANDALONE_ADAPTER, 'emulator-fleet', {
      cwd: REPO,
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import tsx`.trim() },
    });
    // Waits are bounded by the test's own timeout (tests wait for events, they never race a clock).
    this.dc.defaultTimeout = 600_000;
    for (const name of EVENTS) {
      this.dc.on(name, (e: DebugProtocol.Event) => this.queue(name).push(e));
    }
  }

  queue(name: EventName): EventQueue<DebugProtocol.Event> {
    let q = this.queues.get(name);
    if (!q) {
      q = new EventQueue();
      this.queues.set(name, q);
    }
    return q;
  }

  /** Starts the adapter (or connects to one served on `port`) and initializes. */
  async start(port?: number): Promise<DebugProtocol.Capabilities> {
    await this.dc.start(port);
    const r = await this.dc.initializeRequest({ adapterID: 'emulator-fleet', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', supportsInvalidatedEvent: true });
    return r.body ?? {};
  }

  /** Absolute path of a workspace file. */
  file(rel: string): string {
    return path.join(this.root, rel);
  }

  /**
   * launch (or attach) with a configuration step between `initialized` and `configurationDone` (set breakpoints
   * there); resolves with the launch response.
   */
  async begin(request: 'launch' | 'attach', args: Record<string, unknown>, configure: () => Promise<void> = async () => undefined): Promise<DebugProtocol.Response> {
    const started = request === 'launch' ? this.dc.launchRequest({ root: this.root, ...args } as DebugProtocol.LaunchRequestArguments) : this.dc.attachRequest(args as DebugProtocol.AttachRequestArguments);
    const failed = started.then(
      () => undefined,
      (e: unknown) => e,
    );
    const initialized = this.queue('initialized')
      .next()
      .then(() => undefined);
    const first = await Promise.race([initialized, failed]);
    if (first instanceof Error) {
      throw first;
    }
    await configure();
    await this.dc.configurationDoneRequest();
    return started;
  }

  async setBreakpoints(rel: string, breakpoints: DebugProtocol.SourceBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    const r = await this.dc.setBreakpointsRequest({ source: { path: this.file(rel) }, breakpoints });
    return r.body.breakpoints;
  }

  /** The next stop, with the stack. */
  async stopped(): Promise<Stop> {
    const event = (await this.queue('stopped').next()) as DebugProtocol.StoppedEvent;
    const frames = (await this.dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    const top = frames[0];
    const rel = top?.source?.path ? path.relative(this.root, top.source.path).split(path.sep).join('/') : '?';
    return { event, reason: event.body.reason, frames, at: `${rel}:${top?.line ?? '?'}`, top };
  }

  /** The variables of a frame's scope, by scope name, as `name → value text` (children under `name.child`). */
  async scope(frameId: number, name: string, depth = 1): Promise<Record<string, string>> {
    const scopes = (await this.dc.scopesRequest({ frameId })).body.scopes;
    const s = scopes.find((x) => x.name === name);
    if (!s) {
      throw new Error(`no scope '${name}' (scopes: ${scopes.map((x) => x.name).join(', ')})`);
    }
    return this.variables(s.variablesReference, depth);
  }

  async variables(ref: number, depth = 1, prefix = ''): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const v of (await this.dc.variablesRequest({ variablesReference: ref })).body.variables) {
      out[`${prefix}${v.name}`] = v.value;
      if (depth > 1 && v.variablesReference) {
        Object.assign(out, await this.variables(v.variablesReference, depth - 1, `${prefix}${v.name}.`));
      }
    }
    return out;
  }

  /** Output text received so far (and until `until` matches, when given). */
  async outputUntil(match: (text: string, e: DebugProtocol.OutputEvent) => boolean): Promise<DebugProtocol.OutputEvent> {
    return (await this.queue('output').until((e) => match((e as DebugProtocol.OutputEvent).body.output, e as DebugProtocol.OutputEvent))) as DebugProtocol.OutputEvent;
  }

  outputs(): string[] {
    return this.queue('output').all.map((e) => (e as DebugProtocol.OutputEvent).body.output);
  }

  async terminated(): Promise<void> {
    await this.queue('terminated').next();
  }

  /** Disconnects and stops the adapter (idempotent). */
  stop(): Promise<void> {
    this.stopping ??= this.dc.stop();
    return this.stopping;
  }
}
