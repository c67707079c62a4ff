/**
 * The fleet's name-addressed commands as the extension uses them (start, stop, pause, resume a group; pause,
 * resume, restart one bot), over the orchestrator. Errors are the core's typed errors (their message says what).
 */
import type { Fleet } from '../host/fleet';
import type { LaunchResult } from '../orchestrator/botGroup';
import { FleetError } from '../shared/errors';
import type { GroupSnapshot } from '../shared/fleetTypes';

export class FleetOpError extends FleetError<'unknown-group' | 'not-running' | 'unknown-bot' | 'group-active'> {
  constructor(code: FleetOpError['code'], message: string) {
    super(code, message);
    this.name = 'FleetOpError';
  }
}

function active(fleet: Fleet, name: string) {
  const g = fleet.orchestrator.getGroup(name);
  if (!g || !g.isRunning()) {
    throw new FleetOpError('not-running', `group '${name}' is not running`);
  }
  return g;
}

/** Creates the run of a saved definition and starts it; resolves once its bots are launched. */
export async function startGroup(fleet: Fleet, name: string): Promise<LaunchResult> {
  const o = fleet.orchestrator;
  const running = o.getGroup(name);
  if (running?.isRunning()) {
    throw new FleetOpError('group-active', `group '${name}' is already running`);
  }
  const def = await o.loadGroupDefinition(name);
  if (def.accountPool !== undefined) {
    await fleet.pools(); // the account database opens before the bots ask it for accounts
  }
  const group = o.createGroup(def);
  try {
    return await group.start();
  } catch (e) {
    if (!group.isRunning()) {
      group.dispose();
    }
    throw e;
  }
}

export async function stopGroup(fleet: Fleet, name: string, opts: { force?: boolean; timeoutMs?: number } = {}): Promise<GroupSnapshot> {
  active(fleet, name);
  return fleet.orchestrator.shutdownGroup(name, opts);
}

export function pauseGroup(fleet: Fleet, name: string): void {
  active(fleet, name).pause();
}

export function resumeGroup(fleet: Fleet, name: string): void {
  active(fleet, name).resume();
}

function bot(fleet: Fleet, group: string, instance: string) {
  const b = active(fleet, group).getBot(instance);
  if (!b) {
    throw new FleetOpError('unknown-bot', `group '${group}' has no bot on instance '${instance}'`);
  }
  return b;
}

export function pauseBot(fleet: Fleet, group: string, instance: string): void {
  bot(fleet, group, instance).pause();
}

export function resumeBot(fleet: Fleet, group: string, instance: string): void {
  bot(fleet, group, instance).resume();
}

/** Stops the bot (gracefully) and starts a new one on the same instance. */
export async function restartBot(fleet: Fleet, group: string, instance: string): Promise<void> {
  const g = active(fleet, group);
  if (!g.getBot(instance)) {
    throw new FleetOpError('unknown-bot', `group '${group}' has no bot on instance '${instance}'`);
  }
  await g.shutdownBot(instance);
  g.createBot(instance); // starts it
}

/** Stops every running group: gracefully within `timeoutMs`, then forced. */
export async function stopAllGroups(fleet: Fleet, timeoutMs: number): Promise<void> {
  await fleet.orchestrator.stopAll({ timeoutMs });
}
