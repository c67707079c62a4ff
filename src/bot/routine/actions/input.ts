/** Input actions: `tap`, `longPress`, `swipe`, `text`, `key`. Coordinates are scaled from the routine's reference size. */
import type { Point, Rect, SourceRange } from '../../../shared/geometry';
import type { Engine, ExecContext } from '../context';
import { RoutineError } from '../errors';
import { resolveBool, resolveDuration, resolveNumber, resolveString, valueRange, type ValueLocator, type VariableLookup } from '../interpolate';
import { RULES, type NumberRule } from '../valueRules';
import type { PointValue, RegionValue, StepOf, Target } from '../loadedTypes';

/** Where a target resolved to: device pixels, plus a key identifying it for stuck detection. */
export interface ResolvedTarget {
  point: Point;
  key: string;
}

/** A point; `at(key)` locates errors at the value. Coordinates follow {@link RULES.coordinate} unless `rule` says otherwise. */
export function resolvePoint(v: PointValue, lookup: VariableLookup, what: string, at: ValueLocator, rule: NumberRule = RULES.coordinate): Point {
  return { x: resolveNumber(v.x, lookup, `${what}.x`, at('x'), rule), y: resolveNumber(v.y, lookup, `${what}.y`, at('y'), rule) };
}

/** A region (`x`, `y` at least 0, `w`, `h` greater than 0: the schema's rules). */
export function resolveRegion(v: RegionValue, lookup: VariableLookup, what: string, at: ValueLocator): Rect {
  return {
    x: resolveNumber(v.x, lookup, `${what}.x`, at('x'), RULES.edge),
    y: resolveNumber(v.y, lookup, `${what}.y`, at('y'), RULES.edge),
    w: resolveNumber(v.w, lookup, `${what}.w`, at('w'), RULES.size),
    h: resolveNumber(v.h, lookup, `${what}.h`, at('h'), RULES.size),
  };
}

/** Locator of the values under `base` (a path like `steps[2].tap`) of the context's routine. */
export function locator(ctx: ExecContext, base: string, fallback: SourceRange): ValueLocator {
  return (rel) => valueRange(ctx.frame.routine, rel ? `${base}.${rel}` : base, fallback);
}

/**
 * Resolves a tap target to device pixels. A template that is not on screen gives undefined when the target is
 * optional, otherwise a located `target-not-found` error. `at` locates the target's values (`x`, `region.w`).
 */
export async function resolveTarget(engine: Engine, ctx: ExecContext, target: Target, range: SourceRange, at: ValueLocator = () => range): Promise<ResolvedTarget | undefined> {
  const lookup = ctx.lookup;
  const sub = (prefix: string): ValueLocator => (rel) => at(`${prefix}.${rel}`);
  switch (target.kind) {
    case 'point': {
      const p = resolvePoint(target, lookup, 'tap', at);
      return { point: await engine.toDevice(ctx, p), key: `point:${p.x},${p.y}` };
    }
    case 'region': {
      const r = resolveRegion(target.region, lookup, 'region', sub('region'));
      const c = { x: r.x + r.w / 2, y: r.y + r.h / 2 };
      return { point: await engine.toDevice(ctx, c), key: `region:${r.x},${r.y},${r.w},${r.h}` };
    }
    case 'template': {
      const name = resolveString(target.template, lookup, 'template', at('template'));
      const threshold = target.threshold === undefined ? undefined : resolveNumber(target.threshold, lookup, 'threshold', at('threshold'), RULES.threshold);
      const region = target.region ? resolveRegion(target.region, lookup, 'region', sub('region')) : undefined;
      const optional = resolveBool(target.optional, lookup, 'optional', at('optional'));
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
        const off = resolvePoint(target.offset, lookup, 'offset', sub('offset'), RULES.offset);
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
  const t = await resolveTarget(engine, ctx, step.args.target, step.range, locator(ctx, `${step.path}.tap`, step.range));
  if (!t) {
    engine.emit(ctx, { type: 'log', level: 'debug', message: 'optional tap target not on screen: skipped', range: step.range });
    return;
  }
  const p = round(t.point);
  await engine.deviceCall(ctx, 'tap', (o) => engine.device.tap(p.x, p.y, o), true);
  engine.noteTap(ctx, p, t.key);
  engine.noteInput(ctx, { kind: 'tap', x: p.x, y: p.y });
}

export async function longPress(step: StepOf<'longPress'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const at = locator(ctx, `${step.path}.longPress`, step.range);
  const duration = resolveDuration(step.args.duration, ctx.lookup, 'duration', at('duration'));
  const t = await resolveTarget(engine, ctx, step.args.target, step.range, at);
  if (!t) {
    engine.emit(ctx, { type: 'log', level: 'debug', message: 'optional longPress target not on screen: skipped', range: step.range });
    return;
  }
  const p = round(t.point);
  await engine.deviceCall(ctx, 'longPress', (o) => engine.device.longPress(p.x, p.y, duration, { ...o, timeoutMs: duration + 10_000 }), true);
  engine.noteTap(ctx, p, t.key);
  engine.noteInput(ctx, { kind: 'longPress', x: p.x, y: p.y, durationMs: duration });
}

export async function swipe(step: StepOf<'swipe'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const at = locator(ctx, `${step.path}.swipe`, step.range);
  const from = round(await engine.toDevice(ctx, resolvePoint(step.args.from, ctx.lookup, 'from', (k) => at(`from.${k}`))));
  const to = round(await engine.toDevice(ctx, resolvePoint(step.args.to, ctx.lookup, 'to', (k) => at(`to.${k}`))));
  const duration = resolveDuration(step.args.duration, ctx.lookup, 'duration', at('duration'));
  await engine.deviceCall(ctx, 'swipe', (o) => engine.device.swipe(from.x, from.y, to.x, to.y, duration, { ...o, timeoutMs: duration + 10_000 }), true);
  engine.noteInput(ctx, { kind: 'swipe', from, to, durationMs: duration });
}

export async function text(step: StepOf<'text'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const s = resolveString(step.args.text, ctx.lookup, 'text', valueRange(ctx.frame.routine, `${step.path}.text`, step.range));
  await engine.deviceCall(ctx, 'text', (o) => engine.device.text(s, o), true);
  // Text from a variable may be a secret (a password): only its length is told.
  const literal = typeof step.args.text === 'string' && !step.args.text.includes('${');
  engine.noteInput(ctx, { kind: 'text', chars: [...s].length, ...(literal ? { text: s } : {}) });
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
  engine.noteInput(ctx, { kind: 'key', key: k });
}
