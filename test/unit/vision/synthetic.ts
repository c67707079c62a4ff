/** Deterministic synthetic RGBA images for the vision tests: smooth coloured noise plus sharp shapes. */
import { mulberry32 } from '../../../src/virtual/game/rng';

export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A UI-like but non-repeating image: value noise on a 16 px grid, with random rectangles and discs on top. */
export function syntheticImage(width: number, height: number, seed = 1): Rgba {
  const r = mulberry32(seed);
  const cell = 16;
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = Array.from({ length: 3 }, () => Float32Array.from({ length: gw * gh }, () => r() * 200 + 20));
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const y0 = Math.floor(gy);
    const fy = gy - y0;
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const x0 = Math.floor(gx);
      const fx = gx - x0;
      const i = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) {
        const g = grid[c];
        const v00 = g[y0 * gw + x0];
        const v10 = g[y0 * gw + x0 + 1];
        const v01 = g[(y0 + 1) * gw + x0];
        const v11 = g[(y0 + 1) * gw + x0 + 1];
        data[i + c] = (v00 * (1 - fx) + v10 * fx) * (1 - fy) + (v01 * (1 - fx) + v11 * fx) * fy;
      }
      data[i + 3] = 255;
    }
  }
  const shapes = Math.round((width * height) / 4000);
  for (let k = 0; k < shapes; k++) {
    const col = [r() * 255, r() * 255, r() * 255];
    const cx = r() * width;
    const cy = r() * height;
    const s = 4 + r() * 24;
    const disc = r() < 0.5;
    for (let y = Math.max(0, Math.floor(cy - s)); y < Math.min(height, cy + s); y++) {
      for (let x = Math.max(0, Math.floor(cx - s)); x < Math.min(width, cx + s); x++) {
        if (disc && (x - cx) ** 2 + (y - cy) ** 2 > s * s) {
          continue;
        }
        const i = (y * width + x) * 4;
        data[i] = col[0];
        data[i + 1] = col[1];
        data[i + 2] = col[2];
      }
    }
  }
  return { width, height, data };
}

/** Copies `src` into `dst` at (x, y), alpha-blending when `src` has transparency. */
export function paste(dst: Rgba, src: Rgba, x: number, y: number): void {
  for (let row = 0; row < src.height; row++) {
    for (let col = 0; col < src.width; col++) {
      const s = (row * src.width + col) * 4;
      const d = ((y + row) * dst.width + x + col) * 4;
      const a = src.data[s + 3] / 255;
      for (let c = 0; c < 3; c++) {
        dst.data[d + c] = Math.round(src.data[s + c] * a + dst.data[d + c] * (1 - a));
      }
    }
  }
}

/** Bilinear resize of an RGBA image (for scaled copies in tests). */
export function resizeBilinear(src: Rgba, width: number, height: number): Rgba {
  const data = new Uint8Array(width * height * 4);
  const sx = src.width / width;
  const sy = src.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(src.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(src.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(src.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(src.width - 1, x0 + 1);
      const wx = fx - x0;
      const a = (y0 * src.width + x0) * 4;
      const b = (y0 * src.width + x1) * 4;
      const c0 = (y1 * src.width + x0) * 4;
      const d = (y1 * src.width + x1) * 4;
      const o = (y * width + x) * 4;
      const s = src.data;
      for (let c = 0; c < 4; c++) {
        data[o + c] = Math.round((s[a + c] * (1 - wx) + s[b + c] * wx) * (1 - wy) + (s[c0 + c] * (1 - wx) + s[d + c] * wx) * wy);
      }
    }
  }
  return { width, height, data };
}
