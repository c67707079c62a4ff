/**
 * The monitor's flight recorder as the template tools see it ({@link RecordedFrames}): every bot's recorded frames,
 * newest first, and one frame's pixels decoded from its JPEG. No vscode import.
 */
import type { FlightRecorder } from '../../orchestrator/recorder';
import type { ImageDecoder } from '../../bot/vision/imageCodec';
import type { RecordedFrameInfo, RecordedFrames } from './frameSources';

type RecorderView = Pick<FlightRecorder, 'botRefs' | 'frames' | 'frame'>;

/**
 * `group`, instance, frame number and capture time in one id (the group name may hold any character but NUL). A
 * bot's frame numbers start again with each run of its group while the recorder keeps the earlier run's frames:
 * the time tells two frames of the same number apart.
 */
function idOf(group: string, instance: string, frame: number, time: number): string {
  return `${group}\u0000${instance}\u0000${frame}\u0000${time}`;
}

function parseId(id: string): { group: string; instance: string; frame: number; time: number } | undefined {
  const parts = id.split('\u0000');
  if (parts.length !== 4 || !/^\d+$/.test(parts[2]!) || !/^-?\d+(\.\d+)?$/.test(parts[3]!)) {
    return undefined;
  }
  return { group: parts[0]!, instance: parts[1]!, frame: Number(parts[2]), time: Number(parts[3]) };
}

export function recordedFramesOf(recorder: () => RecorderView | undefined, decoder: ImageDecoder): RecordedFrames {
  return {
    list(opts = {}) {
      const r = recorder();
      const out: RecordedFrameInfo[] = [];
      for (const ref of r?.botRefs() ?? []) {
        const bot = `${ref.group} / bot ${String(ref.instance)}`;
        if (opts.bot !== undefined && opts.bot !== bot) {
          continue;
        }
        for (const f of r!.frames(ref.group, ref.instance)) {
          const matches = f.events.flatMap((e) => (e.kind === 'routine' && e.event.type === 'match' ? [{ template: e.event.template, found: e.event.found }] : []));
          out.push({ id: idOf(ref.group, String(ref.instance), f.frame, f.time), bot, time: f.time, ...(matches.length ? { matches } : {}) });
        }
      }
      out.sort((a, b) => b.time - a.time);
      return Promise.resolve(opts.limit !== undefined ? out.slice(0, Math.max(0, opts.limit)) : out);
    },
    async read(id) {
      const at = parseId(id);
      const f = at && recorder()?.frame(at.group, at.instance, at.frame, at.time);
      if (!at || !f) {
        throw new Error('that recorded frame is gone (the recorder keeps the newest frames only)');
      }
      const img = await decoder.decode(f.jpeg, `recorded frame ${at.frame} of ${at.group} / bot ${at.instance}`);
      return { width: img.width, height: img.height, data: img.data, label: `${at.group} / bot ${at.instance} #${at.frame}` };
    },
  };
}
