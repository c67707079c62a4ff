/**
 * Control flow: `if`, `while`, `until`, `repeat`, `break`, `continue`, `call`, `return`, `stop`, `fail`, `assert`.
 * `break`/`continue` are signals caught only by the innermost loop that is running (a loop of the routine they
 * were raised in: a call boundary never lets them through); `if` and nested blocks let them pass untouched.
 */
import type { Engine, ExecContext } from '../context';
import { BreakSignal, ContinueSignal, ReturnSignal, RoutineError, StopSignal } from '../errors';
import { interpolateDeep, resolveNumber, resolveString, valueRange } from '../interpolate';
import { RULES } from '../valueRules';
import type { LoadedCondition, LoadedStep, StepOf } from '../loadedTypes';

export async function ifAction(step: StepOf<'if'>, ctx: ExecContext, engine: Engine): Promise<void> {
  for (const b of step.args.branches) {
    if (await engine.evaluate(b.condition, ctx)) {
      await engine.executeSteps(b.steps, ctx, { afterCondition: true });
      return;
    }
  }
  await engine.executeSteps(step.args.else, ctx);
}

/** Runs one loop body; returns 'break' when the body broke out of the loop. */
async function body(steps: readonly LoadedStep[], ctx: ExecContext, engine: Engine, afterCondition = false): Promise<'next' | 'break'> {
  try {
    await engine.executeSteps(steps, ctx, { afterCondition });
    return 'next';
  } catch (e) {
    if (e instanceof BreakSignal) {
      return 'break';
    }
    if (e instanceof ContinueSignal) {
      return 'next';
    }
    throw e;
  }
}

async function conditionalLoop(
  step: StepOf<'while'> | StepOf<'until'>,
  ctx: ExecContext,
  engine: Engine,
  goOn: (cond: LoadedCondition) => Promise<boolean>,
): Promise<void> {
  const max = step.args.max === undefined ? undefined : resolveNumber(step.args.max, ctx.lookup, 'max', valueRange(ctx.frame.routine, `${step.path}.max`, step.range), RULES.loopMax);
  let iterations = 0;
  for (;;) {
    if (!(await goOn(step.args.condition))) {
      return;
    }
    if (max !== undefined && iterations >= max) {
      const message = `${step.action}: still ${step.action === 'while' ? 'true' : 'false'} after ${max} iteration${max === 1 ? '' : 's'} (max)`;
      if (step.args.onExhausted === 'continue') {
        engine.emit(ctx, { type: 'log', level: 'info', message: `${message}; onExhausted: continue`, range: step.range });
        return;
      }
      throw new RoutineError('loop-exhausted', message, step.range);
    }
    iterations++;
    if ((await body(step.args.do, ctx, engine, true)) === 'break') {
      return;
    }
  }
}

export async function whileAction(step: StepOf<'while'>, ctx: ExecContext, engine: Engine): Promise<void> {
  await conditionalLoop(step, ctx, engine, (c) => engine.evaluate(c, ctx));
}

export async function untilAction(step: StepOf<'until'>, ctx: ExecContext, engine: Engine): Promise<void> {
  await conditionalLoop(step, ctx, engine, async (c) => !(await engine.evaluate(c, ctx)));
}

export async function repeat(step: StepOf<'repeat'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const times = resolveNumber(step.args.times, ctx.lookup, 'repeat', valueRange(ctx.frame.routine, `${step.path}.repeat`, step.range), RULES.repeat);
  for (let i = 0; i < times; i++) {
    if ((await body(step.args.do, ctx, engine)) === 'break') {
      return;
    }
  }
}

export async function breakAction(step: StepOf<'break'>): Promise<void> {
  throw new BreakSignal(step.range);
}

export async function continueAction(step: StepOf<'continue'>): Promise<void> {
  throw new ContinueSignal(step.range);
}

export async function call(step: StepOf<'call'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const name = resolveString(step.args.routine, ctx.lookup, 'call', step.range);
  const params = interpolateDeep(step.args.params, ctx.lookup, step.range, 'params') as Record<string, unknown>;
  const returned = await engine.callRoutine(name, params, ctx, step.range);
  for (const [local, from] of Object.entries(step.args.save)) {
    if (!(from in returned)) {
      throw new RoutineError('invalid-value', `save: routine '${name}' did not return '${from}' (it returned ${Object.keys(returned).map((k) => `'${k}'`).join(', ') || 'nothing'})`, step.range);
    }
    engine.setVariable(ctx, local, returned[from]);
  }
}

export async function returnAction(step: StepOf<'return'>, ctx: ExecContext): Promise<void> {
  const values = interpolateDeep(step.args.values, ctx.lookup, step.range, 'return') as Record<string, unknown>;
  throw new ReturnSignal(values);
}

export async function stop(step: StepOf<'stop'>, ctx: ExecContext): Promise<void> {
  const message = step.args.message === undefined ? undefined : resolveString(step.args.message, ctx.lookup, 'stop', step.range);
  throw new StopSignal(message);
}

export async function fail(step: StepOf<'fail'>, ctx: ExecContext): Promise<void> {
  const message = resolveString(step.args.message, ctx.lookup, 'fail', step.range);
  throw new RoutineError('fail', message, step.range);
}

export async function assert(step: StepOf<'assert'>, ctx: ExecContext, engine: Engine): Promise<void> {
  if (await engine.evaluate(step.args.condition, ctx)) {
    return;
  }
  const message = step.args.message === undefined ? `assertion failed: the ${step.args.condition.kind} condition does not hold` : resolveString(step.args.message, ctx.lookup, 'message', step.range);
  throw new RoutineError('fail', message, step.range);
}
