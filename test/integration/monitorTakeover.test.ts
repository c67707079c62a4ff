/**
 * Manual takeover end to end through the monitor's host side: a fleet with a virtual device (real adb protocol),
 * the monitor session with a fake webview and the fleet port over the real orchestrator. Input is refused while
 * the bot runs; once paused, taps (clamped to the screen), swipes, text and keys reach the device: checked through
 * the virtual device's input log.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Fleet } from '../../src/host/fleet';
import { waitForEvent } from '../../src/shared/lifecycle';
import { nullLogger } from '../../src/shared/loggers';
import type { ToMonitor } from '../../src/shared/monitorProtocol';
import { MonitorSession } from '../../src/extension/monitor/monitorSession';
import { fleetPort } from '../../src/extension/monitor/fleetPort';
import { testFleet } from '../support/fleet';
import { encodeJpeg } from '../../src/bot/vision/frameEncoder';
import { FlightRecorder } from '../../src/orchestrator/recorder';
import { feedRecorder } from '../../src/extension/monitor/recorderFeed';

const IDLER = `description: Waits, a step at a time.
steps:
  - wait: 200ms
`;

function workspace(): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'fleet-takeover-'));
  for (const d of ['routines', 'groups']) {
    mkdirSync(path.join(ws, d));
  }
  writeFileSync(path.join(ws, 'routines', 'idler.yaml'), IDLER);
  writeFileSync(path.join(ws, 'groups', 'one.yaml'), 'name: One\nroutine: idler\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions: { stagger: 0s }\n');
  return ws;
}

describe('(integration) monitor host on a virtual device: frames and takeover', function () {
  this.timeout(120_000);
  let ws: string;
  let fleet: Fleet | undefined;
  let session: MonitorSession | undefined;

  before(() => {
    ws = workspace();
  });

  after(async () => {
    session?.dispose();
    await fleet?.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('the zoom gets the bot\'s frames, the recorder records them; takeover refuses while the bot runs; taps (clamped), swipes, text and keys reach the paused bot\'s device', async () => {
    fleet = await testFleet(ws, { virtual: { count: 1 }, watch: false });
    const o = fleet.orchestrator;
    const posted: ToMonitor[] = [];
    const recorder = new FlightRecorder({ framesPerBot: 10, memoryBytes: 64 * 1024 * 1024, encodeJpeg: (f) => encodeJpeg(f, { quality: 60 }) });
    const waiters: Array<() => void> = [];
    session = new MonitorSession({
      post: (m) => {
        posted.push(m);
        waiters.splice(0).forEach((w) => w());
        return Promise.resolve(true);
      },
      logger: nullLogger,
      ui: { confirm: () => Promise.resolve(false), openFile: () => Promise.resolve(), executeCommand: () => Promise.resolve() },
      encodeJpeg: (f, opts) => encodeJpeg(f, opts),
      recorder,
    });
    const port = fleetPort(fleet);
    session.setFleet(port);
    const feed = feedRecorder(port, recorder);
    session.receive({ type: 'ready', id: 'r', protocol: 1 });
    const reply = async (id: string): Promise<Extract<ToMonitor, { type: 'result' }>> => {
      for (;;) {
        const r = posted.find((m): m is Extract<ToMonitor, { type: 'result' }> => m.type === 'result' && m.inReplyTo === id);
        if (r) {
          return r;
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    const bot = { group: 'One', instance: '1' };
    const running = waitForEvent(o.onDidEmitFleetEvent, (e) => e.type === 'bot.state' && e.state === 'running', 60_000);
    const started = await o.startGroup('One');
    assert.ok(started.ok, JSON.stringify(started));
    await running;

    // The zoomed bot's view gets full-size frames of its device (fresh captures through the bot's frame tap).
    session.receive({ type: 'zoom', bot });
    const frames: number[] = [];
    while (frames.length < 3) {
      const f = posted.find((m): m is Extract<ToMonitor, { type: 'frame' }> => m.type === 'frame' && !frames.includes(m.frame));
      if (!f) {
        await new Promise<void>((resolve) => waiters.push(resolve));
        continue;
      }
      assert.deepEqual(f.device, { width: 540, height: 960 });
      assert.ok(f.data instanceof Uint8Array && f.data[0] === 0xff && f.data[1] === 0xd8, 'JPEG bytes');
      frames.push(f.frame);
      session.receive({ type: 'frameAck', bot, frame: f.frame });
    }
    assert.ok(frames[0]! < frames[1]! && frames[1]! < frames[2]!, `newer frames each time: ${frames.join(', ')}`);
    session.receive({ type: 'zoom', bot: null });
    // The recorder was fed from the same captures.
    while (recorder.frames('One', '1').length === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    feed.dispose();

    const vdev = fleet.virtualDevices()[0]?.local;
    assert.ok(vdev);
    const before = vdev.inputLog.size;
    session.receive({ type: 'takeover', id: 't1', bot, input: { kind: 'tap', x: 10, y: 10 } });
    const r1 = await reply('t1');
    assert.equal(r1.ok, false);
    assert.equal(r1.ok ? '' : r1.error.code, 'not-paused');
    assert.equal(vdev.inputLog.size, before, 'nothing reached the device');

    const paused = await o.pauseBot('One', '1');
    assert.ok(paused.ok);
    session.receive({ type: 'takeover', id: 't2', bot, input: { kind: 'tap', x: 16000, y: 30 } });
    assert.equal((await reply('t2')).ok, true);
    session.receive({ type: 'takeover', id: 't3', bot, input: { kind: 'swipe', from: { x: 100, y: 800 }, to: { x: 100, y: 16000 }, durationMs: 300 } });
    assert.equal((await reply('t3')).ok, true);
    session.receive({ type: 'takeover', id: 't4', bot, input: { kind: 'text', text: 'hello' } });
    assert.equal((await reply('t4')).ok, true);
    session.receive({ type: 'takeover', id: 't5', bot, input: { kind: 'key', key: 'enter' } });
    assert.equal((await reply('t5')).ok, true);
    const log = vdev.inputLog.entries().slice(before);
    assert.deepEqual(
      log.map((r) => r.kind),
      ['tap', 'swipe', 'text', 'key'],
    );
    const [tap, swipe, text, key] = log;
    assert.ok(tap?.kind === 'tap' && tap.y === 30 && tap.x === 539, JSON.stringify(tap));
    assert.ok(swipe?.kind === 'swipe' && swipe.y2 === 959 && swipe.durationMs === 300, JSON.stringify(swipe));
    assert.ok(text?.kind === 'text' && text.text === 'hello', JSON.stringify(text));
    assert.ok(key?.kind === 'key' && key.code === 66, JSON.stringify(key));
    await o.stopGroup('One');
  });
});
