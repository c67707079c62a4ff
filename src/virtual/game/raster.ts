/** Turns the game's SVG frames into raw RGBA with sharp, and adds a fixed per-pixel grain. */
import sharp from 'sharp';
import { createRng } from './rng';
import { FleetError } from '../../shared/errors';

/** Rendering failed (sharp could not rasterise a frame, or produced an unexpected size). */
export class GameRenderError extends FleetError<'render-failed'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('render-failed', message, options);
    this.name = 'GameRenderError';
  }
}

/** Rasterises `svg` to tightly packed RGBA of exactly `width`x`height`. */
export async function rasterizeSvg(svg: string, width: number, height: number): Promise<Buffer> {
  const { data, info } = await sharp(Buffer.from(svg, 'utf8'))
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((e: unknown) => {
      throw new GameRenderError(`cannot rasterise the game frame: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    });
  if (info.width !== width || info.height !== height || info.channels !== 4) {
    throw new GameRenderError(`the game frame came out ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x4`);
  }
  return data;
}

/** Amplitude of the grain, in levels per channel (applied equally to R, G and B). */
export const GRAIN_AMPLITUDE = 5;
const GRAIN_SEED = 0x5eed_9a1e;

/**
 * A fixed grain pattern (independent of the game's seed, so templates cropped on one device match another
 * device's frames equally well): one signed offset per pixel.
 */
export function makeGrain(width: number, height: number): Int8Array {
  const rng = createRng(GRAIN_SEED);
  const g = new Int8Array(width * height);
  const span = 2 * GRAIN_AMPLITUDE + 1;
  for (let i = 0; i < g.length; i++) {
    g[i] = Math.floor(rng.next() * span) - GRAIN_AMPLITUDE;
  }
  return g;
}

/** Adds the grain to an RGBA buffer in place (clamped to 0..255; alpha untouched). */
export function applyGrain(rgba: Buffer, grain: Int8Array): void {
  const px = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length);
  const n = Math.min(grain.length, rgba.length >> 2);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const d = grain[i];
    px[j] += d;
    px[j + 1] += d;
    px[j + 2] += d;
  }
}
