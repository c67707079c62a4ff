import * as assert from 'node:assert/strict';
import { waitForEvent } from '../../../src/shared/lifecycle';
import type { BotCycleEvent, BotStateEvent, BotStepEvent } from '../../../src/shared/fleetTypes';
import { defaultScript } from './fleetFakes';
import { defFromYaml, makeHarness, premiumDef, type Harness } from './harness';

function states(h: Harness, instance: string): string[] {
  return h.events.filter((e): e is BotStateEvent => e.type === 'bot.state' && e.instance === instance).map((e) => e.state);
}

describe('(unit) bot group and bots', () => {
  let h: Harness;

  afterEach(async () => {
    await h.orchestrator.stopAll({ force: true });
    h.orchestrator.dispose();
  });

  describe('device drops', () => {
    it('a bot whose device drops mid-routine goes offline and is replaced on a spare instance; the others go on', async () => {
      h = await makeHarness();
      const o = h.orchestrator;
      const g = o.createGroup(premiumDef());
      await g.start();
      await waitForEvent(o.onDidCompleteCycle, (e) => e.instance === '1' && e.ok, 10_000);
      const dropped = waitForEvent(o.onDidChangeBotState, (e: BotStateEvent) => e.instance === '1' && e.state === 'offline', 10_000);
      const sub = o.onDidChangeBotStep((e: BotStepEvent) => {
        if (e.instance === '1' && e.phase === 'start' && e.step === 'step2') {
          sub.dispose();
          h.devices.setOnline('1', false);
        }
      });
      const offline = await dropped;
      assert.match(offline.error?.message ?? '', /offline/);
      const replacement = await waitForEvent(o.onDidCompleteCycle, (e: BotCycleEvent) => e.instance === '3' && e.ok, 10_000);
      assert.equal(replacement.orchestrationId, g.orchestrationId);
      const snap = g.snapshot();
      assert.deepEqual(
        snap.bots.map((b) => b.instance),
        ['2', '3'],
      );
      assert.equal(snap.retiredBots.length, 1);
      assert.equal(snap.retiredBots[0].instance, '1');
      assert.equal(snap.retiredBots[0].stopReason, 'replaced');
      assert.equal(o.instanceRegistry().holder('1'), undefined, 'the dropped instance is released');
      assert.equal(o.instanceRegistry().holder('3')?.group, 'Premium Farmers');
      const bot2Cycles = g.getBot('2')!.snapshot().cycles;
      await waitForEvent(o.onDidCompleteCycle, (e) => e.instance === '2' && e.ok, 10_000);
      assert.ok(g.getBot('2')!.snapshot().cycles > bot2Cycles, 'bot 2 kept running');
      assert.deepEqual(states(h, '1').slice(-3), ['running', 'offline', 'stopped']);
      // The dropped bot's account went back to the pool: every lease belongs to a live bot.
      for (const owner of h.pools.leased.values()) {
        assert.ok(['2', '3'].includes(owner), owner);
      }
      const final = await g.stop();
      assert.deepEqual(
        final.retiredBots.map((b) => b.instance),
        ['1'],
      );
    });

    it('without a spare, the bot reconnects when the device comes back', async () => {
      h = await makeHarness({ instances: [1, 2] });
      const o = h.orchestrator;
      const g = o.createGroup(premiumDef());
      await g.start();
      await waitForEvent(o.onDidCompleteCycle, (e) => e.instance === '1' && e.ok, 10_000);
      const offline = waitForEvent(o.onDidChangeBotState, (e: BotStateEvent) => e.instance === '1' && e.state === 'offline', 10_000);
      h.devices.setOnline('1', false);
      await offline;
      const back = waitForEvent(o.onDidCompleteCycle, (e: BotCycleEvent) => e.instance === '1' && e.ok, 10_000);
      h.devices.setOnline('1', true);
      await back;
      const b = g.getBot('1')!.snapshot();
      assert.equal(b.restarts, 1);
      assert.ok(h.devices.openCount >= 3);
      assert.ok(states(h, '1').includes('offline'));
      assert.equal(g.snapshot().retiredBots.length, 0);
    });

    it('a device that never comes back fails its bot after the reconnect timeout', async () => {
      h = await makeHarness({ instances: [1, 2], config: { reconnectTimeoutMs: 3000 } });
      const o = h.orchestrator;
      const g = o.createGroup(premiumDef());
      await g.start();
      await waitForEvent(o.onDidCompleteCycle, (e) => e.instance === '1' && e.ok, 10_000);
      const failed = waitForEvent(o.onDidChangeBotState, (e: BotStateEvent) => e.instance === '1' && e.state === 'failed', 10_000);
      h.devices.setOnline('1', false);
      const ev = await failed;
      assert.equal(ev.reason, 'failed');
      assert.equal(g.getBot('2')!.currentState === 'running' || g.getBot('2')!.currentState === 'starting', true);
      assert.equal(g.isRunning(), true);
    });
  });

  describe('restart policy', () => {
    it('restarts a failed cycle with exponential backoff and resets after a success', async () => {
      let n = 0;
      h = await makeHarness({
        script: async (ctx) => {
          n++;
          await ctx.step('work', async () => {
            await ctx.clock.sleep(10, ctx.signal);
            if (n <= 3) {
              throw Object.assign(new Error(`boom ${n}`), { code: 'target-not-found' });
            }
          });
        },
      });
      const def = defFromYaml(
        'name: R\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions:\n  cycles: 2\n  restart: { maxRestarts: 3, initialDelay: 1s, factor: 2, maxDelay: 3s }\n',
      );
      const g = h.orchestrator.createGroup(def);
      await g.start();
      const final = await g.done;
      assert.equal(final.state, 'stopped');
      const b = final.bots[0];
      assert.equal(b.cycles, 2);
      assert.equal(b.errors, 3);
      assert.equal(b.restarts, 3);
      assert.equal(b.lastError?.code, 'target-not-found');
      const cycles = h.events.filter((e): e is BotCycleEvent => e.type === 'bot.cycle');
      assert.deepEqual(
        cycles.map((c) => c.ok),
        [false, false, false, true, true],
      );
      // Gaps between attempts: 1s, 2s, then capped at 3s (each attempt itself takes 10 ms).
      const starts = h.events.filter((e): e is BotStepEvent => e.type === 'bot.step' && e.phase === 'start').map((e) => e.time);
      const gaps = starts.slice(1, 4).map((t, i) => t - starts[i] - 10);
      assert.deepEqual(gaps, [1000, 2000, 3000]);
      assert.ok(states(h, '1').includes('waiting'));
    });

    it('fails the bot when failures exceed maxRestarts, and at once when restarts are off', async () => {
      h = await makeHarness({
        script: async (ctx) => {
          await ctx.step('work', async () => {
            throw new Error('always');
          });
        },
      });
      const g = h.orchestrator.createGroup(defFromYaml('name: F\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions:\n  restart: { maxRestarts: 2, initialDelay: 100ms }\n'));
      await g.start();
      const final = await g.done;
      assert.equal(final.state, 'failed');
      assert.equal(final.stopReason, 'failed');
      assert.equal(final.bots[0].errors, 3);
      assert.equal(final.bots[0].state, 'failed');
      assert.equal(h.orchestrator.getGroup('F')?.currentState, 'failed', 'an ended group stays queryable');
      assert.deepEqual(h.orchestrator.listActiveGroups(), []);

      const g2 = h.orchestrator.createGroup(defFromYaml('name: F2\nroutine: farm_premium\navailableInstances: [2]\nrequestedBotCount: 1\nlaunchOptions:\n  restart: { enabled: false }\n'));
      await g2.start();
      const f2 = await g2.done;
      assert.equal(f2.bots[0].errors, 1);
      assert.equal(f2.bots[0].state, 'failed');
    });
  });

  describe('stopping', () => {
    it('a graceful stop lets the current step finish, releases accounts, then stops', async () => {
      h = await makeHarness({ instances: [1], script: defaultScript(1000) });
      const o = h.orchestrator;
      const g = o.createGroup(defFromYaml('name: S\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: 1\naccountPool: premium_accounts\n'));
      await g.start();
      await waitForEvent(o.onDidChangeBotStep, (e) => e.phase === 'start' && e.step === 'step2', 10_000);
      const final = await g.stop();
      const steps = h.events.filter((e): e is BotStepEvent => e.type === 'bot.step');
      const last = steps[steps.length - 1];
      assert.equal(last.step, 'step2');
      assert.equal(last.phase, 'end');
      assert.equal(last.ok, true, 'the step in progress finished');
      assert.ok(!steps.some((s) => s.step === 'step3'), 'no new step started');
      assert.equal(final.bots[0].state, 'stopped');
      assert.equal(final.bots[0].account, undefined);
      assert.equal(h.pools.leased.size, 0);
      assert.deepEqual(h.pools.released, ['acc01']);
    });

    it('forces a step that does not finish within the stop timeout', async () => {
      h = await makeHarness({
        instances: [1],
        script: async (ctx) => {
          await ctx.step('hang', () => ctx.clock.sleep(3_600_000, ctx.signal));
        },
      });
      const o = h.orchestrator;
      const g = o.createGroup(defFromYaml('name: H\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions: { stopTimeout: 2s }\n'));
      await g.start();
      const started = await waitForEvent(o.onDidChangeBotStep, (e) => e.phase === 'start', 10_000);
      const t0 = h.clock.now();
      const final = await g.stop();
      assert.equal(final.state, 'stopped');
      assert.equal(h.clock.now() - t0, 2000, 'forced after exactly the stop timeout (simulated time)');
      assert.ok(started.time >= 0);
      const cycle = h.events.find((e): e is BotCycleEvent => e.type === 'bot.cycle');
      assert.equal(cycle?.ok, false);
      assert.equal(cycle?.error?.code, 'stopped');
    });

    it('a forced stop aborts at once', async () => {
      h = await makeHarness({ instances: [1], script: defaultScript(60_000) });
      const o = h.orchestrator;
      const g = o.createGroup(defFromYaml('name: K\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: 1\n'));
      await g.start();
      await waitForEvent(o.onDidChangeBotStep, (e) => e.phase === 'start', 10_000);
      const t0 = h.clock.now();
      await g.stop({ force: true });
      assert.ok(h.clock.now() - t0 < 60_000);
    });

    it('stops after the launch duration; bots stop with reason duration', async () => {
      h = await makeHarness();
      const g = h.orchestrator.createGroup(premiumDef('  duration: 10s\n'));
      const t0 = h.clock.now();
      await g.start();
      const final = await g.done;
      assert.equal(final.stopReason, 'duration');
      assert.ok(h.clock.now() - t0 >= 10_000);
      assert.ok(h.clock.now() - t0 < 12_000);
      assert.ok(final.bots.every((b) => b.cycles > 5));
    });

    it('stops bots when the account pool is empty', async () => {
      h = await makeHarness({ accounts: 3 });
      const g = h.orchestrator.createGroup(premiumDef());
      await g.start();
      const final = await g.done;
      assert.equal(final.state, 'stopped');
      assert.equal(final.stopReason, 'pool-empty');
      assert.deepEqual([...h.pools.completed].sort(), ['acc01', 'acc02', 'acc03']);
      assert.equal(final.bots.reduce((n, b) => n + b.cycles, 0), 3, 'a cycle that found the pool empty does not count');
      assert.deepEqual(
        final.bots.flatMap((b) => b.accounts).sort(),
        ['acc01', 'acc02', 'acc03'],
      );
    });

    it('without stopWhenPoolEmpty, bots wait for the pool and go on when accounts come back', async () => {
      h = await makeHarness({ accounts: 0, config: { poolRetryMs: 3000 } });
      const o = h.orchestrator;
      const g = o.createGroup(premiumDef('  stopWhenPoolEmpty: false\n'));
      await g.start();
      await waitForEvent(o.onDidChangeBotState, (e: BotStateEvent) => e.instance === '2' && e.state === 'waiting', 10_000);
      assert.equal(g.isRunning(), true);
      assert.ok(g.getAllBots().every((b) => b.cycles === 0 && b.errors === 0));
      h.pools.available.push('late1');
      const c = await waitForEvent(o.onDidCompleteCycle, (e: BotCycleEvent) => e.ok && h.pools.completed.includes('late1'), 10_000);
      assert.equal(g.getBot(c.instance)!.snapshot().cycles, 1);
    });
  });

  describe('pause and resume', () => {
    it('pauses every bot at a step boundary and resumes them', async () => {
      h = await makeHarness({ script: defaultScript(500) });
      const o = h.orchestrator;
      const g = o.createGroup(premiumDef());
      await g.start();
      await waitForEvent(o.onDidCompleteCycle, (e) => e.ok, 10_000);
      g.pause();
      assert.equal(g.currentState, 'paused');
      assert.ok(g.getAllBots().every((b) => b.state === 'paused'));
      // Let the steps in progress end; then nothing moves.
      await new Promise((r) => setTimeout(r, 50));
      const stepsBefore = h.events.filter((e) => e.type === 'bot.step').length;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(h.events.filter((e) => e.type === 'bot.step').length, stepsBefore);
      g.resume();
      assert.equal(g.currentState, 'running');
      await waitForEvent(o.onDidChangeBotStep, () => true, 10_000);
      assert.ok(g.getAllBots().every((b) => b.state === 'running'));
    });
  });

  describe('createBot / shutdownBot / getBot', () => {
    it('adds and removes bots on a running group', async () => {
      h = await makeHarness();
      const g = h.orchestrator.createGroup(premiumDef());
      await g.start();
      const b4 = g.createBot('4');
      assert.equal(g.getBot('4'), b4);
      assert.equal(h.orchestrator.instanceRegistry().holder('4')?.orchestrationId, g.orchestrationId);
      const snap = await g.shutdownBot('4');
      assert.equal(snap?.state, 'stopped');
      assert.equal(g.getBot('4'), undefined);
      assert.equal(h.orchestrator.instanceRegistry().holder('4'), undefined);
      assert.deepEqual(
        g.getAllBots().map((b) => b.instance),
        ['1', '2'],
      );
      assert.equal(await g.shutdownBot('9'), undefined);
    });

    it('a bot created on an instance whose previous bot just ended keeps the instance claimed', async () => {
      h = await makeHarness();
      const g = h.orchestrator.createGroup(premiumDef());
      await g.start();
      const old = g.getBot('1')!;
      let replacement: unknown;
      const listener = h.orchestrator.onDidChangeBotState((e) => {
        if (e.instance === '1' && e.state === 'stopped' && !replacement) {
          replacement = g.createBot('1'); // synchronously, before the old bot's `done` has settled
        }
      });
      await old.stop({ force: true });
      await old.done;
      await Promise.resolve();
      listener.dispose();
      assert.ok(replacement && replacement !== old);
      assert.equal(g.getBot('1'), replacement);
      assert.equal(h.orchestrator.instanceRegistry().holder('1')?.orchestrationId, g.orchestrationId, 'the new bot still holds instance 1');
    });
  });
});
