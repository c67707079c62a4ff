/** Variable actions: `set`, `increment`, `decrement`, and `log`. */
import type { Engine, ExecContext } from '../context';
import { RoutineError } from '../errors';
import { describe, interpolateDeep, resolveNumber, resolveString } from '../interpolate';
import type { StepOf } from '../loadedTypes';
import { toNumber } from '../variables';

export async function set(step: StepOf<'set'>, ctx: ExecContext, engine: Engine): Promise<void> {
  // Values are computed first, so `set: {a: "${b}", b: 2}` reads the old b: one step, one snapshot.
  const values: Array<[string, unknown]> = Object.entries(step.args.values).map(([k, v]) => [k, interpolateDeep(v, ctx.lookup, step.range, `set.${k}`)]);
  for (const [k, v] of values) {
    engine.setVariable(ctx, k, v);
  }
}

async function add(step: StepOf<'increment'> | StepOf<'decrement'>, ctx: ExecContext, engine: Engine, sign: 1 | -1): Promise<void> {
  const name = step.args.var;
  const by = resolveNumber(step.args.by, ctx.lookup, 'by', step.range);
  const current = ctx.lookup(name);
  const n = current === undefined || current === null ? 0 : toNumber(current);
  if (n === undefined) {
    throw new RoutineError('invalid-value', `${step.action}: variable '${name}' is not a number (it is ${describe(current)})`, step.range);
  }
  engine.setVariable(ctx, name, n + sign * by);
}

export async function increment(step: StepOf<'increment'>, ctx: ExecContext, engine: Engine): Promise<void> {
  await add(step, ctx, engine, 1);
}

export async function decrement(step: StepOf<'decrement'>, ctx: ExecContext, engine: Engine): Promise<void> {
  await add(step, ctx, engine, -1);
}

export async function log(step: StepOf<'log'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const message = resolveString(step.args.message, ctx.lookup, 'log', step.range);
  const level = step.args.level;
  engine.logger.log(level, message, { routine: ctx.frame.name, path: step.path });
  engine.emit(ctx, { type: 'log', level, message, range: step.range });
}
