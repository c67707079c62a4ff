/**
 * Random protocol messages for the fuzz tests, both ways: valid samples of every message type, mutated at random
 * places, mixed with arbitrary JSON. JSON-serialisable (frame bytes are markers the page replaces).
 */
import type { FromMonitor, ToMonitor } from '../../src/shared/monitorProtocol';
import { EventFactory, definition, demoFleet, pool, routine } from './fleetFixtures';

export type Rnd = () => number;

function pick<T>(rnd: Rnd, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

const STRINGS = ['', 'a', 'ready', 'frame', '__proto__', 'constructor', 'x'.repeat(300), '💥', '\u0000', 'Premium Farmers', '1', '-1', 'NaN', '<img src=x onerror=alert(1)>'];

/** An arbitrary JSON value, up to `depth` levels deep. */
export function randomValue(rnd: Rnd, depth = 3): unknown {
  const r = rnd();
  if (depth <= 0 || r < 0.45) {
    return pick(rnd, [
      null,
      true,
      false,
      0,
      -1,
      1.5,
      2 ** 53,
      -(2 ** 31),
      1e308,
      Math.floor(rnd() * 100000),
      pick(rnd, STRINGS),
      pick(rnd, ['snapshot', 'events', 'frame', 'result', 'recorder', 'command', 'takeover']),
    ]);
  }
  if (r < 0.7) {
    return Array.from({ length: Math.floor(rnd() * 5) }, () => randomValue(rnd, depth - 1));
  }
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 5); i > 0; i--) {
    o[pick(rnd, ['type', 'id', 'seq', 'group', 'instance', 'data', 'events', 'snapshot', 'x', 'y', 'kind', 'op', 'bot', ...STRINGS])] = randomValue(rnd, depth - 1);
  }
  return o;
}

/** Replaces, deletes or retypes one value somewhere inside `v` (a deep copy comes back). */
export function mutate(rnd: Rnd, v: unknown, times = 1): unknown {
  let out: unknown = JSON.parse(JSON.stringify(v));
  for (let t = 0; t < times; t++) {
    const paths: (string | number)[][] = [];
    const walk = (x: unknown, p: (string | number)[]) => {
      if (p.length > 0) {
        paths.push(p);
      }
      if (Array.isArray(x)) {
        x.forEach((y, i) => walk(y, [...p, i]));
      } else if (x && typeof x === 'object') {
        for (const [k, y] of Object.entries(x)) {
          walk(y, [...p, k]);
        }
      }
    };
    walk(out, []);
    if (paths.length === 0) {
      out = randomValue(rnd);
      continue;
    }
    const path = pick(rnd, paths);
    let parent = out as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) {
      parent = parent[k] as Record<string | number, unknown>;
    }
    const key = path[path.length - 1];
    if (rnd() < 0.3 && !Array.isArray(parent)) {
      delete parent[key];
    } else {
      parent[key] = randomValue(rnd, 2);
    }
  }
  return out;
}

/** Valid samples of every host → view message type (frame bytes as markers). */
export function validHostMessages(): Record<string, unknown>[] {
  const { snapshot, running, paused } = demoFleet();
  const ev = new EventFactory(10);
  const b = running.bots[0];
  const img = { frame: 3, time: 1, width: 270, height: 480, device: { width: 540, height: 960 }, mime: 'image/jpeg', data: '__jpeg__' };
  const msgs: (ToMonitor | Record<string, unknown>)[] = [
    { type: 'snapshot', snapshot },
    { type: 'snapshot', inReplyTo: 'm1', session: 's2', snapshot: { ...snapshot, seq: 3 } },
    {
      type: 'events',
      events: [
        ev.step(b, 'start', 'tap', 'steps[0]', 3),
        ev.match(b, 'home.packsButton', 0.9, { x: 1, y: 2, w: 3, h: 4 }),
        ev.cycle(b, 1, false),
        ev.account(b, 'checkout', 'a'),
        ev.frame(b, 4),
        ev.metrics(running, 1, 2),
        ev.botState({ ...paused.bots[0], state: 'running' }, 'paused'),
        ev.groupState(running, 'starting'),
        ev.definitionsChanged([definition('x')], ['gone']),
        { seq: ++ev.seq, time: 2, type: 'pools.changed', pools: [pool('premium_accounts', 44, 100), pool('lazy', 0, 0, { available: undefined, total: undefined, cooldown: undefined })], removed: ['old'] },
        { seq: ++ev.seq, time: 3, type: 'routines.changed', names: ['farm_premium', 'gone'], routines: [routine('farm_premium')] },
        { seq: ++ev.seq, time: 4, type: 'templates.changed', names: ['home.packsButton'], templates: [{ name: 'home.packsButton', file: 'templates/home.yaml' }] },
        { seq: ++ev.seq, time: 5, type: 'devices.changed', devices: [{ serial: 'emulator-5554', source: 'adb', server: '127.0.0.1:5037', instance: '1', state: 'online' }] },
        ev.removed(paused),
      ],
    },
    { type: 'frame', group: 'Premium Farmers', instance: '1', ...img, matches: [{ template: 't', box: { x: 0, y: 0, w: 9, h: 9 }, score: 0.5, found: false }] },
    { type: 'frame', group: 'Premium Farmers', instance: '2', ...img, data: '__bytes__' },
    { type: 'recorder', inReplyTo: 'm2', reply: { op: 'list', bot: { group: 'G', instance: '1' }, capacity: 120, frames: [{ frame: 1, time: 1 }] } },
    { type: 'recorder', inReplyTo: 'm3', reply: { op: 'frame', bot: { group: 'G', instance: '1' }, events: [], ...img } },
    { type: 'recorder', inReplyTo: 'm4', reply: { op: 'saved', kind: 'frame', path: '/x.png' } },
    { type: 'recorder', inReplyTo: 'm5', reply: { op: 'error', code: 'evicted', message: 'gone' } },
    { type: 'result', inReplyTo: 'm6', ok: true },
    { type: 'result', inReplyTo: 'm7', ok: false, error: { code: 'busy', message: 'busy' } },
  ];
  return msgs as Record<string, unknown>[];
}

/** One random host → view message: arbitrary JSON, an unknown type, or a valid sample mutated (or not). */
export function randomHostMessage(rnd: Rnd, i: number): unknown {
  const r = rnd();
  if (r < 0.15) {
    return randomValue(rnd);
  }
  if (r < 0.25) {
    return { ...(randomValue(rnd, 2) as object), type: pick(rnd, STRINGS) };
  }
  const sample = pick(rnd, validHostMessages());
  if (r < 0.3) {
    return sample;
  }
  if (r < 0.4 && sample.type === 'events') {
    // Garbage events inside a valid batch, with random sequence numbers.
    return { type: 'events', events: Array.from({ length: 5 }, () => mutate(rnd, pick(rnd, sample.events as unknown[]), 1)).map((e) => (rnd() < 0.5 ? { ...(e as object), seq: i } : e)) };
  }
  return mutate(rnd, sample, 1 + Math.floor(rnd() * 3));
}

/** Valid samples of every view → host message type. */
export function validViewMessages(): FromMonitor[] {
  const bot = { group: 'Premium Farmers', instance: '1' };
  return [
    { type: 'ready', id: 'm1', protocol: 1 },
    { type: 'requestSnapshot', id: 'm2', reason: 'gap', seq: 10 },
    { type: 'command', id: 'm3', command: { kind: 'group', action: 'start', group: 'Premium Farmers' } },
    { type: 'command', id: 'm4', command: { kind: 'createGroup' } },
    { type: 'command', id: 'm5', command: { kind: 'bot', action: 'restart', bot } },
    { type: 'command', id: 'm6', command: { kind: 'openRoutine', routine: 'farm_premium' } },
    { type: 'command', id: 'm7', command: { kind: 'openRoutine', location: { file: 'routines/farm_premium.yaml', line: 14, col: 5 } } },
    { type: 'setVisibleTiles', bots: [bot, { group: 'Premium Farmers', instance: '2' }] },
    { type: 'setVisibleTiles', bots: [] },
    { type: 'zoom', bot },
    { type: 'zoom', bot: null },
    { type: 'frameAck', bot, frame: 12 },
    { type: 'takeover', id: 'm8', bot, input: { kind: 'tap', x: 430, y: 225 } },
    { type: 'takeover', id: 'm9', bot, input: { kind: 'swipe', from: { x: 270, y: 800 }, to: { x: 270, y: 300 }, durationMs: 350 } },
    { type: 'takeover', id: 'm10', bot, input: { kind: 'text', text: 'hello ünïcode' } },
    { type: 'takeover', id: 'm11', bot, input: { kind: 'key', key: 'enter' } },
    { type: 'recorder', id: 'm12', request: { op: 'list', bot } },
    { type: 'recorder', id: 'm13', request: { op: 'frame', bot, frame: 3 } },
    { type: 'recorder', id: 'm14', request: { op: 'saveFrame', bot } },
    { type: 'recorder', id: 'm15', request: { op: 'saveBugReport', bot } },
    { type: 'log', level: 'warn', message: 'ignored a host message' },
  ];
}
