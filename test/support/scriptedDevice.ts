/**
 * A scripted fake Device for unit tests of the routine interpreter: its screen is one of a set of named screens,
 * inputs (taps, keys, ...) are recorded and may move it to another screen by rules, screens may move on by
 * themselves after a time (by the injected clock), and a queue can force the next screenshots. `ScriptedVision` is
 * the matching fake Vision: a template is "on screen" when the current screen lists it.
 *
 * Frames are small solid images whose colour is derived from the screen name (so "the screen changed" is visible
 * in the pixels), tagged with the screen name for the fake vision.
 */
import type { Point, Rect, Size } from '../../src/shared/geometry';
import { DeviceError, type CallOptions, type CaptureMethod, type Device, type KeyCode, type RawFrame, type ShellResult } from '../../src/bot/device';
import type { Clock } from '../../src/shared/ports';
import type { ColorResult, ColorSpec, MatchOverrides, MatchResult, TemplateRef, Vision } from '../../src/bot/vision/types';

export interface ScreenDef {
  /** Templates visible on this screen, with their box at the reference size (540x960). */
  templates?: Record<string, Rect>;
  /** After this long on the screen (clock ms), it moves on to `to`. */
  after?: { ms: number; to: string };
  /** Colour of the frame (default derived from the name): `#rrggbb`. */
  color?: string;
  /** Package in the foreground while this screen shows (default the device's app package). */
  foreground?: string;
}

export type InputRecord =
  | { kind: 'tap'; x: number; y: number; screen: string; at: number }
  | { kind: 'longPress'; x: number; y: number; durationMs: number; screen: string; at: number }
  | { kind: 'swipe'; x1: number; y1: number; x2: number; y2: number; durationMs: number; screen: string; at: number }
  | { kind: 'text'; text: string; screen: string; at: number }
  | { kind: 'key'; key: KeyCode; screen: string; at: number }
  | { kind: 'startApp'; component: string; screen: string; at: number }
  | { kind: 'stopApp'; pkg: string; screen: string; at: number }
  | { kind: 'restartApp'; component: string; screen: string; at: number }
  | { kind: 'push'; path: string; bytes: number; screen: string; at: number };

/** A rule moving the device to another screen (or running a function) when an input matches. */
export interface TransitionRule {
  on: InputRecord['kind'];
  /** Only on this screen (any when absent). */
  screen?: string;
  /** For taps/long presses: only inside this rectangle (device pixels). A template name means its box on the screen. */
  region?: Rect | string;
  /** For keys: the key (normalised: `BACK` and `KEYCODE_BACK` are the same). */
  key?: string;
  /** The screen to go to, or a function to run (it may call `setScreen`). */
  to: string | ((dev: ScriptedDevice, input: InputRecord) => void);
}

export interface ScriptedDeviceOptions {
  screens: Record<string, ScreenDef>;
  start: string;
  clock: Clock;
  rules?: TransitionRule[];
  /** Display size (default 540x960). */
  size?: Size;
  /** Frame size (default: a fifth of the display size). */
  frameSize?: Size;
  /** Latency of every call (slept on the clock, abortable). */
  latencyMs?: number;
  /** Package of the app (default com.emulatorfleet.pocketpacks). */
  appPackage?: string;
  /** Screen shown after startApp/restartApp (default: `start`). */
  appStartScreen?: string;
  serial?: string;
}

export interface ScriptedFrame extends RawFrame {
  screen: string;
}

function normKey(k: KeyCode): string {
  if (typeof k === 'number') {
    return String(k);
  }
  const u = k.toUpperCase();
  return u.startsWith('KEYCODE_') ? u.slice(8) : u;
}

function colorOf(name: string, def?: ScreenDef): [number, number, number] {
  if (def?.color) {
    const n = parseInt(def.color.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  let h = 2166136261;
  for (const c of name) {
    h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  }
  return [h & 255, (h >>> 8) & 255, (h >>> 16) & 255];
}

export class ScriptedDevice implements Device {
  readonly serial: string;
  readonly captureMethod: CaptureMethod = 'raw';
  readonly inputs: InputRecord[] = [];
  readonly files = new Map<string, Uint8Array>();
  readonly screens: Record<string, ScreenDef>;
  readonly rules: TransitionRule[];
  /** Screens forced for the next screenshots (consumed first). */
  readonly queue: string[] = [];
  /** Every screen shown by a screenshot, in order. */
  readonly shown: string[] = [];
  screenshots = 0;
  private current: string;
  private enteredAt: number;
  private frameId = 0;
  private readonly frameCache = new Map<string, Uint8Array>();
  private failures: Array<{ method: string; error: Error; times: number }> = [];
  private closed = false;
  appRunning = true;

  constructor(readonly opts: ScriptedDeviceOptions) {
    this.screens = opts.screens;
    this.rules = opts.rules ?? [];
    this.current = opts.start;
    this.enteredAt = opts.clock.now();
    this.serial = opts.serial ?? 'scripted-1';
    if (!this.screens[opts.start]) {
      throw new Error(`unknown start screen ${opts.start}`);
    }
  }

  get size(): Size {
    return this.opts.size ?? { width: 540, height: 960 };
  }

  get frameSize(): Size {
    return this.opts.frameSize ?? { width: Math.round(this.size.width / 5), height: Math.round(this.size.height / 5) };
  }

  /** The current screen (after timed transitions). */
  get screen(): string {
    this.advanceTimed();
    return this.current;
  }

  setScreen(name: string): void {
    if (!this.screens[name]) {
      throw new Error(`unknown screen ${name}`);
    }
    this.current = name;
    this.enteredAt = this.opts.clock.now();
  }

  /** The next `times` calls of `method` fail with `error`. */
  failNext(method: keyof Device, error: Error = new DeviceError('command-failed', `${String(method)} failed (scripted)`), times = 1): void {
    this.failures.push({ method, error, times });
  }

  taps(): Array<{ x: number; y: number; screen: string }> {
    return this.inputs.filter((i): i is Extract<InputRecord, { kind: 'tap' }> => i.kind === 'tap').map(({ x, y, screen }) => ({ x, y, screen }));
  }

  keys(): string[] {
    return this.inputs.filter((i): i is Extract<InputRecord, { kind: 'key' }> => i.kind === 'key').map((i) => normKey(i.key));
  }

  /** The centre, in device pixels, of a template's box on a screen. */
  templateCenter(screen: string, template: string): Point {
    const b = this.screens[screen]?.templates?.[template];
    if (!b) {
      throw new Error(`no template ${template} on ${screen}`);
    }
    const sx = this.size.width / 540;
    const sy = this.size.height / 960;
    return { x: Math.round((b.x + b.w / 2) * sx), y: Math.round((b.y + b.h / 2) * sy) };
  }

  private advanceTimed(): void {
    for (let guard = 0; guard < 100; guard++) {
      const def = this.screens[this.current];
      if (!def?.after || this.opts.clock.now() - this.enteredAt < def.after.ms) {
        return;
      }
      const at = this.enteredAt + def.after.ms;
      this.current = def.after.to;
      this.enteredAt = at;
    }
  }

  private async call(method: keyof Device, opts?: CallOptions): Promise<void> {
    if (this.closed) {
      throw new DeviceError('offline', 'device closed', this.serial);
    }
    if (opts?.signal?.aborted) {
      throw new DeviceError('aborted', 'aborted', this.serial);
    }
    if (this.opts.latencyMs) {
      try {
        await this.opts.clock.sleep(this.opts.latencyMs, opts?.signal);
      } catch {
        throw new DeviceError('aborted', 'aborted', this.serial);
      }
    }
    const f = this.failures.find((x) => x.method === method);
    if (f) {
      if (--f.times <= 0) {
        this.failures = this.failures.filter((x) => x !== f);
      }
      throw f.error;
    }
  }

  private record(input: InputRecord): void {
    this.inputs.push(input);
    for (const rule of this.rules) {
      if (rule.on !== input.kind || (rule.screen !== undefined && rule.screen !== input.screen)) {
        continue;
      }
      if (rule.key !== undefined && (input.kind !== 'key' || normKey(input.key) !== normKey(rule.key))) {
        continue;
      }
      if (rule.region !== undefined && (input.kind === 'tap' || input.kind === 'longPress')) {
        const box = typeof rule.region === 'string' ? this.deviceBox(input.screen, rule.region) : rule.region;
        if (!box || input.x < box.x || input.y < box.y || input.x >= box.x + box.w || input.y >= box.y + box.h) {
          continue;
        }
      }
      if (typeof rule.to === 'string') {
        this.setScreen(rule.to);
      } else {
        rule.to(this, input);
      }
      return;
    }
  }

  private deviceBox(screen: string, template: string): Rect | undefined {
    const b = this.screens[screen]?.templates?.[template];
    if (!b) {
      return undefined;
    }
    const sx = this.size.width / 540;
    const sy = this.size.height / 960;
    return { x: Math.round(b.x * sx), y: Math.round(b.y * sy), w: Math.round(b.w * sx), h: Math.round(b.h * sy) };
  }

  private now(): number {
    return this.opts.clock.now();
  }

  async screenshot(opts?: CallOptions): Promise<ScriptedFrame> {
    await this.call('screenshot', opts);
    const forced = this.queue.shift();
    if (forced !== undefined) {
      this.setScreen(forced);
    }
    const screen = this.screen;
    this.screenshots++;
    this.shown.push(screen);
    let data = this.frameCache.get(screen);
    const { width, height } = this.frameSize;
    if (!data) {
      data = new Uint8Array(width * height * 4);
      const [r, g, b] = colorOf(screen, this.screens[screen]);
      for (let i = 0; i < data.length; i += 4) {
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
        data[i + 3] = 255;
      }
      this.frameCache.set(screen, data);
    }
    return { width, height, data, capturedAt: this.now(), id: ++this.frameId, screen };
  }

  async tap(x: number, y: number, opts?: CallOptions): Promise<void> {
    await this.call('tap', opts);
    this.record({ kind: 'tap', x, y, screen: this.screen, at: this.now() });
  }

  async longPress(x: number, y: number, durationMs: number, opts?: CallOptions): Promise<void> {
    await this.call('longPress', opts);
    this.record({ kind: 'longPress', x, y, durationMs, screen: this.screen, at: this.now() });
  }

  async swipe(x1: number, y1: number, x2: number, y2: number, durationMs: number, opts?: CallOptions): Promise<void> {
    await this.call('swipe', opts);
    this.record({ kind: 'swipe', x1, y1, x2, y2, durationMs, screen: this.screen, at: this.now() });
  }

  async text(text: string, opts?: CallOptions): Promise<void> {
    await this.call('text', opts);
    this.record({ kind: 'text', text, screen: this.screen, at: this.now() });
  }

  async key(key: KeyCode, opts?: CallOptions): Promise<void> {
    await this.call('key', opts);
    this.record({ kind: 'key', key, screen: this.screen, at: this.now() });
  }

  private appPackage(): string {
    return this.opts.appPackage ?? 'com.emulatorfleet.pocketpacks';
  }

  async startApp(component: string, opts?: CallOptions): Promise<void> {
    await this.call('startApp', opts);
    const wasRunning = this.appRunning;
    this.appRunning = true;
    if (!wasRunning && this.opts.appStartScreen) {
      this.setScreen(this.opts.appStartScreen);
    }
    this.record({ kind: 'startApp', component, screen: this.screen, at: this.now() });
  }

  async stopApp(pkg: string, opts?: CallOptions): Promise<void> {
    await this.call('stopApp', opts);
    this.appRunning = false;
    this.record({ kind: 'stopApp', pkg, screen: this.screen, at: this.now() });
  }

  async restartApp(component: string, opts?: CallOptions): Promise<void> {
    await this.call('restartApp', opts);
    this.appRunning = true;
    if (this.opts.appStartScreen) {
      this.setScreen(this.opts.appStartScreen);
    }
    this.record({ kind: 'restartApp', component, screen: this.screen, at: this.now() });
  }

  async foregroundPackage(opts?: CallOptions): Promise<string | undefined> {
    await this.call('foregroundPackage', opts);
    const def = this.screens[this.screen];
    return def?.foreground ?? (this.appRunning ? this.appPackage() : 'com.android.launcher3');
  }

  async isAppInForeground(pkg: string, opts?: CallOptions): Promise<boolean> {
    await this.call('isAppInForeground', opts);
    return (await this.foregroundPackage(opts)) === pkg;
  }

  async push(data: Uint8Array, remotePath: string, opts?: CallOptions & { mode?: number }): Promise<void> {
    await this.call('push', opts);
    this.files.set(remotePath, new Uint8Array(data));
    this.record({ kind: 'push', path: remotePath, bytes: data.length, screen: this.screen, at: this.now() });
  }

  async pull(remotePath: string, opts?: CallOptions): Promise<Uint8Array> {
    await this.call('pull', opts);
    const f = this.files.get(remotePath);
    if (!f) {
      throw new DeviceError('command-failed', `no such file: ${remotePath}`, this.serial);
    }
    return new Uint8Array(f);
  }

  async displaySize(opts?: CallOptions): Promise<Size> {
    await this.call('displaySize', opts);
    return { ...this.size };
  }

  async shell(command: string, opts?: CallOptions): Promise<ShellResult> {
    await this.call('shell', opts);
    return { stdout: '', exitCode: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Fake Vision keyed by screen: `find` succeeds when the frame's screen lists the template. */
export class ScriptedVision implements Vision {
  readonly calls: Array<{ template: string; screen: string; overrides?: MatchOverrides }> = [];
  /** Extra latency (clock ms) per find, abortable. */
  latencyMs = 0;

  constructor(
    private readonly device: ScriptedDevice,
    private readonly clock?: Clock,
  ) {}

  async find(frame: RawFrame, template: TemplateRef, overrides?: MatchOverrides, signal?: AbortSignal): Promise<MatchResult> {
    if (this.latencyMs && this.clock) {
      await this.clock.sleep(this.latencyMs, signal);
    }
    const name = typeof template === 'string' ? template : template.image;
    const screen = (frame as ScriptedFrame).screen;
    this.calls.push({ template: name, screen, overrides });
    const box = this.device.screens[screen]?.templates?.[name];
    const sx = frame.width / 540;
    const sy = frame.height / 960;
    const threshold = overrides?.threshold ?? 0.8;
    if (!box) {
      return { template: name, found: false, score: 0.2, threshold, box: { x: 0, y: 0, w: 0, h: 0 }, center: { x: 0, y: 0 }, scale: 1, matches: [], timeMs: 0 };
    }
    const b = { x: box.x * sx, y: box.y * sy, w: box.w * sx, h: box.h * sy };
    return {
      template: name,
      found: true,
      score: 0.99,
      threshold,
      box: b,
      center: { x: b.x + b.w / 2, y: b.y + b.h / 2 },
      scale: 1,
      matches: [{ ...b, score: 0.99, scale: 1 }],
      timeMs: 0,
    };
  }

  checkColor(frame: RawFrame, spec: ColorSpec): ColorResult {
    const px = frame.data;
    const actual = `#${[px[0], px[1], px[2]].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    const want = parseInt(spec.color.slice(1), 16);
    const distance = Math.max(Math.abs(px[0] - ((want >> 16) & 255)), Math.abs(px[1] - ((want >> 8) & 255)), Math.abs(px[2] - (want & 255)));
    return { ok: distance <= spec.tolerance, actual, distance };
  }
}
