import { strict as assert } from 'node:assert';
import { parseToMonitor } from '../../../src/shared/monitorProtocol';
import { mulberry32 } from '../../../src/virtual/game/rng';
import { MonitorModel, buttonsFor } from '../../../src/webview/model/monitorModel';
import { randomHostMessage } from '../../webview/randomMessages';
import { EventFactory, T0, bot, definition, demoFleet, group, pool, routine, snapshot } from '../../webview/fleetFixtures';

function labels(model: MonitorModel, name: string): string[] {
  const card = model.view().cards.find((c) => c.name === name);
  assert.ok(card, `card ${name}`);
  return card.buttons.map((b) => `${b.label}${b.disabled ? '(disabled)' : ''}`);
}

describe('monitor view model', () => {
  describe('cards', () => {
    it('derives the seed mock-up cards: running and stopped groups with routine, pool and instances', () => {
      const m = new MonitorModel();
      const { snapshot: s } = demoFleet();
      assert.equal(m.applySnapshot(s), true);
      const view = m.view();
      assert.deepEqual(
        view.cards.map((c) => c.name),
        ['A group with a very long name that does not fit on one line of a narrow panel', 'broken', 'Mission Claimer', 'Premium Farmers', 'Wonder Pick Farmers'],
      );
      const premium = view.cards.find((c) => c.name === 'Premium Farmers')!;
      assert.deepEqual(premium.status, { state: 'running', symbol: '●', label: 'Running', tone: 'ok' });
      assert.equal(premium.description, 'Farm premium packs');
      assert.deepEqual(premium.routine, { name: 'farm_premium', file: 'routines/farm_premium.yaml', label: 'farm_premium.yaml' });
      assert.equal(premium.pool?.label, '45/100 accounts');
      assert.equal(premium.instancesLine, 'Active: Instance 1, Instance 2');
      assert.deepEqual(labels(m, 'Premium Farmers'), ['Pause', 'Stop', 'Edit', 'Delete']);
      assert.equal(premium.live, true);
      assert.equal(premium.tiles.length, 2);

      const wonder = view.cards.find((c) => c.name === 'Wonder Pick Farmers')!;
      assert.deepEqual(wonder.status, { state: 'stopped', symbol: '○', label: 'Stopped', tone: 'idle' });
      assert.equal(wonder.pool?.label, '20/50 accounts');
      assert.equal(wonder.instancesLine, 'Available: 4 instances');
      assert.deepEqual(labels(m, 'Wonder Pick Farmers'), ['Start', 'Edit', 'Delete']);
      assert.equal(wonder.live, false);
      assert.deepEqual(wonder.tiles, []);

      assert.deepEqual(labels(m, 'Mission Claimer'), ['Resume', 'Stop', 'Edit', 'Delete']);
      assert.equal(view.cards.find((c) => c.name === 'Mission Claimer')!.pool?.label, '7/10 accounts · 2 cooling down');
      const broken = view.cards.find((c) => c.name === 'broken')!;
      assert.equal(broken.status.label, 'Invalid');
      assert.deepEqual(labels(m, 'broken'), ['Start(disabled)', 'Edit', 'Delete']);
      assert.equal(broken.problems.length, 1);
      assert.equal(view.anyLive, true);
    });

    it('gives the buttons of every group state', () => {
      const l = (s: Parameters<typeof buttonsFor>[0], live: boolean) => buttonsFor(s, false, live).map((b) => b.action);
      assert.deepEqual(l(undefined, false), ['start', 'edit', 'delete']);
      assert.deepEqual(l('running', true), ['pause', 'stop', 'edit', 'delete']);
      assert.deepEqual(l('starting', true), ['pause', 'stop', 'edit', 'delete']);
      assert.deepEqual(l('waiting', true), ['pause', 'stop', 'edit', 'delete']);
      assert.deepEqual(l('paused', true), ['resume', 'stop', 'edit', 'delete']);
      assert.deepEqual(l('stopping', true), ['stop', 'edit', 'delete']);
      assert.equal(buttonsFor('stopping', false, true)[0].disabled, true);
      assert.deepEqual(l('failed', false), ['start', 'edit', 'delete']);
      assert.deepEqual(l('stopped', false), ['start', 'edit', 'delete']);
    });

    it('shows an ended group with its final state and why it ended, and a definition-less group', () => {
      const m = new MonitorModel();
      const failed = group('G', { state: 'failed', lastError: { message: 'device offline', time: T0 }, bots: [bot('G', '1', { state: 'failed', cycles: 2, errors: 3 })] });
      const done = group('H', { state: 'stopped', stopReason: 'cycles-done' });
      m.applySnapshot(snapshot({ definitions: [definition('G'), definition('H')], groups: [failed, done, group('Orphan')] }));
      const cards = m.view().cards;
      const g = cards.find((c) => c.name === 'G')!;
      assert.equal(g.status.label, 'Failed');
      assert.equal(g.live, false);
      assert.deepEqual(
        g.notes.map((n) => n.text),
        ['Failed: device offline', 'Last run: 2 cycles, 3 errors'],
      );
      assert.deepEqual(
        cards.find((c) => c.name === 'H')!.notes.map((n) => n.text),
        ['Ended: all cycles done'],
      );
      const orphan = cards.find((c) => c.name === 'Orphan')!;
      assert.equal(orphan.live, true);
      assert.equal(orphan.instancesLine, 'Active: waiting for an instance');
      assert.ok(orphan.notes.some((n) => n.text.includes('definition file is gone')));
    });

    it('sums up a long list of active instances and keeps the full list for the tooltip', () => {
      const m = new MonitorModel();
      const { snapshot: s } = demoFleet({ runningBots: 16 });
      m.applySnapshot(s);
      const c = m.view().cards.find((x) => x.name === 'Premium Farmers')!;
      assert.equal(c.instancesLine, 'Active: Instance 1, Instance 2, Instance 3 and 13 more');
      assert.equal(c.instancesTitle?.split(', ').length, 16);
      assert.equal(c.tiles.length, 16);
    });

    it('names an unknown pool and counts one instance in the singular', () => {
      const m = new MonitorModel();
      m.applySnapshot(snapshot({ definitions: [definition('A', { accountPool: 'nope', availableInstances: ['emulator-5554'] })], routines: [routine('farm_premium')] }));
      const a = m.view().cards[0];
      assert.equal(a.pool?.label, 'nope (not found)');
      assert.equal(a.pool?.known, false);
      assert.equal(a.instancesLine, 'Available: 1 instance');
    });
  });

  describe('events by seq', () => {
    function started(): { m: MonitorModel; ev: EventFactory; g: ReturnType<typeof group>; b1: ReturnType<typeof bot> } {
      const m = new MonitorModel();
      const b1 = bot('Premium Farmers', '1');
      const g = group('Premium Farmers', { bots: [b1], accountPool: 'premium_accounts' });
      m.applySnapshot(snapshot({ seq: 5, definitions: [definition('Premium Farmers')], groups: [g], pools: [pool('premium_accounts', 10, 10)] }));
      return { m, ev: new EventFactory(5), g, b1 };
    }

    it('applies steps, matches, cycles, accounts and metrics to the tile', () => {
      const { m, ev, g, b1 } = started();
      const r = m.applyEvents([
        ev.account(b1, 'checkout', 'acct-7'),
        ev.step(b1, 'start', 'tap home.packsButton', 'steps[3]', 14),
        ev.match(b1, 'home.packsButton', 0.97, { x: 60, y: 380, w: 420, h: 120 }),
        ev.match(b1, 'popup.retry', 0.31, { x: 150, y: 590, w: 240, h: 80 }),
        ev.match(b1, 'home.banner', 0.95, { x: 0, y: 44, w: 540, h: 84 }),
        ev.cycle(b1, 1, true),
        ev.cycle(b1, 2, false),
        ev.metrics(g, 33, 61),
      ]);
      assert.deepEqual(r, { applied: 8, duplicates: 0, problems: [] });
      assert.equal(m.seq, 13);
      const t = m.tile({ group: 'Premium Farmers', instance: '1' })!;
      assert.equal(t.label, 'Instance 1');
      assert.equal(t.account, 'acct-7');
      assert.equal(t.step?.name, 'tap home.packsButton');
      assert.deepEqual(t.step?.location, { file: 'routines/farm_premium.yaml', line: 14, col: 5 });
      assert.equal(t.step?.locationLabel, 'farm_premium.yaml:14');
      assert.deepEqual(
        t.matches.map((x) => [x.template, x.score, x.found]),
        [
          ['home.packsButton', 0.97, true],
          ['home.banner', 0.95, true],
          ['popup.retry', 0.31, false],
        ],
      );
      // Metrics carry the bot's counters as the bot reported them.
      assert.equal(t.captureLabel, 'p50 33 · p95 61 ms');
      assert.ok(t.recent.some((e) => e.text === '◆ home.packsButton 0.97'));
      assert.ok(t.recent.some((e) => e.text === '◇ popup.retry 0.31 < 0.90'));
    });

    it('counts cycles and errors from cycle events', () => {
      const { m, ev, b1 } = started();
      m.applyEvents([ev.cycle(b1, 1, true), ev.cycle(b1, 2, true), ev.cycle(b1, 3, false)]);
      const t = m.tile({ group: 'Premium Farmers', instance: '1' })!;
      assert.equal(t.cycles, 2);
      assert.equal(t.errors, 1);
      assert.equal(t.lastError?.code, 'timeout');
    });

    it('keeps only the current step matches: a new step clears them', () => {
      const { m, ev, b1 } = started();
      m.applyEvents([ev.step(b1, 'start', 'a', 'steps[0]', 3), ev.match(b1, 'x', 0.99, { x: 1, y: 1, w: 5, h: 5 }), ev.step(b1, 'end', 'a', 'steps[0]', 3)]);
      assert.equal(m.tile({ group: 'Premium Farmers', instance: '1' })!.matches.length, 1, 'kept after the step ends');
      m.applyEvents([ev.step(b1, 'start', 'b', 'steps[1]', 4)]);
      const t = m.tile({ group: 'Premium Farmers', instance: '1' })!;
      assert.equal(t.matches.length, 0);
      assert.equal(t.step?.name, 'b');
    });

    it('tracks nested steps: the inner step shows, then the outer one again', () => {
      const { m, ev, b1 } = started();
      const id = { group: 'Premium Farmers', instance: '1' };
      m.applyEvents([ev.step(b1, 'start', 'call open_pack', 'steps[2]', 10), ev.step(b1, 'start', 'tap open', 'steps[0]', 3, { routine: 'open_pack' })]);
      assert.equal(m.tile(id)!.step?.name, 'tap open');
      assert.equal(m.tile(id)!.step?.routine, 'open_pack');
      m.applyEvents([ev.step(b1, 'end', 'tap open', 'steps[0]', 3, { routine: 'open_pack' })]);
      assert.equal(m.tile(id)!.step?.name, 'call open_pack');
    });

    it('merges a step reported both as bot.step and as a forwarded routine event', () => {
      const { m, ev, b1 } = started();
      const id = { group: 'Premium Farmers', instance: '1' };
      m.applyEvents([
        ev.step(b1, 'start', 'call x', 'steps[0]', 2),
        ev.routineStep(b1, 'start', 'call x', 'steps[0]', 2),
        ev.match(b1, 'm', 0.99, { x: 0, y: 0, w: 1, h: 1 }),
        ev.step(b1, 'start', 'inner', 'steps[1]', 3),
        ev.routineStep(b1, 'start', 'inner', 'steps[1]', 3),
        ev.step(b1, 'end', 'inner', 'steps[1]', 3),
        ev.routineStep(b1, 'end', 'inner', 'steps[1]', 3),
      ]);
      // The outer step is on top again: the duplicate start did not leave a second `inner` or `call x` behind.
      assert.equal(m.tile(id)!.step?.name, 'call x');
      m.applyEvents([ev.step(b1, 'end', 'call x', 'steps[0]', 2)]);
      m.applyEvents([ev.step(b1, 'start', 'next', 'steps[2]', 4)]);
      assert.equal(m.tile(id)!.step?.name, 'next');
    });

    it('skips duplicates (seq at or below the applied one)', () => {
      const { m, ev, b1 } = started();
      const batch = [ev.cycle(b1, 1, true), ev.cycle(b1, 2, true)];
      m.applyEvents(batch);
      const r = m.applyEvents([...batch, { ...batch[0], seq: 3 }]);
      assert.deepEqual(r, { applied: 0, duplicates: 3, problems: [] });
      assert.equal(m.tile({ group: 'Premium Farmers', instance: '1' })!.cycles, 2);
      assert.equal(m.snapshotWanted, undefined);
    });

    it('applies an out-of-order batch in seq order', () => {
      const { m, ev, b1 } = started();
      const a = ev.step(b1, 'start', 'first', 'steps[0]', 2);
      const b = ev.step(b1, 'start', 'second', 'steps[1]', 3);
      const c = ev.account(b1, 'checkout', 'acct-1');
      const r = m.applyEvents([c, a, b]);
      assert.equal(r.applied, 3);
      const t = m.tile({ group: 'Premium Farmers', instance: '1' })!;
      assert.equal(t.step?.name, 'second');
      assert.equal(m.seq, 8);
    });

    it('holds events behind a gap, asks for a snapshot, and applies them if the missing ones come late', () => {
      const { m, ev, b1 } = started();
      const e6 = ev.cycle(b1, 1, true);
      const e7 = ev.cycle(b1, 2, true);
      const e8 = ev.cycle(b1, 3, true);
      let r = m.applyEvents([e7, e8]);
      assert.equal(r.applied, 0);
      assert.equal(m.snapshotWanted, 'gap');
      assert.equal(m.pendingCount, 2);
      assert.equal(m.tile({ group: 'Premium Farmers', instance: '1' })!.cycles, 0);
      r = m.applyEvents([e6]);
      assert.equal(r.applied, 3);
      assert.equal(m.snapshotWanted, undefined, 'the gap closed');
      assert.equal(m.tile({ group: 'Premium Farmers', instance: '1' })!.cycles, 3);
    });

    it('after a gap, a snapshot replaces the state and the events behind the gap apply on top of it', () => {
      const { m, ev, b1, g } = started();
      ev.cycle(b1, 1, true); // seq 6: lost
      const e7 = ev.step(b1, 'start', 'after the gap', 'steps[5]', 20);
      const e8 = ev.cycle(b1, 2, true);
      m.applyEvents([e7, e8]);
      assert.equal(m.snapshotWanted, 'gap');
      // The host's snapshot at seq 6 has the lost cycle.
      const b1at6 = { ...b1, cycles: 1 };
      assert.equal(m.applySnapshot(snapshot({ seq: 6, definitions: [definition('Premium Farmers')], groups: [{ ...g, bots: [b1at6] }] })), true);
      assert.equal(m.snapshotWanted, undefined);
      assert.equal(m.seq, 8);
      const t = m.tile({ group: 'Premium Farmers', instance: '1' })!;
      assert.equal(t.cycles, 2);
      assert.equal(t.step?.name, 'after the gap');
    });

    it('ignores a stale snapshot of the same session, accepts any snapshot of a new session', () => {
      const { m, ev, b1 } = started();
      m.applyEvents([ev.cycle(b1, 1, true), ev.cycle(b1, 2, true)]);
      assert.equal(m.applySnapshot(snapshot({ seq: 6 })), false);
      assert.equal(m.seq, 7);
      assert.equal(m.view().cards.length, 1);
      const m2 = new MonitorModel();
      m2.applySnapshot(snapshot({ seq: 50, definitions: [definition('A')] }), 's1');
      assert.equal(m2.applySnapshot(snapshot({ seq: 3, definitions: [definition('B')] }), 's2'), true, 'the host restarted');
      assert.deepEqual(
        m2.view().cards.map((c) => c.name),
        ['B'],
      );
      assert.equal(m2.seq, 3);
    });

    it('buffers events that come before the first snapshot', () => {
      const m = new MonitorModel();
      const b1 = bot('G', '1');
      const ev = new EventFactory(3);
      m.applyEvents([ev.cycle(b1, 1, true)]);
      assert.equal(m.hasSnapshot, false);
      m.applySnapshot(snapshot({ seq: 3, groups: [group('G', { bots: [b1] })] }));
      assert.equal(m.tile({ group: 'G', instance: '1' })!.cycles, 1);
      assert.equal(m.seq, 4);
    });

    it('advances over unknown event types, and asks for a snapshot after a known event it cannot read', () => {
      const { m, ev, b1 } = started();
      const r = m.applyEvents([{ seq: 6, type: 'future.thing', time: T0 }, ev.seq++ && { ...ev.cycle(b1, 1, true), seq: 7 }]);
      assert.equal(r.applied, 2);
      assert.deepEqual(r.problems, ['unknown event type "future.thing"']);
      assert.equal(m.snapshotWanted, undefined);
      const r2 = m.applyEvents([{ seq: 8, type: 'bot.cycle', time: 'soon' }, 'garbage', { type: 'bot.cycle' }, null]);
      assert.equal(r2.applied, 1);
      assert.equal(r2.problems.length, 4);
      assert.match(r2.problems[0], /^invalid "bot\.cycle" event: /);
      assert.equal(m.snapshotWanted, 'invalid');
      assert.equal(m.seq, 8);
    });

    it('applies definition, routine and pool changes from the entries they carry (no snapshot needed)', () => {
      const { m, ev } = started();
      m.applyEvents([
        ev.definitionsChanged([definition('Premium Farmers', { description: 'edited' }), definition('New one')]),
        { seq: ++ev.seq, time: T0 + 1, type: 'pools.changed', pools: [pool('premium_accounts', 3, 10, { cooldown: 2 })], removed: [] },
      ]);
      assert.equal(m.snapshotWanted, undefined);
      assert.deepEqual(
        m.view().cards.map((c) => c.name),
        ['New one', 'Premium Farmers'],
      );
      assert.equal(m.view().cards[1].pool?.label, '3/10 accounts · 2 cooling down');
      m.applyEvents([
        ev.definitionsChanged([], ['New one']),
        { seq: ++ev.seq, time: T0 + 2, type: 'pools.changed', pools: [pool('premium_accounts', 0, 0, { available: undefined, total: undefined, cooldown: undefined })], removed: [] },
      ]);
      assert.deepEqual(
        m.view().cards.map((c) => c.name),
        ['Premium Farmers'],
      );
      assert.equal(m.view().cards[0].pool?.label, 'accounts not counted yet');
    });

    it('replaces a group on group.state and drops it on group.removed', () => {
      const { m, ev, g } = started();
      const stopped = { ...g, state: 'stopped' as const, stopReason: 'requested' as const, bots: g.bots.map((b) => ({ ...b, state: 'stopped' as const })) };
      m.applyEvents([ev.groupState(stopped, 'stopping')]);
      const card = m.view().cards[0];
      assert.equal(card.status.label, 'Stopped');
      assert.equal(card.live, false);
      m.applyEvents([ev.removed(stopped)]);
      assert.equal(m.view().cards[0].status.label, 'Stopped');
      assert.deepEqual(m.debugState().groups, []);
    });

    it('ignores bot events of an older run of the group', () => {
      const { m, ev, b1, g } = started();
      const run2 = { ...g, orchestrationId: 'run2', bots: [{ ...b1, orchestrationId: 'run2' }] };
      m.applyEvents([ev.groupState(run2, 'stopped'), ev.cycle(b1, 1, true), ev.botState({ ...b1, state: 'failed' })]);
      const t = m.tile({ group: 'Premium Farmers', instance: '1' })!;
      assert.equal(t.cycles, 0);
      assert.equal(t.status.state, 'running');
      assert.equal(t.orchestrationId, 'run2');
    });

    it('adds a bot that appears through bot.state and marks takeover while paused', () => {
      const { m, ev } = started();
      const b2 = bot('Premium Farmers', '2', { state: 'paused' });
      m.applyEvents([ev.botState(b2, 'running')]);
      const card = m.view().cards[0];
      assert.deepEqual(
        card.tiles.map((t) => t.label),
        ['Instance 1', 'Instance 2'],
      );
      assert.equal(card.tiles[1].takeover, true);
      assert.equal(card.tiles[1].status.symbol, '‖');
    });

    it('flags a bot whose stuck ladder asks a person to look', () => {
      const { m, ev, b1 } = started();
      ev.seq++;
      m.applyEvents([
        { seq: ev.seq, time: T0 + 5, type: 'log', level: 'warn', message: 'stuck on steps[3] for 1m', code: 'stuck-notify', group: b1.group, orchestrationId: b1.orchestrationId, instance: '1' },
      ]);
      assert.equal(m.tile({ group: 'Premium Farmers', instance: '1' })!.attention, 'stuck on steps[3] for 1m');
      m.applyEvents([ev.cycle(b1, 1, true)]);
      assert.equal(m.tile({ group: 'Premium Farmers', instance: '1' })!.attention, undefined);
    });

    it('drops the buffer and asks for a snapshot when far behind', () => {
      const { m, ev, b1 } = started();
      ev.seq += 1;
      const far = Array.from({ length: 20_001 }, () => ev.frame(b1, 1));
      m.applyEvents(far);
      assert.equal(m.pendingCount, 0);
      assert.equal(m.snapshotWanted, 'gap');
    });
  });
});

describe('monitor view model fuzz', () => {
  it('applies 1,000 random event batches and snapshots without throwing, and still derives cards', () => {
    const rnd = mulberry32(7);
    const m = new MonitorModel();
    m.applySnapshot(demoFleet().snapshot);
    for (let i = 0; i < 1000; i++) {
      const p = parseToMonitor(randomHostMessage(rnd, i));
      if (!p.ok) {
        continue;
      }
      if (p.msg.type === 'events') {
        m.applyEvents(p.msg.events);
      } else if (p.msg.type === 'snapshot') {
        m.applySnapshot(p.msg.snapshot, p.msg.session);
      }
      m.view();
    }
    assert.ok(m.view().cards.length > 0);
  });
});
