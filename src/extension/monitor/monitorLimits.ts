/** The flight recorder's limits from the settings (no vscode import: unit-tested in plain Node). */
import type { RecorderLimits } from '../../orchestrator/recorder';
import type { FleetSettings } from '../settings';

/** Read live: the monitor service applies them on every settings change. */
export function recorderLimits(s: Pick<FleetSettings, 'recorderFrames' | 'recorderMemoryMB' | 'recorderFps' | 'recorderLosslessFrames'>): Required<RecorderLimits> {
  return {
    framesPerBot: s.recorderFrames,
    memoryBytes: s.recorderMemoryMB * 1024 * 1024,
    minIntervalMs: 1000 / s.recorderFps,
    losslessFrames: s.recorderLosslessFrames,
  };
}
