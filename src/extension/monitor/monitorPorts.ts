/**
 * What the monitor's host side needs from the fleet, the editor and the recorder: small ports, so the message loop
 * (monitorSession.ts) runs in plain Node under unit tests with fakes, and the panel (monitorPanel.ts) passes the
 * real ones. No vscode import here.
 */
import type { RawFrame } from '../../bot/device';
import type { JpegOptions } from '../../bot/vision/frameEncoder';
import type { Disposable } from '../../shared/lifecycle';
import type { BotAction, BotRef, TakeoverInput } from '../../shared/monitorProtocol';
import type { FleetSnapshot, FleetEvent } from '../../shared/fleetTypes';

/** A frame of a bot handed to the monitor: retained for it until `release()` (the core's BotFrame). */
export interface MonitorFrame {
  /** Per-bot frame number (the `frame` of `bot.frame`). */
  readonly frame: number;
  readonly raw: RawFrame;
  readonly width: number;
  readonly height: number;
  /** Capture wall time, epoch ms. */
  readonly time: number;
  release(): void;
}

export type MonitorResult = { ok: true; message?: string } | { ok: false; error: { code: string; message: string } };

export type GroupRunAction = 'start' | 'stop' | 'pause' | 'resume';

/** The fleet as the monitor sees it (one orchestrator's lifetime). */
export interface MonitorFleetPort {
  /** Random per orchestrator lifetime: a view that sees another one drops what it knew. */
  readonly sessionId: string;
  /** The model at the feed's last `seq` (consistent with `onEvent`: subscribe in the same tick). */
  snapshot(): FleetSnapshot;
  onEvent(listener: (e: FleetEvent) => void): Disposable;
  /** The bot's latest capture, retained for the caller; undefined before its first. */
  latestFrame(bot: BotRef): MonitorFrame | undefined;
  /** The latest capture when at most `maxAgeMs` old, else a fresh one (shared with a capture under way). */
  requestFrame(bot: BotRef, opts: { maxAgeMs: number }): Promise<MonitorFrame>;
  groupCommand(action: GroupRunAction, group: string): Promise<MonitorResult>;
  botCommand(action: BotAction, bot: BotRef): Promise<MonitorResult>;
  /** Deletes a group's definition (refused while it runs). */
  deleteGroup(group: string): Promise<MonitorResult>;
  /** Manual input on a PAUSED bot's device (device pixels); refused unless the bot is paused. */
  botInput(bot: BotRef, input: TakeoverInput): Promise<MonitorResult>;
}

/** What the monitor asks of the editor. */
export interface MonitorUiPort {
  /** A modal confirmation; true when the user chose `action`. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  /** Opens a workspace-relative file, at a 1-based line and column when given. */
  openFile(file: string, line?: number, col?: number): Promise<void>;
  /** Runs a command by id (the create-group wizard). */
  executeCommand(id: string): Promise<void>;
}

/** A saved frame: its file, and whether it is lossless (PNG) or the recorded JPEG (then `note` says why). */
export interface SavedFrame {
  path: string;
  lossless: boolean;
  note?: string;
}

/** Saving from the recorder (frames under the fleet folder's .fleet/frames, reports where the settings say). */
export interface MonitorSavePort {
  /**
   * Stores a frame: the current one losslessly as PNG; a recorded one as PNG while the recorder holds its lossless
   * copy, else as the recorded JPEG.
   */
  saveFrame(bot: BotRef, frame?: number): Promise<SavedFrame>;
  /** Writes a bug report folder; resolves with its path. `askFolder`: into a folder the user picks. */
  saveBugReport(bot: BotRef, opts?: { askFolder?: boolean }): Promise<string>;
}

export type JpegEncoder = (frame: RawFrame, opts: JpegOptions) => Promise<Uint8Array>;

export interface TimerPort {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  /** Monotonic ms. */
  now(): number;
}

export const realTimers: TimerPort = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};
