import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import { decodeInputText, parseDurationMs } from '../../../src/virtual/shellCommands';
import { quoteWord } from '../../../src/virtual/shellWords';
import { VirtualDevice } from '../../../src/virtual/virtualDevice';
import { TEST_APP_PACKAGE, testAppFactory, type TestApp } from '../../support/testApp';
import { HOSTILE_STRINGS } from '../../support/virtual';

function device(opts: { boot?: 'title' | 'launcher'; legacyHeader?: boolean } = {}): { vd: VirtualDevice; app: TestApp } {
  let app!: TestApp;
  const vd = VirtualDevice.create({ app: testAppFactory({ boot: opts.boot, onCreate: (a) => (app = a) }), legacyHeader: opts.legacyHeader });
  return { vd, app };
}

async function sh(vd: VirtualDevice, line: string): Promise<{ out: string; err: string; code: number }> {
  const r = await vd.runShell(line);
  return { out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8'), code: r.exitCode };
}

describe('(unit) virtual shell: interpreter', () => {
  it('echoes, with -n and mksh backslash escapes', async () => {
    const { vd } = device();
    assert.deepEqual(await sh(vd, 'echo hello  world'), { out: 'hello world\n', err: '', code: 0 });
    assert.equal((await sh(vd, 'echo -n x')).out, 'x');
    assert.equal((await sh(vd, "echo 'a\\tb\\nc'")).out, 'a\tb\nc\n');
    assert.equal((await sh(vd, "echo 'stop\\cnot shown'")).out, 'stop');
    assert.equal((await sh(vd, 'echo')).out, '\n');
  });

  it('reports unknown commands like mksh, with status 127', async () => {
    const { vd } = device();
    assert.deepEqual(await sh(vd, 'frobnicate --now'), { out: '', err: '/system/bin/sh: frobnicate: inaccessible or not found\n', code: 127 });
    assert.equal((await sh(vd, 'frobnicate 2>/dev/null')).err, '');
  });

  it('sequences with ; && || and tracks $?', async () => {
    const { vd } = device();
    assert.equal((await sh(vd, 'false; echo $?')).out, '1\n');
    assert.equal((await sh(vd, 'true && echo yes || echo no')).out, 'yes\n');
    assert.equal((await sh(vd, 'false && echo yes || echo no')).out, 'no\n');
    assert.equal((await sh(vd, '! false && echo negated')).out, 'negated\n');
    assert.equal((await sh(vd, 'false')).code, 1);
    assert.equal((await sh(vd, 'echo a\necho b')).out, 'a\nb\n');
    assert.equal((await sh(vd, 'echo bg & echo fg')).out, 'bg\nfg\n');
  });

  it('exits with exit N, skipping the rest', async () => {
    const { vd } = device();
    assert.deepEqual(await sh(vd, 'echo a; exit 4; echo b'), { out: 'a\n', err: '', code: 4 });
    assert.equal((await sh(vd, 'false; exit')).code, 1);
  });

  it('pipes output into grep and expands command substitutions and variables', async () => {
    const { vd } = device();
    const r = await sh(vd, 'dumpsys window | grep mCurrentFocus');
    assert.equal(r.out, `  mCurrentFocus=Window{${r.out.match(/\{(\w+) /)?.[1]} u0 ${TEST_APP_PACKAGE}/${TEST_APP_PACKAGE}.MainActivity}\n`);
    assert.equal((await sh(vd, 'echo "model: $(getprop ro.product.model)"')).out, 'model: EmulatorFleetVirtual\n');
    assert.equal((await sh(vd, 'X=5; echo "$X" ${X}')).out, '5 5\n');
    assert.equal((await sh(vd, 'grep -c . /nope')).code, 2);
    assert.equal((await sh(vd, "echo abc | grep -q 'x'")).code, 1);
    assert.equal((await sh(vd, "printf 2>/dev/null || echo fallback")).out, 'fallback\n');
  });

  it('redirects to files, appends, and merges stderr with 2>&1', async () => {
    const { vd } = device();
    await sh(vd, 'echo one > /sdcard/log.txt; echo two >> /sdcard/log.txt');
    assert.equal(vd.fs.read('/sdcard/log.txt')?.data.toString(), 'one\ntwo\n');
    assert.equal((await sh(vd, 'cat < /sdcard/log.txt')).out, 'one\ntwo\n');
    const merged = await sh(vd, 'cat /nope 2>&1');
    assert.deepEqual(merged, { out: 'cat: /nope: No such file or directory\n', err: '', code: 1 });
    assert.equal((await sh(vd, 'echo x > /sdcard')).code, 1);
  });

  it('prints syntax errors and fails with status 1', async () => {
    const { vd } = device();
    assert.deepEqual(await sh(vd, "echo 'open"), { out: '', err: '/system/bin/sh: no closing quote\n', code: 1 });
    assert.equal((await sh(vd, 'echo (x)')).code, 1);
  });
});

describe('(unit) virtual shell: device commands', () => {
  it('answers getprop, wm size, pidof, pm and id', async () => {
    const { vd, app } = device();
    assert.equal((await sh(vd, 'getprop ro.build.version.sdk')).out, '34\n');
    assert.equal((await sh(vd, 'getprop sys.boot_completed')).out, '1\n');
    assert.equal((await sh(vd, 'getprop debug.fleet.screen')).out, 'solid\n');
    assert.equal((await sh(vd, 'getprop no.such.prop')).out, '\n');
    assert.equal((await sh(vd, 'getprop no.such.prop fallback')).out, 'fallback\n');
    assert.match((await sh(vd, 'getprop')).out, /^\[ro\.build\.version\.sdk\]: \[34\]$/m);
    await sh(vd, 'setprop debug.mine 42');
    assert.equal((await sh(vd, 'getprop debug.mine')).out, '42\n');
    assert.equal((await sh(vd, 'wm size')).out, 'Physical size: 540x960\n');
    assert.equal((await sh(vd, `pidof ${TEST_APP_PACKAGE}`)).out, `${app.pid()}\n`);
    assert.match((await sh(vd, 'pm list packages')).out, new RegExp(`^package:${TEST_APP_PACKAGE.replace(/\./g, '\\.')}$`, 'm'));
    assert.match((await sh(vd, 'pm list features')).out, /^feature:android\.hardware\.touchscreen$/m);
    assert.match((await sh(vd, 'id')).out, /uid=2000\(shell\)/);
  });

  it('delivers taps, swipes, long presses, keys and text, and logs them', async () => {
    const { vd, app } = device();
    await sh(vd, 'input tap 100 200');
    await sh(vd, 'input touchscreen swipe 10 20 30 40 5');
    await sh(vd, 'input swipe 50 60 50 60 7');
    await sh(vd, 'input keyevent KEYCODE_VOLUME_UP 25 BACK');
    await sh(vd, "input text 'hello%sworld'");
    assert.deepEqual(
      app.events.map((e) => [e.kind, ...e.args]),
      [
        ['tap', 100, 200],
        ['swipe', 10, 20, 30, 40, 5],
        ['longpress', 50, 60, 7],
        ['key', 24],
        ['key', 25],
        ['key', 4],
        ['text', 'hello world'],
      ],
    );
    const log = JSON.parse((await sh(vd, 'vdev inputlog')).out) as { kind: string }[];
    assert.deepEqual(
      log.map((r) => r.kind),
      ['tap', 'swipe', 'longpress', 'key', 'key', 'key', 'text'],
    );
    assert.deepEqual(vd.inputLog.entries()[2], { ...vd.inputLog.entries()[2], kind: 'longpress', x: 50, y: 60, durationMs: 7 });
    await sh(vd, 'vdev inputlog clear');
    assert.equal((await sh(vd, 'vdev inputlog')).out, '[]\n');
  });

  it('rejects bad input commands without delivering anything', async () => {
    const { vd, app } = device();
    assert.equal((await sh(vd, 'input tap 1')).code, 1);
    assert.equal((await sh(vd, 'input tap x y')).code, 1);
    assert.equal((await sh(vd, 'input keyevent KEYCODE_NOPE')).code, 1);
    const uni = await sh(vd, "input text 'ünï'");
    assert.equal(uni.code, 255);
    assert.match(uni.err, /Exception occurred while executing 'text'/);
    assert.equal((await sh(vd, 'input fly')).code, 1);
    assert.deepEqual(app.events, []);
  });

  it('implements the %s rule of input text exactly', () => {
    assert.equal(decodeInputText('a%sb'), 'a b');
    assert.equal(decodeInputText('%s%s'), '  ');
    assert.equal(decodeInputText('100%'), '100%');
    assert.equal(decodeInputText('%%s'), '% ');
    assert.equal(decodeInputText('%x%s'), '%x ');
  });

  it('types every ASCII hostile string through input text, quoted', async () => {
    const { vd, app } = device();
    for (const s of HOSTILE_STRINGS.filter((x) => /^[\x20-\x7e\n\t]+$/.test(x))) {
      app.text_ = '';
      const r = await sh(vd, `input text ${quoteWord(s)}`);
      assert.equal(r.code, 0, `${JSON.stringify(s)}: ${r.err}`);
      assert.equal(app.text_, decodeInputText(s), JSON.stringify(s));
    }
  });

  it('types any Unicode through the ADBKeyboard base64 broadcast, byte-exact', async () => {
    const { vd } = device();
    for (const s of HOSTILE_STRINGS.filter((x) => x.length > 0)) {
      const b64 = Buffer.from(s, 'utf8').toString('base64');
      const r = await sh(vd, `am broadcast -a ADB_INPUT_B64 --es msg ${b64}`);
      assert.equal(r.code, 0);
      assert.match(r.out, /Broadcast completed: result=0/);
    }
    const texts = vd.inputLog.entries().map((e) => (e.kind === 'text' ? [e.text, e.via] : []));
    assert.deepEqual(
      texts,
      HOSTILE_STRINGS.filter((x) => x.length > 0).map((s) => [s, 'broadcast']),
    );
  });

  it('starts and stops the app with am, reporting like Android', async () => {
    const { vd, app } = device({ boot: 'launcher' });
    assert.equal((await sh(vd, 'dumpsys window windows | grep mCurrentFocus')).out.includes('com.android.launcher3'), true);
    const start = await sh(vd, `am start -W -n ${TEST_APP_PACKAGE}/.MainActivity -f 0x10018000`);
    assert.equal(start.code, 0);
    assert.match(start.out, /^Starting: Intent \{ flg=0x10018000 cmp=com\.emulatorfleet\.testapp\/\.MainActivity \}$/m);
    assert.match(start.out, /^Status: ok$/m);
    assert.match(start.out, /^LaunchState: COLD$/m);
    assert.ok(app.foreground);
    assert.match((await sh(vd, 'dumpsys activity activities')).out, /mResumedActivity: ActivityRecord\{\w+ u0 com\.emulatorfleet\.testapp\/\.MainActivity t12\}/);
    const again = await sh(vd, `am start -n ${TEST_APP_PACKAGE}/.MainActivity`);
    assert.match(again.out, /intent has been delivered to currently running top-most instance/);
    const bad = await sh(vd, 'am start -n com.nope/.Main');
    assert.equal(bad.code, 255);
    assert.match(bad.err, /Error: Activity class \{com\.nope\/com\.nope\.Main\} does not exist\./);
    assert.equal((await sh(vd, `am force-stop ${TEST_APP_PACKAGE}`)).code, 0);
    assert.equal(app.pid(), undefined);
    assert.equal((await sh(vd, `pidof ${TEST_APP_PACKAGE}`)).code, 1);
    await sh(vd, `monkey -p ${TEST_APP_PACKAGE} -c android.intent.category.LAUNCHER 1`);
    assert.ok(app.foreground);
  });

  it('manages files: mkdir -p, ls -l, cat, chmod, rm, md5sum, pm clear', async () => {
    const { vd } = device();
    assert.equal((await sh(vd, 'mkdir /a/b')).code, 1);
    assert.equal((await sh(vd, 'mkdir -p /a/b && echo hi > /a/b/f.txt')).code, 0);
    assert.equal((await sh(vd, 'ls /a/b')).out, 'f.txt\n');
    assert.match((await sh(vd, 'ls -l /a/b')).out, /^-rw-r--r-- 1 shell shell +3 \d{4}-\d\d-\d\d \d\d:\d\d f\.txt$/m);
    await sh(vd, 'chmod 600 /a/b/f.txt');
    assert.match((await sh(vd, 'ls -l /a/b/f.txt')).out, /^-rw------- /);
    assert.equal((await sh(vd, 'md5sum /a/b/f.txt')).out, '764efa883dda1e11db47671c4a3bbd9e  /a/b/f.txt\n');
    assert.deepEqual(await sh(vd, 'ls /nope'), { out: '', err: 'ls: /nope: No such file or directory\n', code: 1 });
    assert.equal((await sh(vd, 'rm /a')).code, 1);
    assert.equal((await sh(vd, 'rm -r /a && ls /a')).code, 1);
    assert.equal((await sh(vd, 'rm /nope')).code, 1);
    assert.equal((await sh(vd, 'rm -f /nope')).code, 0);
    vd.fs.write(`/data/data/${TEST_APP_PACKAGE}/shared_prefs/x.xml`, Buffer.from('<x/>'));
    assert.equal((await sh(vd, `pm clear ${TEST_APP_PACKAGE}`)).out, 'Success\n');
    assert.equal(vd.fs.read(`/data/data/${TEST_APP_PACKAGE}/shared_prefs/x.xml`), undefined);
  });

  it('serves screencap raw (16-byte header) and PNG with the same pixels, PNGs cached per frame', async () => {
    const { vd, app } = device();
    const raw = (await vd.runShell('screencap')).stdout;
    const frame = await vd.frame();
    assert.equal(raw.length, 16 + 540 * 960 * 4);
    assert.deepEqual([raw.readUInt32LE(0), raw.readUInt32LE(4), raw.readUInt32LE(8), raw.readUInt32LE(12)], [540, 960, 1, 0]);
    assert.ok(raw.subarray(16).equals(frame));
    const png = (await vd.runShell('screencap -p')).stdout;
    const decoded = await sharp(png).ensureAlpha().raw().toBuffer();
    assert.ok(decoded.equals(frame));
    assert.equal(await vd.png(), await vd.png(), 'same PNG buffer while the frame is unchanged');
    const rendersBefore = app.renders;
    await vd.runShell('screencap');
    assert.equal(app.renders, rendersBefore, 'no re-render for an unchanged frame');
    await sh(vd, 'input tap 5 5');
    const after = (await vd.runShell('screencap')).stdout;
    assert.ok(!after.subarray(16).equals(frame), 'a tap changes the screen');
    assert.equal(app.renders, rendersBefore + 1);
  });

  it('writes screencap to a file on the device', async () => {
    const { vd } = device();
    await sh(vd, 'screencap -p /sdcard/s.png');
    const meta = await sharp(vd.fs.read('/sdcard/s.png')!.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 540, 960]);
  });

  it('emits the legacy 12-byte header when asked', async () => {
    const { vd } = device({ legacyHeader: true });
    const raw = (await vd.runShell('screencap')).stdout;
    assert.equal(raw.length, 12 + 540 * 960 * 4);
    assert.equal(raw.readUInt32LE(8), 1);
  });
});

describe('(unit) virtual shell: vdev', () => {
  it('reports state as JSON and forces pop-ups', async () => {
    const { vd, app } = device();
    const state = JSON.parse((await sh(vd, 'vdev state')).out) as { screen: string; device: { width: number; serial: string } };
    assert.equal(state.screen, 'solid');
    assert.equal(state.device.width, 540);
    assert.equal(state.device.serial, vd.serial);
    await sh(vd, 'vdev popup notice');
    assert.equal(app.popup, 'notice');
    assert.equal((await sh(vd, 'vdev popup nope')).code, 1);
  });

  it('injects and clears faults', async () => {
    const { vd, app } = device();
    const drops: number[] = [];
    vd.faults.onDidDropConnections(({ refuseMs }) => drops.push(refuseMs));
    await sh(vd, 'vdev fault drop 2s');
    assert.deepEqual(drops, [2000]);
    assert.ok(vd.faults.isRefusing());
    await sh(vd, 'vdev fault stall 5s');
    assert.ok(vd.faults.isStalled());
    await sh(vd, 'vdev fault slow-frames 1');
    assert.equal(vd.faults.slowFramesMs, 1);
    await sh(vd, 'vdev fault corrupt-frame truncate');
    const truncated = (await vd.runShell('screencap')).stdout;
    assert.equal(truncated.length, Math.floor((16 + 540 * 960 * 4) / 2));
    await sh(vd, 'vdev fault corrupt-frame garble');
    const garbled = (await vd.runShell('screencap')).stdout;
    assert.equal(garbled.length, 16 + 540 * 960 * 4);
    assert.ok(!garbled.subarray(16).equals(await vd.frame()));
    assert.ok(garbled.subarray(0, 16).equals((await vd.runShell('screencap')).stdout.subarray(0, 16)));
    assert.ok((await vd.runShell('screencap')).stdout.subarray(16).equals(await vd.frame()), 'only the next frame is corrupt');
    const status = JSON.parse((await sh(vd, 'vdev fault status')).out) as { slowFramesMs: number; stalledMs: number };
    assert.equal(status.slowFramesMs, 1);
    assert.ok(status.stalledMs > 0);
    await sh(vd, 'vdev fault crash');
    assert.equal(app.foreground, false);
    assert.equal(app.pid(), undefined);
    await sh(vd, 'vdev fault clear');
    assert.ok(!vd.faults.isStalled());
    assert.ok(!vd.faults.isRefusing());
    assert.equal(vd.faults.slowFramesMs, 0);
    assert.equal((await sh(vd, 'vdev fault stall soon')).code, 1);
    assert.equal((await sh(vd, 'vdev fault stall 999999999s')).code, 1);
    await vd.close();
  });

  it('parses durations', () => {
    assert.equal(parseDurationMs('250ms'), 250);
    assert.equal(parseDurationMs('2s'), 2000);
    assert.equal(parseDurationMs('1m'), 60000);
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('40'), 40);
    assert.equal(parseDurationMs('x'), undefined);
  });
});

describe('(unit) virtual shell: with the demo game', () => {
  it('boots the game by default and reports its screen', async () => {
    const vd = VirtualDevice.create({ seed: 7 });
    assert.equal((await sh(vd, 'getprop debug.fleet.screen')).out.trim().length > 0, true);
    const state = JSON.parse((await sh(vd, 'vdev state')).out) as { screen: string; package: string };
    assert.equal(state.package, 'com.emulatorfleet.pocketpacks');
    assert.match((await sh(vd, 'dumpsys window')).out, /mCurrentFocus=Window\{\w+ u0 com\.emulatorfleet\.pocketpacks\/com\.emulatorfleet\.pocketpacks\.MainActivity\}/);
    assert.equal((await vd.frame()).length, 540 * 960 * 4);
    await vd.close();
  });
});
