/**
 * A tiny VirtualApp for transport tests: a solid-colour screen whose colour changes on every tap, with a launcher
 * state, a process id and a record of everything it received.
 */
import { LAUNCHER_ACTIVITY, LAUNCHER_PACKAGE, type PopupKind, type VirtualApp, type VirtualFs } from '../../src/virtual/types';

export const TEST_APP_PACKAGE = 'com.emulatorfleet.testapp';
export const TEST_APP_ACTIVITY = '.MainActivity';

/** Colours the screen cycles through on taps (RGBA). */
export const TEST_APP_COLORS: readonly [number, number, number, number][] = [
  [200, 30, 30, 255],
  [30, 160, 60, 255],
  [40, 70, 220, 255],
  [240, 200, 20, 255],
];
export const LAUNCHER_COLOR: [number, number, number, number] = [16, 16, 16, 255];

export interface TestAppEvent {
  kind: 'tap' | 'swipe' | 'longpress' | 'text' | 'key' | 'start' | 'forceStop' | 'crash' | 'popup';
  args: unknown[];
}

export class TestApp implements VirtualApp {
  readonly packageName = TEST_APP_PACKAGE;
  readonly activity = TEST_APP_ACTIVITY;
  readonly events: TestAppEvent[] = [];
  version = 1;
  colorIndex = 0;
  foreground: boolean;
  text_ = '';
  popup: PopupKind | undefined;
  private processId: number | undefined;
  private nextPid = 5000;
  renders = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly fs?: VirtualFs,
    boot: 'title' | 'launcher' = 'title',
  ) {
    this.foreground = boot === 'title';
    this.processId = this.foreground ? this.nextPid++ : undefined;
  }

  render(): Promise<Buffer> {
    this.renders++;
    const [r, g, b, a] = this.foreground ? TEST_APP_COLORS[this.colorIndex % TEST_APP_COLORS.length] : LAUNCHER_COLOR;
    const buf = Buffer.allocUnsafe(this.width * this.height * 4);
    for (let i = 0; i < buf.length; i += 4) {
      buf[i] = r;
      buf[i + 1] = g;
      buf[i + 2] = b;
      buf[i + 3] = a;
    }
    // A marker in the top-left corner so frames are not uniform: the pixel at (0,0) encodes the version.
    buf[0] = this.version & 0xff;
    return Promise.resolve(buf);
  }

  tap(x: number, y: number): void {
    this.events.push({ kind: 'tap', args: [x, y] });
    if (this.foreground) {
      this.colorIndex++;
    } else if (Math.abs(x - this.width / 2) < 60 && Math.abs(y - this.height / 2) < 60) {
      this.launch();
    }
    this.version++;
  }

  swipe(x1: number, y1: number, x2: number, y2: number, durationMs: number): void {
    this.events.push({ kind: 'swipe', args: [x1, y1, x2, y2, durationMs] });
  }

  longPress(x: number, y: number, durationMs: number): void {
    this.events.push({ kind: 'longpress', args: [x, y, durationMs] });
  }

  text(s: string): void {
    this.events.push({ kind: 'text', args: [s] });
    this.text_ += s;
  }

  key(code: number): void {
    this.events.push({ kind: 'key', args: [code] });
    if (code === 3 || (code === 4 && this.foreground)) {
      this.foreground = false;
      this.version++;
    }
  }

  start(component: string): boolean {
    this.events.push({ kind: 'start', args: [component] });
    const [pkg, act] = component.split('/');
    if (pkg !== this.packageName || (act !== this.activity && act !== `${this.packageName}${this.activity}`)) {
      return false;
    }
    this.launch();
    return true;
  }

  forceStop(pkg: string): void {
    this.events.push({ kind: 'forceStop', args: [pkg] });
    if (pkg === this.packageName) {
      this.processId = undefined;
      if (this.foreground) {
        this.foreground = false;
        this.version++;
      }
    }
  }

  crash(): void {
    this.events.push({ kind: 'crash', args: [] });
    this.processId = undefined;
    this.foreground = false;
    this.version++;
  }

  focused(): { pkg: string; activity: string } {
    return this.foreground ? { pkg: this.packageName, activity: this.activity } : { pkg: LAUNCHER_PACKAGE, activity: LAUNCHER_ACTIVITY };
  }

  pid(): number | undefined {
    return this.processId;
  }

  state(): Record<string, unknown> {
    return {
      screen: this.foreground ? (this.popup ? `popup:${this.popup}` : 'solid') : 'launcher',
      colorIndex: this.colorIndex,
      text: this.text_,
      foreground: this.foreground,
      pid: this.processId ?? null,
      hasAccountFile: this.fs?.read('/data/data/com.emulatorfleet.testapp/account.xml') !== undefined,
    };
  }

  forcePopup(kind: PopupKind): void {
    this.events.push({ kind: 'popup', args: [kind] });
    this.popup = kind;
    this.version++;
  }

  /** Current RGBA colour of the screen body. */
  currentColor(): [number, number, number, number] {
    return this.foreground ? [...TEST_APP_COLORS[this.colorIndex % TEST_APP_COLORS.length]] : [...LAUNCHER_COLOR];
  }

  private launch(): void {
    if (this.processId === undefined) {
      this.processId = this.nextPid++;
    }
    if (!this.foreground) {
      this.foreground = true;
      this.version++;
    }
  }
}

/** An `app` factory for `VirtualDevice.start`: `VirtualDevice.start({ app: testAppFactory() })`. */
export function testAppFactory(opts: { boot?: 'title' | 'launcher'; onCreate?: (app: TestApp) => void; width?: number; height?: number } = {}): (fs: VirtualFs, now: () => number) => TestApp {
  return (fs) => {
    const app = new TestApp(opts.width ?? 540, opts.height ?? 960, fs, opts.boot ?? 'title');
    opts.onCreate?.(app);
    return app;
  };
}
