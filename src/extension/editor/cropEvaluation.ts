/**
 * Scoring a crop before it is saved (no vscode): its score at its own place, the best false match on this frame
 * (its place blanked out) and on the recorder's frames (the same place blanked: the element may be on them too),
 * the suggested threshold and the padded region.
 */
import type { RawFrame } from '../../bot/device';
import { cropRgba, createTemplateImage } from '../../bot/vision/frame';
import { TEMPLATE_DEFAULTS } from '../../bot/vision/templateSchema';
import { blankRect, padRegion, suggestThreshold } from '../../bot/vision/templateSuggest';
import type { MatchOverrides, MatchResult, TemplateImage, TemplateSpec } from '../../bot/vision/types';
import type { Rect } from '../../shared/geometry';
import type { CaptureEvaluation } from '../../shared/templateToolsProtocol';
import type { OwnedFrame } from './frameSources';

/** The matching the tools need (the fleet's VisionService). */
export interface CropMatcher {
  matchImage(frame: RawFrame, spec: TemplateSpec, image: TemplateImage, overrides?: MatchOverrides): Promise<MatchResult>;
}

let frameIds = 1_000_000_000;

export function rawFrame(f: { width: number; height: number; data: Uint8Array }): RawFrame {
  return { width: f.width, height: f.height, data: f.data, capturedAt: 0, id: ++frameIds };
}

/** The crop as a template (spec + image) at the frame's resolution. */
export function cropTemplate(frame: OwnedFrame, rect: Rect, name = 'capture', threshold: number = TEMPLATE_DEFAULTS.threshold): { spec: TemplateSpec; image: TemplateImage } {
  const crop = cropRgba(frame, rect);
  const image = createTemplateImage(`${name}.png`, crop);
  const spec: TemplateSpec = {
    name,
    image: `${name}.png`,
    threshold,
    referenceSize: { width: frame.width, height: frame.height },
    mode: TEMPLATE_DEFAULTS.mode,
    mask: image.hasTransparency,
    maxCount: TEMPLATE_DEFAULTS.maxCount,
    nmsIou: TEMPLATE_DEFAULTS.nmsIou,
    preload: false,
  };
  return { spec, image };
}

/** Keeps a rect inside the frame, integer and at least 1×1. */
export function normalizeRect(r: Rect, size: { width: number; height: number }): Rect {
  const x = Math.max(0, Math.min(size.width - 1, Math.round(r.x)));
  const y = Math.max(0, Math.min(size.height - 1, Math.round(r.y)));
  const w = Math.max(1, Math.min(size.width - x, Math.round(r.w)));
  const h = Math.max(1, Math.min(size.height - y, Math.round(r.h)));
  return { x, y, w, h };
}

export async function evaluateCrop(vision: CropMatcher, frame: OwnedFrame, rectIn: Rect, recorder: readonly OwnedFrame[] = []): Promise<CaptureEvaluation> {
  const rect = normalizeRect(rectIn, frame);
  const { spec, image } = cropTemplate(frame, rect, 'capture', 0.5);
  const region = padRegion(rect, frame);
  const here = await vision.matchImage(rawFrame(frame), spec, image, { region });
  const falseScore = async (f: OwnedFrame): Promise<number | undefined> => {
    if (f.width < rect.w || f.height < rect.h) {
      return undefined;
    }
    const r = await vision.matchImage(rawFrame({ width: f.width, height: f.height, data: blankRect(f, rect) }), { ...spec, referenceSize: { width: f.width, height: f.height } }, image);
    return Number.isFinite(r.score) ? r.score : undefined;
  };
  const bestFalseHere = await falseScore(frame);
  const recorderScores: number[] = [];
  for (const f of recorder) {
    const s = await falseScore(f);
    if (s !== undefined) {
      recorderScores.push(s);
    }
  }
  const falses = [...(bestFalseHere !== undefined ? [bestFalseHere] : []), ...recorderScores];
  const s = suggestThreshold(here.score, falses);
  return {
    rect,
    trueScore: here.score,
    ...(bestFalseHere !== undefined ? { bestFalseHere } : {}),
    ...(recorderScores.length ? { bestFalseRecorder: Math.max(...recorderScores) } : {}),
    recorderFrames: recorder.length,
    threshold: s.threshold,
    explanation: s.explanation,
    region,
  };
}
