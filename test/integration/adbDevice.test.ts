/**
 * The device path for real: AdbDevice over adbkit against the virtual device, once through a private Debian adb
 * server and once through the embedded ADB host endpoint (adbkit without adb). One suite, two back ends.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { AdbDevice } from '../../src/bot/adb/adbDevice';
import { FleetAdbClient } from '../../src/bot/adb/adbClient';
import { pickCaptureMethod } from '../../src/bot/adb/captureSelection';
import { isDeviceError, retainFrame, type RawFrame } from '../../src/bot/device';
import { SystemClock } from '../../src/shared/clock';
import { nullLogger } from '../../src/shared/loggers';
import { waitForEvent } from '../../src/shared/lifecycle';
import { DeviceTracker } from '../../src/orchestrator/emulators/deviceTracker';
import type { VirtualDevice } from '../../src/virtual/virtualDevice';
import { HOSTILE_STRINGS } from '../fixtures/hostileStrings';
import { startAdbServer, type AdbServerHandle } from '../support/adbServer';
import { startVirtualDevices, type VirtualFleet } from '../support/virtual';

const PKG = 'com.emulatorfleet.pocketpacks';
const COMPONENT = `${PKG}/.MainActivity`;
const LAUNCHER = 'com.android.launcher3';

interface Backend {
  name: string;
  setup(now: () => number): Promise<{ fleet: VirtualFleet; port: number; adb?: AdbServerHandle }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'Debian adb',
    async setup(now) {
      const adb = await startAdbServer();
      try {
        const fleet = await startVirtualDevices(1, { adb, now });
        return { fleet, port: adb.port, adb };
      } catch (e) {
        await adb.kill();
        throw e;
      }
    },
  },
  {
    name: 'embedded host endpoint',
    async setup(now) {
      const fleet = await startVirtualDevices(1, { hostEndpoint: true, now });
      return { fleet, port: fleet.endpoint!.port };
    },
  },
];

interface InputLogEntry {
  kind: string;
  text?: string;
  code?: number;
  x?: number;
  y?: number;
}

async function inputLog(dev: AdbDevice): Promise<InputLogEntry[]> {
  const r = await dev.shell('vdev inputlog');
  assert.equal(r.exitCode, 0, r.stderr);
  return JSON.parse(r.stdout) as InputLogEntry[];
}

async function pollUntil(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const backend of BACKENDS) {
  describe(`(integration) AdbDevice through ${backend.name}`, function () {
    this.timeout(20_000);
    let time = 10_000;
    const now = () => time;
    let fleet: VirtualFleet;
    let adb: AdbServerHandle | undefined;
    let port: number;
    let vd: VirtualDevice;
    let serial: string;
    let client: FleetAdbClient;
    let dev: AdbDevice;

    before(async () => {
      ({ fleet, port, adb } = await backend.setup(now));
      vd = fleet.devices[0];
      serial = fleet.serials[0];
      client = new FleetAdbClient({ port });
      dev = await AdbDevice.connect({ serial, client, probeRounds: 2 });
    });

    after(async () => {
      await dev?.close();
      await fleet?.close();
      await adb?.kill();
    });

    it('lists the device and picks a capture method by measuring both', async () => {
      const list = await client.devicesLong();
      const me = list.find((d) => d.serial === serial);
      assert.ok(me, `listed: ${JSON.stringify(list)}`);
      assert.equal(me.state, 'device');
      assert.equal(me.model, 'EmulatorFleetVirtual');
      const sel = dev.captureSelection!;
      assert.equal(sel.reason, 'measured');
      assert.deepEqual(sel.probes.map((p) => [p.method, p.samples.length, p.error]), [
        ['raw', 2, undefined],
        ['png', 2, undefined],
      ]);
      assert.equal(dev.captureMethod, pickCaptureMethod(sel.probes).method);
      assert.ok(sel.probes.every((p) => p.medianMs > 0 && Number.isFinite(p.medianMs)));
      assert.ok(dev.hasShellV2);
    });

    it('captures raw and PNG screenshots pixel-exact', async () => {
      const truth = await vd.frame();
      for (const method of ['raw', 'png'] as const) {
        const f = await dev.capture(method);
        assert.equal(f.width, 540);
        assert.equal(f.height, 960);
        assert.equal(f.data.length, 540 * 960 * 4);
        assert.ok(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).equals(truth), `${method} frame differs from the device's own`);
      }
      const a = await dev.screenshot();
      const b = await dev.screenshot();
      assert.ok(b.id > a.id);
      assert.ok(b.capturedAt >= a.capturedAt);
    });

    it('captures raw frames into recycled memory: the last ones stay valid, older ones are detached, retained ones are kept', async () => {
      const d2 = await AdbDevice.connect({ serial, client, captureMethod: 'raw', keepFrames: 2 });
      try {
        const truth = await vd.frame();
        const same = (f: RawFrame) => Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).equals(truth);
        const first = await d2.screenshot();
        const hold = retainFrame(first);
        const second = await d2.screenshot();
        const later: RawFrame[] = [];
        for (let i = 0; i < 4; i++) {
          later.push(await d2.screenshot());
        }
        assert.ok(first.lease?.valid && same(first), 'the retained frame kept its pixels');
        assert.equal(second.lease?.valid, false, 'an old frame was recycled');
        assert.equal(second.data.byteLength, 0, 'and its view detached');
        for (const f of later.slice(-2)) {
          assert.ok(f.lease?.valid && same(f), `frame ${f.id} is one of the last two: valid`);
        }
        assert.equal(d2.frameMemory().retained, 1);
        hold();
        assert.equal(d2.frameMemory().retained, 0);
        assert.ok(d2.frameMemory().buffers <= 4, `buffers: ${d2.frameMemory().buffers}`);
        const png = await d2.capture('png');
        assert.equal(png.lease, undefined, 'a decoded PNG owns its memory');
      } finally {
        await d2.close();
      }
    });

    it('parses the legacy 12-byte raw header', async function () {
      if (!vd.legacyHeader) {
        // The suite's device uses the modern header; a second device checks the old one.
        const old = await startVirtualDevices(1, { legacyHeader: true, now, ...(adb ? { adb } : { hostEndpoint: true }) });
        try {
          const c2 = adb ? client : new FleetAdbClient({ port: old.endpoint!.port });
          const d2 = await AdbDevice.connect({ serial: old.serials[0], client: c2, captureMethod: 'raw' });
          const f = await d2.screenshot();
          assert.ok(Buffer.from(f.data).equals(await old.devices[0].frame()));
          assert.equal(d2.captureSelection?.reason, 'forced');
          await d2.close();
        } finally {
          await old.close();
        }
      }
    });

    it('a tap changes the screen', async () => {
      await dev.startApp(COMPONENT);
      const before = await dev.screenshot();
      const stateBefore = JSON.parse((await dev.shell('vdev state')).stdout) as { screen: string };
      await dev.tap(270, 480);
      time += 2000; // let any transition finish
      const after = await dev.screenshot();
      const stateAfter = JSON.parse((await dev.shell('vdev state')).stdout) as { screen: string; dialog: unknown };
      assert.ok(!Buffer.from(after.data).equals(Buffer.from(before.data)), 'the screen did not change');
      assert.notDeepEqual([stateAfter.screen, stateAfter.dialog], [stateBefore.screen, null]);
      const taps = (await inputLog(dev)).filter((e) => e.kind === 'tap');
      assert.deepEqual(taps.at(-1), { ...taps.at(-1), x: 270, y: 480 });
    });

    it('delivers every hostile string byte-exact', async () => {
      for (const h of HOSTILE_STRINGS) {
        await dev.shell('vdev inputlog clear');
        await dev.text(h.value);
        const typed = (await inputLog(dev))
          .filter((e) => e.kind === 'text')
          .map((e) => e.text)
          .join('');
        assert.equal(typed, h.value, `'${h.name}' arrived changed`);
      }
      // Nothing was ever run by a shell: the would-be payload file does not exist.
      await assert.rejects(dev.pull('/sdcard/pwned'), (e: unknown) => isDeviceError(e, 'command-failed'));
    });

    it('sends key events by name and number, and refuses unknown keys', async () => {
      await dev.shell('vdev inputlog clear');
      await dev.key('BACK');
      await dev.key('KEYCODE_HOME');
      await dev.key(66);
      const keys = (await inputLog(dev)).filter((e) => e.kind === 'key').map((e) => e.code);
      assert.deepEqual(keys, [4, 3, 66]);
      await assert.rejects(dev.key('NOT_A_KEY'), (e: unknown) => isDeviceError(e, 'command-failed'));
    });

    it('swipes and long-presses', async () => {
      await dev.shell('vdev inputlog clear');
      await dev.swipe(100, 800, 100, 200, 120);
      await dev.longPress(50, 60, 300);
      const log = await inputLog(dev);
      assert.deepEqual(
        log.map((e) => e.kind),
        ['swipe', 'longpress'],
      );
    });

    it('pushes and pulls files byte-exact', async () => {
      const data = randomBytes(300_000);
      await dev.push(data, '/sdcard/fleet-test.bin');
      assert.ok(vd.fs.read('/sdcard/fleet-test.bin')!.data.equals(data));
      const back = await dev.pull('/sdcard/fleet-test.bin');
      assert.ok(Buffer.from(back).equals(data));
      await dev.push(new Uint8Array(0), '/sdcard/empty.bin');
      assert.equal((await dev.pull('/sdcard/empty.bin')).length, 0);
      await assert.rejects(dev.pull('/sdcard/does-not-exist'), (e: unknown) => isDeviceError(e, 'command-failed'));
      await assert.rejects(dev.push(data, 'relative/path'), (e: unknown) => isDeviceError(e, 'command-failed'));
    });

    it('starts, stops and restarts the app and reads the foreground package', async () => {
      await dev.stopApp(PKG);
      assert.equal(await dev.foregroundPackage(), LAUNCHER);
      assert.equal(await dev.isAppInForeground(PKG), false);
      await dev.startApp(COMPONENT);
      assert.equal(await dev.foregroundPackage(), PKG);
      assert.ok(await dev.isAppInForeground(PKG));
      await dev.restartApp(COMPONENT);
      assert.ok(await dev.isAppInForeground(PKG));
      await assert.rejects(dev.startApp('com.nope/.Main'), (e: unknown) => isDeviceError(e, 'command-failed') && /does not exist/.test(e.message));
      await assert.rejects(dev.startApp('not a component'), (e: unknown) => isDeviceError(e, 'command-failed'));
    });

    it('reads the display size and runs raw shell commands with exit codes', async () => {
      assert.deepEqual(await dev.displaySize(), { width: 540, height: 960 });
      assert.deepEqual(await dev.shell('echo hello'), { stdout: 'hello\n', stderr: '', exitCode: 0 });
      assert.equal((await dev.shell('exit 4')).exitCode, 4);
      const missing = await dev.shell('no-such-command');
      assert.equal(missing.exitCode, 127);
    });

    it('keeps latency stats per device', () => {
      const s = dev.stats();
      assert.ok(s.capture.count >= 4, `capture samples: ${s.capture.count}`);
      assert.ok(s.input.count >= 5, `input samples: ${s.input.count}`);
      assert.ok(s.capture.p50! > 0 && s.capture.p95! >= s.capture.p50!);
      assert.ok(s.input.p95! >= s.input.p50!);
    });

    it('reports a corrupt frame as a protocol error and recovers', async () => {
      for (const method of ['raw', 'png'] as const) {
        vd.faults.corruptNextFrame('truncate');
        await assert.rejects(dev.capture(method), (e: unknown) => isDeviceError(e, 'protocol'), method);
        assert.equal((await dev.capture(method)).width, 540);
      }
    });

    it('times out on a stalled device, closes the connection and keeps working', async () => {
      const baseline = adb ? vd.stats().streams : fleet.endpoint!.sessionCount;
      vd.faults.stall(5000);
      const t0 = Date.now();
      await assert.rejects(dev.screenshot({ timeoutMs: 300 }), (e: unknown) => isDeviceError(e, 'timeout'));
      await assert.rejects(dev.tap(1, 1, { timeoutMs: 200 }), (e: unknown) => isDeviceError(e, 'timeout'));
      const ac = new AbortController();
      const pending = dev.shell('echo never', { signal: ac.signal, timeoutMs: 10_000 });
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(pending, (e: unknown) => isDeviceError(e, 'aborted'));
      assert.ok(Date.now() - t0 < 3000, 'the cut-off calls returned promptly');
      vd.faults.clear();
      // The cut connections are gone on the server side too.
      await pollUntil('the cut connections to close', () => (adb ? vd.stats().streams : fleet.endpoint!.sessionCount) <= baseline);
      assert.equal((await dev.screenshot()).width, 540);
    });

    it('fails with offline for an unknown device, a dead server and after close', async () => {
      await assert.rejects(AdbDevice.connect({ serial: '127.0.0.1:1', client }), (e: unknown) => isDeviceError(e, 'offline'));
      const dead = new FleetAdbClient({ port: 1 });
      await assert.rejects(AdbDevice.connect({ serial, client: dead }), (e: unknown) => isDeviceError(e, 'offline'));
      const d2 = await AdbDevice.connect({ serial, client, captureMethod: 'png' });
      assert.equal(d2.captureMethod, 'png');
      await d2.close();
      await assert.rejects(d2.screenshot(), (e: unknown) => isDeviceError(e, 'offline'));
      await assert.rejects(d2.tap(1, 1), (e: unknown) => isDeviceError(e, 'offline'));
    });

    it('sees a dropped device as a disconnect event', async () => {
      // No time bound here (adb notices a dropped transport when the machine lets it run): the connection stays
      // refused until the event arrives, and the latency of the report belongs to the bench.
      const tracker = new DeviceTracker({ client, clock: new SystemClock(), logger: nullLogger });
      try {
        const connected = waitForEvent(tracker.onDidConnectDevice, (e) => e.serial === serial, 5000);
        tracker.start();
        assert.equal((await connected).state, 'device');
        assert.equal(tracker.stateOf(serial), 'device');
        const gone = waitForEvent(tracker.onDidDisconnectDevice, (e) => e.serial === serial, 60_000);
        vd.faults.drop({ refuseMs: 60_000 });
        const ev = await gone;
        assert.equal(ev.previousState, 'device');
        assert.notEqual(ev.state, 'device');
        assert.ok(Object.isFrozen(ev));
        await assert.rejects(dev.screenshot({ timeoutMs: 3000 }), (e: unknown) => isDeviceError(e) && (e.code === 'offline' || e.code === 'timeout'));
      } finally {
        vd.faults.clear();
        await tracker.stop();
      }
    });
  });
}
