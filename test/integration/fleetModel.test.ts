/**
 * The one fleet model through the host: createFleet with virtual devices, the real pool database, routine and
 * template registries. `snapshot()` taken at random moments while 8 bots run, with the events after it replayed by
 * the shared reducer, equals a fresh snapshot; the snapshot lists the devices, pools (with counts once the database
 * is open), routines and templates, and holds ended groups until cleared.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Fleet } from '../../src/host/fleet';
import { FleetState } from '../../src/shared/fleetModel';
import type { FleetEvent, FleetSnapshot } from '../../src/shared/fleetTypes';
import { Emitter, waitForEvent } from '../../src/shared/lifecycle';
import { testFleet } from '../support/fleet';
import { startAdbServer, type AdbServerHandle } from '../support/adbServer';
import { startVirtualDevices, type VirtualFleet } from '../support/virtual';

const REPO = path.resolve(__dirname, '../..');

const TAPPER = `description: Checks an account out, taps twice, completes it.
steps:
  - checkoutAccount: { onEmpty: fail }
  - tap: { x: 33, y: 44 }
  - tap: { x: 44, y: 55 }
  - completeAccount
`;

function workspace(): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'fleet-model-'));
  for (const d of ['routines', 'groups', 'pools']) {
    mkdirSync(path.join(ws, d));
  }
  writeFileSync(path.join(ws, 'routines', 'tapper.yaml'), TAPPER);
  copyFileSync(path.join(REPO, 'pools', 'demo-accounts.json'), path.join(ws, 'pools', 'demo-accounts.json'));
  writeFileSync(path.join(ws, 'pools', 'tap_pool.yaml'), 'name: tap_pool\ncooldown: 0s\n');
  writeFileSync(
    path.join(ws, 'groups', 'eight.yaml'),
    'name: Eight\nroutine: tapper\naccountPool: tap_pool\navailableInstances: [1, 2, 3, 4, 5, 6, 7, 8]\nrequestedBotCount: 8\nlaunchOptions: { stagger: 0s, cycles: 4 }\n',
  );
  return ws;
}

function replay(s: FleetSnapshot, events: readonly FleetEvent[]): FleetSnapshot {
  const st = new FleetState(s);
  for (const e of events) {
    st.apply(e);
  }
  return st.snapshot();
}

describe('(integration) the fleet model: snapshot and feed through the host', function () {
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

  it('8 bots on virtual devices: snapshots at random moments plus the later events equal a fresh snapshot; ended groups stay until cleared', async () => {
    fleet = await testFleet(ws, { virtual: { count: 8 }, watch: false });
    const o = fleet.orchestrator;
    const first = o.snapshot();
    assert.deepEqual(
      first.devices.map((d) => [d.source, d.state]),
      Array.from({ length: 8 }, () => ['virtual', 'online']),
    );
    assert.deepEqual(
      first.routines.map((r) => [r.name, r.valid]),
      [['tapper', true]],
    );
    assert.deepEqual(
      first.definitions.map((d) => [d.name, d.valid, d.active]),
      [['Eight', true, false]],
    );
    assert.equal(first.pools[0]?.name, 'tap_pool');

    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const views: Array<{ snap: FleetSnapshot; events: FleetEvent[] }> = [];
    const sub = o.onDidEmitFleetEvent(() => {
      if (views.length < 30 && random() < 0.03) {
        const view = { snap: o.snapshot(), events: [] as FleetEvent[] };
        views.push(view);
        o.onDidEmitFleetEvent((e) => view.events.push(e));
      }
    });
    const started = await o.startGroup('Eight');
    assert.ok(started.ok, JSON.stringify(started));
    const final = await o.getGroup('Eight')!.done;
    assert.equal(final.state, 'stopped');
    assert.ok(final.bots.every((b) => b.cycles === 4));
    // The pool's counts and leases: the lease changes reach the model (coalesced) once the database is open.
    if (o.snapshot().pools[0].leases.length > 0) {
      await waitForEvent(o.onDidChangePools, () => o.snapshot().pools[0].leases.length === 0, 10_000);
    }
    sub.dispose();

    const fresh = o.snapshot();
    assert.ok(views.length >= 5, `${views.length} snapshots taken`);
    for (const v of views) {
      // A snapshot taken in the listener of the feed's last event has no later event to replay.
      assert.equal(v.events[0]?.seq ?? fresh.seq + 1, v.snap.seq + 1);
      assert.deepEqual(replay(v.snap, v.events), fresh);
    }
    assert.deepEqual(
      fresh.groups.map((g) => [g.name, g.state, g.stopReason]),
      [['Eight', 'stopped', 'cycles-done']],
    );
    assert.deepEqual(fresh.groups[0], o.getGroup('Eight')!.snapshot());
    const pool = fresh.pools[0];
    assert.ok(pool.total !== undefined && pool.total > 0, 'the counts are known once the database is open');
    assert.deepEqual(pool.leases, []);

    const cleared = o.clearGroup('Eight');
    assert.ok(cleared.ok);
    assert.deepEqual(o.snapshot().groups, []);
  });
});

const CAPTURER = `description: Captures the screen, then waits.
steps:
  - screenshot
  - wait: 300ms
`;

describe('(integration) frames through Debian adb and a virtual device', function () {
  this.timeout(120_000);
  let adb: AdbServerHandle;
  let vf: VirtualFleet;
  let ws: string;
  let fleet: Fleet | undefined;
  let screencaps = 0;
  const served = new Emitter<number>();

  before(async () => {
    adb = await startAdbServer();
    vf = await startVirtualDevices(1, { adb, seedBase: 5 });
    // Count the captures the device really serves.
    const vd = vf.devices[0];
    const screencap = vd.screencap.bind(vd);
    vd.screencap = (...args: Parameters<typeof screencap>) => {
      screencaps++;
      served.fire(screencaps);
      return screencap(...args);
    };
    ws = mkdtempSync(path.join(tmpdir(), 'fleet-frames-'));
    for (const d of ['routines', 'groups']) {
      mkdirSync(path.join(ws, d));
    }
    writeFileSync(path.join(ws, 'routines', 'capturer.yaml'), CAPTURER);
    writeFileSync(path.join(ws, 'groups', 'cap.yaml'), 'name: Cap\nroutine: capturer\navailableInstances: [1]\nrequestedBotCount: 1\n');
  });

  after(async () => {
    await fleet?.close();
    await vf?.close();
    await adb?.kill();
    rmSync(ws, { recursive: true, force: true });
  });

  it('viewers reading the latest frame cause no capture; a request during the routine capture shares it; bot.frame per capture; latencies in DeviceInfo', async () => {
    const f = (fleet = await testFleet(ws, { adbServers: [`127.0.0.1:${adb.port}`], watch: false, lazy: true }));
    assert.equal(await f.devices.listed(10_000), true);
    const o = f.orchestrator;
    const frames: number[] = [];
    o.onDidCaptureFrame((e) => frames.push(e.frame));
    const second = waitForEvent(o.onDidCaptureFrame, (e) => e.frame >= 2, 30_000);
    assert.ok((await o.startGroup('Cap')).ok);
    await second;
    // (Opening the device captures too: its capture method is probed. Count from here.)
    const base = screencaps;
    const framesBase = frames.length;

    // 100 tile reads between two routine captures: none reaches the device.
    const before = screencaps;
    const framesBefore = frames.length;
    for (let i = 0; i < 100; i++) {
      const fr = o.botFrame('Cap', '1');
      assert.ok(fr && fr.width > 0 && fr.raw.data.byteLength > 0);
      fr.release();
    }
    assert.equal(screencaps - before, frames.length - framesBefore, 'only the routine captured meanwhile');

    // The routine's next capture is slow: a request made while it is under way gets that frame, no capture of its own.
    vf.devices[0].faults.slowFrames(1500);
    // Wait until the device serves the routine's next capture (it stays under way for 1.5 s).
    await waitForEvent(served.event, () => true, 30_000);
    const capturesAtRequest = screencaps;
    const requested = await o.requestBotFrame('Cap', '1', { maxAgeMs: 0 });
    assert.equal(screencaps, capturesAtRequest, 'the request joined the capture in flight');
    assert.equal(requested.frame, frames[frames.length - 1]);
    requested.release();
    vf.devices[0].faults.slowFrames(0);

    const dev = o.snapshot().devices.find((d) => d.serial === vf.serials[0]);
    assert.equal(dev?.heldBy?.group, 'Cap');
    assert.ok((dev?.capture?.count ?? 0) > 0, 'the device entry carries the capture latency of the bot driving it');
    const stopped = await o.stopGroup('Cap');
    assert.ok(stopped.ok);
    assert.equal(screencaps - base, frames.length - framesBase, 'every capture since was a tapped one (one bot.frame each)');
    const bot = stopped.value.bots[0];
    assert.equal(bot.capture.count, frames.length, "the bot's capture latency counts the same captures");
    assert.equal(o.botFrame('Cap', '1'), undefined, 'the frame was released when the bot ended');
  });
});
