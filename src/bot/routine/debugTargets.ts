/**
 * The port through which a debug adapter reaches the bots of running groups (attach): find one bot's debug target
 * by group and instance, list them for a picker. The orchestrator side implements it (the host's
 * {@link DebugTargets} over its groups' bots); the adapter only uses it, so it never touches a group or a bot.
 */
import type { Event } from '../../shared/lifecycle';
import type { RoutineEvent } from '../../shared/routineEvents';
import type { DebugDeviceInfo, RoutineDebugTarget } from './debug';

/** One bot a debugger can attach to. */
export interface DebugTargetEntry {
  group: string;
  instance: string;
  /** The routine debugger's handle of the bot's interpreter. */
  debug: RoutineDebugTarget;
  /** The device scope's extra figures (serial, capture and input latency) as the bot measures them. */
  deviceInfo(): DebugDeviceInfo;
  /** The bot's routine events (logs and errors are shown in the debug console); optional. */
  onDidEmit?: Event<RoutineEvent>;
}

/** A line of the attach picker. */
export interface DebugTargetInfo {
  group: string;
  instance: string;
  serial?: string;
  routine?: string;
  /** True while a routine runs on it now. */
  running: boolean;
  /** True while a debugger is attached to it. */
  attached: boolean;
}

export interface DebugTargets {
  /** The bot `instance` of the running group `group`, when it has an interpreter now. */
  find(group: string, instance: string): DebugTargetEntry | undefined;
  /** Every bot that can be attached to now. */
  list(): DebugTargetInfo[];
  /** The set of targets changed (a bot started, its runner was replaced after a reconnect, it stopped). */
  readonly onDidChange?: Event<void>;
}
