/** Input actions: `tap`, `longPress`, `swipe`, `text`, `key`. Coordinates are scaled from the routine's reference size. */
import type { Point, Rect, SourceRange } from '../../../shared/geometry';
import type { Engine, ExecContext } from '../context';
import { RoutineError } from '../errors';
import { resolveBool, resolveDuration, resolveNumber, resolveString, type VariableLookup } from '../interpolate';
import type { PointValue, RegionValue, StepOf, Target } from '../schema';

/** Where a target resolved to: device pixels, plus a key identifying it for stuck detection. */
export interface ResolvedTarget {
  point: Point;
  key: string;
}

export function resolvePoint(v: PointValue, lookup: VariableLookup, what: string, range: SourceRange): Point {
  return { x: resolveNumber(v.x, lookup, `${what}.x`, range), y: resolveNumber(v.y, lookup, `${what}.y`, range) };
}

export function resolveRegion(v: RegionValue, lookup: VariableLookup, what: string, range: SourceRange): Rect {
  return {
    x: resolveNumber(v.x, lookup, `${what}.x`, range, { min: 0 }),
    y: resolveNumber(v.y, lookup, `${what}.y`, range, { min: 0 }),
    w: resolveNumber(v.w, lookup, `${what}.w`, range, { min: 1 }),
    h: resolveNumber(v.h, lookup, `${what}.h`, range, { min: 1 }),
  };
}

/**
 * Resolves a tap target to device pixels. A template that is not on screen gives undefined when the target is
 * optional, otherwise a located `target-not-found` error.
 */
export async function resolveTarget(engine: Engine, ctx: ExecContext, target: Target, range: SourceRange): Promise<ResolvedTarget | undefined> {
  const lookup = ctx.lookup;
  switch (target.kind) {
    case 'point': {
      const p = resolvePoint(target, lookup, 'tap', range);
      return { point: await engine.toDevice(ctx, p), key: `point:${p.x},${p.y}` };
    }
    case 'region': {
      const r = resolveRegion(target.region, lookup, 'region', range);
      const c = { x: r.x + r.w / 2, y: r.y + r.h / 2 };
      return { point: await engine.toDevice(ctx, c), key: `region:${r.x},${r.y},${r.w},${r.h}` };
    }
    case 'template': {
      const name = resolveString(target.template, lookup, 'template', range);
      const threshold = target.threshold === undefined ? undefined : resolveNumber(target.threshold, lookup, 'threshold', range, { min: 0, max: 1 });
      const region = target.region ? resolveRegion(target.region, lookup, 'region', range) : undefined;
      const optional = resolveBool(target.optional, lookup, 'optional', range);
      const frame = await engine.frames.get({ signal: ctx.signal });
      const m = await engine.find(ctx, name, { threshold, region }, range);
      if (!m.found) {
        if (optional) {
          return undefined;
        }
        throw new RoutineError('target-not-found', `template '${name}' is not on screen (best score ${m.score.toFixed(3)} < threshold ${m.threshold})`, range);
      }
      let p = await engine.frameToDevice(ctx, m.center, frame);
      if (target.offset) {
        const off = resolvePoint(target.offset, lookup, 'offset', range);
        // Scaling is linear, so the offset scales like a point.
        const d = await engine.toDevice(ctx, off);
        p = { x: p.x + d.x, y: p.y + d.y };
      }
      return { point: p, key: `template:${name}` };
    }
  }
}

function round(p: Point): Point {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}

export async function tap(step: StepOf<'tap'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const t = await resolveTarget(engine, ctx, step.args.target, step.range);
  if (!t) {
    engine.emit(ctx, { type: 'log', level: 'debug', message: 'optional tap target not on screen: skipped', range: step.range });
    return;
  }
  const p = round(t.point);
  await engine.deviceCall(ctx, 'tap', (o) => engine.device.tap(p.x, p.y, o), true);
  engine.noteTap(ctx, p, t.key);
}

export async function longPress(step: StepOf<'longPress'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const duration = resolveDuration(step.args.duration, ctx.lookup, 'duration', step.range);
  const t = await resolveTarget(engine, ctx, step.args.target, step.range);
  if (!t) {
    engine.emit(ctx, { type: 'log', level: 'debug', message: 'optional longPress target not on screen: skipped', range: step.range });
    return;
  }
  const p = round(t.point);
  await engine.deviceCall(ctx, 'longPress', (o) => engine.device.longPress(p.x, p.y, duration, { ...o, timeoutMs: duration + 10_000 }), true);
  engine.noteTap(ctx, p, t.key);
}

export async function swipe(step: StepOf<'swipe'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const from = round(await engine.toDevice(ctx, resolvePoint(step.args.from, ctx.lookup, 'from', step.range)));
  const to = round(await engine.toDevice(ctx, resolvePoint(step.args.to, ctx.lookup, 'to', step.range)));
  const duration = resolveDuration(step.args.duration, ctx.lookup, 'duration', step.range);
  await engine.deviceCall(ctx, 'swipe', (o) => engine.device.swipe(from.x, from.y, to.x, to.y, duration, { ...o, timeoutMs: duration + 10_000 }), true);
}

export async function text(step: StepOf<'text'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const s = resolveString(step.args.text, ctx.lookup, 'text', step.range);
  await engine.deviceCall(ctx, 'text', (o) => engine.device.text(s, o), true);
}

/** Normalises a key after interpolation: numbers (or numeric text) are key codes, names get `KEYCODE_`. */
export function normaliseKey(v: unknown, range: SourceRange): string | number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    return v;
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^\d+$/.test(t)) {
      return Number(t);
    }
    const u = t.toUpperCase();
    if (/^[A-Z0-9_]+$/.test(u)) {
      return u.startsWith('KEYCODE_') ? u : `KEYCODE_${u}`;
    }
  }
  throw new RoutineError('invalid-value', `key: expected a key name (BACK, HOME, KEYCODE_*) or a key code, got ${JSON.stringify(v)}`, range);
}

export async function key(step: StepOf<'key'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const raw = typeof step.args.key === 'string' && step.args.key.includes('${') ? resolveString(step.args.key, ctx.lookup, 'key', step.range) : step.args.key;
  const k = normaliseKey(raw, step.range);
  await engine.deviceCall(ctx, 'key', (o) => engine.device.key(k, o), true);
}
