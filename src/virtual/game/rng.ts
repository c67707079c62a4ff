/** Seeded pseudo-random numbers for the demo game: every random choice the game makes comes from one of these. */

/** A source of uniform numbers in [0, 1). */
export interface Rng {
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An index into `weights` drawn with probability proportional to its weight. */
  weighted(weights: readonly number[]): number;
  /** A random permutation of 0..n-1. */
  permutation(n: number): number[];
}

/** Mixes a seed and a stream number into a well-spread 32-bit state (splitmix32-style finaliser). */
export function deriveSeed(seed: number, stream: number): number {
  let h = (Math.trunc(seed) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: a tiny seeded PRNG returning uniform numbers in [0, 1); the same seed always yields the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A {@link Rng} over {@link mulberry32}: tiny, fast and good enough for a game fixture. */
export function createRng(seed: number): Rng {
  const next = mulberry32(seed);
  return {
    next,
    int(n) {
      return Math.floor(next() * n);
    },
    weighted(weights) {
      const total = weights.reduce((s, w) => s + w, 0);
      let r = next() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i];
        if (r < 0) {
          return i;
        }
      }
      return weights.length - 1;
    },
    permutation(n) {
      const p = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [p[i], p[j]] = [p[j], p[i]];
      }
      return p;
    },
  };
}
