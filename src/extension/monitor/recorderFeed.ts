/**
 * Feeds the flight recorder from a fleet: every bot's captures (`bot.frame` + the bot's latest frame: no extra
 * capture) and the events around them (routine events, state changes); a removed group's bots are forgotten. It
 * runs whether the monitor is open or not, so the template capture view and the debugger find the frames too.
 * No vscode import.
 */
import type { Disposable } from '../../shared/lifecycle';
import type { FleetEvent } from '../../shared/fleetTypes';
import type { FlightRecorder } from '../../orchestrator/recorder';
import type { MonitorFleetPort } from './monitorPorts';

export function feedRecorder(fleet: MonitorFleetPort, recorder: FlightRecorder): Disposable {
  const onEvent = (e: FleetEvent): void => {
    switch (e.type) {
      case 'bot.frame': {
        if (recorder.capacity.framesPerBot === 0) {
          return;
        }
        const ref = { group: e.group, instance: e.instance };
        const f = fleet.latestFrame(ref);
        if (!f) {
          return;
        }
        try {
          // The recorder retains what it keeps; the viewer's own retain goes at once.
          recorder.recordFrame(ref, f.raw, { frame: f.frame, time: f.time });
        } finally {
          f.release();
        }
        return;
      }
      case 'bot.routine': {
        const r = e.event;
        const ref = { group: e.group, instance: e.instance };
        if (r.type === 'input') {
          // The routine's own taps, swipes, text and keys: input events, told apart from the user's by `by`.
          recorder.recordEvent(ref, {
            kind: 'input',
            time: r.time,
            by: 'routine',
            input: r.input,
            ...(r.step !== undefined ? { step: r.step } : {}),
            ...(r.id !== undefined ? { stepId: r.id } : {}),
            ...(r.path !== undefined ? { path: r.path } : {}),
            ...(r.rung !== undefined ? { rung: r.rung } : {}),
          });
        } else {
          recorder.recordEvent(ref, { kind: 'routine', time: r.time, event: r });
        }
        return;
      }
      case 'bot.state':
        recorder.recordEvent({ group: e.group, instance: e.instance }, { kind: 'state', time: e.time, state: e.state, ...(e.previous !== undefined ? { previous: e.previous } : {}) });
        return;
      case 'group.removed':
        recorder.forgetGroup(e.group);
        return;
      default:
        return;
    }
  };
  return fleet.onEvent(onEvent);
}
