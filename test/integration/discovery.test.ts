/**
 * Emulator discovery for real: an EmulatorManager with a generic preset of two virtual devices on a private Debian
 * adb server: auto-connect, events, opening devices, a dropped device coming back, the server going away and
 * coming back, and launch / stop command templates run through the Node process runner.
 */
import { strict as assert } from 'node:assert';
import { SystemClock } from '../../src/shared/clock';
import { MemoryLogger } from '../../src/shared/loggers';
import { isDeviceError } from '../../src/bot/device';
import { waitForEvent } from '../../src/shared/lifecycle';
import { EmulatorError, EmulatorManager } from '../../src/orchestrator/emulators/emulatorManager';
import type { DeviceTransition, ServerStateChange } from '../../src/orchestrator/emulators/deviceTracker';
import { NodeProcessRunner } from '../../src/host/nodePorts';
import { VirtualDevice } from '../../src/virtual/virtualDevice';
import { startAdbServer, type AdbServerHandle } from '../support/adbServer';
import { main as devicesCommand } from '../../src/cli/commands/devices';
import { captureOutput } from '../support/captureOutput';

/** A template that runs this Node binary with a script (its braces escaped) and template arguments. */
function nodeTemplate(script: string, ...args: string[]): string {
  const escaped = script.replace(/[{}]/g, (b) => b + b);
  return [`"${process.execPath}"`, '-e', JSON.stringify(escaped), ...args].join(' ');
}

describe('(integration) emulator discovery', function () {
  this.timeout(20_000);
  let adb: AdbServerHandle;
  let devices: VirtualDevice[] = [];
  let manager: EmulatorManager | undefined;
  const logger = new MemoryLogger('debug');
  const connects: DeviceTransition[] = [];
  const disconnects: DeviceTransition[] = [];
  const serverStates: ServerStateChange[] = [];

  before(async () => {
    adb = await startAdbServer();
    devices = [await VirtualDevice.start({ seed: 1 }), await VirtualDevice.start({ seed: 2 })];
  });

  after(async () => {
    manager?.dispose();
    for (const d of devices) {
      await adb.adb(['disconnect', d.serial], { timeoutMs: 5000 });
      await d.close();
    }
    await adb.kill();
  });

  function makeManager(): EmulatorManager {
    const m = new EmulatorManager({
      kind: 'generic',
      addresses: devices.map((d) => d.serial),
      instances: [0, 1],
      servers: [`127.0.0.1:${adb.port}`],
      retry: { attempts: 20, initialDelayMs: 100, maxDelayMs: 400, settleMs: 1000 },
      trackerBackoff: { initialMs: 100, maxMs: 400 },
      launchCommand: nodeTemplate('console.log(JSON.stringify(process.argv.slice(1)))', 'launch', '{index}', '{serial}'),
      stopCommand: nodeTemplate('process.stderr.write("cannot stop\\n"); process.exit(3)', '{index}'),
      commandTimeoutMs: 10_000,
      deviceDefaults: { captureMethod: 'raw' },
      clock: new SystemClock(),
      logger,
      processRunner: new NodeProcessRunner(),
    });
    m.onDidConnectDevice((e) => connects.push(e));
    m.onDidDisconnectDevice((e) => disconnects.push(e));
    m.onDidChangeServerState((e) => serverStates.push(e));
    return m;
  }

  it('auto-connects every configured instance and reports them online', async () => {
    manager = makeManager();
    assert.deepEqual(
      manager.instances().map((i) => [i.instance, i.online]),
      [
        [0, false],
        [1, false],
      ],
    );
    const allOnline = waitForEvent(manager.onDidChangeInstances, (list) => list.every((i) => i.online), 10_000);
    manager.start();
    await allOnline;
    const list = manager.instances();
    assert.deepEqual(
      list.map((i) => [i.instance, i.serial, i.state, i.server]),
      devices.map((d, n) => [n, d.serial, 'device', `127.0.0.1:${adb.port}`]),
    );
    assert.ok(Object.isFrozen(list[0]));
    for (const d of devices) {
      assert.ok(connects.some((c) => c.serial === d.serial && c.state === 'device'), `connect event for ${d.serial}`);
      assert.equal(await adb.stateOf(d.serial), 'device');
    }
    const snap = manager.devices();
    assert.equal(snap.length, 1);
    assert.ok(snap[0].connected);
  });

  it('opens devices by instance and by serial', async () => {
    const a = await manager!.openDevice(0);
    const b = await manager!.openDevice(devices[1].serial);
    try {
      assert.equal(a.serial, devices[0].serial);
      assert.equal(a.captureMethod, 'raw');
      const fa = await a.screenshot();
      const fb = await b.screenshot();
      assert.ok(Buffer.from(fa.data).equals(await devices[0].frame()));
      assert.ok(Buffer.from(fb.data).equals(await devices[1].frame()));
      assert.deepEqual(manager!.resolve(1), { instance: 1, host: '127.0.0.1', port: devices[1].port, serial: devices[1].serial, aliases: [] });
      await assert.rejects(manager!.openDevice(5), (e: unknown) => e instanceof EmulatorError && e.code === 'unknown-instance');
      await assert.rejects(manager!.openDevice('127.0.0.1:1'), (e: unknown) => isDeviceError(e, 'offline'));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('sees a dropped instance disconnect and reconnects it', async () => {
    const serial = devices[1].serial;
    const gone = waitForEvent(manager!.onDidDisconnectDevice, (e) => e.serial === serial, 2000);
    const back = waitForEvent(manager!.onDidConnectDevice, (e) => e.serial === serial, 10_000);
    devices[1].faults.drop({ refuseMs: 500 });
    const ev = await gone;
    assert.equal(ev.previousState, 'device');
    assert.equal(manager!.status(1).online, false);
    await back;
    assert.equal(manager!.status(1).online, true);
    assert.equal(manager!.status(0).online, true, 'the other instance was not affected');
  });

  it('survives the adb server going away and coming back', async () => {
    const lost = waitForEvent(manager!.onDidChangeServerState, (e) => !e.connected, 5000);
    const bothGone = Promise.all(devices.map((d) => waitForEvent(manager!.onDidDisconnectDevice, (e) => e.serial === d.serial, 5000)));
    await adb.adb(['kill-server'], { timeoutMs: 10_000 });
    const ev = await lost;
    assert.ok(ev.retryInMs !== undefined && ev.retryInMs > 0);
    await bothGone;
    assert.ok(manager!.instances().every((i) => !i.online));
    // Same port, same private HOME: the tracker reconnects and auto-connect brings both instances back.
    const again = waitForEvent(manager!.onDidChangeInstances, (list) => list.every((i) => i.online), 15_000);
    const r = await adb.adb(['start-server'], { timeoutMs: 15_000 });
    assert.equal(r.code, 0, r.stderr);
    await again;
    assert.ok(serverStates.filter((s) => s.connected).length >= 2);
  });

  it('lists the devices from the command line, as a table and as JSON', async () => {
    const json = await captureOutput(() => devicesCommand(['--adb-port', String(adb.port), '--json']));
    assert.equal(json.code, 0, json.err);
    const list = JSON.parse(json.out) as Array<{ serial: string; state: string; model?: string; source: string; server: string }>;
    for (const d of devices) {
      assert.deepEqual(
        list.filter((e) => e.serial === d.serial).map((e) => [e.state, e.model, e.source, e.server]),
        [['online', 'EmulatorFleetVirtual', 'adb', `127.0.0.1:${adb.port}`]],
      );
    }
    const table = await captureOutput(() => devicesCommand(['--adb-host', '127.0.0.1', '--adb-port', String(adb.port)]));
    assert.equal(table.code, 0);
    const lines = table.out.split('\n');
    assert.match(lines[0], /^SERIAL\s+STATE\s+MODEL$/);
    for (const d of devices) {
      assert.ok(lines.some((l) => l.startsWith(d.serial) && /\sonline\s+EmulatorFleetVirtual$/.test(l)), table.out);
    }
    const dead = await captureOutput(() => devicesCommand(['--adb-port', '1']));
    assert.equal(dead.code, 1);
    assert.match(dead.err, /cannot list devices of the adb server at 127\.0\.0\.1:1/);
    const usage = await captureOutput(() => devicesCommand(['--adb-port', 'x']));
    assert.equal(usage.code, 2);
  });

  it('runs launch and stop templates without a shell', async () => {
    const r = await manager!.launch(1);
    assert.deepEqual(JSON.parse(r.stdout), ['launch', '1', devices[1].serial]);
    await assert.rejects(manager!.stop(0), (e: unknown) => e instanceof EmulatorError && e.code === 'command-failed' && /exited with 3: cannot stop/.test(e.message));
  });

  it('times out a hanging command and fails to connect an unreachable instance', async () => {
    const m = new EmulatorManager({
      kind: 'mumu',
      instances: [0],
      host: '127.0.0.1',
      servers: [`127.0.0.1:${adb.port}`],
      autoConnect: false,
      retry: { attempts: 2, initialDelayMs: 50, maxDelayMs: 50, settleMs: 200 },
      launchCommand: nodeTemplate('setTimeout(() => {}, 60000)'),
      clock: new SystemClock(),
      logger,
      processRunner: new NodeProcessRunner(),
    });
    try {
      m.start();
      await m.whenTracking();
      await assert.rejects(m.launch(0, { timeoutMs: 300 }), (e: unknown) => e instanceof EmulatorError && e.code === 'timeout');
      // Nothing listens on MuMu's port 16384 here (or, if something does, it is no adb device).
      await assert.rejects(m.ensureConnected(0), (e: unknown) => e instanceof EmulatorError && e.code === 'not-connected');
      const ac = new AbortController();
      const p = m.ensureConnected(0, { signal: ac.signal });
      ac.abort();
      await assert.rejects(p, (e: unknown) => e instanceof EmulatorError && e.code === 'aborted');
    } finally {
      m.dispose();
      await adb.adb(['disconnect', '127.0.0.1:16384'], { timeoutMs: 5000 });
    }
  });
});
