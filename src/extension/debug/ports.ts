/**
 * What the debug session needs from its surroundings, as small ports (no vscode import): the fleet a launch runs on
 * (routines, a device, an account pool, an interpreter), the bots a debugger can attach to, and a file reader.
 * Inline in the extension host they are the extension's fleet; in the standalone adapter, a fleet built for the
 * launch's workspace (see fleetLaunch.ts and standalone.ts).
 */
import type { AccountPort } from '../../bot/accounts';
import type { Device, RawFrame } from '../../bot/device';
import type { RecordedFrame } from '../../orchestrator/recorder';
import type { DebugDeviceInfo } from '../../bot/routine/debug';
import type { DebugTargets } from '../../bot/routine/debugTargets';
import type { RoutineInterpreter } from '../../bot/routine/interpreter';
import { FleetError } from '../../shared/errors';
import type { Diagnostic } from '../../shared/geometry';
import type { Logger } from '../../shared/ports';
import type { FleetLaunchArguments } from './config';

export type { DebugTargets } from '../../bot/routine/debugTargets';

/** A routine of the workspace, as the launch needs it. */
export interface LaunchRoutineEntry {
  name: string;
  /** Workspace-relative, `/`-separated (`routines/farm_premium.yaml`). */
  file: string;
  valid: boolean;
  diagnostics: readonly Diagnostic[];
}

/** The device of a launch; `close` undoes what opening it started (a virtual device is stopped). */
export interface LaunchDevice {
  device: Device;
  serial: string;
  /** Serial, capture and input latency measured on this device (the device scope). */
  info(): DebugDeviceInfo;
  close(): Promise<void>;
}

/** An account port of one pool for one debug run; `close` releases every lease it still holds and disposes it. */
export interface LaunchAccounts {
  port: AccountPort;
  close(): Promise<void>;
}

/** The fleet a launch runs on. */
export interface LaunchFleet {
  /** Absolute path of the workspace folder: a routine's file is `root/<file>`. */
  readonly root: string;
  routineNames(): readonly string[];
  routine(name: string): LaunchRoutineEntry | undefined;
  /** Reads the routines again (a restart picks up edits); optional. */
  reloadRoutines?(): Promise<void>;
  /** `virtual` starts a virtual device for the session; anything else is a serial of the fleet's devices. */
  openDevice(device: string, opts: { seed?: number; signal?: AbortSignal; onFrame?: (frame: RawFrame) => void }): Promise<LaunchDevice>;
  /** Names of the workspace's pools (for the error message of an unknown one). */
  poolNames(): Promise<readonly string[]>;
  openAccounts(pool: string, owner: { bot: string; routine: string }): Promise<LaunchAccounts>;
  createInterpreter(o: { device: Device; accounts?: AccountPort; logger?: Logger; runDir?: string }): RoutineInterpreter;
  /** Ends what the fleet holds for this session (standalone: the whole fleet; inline: nothing). */
  close(): Promise<void>;
}

/** Reads files for `source` requests and checks a routine path given in a launch configuration. */
export interface FileAccessor {
  readFile(path: string): Promise<Uint8Array>;
}

export interface DebugSessionHost {
  /** The fleet a launch runs on (inline: the extension's; standalone: one built for `args.root`). */
  openFleet(args: FleetLaunchArguments): Promise<LaunchFleet>;
  /** The bots of running groups (attach); absent where no group runs (the standalone adapter). */
  targets?: DebugTargets;
  /** Absolute workspace folder of the fleet whose bots `targets` reaches (routine files are `root/<file>`). */
  root?: string;
  files: FileAccessor;
  /**
   * The monitor's flight recorder (inline): the frames an attached bot saw at its earlier steps (the Screen view's
   * history). A launch records its own captures.
   */
  recorder?: () => DebugRecorderView | undefined;
  /** Where the session's own problems go (never stdout: the standalone adapter speaks the protocol there). */
  logger?: Logger;
}

/** What the session reads of a flight recorder: a bot's recorded frames, oldest first. */
export interface DebugRecorderView {
  frames(group: string, instance: string): RecordedFrame[] | Promise<RecordedFrame[]>;
}

export type DebugLaunchErrorCode = 'unknown-routine' | 'invalid-routine' | 'unknown-pool' | 'device' | 'no-fleet' | 'no-targets' | 'unknown-target' | 'invalid-configuration';

/** A launch or attach that cannot start, with the reason the user reads. */
export class DebugLaunchError extends FleetError<DebugLaunchErrorCode> {
  constructor(code: DebugLaunchErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DebugLaunchError';
  }
}
