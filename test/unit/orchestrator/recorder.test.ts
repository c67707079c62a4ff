import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FrameRecycledError, type FrameLease, type RawFrame } from '../../../src/bot/device';
import { encodeJpeg } from '../../../src/bot/vision/frameEncoder';
import { FlightRecorder, type RecorderBotRef } from '../../../src/orchestrator/recorder';
import { bugReportFiles, bugReportFolderName, redactSecrets, redactYamlText, REDACTED, writeBugReport } from '../../../src/orchestrator/bugReport';
import { nodeReportWriter } from '../../../src/host/reportWriter';
import type { RecorderEvent } from '../../../src/shared/monitorProtocol';

/** A leased frame whose retains are counted; `recycle()` detaches it like a device would. */
class LeasedFrame {
  retains = 0;
  recycled = false;
  readonly frame: RawFrame;
  constructor(id: number, width = 4, height = 4) {
    const lease: FrameLease = {
      get valid() {
        return !self.recycled;
      },
      retain: () => {
        if (this.recycled) {
          throw new FrameRecycledError(id);
        }
        this.retains++;
        let done = false;
        return () => {
          if (!done) {
            done = true;
            this.retains--;
          }
        };
      },
      release: () => undefined,
    };
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.frame = { width, height, data: new Uint8Array(width * height * 4).fill(id % 256), capturedAt: id, id, lease };
  }
}

function ownedFrame(id: number, width = 4, height = 4): RawFrame {
  return { width, height, data: new Uint8Array(width * height * 4).fill(id % 256), capturedAt: id, id };
}

/** An encoder whose encodes finish when the test says so. */
class ManualEncoder {
  readonly calls: { frame: RawFrame; resolve: (b: Uint8Array) => void; reject: (e: Error) => void }[] = [];
  readonly encode = (frame: RawFrame): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      this.calls.push({ frame, resolve, reject });
    });
  finish(i: number, bytes = 100): void {
    this.calls[i]?.resolve(new Uint8Array(bytes));
  }
}

const instantEncoder = (bytes: number) => (frame: RawFrame) => Promise.resolve(new Uint8Array(bytes).fill(frame.id % 256));

const A: RecorderBotRef = { group: 'G', instance: '1' };
const B: RecorderBotRef = { group: 'G', instance: '2' };

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
}

function stepStart(step: string, time: number): RecorderEvent {
  return { kind: 'routine', time, event: { type: 'step.start', routine: 'r', time, step, path: '0' } };
}

describe('(unit) flight recorder', () => {
  it('keeps the last N frames per bot, oldest first, with the events around each and the step', async () => {
    const rec = new FlightRecorder({ framesPerBot: 3, memoryBytes: 1e9, encodeJpeg: instantEncoder(10) });
    rec.recordEvent(A, stepStart('open', 1));
    for (let i = 1; i <= 5; i++) {
      rec.recordFrame(A, ownedFrame(i), { frame: i, time: i * 100 });
      await settle();
      rec.recordEvent(A, { kind: 'routine', time: i * 100 + 1, event: { type: 'log', routine: 'r', time: i * 100 + 1, level: 'info', message: `after ${i}` } });
    }
    rec.recordEvent(A, { kind: 'routine', time: 999, event: { type: 'error', routine: 'r', time: 999, message: 'boom' } });
    const frames = rec.frames('G', '1');
    assert.deepEqual(
      frames.map((f) => f.frame),
      [3, 4, 5],
    );
    assert.equal(frames[0]?.step, 'open');
    assert.deepEqual(
      frames[0]?.events.map((e) => (e.kind === 'routine' && e.event.type === 'log' ? e.event.message : '')),
      ['after 3'],
    );
    assert.equal(frames[2]?.error, true, 'the error after frame 5 marks it');
    assert.equal(frames[1]?.error, false);
    assert.equal(rec.frame('G', '1', 4)?.frame, 4);
    assert.equal(rec.frame('G', '1', 1), undefined, 'evicted');
    assert.equal(rec.frameAt('G', '1', 450)?.frame, 4, 'the frame on screen at that time');
    assert.equal(rec.frameAt('G', '1', 50), undefined);
    assert.deepEqual(rec.frames('G', '9'), []);
  });

  it('a frame number seen again (a new run of the group): frame() gives the newest, or the one of the capture time', async () => {
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, encodeJpeg: instantEncoder(10) });
    rec.recordFrame(A, ownedFrame(1), { frame: 1, time: 100 });
    await settle();
    rec.recordFrame(A, ownedFrame(2), { frame: 1, time: 5000 });
    await settle();
    assert.equal(rec.frame('G', '1', 1)?.time, 5000, 'the newest run');
    assert.equal(rec.frame('G', '1', 1, 100)?.time, 100);
    assert.equal(rec.frame('G', '1', 1, 200), undefined, 'no frame of that number at that time');
  });

  it('labels a frame with the running step and its line, so two steps of one kind in a row stay apart', async () => {
    const rec = new FlightRecorder({ framesPerBot: 5, memoryBytes: 1e9, encodeJpeg: instantEncoder(10) });
    const at = (line: number) => ({ file: 'routines/r.yaml', start: { line, col: 5 }, end: { line, col: 30 }, offset: [0, 0] as [number, number] });
    for (const [i, line] of [4, 5].entries()) {
      rec.recordEvent(A, { kind: 'routine', time: i * 100, event: { type: 'step.start', routine: 'r', time: i * 100, step: 'if', path: `${i}`, range: at(line) } });
      rec.recordFrame(A, ownedFrame(i + 1), { frame: i + 1, time: i * 100 + 1 });
      await settle();
    }
    assert.deepEqual(rec.frames('G', '1').map((f) => f.step), ['if · line 4', 'if · line 5']);
  });

  it('events before the first frame go with it', async () => {
    const rec = new FlightRecorder({ framesPerBot: 3, memoryBytes: 1e9, encodeJpeg: instantEncoder(10) });
    rec.recordEvent(A, stepStart('boot', 1));
    rec.recordFrame(A, ownedFrame(1), { frame: 1, time: 10 });
    await settle();
    assert.equal(rec.frames('G', '1')[0]?.events.length, 1);
  });

  it('keeps the latest raw frame retained and releases the previous; everything is released on forget', async () => {
    const rec = new FlightRecorder({ framesPerBot: 5, memoryBytes: 1e9, encodeJpeg: instantEncoder(10) });
    const f1 = new LeasedFrame(1);
    const f2 = new LeasedFrame(2);
    rec.recordFrame(A, f1.frame, { frame: 1, time: 1 });
    await settle();
    assert.equal(f1.retains, 1, 'the latest raw frame stays retained after its encode');
    rec.recordFrame(A, f2.frame, { frame: 2, time: 2 });
    await settle();
    assert.equal(f1.retains, 0);
    assert.equal(f2.retains, 1);
    assert.equal(rec.latestRaw('G', '1')?.frame, f2.frame);
    rec.forget('G', '1');
    assert.equal(f2.retains, 0);
    assert.equal(rec.bytesHeld(), 0);
    assert.equal(rec.latestRaw('G', '1'), undefined);
  });

  it('a recycled frame is dropped with onError, nothing thrown', () => {
    const errors: unknown[] = [];
    const rec = new FlightRecorder({ framesPerBot: 5, memoryBytes: 1e9, encodeJpeg: instantEncoder(10), onError: (e) => errors.push(e) });
    const f = new LeasedFrame(1);
    f.recycled = true;
    rec.recordFrame(A, f.frame, { frame: 1, time: 1 });
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof FrameRecycledError);
    assert.deepEqual(rec.frames('G', '1'), []);
  });

  it('one encode in flight per bot: a newer frame replaces the waiting one', async () => {
    const enc = new ManualEncoder();
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, encodeJpeg: enc.encode });
    const frames = [1, 2, 3, 4].map((i) => new LeasedFrame(i));
    frames.forEach((f, i) => rec.recordFrame(A, f.frame, { frame: i + 1, time: i + 1 }));
    assert.equal(enc.calls.length, 1, 'only the first is being encoded');
    assert.equal(frames[1]?.retains, 0, 'frame 2 was replaced while waiting: released');
    assert.equal(frames[2]?.retains, 0);
    assert.equal(frames[3]?.retains, 2, 'frame 4 waits (and is the latest raw)');
    enc.finish(0);
    await settle();
    assert.equal(enc.calls.length, 2);
    assert.equal(enc.calls[1]?.frame, frames[3]?.frame);
    enc.finish(1);
    await settle();
    assert.deepEqual(
      rec.frames('G', '1').map((f) => f.frame),
      [1, 4],
    );
    assert.equal(frames[3]?.retains, 1, 'only the latest-raw retain is left');
  });

  it('a failed encode drops its frame and moves its events to the previous one', async () => {
    const enc = new ManualEncoder();
    const errors: unknown[] = [];
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, encodeJpeg: enc.encode, onError: (e) => errors.push(e) });
    rec.recordFrame(A, ownedFrame(1), { frame: 1, time: 1 });
    enc.finish(0);
    await settle();
    rec.recordFrame(A, ownedFrame(2), { frame: 2, time: 2 });
    rec.recordEvent(A, stepStart('x', 3));
    enc.calls[1]?.reject(new Error('bad'));
    await settle();
    assert.equal(errors.length, 1);
    const frames = rec.frames('G', '1');
    assert.deepEqual(
      frames.map((f) => f.frame),
      [1],
    );
    assert.equal(frames[0]?.events.length, 1, 'the event is not lost');
  });

  it('minIntervalMs thins the recording but the latest raw frame follows every capture', async () => {
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, encodeJpeg: instantEncoder(10), minIntervalMs: 100 });
    for (let i = 0; i < 10; i++) {
      rec.recordFrame(A, ownedFrame(i), { frame: i, time: i * 30 });
      await settle();
    }
    assert.deepEqual(
      rec.frames('G', '1').map((f) => f.frame),
      [0, 4, 8],
    );
    assert.equal(rec.latestRaw('G', '1')?.meta.frame, 9);
  });

  it('counts the real bytes held and stays under the cap, evicting fairly across bots', async () => {
    const jpeg = 10_000;
    const raw = 4 * 4 * 4;
    const cap = 300_000;
    const rec = new FlightRecorder({ framesPerBot: 1000, memoryBytes: cap, encodeJpeg: instantEncoder(jpeg) });
    // Bot A records five times as often as B.
    let t = 0;
    for (let i = 0; i < 200; i++) {
      for (let k = 0; k < 5; k++) {
        t++;
        rec.recordFrame(A, ownedFrame(t), { frame: t, time: t });
        await settle();
      }
      t++;
      rec.recordFrame(B, ownedFrame(t), { frame: t, time: t });
      await settle();
      assert.ok(rec.bytesHeld() <= cap, `held ${rec.bytesHeld()} > cap ${cap}`);
    }
    const a = rec.frames('G', '1');
    const b = rec.frames('G', '2');
    const sum = [...a, ...b].reduce((n, f) => n + f.jpeg.byteLength, 0);
    assert.ok(sum + 2 * raw <= rec.bytesHeld(), 'the JPEGs and the raw frames are counted');
    assert.ok(Math.abs(a.length - b.length) <= 1, `fair: A keeps ${a.length}, B keeps ${b.length}`);
    assert.ok(a.length >= 13, `the cap is used: ${a.length}`);
    // Oldest go first: each bot's frames are its newest.
    assert.equal(a[a.length - 1]?.frame, t - 1);
    assert.equal(b[b.length - 1]?.frame, t);
    rec.setLimits({ framesPerBot: 2, memoryBytes: cap });
    assert.equal(rec.frames('G', '1').length, 2);
    rec.setLimits({ framesPerBot: 0, memoryBytes: cap });
    assert.equal(rec.frames('G', '1').length, 0);
    rec.dispose();
    assert.equal(rec.bytesHeld(), 0);
  });
});

describe('(unit) bug report', () => {
  it('redacts secret-named fields and secret variables in data', () => {
    const out = redactSecrets({
      account: { id: 'a1', password: 'hunter2', apiToken: 't', nested: [{ sessionId: 's', cookie: 'c', authHeader: 'h', privateKey: 'k' }] },
      event: { type: 'var', name: 'userPassword', value: 'p' },
      other: { type: 'var', name: 'count', value: 3 },
    });
    assert.deepEqual(out, {
      account: { id: 'a1', password: REDACTED, apiToken: REDACTED, nested: [{ sessionId: REDACTED, cookie: REDACTED, authHeader: REDACTED, privateKey: REDACTED }] },
      event: { type: 'var', name: 'userPassword', value: REDACTED },
      other: { type: 'var', name: 'count', value: 3 },
    });
  });

  it('redacts secret values in YAML text, blocks included', () => {
    const text = ['name: farm', 'login:', '  user: bob', '  password: hunter2', '  - token: "abc"', 'apiKey: |', '  line1', '  line2', 'steps:', '  - tap: ok # password: no'].join('\n');
    const out = redactYamlText(text);
    assert.ok(!/hunter2|abc|line1|line2/.test(out), out);
    assert.match(out, /user: bob/);
    assert.match(out, /password: \[redacted\]/);
    assert.match(out, /steps:\n {2}- tap: ok/);
  });

  it('writes the frames, the events as JSON lines, the files, the versions and the bot, redacted', async () => {
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, encodeJpeg: (f) => encodeJpeg(f, { quality: 70 }) });
    rec.recordEvent(A, stepStart('login', 1));
    const w = 8;
    for (let i = 1; i <= 3; i++) {
      const frame = ownedFrame(i, w, w);
      rec.recordFrame(A, frame, { frame: i, time: 1000 + i });
      await new Promise<void>((resolve) => {
        const poll = (): void => {
          if (rec.frames('G', '1').length === i) {
            resolve();
          } else {
            setImmediate(poll);
          }
        };
        poll();
      });
      rec.recordEvent(A, { kind: 'routine', time: 1000 + i, event: { type: 'var', routine: 'r', time: 1000 + i, name: 'password', value: 'hunter2' } });
    }
    rec.recordEvent(A, { kind: 'input', time: 2000, by: 'user', input: { kind: 'tap', x: 1, y: 2 } });
    const files = bugReportFiles({
      group: 'G',
      instance: '1',
      time: Date.UTC(2026, 0, 2, 3, 4, 5),
      frames: rec.frames('G', '1'),
      routineFiles: [{ path: 'routines/farm.yaml', text: 'name: farm\nsteps:\n  - type: { text: x, secret: s3cr3t }\n' }],
      groupFile: { path: 'groups/g.yaml', text: 'name: G\naccountToken: zzz\n' },
      versions: { extension: '0.1.0', vscode: '1.99.0', node: process.version, os: 'linux' },
      bot: { instance: '1', state: 'paused', account: { id: 'a', password: 'pw' } },
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'fleet-report-'));
    try {
      const target = path.join(dir, bugReportFolderName(Date.UTC(2026, 0, 2, 3, 4, 5), 'G', '1'));
      const written = await writeBugReport(nodeReportWriter, target, files);
      assert.equal(written.length, files.length);
      assert.match(path.basename(target), /^2026-01-02T03-04-05-000Z-G-1$/);
      const frameFiles = readdirSync(path.join(target, 'frames')).sort();
      assert.deepEqual(frameFiles, ['0001-frame1.jpg', '0002-frame2.jpg', '0003-frame3.jpg']);
      const jpg = readFileSync(path.join(target, 'frames', frameFiles[0] ?? ''));
      assert.equal(jpg[0], 0xff);
      assert.equal(jpg[1], 0xd8, 'a JPEG');
      const lines = readFileSync(path.join(target, 'events.jsonl'), 'utf8').trim().split('\n');
      assert.equal(lines.length, 5);
      const events = lines.map((l) => JSON.parse(l) as { frame: number; kind: string });
      assert.equal(events[0]?.frame, 1);
      for (const f of ['events.jsonl', 'report.json', 'routines/farm.yaml', 'group/g.yaml']) {
        const text = readFileSync(path.join(target, f), 'utf8');
        assert.ok(!/hunter2|s3cr3t|zzz|"pw"/.test(text), `${f} leaks a secret:\n${text}`);
      }
      const report = JSON.parse(readFileSync(path.join(target, 'report.json'), 'utf8')) as { versions: { node: string }; frames: unknown[]; bot: { account: { password: string } } };
      assert.equal(report.versions.node, process.version);
      assert.equal(report.frames.length, 3);
      assert.equal(report.bot.account.password, REDACTED);
      assert.deepEqual(readdirSync(target).filter((n) => n.endsWith('.tmp')), [], 'no temp file left');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
