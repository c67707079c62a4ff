/**
 * `npm run bench -- interpreter [--steps N]`
 *
 * Speed of the routine interpreter on steps that never wait (a `repeat` of `increment`): microseconds per step,
 * with one listener on the event feed, and the longest the event loop was blocked while it ran
 * (perf_hooks.monitorEventLoopDelay): the interpreter gives the loop a turn after 10 ms of such steps, so a long
 * variables-only loop never freezes the other bots of the process.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Device } from '../src/bot/device';
import { nullLogger } from '../src/shared/loggers';
import { SystemClock } from '../src/shared/clock';
import { RoutineInterpreter } from '../src/bot/routine/interpreter';
import { parseRoutine } from '../src/bot/routine/loader';
import type { Vision } from '../src/bot/vision/types';
import { argValue, jsonLines, roundTo } from './stats';

export async function run(args: string[]): Promise<void> {
  const out = jsonLines('interpreter');
  const steps = Number(argValue(args, 'steps') ?? 200_000);
  const parsed = parseRoutine(`vars: { n: 0 }\nsteps:\n  - repeat: ${steps}\n    do:\n      - increment: n\n`, 'routines/bench.yaml', 'bench');
  const routine = parsed.value;
  if (!routine) {
    throw new Error('the bench routine does not load');
  }
  // Variables-only steps never touch the device or vision.
  const interp = new RoutineInterpreter({ device: {} as Device, vision: {} as Vision, clock: new SystemClock(), logger: nullLogger, routines: { get: () => routine } });
  let events = 0;
  interp.onDidEmit(() => events++);
  for (let round = 0; round < 3; round++) {
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const t0 = performance.now();
    const r = await interp.run('bench');
    const ms = performance.now() - t0;
    loop.disable();
    if (!r.ok) {
      throw new Error(r.error?.message);
    }
    out({ round, steps, usPerStep: roundTo((ms * 1000) / steps, 2), eventsPerStep: roundTo(events / steps, 2), loopBlockMaxMs: roundTo(loop.max / 1e6, 1) });
    events = 0;
  }
  interp.dispose();
}
