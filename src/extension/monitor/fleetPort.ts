/**
 * The monitor's view of one fleet (MonitorFleetPort over its orchestrator): the snapshot and the seq'd feed, the
 * name-addressed commands (their FleetResult as the reply), the bots' frames, and takeover input through
 * `Orchestrator.botInput` (refused unless the bot is paused). One port per orchestrator lifetime: its session id is
 * random, so a view that sees another one drops what it knew. No vscode import.
 */
import { randomUUID } from 'node:crypto';
import type { Fleet } from '../../host/fleet';
import { fleetResultError } from '../../orchestrator/orchestrator';
import type { FleetResult } from '../../shared/fleetTypes';
import { TAKEOVER_KEY_CODES, type TakeoverInput } from '../../shared/monitorProtocol';
import type { ManualInput } from '../../bot/bot';
import type { MonitorFleetPort, MonitorResult } from './monitorPorts';

function result(r: FleetResult<unknown>): MonitorResult {
  return r.ok ? { ok: true } : { ok: false, error: { code: r.error.code, message: r.error.message } };
}

export function manualInput(input: TakeoverInput): ManualInput {
  return input.kind === 'key' ? { kind: 'key', key: TAKEOVER_KEY_CODES[input.key] } : input;
}

export function fleetPort(fleet: Fleet): MonitorFleetPort {
  const o = fleet.orchestrator;
  return {
    sessionId: randomUUID(),
    snapshot: () => o.snapshot(),
    onEvent: (listener) => o.onDidEmitFleetEvent(listener),
    // The bots' own captures (retained for the caller, who releases them).
    latestFrame: (bot) => o.botFrame(bot.group, bot.instance),
    requestFrame: (bot, opts) => o.requestBotFrame(bot.group, bot.instance, opts),
    groupCommand: async (action, group) => {
      switch (action) {
        case 'start':
          return result(await o.startGroup(group));
        case 'stop':
          return result(await o.stopGroup(group));
        case 'pause':
          return result(await o.pauseGroup(group));
        case 'resume':
          return result(await o.resumeGroup(group));
      }
    },
    botCommand: async (action, bot) => {
      switch (action) {
        case 'pause':
          return result(await o.pauseBot(bot.group, bot.instance));
        case 'resume':
          return result(await o.resumeBot(bot.group, bot.instance));
        case 'restart':
          return result(await o.restartBot(bot.group, bot.instance));
      }
    },
    deleteGroup: async (group) => {
      try {
        await o.deleteGroupDefinition(group);
        return { ok: true };
      } catch (e) {
        const err = fleetResultError(e);
        return { ok: false, error: { code: err.code, message: err.message } };
      }
    },
    botInput: async (bot, input) => result(await o.botInput(bot.group, bot.instance, manualInput(input))),
  };
}
