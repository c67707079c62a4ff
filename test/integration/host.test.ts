/**
 * The host layer through its real pieces: createFleet over two private Debian adb servers, `adb connect` of a
 * virtual device served on a port, virtual devices started and stopped at run time, and the laziness the extension
 * relies on (no matcher worker, no account database, no src/virtual loaded until first use).
 */
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as net from 'node:net';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FleetHostError, type Fleet } from '../../src/host/fleet';
import type { BotCycleEvent, DeviceInfo } from '../../src/shared/fleetTypes';
import { waitForEvent } from '../../src/shared/lifecycle';
import { VirtualDevice } from '../../src/virtual/virtualDevice';
import { ADB_BINARY, startAdbServer, type AdbServerHandle } from '../support/adbServer';
import { nullLogger } from '../../src/shared/loggers';
import { SystemClock } from '../../src/shared/clock';
import { VirtualSource, VirtualSourceError } from '../../src/host/virtualSource';
import { testFleet } from '../support/fleet';
import { startVirtualDevices, type VirtualFleet } from '../support/virtual';

const REPO = path.resolve(__dirname, '../..');

const PROBE = `description: Taps one spot.
steps:
  - tap: { x: 11, y: 22 }
`;

const PROBE_POOL = `description: Checks an account out, taps, completes it.
steps:
  - checkoutAccount: { onEmpty: fail }
  - tap: { x: 33, y: 44 }
  - completeAccount
`;

/** A workspace with the probe routines, a pool over the demo accounts, and the groups of the tests. */
function workspace(servers: { a: string; b: string }): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'host-int-'));
  for (const d of ['routines', 'groups', 'pools']) {
    mkdirSync(path.join(ws, d));
  }
  writeFileSync(path.join(ws, 'routines', 'probe.yaml'), PROBE);
  writeFileSync(path.join(ws, 'routines', 'probe_pool.yaml'), PROBE_POOL);
  copyFileSync(path.join(REPO, 'pools', 'demo-accounts.json'), path.join(ws, 'pools', 'demo-accounts.json'));
  writeFileSync(path.join(ws, 'pools', 'probe_pool.yaml'), 'name: probe_pool\ncooldown: 0s\n');
  writeFileSync(path.join(ws, 'groups', 'two_servers.yaml'), `name: Two Servers\nroutine: probe\navailableInstances: ['${servers.a}', '${servers.b}']\nrequestedBotCount: 2\nlaunchOptions: { stagger: 0s }\n`);
  writeFileSync(path.join(ws, 'groups', 'virtual_pool.yaml'), 'name: Virtual Pool\nroutine: probe_pool\navailableInstances: [1, 2]\nrequestedBotCount: 2\naccountPool: probe_pool\nlaunchOptions: { stagger: 0s }\n');
  return ws;
}

function tapped(vd: VirtualDevice, x: number, y: number): boolean {
  return vd.inputLog.entries().some((e) => e.kind === 'tap' && e.x === x && e.y === y);
}

describe('(integration) the host: createFleet', function () {
  this.timeout(60_000);
  let adbA: AdbServerHandle;
  let adbB: AdbServerHandle;
  let onA: VirtualFleet;
  let onB: VirtualFleet;
  let ws: string;
  let fleet: Fleet | undefined;

  before(async () => {
    adbA = await startAdbServer();
    adbB = await startAdbServer();
    onA = await startVirtualDevices(1, { adb: adbA, seedBase: 1 });
    onB = await startVirtualDevices(1, { adb: adbB, seedBase: 2 });
    ws = workspace({ a: onA.serials[0], b: onB.serials[0] });
  });

  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  after(async () => {
    await onA?.close();
    await onB?.close();
    await adbA?.kill();
    await adbB?.kill();
    rmSync(ws, { recursive: true, force: true });
  });

  it("lists the devices of every ADB server and runs a bot on each server's device", async () => {
    const serverA = `127.0.0.1:${adbA.port}`;
    const serverB = `127.0.0.1:${adbB.port}`;
    const f = (fleet = await testFleet(ws, { adbServers: [serverA, serverB], watch: false, lazy: true }));
    assert.equal(await f.devices.listed(10_000), true);
    const listed = f.devices.list().map((d) => [d.serial, d.source, d.server, d.state, d.model, d.instance]);
    assert.deepEqual(listed, [
      [onA.serials[0], 'adb', serverA, 'online', 'EmulatorFleetVirtual', '1'],
      [onB.serials[0], 'adb', serverB, 'online', 'EmulatorFleetVirtual', undefined],
    ]);

    const o = f.orchestrator;
    const group = o.createGroup(await o.loadGroupDefinition('Two Servers'));
    await group.start({ cycles: 1 });
    const final = await group.done;
    assert.equal(final.state, 'stopped', JSON.stringify(final.bots.map((b) => b.lastError)));
    assert.deepEqual(
      final.bots.map((b) => [b.serial, b.cycles]).sort(),
      [
        [onA.serials[0], 1],
        [onB.serials[0], 1],
      ].sort(),
    );
    assert.ok(tapped(onA.devices[0], 11, 22), 'the bot on the first server tapped its device');
    assert.ok(tapped(onB.devices[0], 11, 22), 'the bot on the second server tapped its device');
  });

  it('connects a virtual device served on a port through Debian adb (connectDevice) and drives it', async () => {
    const vd = await VirtualDevice.start({ seed: 7 });
    const server = `127.0.0.1:${adbA.port}`;
    try {
      const f = (fleet = await testFleet(ws, { adbServers: [server], watch: false, lazy: true }));
      const seen = waitForEvent(f.devices.onDidChangeDevices, (list) => list.some((d) => d.serial === vd.serial && d.state === 'online'), 15_000);
      await f.connectDevice(vd.serial);
      await seen;
      const entry = f.devices.list().find((d) => d.serial === vd.serial);
      assert.deepEqual([entry?.source, entry?.server, entry?.state], ['adb', server, 'online']);
      const { device, serial } = await f.devices.open(vd.serial);
      try {
        assert.equal(serial, vd.serial);
        assert.equal((await device.shell('getprop ro.product.model')).stdout.trim(), 'EmulatorFleetVirtual');
      } finally {
        await device.close();
      }
      await assert.rejects(f.connectDevice(vd.serial, { server: '127.0.0.1:1' }), (e: unknown) => e instanceof FleetHostError && e.code === 'unknown-server' && /not one of the fleet's ADB servers/.test(e.message));
    } finally {
      await adbA.adb(['disconnect', vd.serial], { timeoutMs: 5000 });
      await vd.close();
    }
  });

  it('starts and stops virtual devices at run time; a group on them opens the lazy account database when it starts', async () => {
    const f = (fleet = await testFleet(ws, { watch: false, lazy: true }));
    assert.deepEqual(f.devices.list(), []);
    assert.deepEqual(f.virtualDevices(), []);
    const pools = f.orchestrator.poolManager()!;
    assert.equal(pools.isOpen, false);
    assert.equal(existsSync(path.join(ws, '.fleet')), false, 'nothing is written before the pools are used');

    const changes: Array<readonly DeviceInfo[]> = [];
    const sub = f.devices.onDidChangeDevices((list) => changes.push(list));
    try {
      const started = await f.startVirtualDevices(2);
      assert.deepEqual(
        started.map((d) => [d.source, d.instance, d.state, d.model]),
        [
          ['virtual', '1', 'online', 'EmulatorFleetVirtual'],
          ['virtual', '2', 'online', 'EmulatorFleetVirtual'],
        ],
      );
      assert.equal(f.virtualDevices().length, 2);
      assert.ok(changes.some((l) => l.length === 2));

      const o = f.orchestrator;
      let during: DeviceInfo[] = [];
      const cycle = o.onDidCompleteCycle((e: BotCycleEvent) => {
        if (e.ok && during.length === 0) {
          during = f.devices.list();
        }
      });
      const group = o.createGroup(await o.loadGroupDefinition('Virtual Pool'));
      await group.start({ cycles: 1 });
      const final = await group.done;
      cycle.dispose();
      assert.equal(final.state, 'stopped', JSON.stringify(final.lastError ?? final.bots.map((b) => b.lastError)));
      assert.equal(pools.isOpen, true, 'the group opened the account database');
      assert.deepEqual(
        final.bots.map((b) => b.accounts.length),
        [1, 1],
      );
      for (const vd of f.virtualDevices()) {
        assert.ok(tapped(vd.local!, 33, 44));
      }
      // While the group ran, the listing named it as the holder and carried the driving bot's latency.
      const held = during.filter((d) => d.heldBy?.group === 'Virtual Pool');
      assert.ok(held.length >= 1, JSON.stringify(during));
      assert.ok(held.some((d) => d.capture !== undefined && (d.input?.count ?? 0) > 0), JSON.stringify(held));
      assert.ok(
        changes.some((l) => l.some((d) => d.heldBy?.group === 'Virtual Pool')),
        'a change event named the holder',
      );
      assert.ok(f.devices.list().every((d) => d.heldBy === undefined), 'released after the run');

      const [first, second] = f.virtualDevices().map((d) => d.serial);
      await f.stopVirtualDevices([first]);
      assert.deepEqual(
        f.devices.list().map((d) => [d.serial, d.instance]),
        [[second, '1']],
      );
      await f.stopVirtualDevices();
      assert.deepEqual(f.devices.list(), []);
      const more = await f.startVirtualDevices(1, { seed: 9 });
      assert.equal(more.length, 1);
    } finally {
      sub.dispose();
    }
  });

  it('virtualStartsSettled waits for the starts in flight; a fleet closed during a start fails it as closed', async () => {
    const f = (fleet = await testFleet(ws, { watch: false, lazy: true, virtualWorker: true }));
    await f.virtualStartsSettled(); // nothing in flight
    const a = f.startVirtualDevices(2);
    const b = f.startVirtualDevices(1);
    assert.equal(f.virtualDevices().length, 0, 'not started yet');
    await f.virtualStartsSettled();
    assert.equal(f.virtualDevices().length, 3, 'every start in flight is counted once settled');
    assert.equal((await a).length + (await b).length, 3);

    const late = f.startVirtualDevices(2);
    const closed = f.close();
    await assert.rejects(late, (e: unknown) => e instanceof FleetHostError && e.code === 'closed');
    await closed;
    await f.virtualStartsSettled();
    await assert.rejects(f.startVirtualDevices(1), (e: unknown) => e instanceof FleetHostError && e.code === 'closed');
  });

  it('runs virtual devices in a worker thread: listed, driven by a group (the taps read back through Debian adb), restarted, stopped', async () => {
    const f = (fleet = await testFleet(ws, { watch: false, lazy: true, virtualWorker: true }));
    const started = await f.startVirtualDevices(2);
    assert.deepEqual(
      started.map((d) => [d.source, d.instance, d.state, d.model]),
      [
        ['virtual', '1', 'online', 'EmulatorFleetVirtual'],
        ['virtual', '2', 'online', 'EmulatorFleetVirtual'],
      ],
    );
    assert.ok(
      f.virtualDevices().every((d) => d.local === undefined),
      'the device objects live in the worker',
    );
    if (process.platform === 'linux') {
      // The worker thread yields the cores to the fleet's own thread: its niceness is raised (field 19 of its stat).
      const niceOf = (tid: string): number => {
        const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      };
      const main = niceOf(String(process.pid));
      const nice = readdirSync(`/proc/${process.pid}/task`).map(niceOf);
      assert.ok(
        main >= 10 || nice.includes(10),
        `a thread of this process runs at niceness 10 (this thread: ${main}): ${JSON.stringify(nice)}`,
      );
    }

    const o = f.orchestrator;
    const group = o.createGroup(await o.loadGroupDefinition('Virtual Pool'));
    await group.start({ cycles: 1 });
    const final = await group.done;
    assert.equal(final.state, 'stopped', JSON.stringify(final.lastError ?? final.bots.map((b) => b.lastError)));
    assert.deepEqual(
      final.bots.map((b) => b.cycles),
      [1, 1],
    );
    // The worker's devices took the taps: their input logs, read with Debian adb through the worker's endpoint.
    for (const d of f.devices.list()) {
      const port = d.server!.slice(d.server!.lastIndexOf(':') + 1);
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(ADB_BINARY, ['-P', port, '-s', d.serial, 'shell', 'vdev', 'inputlog'], { timeout: 30_000 }, (err, out, stderr) => (err ? reject(new Error(`${err.message} ${stderr}`)) : resolve(out))),
      );
      const log = JSON.parse(stdout) as { kind: string; x?: number; y?: number }[];
      assert.ok(
        log.some((e) => e.kind === 'tap' && e.x === 33 && e.y === 44),
        `${d.serial}: ${stdout}`,
      );
    }

    // A restart takes the device off the list and brings it back on the same serial.
    const [first, second] = f.virtualDevices().map((d) => d.serial);
    const states: string[] = [];
    const sub = f.devices.onDidChangeDevices((l) => states.push(l.find((d) => d.serial === first)?.state ?? 'gone'));
    try {
      await f.devices.restart('1');
    } finally {
      sub.dispose();
    }
    assert.ok(states.includes('offline'), JSON.stringify(states));
    assert.equal(f.devices.list().find((d) => d.serial === first)?.state, 'online');

    await f.stopVirtualDevices([first]);
    assert.deepEqual(
      f.devices.list().map((d) => [d.serial, d.instance]),
      [[second, '1']],
    );
    const port = Number(f.devices.list()[0].server!.split(':').pop());
    await f.close();
    fleet = undefined;
    // Closing the fleet stopped the worker's endpoint.
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    assert.ok(refused, `nothing listens on ${port} after close`);
  });

  it('a virtual devices\' worker that dies fails its requests with the reason and empties the list', async () => {
    const clock = new SystemClock();
    await assert.rejects(
      VirtualSource.start({ clock, logger: nullLogger, worker: true, workerEntry: { filename: 'process.exit(3)', eval: true } }),
      (e: unknown) => e instanceof VirtualSourceError && e.code === 'worker-failed' && /exited while starting \(code 3\)/.test(e.message),
    );
    // A worker that says it is ready, then dies on its first request.
    const dies = `const { parentPort } = require('node:worker_threads');
      parentPort.postMessage({ type: 'ready', port: 1 });
      parentPort.on('message', () => process.exit(4));`;
    const source = await VirtualSource.start({ clock, logger: nullLogger, worker: true, workerEntry: { filename: dies, eval: true } });
    try {
      const changed = waitForEvent(source.onDidChange, () => true, 30_000);
      await assert.rejects(source.add(1), (e: unknown) => e instanceof VirtualSourceError && e.code === 'worker-failed' && /exited \(code 4\)/.test(e.message));
      await changed;
      assert.deepEqual(source.list(), []);
      await assert.rejects(source.add(1), /exited \(code 4\)/);
    } finally {
      await source.close();
    }
  });

  it('a lazy fleet opens no matcher worker and no account database until they are used; an eager one opens the database', async () => {
    const lazyWs = mkdtempSync(path.join(tmpdir(), 'host-lazy-'));
    try {
      mkdirSync(path.join(lazyWs, 'pools'));
      copyFileSync(path.join(REPO, 'pools', 'demo-accounts.json'), path.join(lazyWs, 'pools', 'demo-accounts.json'));
      const f = (fleet = await testFleet(lazyWs, { watch: false, lazy: true }));
      assert.equal(f.matcherPool.workerCount, 0);
      assert.equal(f.orchestrator.poolManager()!.isOpen, false);
      assert.equal(existsSync(path.join(lazyWs, '.fleet')), false);
      const pools = await f.pools();
      assert.equal(pools.isOpen, true);
      assert.ok(existsSync(path.join(lazyWs, '.fleet')));
      await f.close();
      fleet = undefined;

      const eager = (fleet = await testFleet(lazyWs, { watch: false }));
      assert.equal(eager.orchestrator.poolManager()!.isOpen, true);
      assert.equal(eager.matcherPool.workerCount, 0, 'matcher workers start on the first match');
    } finally {
      await fleet?.close();
      fleet = undefined;
      rmSync(lazyWs, { recursive: true, force: true });
    }
  });

  it('a fleet without virtual devices never loads src/virtual (nor sql.js) until they are used', async () => {
    // A fresh process: the module registry of this one already holds everything.
    const script = `
      const { createFleet } = require(${JSON.stringify(path.join(REPO, 'src/host/fleet.ts'))});
      const { NodeFileStore } = require(${JSON.stringify(path.join(REPO, 'src/host/nodePorts.ts'))});
      const { SystemClock } = require(${JSON.stringify(path.join(REPO, 'src/shared/clock.ts'))});
      const { nullLogger } = require(${JSON.stringify(path.join(REPO, 'src/shared/loggers.ts'))});
      const loaded = () => {
        const keys = Object.keys(require.cache);
        return { virtual: keys.some((k) => k.includes('/src/virtual/')), sqljs: keys.some((k) => /node_modules\\/sql\\.js\\//.test(k)), opencv: keys.some((k) => k.includes('opencv-wasm')) };
      };
      (async () => {
        const fleet = await createFleet({ files: new NodeFileStore(${JSON.stringify(ws)}), clock: new SystemClock(), logger: nullLogger, watch: false, lazy: true });
        const created = loaded();
        await fleet.startVirtualDevices(1);
        const afterVirtual = loaded();
        await fleet.pools();
        const afterPools = loaded();
        await fleet.close();
        process.stdout.write(JSON.stringify({ created, afterVirtual, afterPools }));
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stderr}`))));
    });
    const r = JSON.parse(out) as Record<'created' | 'afterVirtual' | 'afterPools', { virtual: boolean; sqljs: boolean; opencv: boolean }>;
    assert.deepEqual(r.created, { virtual: false, sqljs: false, opencv: false });
    assert.deepEqual(r.afterVirtual, { virtual: true, sqljs: false, opencv: false });
    assert.deepEqual(r.afterPools, { virtual: true, sqljs: true, opencv: false });
  });
});
