/**
 * A tiny built-in stroke font, so the game's frames never depend on which system fonts are installed: every label is
 * drawn as SVG polylines. Glyphs live on a 4x6 grid (x right, y down, cap height 6); lowercase letters are drawn as
 * capitals; characters without a glyph are drawn as an empty box.
 */

type Glyph = readonly (readonly number[])[];

const O: Glyph = [[1, 0, 3, 0, 4, 1, 4, 5, 3, 6, 1, 6, 0, 5, 0, 1, 1, 0]];
const P: Glyph = [[0, 6, 0, 0, 3, 0, 4, 1, 4, 2, 3, 3, 0, 3]];
const DOT = [2, 5.7, 2, 6];

const GLYPHS: Record<string, Glyph> = {
  A: [[0, 6, 0, 2, 2, 0, 4, 2, 4, 6], [0, 4, 4, 4]],
  B: [[0, 3, 0, 6, 3, 6, 4, 5, 4, 4, 3, 3, 0, 3, 0, 0, 3, 0, 4, 1, 4, 2, 3, 3]],
  C: [[4, 1, 3, 0, 1, 0, 0, 1, 0, 5, 1, 6, 3, 6, 4, 5]],
  D: [[0, 0, 0, 6, 2, 6, 4, 4, 4, 2, 2, 0, 0, 0]],
  E: [[4, 0, 0, 0, 0, 6, 4, 6], [0, 3, 3, 3]],
  F: [[4, 0, 0, 0, 0, 6], [0, 3, 3, 3]],
  G: [[4, 1, 3, 0, 1, 0, 0, 1, 0, 5, 1, 6, 3, 6, 4, 5, 4, 3, 2, 3]],
  H: [[0, 0, 0, 6], [4, 0, 4, 6], [0, 3, 4, 3]],
  I: [[1, 0, 3, 0], [2, 0, 2, 6], [1, 6, 3, 6]],
  J: [[4, 0, 4, 5, 3, 6, 1, 6, 0, 5]],
  K: [[0, 0, 0, 6], [4, 0, 0, 4], [1, 3, 4, 6]],
  L: [[0, 0, 0, 6, 4, 6]],
  M: [[0, 6, 0, 0, 2, 3, 4, 0, 4, 6]],
  N: [[0, 6, 0, 0, 4, 6, 4, 0]],
  O,
  P,
  Q: [...O, [2, 4, 4, 6]],
  R: [...P, [2, 3, 4, 6]],
  S: [[4, 1, 3, 0, 1, 0, 0, 1, 0, 2, 1, 3, 3, 3, 4, 4, 4, 5, 3, 6, 1, 6, 0, 5]],
  T: [[0, 0, 4, 0], [2, 0, 2, 6]],
  U: [[0, 0, 0, 5, 1, 6, 3, 6, 4, 5, 4, 0]],
  V: [[0, 0, 2, 6, 4, 0]],
  W: [[0, 0, 1, 6, 2, 3, 3, 6, 4, 0]],
  X: [[0, 0, 4, 6], [4, 0, 0, 6]],
  Y: [[0, 0, 2, 3, 4, 0], [2, 3, 2, 6]],
  Z: [[0, 0, 4, 0, 0, 6, 4, 6]],
  '0': [...O, [1, 5, 3, 1]],
  '1': [[1, 1, 2, 0, 2, 6], [1, 6, 3, 6]],
  '2': [[0, 1, 1, 0, 3, 0, 4, 1, 4, 2, 0, 6, 4, 6]],
  '3': [[0, 1, 1, 0, 3, 0, 4, 1, 4, 2, 3, 3, 4, 4, 4, 5, 3, 6, 1, 6, 0, 5], [1, 3, 3, 3]],
  '4': [[3, 6, 3, 0, 0, 4, 4, 4]],
  '5': [[4, 0, 0, 0, 0, 3, 3, 3, 4, 4, 4, 5, 3, 6, 0, 6]],
  '6': [[3, 0, 1, 0, 0, 1, 0, 5, 1, 6, 3, 6, 4, 5, 4, 4, 3, 3, 0, 3]],
  '7': [[0, 0, 4, 0, 1, 6]],
  '8': [[1, 0, 3, 0, 4, 1, 4, 2, 3, 3, 1, 3, 0, 2, 0, 1, 1, 0], [1, 3, 0, 4, 0, 5, 1, 6, 3, 6, 4, 5, 4, 4, 3, 3]],
  '9': [[4, 3, 1, 3, 0, 2, 0, 1, 1, 0, 3, 0, 4, 1, 4, 5, 3, 6, 1, 6]],
  ' ': [],
  '!': [[2, 0, 2, 4], DOT],
  '?': [[0, 1, 1, 0, 3, 0, 4, 1, 4, 2, 2, 3.5, 2, 4.2], DOT],
  '.': [DOT],
  ',': [[2, 5.2, 1.4, 7]],
  ':': [[2, 1.7, 2, 2], [2, 4.7, 2, 5]],
  '-': [[1, 3, 3, 3]],
  '+': [[0.5, 3, 3.5, 3], [2, 1.5, 2, 4.5]],
  '/': [[0, 6, 4, 0]],
  '#': [[1.3, 0, 1.3, 6], [2.7, 0, 2.7, 6], [0, 2, 4, 2], [0, 4, 4, 4]],
  "'": [[2, 0, 2, 1.5]],
  '(': [[3, 0, 2, 1, 2, 5, 3, 6]],
  ')': [[1, 0, 2, 1, 2, 5, 1, 6]],
  '_': [[0, 6, 4, 6]],
  '=': [[0.5, 2, 3.5, 2], [0.5, 4, 3.5, 4]],
  '%': [[0, 6, 4, 0], [0.5, 0.5, 1, 0.5], [3, 5.5, 3.5, 5.5]],
  '&': [[4, 6, 1, 2, 1, 1, 2, 0, 3, 1, 3, 2, 0, 4, 0, 5, 1, 6, 2, 6, 4, 4]],
  '@': [[3, 4, 3, 2, 1.5, 2, 1, 3, 1.5, 4, 3, 4, 4, 3, 4, 1, 3, 0, 1, 0, 0, 1, 0, 5, 1, 6, 4, 6]],
};

const UNKNOWN: Glyph = [[0.5, 0, 3.5, 0, 3.5, 6, 0.5, 6, 0.5, 0]];
/** Advance between glyph origins, in grid units (glyph width 4 plus spacing). */
const ADVANCE = 5.6;

function glyphFor(ch: string): Glyph {
  return GLYPHS[ch.toUpperCase()] ?? UNKNOWN;
}

/** Width in pixels of `text` drawn with cap height `size`. */
export function textWidth(text: string, size: number): number {
  const n = [...text].length;
  return n === 0 ? 0 : ((n - 1) * ADVANCE + 4) * (size / 6);
}

/** The largest cap height not above `size` at which `text` fits in `maxWidth` pixels. */
export function fitTextSize(text: string, size: number, maxWidth: number): number {
  const w = textWidth(text, size);
  return w <= maxWidth ? size : Math.max(4, (size * maxWidth) / w);
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/**
 * SVG path data for `text` with cap height `size`, its top at `y`, positioned at `x` according to `anchor`
 * (`start`: left edge, `middle`: centre, `end`: right edge). Stroke it; do not fill it.
 */
export function textPathData(text: string, x: number, y: number, size: number, anchor: 'start' | 'middle' | 'end' = 'start'): string {
  const u = size / 6;
  const w = textWidth(text, size);
  let ox = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x;
  const parts: string[] = [];
  for (const ch of text) {
    for (const line of glyphFor(ch)) {
      let d = '';
      for (let i = 0; i < line.length; i += 2) {
        d += `${i === 0 ? 'M' : 'L'}${fmt(ox + line[i] * u)} ${fmt(y + line[i + 1] * u)}`;
      }
      parts.push(d);
    }
    ox += ADVANCE * u;
  }
  return parts.join('');
}
