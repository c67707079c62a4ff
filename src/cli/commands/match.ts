/**
 * `emulator-fleet match <frame.png> <template | image.png> [--root DIR] [--region x,y,w,h] [--threshold T] [--all] [--json]`
 *
 * Template matching on a saved frame, through the same registry, planner and worker pool as the bots. Prints the
 * matches at or above the threshold (with `--json`, one object `{"matches": [...], "best": {...}}`; x,y is the
 * top-left corner in frame pixels). Exit code: 0 when something matched, 1 when nothing did, 2 for bad input.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { formatDiagnostic, type Rect } from '../../shared/geometry';
import { createTemplateImage } from '../../bot/vision/frame';
import { sharpDecoder } from '../../bot/vision/imageCodec';
import { TEMPLATE_DEFAULTS } from '../../bot/vision/templateSchema';
import type { Match, MatchOverrides, MatchResult, ScaleRange, TemplateSpec } from '../../bot/vision/types';
import { isVisionError } from '../../bot/vision/visionError';
import type { RawFrame } from '../../bot/device';
import { parse, runCommand, UsageError, workspaceRoot } from '../args';
import { openFleet } from '../fleetHost';

const USAGE =
  'usage: emulator-fleet match <frame.png> <template | image.png> [--root DIR] [--region x,y,w,h] [--threshold T] [--all] [--json] [--mode gray|color] [--scales min,max,step]';

const IMAGE_EXT = /\.(png|jpe?g|webp)$/i;

function parseNumbers(name: string, v: string, count: number): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== count || nums.some((n) => !Number.isFinite(n))) {
    throw new UsageError(`--${name} expects ${count} comma-separated numbers, got '${v}'`);
  }
  return nums;
}

function parseRegion(v: string): Rect {
  const [x, y, w, h] = parseNumbers('region', v, 4);
  if (![x, y, w, h].every(Number.isInteger) || x < 0 || y < 0 || w <= 0 || h <= 0) {
    throw new UsageError(`--region expects x,y,w,h with x,y >= 0 and w,h > 0 (whole pixels), got '${v}'`);
  }
  return { x, y, w, h };
}

function parseScales(v: string): ScaleRange {
  const [min, max, step] = parseNumbers('scales', v, 3);
  if (!(min > 0 && max >= min && step > 0) || (max - min) / step > 40) {
    throw new UsageError(`--scales expects min,max,step with 0 < min <= max, step > 0 and at most 41 scales, got '${v}'`);
  }
  return { min, max, step };
}

function round(m: Match): Match {
  return { ...m, score: Math.round(m.score * 1e6) / 1e6, scale: Math.round(m.scale * 1e6) / 1e6 };
}

async function readImageFile(file: string, what: string) {
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(file);
  } catch (e) {
    throw new UsageError(`cannot read ${what} '${file}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return sharpDecoder.decode(bytes, file);
}

export async function main(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { values, positionals } = parse(args, {
      root: { type: 'string' },
      region: { type: 'string' },
      threshold: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      mode: { type: 'string' },
      scales: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 2) {
      throw new UsageError(`expected a frame and a template\n${USAGE}`);
    }
    const [framePath, templateArg] = positionals;
    const overrides: MatchOverrides = { all: values.all ?? false };
    if (values.threshold !== undefined) {
      const t = Number(values.threshold);
      if (!(t >= 0 && t <= 1)) {
        throw new UsageError(`--threshold expects a number between 0 and 1, got '${values.threshold}'`);
      }
      overrides.threshold = t;
    }
    if (values.region !== undefined) {
      overrides.region = parseRegion(values.region);
    }
    if (values.mode !== undefined && values.mode !== 'gray' && values.mode !== 'color') {
      throw new UsageError(`--mode expects gray or color, got '${values.mode}'`);
    }
    const scales = values.scales !== undefined ? parseScales(values.scales) : undefined;

    const decoded = await readImageFile(framePath, 'frame').catch((e: unknown) => {
      throw isVisionError(e) ? new UsageError(e.message) : e;
    });
    const frame: RawFrame = { width: decoded.width, height: decoded.height, data: decoded.data, capturedAt: 0, id: 1 };

    const root = workspaceRoot(values.root);
    const fleet = await openFleet(root, { lazy: true, watch: false, visionWorkers: 1 });
    const registry = fleet.orchestrator.templateRegistry()!;
    const vision = fleet.vision;
    let result: MatchResult;
    try {
      if (IMAGE_EXT.test(templateArg)) {
        // An ad-hoc image: authored at the frame's resolution, its alpha (if any) used as a mask.
        const img = await readImageFile(templateArg, 'template image').catch((e: unknown) => {
          throw isVisionError(e) ? new UsageError(e.message) : e;
        });
        const image = createTemplateImage(templateArg, img);
        const spec: TemplateSpec = {
          name: path.basename(templateArg),
          image: templateArg,
          threshold: TEMPLATE_DEFAULTS.threshold,
          referenceSize: { width: frame.width, height: frame.height },
          mode: (values.mode as 'gray' | 'color' | undefined) ?? TEMPLATE_DEFAULTS.mode,
          mask: image.hasTransparency,
          maxCount: TEMPLATE_DEFAULTS.maxCount,
          nmsIou: TEMPLATE_DEFAULTS.nmsIou,
          preload: false,
          ...(scales ? { scales } : {}),
        };
        result = await vision.matchImage(frame, spec, image, overrides);
      } else {
        if (!registry.has(templateArg)) {
          for (const d of registry.diagnostics.filter((x) => x.severity === 'error')) {
            console.error(formatDiagnostic(d));
          }
          const known = registry.names();
          throw new UsageError(
            `unknown template '${templateArg}' in ${root}${known.length ? '' : ' (no templates/*.yaml there; pass an image.png or --root)'}`,
          );
        }
        const spec = registry.resolve(templateArg);
        const image = await registry.image(spec.image);
        const adjusted: TemplateSpec = { ...spec, ...(values.mode ? { mode: values.mode as 'gray' | 'color' } : {}), ...(scales ? { scales } : {}) };
        result = await vision.matchImage(frame, adjusted, image, overrides);
      }
    } catch (e) {
      if (isVisionError(e)) {
        throw new UsageError(e.message);
      }
      throw e;
    } finally {
      await fleet.close();
    }

    const matches = result.matches.map(round);
    const best = round({ ...result.box, score: result.score, scale: result.scale });
    if (values.json) {
      console.log(JSON.stringify({ template: result.template, threshold: result.threshold, found: matches.length > 0, matches, best }));
    } else {
      const fmt = (m: Match) => `x=${m.x} y=${m.y} w=${m.w} h=${m.h} score=${m.score.toFixed(4)} scale=${m.scale.toFixed(3)}`;
      if (matches.length) {
        matches.forEach((m, i) => console.log(`match ${i + 1}: ${fmt(m)}`));
      } else {
        console.log(`no match at threshold ${result.threshold}`);
      }
      console.log(`best: ${fmt(best)}`);
    }
    return matches.length ? 0 : 1;
  });
}
