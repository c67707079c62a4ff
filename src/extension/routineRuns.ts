/**
 * Runs one routine on one device, outside any group: the run under "Run Routine on a Device"
 * (src/extension/editor/runRoutine.ts). The routine's events go to `onEvent` (the log, the Routine Runs output and
 * the editor's step marking); the run ends with its result, or early when `signal` aborts.
 */
import type { Fleet } from '../host/fleet';
import type { RoutineResult } from '../bot/routine/interpreter';
import type { RoutineEvent } from '../shared/routineEvents';
import type { Logger } from '../shared/ports';

export interface RoutineRunRequest {
  routine: string;
  /** The device's serial (as the Devices view lists it). */
  serial: string;
  params?: Record<string, unknown>;
  signal?: AbortSignal;
  logger: Logger;
  onEvent?: (e: RoutineEvent) => void;
}

/** One line for the log, or undefined for events not worth a line. */
export function describeRoutineEvent(e: RoutineEvent): string | undefined {
  const at = 'range' in e && e.range ? ` (${e.range.file}:${e.range.start.line})` : '';
  switch (e.type) {
    case 'routine.start':
      return `▶ ${e.routine}`;
    case 'routine.end':
      return `■ ${e.routine}${e.ok ? '' : ' failed'}`;
    case 'step.end':
      return e.ok ? undefined : `✗ ${e.step}${at}${e.error ? `: ${e.error}` : ''}`;
    case 'step.start':
      return `  ${e.step}${at}`;
    case 'log':
      return `  log: ${e.message}`;
    case 'error':
      return `✗ ${e.message}${at}`;
    default:
      return undefined;
  }
}

/** Runs `routine` on the device `serial`; resolves with the routine's result. The device is closed after. */
export async function runRoutineOnDevice(fleet: Fleet, r: RoutineRunRequest): Promise<RoutineResult> {
  const device = fleet.devices.list().find((d) => d.serial === r.serial);
  const opened = await fleet.devices.open(device?.instance ?? r.serial, { serial: r.serial, signal: r.signal });
  const runDir = `.fleet/runs/${r.routine.replace(/[^A-Za-z0-9_-]+/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const interp = fleet.createInterpreter({ device: opened.device, logger: r.logger, runDir });
  const sub = interp.onDidEmit((e) => {
    r.onEvent?.(e);
  });
  try {
    return await interp.run(r.routine, r.params ?? {}, { signal: r.signal, variables: { bot_instance: 1, cycle: 1 } });
  } finally {
    sub.dispose();
    interp.dispose();
    await opened.device.close();
  }
}
