/**
 * `emulator-fleet run <group> [--root DIR] [--virtual N] [--cycles N | --duration S] [--json]`: runs a bot group
 * headless. `--virtual N` starts N virtual devices on an embedded ADB host endpoint (no adb binary) and offers them
 * as the group's instances 1..N; otherwise the devices of the ADB server (instances are serials, or numbers through
 * `--emulator KIND` or as the n-th listed device).
 *
 * Human mode shows a live table redrawn in place; `--json` prints one JSON event per line and a final
 * `{"type":"summary","bots":[{"instance","serial","cycles","errors","accounts"}...]}` line.
 * Ctrl-C stops gracefully (bots finish their step); a second Ctrl-C forces. Exit code 0 unless the group failed.
 */
import * as path from 'node:path';
import { SinkLogger } from '../../bot/nodePorts';
import type { LogLevel, LogRecord } from '../../bot/ports';
import { parseDuration } from '../../shared/durations';
import { createFleet, type Fleet, type FleetOptions } from '../../orchestrator/composition';
import type { BotGroup } from '../../orchestrator/botGroup';
import { GroupDefinitionError, type LaunchOptions } from '../../orchestrator/groupDefinition';
import { EMULATOR_KINDS, type EmulatorKind } from '../../orchestrator/emulators/presets';
import { formatDiagnostic } from '../../shared/geometry';
import { runSummaryOf, type FleetEvent, type GroupDefinitionSummary, type RunSummary } from '../../shared/fleetTypes';
import { parse, parseIntArg, runCommand, UsageError, workspaceRoot } from '../args';
import { LiveTable, renderGroupTable } from '../liveTable';
import { listDefinitions } from './groups';

const USAGE = [
  'usage: emulator-fleet run <group> [--root DIR] [--virtual N [--seed S]] [--cycles N | --duration S] [--json]',
  '                          [--adb-port P] [--adb-host H] [--emulator mumu|ldplayer|bluestacks',
  '                          [--launch-command CMD --stop-command CMD]] [--stop-timeout S] [--force-unlock] [--verbose]',
].join('\n');

export interface RunGroupOptions {
  root: string;
  group: string;
  virtual?: number;
  seed?: number;
  cycles?: number;
  durationMs?: number;
  json: boolean;
  adb?: { host?: string; port?: number };
  emulator?: EmulatorKind;
  /** Command templates ({index} {port} {serial}) that launch and stop an instance: used when the stuck ladder restarts one. */
  launchCommand?: string;
  stopCommand?: string;
  stopTimeoutMs?: number;
  verbose?: boolean;
  /** Streams (tests pass their own). */
  stdout?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr?: NodeJS.WritableStream;
  /** Where SIGINT and SIGTERM come from (default the process). */
  signals?: NodeJS.EventEmitter;
  /** Take the account database lock over even from a live process or another host (`--force-unlock`). */
  forceUnlock?: boolean;
}

/** The flags `run` and `demo` share. */
export const RUN_FLAGS = {
  root: { type: 'string' },
  virtual: { type: 'string' },
  seed: { type: 'string' },
  cycles: { type: 'string' },
  duration: { type: 'string' },
  json: { type: 'boolean' },
  'stop-timeout': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { values, positionals } = parse(args, {
      ...RUN_FLAGS,
      'adb-port': { type: 'string' },
      'adb-host': { type: 'string' },
      emulator: { type: 'string' },
      'launch-command': { type: 'string' },
      'stop-command': { type: 'string' },
      'force-unlock': { type: 'boolean' },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? `which group? \n${USAGE}` : `one group at a time, got ${positionals.length}\n${USAGE}`);
    }
    const opts = commonRunOptions(values);
    return runGroup({ ...opts, group: positionals[0], forceUnlock: values['force-unlock'] === true });
  });
}

/** Validates the options `run` and `demo` share. */
export function commonRunOptions(values: {
  root?: string;
  virtual?: string;
  seed?: string;
  cycles?: string;
  duration?: string;
  json?: boolean;
  'adb-port'?: string;
  'adb-host'?: string;
  emulator?: string;
  'launch-command'?: string;
  'stop-command'?: string;
  'stop-timeout'?: string;
  verbose?: boolean;
}): Omit<RunGroupOptions, 'group'> {
  const virtual = parseIntArg('virtual', values.virtual);
  if (virtual !== undefined && (virtual < 1 || virtual > 64)) {
    throw new UsageError(`--virtual expects 1..64 devices, got ${virtual}`);
  }
  const seed = parseIntArg('seed', values.seed);
  if (seed !== undefined && virtual === undefined) {
    throw new UsageError('--seed goes with --virtual');
  }
  const cycles = parseIntArg('cycles', values.cycles);
  if (cycles !== undefined && cycles < 1) {
    throw new UsageError(`--cycles expects a positive integer, got ${cycles}`);
  }
  if (cycles !== undefined && values.duration !== undefined) {
    throw new UsageError('give either --cycles or --duration, not both');
  }
  const durationMs = values.duration === undefined ? undefined : parseSeconds('duration', values.duration);
  const stopTimeoutMs = values['stop-timeout'] === undefined ? undefined : parseSeconds('stop-timeout', values['stop-timeout']);
  const port = parseIntArg('adb-port', values['adb-port']);
  if (port !== undefined && (port < 1 || port > 65535)) {
    throw new UsageError(`--adb-port must be between 1 and 65535, got ${port}`);
  }
  if (virtual !== undefined && (port !== undefined || values['adb-host'] !== undefined || values.emulator !== undefined)) {
    throw new UsageError('--virtual runs on its own devices; it does not take --adb-port, --adb-host or --emulator');
  }
  const emulator = values.emulator;
  if (emulator !== undefined && !EMULATOR_KINDS.includes(emulator as EmulatorKind)) {
    throw new UsageError(`--emulator expects one of ${EMULATOR_KINDS.filter((k) => k !== 'generic').join(', ')}, got '${emulator}'`);
  }
  if ((values['launch-command'] !== undefined || values['stop-command'] !== undefined) && emulator === undefined) {
    throw new UsageError('--launch-command and --stop-command go with --emulator');
  }
  return {
    root: workspaceRoot(values.root),
    virtual,
    seed,
    cycles,
    durationMs,
    json: values.json === true,
    adb: port !== undefined || values['adb-host'] !== undefined ? { host: values['adb-host'], port } : undefined,
    emulator: emulator as EmulatorKind | undefined,
    launchCommand: values['launch-command'],
    stopCommand: values['stop-command'],
    stopTimeoutMs,
    verbose: values.verbose === true,
  };
}

/** `30` (seconds), or a duration with a unit: `250ms`, `30s`, `5m`, `1h`. */
export function parseSeconds(name: string, v: string): number {
  const t = v.trim();
  const ms = /^\d+(\.\d+)?$/.test(t) ? Math.round(Number(t) * 1000) : parseDuration(t);
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0 || ms > 24 * 3_600_000) {
    throw new UsageError(`--${name} expects seconds or a duration like 30s, 5m, 1h (at most 24h), got '${v}'`);
  }
  return ms;
}

/** The definition a user meant: exact name, else case-insensitive, else the file's stem (`premium_farmers`). */
export function resolveGroupName(list: readonly GroupDefinitionSummary[], wanted: string): GroupDefinitionSummary | undefined {
  const exact = list.filter((d) => d.name === wanted);
  if (exact.length) {
    return exact.find((d) => d.valid) ?? exact[0];
  }
  const lower = wanted.toLowerCase();
  const ci = list.filter((d) => d.name.toLowerCase() === lower);
  if (ci.length === 1) {
    return ci[0];
  }
  const stem = lower.replace(/\.ya?ml$/, '');
  return list.find((d) => path.basename(d.file).replace(/\.ya?ml$/i, '').toLowerCase() === stem);
}

/** Runs one group until it ends or is interrupted; returns the exit code. */
export async function runGroup(o: RunGroupOptions): Promise<number> {
  const stdout = o.stdout ?? process.stdout;
  const stderr = o.stderr ?? process.stderr;
  const signals = o.signals ?? process;
  const writeLine = (s: string) => stdout.write(`${s}\n`);
  const list = await listDefinitions(o.root);
  const summary = resolveGroupName(list, o.group);
  if (!summary) {
    stderr.write(
      `emulator-fleet: no group '${o.group}' in ${path.join(o.root, 'groups')}${list.length ? ` (groups: ${list.map((d) => `'${d.name}'`).join(', ')})` : ''}\n`,
    );
    return 1;
  }
  if (!summary.valid) {
    stderr.write(`emulator-fleet: group '${summary.name}' (${summary.file}) has errors:\n${summary.diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}\n`);
    return 1;
  }

  const table = o.json ? undefined : new LiveTable(stdout as unknown as { write(s: string): unknown; isTTY?: boolean; columns?: number });
  const minLevel: LogLevel = o.verbose ? 'info' : 'warn';
  const logger = new SinkLogger((r: LogRecord) => {
    const line = `${r.level}: ${r.source ? `[${r.source}] ` : ''}${r.message}`;
    if (table?.interactive) {
      table.note(line);
    } else {
      stderr.write(`${line}\n`);
    }
  }, minLevel);

  let emulator: FleetOptions['emulator'];
  if (o.emulator) {
    const nums = (summary.availableInstances ?? []).filter((i) => /^\d+$/.test(i)).map(Number);
    emulator = { kind: o.emulator, instances: nums, launchCommand: o.launchCommand, stopCommand: o.stopCommand };
  }

  let group: BotGroup | undefined;
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (!group) {
      return;
    }
    if (interrupts === 1) {
      const msg = 'stopping: bots finish their current step (Ctrl-C again to force)';
      if (o.json) {
        stderr.write(`${msg}\n`);
      } else {
        table?.note(msg);
      }
      void group.stop({ timeoutMs: o.stopTimeoutMs });
    } else if (interrupts === 2) {
      void group.stop({ force: true });
    } else {
      // A third signal: the forced stop itself is stuck; leave now (leases are reclaimed at the next start).
      process.exit(130);
    }
  };
  // SIGTERM (a plain `kill`, a service manager) stops as gracefully as Ctrl-C.
  signals.on('SIGINT', onSigint);
  signals.on('SIGTERM', onSigint);
  const unlisten = () => {
    signals.off('SIGINT', onSigint);
    signals.off('SIGTERM', onSigint);
  };

  let fleet: Fleet;
  try {
    fleet = await createFleet({
      root: o.root,
      virtual: o.virtual,
      seed: o.seed,
      adb: o.adb,
      emulator,
      logger,
      watch: true,
      config: o.stopTimeoutMs !== undefined ? { stopTimeoutMs: o.stopTimeoutMs } : undefined,
      forceUnlock: o.forceUnlock,
    });
  } catch (e) {
    unlisten();
    stderr.write(`emulator-fleet: cannot start the fleet: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }

  const orchestrator = fleet.orchestrator;
  if (interrupts > 0) {
    unlisten();
    await fleet.close();
    return 130;
  }

  let redraw: ReturnType<typeof setInterval> | undefined;
  const subs: Array<{ dispose(): void }> = [];
  try {
    const def = await orchestrator.loadGroupDefinition(summary.name);
    group = orchestrator.createGroup(def);
    const g = group;
    const poolInfo = () => {
      const pool = def.accountPool;
      const pm = orchestrator.poolManager();
      if (!pool || !pm) {
        return undefined;
      }
      try {
        const st = pm.stats(pool);
        return `${st.available}/${st.total} available`;
      } catch {
        return undefined;
      }
    };
    if (o.json) {
      subs.push(orchestrator.onDidEmitFleetEvent((e: FleetEvent) => writeLine(JSON.stringify(e))));
    } else if (table) {
      const draw = () => table.update(renderGroupTable(g.snapshot(), Date.now(), table.width, poolInfo()));
      if (table.interactive) {
        redraw = setInterval(draw, 250);
        subs.push(orchestrator.onDidChangeBotState(() => draw()));
      } else {
        subs.push(
          orchestrator.onDidChangeGroupState((e) => writeLine(`${new Date(e.time).toISOString()} group ${e.group}: ${e.state}${e.reason ? ` (${e.reason})` : ''}`)),
          orchestrator.onDidChangeBotState((e) =>
            writeLine(`${new Date(e.time).toISOString()} bot ${e.instance}: ${e.state}${e.reason ? ` (${e.reason})` : ''}${e.error ? ` — ${e.error.message}` : ''}`),
          ),
        );
      }
    }
    const overrides: Partial<LaunchOptions> = {};
    if (o.cycles !== undefined) {
      overrides.cycles = o.cycles;
    }
    if (o.durationMs !== undefined) {
      overrides.durationMs = o.durationMs;
    }
    if (o.stopTimeoutMs !== undefined) {
      overrides.stopTimeoutMs = o.stopTimeoutMs;
    }
    try {
      if (g.currentState === 'idle') {
        await g.start(overrides);
      }
    } catch (e) {
      stderr.write(`emulator-fleet: group '${g.name}' did not start: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    const final = await g.done;
    if (redraw) {
      clearInterval(redraw);
      redraw = undefined;
    }
    subs.forEach((s) => s.dispose());
    subs.length = 0;
    const s: RunSummary = runSummaryOf(final);
    if (o.json) {
      writeLine(JSON.stringify(s));
    } else if (table) {
      table.finish(renderGroupTable(final, Date.now(), table.width, poolInfo()));
      writeLine(formatSummary(s));
    }
    return final.state === 'failed' ? 1 : 0;
  } catch (e) {
    if (e instanceof GroupDefinitionError) {
      stderr.write(`emulator-fleet: ${e.message}\n${e.diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}\n`);
      return 1;
    }
    throw e;
  } finally {
    if (redraw) {
      clearInterval(redraw);
    }
    subs.forEach((s) => s.dispose());
    unlisten();
    await fleet.close();
  }
}

/** The human summary lines after a run. */
export function formatSummary(s: RunSummary): string {
  const cycles = s.bots.reduce((n, b) => n + b.cycles, 0);
  const errors = s.bots.reduce((n, b) => n + b.errors, 0);
  const accounts = new Set(s.bots.flatMap((b) => b.accounts));
  return `${s.group}: ${s.state}${s.stopReason ? ` (${s.stopReason})` : ''} — ${s.bots.length} bot(s), ${cycles} cycle(s), ${errors} error(s), ${accounts.size} account(s) used`;
}
