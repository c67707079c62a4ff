/**
 * The stuck ladder's orchestrator rungs with real pieces: a routine on a virtual device (embedded ADB host
 * endpoint, AdbDevice, the routine interpreter) gets stuck tapping the same spot; `restartEmulator` really
 * restarts the device (the game process dies, the device leaves and rejoins the server's list) and the routine
 * goes on on a newly opened device; `notify` arrives as a `stuck-notify` fleet event carrying the step's range.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Fleet } from '../../src/host/fleet';
import type { FleetEvent, LogEvent } from '../../src/shared/fleetTypes';
import { testFleet } from '../support/fleet';

const ROUTINE = `description: Taps a spot that changes nothing until the stuck ladder acts, then starts the game.
app: com.emulatorfleet.pocketpacks/.MainActivity
stuck:
  sameTarget: { count: 2, window: 3 }
  ladder: [restartEmulator, notify]
steps:
  - repeat: 5
    do:
      - tap: { x: 20, y: 700 }
  - launchApp
  - wait: 300ms
`;

const GROUP = `name: Stuck Probe
routine: stuck_probe
availableInstances: [1]
requestedBotCount: 1
`;

describe('(integration) stuck ladder: restartEmulator and notify on a virtual device', function () {
  this.timeout(60_000);
  let ws: string;
  let fleet: Fleet | undefined;

  before(async () => {
    ws = mkdtempSync(path.join(tmpdir(), 'stuck-int-'));
    mkdirSync(path.join(ws, 'routines'));
    mkdirSync(path.join(ws, 'groups'));
    writeFileSync(path.join(ws, 'routines', 'stuck_probe.yaml'), ROUTINE);
    writeFileSync(path.join(ws, 'groups', 'stuck_probe.yaml'), GROUP);
    fleet = await testFleet(ws, { virtual: { count: 1 }, watch: false, visionWorkers: 1 });
  });

  after(async () => {
    await fleet?.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('restarts the device once, the routine goes on and completes, and the notify event arrives', async () => {
    const f = fleet!;
    const o = f.orchestrator;
    const vd = f.virtualDevices()[0].local!;
    const before = vd.app.state() as { pid: number | null; launches: number };
    assert.equal(typeof before.pid, 'number', 'the game runs at first');
    const events: FleetEvent[] = [];
    const sub = o.onDidEmitFleetEvent((e) => events.push(e));
    const listed: string[][] = [];
    const track = f.devices.onDidChangeDevices((devices) => listed.push(devices.filter((d) => d.state === 'online').map((d) => d.serial)));
    try {
      const group = o.createGroup(await o.loadGroupDefinition('Stuck Probe'));
      await group.start({ cycles: 1, staggerMs: 0 });
      const final = await group.done;
      const bot = final.bots[0];
      assert.equal(final.state, 'stopped', JSON.stringify(bot?.lastError ?? final.lastError));
      assert.equal(bot.cycles, 1, bot.lastError?.message);
      assert.equal(bot.errors, 0);
      assert.equal(bot.restarts, 1);
    } finally {
      track.dispose();
      sub.dispose();
    }
    const coded = events.filter((e): e is LogEvent => e.type === 'log' && e.code !== undefined);
    assert.deepEqual(
      coded.map((e) => e.code),
      ['instance-restart', 'instance-restarted', 'stuck-notify'],
    );
    const notify = coded[2];
    assert.equal(notify.level, 'warn');
    assert.equal(notify.instance, '1');
    assert.equal(notify.range?.file, 'routines/stuck_probe.yaml');
    assert.ok(notify.range && notify.range.start.line >= 6, JSON.stringify(notify.range));

    // The device really restarted: the game process was stopped, it left the server's list, and the routine's
    // launchApp (after the restart) started a new process.
    const after = vd.app.state() as { pid: number | null; launches: number; lastExit: string | null };
    assert.equal(after.lastExit, 'forceStop');
    assert.equal(after.launches, before.launches + 1);
    assert.equal(typeof after.pid, 'number');
    assert.notEqual(after.pid, before.pid);
    assert.ok(
      listed.some((l) => !l.includes(vd.serial)),
      'the device was off the list during the restart',
    );
    assert.deepEqual(
      f.devices.list().map((d) => [d.serial, d.source, d.state]),
      [[vd.serial, 'virtual', 'online']],
    );
  });
});
