/**
 * The virtual device against real clients: Debian's adb (private server) and adbkit, both through that server and
 * through the embedded host endpoint (no adb binary).
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import Adb, { type Client, type DeviceClient } from '@devicefarmer/adbkit';
import sharp from 'sharp';
import { AdbHostEndpoint } from '../../src/virtual/hostEndpoint';
import { quoteWord } from '../../src/virtual/shellWords';
import { VirtualDevice } from '../../src/virtual/virtualDevice';
import { startAdbServer, type AdbServerHandle } from '../support/adbServer';
import { testAppFactory, type TestApp } from '../support/testApp';
import { HOSTILE_STRINGS } from '../support/virtual';

const FRAME_BYTES = 16 + 540 * 960 * 4;

async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pred()) {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Collects a stream into one buffer (one concat at the end). */
function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (d: Buffer) => parts.push(d));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

async function decodePng(png: Buffer): Promise<Buffer> {
  return sharp(png).ensureAlpha().raw().toBuffer();
}

describe('(integration) virtual device with Debian adb', function () {
  let adb: AdbServerHandle;
  let vd: VirtualDevice;
  let app!: TestApp;
  let tmp: string;

  const shell = (args: string[], timeoutMs?: number) => adb.adb(['-s', vd.serial, ...args], { timeoutMs });

  before(async function () {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ef-vd-'));
    adb = await startAdbServer();
    vd = await VirtualDevice.start({ app: testAppFactory({ onCreate: (a) => (app = a) }) });
    await adb.connect(vd.serial);
  });

  after(async function () {
    await adb?.kill();
    await vd?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('is listed as a device with its product and model', async () => {
    const r = await adb.adb(['devices', '-l']);
    const line = r.stdout
      .toString()
      .split('\n')
      .find((l) => l.startsWith(vd.serial));
    assert.ok(line, r.stdout.toString());
    assert.match(line, /\bdevice product:pocketpacks model:EmulatorFleetVirtual device:virtual\b/);
  });

  it('runs adb shell and reports exit codes through shell v2', async () => {
    const echo = await shell(['shell', 'echo', 'hello from adb']);
    assert.equal(echo.stdout.toString(), 'hello from adb\n');
    assert.equal(echo.code, 0);
    assert.equal((await shell(['shell', 'false'])).code, 1);
    assert.equal((await shell(['shell', 'exit 42'])).code, 42);
    const missing = await shell(['shell', 'nosuchcommand']);
    assert.equal(missing.code, 127);
    assert.equal(missing.stderr, '/system/bin/sh: nosuchcommand: inaccessible or not found\n');
    assert.equal((await shell(['shell', 'getprop', 'ro.build.version.sdk'])).stdout.toString(), '34\n');
  });

  it('serves exec-out screencap raw bytes equal to the device frame, and a PNG with the same pixels', async () => {
    const raw = await shell(['exec-out', 'screencap']);
    const frame = await vd.frame();
    assert.equal(raw.stdout.length, FRAME_BYTES);
    assert.ok(raw.stdout.subarray(16).equals(frame));
    const png = await shell(['exec-out', 'screencap', '-p']);
    assert.ok((await decodePng(png.stdout)).equals(frame));
  });

  it('changes the screen on input tap', async () => {
    const before = Buffer.from(await vd.frame());
    const colour = app.colorIndex;
    assert.equal((await shell(['shell', 'input', 'tap', '270', '480'])).code, 0);
    assert.equal(app.colorIndex, colour + 1);
    const after = (await shell(['exec-out', 'screencap'])).stdout.subarray(16);
    assert.ok(!after.equals(before));
    assert.ok(after.equals(await vd.frame()));
  });

  it('types hostile text quoted through adb shell (input text and the base64 broadcast)', async () => {
    vd.inputLog.clear();
    const ascii = HOSTILE_STRINGS.filter((s) => /^[\x20-\x7e]+$/.test(s) && !s.includes('%s')).slice(0, 12);
    for (const s of ascii) {
      assert.equal((await shell(['shell', `input text ${quoteWord(s)}`])).code, 0, s);
    }
    const unicode = ['日本語テキスト', '🎉 party 👍🏽', "it's \"quoted\" $HOME `x` ;|&", 'line1\nline2'];
    for (const s of unicode) {
      const b64 = Buffer.from(s, 'utf8').toString('base64');
      assert.equal((await shell(['shell', `am broadcast -a ADB_INPUT_B64 --es msg ${b64}`])).code, 0);
    }
    const texts = vd.inputLog.entries().map((e) => (e.kind === 'text' ? e.text : undefined));
    assert.deepEqual(texts, [...ascii, ...unicode]);
  });

  it('round-trips a 3 MB random file through adb push and pull byte-exact', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const local = path.join(tmp, 'big.bin');
    const back = path.join(tmp, 'back.bin');
    await writeFile(local, data);
    const push = await shell(['push', local, '/sdcard/Download/big.bin']);
    assert.equal(push.code, 0, push.stderr);
    assert.ok(vd.fs.read('/sdcard/Download/big.bin')?.data.equals(data));
    const pull = await shell(['pull', '/sdcard/Download/big.bin', back]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.ok((await readFile(back)).equals(data));
    const missing = await shell(['pull', '/sdcard/nope.bin', back]);
    assert.notEqual(missing.code, 0);
  });

  it('works with adbkit through the adb server (exec screencap, shell)', async () => {
    const client = Adb.createClient({ host: '127.0.0.1', port: adb.port });
    const dev = client.getDevice(vd.serial);
    const raw = await collect(await dev.openLocal('exec:screencap'));
    assert.ok(raw.subarray(16).equals(await vd.frame()));
    assert.equal((await collect(await dev.shell('echo adbkit'))).toString(), 'adbkit\n');
    assert.ok((await decodePng(await collect(await dev.screencap()))).equals(await vd.frame()));
    // Concurrent calls share the server's one transport connection to the device.
    const outs = await Promise.all(Array.from({ length: 10 }, async (_, i) => (await collect(await dev.shell(`echo concurrent-${i}`))).toString()));
    assert.deepEqual(
      outs,
      Array.from({ length: 10 }, (_, i) => `concurrent-${i}\n`),
    );
    const frames = await Promise.all([0, 1, 2].map(async () => collect(await dev.openLocal('exec:screencap'))));
    for (const f of frames) {
      assert.ok(f.subarray(16).equals(await vd.frame()));
    }
  });

  it('hangs a call during a stall until the client gives up, without leaking streams', async () => {
    assert.equal((await shell(['shell', 'vdev fault stall 2500ms'])).code, 0);
    const stalled = await shell(['shell', 'echo', 'late'], 700);
    assert.ok(stalled.timedOut, 'the call hangs while the device is stalled');
    await until(() => !vd.faults.isStalled(), 5000, 'the stall to end');
    const ok = await shell(['shell', 'echo', 'back']);
    assert.equal(ok.stdout.toString(), 'back\n');
    await until(() => vd.stats().streams === 0, 5000, 'no open streams');
    assert.equal(vd.stats().connections, 1, 'one transport connection from the adb server');
  });

  it('drops off adb on `vdev fault drop` and comes back afterwards', async () => {
    assert.equal((await shell(['shell', 'vdev fault drop 3s'])).code, 0);
    await until(async () => (await adb.stateOf(vd.serial)) !== 'device', 5000, 'adb to see the device offline or gone');
    await until(() => !vd.faults.isRefusing(), 5000, 'the refusal to end');
    await adb.connect(vd.serial);
    assert.equal((await shell(['shell', 'echo', 'again'])).stdout.toString(), 'again\n');
  });

  it('serves the demo game: a tap on the title screen leaves it', async () => {
    const game = await VirtualDevice.start({ seed: 3 });
    try {
      await adb.connect(game.serial);
      const screen = async () => (await adb.adb(['-s', game.serial, 'shell', 'getprop', 'debug.fleet.screen'])).stdout.toString().trim();
      await until(async () => (await screen()) === 'title', 5000, 'the title screen');
      const before = await game.frame();
      assert.equal((await adb.adb(['-s', game.serial, 'shell', 'input', 'tap', '270', '700'])).code, 0);
      // Without an account file the title answers with its no-account dialog; with one it goes home.
      const state = JSON.parse((await adb.adb(['-s', game.serial, 'shell', 'vdev', 'state'])).stdout.toString()) as { screen: string; dialog: string | null };
      assert.ok(state.screen !== 'title' || state.dialog !== null, JSON.stringify(state));
      const after = (await adb.adb(['-s', game.serial, 'exec-out', 'screencap'])).stdout.subarray(16);
      assert.ok(!after.equals(before));
    } finally {
      await adb.adb(['disconnect', game.serial]);
      await game.close();
    }
  });
});

describe('(integration) adbkit against the embedded host endpoint', function () {
  let ep: AdbHostEndpoint;
  let vd: VirtualDevice;
  let client: Client;
  let dev: DeviceClient;

  before(async () => {
    ep = await AdbHostEndpoint.start();
    vd = await VirtualDevice.start({ app: testAppFactory() });
    ep.addDevice(vd);
    client = Adb.createClient({ host: '127.0.0.1', port: ep.port });
    dev = client.getDevice(vd.serial);
  });

  after(async () => {
    await ep?.close();
    await vd?.close();
  });

  it('reports version, devices and state', async () => {
    assert.equal(await client.version(), 41);
    assert.deepEqual(await client.listDevices(), [{ id: vd.serial, type: 'device' }]);
    assert.equal(await dev.getState(), 'device');
    assert.equal((await dev.getProperties())['ro.product.model'], 'EmulatorFleetVirtual');
    assert.equal((await dev.getFeatures())['android.hardware.touchscreen'], true);
  });

  it('runs shell commands', async () => {
    assert.equal((await collect(await dev.shell('echo endpoint && getprop ro.build.version.sdk'))).toString(), 'endpoint\n34\n');
    assert.equal((await collect(await dev.shell(['echo', "it's $HOME"]))).toString(), "it's $HOME\n");
  });

  it('serves raw exec screencap and screencap() PNG with the device pixels', async () => {
    const raw = await collect(await dev.openLocal('exec:screencap'));
    assert.equal(raw.length, FRAME_BYTES);
    assert.ok(raw.subarray(16).equals(await vd.frame()));
    assert.ok((await decodePng(await collect(await dev.screencap()))).equals(await vd.frame()));
  });

  it('pushes and pulls a 3 MB file byte-exact, and stats and lists it', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const source = new PassThrough();
    source.end(data);
    const transfer = await dev.push(source, '/sdcard/Download/kit.bin');
    await new Promise<void>((resolve, reject) => {
      transfer.on('end', resolve);
      transfer.on('error', reject);
    });
    assert.ok(vd.fs.read('/sdcard/Download/kit.bin')?.data.equals(data));
    const pulled = await collect(await dev.pull('/sdcard/Download/kit.bin'));
    assert.ok(pulled.equals(data));
    const st = await dev.stat('/sdcard/Download/kit.bin');
    assert.equal(Number(st.size), data.length);
    const names = (await dev.readdir('/sdcard/Download')).map((e: { name: string }) => e.name);
    assert.deepEqual(names, ['kit.bin']);
  });

  it('tracks devices being added and removed', async () => {
    const tracker = await client.trackDevices();
    const events: string[] = [];
    tracker.on('add', (d: { id: string }) => events.push(`add ${d.id}`));
    tracker.on('remove', (d: { id: string }) => events.push(`remove ${d.id}`));
    const extra = VirtualDevice.create({ app: testAppFactory() });
    try {
      // The initial list arrives at once (adbkit may emit its 'add' before our listener is attached).
      await new Promise((r) => setTimeout(r, 100));
      ep.addDevice(extra);
      await until(() => events.includes(`add ${extra.serial}`), 3000, 'the add event');
      ep.removeDevice(extra.serial);
      await until(() => events.includes(`remove ${extra.serial}`), 3000, 'the remove event');
    } finally {
      tracker.end();
      await extra.close();
    }
    assert.deepEqual(
      events.filter((e) => e.endsWith(extra.serial)),
      [`add ${extra.serial}`, `remove ${extra.serial}`],
    );
    assert.ok(!events.includes(`remove ${vd.serial}`));
  });
});
