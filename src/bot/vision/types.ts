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
  /**
   * Multi-scale factor of this match on top of the reference-to-device scaling: 1 when the screen shows the
   * template exactly at its authored size (scaled to the device).
   */
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
  /** Time from the call to the result (queueing included), by the service's clock. */
  timeMs: number;
  /** Time the worker spent matching (frame/template preparation included), in ms. */
  matchMs?: number;
  /** The search region actually used, in frame pixels (scaled from the reference resolution and clamped). */
  region?: Rect;
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

/** A named colour check from a `templates/*.yaml` file (`colors:` list). */
export interface NamedColorSpec extends ColorSpec {
  name: string;
  referenceSize: Size;
}

/** A decoded template image, ready to be shared with the matcher workers. */
export interface TemplateImage {
  /** Unique per decoded content: workers cache prepared templates under it. */
  key: string;
  /** Workspace-relative path (or a label for images that did not come from the workspace). */
  path: string;
  width: number;
  height: number;
  /** Tightly packed RGBA, `width * height * 4` bytes; backed by a SharedArrayBuffer. */
  data: Uint8Array;
  /** True when some pixel is not fully opaque. */
  hasTransparency: boolean;
}

/** Where a registry entry was defined, for diagnostics and "go to definition". */
export interface TemplateSource {
  file: string;
  line: number;
  col: number;
  /** Position of the `image:` value. */
  imageLine: number;
  imageCol: number;
}

export type VisionErrorCode =
  | 'unknown-template'
  | 'image-missing'
  | 'image-invalid'
  | 'path-escape'
  | 'invalid-frame'
  | 'invalid-region'
  | 'invalid-color'
  | 'template-too-large'
  | 'worker-failed'
  | 'match-failed'
  | 'aborted'
  | 'disposed';
