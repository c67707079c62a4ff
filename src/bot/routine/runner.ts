/**
 * The routine interpreter as a bot's RoutineRunner: one interpreter per bot, a failed run turned into a typed
 * RoutineRunError that carries the device's own error as its cause (so the bot tells a dropped device from a routine
 * failure). The host builds the factory with the fleet's vision, routines, clock and file store.
 */
import type { RoutineRunner, RoutineRunnerContext, RoutineRunnerFactory, RoutineRunOptions } from '../bot';
import { DeviceError, type Device } from '../device';
import { FleetError } from '../../shared/errors';
import type { SourceRange } from '../../shared/geometry';
import type { Event } from '../../shared/lifecycle';
import type { Clock, FileStore } from '../../shared/ports';
import type { RoutineEvent } from '../../shared/routineEvents';
import type { Vision } from '../vision/types';
import type { RoutineErrorCode } from './errors';
import { debugTargetOf, type DebugAttachOptions, type RoutineDebugTarget } from './debug';
import { RoutineInterpreter } from './interpreter';
import type { RoutineRegistry } from './registry';

/**
 * A routine run that ended with an error, as a typed error (the bot decides on restarts and device drops). Its
 * `cause` is the device's own error when the routine failed on the device, so the bot tells a dropped device
 * (`offline`, even a short blip) from a routine failure.
 */
export class RoutineRunError extends FleetError<RoutineErrorCode> {
  constructor(
    code: RoutineErrorCode,
    message: string,
    readonly range?: SourceRange,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'RoutineRunError';
  }
}

/**
 * A view of `device` that remembers the last error a call of it threw (the interpreter's result keeps only the
 * error's code and message).
 */
function recordingDevice(device: Device, record: (e: unknown) => void): Device {
  return new Proxy(device, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') {
        return v;
      }
      const fn = v as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        let r: unknown;
        try {
          r = fn.apply(target, args);
        } catch (e) {
          record(e);
          throw e;
        }
        if (r instanceof Promise) {
          return r.catch((e: unknown) => {
            record(e);
            throw e;
          });
        }
        return r;
      };
    },
  });
}

/** The routine interpreter as a bot's RoutineRunner: a failed result becomes a RoutineRunError. */
export class InterpreterRunner implements RoutineRunner {
  readonly onDidEmit: Event<RoutineEvent>;
  /** The debugger handle of this runner's interpreter (a debug adapter attaches to one bot through it). */
  readonly debug: RoutineDebugTarget;
  private lastDeviceError: unknown;

  /** `debugDefaults`: what every debugger attached through `debug` gets unless it says otherwise (the bot's deviceInfo). */
  constructor(
    readonly interpreter: RoutineInterpreter,
    debugDefaults: DebugAttachOptions = {},
  ) {
    this.onDidEmit = interpreter.onDidEmit;
    this.debug = debugTargetOf(interpreter, debugDefaults);
  }

  /** Wraps the device given to the interpreter so that a failed run can carry the device's error as its cause. */
  static deviceFor(runner: () => InterpreterRunner | undefined, device: Device): Device {
    return recordingDevice(device, (e) => {
      const r = runner();
      if (r && e instanceof DeviceError) {
        r.lastDeviceError = e;
      }
    });
  }

  async run(name: string, params: Record<string, unknown>, opts: RoutineRunOptions): Promise<unknown> {
    this.lastDeviceError = undefined;
    const r = await this.interpreter.run(name, params, { signal: opts.signal, variables: opts.variables });
    if (!r.ok) {
      const e = r.error;
      const code = e?.code ?? 'internal';
      // The result may carry its cause itself; otherwise a device failure gets the device's last error.
      const own = e && typeof e === 'object' && 'cause' in e ? (e as { cause?: unknown }).cause : undefined;
      const cause = own ?? (code === 'device' ? this.lastDeviceError : undefined);
      throw new RoutineRunError(code, e?.message ?? 'the routine failed', e?.range, cause !== undefined ? { cause } : undefined);
    }
    return r;
  }

  pause(): void {
    this.interpreter.pause();
  }

  resume(): void {
    this.interpreter.resume();
  }

  dispose(): void {
    this.interpreter.dispose();
  }
}

export interface InterpreterRunnerFactoryOptions {
  vision: Vision;
  routines: RoutineRegistry;
  clock: Clock;
  files?: FileStore;
  /** Folder for routine screenshots, relative to the workspace. */
  runDir?: string;
}

export class InterpreterRunnerFactory implements RoutineRunnerFactory {
  constructor(private readonly o: InterpreterRunnerFactoryOptions) {}

  create(ctx: RoutineRunnerContext): RoutineRunner {
    const runner: InterpreterRunner = new InterpreterRunner(
      new RoutineInterpreter({
        device: InterpreterRunner.deviceFor(() => runner, ctx.device),
        vision: this.o.vision,
        clock: this.o.clock,
        logger: ctx.logger,
        routines: this.o.routines,
        accounts: ctx.accounts,
        fileStore: this.o.files,
        runDir: this.o.runDir,
      }),
      ctx.deviceInfo ? { deviceInfo: ctx.deviceInfo } : {},
    );
    return runner;
  }
}
