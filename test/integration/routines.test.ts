/**
 * The shipped routines play the demo game for real: virtual devices behind a private Debian adb server, AdbDevice,
 * the real vision (the workspace's templates, matcher workers) and, for the farm, the real account pools in a
 * temporary workspace. Where a routine ends is checked against the device's true state (`vdev state`), never the
 * routine's own view; progress is checked in the account file pulled back from the device and in the pool.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEMO_ACCOUNT_FILE, type AccountPort } from '../../src/bot/accounts';
import type { Device } from '../../src/bot/device';
import { MemoryLogger } from '../../src/shared/loggers';
import type { RoutineResult } from '../../src/bot/routine/interpreter';
import type { Fleet } from '../../src/host/fleet';
import { NodeFileStore } from '../../src/host/nodePorts';
import type { PoolManager } from '../../src/orchestrator/pools/poolManager';
import type { RoutineEvent } from '../../src/shared/routineEvents';
import { testFleet } from '../support/fleet';
import { startAdbServer, type AdbServerHandle } from '../support/adbServer';
import { startVirtualDevices, type VirtualFleet } from '../support/virtual';

const ROOT = path.resolve(__dirname, '../..');
const SHIPPED = ['farm_premium', 'wonder_pick', 'nav/to_home', 'nav/wonder_pick_card', 'sentries/popups', 'recover'];

interface TrueState {
  screen: string;
  popup: string | null;
  dialog: string | null;
  foreground: boolean;
  launches: number;
  account: { id: string; premium: boolean; packsOpened: number; wonderPicks: number } | null;
}

function accountXml(id: string, o: { premium: boolean; packsOpened: number }): string {
  return [
    "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>",
    '<map>',
    `    <string name="deviceAccount">${id}</string>`,
    '    <string name="devicePassword">secret</string>',
    `    <boolean name="premium" value="${o.premium}" />`,
    `    <int name="packsOpened" value="${o.packsOpened}" />`,
    '</map>',
    '',
  ].join('\n');
}

describe('(integration) shipped routines on the demo game', function () {
  this.timeout(60_000);
  let adb: AdbServerHandle;
  let served: VirtualFleet;
  /** The repository's workspace, driving the devices of the private adb server (its pools are never opened). */
  let fleet: Fleet;
  let devices: Device[] = [];

  before(async () => {
    adb = await startAdbServer();
    served = await startVirtualDevices(3, { adb, seedBase: 11 });
    fleet = await testFleet(ROOT, { lazy: true, watch: false, visionWorkers: 1, adbServers: [`127.0.0.1:${adb.port}`] });
    assert.deepEqual(
      fleet.orchestrator.templateRegistry()!.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    for (const serial of served.serials) {
      devices.push((await fleet.devices.open(serial)).device);
    }
  });

  after(async () => {
    for (const d of devices) {
      await d.close().catch(() => undefined);
    }
    devices = [];
    await fleet?.close();
    await served?.close();
    await adb?.kill();
  });

  async function trueState(dev: Device): Promise<TrueState> {
    const r = await dev.shell('vdev state');
    return JSON.parse(r.stdout) as TrueState;
  }

  async function pulledPacksOpened(dev: Device): Promise<number> {
    const text = new TextDecoder().decode(await dev.pull(DEMO_ACCOUNT_FILE));
    const m = /<int name="packsOpened" value="(\d+)"/.exec(text);
    assert.ok(m, `no packsOpened in the account file:\n${text}`);
    return Number(m[1]);
  }

  async function run(dev: Device, name: string, params: Record<string, unknown>, accounts?: AccountPort): Promise<{ result: RoutineResult; events: RoutineEvent[] }> {
    const interp = fleet.createInterpreter({ device: dev, logger: new MemoryLogger(), accounts });
    const events: RoutineEvent[] = [];
    interp.onDidEmit((e) => events.push(e));
    try {
      const result = await interp.run(name, params, { signal: AbortSignal.timeout(40_000), variables: { cycle: 1, bot_instance: 1 } });
      return { result, events };
    } finally {
      interp.dispose();
    }
  }

  it('every shipped routine loads without errors (templates and calls resolved)', () => {
    for (const name of SHIPPED) {
      const entry = fleet.orchestrator.routineRegistry()!.entry(name);
      assert.ok(entry, `routine ${name} is missing`);
      const errors = entry.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors, [], `${name} has errors`);
    }
  });

  it('farm_premium with a pool: checks an account out, opens a Premium pack through a forced pop-up, completes the account', async () => {
    const dev = devices[0];
    const ws = await mkdtemp(path.join(os.tmpdir(), 'ef-routines-'));
    let poolFleet: Fleet | undefined;
    try {
      await mkdir(path.join(ws, 'pools'));
      for (const f of await readdir(path.join(ROOT, 'pools'))) {
        await copyFile(path.join(ROOT, 'pools', f), path.join(ws, 'pools', f));
      }
      poolFleet = await testFleet(ws, { lazy: true, watch: false });
      const manager: PoolManager = await poolFleet.pools();
      const port = manager.accountPort('premium_accounts', { group: 'test', bot: dev.serial, orchestrationId: 'routines-test', routine: 'farm_premium' });
      // The next screen transition (title -> home, after the checkout restarts the game) shows the daily reward.
      await dev.shell('vdev popup daily');

      const { result, events } = await run(dev, 'farm_premium', { packs: 1 }, port);
      assert.equal(result.ok, true, JSON.stringify(result.error));
      const checkout = events.find((e) => e.type === 'account' && e.action === 'checkout');
      assert.ok(checkout && checkout.type === 'account' && checkout.accountId);
      const id = checkout.accountId!;
      const before = manager.getAccount(id);
      assert.ok(before);

      const state = await trueState(dev);
      assert.equal(state.screen, 'home');
      assert.equal(state.popup, null);
      assert.equal(state.dialog, null);
      assert.equal(state.account?.id, id);
      // The daily reward was on screen at some point and is gone now (closed by the navigation or the sentry).
      assert.ok(events.some((e) => e.type === 'match' && e.template === 'popup.daily.ok' && e.found), 'the daily reward pop-up was seen');
      assert.ok(events.some((e) => e.type === 'account' && e.action === 'complete' && e.accountId === id));
      port.dispose();
      // The game counted the pack in the account file on the device...
      assert.equal(state.account?.packsOpened, (await pulledPacksOpened(dev)));
      // ... and the pool added it to the account's counter.
      const seeded = JSON.parse(await new NodeFileStore(ws).readText('pools/demo-accounts.json')) as Array<{ id: string; packs_opened: number }>;
      const start = seeded.find((a) => a.id === id)!.packs_opened;
      assert.equal(state.account?.packsOpened, start + 1);
      assert.equal(manager.getAccount(id)?.packs_opened, start + 1);
    } finally {
      await poolFleet?.close();
      await rm(ws, { recursive: true, force: true });
    }
  });

  it('wonder_pick, through a connection error its sentry closes, ends home with one more wonder pick', async () => {
    const dev = devices[1];
    await dev.push(new TextEncoder().encode(accountXml('wp-1', { premium: false, packsOpened: 0 })), DEMO_ACCOUNT_FILE);
    const nav = await run(dev, 'nav/to_home', {});
    assert.equal(nav.result.ok, true, JSON.stringify(nav.result.error));
    assert.equal((await trueState(dev)).screen, 'home');
    // Home -> Wonder Pick shows a connection error; Retry sends the game back home: the routine replays the move.
    await dev.shell('vdev popup error');
    const { result, events } = await run(dev, 'wonder_pick', { offer: 2, card: 4 });
    assert.equal(result.ok, true, JSON.stringify(result.error));
    const state = await trueState(dev);
    assert.deepEqual([state.screen, state.popup, state.dialog], ['home', null, null]);
    assert.equal(state.account?.wonderPicks, 1);
    const sentry = events.filter((e) => e.type === 'sentry').map((e) => (e.type === 'sentry' ? `${e.sentry}:${e.phase}` : ''));
    assert.deepEqual(sentry.slice(0, 2), ['pop-ups:fired', 'pop-ups:done']);
    assert.ok(events.some((e) => e.type === 'match' && e.template === 'popup.error.retry' && e.found));
  });

  it('farm_premium on a non-premium account fails with a located error, and recover brings the game home', async () => {
    const dev = devices[2];
    await dev.push(new TextEncoder().encode(accountXml('np-1', { premium: false, packsOpened: 4 })), DEMO_ACCOUNT_FILE);
    const { result } = await run(dev, 'farm_premium', { packs: 1 });
    assert.equal(result.ok, false);
    assert.equal(result.error?.code, 'fail');
    assert.match(result.error!.message, /no premium pass/);
    assert.equal(result.error?.range?.file, 'routines/farm_premium.yaml');
    assert.ok((result.error?.range?.start.line ?? 0) > 1);
    // The routine's onError ran `recover`: the game was restarted and is home again, nothing opened.
    const after = await trueState(dev);
    assert.deepEqual([after.screen, after.popup, after.dialog], ['home', null, null]);
    assert.equal(after.account?.packsOpened, 4);

    // From the launcher (the game stopped), recover starts it and gets home.
    await dev.stopApp('com.emulatorfleet.pocketpacks');
    assert.equal((await trueState(dev)).screen, 'launcher');
    const launches = (await trueState(dev)).launches;
    const r = await run(dev, 'recover', { reason: 'test' });
    assert.equal(r.result.ok, true, JSON.stringify(r.result.error));
    const s = await trueState(dev);
    assert.deepEqual([s.screen, s.popup, s.dialog], ['home', null, null]);
    assert.equal(s.launches, launches + 1);
  });

  it('the CLI runs a routine on a --virtual device: JSON events, a located result line, exit 1 on failure', async () => {
    // A fresh virtual device has no account: nav/to_home reaches the no-account dialog and fails there.
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/emulator-fleet.js'), 'routine', 'run', 'nav/to_home', '--root', ROOT, '--virtual', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    assert.equal(out.code, 1, out.stderr);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    assert.ok(lines.every((l) => typeof l.type === 'string'));
    assert.ok(lines.some((l) => l.type === 'step.start' && l.path === 'steps[0]'));
    assert.ok(lines.some((l) => l.type === 'match' && l.template === 'dialog.noAccount.title' && l.found === true));
    const result = lines.at(-1) as { type: string; ok: boolean; error: { code: string; message: string; range: { file: string; start: { line: number } } }; variables: Record<string, unknown> };
    assert.equal(result.type, 'result');
    assert.equal(result.ok, false);
    assert.equal(result.error.code, 'fail');
    assert.match(result.error.message, /no account/);
    assert.equal(result.error.range.file, 'routines/nav/to_home.yaml');
    assert.equal(typeof result.variables, 'object');
  });
});
