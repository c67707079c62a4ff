/**
 * The fleet's name-addressed commands as the extension's commands use them: the orchestrator's typed FleetResult
 * turned into a thrown FleetOpError (code and message kept; the command runner shows the message once).
 */
import type { Fleet } from '../host/fleet';
import { FleetError } from '../shared/errors';
import type { BotSnapshot, FleetErrorCode, FleetResult, GroupSnapshot } from '../shared/fleetTypes';

export class FleetOpError extends FleetError<FleetErrorCode> {
  constructor(code: FleetErrorCode, message: string) {
    super(code, message);
    this.name = 'FleetOpError';
  }
}

/** The value of a result, or its error thrown. */
export function unwrap<T>(r: FleetResult<T>): T {
  if (!r.ok) {
    const d = r.error.diagnostic;
    throw new FleetOpError(r.error.code, d && !r.error.message.includes(`${d.line}:${d.col}`) ? `${r.error.message} (${d.file}:${d.line}:${d.col})` : r.error.message);
  }
  return r.value;
}

/** Starts the saved definition `name` (the account database opens first when it draws on a pool). */
export async function startGroup(fleet: Fleet, name: string): Promise<GroupSnapshot> {
  const def = fleet.orchestrator.listGroupDefinitions().find((d) => d.name === name);
  if (def?.accountPool !== undefined) {
    await fleet.pools();
  }
  return unwrap(await fleet.orchestrator.startGroup(name));
}

export async function stopGroup(fleet: Fleet, name: string, opts: { force?: boolean; timeoutMs?: number } = {}): Promise<GroupSnapshot> {
  return unwrap(await fleet.orchestrator.stopGroup(name, opts));
}

export async function pauseGroup(fleet: Fleet, name: string): Promise<GroupSnapshot> {
  return unwrap(await fleet.orchestrator.pauseGroup(name));
}

export async function resumeGroup(fleet: Fleet, name: string): Promise<GroupSnapshot> {
  return unwrap(await fleet.orchestrator.resumeGroup(name));
}

export async function pauseBot(fleet: Fleet, group: string, instance: string): Promise<BotSnapshot> {
  return unwrap(await fleet.orchestrator.pauseBot(group, instance));
}

export async function resumeBot(fleet: Fleet, group: string, instance: string): Promise<BotSnapshot> {
  return unwrap(await fleet.orchestrator.resumeBot(group, instance));
}

/** Stops the bot gracefully (its account returns to the pool) and starts a fresh one on the same instance. */
export async function restartBot(fleet: Fleet, group: string, instance: string): Promise<BotSnapshot> {
  return unwrap(await fleet.orchestrator.restartBot(group, instance));
}

/** Stops every running group: gracefully within `timeoutMs`, then forced. */
export async function stopAllGroups(fleet: Fleet, timeoutMs: number): Promise<void> {
  await fleet.orchestrator.stopAll({ timeoutMs });
}
