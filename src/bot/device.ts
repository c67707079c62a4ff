/**
 * The device port: everything the core needs from one Android device. `AdbDevice` implements it over
 * @devicefarmer/adbkit; tests of the device path use the virtual device through real adb, never a mock.
 */
import type { Size } from '../shared/geometry';
import { FleetError } from '../shared/errors';

/**
 * A captured screen: tightly packed RGBA, row-major.
 *
 * Who owns the pixels:
 * - A frame without a `lease` owns its memory: `data` stays valid as long as the frame is referenced (PNG captures,
 *   decoded files, frames made by tests or tools).
 * - A frame with a `lease` lives in memory its device recycles (raw captures): see {@link FrameLease}. Any frame
 *   may be one of these, so a consumer that keeps a frame beyond its current use either copies what it needs or
 *   calls {@link retainFrame} and releases when done.
 */
export interface RawFrame {
  width: number;
  height: number;
  /**
   * RGBA bytes, `width * height * 4` long. Every capture has its own view object, so the view's identity tells
   * captures apart. Once a leased frame is recycled this view is detached: zero bytes long, it reads nothing.
   */
  data: Uint8Array;
  /** Clock time (ms) when the capture finished. */
  capturedAt: number;
  /** Monotonic per-device counter; two frames with the same id are the same capture. */
  id: number;
  /** Present when `data` is recycled capture memory; absent when the frame owns its pixels. */
  readonly lease?: FrameLease;
}

/**
 * The lifetime of a frame whose pixels live in a device's recycled capture memory.
 *
 * The contract:
 * 1. A device keeps its most recent `keepFrames` frames (default 2, an `AdbDevice` option) valid at all times:
 *    a frame is readable without any call until that many newer frames of the same device have been captured.
 *    Holding a frame while capturing the next one (comparing two consecutive frames, say) needs nothing more.
 * 2. A consumer that may keep a frame longer, or that hands its memory to code running elsewhere (a worker, the
 *    threadpool: matching, encoding, recording), calls `retain()` first and the returned release function when
 *    done, in a `finally`. A retained frame is never recycled; the device allocates more memory instead. Every
 *    retain must be released, or the device holds that memory until it is closed.
 * 3. `release()` says the capturer is done with the frame before its turn: its memory is reused at the next
 *    capture unless it is retained. Optional; it only lets a device get by with less memory.
 * 4. When a frame is recycled, its `data` view is detached (zero bytes long), so stale pixels can never be read by
 *    mistake; `valid` turns false and `retain()` throws {@link FrameRecycledError}.
 * Closing a device does not invalidate the frames it captured.
 */
export interface FrameLease {
  /** True while `data` holds this frame's pixels. */
  readonly valid: boolean;
  /**
   * Keeps the pixels until the returned function is called (calling it again does nothing).
   * @throws FrameRecycledError when the frame was already recycled.
   */
  retain(): () => void;
  /** The capturer is done with the frame: its memory may be reused once nothing retains it. Idempotent. */
  release(): void;
}

/** A recycled frame was used: its memory already holds a newer capture. */
export class FrameRecycledError extends Error {
  constructor(readonly frameId: number) {
    super(`frame ${frameId} was recycled: its memory holds a newer capture (retain a frame to keep it longer)`);
    this.name = 'FrameRecycledError';
  }
}

const NO_RELEASE = (): void => undefined;

/**
 * Retains a frame's pixels (see {@link FrameLease}); for a frame that owns its memory this does nothing.
 * @returns the release function (idempotent).
 * @throws FrameRecycledError when the frame was already recycled.
 */
export function retainFrame(frame: Pick<RawFrame, 'lease'>): () => void {
  return frame.lease ? frame.lease.retain() : NO_RELEASE;
}

/** True unless the frame's memory was recycled. */
export function isFrameValid(frame: Pick<RawFrame, 'lease'>): boolean {
  return frame.lease ? frame.lease.valid : true;
}

export interface CallOptions {
  /** Milliseconds before the call fails with a `timeout` DeviceError. Each method has a sensible default. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type CaptureMethod = 'raw' | 'png';

export interface ShellResult {
  stdout: string;
  /** Present when the transport reports it (shell v2); otherwise undefined. */
  exitCode?: number;
}

export type DeviceErrorCode = 'offline' | 'timeout' | 'command-failed' | 'aborted' | 'protocol';

export class DeviceError extends FleetError<DeviceErrorCode> {
  constructor(
    code: DeviceErrorCode,
    message: string,
    readonly serial?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'DeviceError';
  }
}

export function isDeviceError(e: unknown, code?: DeviceErrorCode): e is DeviceError {
  return e instanceof DeviceError && (code === undefined || e.code === code);
}

/** Android key: a KEYCODE_* name (`BACK`, `KEYCODE_HOME`) or a numeric code. */
export type KeyCode = string | number;

export interface Device {
  readonly serial: string;

  /** The capture method in use (picked by measurement at connect unless forced). */
  readonly captureMethod: CaptureMethod;

  /** A new frame; see {@link RawFrame} for how long its pixels stay valid. */
  screenshot(opts?: CallOptions): Promise<RawFrame>;
  tap(x: number, y: number, opts?: CallOptions): Promise<void>;
  longPress(x: number, y: number, durationMs: number, opts?: CallOptions): Promise<void>;
  swipe(x1: number, y1: number, x2: number, y2: number, durationMs: number, opts?: CallOptions): Promise<void>;
  /** Types any Unicode text byte-exact; never passes it through a shell unquoted. */
  text(text: string, opts?: CallOptions): Promise<void>;
  key(key: KeyCode, opts?: CallOptions): Promise<void>;

  /** `component` is `package/.Activity` or `package/full.Activity`. */
  startApp(component: string, opts?: CallOptions): Promise<void>;
  stopApp(pkg: string, opts?: CallOptions): Promise<void>;
  restartApp(component: string, opts?: CallOptions): Promise<void>;
  /** Package of the focused window, or undefined (for example on the launcher it is the launcher's package). */
  foregroundPackage(opts?: CallOptions): Promise<string | undefined>;
  isAppInForeground(pkg: string, opts?: CallOptions): Promise<boolean>;

  push(data: Uint8Array, remotePath: string, opts?: CallOptions & { mode?: number }): Promise<void>;
  pull(remotePath: string, opts?: CallOptions): Promise<Uint8Array>;

  displaySize(opts?: CallOptions): Promise<Size>;
  shell(command: string, opts?: CallOptions): Promise<ShellResult>;

  /** Releases connections; later calls fail with `offline`. */
  close(): Promise<void>;
}
