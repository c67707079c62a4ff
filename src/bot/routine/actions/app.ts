/** App actions (`launchApp`, `stopApp`, `restartApp`) and `screenshot` (PNG into the run folder). */
import type { SourceRange } from '../../../shared/geometry';
import { retainFrame, type FrameLease } from '../../device';
import type { Engine, ExecContext } from '../context';
import { RoutineError } from '../errors';
import { resolveString } from '../interpolate';
import type { StepOf } from '../loadedTypes';

/** The component to start: the step's value or the routine's `app`, interpolated. */
export function componentOf(value: string | undefined, ctx: ExecContext, range: SourceRange, action: string): string {
  const raw = value ?? appOf(ctx);
  if (raw === undefined) {
    throw new RoutineError('invalid-value', `${action}: no app given and the routine has no 'app' (write ${action}: package/.Activity)`, range);
  }
  return resolveString(raw, ctx.lookup, action, range);
}

/** The package of a component (`pkg/.Activity` → `pkg`). */
export function packageOf(component: string): string {
  return component.split('/')[0];
}

/** The `app` of the innermost routine of the call chain that declares one. */
export function appOf(ctx: ExecContext): string | undefined {
  for (let f: ExecContext['frame'] | undefined = ctx.frame; f; f = f.parent) {
    if (f.routine.app) {
      return f.routine.app;
    }
  }
  return undefined;
}

export async function launchApp(step: StepOf<'launchApp'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const component = componentOf(step.args.component, ctx, step.range, 'launchApp');
  if (!component.includes('/')) {
    throw new RoutineError('invalid-value', `launchApp: '${component}' is a package; give a component like ${component}/.MainActivity`, step.range);
  }
  await engine.deviceCall(ctx, 'launchApp', (o) => engine.device.startApp(component, o), true);
}

export async function stopApp(step: StepOf<'stopApp'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const pkg = packageOf(componentOf(step.args.package, ctx, step.range, 'stopApp'));
  await engine.deviceCall(ctx, 'stopApp', (o) => engine.device.stopApp(pkg, o), true);
}

export async function restartApp(step: StepOf<'restartApp'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const component = componentOf(step.args.component, ctx, step.range, 'restartApp');
  if (!component.includes('/')) {
    throw new RoutineError('invalid-value', `restartApp: '${component}' is a package; give a component like ${component}/.MainActivity`, step.range);
  }
  await engine.deviceCall(ctx, 'restartApp', (o) => engine.device.restartApp(component, o), true);
}

/** Encodes a frame as PNG with sharp (loaded on first use); a frame in recycled memory is retained meanwhile. */
export async function encodePng(frame: { width: number; height: number; data: Uint8Array; readonly lease?: FrameLease }): Promise<Uint8Array> {
  const release = retainFrame(frame);
  try {
    const sharp = (await import('sharp')).default;
    const buf = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 4 } })
      .png({ compressionLevel: 1 })
      .toBuffer();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } finally {
    release();
  }
}

/** A file name from the screenshot name: safe characters only, `.png` added. */
export function screenshotFileName(name: string | undefined, fallback: string): string {
  const base = (name ?? fallback).replace(/\.png$/i, '').replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[.]+/, '_').slice(0, 120);
  return `${base || fallback}.png`;
}

export async function screenshot(step: StepOf<'screenshot'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const name = step.args.name === undefined ? undefined : resolveString(step.args.name, ctx.lookup, 'screenshot', step.range);
  if (engine.fileStore === undefined || engine.runDir === undefined) {
    // The host gives every interpreter the workspace's file store and a run folder; a bare interpreter has neither.
    throw new RoutineError('io', `screenshot: cannot save: this run has no ${engine.fileStore === undefined ? 'file store' : 'run folder'} to save screenshots into`, step.range);
  }
  const frame = await engine.frames.get({ signal: ctx.signal });
  const stamp = engine.clock.wallNow().toISOString().replace(/[:]/g, '-');
  const file = screenshotFileName(name, `screenshot-${stamp}`);
  const dir = engine.runDir.replace(/[\\/]+$/, '');
  const rel = dir === '' || dir === '.' ? file : `${dir}/${file}`;
  try {
    const png = await encodePng(frame);
    await engine.fileStore.writeFileAtomic(rel, png);
  } catch (e) {
    throw new RoutineError('io', `screenshot: cannot save ${file}: ${e instanceof Error ? e.message : String(e)}`, step.range, { cause: e });
  }
  engine.emit(ctx, { type: 'log', level: 'info', message: `screenshot saved: ${rel}`, range: step.range });
}
