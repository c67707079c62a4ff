/**
 * "Save frame" and "Save bug report" on disk: a recorded frame is saved as PNG while the recorder holds its lossless
 * copy and as the recorded JPEG (named so, with a note) once only that is left; reports go to the reports folder
 * setting (relative to the fleet folder, or absolute) or to the folder the user picks.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RawFrame } from '../../../src/bot/device';
import { encodeJpeg } from '../../../src/bot/vision/frameEncoder';
import { encodePng } from '../../../src/bot/vision/imageCodec';
import { decodePng } from '../../../src/bot/adb/adbDevice';
import { FlightRecorder } from '../../../src/orchestrator/recorder';
import { nodeReportWriter } from '../../../src/host/reportWriter';
import { NodeFileStore } from '../../../src/host/nodePorts';
import { MonitorSave, reportsFolderOf } from '../../../src/extension/monitor/monitorSave';
import { recorderLimits } from '../../../src/extension/monitor/monitorLimits';
import { DEFAULT_SETTINGS } from '../../../src/extension/settings';

const BOT = { group: 'G', instance: '1' };

/** A 16x16 frame with a sharp pattern (JPEG would blur it). */
function pattern(id: number): RawFrame {
  const data = new Uint8Array(16 * 16 * 4);
  for (let i = 0; i < 16 * 16; i++) {
    const on = (i + id) % 2 === 0;
    data.set(on ? [255, 0, 0, 255] : [0, 0, 255, 255], i * 4);
  }
  return { width: 16, height: 16, data, capturedAt: id, id };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !check(); i++) {
    await new Promise<void>((r) => setImmediate(r));
  }
  assert.ok(check(), what);
}

describe('(unit) monitor saving', () => {
  let ws: string;
  let rec: FlightRecorder;
  let reportsSetting: string | undefined;
  let picked: string | Error;
  let save: MonitorSave;

  beforeEach(() => {
    ws = mkdtempSync(path.join(tmpdir(), 'fleet-save-'));
    mkdirSync(path.join(ws, 'routines'));
    writeFileSync(path.join(ws, 'routines', 'r.yaml'), 'steps:\n  - wait: 1s\n');
    rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, losslessFrames: 1, encodeJpeg: (f) => encodeJpeg(f, { quality: 70 }), encodePng: (f) => encodePng(f, 1) });
    reportsSetting = undefined;
    picked = path.join(ws, 'picked');
    save = new MonitorSave({
      root: () => ws,
      files: (root) => new NodeFileStore(root),
      recorder: rec,
      fleet: () => undefined,
      writer: nodeReportWriter,
      encodePng: (f) => encodePng(f),
      versions: () => ({ extension: '0.0.0' }),
      now: () => Date.UTC(2026, 11, 6, 12, 0, 0),
      reportsFolder: () => reportsSetting,
      askFolder: (suggested) => {
        assert.equal(suggested, reportsFolderOf(ws, reportsSetting), 'the picker starts at the reports folder');
        return picked instanceof Error ? Promise.reject(picked) : Promise.resolve(picked);
      },
    });
  });
  afterEach(() => {
    rec.dispose();
    rmSync(ws, { recursive: true, force: true });
  });

  it('a recorded frame is saved losslessly while its copy is held, else as its recorded JPEG with a note', async () => {
    rec.recordFrame(BOT, pattern(1), { frame: 1, time: 1000 });
    await until('frame 1 recorded', () => rec.frames('G', '1').length === 1);
    const first = await save.saveFrame(BOT, 1);
    assert.equal(first.lossless, true);
    assert.match(path.basename(first.path), /-frame1\.png$/);
    const png = await decodePng(readFileSync(first.path));
    assert.deepEqual(Buffer.from(png.data), Buffer.from(pattern(1).data), 'the exact pixels the bot saw');

    rec.recordFrame(BOT, pattern(2), { frame: 2, time: 2000 });
    await until('frame 2 recorded', () => rec.frames('G', '1').length === 2);
    const older = await save.saveFrame(BOT, 1);
    assert.equal(older.lossless, false);
    assert.match(path.basename(older.path), /-frame1-recorded\.jpg$/);
    assert.match(older.note ?? '', /only its recorded JPEG is left: lossless copies are kept for the 1 newest frames/);
    const jpg = readFileSync(older.path);
    assert.deepEqual([jpg[0], jpg[1]], [0xff, 0xd8]);
    // The current frame: always lossless (the latest raw capture).
    const current = await save.saveFrame(BOT);
    assert.equal(current.lossless, true);
    assert.match(path.basename(current.path), /-frame2\.png$/);
  });

  it('bug reports go to .fleet/reports, to the reports folder setting (relative or absolute), or to a picked folder', async () => {
    rec.recordFrame(BOT, pattern(1), { frame: 1, time: 1000 });
    await until('frame 1 recorded', () => rec.frames('G', '1').length === 1);
    const d1 = await save.saveBugReport(BOT);
    assert.equal(path.dirname(d1), path.join(ws, '.fleet', 'reports'));
    assert.ok(existsSync(path.join(d1, 'report.json')));

    reportsSetting = 'out/reports';
    const d2 = await save.saveBugReport(BOT);
    assert.equal(path.dirname(d2), path.join(ws, 'out', 'reports'));
    assert.ok(existsSync(path.join(d2, 'events.jsonl')));

    const abs = mkdtempSync(path.join(tmpdir(), 'fleet-reports-abs-'));
    try {
      reportsSetting = abs;
      const d3 = await save.saveBugReport(BOT);
      assert.equal(path.dirname(d3), abs);
    } finally {
      rmSync(abs, { recursive: true, force: true });
    }

    reportsSetting = undefined;
    const d4 = await save.saveBugReport(BOT, { askFolder: true });
    assert.equal(path.dirname(d4), path.join(ws, 'picked'));
    assert.ok(readdirSync(path.join(d4, 'frames')).length === 1);

    const cancelled = new Error('cancelled');
    cancelled.name = 'CancelledByUser';
    picked = cancelled;
    await assert.rejects(save.saveBugReport(BOT, { askFolder: true }), /cancelled/);
    assert.deepEqual(readdirSync(path.join(ws, 'picked')), [path.basename(d4)], 'nothing more was written');
  });

  it('the recorder limits come from the settings (fps to the least interval, MB to bytes)', () => {
    assert.deepEqual(recorderLimits({ ...DEFAULT_SETTINGS }), { framesPerBot: 120, memoryBytes: 256 * 1024 * 1024, minIntervalMs: 500, losslessFrames: 10 });
    assert.equal(recorderLimits({ ...DEFAULT_SETTINGS, recorderFps: 0.5 }).minIntervalMs, 2000);
  });
});
