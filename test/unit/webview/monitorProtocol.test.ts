import { strict as assert } from 'node:assert';
import {
  TAKEOVER_KEYS,
  TAKEOVER_KEY_CODES,
  fromMonitorSchemas,
  parseFleetEvent,
  parseFromMonitor,
  parseToMonitor,
  type FromMonitor,
} from '../../../src/shared/monitorProtocol';
import { KEY_CODES } from '../../../src/virtual/keyCodes';
import { mulberry32 } from '../../../src/virtual/game/rng';
import { mutate, randomHostMessage, randomValue, validHostMessages, validViewMessages } from '../../webview/randomMessages';

/** The frame markers of the random host messages, made real bytes. */
function withBytes(m: unknown): unknown {
  if (m && typeof m === 'object' && !Array.isArray(m)) {
    const o = m as Record<string, unknown>;
    if (o.data === '__jpeg__' || o.data === '__bytes__') {
      return { ...o, data: new Uint8Array([1, 2, 3]) };
    }
    if (o.reply && typeof o.reply === 'object') {
      return { ...o, reply: withBytes(o.reply) };
    }
  }
  return m;
}

describe('monitor protocol', () => {
  describe('view → host (parseFromMonitor)', () => {
    it('accepts every valid message and returns it unchanged (a round trip through JSON too)', () => {
      for (const m of validViewMessages()) {
        const r = parseFromMonitor(m);
        assert.ok(r.ok, `${JSON.stringify(m)}: ${r.ok ? '' : r.reason}`);
        assert.deepEqual(r.msg, m);
        const again = parseFromMonitor(JSON.parse(JSON.stringify(r.msg)));
        assert.ok(again.ok);
        assert.deepEqual(again.msg, m);
      }
    });

    it('has a schema for every message type the union declares', () => {
      const types = new Set(validViewMessages().map((m) => m.type));
      assert.deepEqual([...types].sort(), Object.keys(fromMonitorSchemas).sort());
    });

    it('rejects bad messages with a reason that says what is wrong', () => {
      const cases: [unknown, RegExp][] = [
        [null, /^monitor message is null, not an object$/],
        ['ready', /^monitor message is string, not an object$/],
        [[{ type: 'ready' }], /^monitor message is an array, not an object$/],
        [{}, /^monitor message has no string "type"$/],
        [{ type: 'toString' }, /^unknown monitor message type "toString"$/],
        [{ type: '__proto__' }, /^unknown monitor message type "__proto__"$/],
        [{ type: 'hello' }, /^unknown monitor message type "hello"$/],
        [{ type: 'ready', id: 'm1' }, /^invalid "ready" message: protocol: /],
        [{ type: 'command', id: 'm1', command: { kind: 'group', action: 'explode', group: 'G' } }, /^invalid "command" message: command\.action: /],
        [{ type: 'command', id: 'm1', command: { kind: 'group', action: 'start', group: '' } }, /^invalid "command" message: command\.group: /],
        [{ type: 'command', id: 'm1', command: { kind: 'openRoutine' } }, /openRoutine needs a routine or a location/],
        [{ type: 'command', id: 'm1', command: { kind: 'openRoutine', location: { file: 'a.yaml', line: 0, col: 1 } } }, /command\.location\.line: /],
        [{ type: 'takeover', id: 'm1', bot: { group: 'G', instance: '1' }, input: { kind: 'tap', x: -1, y: 5 } }, /input\.x: /],
        [{ type: 'takeover', id: 'm1', bot: { group: 'G', instance: '1' }, input: { kind: 'tap', x: 1.5, y: 5 } }, /input\.x: /],
        [{ type: 'takeover', id: 'm1', bot: { group: 'G', instance: '1' }, input: { kind: 'text', text: 'x'.repeat(1001) } }, /input\.text: /],
        [{ type: 'takeover', id: 'm1', bot: { group: 'G', instance: '1' }, input: { kind: 'key', key: 'power' } }, /input\.key: /],
        [{ type: 'takeover', id: 'm1', bot: { group: 'G', instance: '1' }, input: { kind: 'swipe', from: { x: 0, y: 0 }, to: { x: 1, y: 1 }, durationMs: 0 } }, /input\.durationMs: /],
        [{ type: 'setVisibleTiles', bots: Array.from({ length: 513 }, () => ({ group: 'G', instance: '1' })) }, /^invalid "setVisibleTiles" message: bots: /],
        [{ type: 'recorder', id: 'm1', request: { op: 'frame', bot: { group: 'G', instance: '1' }, frame: -3 } }, /request\.frame: /],
        [{ type: 'zoom' }, /^invalid "zoom" message: bot: /],
        [{ type: 'ready', id: 'x'.repeat(65), protocol: 1 }, /^invalid "ready" message: id: /],
      ];
      for (const [raw, reason] of cases) {
        const r = parseFromMonitor(raw);
        assert.equal(r.ok, false, JSON.stringify(raw)?.slice(0, 80));
        if (!r.ok) {
          assert.match(r.reason, reason);
        }
      }
    });

    it('names at most three issues and counts the rest', () => {
      const r = parseFromMonitor({ type: 'takeover', id: 5, bot: 7, input: 9, extra: 1 });
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.match(r.reason, /^invalid "takeover" message: [^;]+; [^;]+; [^;]+$/);
      }
      const r2 = parseFromMonitor({ type: 'recorder', id: 5, request: { op: 'frame', bot: { group: 1, instance: 2 }, frame: 'x' } });
      assert.equal(r2.ok, false);
      if (!r2.ok) {
        assert.match(r2.reason, /\(and \d+ more\)$/);
      }
    });

    it('never throws on exotic input: cycles, proxies that throw, huge strings', () => {
      const cyclic: Record<string, unknown> = { type: 'command', id: 'm1' };
      cyclic.command = cyclic;
      const throwing = new Proxy(
        {},
        {
          get() {
            throw new Error('boom');
          },
        },
      );
      const inputs: unknown[] = [cyclic, throwing, { type: 'x'.repeat(1_000_000) }, undefined, 0n, Symbol('s'), () => 1, new Date(), new Map()];
      for (const raw of inputs) {
        const r = parseFromMonitor(raw);
        assert.equal(r.ok, false);
        if (!r.ok) {
          assert.ok(r.reason.length > 0 && r.reason.length < 400, r.reason.slice(0, 100));
        }
      }
    });

    it('1,000 random messages: none throws, every rejection has a reason, whatever passes is well-formed', () => {
      const rnd = mulberry32(4242);
      const valid = validViewMessages();
      let accepted = 0;
      let rejected = 0;
      for (let i = 0; i < 1000; i++) {
        const k = rnd();
        const raw = k < 0.2 ? randomValue(rnd, 4) : k < 0.3 ? { ...(randomValue(rnd, 2) as object), type: valid[Math.floor(rnd() * valid.length)].type } : mutate(rnd, valid[Math.floor(rnd() * valid.length)], 1 + Math.floor(rnd() * 3));
        let r: ReturnType<typeof parseFromMonitor>;
        assert.doesNotThrow(() => {
          r = parseFromMonitor(raw);
        });
        r = parseFromMonitor(raw);
        if (r.ok) {
          accepted++;
          // What passes is a well-formed message: it parses again to itself.
          const again = parseFromMonitor(JSON.parse(JSON.stringify(r.msg)));
          assert.ok(again.ok);
          assert.deepEqual(again.msg, r.msg);
          assert.ok(fromMonitorSchemas[(r.msg as FromMonitor).type]);
        } else {
          rejected++;
          assert.equal(typeof r.reason, 'string');
          assert.ok(r.reason.length > 0, 'a reason to log');
        }
      }
      assert.ok(rejected > 700, `most random messages are invalid (${rejected} rejected, ${accepted} accepted)`);
    });
  });

  describe('host → view (parseToMonitor, parseFleetEvent)', () => {
    it('accepts every valid host message', () => {
      for (const m of validHostMessages()) {
        const r = parseToMonitor(withBytes(m));
        assert.ok(r.ok, `${String(m.type)}: ${r.ok ? '' : r.reason}`);
      }
    });

    it('accepts base64 frame data and rejects a frame without device size', () => {
      const f = { type: 'frame', group: 'G', instance: '1', frame: 1, time: 1, width: 2, height: 2, device: { width: 4, height: 4 }, mime: 'image/jpeg', data: 'AAEC' };
      assert.ok(parseToMonitor(f).ok);
      const bad = parseToMonitor({ ...f, device: undefined });
      assert.equal(bad.ok, false);
      assert.ok(!bad.ok && /device/.test(bad.reason));
    });

    it('validates each event on its own: unknown types advance seq, invalid known ones too, no seq is unusable', () => {
      assert.deepEqual(parseFleetEvent({ seq: 4, type: 'brand.new', time: 1 }), { kind: 'opaque', seq: 4, type: 'brand.new', reason: 'unknown event type "brand.new"' });
      const bad = parseFleetEvent({ seq: 5, type: 'bot.cycle', time: 1 });
      assert.equal(bad.kind, 'opaque');
      assert.deepEqual(parseFleetEvent({ type: 'bot.cycle' }), { kind: 'invalid', reason: 'event has no valid "seq"' });
      assert.deepEqual(parseFleetEvent({ seq: 1.5, type: 'log' }), { kind: 'invalid', reason: 'event has no valid "seq"' });
      assert.equal(parseFleetEvent('x').kind, 'invalid');
    });

    it('1,000 random host messages: parsing never throws', () => {
      const rnd = mulberry32(99);
      let ok = 0;
      for (let i = 0; i < 1000; i++) {
        const raw = withBytes(randomHostMessage(rnd, i));
        const r = parseToMonitor(raw);
        if (r.ok) {
          ok++;
          if (r.msg.type === 'events') {
            for (const e of r.msg.events) {
              assert.doesNotThrow(() => parseFleetEvent(e));
            }
          }
        } else {
          assert.ok(r.reason.length > 0);
        }
      }
      assert.ok(ok > 50 && ok < 900, `a mix of valid and invalid (${ok} valid)`);
    });
  });

  it('maps every takeover key to the Android key code the device knows', () => {
    const named: Record<string, string> = {
      enter: 'ENTER',
      backspace: 'DEL',
      delete: 'FORWARD_DEL',
      tab: 'TAB',
      escape: 'ESCAPE',
      back: 'BACK',
      home: 'HOME',
      up: 'DPAD_UP',
      down: 'DPAD_DOWN',
      left: 'DPAD_LEFT',
      right: 'DPAD_RIGHT',
    };
    for (const k of TAKEOVER_KEYS) {
      assert.equal(TAKEOVER_KEY_CODES[k], KEY_CODES[named[k]], k);
    }
  });
});
