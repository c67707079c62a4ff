import * as assert from 'node:assert/strict';
import type { RawFrame } from '../../../../src/bot/device';
import { encodeJpeg } from '../../../../src/bot/vision/frameEncoder';
import { sharpDecoder } from '../../../../src/bot/vision/imageCodec';
import { recordedFramesOf } from '../../../../src/extension/editor/recorderFrames';
import { FlightRecorder } from '../../../../src/orchestrator/recorder';

function frame(id: number, grey: number): RawFrame {
  return { width: 16, height: 8, data: new Uint8Array(16 * 8 * 4).fill(grey), capturedAt: id, id };
}

/** Resolves once the recorder holds `n` encoded frames of the bot. */
async function recorded(rec: FlightRecorder, group: string, instance: string, n: number): Promise<void> {
  while (rec.frames(group, instance).length < n) {
    await new Promise((r) => setImmediate(r));
  }
}

describe('(unit) editor: the flight recorder as the template tools read it', () => {
  it('lists every bot\'s recorded frames newest first (limited, by bot) and decodes one to its pixels', async () => {
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, encodeJpeg: (f) => encodeJpeg(f, { quality: 95 }) });
    rec.recordFrame({ group: 'Premium Farmers', instance: '1' }, frame(1, 40), { frame: 1, time: 100 });
    rec.recordFrame({ group: 'Premium Farmers', instance: '2' }, frame(2, 200), { frame: 1, time: 200 });
    rec.recordFrame({ group: 'Premium Farmers', instance: '1' }, frame(3, 90), { frame: 2, time: 300 });
    await recorded(rec, 'Premium Farmers', '1', 2);
    await recorded(rec, 'Premium Farmers', '2', 1);
    const source = recordedFramesOf(() => rec, sharpDecoder);

    const all = await source.list();
    assert.deepEqual(all.map((f) => [f.bot, f.time]), [['Premium Farmers / bot 1', 300], ['Premium Farmers / bot 2', 200], ['Premium Farmers / bot 1', 100]]);
    assert.equal((await source.list({ limit: 1 })).length, 1);
    assert.deepEqual((await source.list({ bot: 'Premium Farmers / bot 2' })).map((f) => f.time), [200]);

    const px = await source.read(all[1]!.id);
    assert.deepEqual([px.width, px.height, px.data.length], [16, 8, 16 * 8 * 4]);
    assert.ok(Math.abs(px.data[0]! - 200) <= 3, `the pixels are the recorded frame's (grey ${px.data[0]})`);
    assert.match(px.label, /Premium Farmers \/ bot 2 #1/);

    rec.clear();
    await assert.rejects(source.read(all[0]!.id), /gone/);
    assert.deepEqual(await recordedFramesOf(() => undefined, sharpDecoder).list(), []);
  });

  it('tells apart two frames of the same number from two runs of the group (the bot numbers its frames again)', async () => {
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, encodeJpeg: (f) => encodeJpeg(f, { quality: 95 }) });
    const bot = { group: 'G', instance: '1' };
    rec.recordFrame(bot, frame(1, 40), { frame: 1, time: 100 });
    rec.recordFrame(bot, frame(2, 200), { frame: 1, time: 5000 });
    await recorded(rec, 'G', '1', 2);
    const source = recordedFramesOf(() => rec, sharpDecoder);
    const list = await source.list();
    assert.equal(new Set(list.map((f) => f.id)).size, 2, 'two ids');
    const [second, first] = await Promise.all(list.map((f) => source.read(f.id)));
    assert.ok(Math.abs(second!.data[0]! - 200) <= 3 && Math.abs(first!.data[0]! - 40) <= 3, `each id reads its own frame (${second!.data[0]}, ${first!.data[0]})`);
  });

  it('gives each frame the run\'s template matches made while it was on screen (what the lab infers from)', async () => {
    const rec = new FlightRecorder({ framesPerBot: 10, memoryBytes: 1e9, encodeJpeg: (f) => encodeJpeg(f, { quality: 95 }) });
    const bot = { group: 'G', instance: '1' };
    const match = (template: string, found: boolean, time: number) =>
      rec.recordEvent(bot, { kind: 'routine', time, event: { type: 'match', routine: 'r', time, template, found, score: found ? 0.95 : 0.2, threshold: 0.8, box: { x: 0, y: 0, w: 1, h: 1 }, ms: 1 } });
    rec.recordFrame(bot, frame(1, 40), { frame: 1, time: 100 });
    match('home.header', true, 101);
    match('popup.ok', false, 102);
    rec.recordEvent(bot, { kind: 'routine', time: 103, event: { type: 'log', routine: 'r', time: 103, level: 'info', message: 'not a match' } });
    rec.recordFrame(bot, frame(2, 90), { frame: 2, time: 200 });
    await recorded(rec, 'G', '1', 2);
    const list = await recordedFramesOf(() => rec, sharpDecoder).list();
    assert.deepEqual(
      list.map((f) => [f.time, f.matches]),
      [
        [200, undefined],
        [100, [{ template: 'home.header', found: true }, { template: 'popup.ok', found: false }]],
      ],
    );
    assert.deepEqual(await recordedFramesOf(() => undefined, sharpDecoder).list(), []);
  });
});
