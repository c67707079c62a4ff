/**
 * Messages between the extension and its template webviews: Capture Template (pick a rectangle on a frame, name
 * it, save it as a template) and Template Lab (scores of templates on recorded and live frames). Rectangles are in
 * frame pixels.
 */
import type { Rect } from './geometry';

export interface CaptureFrameInfo {
  /** PNG data URL of the frame (lossless: the pixels the crop is taken from). */
  dataUrl: string;
  width: number;
  height: number;
  /** Where it comes from: "device emulator-5554", "file shots/a.png", "recorder: bot 2 at 12:03:04". */
  label: string;
  /** True when "Refresh" takes a new capture (a live device). */
  live: boolean;
}

export interface CaptureEvaluation {
  rect: Rect;
  /** The crop's score at its own place (about 1). */
  trueScore: number;
  /** The best score elsewhere on this frame (the crop's place blanked out). */
  bestFalseHere?: number;
  /** The best false scores on the recorder's frames (one per frame), and how many frames were tried. */
  bestFalseRecorder?: number;
  recorderFrames: number;
  threshold: number;
  explanation: string;
  region: Rect;
}

export type ToCapture =
  | { type: 'init'; frame: CaptureFrameInfo; files: string[]; defaultFile: string; names: string[] }
  | { type: 'frame'; frame: CaptureFrameInfo }
  | { type: 'evaluation'; evaluation: CaptureEvaluation }
  | { type: 'saved'; name: string; image: string; file: string; threshold: number; region: Rect; score: number; found: boolean }
  | { type: 'error'; message: string };

export type FromCapture =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'evaluate'; rect: Rect }
  | { type: 'save'; rect: Rect; name: string; file: string; threshold: number };

/** One row of the lab: a template on one frame. */
export interface LabRow {
  id: string;
  template: string;
  frameId: string;
  /** "recorder: bot 2 at 12:03:04" or "live: emulator-5554". */
  frameLabel: string;
  score: number;
  threshold: number;
  found: boolean;
  box: Rect;
  /** score − threshold. */
  margin: number;
  /** What the user (or the step that used the template) says: should it be found on this frame? */
  expected?: boolean;
  /** `expected` comes from the recorded run (what its match of this template on this frame gave), not a mark. */
  inferred?: boolean;
  /** found && expected === false, or !found && expected === true. */
  verdict: 'ok' | 'false-positive' | 'miss' | 'unknown';
}

export type ToLab =
  | { type: 'rows'; title: string; rows: LabRow[]; frames: number; templates: number }
  | { type: 'frame'; rowId: string; dataUrl: string; width: number; height: number; box: Rect; found: boolean }
  | { type: 'error'; message: string };

export type FromLab =
  | { type: 'ready' }
  | { type: 'rerun' }
  | { type: 'show'; rowId: string }
  | { type: 'expect'; rowId: string; expected: boolean | null };

/** A message of an expected shape (the webview and the host check what they receive). */
export function isMessage<T extends { type: string }>(m: unknown, types: readonly T['type'][]): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && types.includes((m as { type: string }).type);
}
