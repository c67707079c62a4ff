/**
 * `emulator-fleet run <group> [--root DIR] [--virtual N] [--cycles N | --duration S] [--json]`: runs a bot group
 * headless. `--virtual N` starts N virtual devices on an embedded ADB host endpoint (no adb binary) and offers them
 * as the group's instances 1..N; otherwise the devices of the ADB server (instances are serials, or numbers through
 * `--emulator KIND` or as the n-th listed device).
 *
 * Human mode shows a live table redrawn in place; `--json` prints one JSON event per line and a final
 * `{"type":"summary","bots":[{"instance","serial","cycles","errors","accounts"}...]}` line.
 * Ctrl-C, SIGTERM and SIGHUP stop gracefully (bots finish their step); a second signal forces. Exit code 0 unless the
 * group failed (or could not run: then 1, and with `--json` the summary line carries the error).
 */
import * as path from 'node:path';
import { SinkLogger } from '../../shared/loggers';
import type { LogLevel, LogRecord } from '../../shared/ports';
import { parseDuration } from '../../shared/durations';
import type { Fleet, FleetHostOptions } from '../../host/fleet';
import type { BotGroup } from '../../orchestrator/botGroup';
import { DEFAULT_FLEET_CONFIG } from '../../orchestrator/config';
import { definitionSummary, DefinitionsStore } from '../../orchestrator/definitionsStore';
import { NodeFileStore } from '../../host/nodePorts';
import { SystemClock } from '../../shared/clock';
import { GroupDefinitionError, type LaunchOptions } from '../../orchestrator/groupDefinition';
import { EMULATOR_KINDS, type EmulatorKind } from '../../orchestrator/emulators/presets';
import { formatDiagnostic } from '../../shared/geometry';
import { runSummaryOf, type FleetEvent, type GroupDefinitionSummary, type RunSummary } from '../../shared/fleetTypes';
import { parse, parseIntArg, runCommand, UsageError, workspaceRoot } from '../args';
import { LiveTable, renderGroupTable } from '../liveTable';
import { adbServerOf, openFleet } from '../fleetHost';
import { printable, printableLines } from '../printable';

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

/** The signals that stop a run gracefully: Ctrl-C, a plain `kill` (a service manager), the terminal closing. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function codeOf(e: unknown): string | undefined {
  const code = e && typeof e === 'object' ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The `--json` summary of a run that could not run its group (unknown group, bad workspace, database locked). */
export function failureSummary(group: string, message: string, code: string | undefined, time = Date.now()): RunSummary {
  return { type: 'summary', group, state: 'failed', bots: [], error: code !== undefined ? { message, code, time } : { message, time } };
}

/**
 * Runs one group until it ends or is interrupted; returns the exit code. SIGINT, SIGTERM and SIGHUP are handled
 * from the first moment to the last (the listeners stay until everything is closed): the first stops gracefully,
 * the second forces the stop (a summary is still printed), a third exits at once. With `--json` the last line is
 * always a `summary`, carrying the error when the run failed.
 */
export async function runGroup(o: RunGroupOptions): Promise<number> {
  const stdout = o.stdout ?? process.stdout;
  const stderr = o.stderr ?? process.stderr;
  const signals = o.signals ?? process;
  const writeLine = (s: string) => stdout.write(`${s}\n`);
  // The terminal may go away (SIGHUP): a failed write must not break the clean stop that follows.
  const ignoreWriteError = () => undefined;
  stdout.on('error', ignoreWriteError);
  stderr.on('error', ignoreWriteError);

  let group: BotGroup | undefined;
  let table: LiveTable | undefined;
  let interrupts = 0;
  const note = (msg: string) => {
    if (!o.json && table) {
      table.note(printable(msg));
    } else {
      stderr.write(`${printable(msg)}\n`);
    }
  };
  const stopGroup = (g: BotGroup, force: boolean) => {
    g.stop(force ? { force: true } : { timeoutMs: o.stopTimeoutMs }).catch((e: unknown) => stderr.write(`emulator-fleet: stopping the group failed: ${printable(messageOf(e))}\n`));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts >= 3) {
      // A third signal: the forced stop itself is stuck; leave now (leases are reclaimed at the next start).
      process.exit(130);
    }
    if (!group) {
      // Nothing runs yet: the set-up sees `interrupts` and starts nothing.
      return;
    }
    if (interrupts === 1) {
      note(`stopping (${signal}): bots finish their current step (Ctrl-C again to force)`);
      stopGroup(group, false);
    } else {
      note(`forcing the stop (${signal})`);
      stopGroup(group, true);
    }
  };
  // Installed before anything can be interrupted, removed only once everything is closed.
  for (const sig of STOP_SIGNALS) {
    signals.on(sig, onSignal);
  }

  let fleet: Fleet | undefined;
  let redraw: ReturnType<typeof setInterval> | undefined;
  const subs: Array<{ dispose(): void }> = [];
  let groupName = o.group;
  const fail = (message: string, code: string | undefined): number => {
    stderr.write(`emulator-fleet: ${printableLines(message)}\n`);
    if (o.json) {
      writeLine(JSON.stringify(failureSummary(groupName, message, code)));
    }
    return 1;
  };
  const interrupted = (): number => {
    if (o.json) {
      writeLine(JSON.stringify({ type: 'summary', group: groupName, state: 'stopped', stopReason: 'requested', bots: [] } satisfies RunSummary));
    } else {
      stderr.write('emulator-fleet: interrupted before the group started\n');
    }
    return 130;
  };
  try {
    const list = await listDefinitions(o.root);
    const summary = resolveGroupName(list, o.group);
    if (!summary) {
      return fail(`no group '${o.group}' in ${path.join(o.root, 'groups')}${list.length ? ` (groups: ${list.map((d) => `'${d.name}'`).join(', ')})` : ''}`, 'unknown-group');
    }
    groupName = summary.name;
    if (!summary.valid) {
      return fail(`group '${summary.name}' (${summary.file}) has errors:\n${summary.diagnostics.map((d) => `  ${printable(formatDiagnostic(d))}`).join('\n')}`, 'invalid-definition');
    }
    if (interrupts > 0) {
      return interrupted();
    }

    table = o.json ? undefined : new LiveTable(stdout as unknown as { write(s: string): unknown; isTTY?: boolean; columns?: number });
    const liveTable = table;
    const minLevel: LogLevel = o.verbose ? 'info' : 'warn';
    const logger = new SinkLogger((r: LogRecord) => {
      const line = `${r.level}: ${r.source ? `[${printable(r.source)}] ` : ''}${printable(r.message)}`;
      if (liveTable?.interactive) {
        liveTable.note(line);
      } else {
        stderr.write(`${line}\n`);
      }
    }, minLevel);

    let emulator: FleetHostOptions['emulator'];
    if (o.emulator) {
      const nums = (summary.availableInstances ?? []).filter((i) => /^\d+$/.test(i)).map(Number);
      emulator = { kind: o.emulator, instances: nums, launchCommand: o.launchCommand, stopCommand: o.stopCommand };
    }

    try {
      fleet = await openFleet(o.root, {
        // `--virtual` runs on its own devices: no ADB server is needed (nor used).
        virtual: o.virtual !== undefined ? { count: o.virtual, seed: o.seed } : undefined,
        // The devices render on another core: the bots' thread keeps its event loop for the bots.
        virtualWorker: true,
        adbServers: o.virtual !== undefined ? [] : [adbServerOf(o.adb?.host, o.adb?.port)],
        emulator,
        logger,
        watch: true,
        config: o.stopTimeoutMs !== undefined ? { stopTimeoutMs: o.stopTimeoutMs } : undefined,
        pools: { forceUnlock: o.forceUnlock },
      });
    } catch (e) {
      return fail(`cannot start the fleet: ${messageOf(e)}`, codeOf(e));
    }
    if (interrupts > 0) {
      return interrupted();
    }

    const orchestrator = fleet.orchestrator;
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
    } else if (liveTable) {
      const draw = () => liveTable.update(renderGroupTable(g.snapshot(), Date.now(), liveTable.width, poolInfo()));
      if (liveTable.interactive) {
        redraw = setInterval(draw, 250);
        subs.push(orchestrator.onDidChangeBotState(() => draw()));
      } else {
        subs.push(
          // A group.state whose state did not change only updates the group's snapshot: nothing to say.
          orchestrator.onDidChangeGroupState((e) => e.previous !== e.state && writeLine(`${new Date(e.time).toISOString()} group ${printable(e.group)}: ${e.state}${e.reason ? ` (${e.reason})` : ''}`)),
          orchestrator.onDidChangeBotState((e) =>
            writeLine(`${new Date(e.time).toISOString()} bot ${printable(e.instance)}: ${e.state}${e.reason ? ` (${e.reason})` : ''}${e.error ? ` — ${printable(e.error.message)}` : ''}`),
          ),
        );
      }
    }
    if (interrupts > 0) {
      // A signal came while the group was being set up: it never starts.
      stopGroup(g, interrupts > 1);
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
      stderr.write(`emulator-fleet: group '${printable(g.name)}' did not start: ${printable(messageOf(e))}\n`);
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
    } else if (liveTable) {
      liveTable.finish(renderGroupTable(final, Date.now(), liveTable.width, poolInfo()));
      writeLine(formatSummary(s));
    }
    return final.state === 'failed' ? 1 : 0;
  } catch (e) {
    if (e instanceof GroupDefinitionError) {
      return fail(`${e.message}${e.diagnostics.length ? `\n${e.diagnostics.map((d) => `  ${printable(formatDiagnostic(d))}`).join('\n')}` : ''}`, e.code);
    }
    return fail(messageOf(e), codeOf(e));
  } finally {
    if (redraw) {
      clearInterval(redraw);
    }
    subs.forEach((s) => s.dispose());
    try {
      await fleet?.close();
    } catch (e) {
      stderr.write(`emulator-fleet: closing the fleet failed: ${printable(messageOf(e))}\n`);
    }
    for (const sig of STOP_SIGNALS) {
      signals.off(sig, onSignal);
    }
    stdout.off('error', ignoreWriteError);
    stderr.off('error', ignoreWriteError);
  }
}

/**
 * The group definitions of a workspace, read without building a fleet: `run` resolves the group (and, with an
 * emulator preset, its instances) before the fleet exists.
 */
async function listDefinitions(root: string): Promise<GroupDefinitionSummary[]> {
  const store = new DefinitionsStore(new NodeFileStore(root), { dir: DEFAULT_FLEET_CONFIG.groupsDir, clock: new SystemClock() });
  try {
    await store.load();
    return store.entries().map((e) => definitionSummary(e, false));
  } finally {
    store.dispose();
  }
}

/** The human summary lines after a run. */
export function formatSummary(s: RunSummary): string {
  const cycles = s.bots.reduce((n, b) => n + b.cycles, 0);
  const errors = s.bots.reduce((n, b) => n + b.errors, 0);
  const accounts = new Set(s.bots.flatMap((b) => b.accounts));
  return `${printable(s.group)}: ${s.state}${s.stopReason ? ` (${s.stopReason})` : ''} — ${s.bots.length} bot(s), ${cycles} cycle(s), ${errors} error(s), ${accounts.size} account(s) used${s.error ? ` — ${printable(s.error.message)}` : ''}`;
}
