/**
 * The seams inside the virtual Android device: the ADB transport and shell (`adbd.ts`, `shell.ts`, `vfs.ts`,
 * `hostEndpoint.ts`) on one side, the demo game (`game/`) on the other.
 */

export interface VirtualFile {
  data: Buffer;
  mode: number;
  mtimeMs: number;
}

/** The device's in-memory filesystem, shared by `sync:` push/pull, `cat`/`ls`, and the game. */
export interface VirtualFs {
  read(path: string): VirtualFile | undefined;
  write(path: string, data: Buffer, mode?: number): void;
  remove(path: string): boolean;
  /** Entry names directly under `dir` ([] when none); directories are implied by file paths. */
  list(dir: string): { name: string; isDir: boolean; size: number; mode: number; mtimeMs: number }[];
  isDir(path: string): boolean;
}

export type PopupKind = 'daily' | 'notice' | 'error';

/** What the device asks of the app it runs (the demo game "Pocket Packs"). */
export interface VirtualApp {
  readonly packageName: string;
  readonly activity: string;
  readonly width: number;
  readonly height: number;

  /** RGBA of the current screen (`width*height*4`). Rendering may be cached; animation advances with the clock. */
  render(): Promise<Buffer>;
  /** Bumps whenever what `render` would return may have changed. */
  readonly version: number;

  tap(x: number, y: number): void;
  swipe(x1: number, y1: number, x2: number, y2: number, durationMs: number): void;
  longPress(x: number, y: number, durationMs: number): void;
  text(s: string): void;
  /** Android key code number (4 = BACK, 3 = HOME, 66 = ENTER, ...). */
  key(code: number): void;

  /** `am start -n pkg/.Act`: true when the component is this app. */
  start(component: string): boolean;
  /** `am force-stop pkg` */
  forceStop(pkg: string): void;
  /** Fault: the app crashes to the launcher. */
  crash(): void;
  /** Package/activity of the focused window: the game's or the launcher's. */
  focused(): { pkg: string; activity: string };
  /** PID while the game process lives, else undefined. */
  pid(): number | undefined;

  /** The true screen state, for tests: JSON-serialisable. */
  state(): Record<string, unknown>;
  /** Tests: make the next transition show this pop-up. */
  forcePopup(kind: PopupKind): void;
}

export const LAUNCHER_PACKAGE = 'com.android.launcher3';
export const LAUNCHER_ACTIVITY = '.Launcher';
