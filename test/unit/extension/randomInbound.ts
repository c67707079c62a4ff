/**
 * Random INVALID view → host messages for the host's fuzz test: valid samples of every message type mutated at
 * random places, unknown types and arbitrary JSON; only those the protocol rejects are kept (a mutation can land on
 * a value that is still valid).
 */
import { parseFromMonitor } from '../../../src/shared/monitorProtocol';
import { mutate, randomValue, validViewMessages, type Rnd } from '../../webview/randomMessages';

/** A seeded generator (mulberry32). */
export function seeded(seed: number): Rnd {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInboundMessages(n: number, seed: number): unknown[] {
  const rnd = seeded(seed);
  const samples = validViewMessages();
  const out: unknown[] = [];
  while (out.length < n) {
    const r = rnd();
    let m: unknown;
    if (r < 0.15) {
      m = randomValue(rnd);
    } else if (r < 0.25) {
      m = { ...(randomValue(rnd, 2) as object), type: samples[Math.floor(rnd() * samples.length)]?.type };
    } else {
      m = mutate(rnd, samples[Math.floor(rnd() * samples.length)], 1 + Math.floor(rnd() * 3));
    }
    if (!parseFromMonitor(m).ok) {
      out.push(m);
    }
  }
  return out;
}
