/**
 * The routine's own inputs end to end: a routine taps, swipes, types and presses a key on a virtual device (real
 * adb protocol); the device's input log has them, the fleet feed carries them as `input` routine events of that
 * bot, and the flight recorder records them as inputs by the routine (with the step), apart from the user's.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Fleet } from '../../src/host/fleet';
import { waitForEvent } from '../../src/shared/lifecycle';
import type { FleetEvent } from '../../src/shared/fleetTypes';
import type { RecorderEvent } from '../../src/shared/monitorProtocol';
import { fleetPort } from '../../src/extension/monitor/fleetPort';
import { feedRecorder } from '../../src/extension/monitor/recorderFeed';
import { encodeJpeg } from '../../src/bot/vision/frameEncoder';
import { FlightRecorder } from '../../src/orchestrator/recorder';
import { testFleet } from '../support/fleet';

const TAPPER = `description: Pokes the screen once, then idles.
steps:
  - tap: { x: 100, y: 200 }
    id: poke
  - swipe: { from: { x: 270, y: 800 }, to: { x: 270, y: 600 }, duration: 100ms }
  - text: "hi"
  - key: BACK
  - wait: 60s
`;

function workspace(): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'fleet-routine-inputs-'));
  for (const d of ['routines', 'groups']) {
    mkdirSync(path.join(ws, d));
  }
  writeFileSync(path.join(ws, 'routines', 'tapper.yaml'), TAPPER);
  writeFileSync(path.join(ws, 'groups', 'one.yaml'), 'name: One\nroutine: tapper\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions: { stagger: 0s }\n');
  return ws;
}

type InputEvent = Extract<RecorderEvent, { kind: 'input' }>;

describe('(integration) a routine\'s inputs on a virtual device reach the feed and the flight recorder', function () {
  this.timeout(120_000);
  let ws: string;
  let fleet: Fleet | undefined;

  before(() => {
    ws = workspace();
  });

  after(async () => {
    await fleet?.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('a routine tap (and swipe, text, key) is an input event of the bot, recorded as an input by the routine with its step', async () => {
    fleet = await testFleet(ws, { virtual: { count: 1 }, watch: false });
    const o = fleet.orchestrator;
    const recorder = new FlightRecorder({ framesPerBot: 10, memoryBytes: 64 * 1024 * 1024, encodeJpeg: (f) => encodeJpeg(f, { quality: 60 }) });
    const port = fleetPort(fleet);
    const feed = feedRecorder(port, recorder);
    const seen: FleetEvent[] = [];
    const sub = o.onDidEmitFleetEvent((e) => {
      if (e.type === 'bot.routine' && e.event.type === 'input') {
        seen.push(e);
      }
    });
    const vdev = fleet.virtualDevices()[0]?.local;
    assert.ok(vdev);
    const before = vdev.inputLog.size;
    const lastInput = waitForEvent(o.onDidEmitFleetEvent, (e) => e.type === 'bot.routine' && e.event.type === 'input' && e.event.input.kind === 'key', 60_000);
    const started = await o.startGroup('One');
    assert.ok(started.ok, JSON.stringify(started));
    await lastInput;
    sub.dispose();

    // The device took them, in order.
    const log = vdev.inputLog.entries().slice(before);
    assert.deepEqual(
      log.map((r) => r.kind),
      ['tap', 'swipe', 'text', 'key'],
    );
    assert.ok(log[0]?.kind === 'tap' && log[0].x === 100 && log[0].y === 200, JSON.stringify(log[0]));

    // The feed: one input event per input, of this bot, with the step.
    const events = seen.flatMap((e) => (e.type === 'bot.routine' && e.event.type === 'input' ? [{ group: e.group, instance: e.instance, ev: e.event }] : []));
    assert.deepEqual(
      events.map((e) => [e.group, e.instance, e.ev.input.kind, e.ev.path]),
      [
        ['One', '1', 'tap', 'steps[0]'],
        ['One', '1', 'swipe', 'steps[1]'],
        ['One', '1', 'text', 'steps[2]'],
        ['One', '1', 'key', 'steps[3]'],
      ],
    );
    assert.deepEqual(events[0]?.ev.input, { kind: 'tap', x: 100, y: 200 });
    assert.equal(events[0]?.ev.id, 'poke');

    // The recorder: a capture makes the frame the events attach to (the routine itself never captured).
    const f = await port.requestFrame({ group: 'One', instance: '1' }, { maxAgeMs: 0 });
    f.release();
    const recorded = (): InputEvent[] =>
      recorder
        .frames('One', '1')
        .flatMap((fr) => fr.events)
        .filter((e): e is InputEvent => e.kind === 'input');
    while (recorded().length < 4) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const tap = recorded()[0];
    assert.equal(tap?.by, 'routine');
    assert.deepEqual(tap?.input, { kind: 'tap', x: 100, y: 200 });
    assert.equal(tap?.stepId, 'poke');
    assert.equal(tap?.path, 'steps[0]');
    assert.deepEqual(
      recorded()
        .slice(0, 4)
        .map((e) => [e.by, e.input.kind]),
      [
        ['routine', 'tap'],
        ['routine', 'swipe'],
        ['routine', 'text'],
        ['routine', 'key'],
      ],
    );
    feed.dispose();
    recorder.dispose();
    await o.stopGroup('One');
  });
});
