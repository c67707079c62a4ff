/**
 * Where the template tools take frames from (no vscode). The monitor's flight recorder plugs in through
 * {@link RecordedFrames} (a small port: until it is wired, no recorder frames are offered); live devices and PNG
 * files are read here.
 */
import type { Device } from '../../bot/device';
import { sharpDecoder } from '../../bot/vision/imageCodec';

/** An RGBA frame that owns its pixels. */
export interface OwnedFrame {
  width: number;
  height: number;
  data: Uint8Array;
  label: string;
}

export interface RecordedFrameInfo {
  id: string;
  /** "bot 2" */
  bot: string;
  /** Wall time, epoch ms. */
  time: number;
  /** The routine step that was running (its template names help the lab infer what should be found). */
  step?: { routine: string; step: string; line?: number };
  /** The run's template matches while this frame was on screen (a condition's or a `tap: template`'s). */
  matches?: Array<{ template: string; found: boolean }>;
}

/** The monitor's flight recorder, as the template tools use it. */
export interface RecordedFrames {
  /** The recorded frames, newest first (at most `limit`). */
  list(opts?: { bot?: string; limit?: number }): Promise<RecordedFrameInfo[]>;
  /** The pixels of one recorded frame. */
  read(id: string): Promise<OwnedFrame>;
}

/** No recorder (yet): nothing recorded. */
export const NO_RECORDER: RecordedFrames = {
  list: () => Promise.resolve([]),
  read: (id) => Promise.reject(new Error(`no flight recorder: frame ${id} cannot be read`)),
};

/** A screenshot of a device, copied out of its capture memory. */
export async function captureDevice(device: Device, label: string): Promise<OwnedFrame> {
  const f = await device.screenshot();
  try {
    return { width: f.width, height: f.height, data: new Uint8Array(f.data), label };
  } finally {
    f.lease?.release();
  }
}

/** The orchestrator's frames of running bots (a device a bot drives is read through its bot, not opened again). */
export interface BotFrameSource {
  requestBotFrame(group: string, instance: string, opts?: { maxAgeMs?: number }): Promise<{ raw: { data: Uint8Array }; width: number; height: number; release(): void }>;
}

/** A running bot's frame (its latest when at most `maxAgeMs` old, else a fresh capture), copied out. */
export async function captureBot(source: BotFrameSource, group: string, instance: string, label: string, maxAgeMs = 250): Promise<OwnedFrame> {
  const f = await source.requestBotFrame(group, instance, { maxAgeMs });
  try {
    return { width: f.width, height: f.height, data: new Uint8Array(f.raw.data), label };
  } finally {
    f.release();
  }
}

/** A PNG (or other image sharp reads) as RGBA. */
export async function decodeImageFile(bytes: Uint8Array, label: string): Promise<OwnedFrame> {
  const img = await sharpDecoder.decode(bytes, label);
  return { width: img.width, height: img.height, data: new Uint8Array(img.data), label };
}

export function timeLabel(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}
