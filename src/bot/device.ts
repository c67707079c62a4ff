/**
 * The device port: everything the core needs from one Android device. `AdbDevice` implements it over
 * @devicefarmer/adbkit; tests of the device path use the virtual device through real adb, never a mock.
 */
import type { Size } from '../shared/geometry';
import { FleetError } from '../shared/errors';

/** A captured screen: tightly packed RGBA, row-major. */
export interface RawFrame {
  width: number;
  height: number;
  /** RGBA bytes, `width * height * 4` long. */
  data: Uint8Array;
  /** Clock time (ms) when the capture finished. */
  capturedAt: number;
  /** Monotonic per-device counter; two frames with the same id are the same capture. */
  id: number;
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
