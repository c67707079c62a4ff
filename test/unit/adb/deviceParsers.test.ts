import { strict as assert } from 'node:assert';
import { isDeviceError } from '../../../src/bot/device';
import { isPackageName, outputLooksFailed, parseComponent, parseFocusedWindow, parseWmSize } from '../../../src/bot/adb/deviceParsers';
import { decodeShellV2, encodeShellV2Packet } from '../../../src/bot/adb/shellV2';
import { parseDevicesLong } from '../../../src/bot/adb/adbClient';
import { pickCaptureMethod, probeCaptureMethods } from '../../../src/bot/adb/captureSelection';

describe('(unit) device output parsers', () => {
  it('reads wm size, override first', () => {
    assert.deepEqual(parseWmSize('Physical size: 1080x1920\n'), { width: 1080, height: 1920 });
    assert.deepEqual(parseWmSize('Physical size: 1080x1920\nOverride size: 540x960\n'), { width: 540, height: 960 });
    assert.equal(parseWmSize('error'), undefined);
  });

  it('finds the focused package in dumpsys window', () => {
    const modern = [
      '  mCurrentFocus=Window{3c4a2b1 u0 com.emulatorfleet.pocketpacks/com.emulatorfleet.pocketpacks.MainActivity}',
      '  mFocusedApp=ActivityRecord{5e1 u0 com.emulatorfleet.pocketpacks/.MainActivity t12}',
    ].join('\n');
    assert.deepEqual(parseFocusedWindow(modern), { pkg: 'com.emulatorfleet.pocketpacks', activity: 'com.emulatorfleet.pocketpacks.MainActivity' });
    const systemWindow = '  mCurrentFocus=Window{a1 u0 StatusBar}\n  mFocusedApp=AppWindowToken{b2 token=Token{c3 ActivityRecord{d4 u0 com.android.launcher3/.Launcher t1}}}';
    assert.equal(parseFocusedWindow(systemWindow)?.pkg, 'com.android.launcher3');
    assert.equal(parseFocusedWindow('  mCurrentFocus=null\n  mFocusedApp=null'), undefined);
  });

  it('checks components and packages', () => {
    assert.deepEqual(parseComponent('com.a.b/.Main'), { pkg: 'com.a.b', activity: '.Main' });
    assert.deepEqual(parseComponent('com.a.b/com.a.b.Main$Inner'), { pkg: 'com.a.b', activity: 'com.a.b.Main$Inner' });
    for (const bad of ['com.a.b', 'com.a.b/', '/x', "com.a;reboot/.M", 'com.a/.M x', '']) {
      assert.equal(parseComponent(bad), undefined, bad);
    }
    assert.ok(isPackageName('com.android.launcher3'));
    assert.ok(!isPackageName('com.a b'));
    assert.ok(!isPackageName("x'"));
  });

  it('spots error output that comes with exit code 0', () => {
    assert.match(outputLooksFailed('Starting: Intent { cmp=a/.B }\nError: Activity class {a/.B} does not exist.') ?? '', /^Error: Activity/);
    assert.ok(outputLooksFailed('/system/bin/sh: foo: not found'));
    assert.ok(outputLooksFailed('Error: Unknown command: tapp'));
    assert.equal(outputLooksFailed('Broadcasting: Intent { act=ADB_INPUT_B64 }\nBroadcast completed: result=0'), undefined);
    assert.equal(outputLooksFailed(''), undefined);
  });

  it('decodes shell v2 packets', () => {
    const buf = Buffer.concat([
      encodeShellV2Packet(1, 'out1 '),
      encodeShellV2Packet(2, 'err'),
      encodeShellV2Packet(1, 'out2'),
      encodeShellV2Packet(3, Buffer.from([7])),
    ]);
    const r = decodeShellV2(buf);
    assert.equal(r.stdout.toString(), 'out1 out2');
    assert.equal(r.stderr.toString(), 'err');
    assert.equal(r.exitCode, 7);
    assert.equal(decodeShellV2(encodeShellV2Packet(1, 'x')).exitCode, undefined);
    assert.throws(() => decodeShellV2(buf.subarray(0, buf.length - 1)), (e: unknown) => isDeviceError(e, 'protocol'));
    assert.throws(() => decodeShellV2(Buffer.from([1, 0, 0])), (e: unknown) => isDeviceError(e, 'protocol'));
  });

  it('parses devices -l by key, for TCP and USB devices and odd states', () => {
    const text = [
      '127.0.0.1:5555         device product:pocketpacks model:EmulatorFleetVirtual device:virtual transport_id:3',
      'emulator-5554          offline transport_id:1',
      '0123456789ABCDEF       device usb:1-1 product:walleye model:Pixel_2 device:walleye transport_id:2',
      'R58M                   no permissions (user in plugdev group); see [http://developer.android.com/tools/device.html] usb:1-2 transport_id:4',
      '',
    ].join('\n');
    const d = parseDevicesLong(text);
    assert.equal(d.length, 4);
    assert.deepEqual(d[0], { serial: '127.0.0.1:5555', state: 'device', product: 'pocketpacks', model: 'EmulatorFleetVirtual', device: 'virtual', transportId: '3' });
    assert.deepEqual(d[1], { serial: 'emulator-5554', state: 'offline', transportId: '1' });
    assert.equal(d[2].model, 'Pixel_2');
    assert.match(d[3].state, /^no permissions/);
  });
});

describe('(unit) capture method selection', () => {
  it('picks the faster median and reports how', async () => {
    let t = 0;
    const cost = { raw: 2, png: 5 };
    const probes = await probeCaptureMethods(['raw', 'png'], 3, () => t, async (m) => {
      t += cost[m];
    });
    assert.deepEqual(probes.map((p) => p.samples), [[2, 2, 2], [5, 5, 5]]);
    const sel = pickCaptureMethod(probes);
    assert.equal(sel.method, 'raw');
    assert.equal(sel.reason, 'measured');
    cost.raw = 9;
    assert.equal(pickCaptureMethod(await probeCaptureMethods(['raw', 'png'], 3, () => t, async (m) => void (t += cost[m]))).method, 'png');
    // PNG must be clearly faster: within the margin, raw (no decoding on our side) is kept.
    cost.raw = 5.5;
    assert.equal(pickCaptureMethod(await probeCaptureMethods(['raw', 'png'], 3, () => t, async (m) => void (t += cost[m]))).method, 'raw');
  });

  it('falls back to the method that works, and fails when none does', async () => {
    const raw = await probeCaptureMethods(['raw', 'png'], 2, () => 0, async (m) => {
      if (m === 'raw') {
        throw new Error('raw broken');
      }
    });
    const sel = pickCaptureMethod(raw);
    assert.equal(sel.method, 'png');
    assert.equal(sel.reason, 'only-working');
    const none = await probeCaptureMethods(['raw', 'png'], 2, () => 0, async (m) => {
      throw new Error(`${m} broken`);
    });
    assert.throws(() => pickCaptureMethod(none), /raw broken/);
  });
});
