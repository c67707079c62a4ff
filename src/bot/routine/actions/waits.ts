/** Waiting actions: `wait`, `waitFor` (poll a condition), `waitStable` (until the screen stops changing). */
import type { Rect } from '../../../shared/geometry';
import type { RawFrame } from '../../device';
import type { Engine, ExecContext } from '../context';
import { formatDuration } from '../../../shared/durations';
import { RoutineError } from '../errors';
import { resolveDuration, resolveNumber, valueRange } from '../interpolate';
import { RULES } from '../valueRules';
import type { StepOf } from '../loadedTypes';
import { locator, resolveRegion } from './input';

/** Shortest poll interval (a 0 interval would spin without the clock moving). */
const MIN_INTERVAL_MS = 10;

/** A pixel counts as changed when one of its channels moved by more than this (absorbs encoder noise). */
export const PIXEL_CHANGE_THRESHOLD = 16;

export async function wait(step: StepOf<'wait'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const ms = resolveDuration(step.args.duration, ctx.lookup, 'wait', valueRange(ctx.frame.routine, `${step.path}.wait`, step.range));
  await engine.sleep(ms, ctx);
}

export async function waitFor(step: StepOf<'waitFor'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const at = locator(ctx, `${step.path}.waitFor`, step.range);
  const timeout = resolveDuration(step.args.timeout, ctx.lookup, 'timeout', at('timeout'));
  const interval = Math.max(MIN_INTERVAL_MS, resolveDuration(step.args.interval, ctx.lookup, 'interval', at('interval')));
  const deadline = engine.clock.now() + timeout;
  for (;;) {
    if (await engine.evaluate(step.args.condition, ctx)) {
      return;
    }
    const now = engine.clock.now();
    if (now >= deadline) {
      break;
    }
    await engine.sleep(Math.min(interval, deadline - now), ctx);
  }
  const message = `waitFor: the condition did not hold within ${formatDuration(timeout)}`;
  if (step.args.onTimeout === 'continue') {
    engine.emit(ctx, { type: 'log', level: 'info', message: `${message} (onTimeout: continue)`, range: step.range });
    return;
  }
  throw new RoutineError('wait-timeout', message, step.range);
}

export async function waitStable(step: StepOf<'waitStable'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const at = locator(ctx, `${step.path}.waitStable`, step.range);
  const timeout = resolveDuration(step.args.timeout, ctx.lookup, 'timeout', at('timeout'));
  const interval = Math.max(MIN_INTERVAL_MS, resolveDuration(step.args.interval, ctx.lookup, 'interval', at('interval')));
  const tolerance = resolveNumber(step.args.tolerance, ctx.lookup, 'tolerance', at('tolerance'), RULES.stableTolerance);
  const region = step.args.region ? resolveRegion(step.args.region, ctx.lookup, 'region', (k) => at(`region.${k}`)) : undefined;
  const ref = engine.referenceSize(ctx);
  const deadline = engine.clock.now() + timeout;
  let prev = await engine.frames.fresh({ signal: ctx.signal });
  for (;;) {
    const now = engine.clock.now();
    if (now >= deadline) {
      break;
    }
    await engine.sleep(Math.min(interval, deadline - now), ctx);
    const cur = await engine.frames.fresh({ signal: ctx.signal });
    const changed = changedFraction(prev, cur, region ? scaleRect(region, ref.width, ref.height, cur) : undefined);
    if (changed <= tolerance) {
      return;
    }
    prev = cur;
  }
  const message = `waitStable: the screen kept changing for ${formatDuration(timeout)}`;
  if (step.args.onTimeout === 'continue') {
    engine.emit(ctx, { type: 'log', level: 'info', message: `${message} (onTimeout: continue)`, range: step.range });
    return;
  }
  throw new RoutineError('wait-timeout', message, step.range);
}

function scaleRect(r: Rect, refW: number, refH: number, frame: { width: number; height: number }): Rect {
  const sx = frame.width / refW;
  const sy = frame.height / refH;
  return { x: Math.floor(r.x * sx), y: Math.floor(r.y * sy), w: Math.max(1, Math.round(r.w * sx)), h: Math.max(1, Math.round(r.h * sy)) };
}

/**
 * Fraction (0-1) of the pixels inside `region` (frame pixels, clamped; the whole frame when absent) whose colour
 * moved by more than {@link PIXEL_CHANGE_THRESHOLD} on some channel. Frames of different sizes differ entirely.
 */
export function changedFraction(a: RawFrame, b: RawFrame, region?: Rect): number {
  if (a.width !== b.width || a.height !== b.height) {
    return 1;
  }
  if (a.id === b.id && a.data === b.data) {
    return 0;
  }
  const x0 = Math.max(0, Math.min(a.width, region?.x ?? 0));
  const y0 = Math.max(0, Math.min(a.height, region?.y ?? 0));
  const x1 = Math.max(x0, Math.min(a.width, region ? region.x + region.w : a.width));
  const y1 = Math.max(y0, Math.min(a.height, region ? region.y + region.h : a.height));
  const total = (x1 - x0) * (y1 - y0);
  if (total === 0) {
    return 0;
  }
  const da = a.data;
  const db = b.data;
  const t = PIXEL_CHANGE_THRESHOLD;
  let changed = 0;
  for (let y = y0; y < y1; y++) {
    let i = (y * a.width + x0) * 4;
    const end = (y * a.width + x1) * 4;
    for (; i < end; i += 4) {
      if (Math.abs(da[i] - db[i]) > t || Math.abs(da[i + 1] - db[i + 1]) > t || Math.abs(da[i + 2] - db[i + 2]) > t) {
        changed++;
      }
    }
  }
  return changed / total;
}
