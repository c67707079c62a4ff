/**
 * The monitor's host message loop against a fake webview (it records what the host posts) and a fake fleet: the
 * handshake, seq'd and coalesced events, visibility, one frame in flight per tile, takeover refusal and clamping,
 * the recorder requests and 1,000 random inbound messages. Tests wait for the posts they expect, never fixed times.
 */
import * as assert from 'node:assert/strict';
import type { RawFrame } from '../../../src/bot/device';
import { Emitter } from '../../../src/shared/lifecycle';
import type { LogLevel, Logger } from '../../../src/shared/ports';
import type { BotRef, FromMonitor, TakeoverInput, ToMonitor } from '../../../src/shared/monitorProtocol';
import type { FleetEvent, FleetSnapshot, Unsequenced } from '../../../src/shared/fleetTypes';
import { FlightRecorder } from '../../../src/orchestrator/recorder';
import { MonitorSession, CREATE_GROUP_COMMAND } from '../../../src/extension/monitor/monitorSession';
import type { MonitorFleetPort, MonitorFrame, MonitorResult, MonitorSavePort, MonitorUiPort } from '../../../src/extension/monitor/monitorPorts';
import { bot, definition, group, routine, snapshot } from '../../webview/fleetFixtures';
import { randomInboundMessages } from './randomInbound';

class MemoryLogger implements Logger {
  readonly records: { level: LogLevel; message: string }[] = [];
  log(level: LogLevel, message: string): void {
    this.records.push({ level, message });
  }
  child(): Logger {
    return this;
  }
}

/** The fake webview: every posted message, and a way to wait for the next one that matches. */
class FakeWebview {
  readonly posted: ToMonitor[] = [];
  private waiters: { pred: (m: ToMonitor) => boolean; resolve: (m: ToMonitor) => void; from: number }[] = [];
  readonly post = (msg: ToMonitor): Promise<boolean> => {
    this.posted.push(msg);
    for (const w of [...this.waiters]) {
      if (w.pred(msg)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(msg);
      }
    }
    return Promise.resolve(true);
  };
  /** Resolves with the first message matching `pred` posted at or after index `from` (already or later). */
  next<T extends ToMonitor>(pred: (m: ToMonitor) => m is T, from = 0): Promise<T> {
    const already = this.posted.slice(from).find(pred);
    if (already) {
      return Promise.resolve(already);
    }
    return new Promise((resolve) => this.waiters.push({ pred, resolve: (m) => resolve(m as T), from }));
  }
  of<K extends ToMonitor['type']>(type: K): Extract<ToMonitor, { type: K }>[] {
    return this.posted.filter((m): m is Extract<ToMonitor, { type: K }> => m.type === type);
  }
}

const is =
  <K extends ToMonitor['type']>(type: K, f: (m: Extract<ToMonitor, { type: K }>) => boolean = () => true) =>
  (m: ToMonitor): m is Extract<ToMonitor, { type: K }> =>
    m.type === type && f(m as Extract<ToMonitor, { type: K }>);

class FakeFleet implements MonitorFleetPort {
  readonly sessionId = 'session-1';
  seq = 10;
  readonly events = new Emitter<FleetEvent>();
  snap: FleetSnapshot;
  frameNo = new Map<string, number>();
  released = 0;
  handedOut = 0;
  readonly calls: string[] = [];
  readonly inputs: { bot: BotRef; input: TakeoverInput }[] = [];
  requestFrames = 0;

  constructor() {
    this.snap = snapshot({
      seq: 10,
      definitions: [definition('G', { active: true })],
      groups: [group('G', { bots: [bot('G', '1'), bot('G', '2', { state: 'paused' })] })],
      routines: [routine('farm_premium')],
    });
  }
  snapshot(): FleetSnapshot {
    return { ...this.snap, seq: this.seq };
  }
  onEvent(listener: (e: FleetEvent) => void) {
    return this.events.event(listener);
  }
  emit(e: Unsequenced<FleetEvent>): FleetEvent {
    const ev = { ...e, seq: ++this.seq } as FleetEvent;
    this.events.fire(ev);
    return ev;
  }
  /** A capture of a bot: its frame number goes up and `bot.frame` is published. */
  capture(instance: string, width = 540, height = 960): void {
    const n = (this.frameNo.get(instance) ?? 0) + 1;
    this.frameNo.set(instance, n);
    this.emit({ type: 'bot.frame', time: Date.now(), group: 'G', orchestrationId: 'G-run1', instance, frame: n, width, height, captureMs: 5 });
  }
  private frameOf(instance: string): MonitorFrame | undefined {
    const n = this.frameNo.get(instance);
    if (n === undefined) {
      return undefined;
    }
    this.handedOut++;
    const raw: RawFrame = { width: 540, height: 960, data: new Uint8Array(4), capturedAt: n, id: n };
    let released = false;
    return {
      frame: n,
      raw,
      width: 540,
      height: 960,
      time: 1000 + n,
      release: () => {
        if (!released) {
          released = true;
          this.released++;
        }
      },
    };
  }
  latestFrame(b: BotRef): MonitorFrame | undefined {
    return this.frameOf(b.instance);
  }
  requestFrame(b: BotRef): Promise<MonitorFrame> {
    this.requestFrames++;
    this.capture(b.instance);
    const f = this.frameOf(b.instance);
    return f ? Promise.resolve(f) : Promise.reject(new Error('no device'));
  }
  groupCommand(action: string, g: string): Promise<MonitorResult> {
    this.calls.push(`${action} ${g}`);
    return Promise.resolve(g === 'G' ? { ok: true } : { ok: false, error: { code: 'unknown-group', message: `no group ${g}` } });
  }
  botCommand(action: string, b: BotRef): Promise<MonitorResult> {
    this.calls.push(`${action} ${b.group}/${b.instance}`);
    return Promise.resolve({ ok: true });
  }
  deleteGroup(g: string): Promise<MonitorResult> {
    this.calls.push(`delete ${g}`);
    return Promise.resolve({ ok: true });
  }
  botInput(b: BotRef, input: TakeoverInput): Promise<MonitorResult> {
    this.inputs.push({ bot: b, input });
    return Promise.resolve({ ok: true });
  }
}

class FakeUi implements MonitorUiPort {
  confirmAnswer = true;
  readonly opened: string[] = [];
  readonly commands: string[] = [];
  readonly confirms: string[] = [];
  confirm(message: string): Promise<boolean> {
    this.confirms.push(message);
    return Promise.resolve(this.confirmAnswer);
  }
  openFile(file: string, line?: number, col?: number): Promise<void> {
    this.opened.push(`${file}:${line ?? ''}:${col ?? ''}`);
    return Promise.resolve();
  }
  executeCommand(id: string): Promise<void> {
    this.commands.push(id);
    return Promise.resolve();
  }
}

interface Setup {
  view: FakeWebview;
  fleet: FakeFleet;
  ui: FakeUi;
  logger: MemoryLogger;
  session: MonitorSession;
  encodes: number;
  send(m: FromMonitor | unknown): void;
}

function setup(o: { fps?: number; recorder?: FlightRecorder; visible?: boolean; save?: MonitorSavePort } = {}): Setup {
  const view = new FakeWebview();
  const fleet = new FakeFleet();
  const ui = new FakeUi();
  const logger = new MemoryLogger();
  const s: Setup = {
    view,
    fleet,
    ui,
    logger,
    encodes: 0,
    session: undefined as unknown as MonitorSession,
    send: (m) => s.session.receive(m),
  };
  s.session = new MonitorSession({
    post: view.post,
    logger,
    ui,
    encodeJpeg: (f) => {
      s.encodes++;
      // sharp gives Node Buffers: the host must post plain Uint8Arrays.
      return Promise.resolve(Buffer.from([0xff, 0xd8, f.id]));
    },
    thumbnailFps: () => o.fps ?? 1000,
    batchMs: 20,
    visible: o.visible ?? true,
    ...(o.recorder ? { recorder: o.recorder } : {}),
    ...(o.save ? { save: o.save } : {}),
  });
  s.session.setFleet(fleet);
  return s;
}

const G1: BotRef = { group: 'G', instance: '1' };
const G2: BotRef = { group: 'G', instance: '2' };

describe('(unit) monitor host message loop', () => {
  it('ready gets a snapshot with the session id, then only events with a greater seq, coalesced', async () => {
    const s = setup();
    s.fleet.emit({ type: 'log', time: 1, level: 'info', message: 'before ready' });
    s.send({ type: 'ready', id: 'r1', protocol: 1 });
    const snap = await s.view.next(is('snapshot'));
    assert.equal(snap.inReplyTo, 'r1');
    assert.equal(snap.session, 'session-1');
    assert.equal(snap.snapshot.seq, 11);
    for (let i = 0; i < 10; i++) {
      s.fleet.emit({ type: 'log', time: i, level: 'info', message: `e${i}` });
    }
    const batch = await s.view.next(is('events'));
    assert.deepEqual(
      batch.events.map((e) => e.seq),
      [12, 13, 14, 15, 16, 17, 18, 19, 20, 21],
      'one batch, in order, after the snapshot',
    );
    s.fleet.emit({ type: 'log', time: 1, level: 'info', message: 'later' });
    const b2 = await s.view.next(is('events'), s.view.posted.length);
    assert.deepEqual(
      b2.events.map((e) => e.seq),
      [22],
    );
    s.send({ type: 'requestSnapshot', id: 'r2', reason: 'gap', seq: 20 });
    const snap2 = await s.view.next(is('snapshot', (m) => m.inReplyTo === 'r2'));
    assert.equal(snap2.snapshot.seq, 22);
    s.session.dispose();
  });

  it('posts nothing while hidden and a fresh snapshot when shown again', async () => {
    const s = setup();
    s.send({ type: 'ready', id: 'r1', protocol: 1 });
    await s.view.next(is('snapshot'));
    s.send({ type: 'setVisibleTiles', bots: [G1] });
    s.session.setVisible(false);
    const before = s.view.posted.length;
    s.fleet.emit({ type: 'log', time: 1, level: 'info', message: 'hidden' });
    s.fleet.capture('1');
    assert.equal(s.encodes, 0, 'no frame encoded while hidden');
    s.session.setVisible(true);
    const snap = await s.view.next(is('snapshot'), before);
    assert.equal(snap.snapshot.seq, s.fleet.seq, 'the snapshot covers what happened while hidden');
    const frame = await s.view.next(is('frame'), before);
    assert.equal(frame.frame, 1);
    assert.ok(
      s.view.posted.slice(before).every((m) => m.type !== 'events'),
      'no events posted for the hidden time',
    );
    s.session.dispose();
  });

  it('frames only for visible tiles, one in flight per tile, a newer capture replaces an unsent one, matches when the view lacks them', async () => {
    const s = setup();
    s.send({ type: 'ready', id: 'r1', protocol: 1 });
    await s.view.next(is('snapshot'));
    s.fleet.emit({ type: 'bot.routine', time: 1, group: 'G', orchestrationId: 'G-run1', instance: '1', event: { type: 'step.start', routine: 'r', time: 1, step: 'find', path: '0' } });
    s.fleet.emit({
      type: 'bot.routine',
      time: 2,
      group: 'G',
      orchestrationId: 'G-run1',
      instance: '1',
      event: { type: 'match', routine: 'r', time: 2, template: 'btn', found: true, score: 0.93, threshold: 0.8, box: { x: 1, y: 2, w: 3, h: 4 }, ms: 5 },
    });
    s.fleet.capture('1');
    s.fleet.capture('2');
    assert.equal(s.encodes, 0, 'nothing is visible yet');
    s.send({ type: 'setVisibleTiles', bots: [G1] });
    const f1 = await s.view.next(is('frame'));
    assert.equal(f1.instance, '1');
    assert.equal(f1.frame, 1);
    assert.ok(f1.data instanceof Uint8Array && Object.getPrototypeOf(f1.data) === Uint8Array.prototype, 'binary transfer: a plain Uint8Array, not a Buffer');
    assert.equal(f1.mime, 'image/jpeg');
    assert.deepEqual(f1.device, { width: 540, height: 960 });
    assert.ok(f1.width <= 320 && f1.height <= 400, 'a thumbnail');
    assert.equal(f1.matches?.[0]?.template, 'btn', 'the current step matches go with the first frame');
    // Unacknowledged: new captures wait; the newest replaces the others.
    s.fleet.capture('1');
    s.fleet.capture('1');
    s.fleet.capture('1');
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(s.view.of('frame').length, 1, 'one in flight');
    const n = s.view.posted.length;
    s.send({ type: 'frameAck', bot: G1, frame: 1 });
    const f2 = await s.view.next(is('frame'), n);
    assert.equal(f2.frame, 4, 'the newest capture, not 2 or 3');
    assert.equal(f2.matches, undefined, 'the view has the matches now');
    assert.equal(
      s.view.of('frame').filter((m) => m.instance === '2').length,
      0,
      'bot 2 is not visible',
    );
    assert.equal(s.fleet.released, s.fleet.handedOut, 'every frame handed out is released');
    s.session.dispose();
  });

  it('tiles follow the thumbnail rate', async () => {
    const s = setup({ fps: 10 });
    s.send({ type: 'ready', id: 'r1', protocol: 1 });
    await s.view.next(is('snapshot'));
    s.send({ type: 'setVisibleTiles', bots: [G1] });
    s.fleet.capture('1');
    const f1 = await s.view.next(is('frame'));
    const t0 = performance.now();
    s.send({ type: 'frameAck', bot: G1, frame: f1.frame });
    s.fleet.capture('1');
    const f2 = await s.view.next(is('frame', (m) => m.frame === 2));
    assert.ok(performance.now() - t0 >= 90, 'at most 10 per second');
    assert.equal(f2.frame, 2);
    s.session.dispose();
  });

  it('the zoomed bot gets full-size frames and fresher captures through requestFrame', async () => {
    const s = setup();
    s.send({ type: 'ready', id: 'r1', protocol: 1 });
    await s.view.next(is('snapshot'));
    s.fleet.capture('2');
    s.send({ type: 'zoom', bot: G2 });
    const f1 = await s.view.next(is('frame', (m) => m.instance === '2'));
    assert.equal(f1.width, 540, 'full size');
    s.send({ type: 'frameAck', bot: G2, frame: f1.frame });
    const f2 = await s.view.next(is('frame', (m) => m.instance === '2' && m.frame > f1.frame));
    assert.ok(s.fleet.requestFrames >= 1, 'the zoom asked for a fresher frame');
    s.send({ type: 'zoom', bot: null });
    s.send({ type: 'frameAck', bot: G2, frame: f2.frame });
    const count = s.fleet.requestFrames;
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(s.fleet.requestFrames, count, 'no more fresh captures once unzoomed');
    s.session.dispose();
  });

  it('zooming a bot that has no capture yet asks for one', async () => {
    const s = setup();
    s.send({ type: 'ready', id: 'r1', protocol: 1 });
    await s.view.next(is('snapshot'));
    s.send({ type: 'zoom', bot: G1 });
    const f = await s.view.next(is('frame', (m) => m.instance === '1'));
    assert.equal(f.frame, 1);
    assert.ok(s.fleet.requestFrames >= 1);
    s.session.dispose();
  });

  it('commands act through the host and get exactly one reply each', async () => {
    const s = setup();
    s.send({ type: 'ready', id: 'r1', protocol: 1 });
    await s.view.next(is('snapshot'));
    const cmds: [string, FromMonitor][] = [
      ['c1', { type: 'command', id: 'c1', command: { kind: 'group', action: 'start', group: 'G' } }],
      ['c2', { type: 'command', id: 'c2', command: { kind: 'group', action: 'stop', group: 'Nope' } }],
      ['c3', { type: 'command', id: 'c3', command: { kind: 'bot', action: 'pause', bot: G1 } }],
      ['c4', { type: 'command', id: 'c4', command: { kind: 'createGroup' } }],
      ['c5', { type: 'command', id: 'c5', command: { kind: 'group', action: 'delete', group: 'G' } }],
      ['c6', { type: 'command', id: 'c6', command: { kind: 'group', action: 'edit', group: 'G' } }],
      ['c7', { type: 'command', id: 'c7', command: { kind: 'openRoutine', location: { file: 'routines/farm_premium.yaml', line: 12, col: 3 } } }],
      ['c8', { type: 'command', id: 'c8', command: { kind: 'openRoutine', location: { file: '../../etc/passwd', line: 1, col: 1 } } }],
      ['c9', { type: 'command', id: 'c9', command: { kind: 'openRoutine', routine: 'farm_premium' } }],
    ];
    for (const [, m] of cmds) {
      s.send(m);
    }
    const results = await Promise.all(cmds.map(([id]) => s.view.next(is('result', (m) => m.inReplyTo === id), 0)));
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, false, true, true, true, true, true, false, true],
    );
    assert.deepEqual(s.fleet.calls, ['start G', 'stop Nope', 'pause G/1', 'delete G']);
    assert.deepEqual(s.ui.commands, [CREATE_GROUP_COMMAND]);
    assert.equal(s.ui.confirms.length, 1, 'delete asks first');
    assert.deepEqual(s.ui.opened, ['groups/g.yaml::', 'routines/farm_premium.yaml:12:3', 'routines/farm_premium.yaml::']);
    s.ui.confirmAnswer = false;
    s.send({ type: 'command', id: 'c10', command: { kind: 'group', action: 'delete', group: 'G' } });
    const r10 = await s.view.next(is('result', (m) => m.inReplyTo === 'c10'), 0);
    assert.equal(r10.ok, false);
    assert.equal(s.fleet.calls.filter((c) => c.startsWith('delete')).length, 1, 'not deleted when cancelled');
    await new Promise<void>((r) => setImmediate(r));
    const counts = new Map<string, number>();
    for (const r of s.view.of('result')) {
      counts.set(r.inReplyTo, (counts.get(r.inReplyTo) ?? 0) + 1);
    }
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      'one reply per request',
    );
    s.session.dispose();
  });

  it('takeover is refused unless the bot is paused, and clamped to the device', async () => {
    const rec = new FlightRecorder({ framesPerBot: 5, memoryBytes: 1e8, encodeJpeg: () => Promise.resolve(new Uint8Array(3)) });
    const s = setup({ recorder: rec });
    s.send({ type: 'ready', id: 'r1', protocol: 1 });
    await s.view.next(is('snapshot'));
    s.fleet.capture('2');
    s.send({ type: 'takeover', id: 't1', bot: G1, input: { kind: 'tap', x: 10, y: 10 } });
    const r1 = await s.view.next(is('result', (m) => m.inReplyTo === 't1'), 0);
    assert.equal(r1.ok, false);
    assert.equal(r1.ok ? '' : r1.error.code, 'not-paused');
    assert.match(r1.ok ? '' : r1.error.message, /running: pause it/);
    s.send({ type: 'takeover', id: 't2', bot: G2, input: { kind: 'tap', x: 5000, y: 20 } });
    s.send({ type: 'takeover', id: 't3', bot: G2, input: { kind: 'swipe', from: { x: 0, y: 0 }, to: { x: 9999, y: 9999 }, durationMs: 300 } });
    s.send({ type: 'takeover', id: 't4', bot: G2, input: { kind: 'text', text: 'hello' } });
    s.send({ type: 'takeover', id: 't5', bot: { group: 'G', instance: '9' }, input: { kind: 'key', key: 'enter' } });
    const rs = await Promise.all(['t2', 't3', 't4', 't5'].map((id) => s.view.next(is('result', (m) => m.inReplyTo === id), 0)));
    assert.deepEqual(
      rs.map((r) => r.ok),
      [true, true, true, false],
    );
    assert.deepEqual(
      s.fleet.inputs.map((i) => i.input),
      [
        { kind: 'tap', x: 539, y: 20 },
        { kind: 'swipe', from: { x: 0, y: 0 }, to: { x: 539, y: 959 }, durationMs: 300 },
        { kind: 'text', text: 'hello' },
      ],
    );
    s.session.dispose();
  });

  it('answers recorder requests from the flight recorder', async () => {
    const rec = new FlightRecorder({ framesPerBot: 5, memoryBytes: 1e8, encodeJpeg: (f) => Promise.resolve(new Uint8Array([0xff, 0xd8, f.id])) });
    const s = setup({ recorder: rec });
    const raw = (id: number): RawFrame => ({ width: 540, height: 960, data: new Uint8Array(4), capturedAt: id, id });
    rec.recordFrame(G1, raw(1), { frame: 1, time: 100 });
    rec.recordFrame(G1, raw(2), { frame: 2, time: 200 });
    await new Promise<void>((r) => setImmediate(r));
    s.send({ type: 'recorder', id: 'q1', request: { op: 'list', bot: G1 } });
    s.send({ type: 'recorder', id: 'q2', request: { op: 'frame', bot: G1, frame: 2 } });
    s.send({ type: 'recorder', id: 'q3', request: { op: 'frame', bot: G1, frame: 99 } });
    s.send({ type: 'recorder', id: 'q4', request: { op: 'saveBugReport', bot: G1 } });
    const [q1, q2, q3, q4] = await Promise.all(['q1', 'q2', 'q3', 'q4'].map((id) => s.view.next(is('recorder', (m) => m.inReplyTo === id), 0)));
    assert.deepEqual(q1?.reply, { op: 'list', bot: G1, capacity: 5, frames: [{ frame: 1, time: 100 }, { frame: 2, time: 200 }] });
    assert.equal(q2?.reply.op, 'frame');
    assert.equal(q2?.reply.op === 'frame' ? q2.reply.mime : '', 'image/jpeg');
    assert.equal(q3?.reply.op, 'error');
    assert.equal(q4?.reply.op === 'error' ? q4.reply.code : '', 'no-folder');
    s.session.dispose();
  });

  it('saving: a frame says whether it is lossless; "Save bug report as…" asks the save port for a folder; a dismissed picker writes nothing', async () => {
    const asked: string[] = [];
    let cancel = false;
    const save: MonitorSavePort = {
      saveFrame: (_b, frame) => Promise.resolve(frame === 1 ? { path: '/f/a-frame1-recorded.jpg', lossless: false, note: 'only its recorded JPEG is left' } : { path: '/f/a-frame2.png', lossless: true }),
      saveBugReport: (_b, opts) => {
        asked.push(opts?.askFolder ? 'ask' : 'default');
        if (cancel) {
          const e = new Error('cancelled');
          e.name = 'CancelledByUser';
          return Promise.reject(e);
        }
        return Promise.resolve(opts?.askFolder ? '/picked/r' : '/ws/.fleet/reports/r');
      },
    };
    const s = setup({ save, recorder: new FlightRecorder({ framesPerBot: 5, memoryBytes: 1e8, encodeJpeg: () => Promise.resolve(new Uint8Array(3)) }) });
    s.send({ type: 'recorder', id: 'f1', request: { op: 'saveFrame', bot: G1, frame: 1 } });
    s.send({ type: 'recorder', id: 'f2', request: { op: 'saveFrame', bot: G1, frame: 2 } });
    s.send({ type: 'recorder', id: 'b1', request: { op: 'saveBugReport', bot: G1 } });
    s.send({ type: 'recorder', id: 'b2', request: { op: 'saveBugReport', bot: G1, askFolder: true } });
    const [f1, f2, b1, b2] = await Promise.all(['f1', 'f2', 'b1', 'b2'].map((id) => s.view.next(is('recorder', (m) => m.inReplyTo === id), 0)));
    assert.deepEqual(f1?.reply, { op: 'saved', kind: 'frame', path: '/f/a-frame1-recorded.jpg', lossless: false, note: 'only its recorded JPEG is left' });
    assert.deepEqual(f2?.reply, { op: 'saved', kind: 'frame', path: '/f/a-frame2.png', lossless: true });
    assert.deepEqual(b1?.reply, { op: 'saved', kind: 'bugReport', path: '/ws/.fleet/reports/r' });
    assert.deepEqual(b2?.reply, { op: 'saved', kind: 'bugReport', path: '/picked/r' });
    cancel = true;
    s.send({ type: 'recorder', id: 'b3', request: { op: 'saveBugReport', bot: G1, askFolder: true } });
    const b3 = await s.view.next(is('recorder', (m) => m.inReplyTo === 'b3'), 0);
    assert.equal(b3.reply.op === 'error' ? b3.reply.code : b3.reply.op, 'cancelled');
    assert.deepEqual(asked, ['default', 'ask', 'ask']);
    s.session.dispose();
  });

  it('1,000 random inbound messages: no exception, each invalid one rejected with a logged reason', async () => {
    const s = setup();
    s.send({ type: 'ready', id: 'r1', protocol: 1 });
    await s.view.next(is('snapshot'));
    const before = s.logger.records.length;
    const messages = randomInboundMessages(1000, 7);
    for (const m of messages) {
      assert.doesNotThrow(() => s.send(m));
    }
    const rejects = s.logger.records.slice(before).filter((r) => r.message.startsWith('ignored a message from the monitor view: '));
    assert.equal(rejects.length, 1000, 'every one rejected');
    assert.equal(s.session.stats.rejected, 1000);
    assert.ok(
      rejects.every((r) => r.message.length > 'ignored a message from the monitor view: '.length + 3),
      'each with its reason',
    );
    assert.equal(s.fleet.calls.length + s.fleet.inputs.length, 0, 'nothing acted on');
    s.session.dispose();
  });
});
