/**
 * The flight recorder's settings read live (rate, length, lossless copies), its lossless copies of the newest
 * frames under the memory cap, the routine's inputs fed in as input events, and a bug report that is complete or
 * absent.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RawFrame } from '../../../src/bot/device';
import { FlightRecorder, type RecorderBotRef } from '../../../src/orchestrator/recorder';
import { writeBugReport, type ReportWriter } from '../../../src/orchestrator/bugReport';
import { nodeReportWriter } from '../../../src/host/reportWriter';
import { feedRecorder } from '../../../src/extension/monitor/recorderFeed';
import type { MonitorFleetPort } from '../../../src/extension/monitor/monitorPorts';
import { describeRecorderEvent } from '../../../src/webview/model/monitorModel';
import type { FleetEvent } from '../../../src/shared/fleetTypes';
import { parseToMonitor, type RecorderEvent } from '../../../src/shared/monitorProtocol';

const A: RecorderBotRef = { group: 'G', instance: '1' };
const B: RecorderBotRef = { group: 'G', instance: '2' };

function frame(id: number): RawFrame {
  return { width: 4, height: 4, data: new Uint8Array(64).fill(id % 256), capturedAt: id, id };
}

const bytes = (n: number, tag: number) => (f: RawFrame) => Promise.resolve(new Uint8Array(n).fill((f.id + tag) % 256));

async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) {
    await Promise.resolve();
  }
}

describe('(unit) flight recorder settings and lossless copies', () => {
  it('the recording rate follows setLimits live (a setting change applies from the next capture)', async () => {
    const rec = new FlightRecorder({ framesPerBot: 100, memoryBytes: 1e9, minIntervalMs: 500, encodeJpeg: bytes(10, 0) });
    let t = 0;
    for (let i = 0; i < 10; i++, t += 100) {
      rec.recordFrame(A, frame(i), { frame: i, time: t });
      await settle();
    }
    assert.equal(rec.frames('G', '1').length, 2, 'at 2 fps, 2 of the 10 captures of one second');
    rec.setLimits({ framesPerBot: 100, memoryBytes: 1e9, minIntervalMs: 100 });
    assert.equal(rec.capacity.minIntervalMs, 100);
    for (let i = 10; i < 20; i++, t += 100) {
      rec.recordFrame(A, frame(i), { frame: i, time: t });
      await settle();
    }
    assert.equal(rec.frames('G', '1').length, 12, 'at 10 fps, every capture of the next second');
    rec.setLimits({ framesPerBot: 5, memoryBytes: 1e9, minIntervalMs: 100 });
    assert.deepEqual(
      rec.frames('G', '1').map((f) => f.frame),
      [15, 16, 17, 18, 19],
      'a shorter history drops the oldest at once',
    );
  });

  it('makes lossless copies only for the bots it is told (the monitor: the zoomed bot), from then on', async () => {
    let pngs = 0;
    const rec = new FlightRecorder({
      framesPerBot: 10,
      memoryBytes: 1e9,
      losslessFrames: 5,
      encodeJpeg: bytes(10, 0),
      encodePng: (f) => (pngs++, bytes(50, 1)(f)),
    });
    rec.setLosslessBots([]);
    for (let i = 1; i <= 2; i++) {
      rec.recordFrame(A, frame(i), { frame: i, time: i * 1000 });
      rec.recordFrame(B, frame(i), { frame: i, time: i * 1000 });
      await settle();
    }
    assert.equal(pngs, 0, 'no bot is zoomed: no PNG is encoded at all');
    assert.equal(rec.losslessFor(A), false);
    rec.setLosslessBots([B]);
    for (let i = 3; i <= 4; i++) {
      rec.recordFrame(A, frame(i), { frame: i, time: i * 1000 });
      rec.recordFrame(B, frame(i), { frame: i, time: i * 1000 });
      await settle();
    }
    assert.equal(pngs, 2);
    assert.deepEqual(
      rec.frames('G', '2').map((f) => [f.frame, f.png?.byteLength]),
      [
        [1, undefined],
        [2, undefined],
        [3, 50],
        [4, 50],
      ],
    );
    assert.ok(rec.frames('G', '1').every((f) => f.png === undefined), 'bot A got none');
    rec.setLosslessBots(undefined);
    assert.equal(rec.losslessFor(A), true, 'undefined: every bot again');
  });

  it('keeps a lossless copy of the newest losslessFrames frames only, counted in the bytes held', async () => {
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, losslessFrames: 2, encodeJpeg: bytes(10, 0), encodePng: bytes(50, 1) });
    assert.equal(rec.keepsLossless, true);
    for (let i = 1; i <= 5; i++) {
      rec.recordFrame(A, frame(i), { frame: i, time: i * 1000 });
      await settle();
    }
    const fs = rec.frames('G', '1');
    assert.deepEqual(
      fs.map((f) => [f.frame, f.png?.byteLength]),
      [
        [1, undefined],
        [2, undefined],
        [3, undefined],
        [4, 50],
        [5, 50],
      ],
    );
    assert.equal(rec.frame('G', '1', 5)?.png?.[0], 6, 'the PNG encoder saw frame 5');
    const held = rec.bytesHeld();
    rec.setLimits({ framesPerBot: 10, memoryBytes: 1e9, losslessFrames: 0 });
    assert.equal(rec.keepsLossless, false);
    assert.equal(rec.frames('G', '1').filter((f) => f.png).length, 0);
    assert.equal(rec.bytesHeld(), held - 100, 'the dropped copies are no longer counted');
    rec.recordFrame(A, frame(6), { frame: 6, time: 6000 });
    await settle();
    assert.equal(rec.frame('G', '1', 6)?.png, undefined, 'no copy is made while losslessFrames is 0');
  });

  it('over the memory cap, lossless copies go (oldest first, any bot) before any frame', async () => {
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, losslessFrames: 3, encodeJpeg: bytes(100, 0), encodePng: bytes(1000, 0) });
    for (let i = 1; i <= 3; i++) {
      rec.recordFrame(A, frame(i), { frame: i, time: i });
      await settle();
      rec.recordFrame(B, frame(i + 10), { frame: i, time: i + 0.5 });
      await settle();
    }
    const full = rec.bytesHeld();
    // Room for all but about 2.5 copies: the three oldest copies go, every frame stays.
    rec.setLimits({ framesPerBot: 10, memoryBytes: full - 2500, losslessFrames: 3 });
    assert.ok(rec.bytesHeld() <= full - 2500);
    assert.equal(rec.frames('G', '1').length + rec.frames('G', '2').length, 6, 'no frame went');
    assert.deepEqual(
      rec.frames('G', '1').map((f) => f.png !== undefined),
      [false, false, true],
    );
    assert.deepEqual(
      rec.frames('G', '2').map((f) => f.png !== undefined),
      [false, true, true],
    );
  });

  it('a failed lossless encode leaves the recorded JPEG', async () => {
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, losslessFrames: 2, encodeJpeg: bytes(10, 0), encodePng: () => Promise.reject(new Error('no png')) });
    rec.recordFrame(A, frame(1), { frame: 1, time: 1 });
    await settle();
    const f = rec.frame('G', '1', 1);
    assert.equal(f?.jpeg.byteLength, 10);
    assert.equal(f?.png, undefined);
  });
});

/** A fleet port that only has a feed (what feedRecorder uses). */
function feedOnly(): { port: MonitorFleetPort; emit: (e: FleetEvent) => void } {
  let listener: ((e: FleetEvent) => void) | undefined;
  const unused = (): never => {
    throw new Error('not used');
  };
  const port: MonitorFleetPort = {
    sessionId: 's',
    snapshot: unused,
    onEvent: (l) => {
      listener = l;
      return { dispose: () => (listener = undefined) };
    },
    latestFrame: () => undefined,
    requestFrame: unused,
    groupCommand: unused,
    botCommand: unused,
    deleteGroup: unused,
    botInput: unused,
  };
  return { port, emit: (e) => listener?.(e) };
}

describe('(unit) routine inputs in the flight recorder', () => {
  it('a routine input event is recorded as an input by the routine, with its step; the view tells it from a user input', () => {
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, encodeJpeg: bytes(10, 0) });
    const { port, emit } = feedOnly();
    const sub = feedRecorder(port, rec);
    const base = { seq: 1, time: 5, group: 'G', orchestrationId: 'o', instance: '1' } as const;
    emit({ ...base, type: 'bot.routine', event: { type: 'step.start', routine: 'r', time: 5, step: 'Open pack', path: 'steps[2]', id: 'open' } });
    emit({
      ...base,
      seq: 2,
      type: 'bot.routine',
      event: { type: 'input', routine: 'r', time: 6, input: { kind: 'tap', x: 270, y: 480 }, step: 'Open pack', id: 'open', path: 'steps[2]' },
    });
    emit({ ...base, seq: 3, type: 'bot.routine', event: { type: 'input', routine: 'r', time: 7, input: { kind: 'text', chars: 7 }, step: 'login', path: 'steps[3]' } });
    rec.recordFrame(A, frame(1), { frame: 1, time: 8 });
    sub.dispose();
    rec.recordEvent(A, { kind: 'input', time: 9, by: 'user', input: { kind: 'tap', x: 1, y: 2 } });
    // Events before the first frame wait for it; the frame is still encoding, so read them from the slot's events.
    const events: RecorderEvent[] = [];
    const check = (): readonly RecorderEvent[] => rec.frames('G', '1')[0]?.events ?? [];
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      events.push(...check());
      const inputs = events.filter((e): e is Extract<RecorderEvent, { kind: 'input' }> => e.kind === 'input');
      assert.deepEqual(
        inputs.map((e) => [e.by, e.input.kind, e.step, e.stepId, e.path]),
        [
          ['routine', 'tap', 'Open pack', 'open', 'steps[2]'],
          ['routine', 'text', 'login', undefined, 'steps[3]'],
          ['user', 'tap', undefined, undefined, undefined],
        ],
      );
      const lines = events.map(describeRecorderEvent);
      const tap = lines.find((l) => l.by === 'routine' && l.text.includes('tap'));
      assert.equal(tap?.text, 'Routine: tap 270,480 · Open pack');
      assert.ok(lines.some((l) => l.by === 'routine' && l.text === 'Routine: type 7 characters · login'), 'a text from a variable shows only its length');
      assert.ok(lines.some((l) => l.by === 'user' && l.text === 'You: tap 1,2'));
      // The events travel to the view: the recorder reply's schema keeps the routine input's fields.
      const f = rec.frames('G', '1')[0];
      assert.ok(f);
      const parsed = parseToMonitor({
        type: 'recorder',
        inReplyTo: 'x',
        reply: { op: 'frame', bot: A, events: [...f.events], frame: 1, time: 8, width: 4, height: 4, device: { width: 4, height: 4 }, mime: 'image/jpeg', data: new Uint8Array(2) },
      });
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
      const back = parsed.msg.type === 'recorder' && parsed.msg.reply.op === 'frame' ? parsed.msg.reply.events : [];
      assert.deepEqual(back, f.events);
    });
  });
});

describe('(unit) bug report writing', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleet-report-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a failure half-way leaves no report folder and no staging folder', async () => {
    let n = 0;
    const failing: ReportWriter = {
      ...nodeReportWriter,
      writeFile: (p, data) => (++n === 3 ? Promise.reject(new Error('disk full')) : nodeReportWriter.writeFile(p, data)),
    };
    const target = path.join(dir, 'reports', 'r1');
    const files = [
      { path: 'frames/0001-frame1.jpg', data: new Uint8Array([0xff, 0xd8]) },
      { path: 'events.jsonl', data: '{}\n' },
      { path: 'report.json', data: '{}\n' },
    ];
    await assert.rejects(writeBugReport(failing, target, files), /disk full/);
    assert.equal(existsSync(target), false, 'no half report');
    assert.deepEqual(readdirSync(path.join(dir, 'reports')), [], 'the staging folder is removed');
    // The same report written whole: the folder appears with every file and nothing else is left beside it.
    const written = await writeBugReport(nodeReportWriter, target, files);
    assert.equal(written.length, 3);
    assert.deepEqual(readdirSync(path.join(dir, 'reports')), ['r1']);
    assert.deepEqual(readdirSync(target).sort(), ['events.jsonl', 'frames', 'report.json']);
    // A folder of that name exists now: a second report is refused rather than mixed into it.
    await assert.rejects(writeBugReport(nodeReportWriter, target, files), /exists already/);
    assert.deepEqual(readdirSync(path.join(dir, 'reports')), ['r1']);
  });
});
