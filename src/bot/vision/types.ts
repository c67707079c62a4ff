/** What the rest of the core needs from vision. Implemented by `src/bot/vision/` (issue: vision). */
import type { Point, Rect, Size } from '../../shared/geometry';
import type { RawFrame } from '../device';

export interface ScaleRange {
  min: number;
  max: number;
  /** Step between scales tried, for example 0.05. */
  step: number;
}

/** A template as the registry resolves it (from `templates/*.yaml` or inline in a routine). */
export interface TemplateSpec {
  name: string;
  /** Image path relative to the workspace root. */
  image: string;
  threshold: number;
  /** Search region at the reference resolution; the whole frame when absent. */
  region?: Rect;
  /** Resolution the image and region were authored at (default 540x960). */
  referenceSize: Size;
  mode: 'gray' | 'color';
  /** Use the image's alpha channel as a mask. */
  mask: boolean;
  scales?: ScaleRange;
  /** Max matches returned with `all`; non-maximum suppression keeps them apart. */
  maxCount: number;
  /** IoU above which two matches are the same (non-maximum suppression). */
  nmsIou: number;
  preload: boolean;
}

/** A reference to a template in a routine: a registry name or an inline image with options. */
export type TemplateRef = string | ({ image: string } & Partial<Omit<TemplateSpec, 'name' | 'image'>>);

export interface MatchOverrides {
  threshold?: number;
  /** At the template's reference resolution. */
  region?: Rect;
  /** Return every match above threshold (up to maxCount), not only the best. */
  all?: boolean;
}

export interface Match {
  /** Top-left corner and size in frame pixels. */
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
  scale: number;
}

export interface MatchResult {
  template: string;
  found: boolean;
  /** Best score, whether or not it reached the threshold. */
  score: number;
  threshold: number;
  /** Box of the best candidate (frame pixels). */
  box: Rect;
  center: Point;
  scale: number;
  /** Matches at or above the threshold, best first. */
  matches: Match[];
  timeMs: number;
}

export interface ColorSpec {
  /** `#rrggbb` */
  color: string;
  /** Max per-channel distance, 0-255. */
  tolerance: number;
  /** A point, or an area whose mean colour is compared (reference resolution). */
  at: Point | Rect;
  referenceSize?: Size;
}

export interface ColorResult {
  ok: boolean;
  actual: string;
  distance: number;
}

export interface Vision {
  find(frame: RawFrame, template: TemplateRef, overrides?: MatchOverrides, signal?: AbortSignal): Promise<MatchResult>;
  checkColor(frame: RawFrame, spec: ColorSpec): ColorResult;
}
