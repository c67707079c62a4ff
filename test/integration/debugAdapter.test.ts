/**
 * The routine debugger through the Debug Adapter Protocol (`@vscode/debugadapter-testsupport`): the standalone
 * adapter (a child process, as VS Code would run it) launches routines of a temporary workspace on a virtual device
 * started for the session (the host's virtual endpoint, read through adbkit like any device); attach goes through
 * an adapter served in this process, beside a running group of the fleet. Every wait is on a protocol event.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { windowFleetHost } from '../../src/extension/debug/fleetHost';
import { FleetDebugSession } from '../../src/extension/debug/session';
import type { Fleet } from '../../src/host/fleet';
import type { ScreenPayload } from '../../src/shared/debugScreenProtocol';
import { SystemClock } from '../../src/shared/clock';
import { Emitter, waitForEvent } from '../../src/shared/lifecycle';
import { nullLogger } from '../../src/shared/loggers';
import { DapSession, type Stop } from '../support/dapSession';
import { encodeJpeg } from '../../src/bot/vision/frameEncoder';
import { fleetPort } from '../../src/extension/monitor/fleetPort';
import { feedRecorder } from '../../src/extension/monitor/recorderFeed';
import { FlightRecorder } from '../../src/orchestrator/recorder';
import { testFleet } from '../support/fleet';

const REPO = path.resolve(__dirname, '../..');

const lines = (...l: string[]) => `${l.join('\n')}\n`;

/** Line numbers are in the comments; the tests refer to them. */
const ROUTINES: Record<string, string> = {
  'dbg/main': lines(
    'description: The debugger tests\' routine', // 1
    'params:', // 2
    '  rounds: { type: int, default: 2 }', // 3
    'vars:', // 4
    '  count: 0', // 5
    'steps:', // 6
    '  - waitFor: { image: title.tapToStart, timeout: 30s }', // 7
    '  - repeat: "${rounds}"', // 8
    '    do:', // 9
    '      - increment: count', // 10
    '      - call: dbg/leaf', // 11
    '  - if: { image: title.tapToStart }', // 12
    '    then:', // 13
    '      - log: "title after ${count}"', // 14
    '    else:', // 15
    '      - log: "no title"', // 16
    '  - log: done', // 17
  ),
  'dbg/leaf': lines(
    'steps:', // 1
    '  - log: leaf one', // 2
    '  - log: leaf two', // 3
  ),
  'dbg/sentry': lines(
    'sentries:', // 1
    '  - name: title', // 2
    '    every: 200ms', // 3
    '    when: { image: title.tapToStart }', // 4
    '    steps:', // 5
    '      - log: the sentry saw the title', // 6
    'steps:', // 7
    '  - wait: 3s', // 8
    '  - log: done', // 9
  ),
  'dbg/fail': lines(
    'steps:', // 1
    '  - log: before', // 2
    '  - fail: "boom at ${bot_instance}"', // 3
    '  - log: never', // 4
  ),
  'dbg/lease': lines(
    'steps:', // 1
    '  - checkoutAccount: { inject: false }', // 2
    '  - log: "leased ${account_id}"', // 3
    '  - wait: 1s', // 4
  ),
  'dbg/broken': lines(
    'steps:', // 1
    '  - log: fine', // 2
    '  - tapp: { x: 1, y: 2 }', // 3
  ),
  'dbg/history': lines(
    'steps:', // 1
    '  - waitFor: { image: title.tapToStart, timeout: 30s }', // 2
    '  - if: { image: title.tapToStart }', // 3
    '    then:', // 4
    '      - log: seen', // 5
    '  - log: end', // 6
  ),
  'dbg/leased': lines(
    'vars:', // 1
    '  n: 0', // 2
    'steps:', // 3
    '  - checkoutAccount: { inject: false }', // 4
    '  - repeat: 100000', // 5
    '    do:', // 6
    '      - increment: n', // 7
    '      - wait: 50ms', // 8
  ),
  'dbg/watch': lines(
    'steps:', // 1
    '  - repeat: 100000', // 2
    '    do:', // 3
    '      - waitFor: { image: title.tapToStart, timeout: 30s }', // 4
    '      - if: { image: title.tapToStart }', // 5
    '        then:', // 6
    '          - log: seen', // 7
    '        else:', // 8
    '          - log: gone', // 9
  ),
  'dbg/loop': lines(
    'vars:', // 1
    '  n: 0', // 2
    'steps:', // 3
    '  - repeat: 1000', // 4
    '    do:', // 5
    '      - increment: n', // 6
    '      - wait: 50ms', // 7
  ),
};

const GROUP = lines('name: Debug Loop', 'routine: dbg/loop', 'availableInstances: [1, 2]', 'requestedBotCount: 2', 'launchOptions:', '  stagger: 0s');
/** A lease that lapses within a second unless its heartbeat (every 200 ms) extends it. */
const HEARTBEAT_MS = 200;
const LEASE_TTL_MS = 1000;
/** Two demo accounts only: with both bots holding one, a third checkout finds none unless a lease lapsed. */
const POOL_ACCOUNTS = ['demo0001109031c0', 'demo0003af51a416'];
const SHORT_POOL = lines(
  'name: debug_short',
  'filters:',
  `  - { field: id, op: in, value: [${POOL_ACCOUNTS.join(', ')}] }`,
  'lease:',
  `  ttl: ${LEASE_TTL_MS}ms`,
  `  heartbeat: ${HEARTBEAT_MS}ms`,
);
const WATCH_GROUP = lines('name: Debug Watch', 'routine: dbg/watch', 'availableInstances: [1]', 'requestedBotCount: 1', 'launchOptions:', '  stagger: 0s');
const LEASED_GROUP = lines('name: Debug Leased', 'routine: dbg/leased', 'accountPool: debug_short', 'availableInstances: [1, 2]', 'requestedBotCount: 2', 'launchOptions:', '  stagger: 0s');

/** The real clock, telling when a sleep of a given length ended (the lease heartbeat sleeps HEARTBEAT_MS). */
class WatchedClock extends SystemClock {
  readonly slept = new Emitter<number>();
  override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    await super.sleep(ms, signal);
    this.slept.fire(ms);
  }
}

function makeWorkspace(): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'fleet-dap-'));
  for (const dir of ['routines', 'templates', 'pools', 'groups']) {
    cpSync(path.join(REPO, dir), path.join(ws, dir), { recursive: true });
  }
  for (const [name, text] of Object.entries(ROUTINES)) {
    mkdirSync(path.dirname(path.join(ws, 'routines', `${name}.yaml`)), { recursive: true });
    writeFileSync(path.join(ws, 'routines', `${name}.yaml`), text);
  }
  writeFileSync(path.join(ws, 'groups', 'debug_loop.yaml'), GROUP);
  writeFileSync(path.join(ws, 'groups', 'debug_leased.yaml'), LEASED_GROUP);
  writeFileSync(path.join(ws, 'groups', 'debug_watch.yaml'), WATCH_GROUP);
  writeFileSync(path.join(ws, 'pools', 'debug_short.yaml'), SHORT_POOL);
  return ws;
}

describe('(integration) debug adapter through the protocol', function () {
  this.timeout(180_000);
  let ws: string;
  const sessions: DapSession[] = [];

  before(() => {
    ws = makeWorkspace();
  });

  afterEach(async () => {
    for (const s of sessions.splice(0)) {
      await s.stop().catch(() => undefined);
    }
  });

  after(() => {
    rmSync(ws, { recursive: true, force: true });
  });

  async function session(): Promise<DapSession> {
    const s = new DapSession(ws);
    sessions.push(s);
    await s.start();
    return s;
  }

  const MAIN = 'routines/dbg/main.yaml';
  const LEAF = 'routines/dbg/leaf.yaml';

  async function cmd(s: DapSession, c: 'next' | 'stepIn' | 'stepOut' | 'continue'): Promise<Stop> {
    const threadId = 1;
    if (c === 'next') {
      await s.dc.nextRequest({ threadId });
    } else if (c === 'stepIn') {
      await s.dc.stepInRequest({ threadId });
    } else if (c === 'stepOut') {
      await s.dc.stepOutRequest({ threadId });
    } else {
      await s.dc.continueRequest({ threadId });
    }
    return s.stopped();
  }

  async function ends(s: DapSession, code: number): Promise<void> {
    const exited = (await s.queue('exited').next()) as DebugProtocol.ExitedEvent;
    assert.equal(exited.body.exitCode, code, s.outputs().join(''));
    await s.terminated();
  }

  it('breakpoints are verified on step lines, moved to a step\'s first line, refused elsewhere; they stop where set', async () => {
    const s = await session();
    let bps: DebugProtocol.Breakpoint[] = [];
    await s.begin('launch', { routine: 'dbg/main' }, async () => {
      bps = await s.setBreakpoints(MAIN, [{ line: 11 }, { line: 13 }, { line: 1 }]);
      await s.setBreakpoints(LEAF, [{ line: 3 }]);
    });
    assert.deepEqual(
      bps.map((b) => [b.verified, b.line]),
      [
        [true, 11],
        [true, 12],
        [false, 1],
      ],
    );
    assert.match(bps[1].message ?? '', /moved/);
    assert.ok(bps[2].message);
    const hits: string[] = [];
    let st = await s.stopped();
    for (;;) {
      assert.equal(st.reason, 'breakpoint');
      hits.push(st.at);
      if (st.at === `${MAIN}:12`) {
        break;
      }
      st = await cmd(s, 'continue');
    }
    assert.deepEqual(hits, [`${MAIN}:11`, `${LEAF}:3`, `${MAIN}:11`, `${LEAF}:3`, `${MAIN}:12`]);
    assert.deepEqual(
      st.frames.map((f) => f.name),
      ['dbg/main · if'],
    );
    await s.dc.continueRequest({ threadId: 1 });
    await ends(s, 0);
    assert.ok(s.outputs().some((o) => o.includes('title after 2')), s.outputs().join(''));
  });

  it('next, stepIn and stepOut at every depth: loop bodies, calls, the branch taken; variables and matches as the interpreter holds them', async () => {
    const s = await session();
    await s.begin('launch', { routine: 'dbg/main', stopOnEntry: true, params: { rounds: 2 } });
    let st = await s.stopped();
    assert.deepEqual([st.reason, st.at], ['entry', `${MAIN}:7`]);
    const path: string[] = [];
    const sequence = ['next', 'stepIn', 'next', 'stepIn', 'next', 'stepOut', 'next', 'next'] as const;
    for (const c of sequence) {
      st = await cmd(s, c);
      assert.equal(st.reason, 'step');
      path.push(`${c} ${st.at.replace('routines/', '')} [${st.frames.length}]`);
    }
    assert.deepEqual(path, [
      'next dbg/main.yaml:8 [1]',
      'stepIn dbg/main.yaml:10 [1]', // the loop body
      'next dbg/main.yaml:11 [1]',
      'stepIn dbg/leaf.yaml:2 [2]', // into the call
      'next dbg/leaf.yaml:3 [2]',
      'stepOut dbg/main.yaml:10 [1]', // the caller's next step: the loop's second round
      'next dbg/main.yaml:11 [1]',
      'next dbg/main.yaml:12 [1]', // the call ran whole, and the loop is over
    ]);
    const vars = await s.scope(st.top.id, 'Variables');
    assert.equal(vars.count, '2');
    const params = await s.scope(st.top.id, 'Params');
    assert.equal(params.rounds, '2');
    // setVariable: the routine reads the value set.
    const scopes = (await s.dc.scopesRequest({ frameId: st.top.id })).body.scopes;
    const varsRef = scopes.find((x) => x.name === 'Variables')!.variablesReference;
    const set = await s.dc.setVariableRequest({ variablesReference: varsRef, name: 'count', value: '40' });
    assert.equal(set.body.value, '40');
    // The debug console: a `${}` expression, and a condition evaluated now on the device's screen.
    const expr = await s.dc.evaluateRequest({ expression: '${count}', frameId: st.top.id, context: 'repl' });
    assert.equal(expr.body.result, '40');
    const cond = await s.dc.evaluateRequest({ expression: 'image: title.tapToStart', frameId: st.top.id, context: 'repl' });
    assert.match(cond.body.result, /^true/);
    st = await cmd(s, 'stepIn');
    assert.equal(st.at, `${MAIN}:14`, 'the branch taken (the device shows the title)');
    const matches = await s.scope(st.top.id, 'Matches', 3);
    const found = Object.entries(matches).filter(([k, v]) => k.endsWith('.found') && v === 'true');
    assert.ok(found.length > 0, JSON.stringify(matches));
    assert.ok(Object.values(matches).some((v) => v.includes('title.tapToStart')), JSON.stringify(matches));
    const device = await s.scope(st.top.id, 'Device');
    assert.match(JSON.stringify(device), /virtual-/);
    st = await cmd(s, 'next');
    assert.equal(st.at, `${MAIN}:17`);
    await s.dc.continueRequest({ threadId: 1 });
    await ends(s, 0);
    assert.ok(s.outputs().some((o) => o.includes('title after 40')), s.outputs().join(''));
  });

  it('conditional breakpoints, hit counts and logpoints; function breakpoints by routine name', async () => {
    const s = await session();
    await s.begin('launch', { routine: 'dbg/main', params: { rounds: 4 } }, async () => {
      await s.setBreakpoints(MAIN, [{ line: 10, condition: '{ var: count, ge: 2 }' }, { line: 11, logMessage: 'round ${count}' }]);
      await s.setBreakpoints(LEAF, [{ line: 3, hitCondition: '4' }]);
      const fbs = await s.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'dbg/leaf', hitCondition: '2' }, { name: 'nothing' }] });
      assert.deepEqual(
        fbs.body.breakpoints.map((b) => b.verified),
        [true, false],
      );
    });
    // A breakpoint stops before its step runs: at line 10, round r sees count = r - 1.
    let st = await s.stopped();
    assert.deepEqual([st.reason, st.at], ['function breakpoint', `${LEAF}:2`], 'the second call of dbg/leaf');
    assert.equal((await s.scope(st.frames[1].id, 'Variables')).count, '2');
    st = await cmd(s, 'continue');
    assert.deepEqual([st.reason, st.at], ['breakpoint', `${MAIN}:10`]);
    assert.equal((await s.scope(st.top.id, 'Variables')).count, '2', 'the condition held first in round 3');
    st = await cmd(s, 'continue');
    assert.deepEqual([st.reason, st.at], ['breakpoint', `${MAIN}:10`]);
    assert.equal((await s.scope(st.top.id, 'Variables')).count, '3');
    await s.setBreakpoints(MAIN, [{ line: 11, logMessage: 'round ${count}' }]);
    st = await cmd(s, 'continue');
    assert.deepEqual([st.reason, st.at], ['breakpoint', `${LEAF}:3`], 'the fourth time leaf reaches line 3');
    assert.equal((await s.scope(st.frames[1].id, 'Variables')).count, '4');
    await s.dc.continueRequest({ threadId: 1 });
    await ends(s, 0);
    const logged = s.outputs().filter((o) => o.startsWith('round '));
    assert.deepEqual(logged, ['round 1\n', 'round 2\n', 'round 3\n', 'round 4\n']);
  });

  it('exception breakpoints: a routine error stops at the failing step; a sentry stops in its own frame', async () => {
    const s = await session();
    await s.begin('launch', { routine: 'dbg/fail' }, async () => {
      await s.dc.setExceptionBreakpointsRequest({ filters: ['error'] });
    });
    const st = await s.stopped();
    assert.deepEqual([st.reason, st.at], ['exception', 'routines/dbg/fail.yaml:3']);
    const info = await s.dc.exceptionInfoRequest({ threadId: 1 });
    assert.match(info.body.description ?? '', /boom at 1/);
    await s.dc.continueRequest({ threadId: 1 });
    await ends(s, 1);

    const t = await session();
    await t.begin('launch', { routine: 'dbg/sentry' }, async () => {
      await t.dc.setExceptionBreakpointsRequest({ filters: ['sentry'] });
    });
    const sst = await t.stopped();
    assert.equal(sst.reason, 'exception');
    assert.deepEqual(
      sst.frames.map((f) => [f.name.split(' · ')[0], f.line]),
      [
        ["sentry 'title'", 2],
        ['dbg/sentry', 8],
      ],
    );
    const matches = await t.scope(sst.top.id, 'Matches', 3);
    assert.ok(Object.values(matches).some((v) => v.includes('title.tapToStart')), JSON.stringify(matches));
    await t.dc.setExceptionBreakpointsRequest({ filters: [] });
    await t.setBreakpoints('routines/dbg/sentry.yaml', [{ line: 6 }]);
    const inSentry = await cmd(t, 'continue');
    assert.deepEqual([inSentry.reason, inSentry.at], ['breakpoint', 'routines/dbg/sentry.yaml:6']);
    await t.setBreakpoints('routines/dbg/sentry.yaml', []);
    await t.dc.continueRequest({ threadId: 1 });
    await ends(t, 0);
  });

  it('pause stops mid-wait; terminate ends the run and releases the account leased from the pool', async () => {
    const s = await session();
    await s.begin('launch', { routine: 'dbg/lease', pool: 'premium_accounts' }, async () => {
      await s.setBreakpoints('routines/dbg/lease.yaml', [{ line: 3 }]);
    });
    const st = await s.stopped();
    assert.equal(st.at, 'routines/dbg/lease.yaml:3');
    const account = await s.scope(st.top.id, 'Account', 2);
    const id = account.id ?? account['account.id'] ?? Object.entries(account).find(([k]) => /(^|\.)id$/.test(k))?.[1];
    assert.ok(id, JSON.stringify(account));
    assert.ok(!JSON.stringify(account).includes('secret'), 'secrets are redacted');
    await s.dc.continueRequest({ threadId: 1 });
    await s.outputUntil((t) => t.includes('leased'));
    await s.dc.pauseRequest({ threadId: 1 });
    const paused = await s.stopped();
    assert.deepEqual([paused.reason, paused.at], ['pause', 'routines/dbg/lease.yaml:4'], 'paused during the wait');
    await s.dc.terminateRequest({});
    await s.terminated();
    await s.stop();
    assert.ok(s.outputs().some((o) => o.includes('terminated')), s.outputs().join(''));
    const fleet = await testFleet(ws, { lazy: true, watch: false, visionWorkers: 1 });
    try {
      const pm = await fleet.pools();
      assert.deepEqual(pm.listLeases(), [], 'no lease is left');
      const run = pm.history({ limit: 5 }).find((h) => h.accountId === id.replace(/^"|"$/g, ''));
      assert.ok(run, `the lease of ${id} is in the history`);
      assert.ok(run.finishedAt, 'released');
    } finally {
      await fleet.close();
    }
  });

  it('a launch that cannot start fails with a clear message (file, line, column); restart runs the routine again', async () => {
    const bad = await session();
    await assert.rejects(bad.begin('launch', { routine: 'dbg/nope' }), /unknown routine 'dbg\/nope' \(routines: .*dbg\/main/);
    const broken = await session();
    await assert.rejects(broken.begin('launch', { routine: 'routines/dbg/broken.yaml' }), /routine 'dbg\/broken' has 1 error\(s\): routines\/dbg\/broken\.yaml:3:\d+/);
    const s = await session();
    await s.begin('launch', { routine: 'dbg/main', params: { rounds: 1 } }, async () => {
      await s.setBreakpoints(MAIN, [{ line: 17 }]);
    });
    let st = await s.stopped();
    assert.equal(st.at, `${MAIN}:17`);
    assert.equal((await s.scope(st.top.id, 'Variables')).count, '1');
    await s.dc.restartRequest({});
    st = await s.stopped();
    assert.equal(st.at, `${MAIN}:17`);
    assert.equal((await s.scope(st.top.id, 'Variables')).count, '1', 'a new run: the variables started over');
    assert.equal(s.outputs().filter((o) => o.startsWith('title after 1')).length, 2, s.outputs().join(''));
    await s.dc.continueRequest({ threadId: 1 });
    await ends(s, 0);
  });

  it('the Screen request carries the frames of the last steps, newest first, each with its step', async () => {
    const s = await session();
    await s.begin('launch', { routine: 'dbg/history' }, async () => {
      await s.setBreakpoints('routines/dbg/history.yaml', [{ line: 6 }]);
    });
    const st = await s.stopped();
    assert.equal(st.at, 'routines/dbg/history.yaml:6');
    const screen = (await s.dc.customRequest('emulatorFleet/screen', { maxWidth: 320 })).body as ScreenPayload;
    const history = screen.history ?? [];
    // waitFor and if captured the screen (the logs did not): the if's frame first, then the waitFor's.
    assert.deepEqual(
      history.map((h) => h.step),
      ['if · line 3', 'waitFor · line 2'],
      JSON.stringify(history.map((h) => ({ ...h, jpeg: h.jpeg.length }))),
    );
    for (const h of history) {
      assert.equal(Buffer.from(h.jpeg, 'base64').subarray(0, 2).toString('hex'), 'ffd8', 'a JPEG');
      assert.ok(h.width > 0 && h.height > h.width, `the device's portrait size (${h.width}x${h.height})`);
      assert.equal(h.error, false);
    }
    assert.ok(history[0]!.time >= history[1]!.time);
    await s.dc.continueRequest({ threadId: 1 });
    await ends(s, 0);
  });

  describe('inline adapter on the window\'s fleet: launches on its devices, attach to one bot of a running group', () => {
    let fleet: Fleet;
    let server: net.Server;
    let port = 0;
    const clock = new WatchedClock();
    /** The monitor's flight recorder, while a test feeds one from the fleet. */
    let recorder: FlightRecorder | undefined;

    before(async () => {
      fleet = await testFleet(ws, { virtual: { count: 2 }, watch: false, visionWorkers: 1, clock });
      const host = windowFleetHost({ logger: nullLogger, targets: fleet.debugTargets, root: ws, fleet: () => Promise.resolve(fleet), recorder: () => recorder });
      server = net.createServer((socket) => {
        socket.setNoDelay(true);
        const session = new FleetDebugSession(host);
        session.setRunAsServer(true);
        session.start(socket, socket);
        socket.on('close', () => void session.close());
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as net.AddressInfo).port;
    });

    after(async () => {
      await new Promise<void>((r) => server?.close(() => r()));
      await fleet?.close();
    });

    it('the chosen bot stops at its breakpoint while the other runs on; detaching lets it run on', async () => {
      const o = fleet.orchestrator;
      const group = o.createGroup(await o.loadGroupDefinition('Debug Loop'));
      await group.start({ staggerMs: 0 });
      try {
        await waitForEvent(o.onDidChangeBotStep, (e) => e.instance === '1', 30_000);
        await waitForEvent(o.onDidChangeBotStep, (e) => e.instance === '2', 30_000);
        const s = new DapSession(ws);
        sessions.push(s);
        await s.start(port);
        await s.begin('attach', { group: 'Debug Loop', instance: '1' }, async () => {
          const [bp] = await s.setBreakpoints('routines/dbg/loop.yaml', [{ line: 6 }]);
          assert.equal(bp.verified, true);
        });
        const st = await s.stopped();
        assert.deepEqual([st.reason, st.at], ['breakpoint', 'routines/dbg/loop.yaml:6']);
        const n1 = Number((await s.scope(st.top.id, 'Variables')).n);
        // The other bot runs on: its steps go on while bot 1 is stopped.
        for (let i = 0; i < 3; i++) {
          await waitForEvent(o.onDidChangeBotStep, (e) => e.instance === '2' && e.phase === 'end', 30_000);
        }
        assert.equal(group.snapshot().bots.find((b) => b.instance === '1')?.state !== 'stopped', true);
        const again = await cmd(s, 'next');
        assert.equal(again.at, 'routines/dbg/loop.yaml:7');
        assert.equal(Number((await s.scope(again.top.id, 'Variables')).n), n1 + 1);
        await s.dc.disconnectRequest({});
        // Detached: bot 1 runs on (its steps end again).
        await waitForEvent(o.onDidChangeBotStep, (e) => e.instance === '1' && e.phase === 'end', 30_000);
        assert.ok(fleet.debugTargets.list().every((t) => !t.attached));
        // A launch on the device a bot of the group drives is refused (they would fight over its screen).
        const held = fleet.devices.list().find((d) => d.heldBy?.group === 'Debug Loop');
        assert.ok(held, JSON.stringify(fleet.devices.list()));
        const l = await inline();
        await assert.rejects(l.begin('launch', { routine: 'dbg/leaf', device: held.serial }), new RegExp(`device '${held.serial}' is held by 'Debug Loop' \\(bot \\d\\): stop that group, or attach to its bot`));
      } finally {
        await group.stop();
      }
    });

    async function inline(): Promise<DapSession> {
      const s = new DapSession(ws);
      sessions.push(s);
      await s.start(port);
      return s;
    }

    it('a launch runs on the window\'s fleet: its virtual device is one of the fleet\'s while the session lasts, and a free device of the fleet is used by its serial', async () => {
      const before = fleet.virtualDevices().map((v) => v.serial);
      const s = await inline();
      await s.begin('launch', { routine: 'dbg/leaf', device: 'virtual' }, async () => {
        await s.setBreakpoints(LEAF, [{ line: 3 }]);
      });
      const st = await s.stopped();
      assert.equal(st.at, `${LEAF}:3`);
      const during = fleet.virtualDevices().map((v) => v.serial);
      const started = during.filter((x) => !before.includes(x));
      assert.equal(started.length, 1, `one more virtual device in the fleet (${during.join(', ')})`);
      const threads = (await s.dc.threadsRequest()).body.threads;
      assert.match(threads[0]!.name, new RegExp(`on ${started[0]!}$`));
      await s.dc.continueRequest({ threadId: 1 });
      await ends(s, 0);
      const gone = fleet.virtualDevices().length === before.length ? Promise.resolve() : waitForEvent(fleet.devices.onDidChangeDevices, () => fleet.virtualDevices().length === before.length, 60_000);
      await s.stop();
      await gone;
      assert.deepEqual(fleet.virtualDevices().map((v) => v.serial), before, 'the session\'s virtual device is stopped; the fleet\'s own run on');

      // A device of the fleet by its serial (no group holds it).
      const t = await inline();
      await t.begin('launch', { routine: 'dbg/leaf', device: before[0] }, async () => {
        await t.setBreakpoints(LEAF, [{ line: 2 }]);
      });
      assert.equal((await t.stopped()).at, `${LEAF}:2`);
      assert.match((await t.dc.threadsRequest()).body.threads[0]!.name, new RegExp(`on ${before[0]!}$`));
      await t.dc.continueRequest({ threadId: 1 });
      await ends(t, 0);
      await t.stop();
      assert.deepEqual(fleet.virtualDevices().map((v) => v.serial), before, 'a device of the fleet is not stopped with the session');
    });

    it('a bot of a pooled group stopped at a breakpoint keeps its lease past the lease\'s expiry: the heartbeat runs on, no one else takes the account', async () => {
      const o = fleet.orchestrator;
      const pm = await fleet.pools();
      const group = o.createGroup(await o.loadGroupDefinition('Debug Leased'));
      await group.start({ staggerMs: 0 });
      try {
        await waitForEvent(o.onDidChangeBotStep, (e) => e.instance === '1' && e.step === 'increment', 30_000);
        await waitForEvent(o.onDidChangeBotStep, (e) => e.instance === '2' && e.step === 'increment', 30_000);
        const s = await inline();
        await s.begin('attach', { group: 'Debug Leased', instance: '1' }, async () => {
          await s.setBreakpoints('routines/dbg/leased.yaml', [{ line: 7 }]);
        });
        const st = await s.stopped();
        assert.deepEqual([st.reason, st.at], ['breakpoint', 'routines/dbg/leased.yaml:7']);
        const mine = () => pm.listLeases().find((l) => l.pool === 'debug_short' && l.group === 'Debug Leased' && l.bot === '1');
        const lease = mine();
        assert.ok(lease, JSON.stringify(pm.listLeases()));
        const stoppedAt = Date.now();
        // Stay stopped for more than twice the lease's life, counting the heartbeats that extend it.
        let beats = 0;
        while (Date.now() - stoppedAt < 2.5 * LEASE_TTL_MS || beats < 5) {
          await waitForEvent(clock.slept.event, (ms) => ms === HEARTBEAT_MS, 30_000);
          beats++;
        }
        // The beat just counted writes next: wait for one more, then read.
        await waitForEvent(clock.slept.event, (ms) => ms === HEARTBEAT_MS, 30_000);
        const now = mine();
        assert.ok(now, 'bot 1 still holds a lease');
        assert.equal(now.accountId, lease.accountId, 'the same account');
        assert.equal(now.runId, lease.runId, 'the same run: never lapsed and taken again');
        assert.ok(Date.parse(now.heartbeatAt) > Date.parse(lease.acquiredAt) + LEASE_TTL_MS, `heart-beaten after the first expiry (${now.heartbeatAt})`);
        assert.ok(Date.parse(now.expiresAt) > Date.now(), `not expired (${now.expiresAt})`);
        const still = (await s.dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
        assert.equal(still[0]?.line, 7, 'bot 1 is still stopped at its breakpoint');
        // No one else took it: its runs are the one still running, and a third checkout finds no account free.
        assert.deepEqual(
          pm.history({ accountId: lease.accountId }).filter((r) => Date.parse(r.startedAt) >= Date.parse(lease.acquiredAt)).map((r) => [r.bot, r.outcome]),
          [['1', 'running']],
        );
        const other = pm.accountPort('debug_short', { group: 'intruder', bot: '9', orchestrationId: 'intruder-run' });
        try {
          assert.equal(await other.checkoutNext(), undefined, 'both accounts are leased: bot 1\'s did not lapse');
        } finally {
          other.dispose();
        }
        await s.dc.disconnectRequest({});
        await waitForEvent(o.onDidChangeBotStep, (e) => e.instance === '1' && e.phase === 'end', 30_000);
      } finally {
        await group.stop();
      }
    });

    it('an attached bot\'s Screen history comes from the monitor\'s flight recorder: the recorded frames of its last steps', async () => {
      const o = fleet.orchestrator;
      const rec = new FlightRecorder({ framesPerBot: 50, memoryBytes: 64 * 1024 * 1024, encodeJpeg: (f) => encodeJpeg(f, { quality: 60 }) });
      const feed = feedRecorder(fleetPort(fleet), rec);
      recorder = rec;
      const group = o.createGroup(await o.loadGroupDefinition('Debug Watch'));
      try {
        await group.start({ staggerMs: 0 });
        // The recorder holds frames the bot captured at both of its capturing steps before the debugger attaches.
        const recorded = (step: string) => rec.frames('Debug Watch', '1').some((f) => f.step?.startsWith(step));
        while (!recorded('if') || !recorded('waitFor')) {
          await waitForEvent(o.onDidChangeBotStep, (e) => e.group === 'Debug Watch' && e.phase === 'end', 30_000);
        }
        const s = await inline();
        await s.begin('attach', { group: 'Debug Watch', instance: '1' }, async () => {
          await s.setBreakpoints('routines/dbg/watch.yaml', [{ line: 7 }]);
        });
        const st = await s.stopped();
        assert.deepEqual([st.reason, st.at], ['breakpoint', 'routines/dbg/watch.yaml:7']);
        const screen = (await s.dc.customRequest('emulatorFleet/screen', { maxWidth: 320 })).body as ScreenPayload;
        assert.deepEqual([screen.target.group, screen.target.instance], ['Debug Watch', '1']);
        const history = screen.history ?? [];
        const shown = JSON.stringify(history.map((h) => ({ ...h, jpeg: h.jpeg.length })));
        // The bot's own recorded frames, newest first: each the last frame of its step run, the steps alternating.
        const frames = rec.frames('Debug Watch', '1');
        assert.ok(history.length >= 2, shown);
        for (const [i, h] of history.entries()) {
          const f = frames.find((x) => x.frame === h.frame);
          assert.ok(f, `history frame ${h.frame} is a recorded frame of bot 1: ${shown}`);
          assert.equal(h.step, f.step, shown);
          assert.equal(h.time, f.time);
          assert.equal(h.jpeg, Buffer.from(f.jpeg).toString('base64'), 'the recorded JPEG');
          assert.equal(Buffer.from(h.jpeg, 'base64').subarray(0, 2).toString('hex'), 'ffd8', 'a JPEG');
          assert.deepEqual([h.width, h.height], [f.device.width, f.device.height]);
          assert.ok(h.width > 0 && h.height > h.width, `the device's portrait size (${h.width}x${h.height})`);
          assert.equal(h.error, false);
          // The routine's two capturing steps, by label and line; one step run each, so they alternate.
          assert.ok(h.step === 'waitFor · line 4' || h.step === 'if · line 5', shown);
          if (i > 0) {
            const newer = history[i - 1]!;
            assert.notEqual(h.step, newer.step, shown);
            assert.ok(newer.time >= h.time && newer.frame > h.frame, shown);
          }
        }
        await s.dc.disconnectRequest({});
        await waitForEvent(o.onDidChangeBotStep, (e) => e.group === 'Debug Watch' && e.phase === 'end', 30_000);
      } finally {
        await group.stop();
        recorder = undefined;
        feed.dispose();
        rec.dispose();
      }
    });
  });
});
