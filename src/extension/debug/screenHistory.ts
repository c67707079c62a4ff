/**
 * The Screen view's history: the frame each of the last steps saw. An attached bot's come from the monitor's flight
 * recorder (which records every bot of a running group); a launched routine's from a small recorder of the
 * session's own, fed with the device's captures and the run's step events. No vscode import.
 */
import type { RawFrame } from '../../bot/device';
import { encodeJpeg } from '../../bot/vision/frameEncoder';
import { stepLabel, type RecordedFrame } from '../../orchestrator/recorder';
import type { ScreenHistoryFrame } from '../../shared/debugScreenProtocol';
import type { RoutineEvent } from '../../shared/routineEvents';
import type { DebugRecorderView } from './ports';

/** Steps shown in the history. */
export const HISTORY_STEPS = 6;
/** The label of frames captured before the first step. */
export const BEFORE_FIRST_STEP = '(start)';

/**
 * The last frame of each of the last `limit` step runs, newest first: consecutive frames of one step collapse to
 * the newest (the frame the step saw last before the next one started).
 */
export function stepHistory(frames: readonly RecordedFrame[], limit = HISTORY_STEPS): RecordedFrame[] {
  const out: RecordedFrame[] = [];
  let previous: string | undefined;
  for (let i = frames.length - 1; i >= 0 && out.length < limit; i--) {
    const f = frames[i]!;
    const step = f.step ?? BEFORE_FIRST_STEP;
    if (step !== previous) {
      out.push(f);
      previous = step;
    }
  }
  return out;
}

export function historyFrames(frames: readonly RecordedFrame[], limit = HISTORY_STEPS): ScreenHistoryFrame[] {
  return stepHistory(frames, limit).map((f) => ({
    frame: f.frame,
    step: f.step ?? BEFORE_FIRST_STEP,
    time: f.time,
    jpeg: Buffer.from(f.jpeg).toString('base64'),
    width: f.device.width,
    height: f.device.height,
    error: f.error,
  }));
}

interface LaunchShot {
  frame: number;
  time: number;
  step?: string;
  device: { width: number; height: number };
  error: boolean;
  /** The thumbnail, encoded as soon as the frame was captured (undefined: the encode failed). */
  jpeg: Promise<Uint8Array | undefined>;
}

/**
 * A launched routine's own history: the newest capture of each of its last steps as a small JPEG, tagged with the
 * step running when it was captured. Each capture is encoded at once (the device may recycle its buffer after);
 * `frames()` waits for the encodes, so a stop's history holds every capture made before it.
 */
export class LaunchRecorder implements DebugRecorderView {
  private shots: LaunchShot[] = [];
  private step: string | undefined;
  private n = 0;

  constructor(private readonly o: { steps?: number; maxWidth?: number; onError?: (e: unknown) => void } = {}) {}

  /** A capture of the device: it replaces the previous capture of the same step run. */
  frame(frame: RawFrame): void {
    const jpeg = encodeJpeg(frame, { maxWidth: this.o.maxWidth ?? 360, quality: 70 }).then(
      (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
      (e: unknown) => {
        this.o.onError?.(e);
        return undefined;
      },
    );
    const shot: LaunchShot = { frame: ++this.n, time: Date.now(), device: { width: frame.width, height: frame.height }, error: false, jpeg, ...(this.step !== undefined ? { step: this.step } : {}) };
    const last = this.shots[this.shots.length - 1];
    if (last && last.step === shot.step) {
      this.shots[this.shots.length - 1] = shot;
    } else {
      this.shots.push(shot);
      if (this.shots.length > (this.o.steps ?? HISTORY_STEPS) + 1) {
        this.shots.shift();
      }
    }
  }

  event(e: RoutineEvent): void {
    if (e.type === 'step.start') {
      this.step = stepLabel(e);
    } else if (e.type === 'routine.end' && e.depth === 0) {
      this.step = undefined;
    } else if (e.type === 'error' || (e.type === 'step.end' && !e.ok)) {
      const last = this.shots[this.shots.length - 1];
      if (last) {
        last.error = true;
      }
    }
  }

  /** A restart: the new run's history starts empty. */
  clear(): void {
    this.shots = [];
    this.step = undefined;
  }

  /** The recorded captures, oldest first, once encoded. */
  async frames(): Promise<RecordedFrame[]> {
    const shots = [...this.shots];
    const out: RecordedFrame[] = [];
    for (const s of shots) {
      const jpeg = await s.jpeg;
      if (jpeg) {
        out.push({ frame: s.frame, time: s.time, width: s.device.width, height: s.device.height, device: s.device, jpeg, error: s.error, events: [], ...(s.step !== undefined ? { step: s.step } : {}) });
      }
    }
    return out;
  }
}
