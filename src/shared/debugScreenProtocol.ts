/**
 * The debugger's Screen view: what the debug session answers to its custom `screen` request (the paused bot's frame
 * with the matches of the current step), the custom event that tells the view to ask again, and the messages
 * between the view's host (extension) and its page (webview). Plain data, shared by the session, the extension and
 * the browser code.
 */

/** Custom DAP request: the screen of the stopped run. Arguments: {@link ScreenRequestArguments}; body: {@link ScreenPayload}. */
export const SCREEN_REQUEST = 'emulatorFleet/screen';
/** Custom DAP event: the screen changed (a stop, a resume, the end, an image condition evaluated). Body: {@link ScreenChangedBody}. */
export const SCREEN_CHANGED_EVENT = 'emulatorFleet/screenChanged';

export interface ScreenRequestArguments {
  /** The frame whose step's matches are drawn (default: the top frame). */
  frameId?: number;
  /** Capture a new frame even when the run's last one is still current. */
  fresh?: boolean;
  /** Largest JPEG width (default 720: a 1080-wide frame is scaled down). */
  maxWidth?: number;
}

export interface ScreenBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A template match drawn on the frame. `box` is in frame pixels (`frameWidth` x `frameHeight`). */
export interface ScreenMatch {
  template: string;
  found: boolean;
  score: number;
  threshold: number;
  box: ScreenBox;
  routine: string;
  /** The step that looked (`steps[2].then[0]`), when a step did. */
  path?: string;
  /** Wall-clock epoch ms. */
  time: number;
}

export interface ScreenLocation {
  routine: string;
  /** Workspace-relative path of the routine file. */
  file: string;
  line: number;
  path: string;
}

export interface ScreenTarget {
  serial?: string;
  group?: string;
  instance?: string;
}

export interface ScreenPayload {
  /** The frame as a JPEG, base64. */
  jpeg: string;
  /** Size of the JPEG. */
  width: number;
  height: number;
  /** Size of the frame the boxes are measured in. */
  frameWidth: number;
  frameHeight: number;
  /** True when captured for this request; false when it is the frame the step's conditions looked at. */
  fresh: boolean;
  /** The matches of the current step (its conditions and targets so far). */
  matches: ScreenMatch[];
  /** The run's latest matches, newest first. */
  recent: ScreenMatch[];
  /** Matches of an image condition evaluated in the debug console at this stop. */
  evaluated: ScreenMatch[];
  location?: ScreenLocation;
  /** Why the run stopped (`breakpoint`, `step`, `exception`...) and the exception text. */
  reason?: string;
  text?: string;
  target: ScreenTarget;
  /** Wall-clock epoch ms of the answer. */
  time: number;
  /** The frames of the last steps, newest first (from the flight recorder; empty when nothing was recorded). */
  history?: ScreenHistoryFrame[];
}

export interface ScreenChangedBody {
  state: 'stopped' | 'running' | 'ended';
  /** True when an evaluated condition added matches to the stop. */
  evaluated?: boolean;
}

/** A frame an earlier step saw (the flight recorder's), for the Screen view's history strip. */
export interface ScreenHistoryFrame {
  /** The recorder's per-bot frame number. */
  frame: number;
  /** The step that was running when it was captured (`(start)` before the first one). */
  step: string;
  /** Wall-clock epoch ms of the capture. */
  time: number;
  /** JPEG, base64. */
  jpeg: string;
  /** The device's screen size. */
  width: number;
  height: number;
  /** An error happened around it. */
  error: boolean;
}

/** Host → page. */
export type ToDebugScreen = { type: 'screen'; screen: ScreenPayload } | { type: 'state'; state: 'idle' | 'running' | 'ended' | 'error'; message?: string };

/** Page → host. */
export type FromDebugScreen = { type: 'ready' } | { type: 'refresh'; fresh?: boolean };
