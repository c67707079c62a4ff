/**
 * `emulator-fleet routine run <name> [--root DIR] (--device SERIAL [--adb-port P] | --virtual) [--param k=v]...
 * [--pool NAME] [--json]`: runs one routine on one device and exits 0 when it succeeded, 1 otherwise.
 * `emulator-fleet routine list [--root DIR] [--json]`: the routines of the workspace and their problems.
 *
 * With `--json`, stdout carries one JSON event per line (each with a `type`: `routine.start`, `step.start`,
 * `step.end`, `match`, `log`, ...) and a final `{"type":"result","ok":...,"error":...,"variables":{...}}` line.
 * `--virtual` starts an in-process virtual device behind an embedded ADB host endpoint (no adb server needed).
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { AccountPort } from '../../bot/accounts';
import { coerceParam, type RoutineResult } from '../../bot/routine/interpreter';
import type { LoadedRoutine } from '../../bot/routine/loadedTypes';
import type { Fleet } from '../../host/fleet';
import { SinkLogger } from '../../shared/loggers';
import type { Clock, Logger, LogLevel, LogRecord } from '../../shared/ports';
import type { RoutineEvent } from '../../shared/routineEvents';
import { formatDiagnostic } from '../../shared/geometry';
import { SystemClock } from '../../shared/clock';
import { onTerminationSignals, parse, parseIntArg, rejectPositionals, runCommand, subcommand, UsageError, workspaceRoot } from '../args';
import { adbServerOf, openFleet } from '../fleetHost';
import { printable } from '../printable';

const USAGE = [
  'usage: emulator-fleet routine run <name> [--root DIR] (--device SERIAL [--adb-port P] [--adb-host H] | --virtual [--seed S])',
  '                                  [--param k=v]... [--pool NAME [--force-unlock]] [--run-dir DIR] [--json] [--verbose]',
  '       emulator-fleet routine list [--root DIR] [--json]',
].join('\n');

/** `k=v` pairs into a map (values stay text: the routine's param types convert them). */
export function parseParams(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) {
      throw new UsageError(`--param expects name=value, got '${p}'`);
    }
    const k = p.slice(0, i).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      throw new UsageError(`--param: '${k}' is not a parameter name`);
    }
    if (k in out) {
      throw new UsageError(`--param ${k} given twice`);
    }
    out[k] = p.slice(i + 1);
  }
  return out;
}

export async function main(args: string[]): Promise<number> {
  return runCommand(async () => {
    const split = subcommand(args, USAGE);
    if (typeof split === 'number') {
      return split;
    }
    const { sub, rest } = split;
    if (sub === 'run') {
      return runRoutine(rest);
    }
    if (sub === 'list') {
      return listRoutines(rest);
    }
    throw new UsageError(`unknown subcommand 'routine ${sub}'\n${USAGE}`);
  });
}

function stderrLogger(minLevel: LogLevel): Logger {
  return new SinkLogger((r: LogRecord) => {
    process.stderr.write(`${r.level}: ${r.source ? `[${printable(r.source)}] ` : ''}${printable(r.message)}\n`);
  }, minLevel);
}

async function listRoutines(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { root: { type: 'string' }, json: { type: 'boolean' } });
  rejectPositionals(positionals);
  const fleet = await openFleet(workspaceRoot(values.root), { lazy: true, watch: false, logger: stderrLogger('error') });
  try {
    const entries = fleet.orchestrator.routineRegistry()!.entries();
    if (values.json) {
      for (const e of entries) {
        console.log(JSON.stringify({ name: e.name, file: e.file, valid: e.valid, description: e.routine?.description, params: e.routine ? Object.keys(e.routine.params) : [], diagnostics: e.diagnostics }));
      }
    } else {
      for (const e of entries) {
        console.log(`${e.valid ? ' ' : '!'} ${printable(e.name).padEnd(28)} ${printable(e.routine?.description ?? '')}`);
        for (const d of e.diagnostics) {
          console.log(`    ${printable(formatDiagnostic(d))}`);
        }
      }
    }
    return entries.every((e) => e.valid) ? 0 : 1;
  } finally {
    await fleet.close();
  }
}

/** The device a routine runs on: a virtual device of the fleet, or a device of its ADB server. */
async function openDevice(fleet: Fleet, values: { device?: string; virtual?: boolean; seed?: string }, signal: AbortSignal) {
  let serial = values.device;
  if (values.virtual) {
    [{ serial }] = await fleet.startVirtualDevices(1, { seed: parseIntArg('seed', values.seed, 1) });
  }
  return fleet.devices.open(serial!, { serial, signal });
}

/** A lease port of `pool` for this run (the database is opened now: a locked one fails here, with its reason). */
async function openPool(fleet: Fleet, pool: string, routine: string, bot: string): Promise<AccountPort & { dispose(): void }> {
  const manager = await fleet.pools();
  if (!manager.definition(pool)) {
    const known = manager.listPools().map((p) => p.name);
    for (const d of manager.diagnostics) {
      process.stderr.write(`${printable(formatDiagnostic(d))}\n`);
    }
    throw new UsageError(`--pool: no pool named '${pool}' (${known.length ? `pools: ${known.join(', ')}` : 'the workspace defines no pool in pools/*.yaml'})`);
  }
  return manager.accountPort(pool, { group: 'cli', bot, orchestrationId: `cli-${randomUUID()}`, routine });
}

async function runRoutine(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    root: { type: 'string' },
    device: { type: 'string' },
    'adb-port': { type: 'string' },
    'adb-host': { type: 'string' },
    virtual: { type: 'boolean' },
    seed: { type: 'string' },
    param: { type: 'string', multiple: true },
    pool: { type: 'string' },
    'force-unlock': { type: 'boolean' },
    'run-dir': { type: 'string' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
  });
  const name = positionals[0];
  if (!name) {
    throw new UsageError(`routine run needs a routine name\n${USAGE}`);
  }
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument '${positionals[1]}'`);
  }
  if (!!values.device === !!values.virtual) {
    throw new UsageError('give exactly one of --device SERIAL or --virtual');
  }
  if (values.seed !== undefined && !values.virtual) {
    throw new UsageError('--seed is only for --virtual');
  }
  if (values['force-unlock'] && !values.pool) {
    throw new UsageError('--force-unlock goes with --pool (it takes over the account database lock)');
  }
  const params = parseParams(values.param ?? []);
  const json = values.json ?? false;
  const root = workspaceRoot(values.root);
  const logger = stderrLogger(values.verbose ? 'debug' : 'warn');
  const clock = new SystemClock();

  const abort = new AbortController();
  const offSignals = onTerminationSignals(() => abort.abort(new Error('interrupted')));
  let resultShown = false;
  let fleet: Fleet | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const port = parseIntArg('adb-port', values['adb-port']);
    if (port !== undefined && (port < 1 || port > 65535)) {
      throw new UsageError(`--adb-port must be between 1 and 65535, got ${port}`);
    }
    fleet = await openFleet(root, {
      lazy: true,
      watch: false,
      visionWorkers: 1,
      logger,
      adbServers: values.virtual ? [] : [adbServerOf(values['adb-host'], port)],
      pools: { forceUnlock: values['force-unlock'] === true },
    });
    const registry = fleet.orchestrator.routineRegistry()!;
    const entry = registry.entry(name);
    if (!entry) {
      const known = registry.names();
      throw new UsageError(`unknown routine '${name}' (${known.length ? `routines: ${known.join(', ')}` : `no routine under ${path.join(root, 'routines')}`})`);
    }
    if (!entry.valid) {
      for (const d of entry.diagnostics) {
        process.stderr.write(`${printable(formatDiagnostic(d))}\n`);
      }
      const bad = entry.diagnostics.filter((d) => d.severity === 'error');
      resultShown = true;
      emitResult(json, { ok: false, error: { message: `routine '${name}' has ${bad.length} error(s)`, code: 'invalid-routine' }, variables: {} }, clock);
      return 1;
    }

    checkParams(entry.routine!, name, params);
    const opened = await openDevice(fleet, values, abort.signal);
    cleanups.push(() => opened.device.close());
    let accounts: AccountPort | undefined;
    if (values.pool) {
      const port = await openPool(fleet, values.pool, name, opened.serial);
      cleanups.push(async () => port.dispose());
      accounts = port;
    }
    const runDir = values['run-dir'] ?? path.join('.fleet', 'runs', `${name.replace(/[^A-Za-z0-9_-]+/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const interp = fleet.createInterpreter({ device: opened.device, logger, accounts, runDir });
    const printer = json ? printJson : humanPrinter(clock.wallNow().getTime(), values.verbose ?? false);
    interp.onDidEmit(printer);
    const result = await interp.run(name, params, { signal: abort.signal, variables: { bot_instance: 1, cycle: 1 } });
    interp.dispose();
    resultShown = true;
    emitResult(json, result, clock);
    return result.ok ? 0 : 1;
  } catch (e) {
    // With --json the last line is always a result: a run that could not start (unknown routine, no device, the
    // pool database locked) says why there too. The error still goes to stderr and sets the exit code.
    if (json && !resultShown) {
      const code = e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'internal';
      process.stdout.write(`${JSON.stringify({ type: 'result', time: clock.now(), ok: false, error: { message: e instanceof Error ? e.message : String(e), code }, variables: {} })}\n`);
    }
    throw e;
  } finally {
    offSignals();
    for (const c of cleanups.reverse()) {
      await c().catch((e: unknown) => logger.log('warn', `cleanup failed: ${e instanceof Error ? e.message : String(e)}`));
    }
    await fleet?.close().catch((e: unknown) => logger.log('warn', `cleanup failed: ${e instanceof Error ? e.message : String(e)}`));
  }
}

/**
 * The `--param` values against the routine's parameters before any device is opened: an unknown name, a value of the
 * wrong type or a missing required parameter is a usage error (exit 2), with the routine's parameters listed.
 */
export function checkParams(routine: LoadedRoutine, name: string, params: Record<string, string>): void {
  const declared = Object.entries(routine.params);
  const list = declared.length ? `its parameters: ${declared.map(([k, s]) => `${k} (${s.type}${s.required ? ', required' : ''})`).join(', ')}` : 'it has no parameters';
  for (const k of Object.keys(params)) {
    if (!Object.hasOwn(routine.params, k)) {
      throw new UsageError(`--param ${k}: routine '${name}' has no parameter '${k}' (${list})`);
    }
  }
  for (const [k, spec] of declared) {
    if (params[k] === undefined) {
      if (spec.required && spec.default === undefined) {
        throw new UsageError(`--param ${k}: required by routine '${name}' (${list})`);
      }
      continue;
    }
    try {
      coerceParam(k, spec, params[k], () => undefined, routine.range);
    } catch (e) {
      throw new UsageError(`--param ${k}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function printJson(e: RoutineEvent): void {
  process.stdout.write(`${JSON.stringify(e)}\n`);
}

function where(e: { range?: { file: string; start: { line: number; col: number } } }): string {
  return e.range ? ` (${e.range.file}:${e.range.start.line}:${e.range.start.col})` : '';
}

/**
 * Readable progress: routines, their top-level steps (every step with `verbose`), logs, failures, sentries, stuck
 * rungs and account actions.
 */
function humanPrinter(t0: number, verbose: boolean): (e: RoutineEvent) => void {
  let depth = 0;
  // Names, messages and values come from the workspace's files: printed with their control characters escaped.
  const say = (line: string) => process.stdout.write(`${printable(line)}\n`);
  return (e) => {
    const t = `${((e.time - t0) / 1000).toFixed(1).padStart(6)}s`;
    const pad = '  '.repeat(depth);
    switch (e.type) {
      case 'routine.start':
        depth = e.depth;
        say(`${t} ${'  '.repeat(e.depth)}routine ${e.routine}${Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
        depth = e.depth + 1;
        break;
      case 'routine.end':
        depth = e.depth;
        if (!e.ok) {
          say(`${t} ${'  '.repeat(e.depth)}routine ${e.routine} failed: ${e.error ?? ''}`);
        }
        break;
      case 'step.start':
        if (verbose || /^steps\[\d+\]$/.test(e.path)) {
          say(`${t} ${pad}${e.path} ${e.step}`);
        }
        break;
      case 'step.end':
        if (!e.ok) {
          say(`${t} ${pad}${e.path} ${e.step} failed after ${e.ms.toFixed(0)} ms: ${e.error ?? ''}`);
        }
        break;
      case 'log':
        if (e.level !== 'debug') {
          say(`${t} ${pad}${e.level === 'info' ? '' : `${e.level}: `}${e.message}`);
        }
        break;
      case 'error':
        say(`${t} ${pad}error [${e.code ?? 'error'}]: ${e.message}${where(e)}`);
        break;
      case 'sentry':
        say(`${t} ${pad}sentry '${e.sentry}' ${e.phase}${e.outcome ? ` (${e.outcome})` : ''}`);
        break;
      case 'stuck':
        say(`${t} ${pad}stuck: ${e.reason}: ${e.rung}`);
        break;
      case 'account':
        say(`${t} ${pad}account ${e.action}${e.accountId ? ` ${e.accountId}` : ''}`);
        break;
      case 'state':
        if (e.state !== 'running') {
          say(`${t} ${pad}${e.state}`);
        }
        break;
      case 'match':
      case 'var':
        break;
    }
  };
}

function emitResult(json: boolean, result: RoutineResult, clock: Clock): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ type: 'result', time: clock.now(), ok: result.ok, error: result.error ?? null, variables: result.variables, ...(result.returned ? { returned: result.returned } : {}), ...(result.stopped ? { stopped: result.stopped } : {}) })}\n`);
    return;
  }
  if (result.ok) {
    console.log(printable(`ok${result.stopped ? ` (stopped${result.stopped.message ? `: ${result.stopped.message}` : ''})` : ''}`));
  } else {
    const e = result.error!;
    const loc = e.range ? `${e.range.file}:${e.range.start.line}:${e.range.start.col}: ` : '';
    console.log(printable(`failed: ${loc}${e.message} [${e.code}]`));
  }
}
