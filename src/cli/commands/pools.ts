/**
 * `emulator-fleet pools list|show|import`: the account pools of a workspace.
 *
 *   pools list [--root DIR] [--json]                 name, available/total, in use, completed, failed
 *   pools show <name> [--root DIR] [--limit N] [--json]   definition, counts and the first accounts in hand-out order
 *   pools import <file|folder>... [--root DIR] [--json]   device account XML, CSV or JSON (a folder: its .xml/.csv/.json files),
 *                                                          as one batch: every file is read first, then all good rows are
 *                                                          written in one transaction
 *   --force-unlock    take the database lock over even from a live process or another host (prints a warning)
 *
 * The database is `<root>/.fleet/accounts.sqlite`; a new one is seeded from `<root>/pools/demo-accounts.json`. While
 * another process (the extension, a running `emulator-fleet run`) owns the database, list and show read it
 * read-only; import needs the owner to stop.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Fleet } from '../../host/fleet';
import { SinkLogger } from '../../shared/loggers';
import { formatDiagnostic, type Diagnostic } from '../../shared/geometry';
import type { ImportReport } from '../../orchestrator/pools/accountImport';
import { formatDuration } from '../../shared/durations';
import { isPoolError } from '../../orchestrator/pools/poolErrors';
import type { ImportInput, PoolManager } from '../../orchestrator/pools/poolManager';
import { parse, parseIntArg, runCommand, UsageError, workspaceRoot } from '../args';
import { openFleet } from '../fleetHost';
import { printable } from '../printable';

const USAGE = 'usage: emulator-fleet pools list|show <name>|import <file|folder>... [--root DIR] [--json] [--force-unlock]';

export async function main(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { values, positionals } = parse(args, {
      root: { type: 'string' },
      json: { type: 'boolean', default: false },
      limit: { type: 'string' },
      'force-unlock': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    const [sub, ...rest] = positionals;
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const root = workspaceRoot(values.root);
    const json = values.json ?? false;
    const force = values['force-unlock'] ?? false;
    try {
      switch (sub) {
        case 'list':
          if (rest.length) {
            throw new UsageError(`pools list takes no arguments\n${USAGE}`);
          }
          return await list(root, json, force);
        case 'show':
          if (rest.length !== 1) {
            throw new UsageError(`pools show takes one pool name\n${USAGE}`);
          }
          return await show(root, rest[0], limitArg(values.limit), json, force);
        case 'import':
          if (!rest.length) {
            throw new UsageError(`pools import needs at least one file or folder\n${USAGE}`);
          }
          return await importFiles(root, rest, json, force);
        default:
          throw new UsageError(sub ? `unknown pools command '${sub}'\n${USAGE}` : USAGE);
      }
    } catch (e) {
      if (isPoolError(e)) {
        console.error(`emulator-fleet: ${printable(e.message)}`);
        return 1;
      }
      throw e;
    }
  });
}

/** `--limit N` of `pools show` (default 10); SQLite would read a negative LIMIT as "no limit". */
function limitArg(v: string | undefined): number {
  const n = parseIntArg('limit', v, 10) ?? 10;
  if (n < 1) {
    throw new UsageError(`--limit expects a positive integer, got ${n}`);
  }
  return n;
}

/** The workspace's fleet (nothing started: no watching, no devices), its pools opened read-write or read-only. */
async function openPools(root: string, readOnly: boolean, forceUnlock = false): Promise<{ fleet: Fleet; m: PoolManager }> {
  // The pool layer's warnings (a lock taken over...); the rest of the workspace is not this command's business.
  const logger = new SinkLogger((r) => {
    if (r.source === 'pools' || r.source?.startsWith('pools/')) {
      console.error(`${r.level}: ${printable(r.message)}`);
    }
  }, 'warn');
  const fleet = await openFleet(root, { lazy: true, watch: false, logger, pools: { readOnly, forceUnlock } });
  try {
    return { fleet, m: await fleet.pools() };
  } catch (e) {
    await fleet.close();
    throw e;
  }
}

/**
 * Opens read-write; when another live process owns the database, falls back to read-only (for looking), unless
 * `--force-unlock` takes the lock over.
 */
async function openForReading(root: string, force: boolean): Promise<{ fleet: Fleet; m: PoolManager; note?: string }> {
  try {
    return await openPools(root, false, force);
  } catch (e) {
    if (!isPoolError(e, 'db-locked') || force) {
      throw e;
    }
    return { ...(await openPools(root, true)), note: `${e.message}; showing it read-only` };
  }
}

function printDiagnostics(ds: readonly Diagnostic[]): void {
  for (const d of ds) {
    console.error(printable(formatDiagnostic(d)));
  }
}

/** A line of human output: names and values from files and the database are shown with control characters escaped. */
function say(line: string): void {
  console.log(printable(line));
}

async function list(root: string, json: boolean, force: boolean): Promise<number> {
  const { fleet, m, note } = await openForReading(root, force);
  try {
    const diagnostics = m.diagnostics;
    const pools = m.listPools();
    if (json) {
      console.log(JSON.stringify({ pools, diagnostics, readOnly: m.readOnly }, null, 2));
    } else {
      if (note) {
        console.error(`note: ${note}`);
      }
      printDiagnostics(diagnostics);
      if (!pools.length) {
        console.log('no account pools (add pools/*.yaml)');
      } else {
        const rows = pools.map((p) => [p.name, `${p.stats.available}/${p.stats.total}`, String(p.stats.inUse), String(p.stats.completed), String(p.stats.failed), p.description ?? '']);
        printTable(['POOL', 'AVAILABLE', 'IN USE', 'COMPLETED', 'FAILED', 'DESCRIPTION'], rows);
      }
    }
    return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  } finally {
    await fleet.close();
  }
}

async function show(root: string, name: string, limit: number, json: boolean, force: boolean): Promise<number> {
  const { fleet, m, note } = await openForReading(root, force);
  try {
    const diagnostics = m.diagnostics;
    const def = m.getPool(name);
    if (!def) {
      printDiagnostics(diagnostics);
      console.error(printable(`emulator-fleet: there is no account pool named '${name}'${m.listPools().length ? ` (pools: ${m.listPools().map((p) => p.name).join(', ')})` : ''}`));
      return 1;
    }
    const stats = m.stats(name);
    const accounts = m.poolAccounts(name, limit).map(({ password: _password, ...rest }) => rest);
    if (json) {
      console.log(JSON.stringify({ pool: def, stats, accounts, readOnly: m.readOnly }, null, 2));
      return 0;
    }
    if (note) {
      console.error(`note: ${note}`);
    }
    say(`pool ${def.name}  (${def.file})`);
    if (def.description) {
      say(`  ${def.description}`);
    }
    const filters = def.filters.map((f) => `${f.field} ${f.op} ${f.op === 'olderThan' || f.op === 'newerThan' ? formatDuration(f.value as number) : JSON.stringify(f.value)}`);
    say(`  filters:    ${filters.length ? filters.join(' AND ') : '(all accounts)'}`);
    say(`  sort:       ${def.sort.length ? def.sort.map((s) => `${s.field} ${s.order}`).join(', ') : 'least recently used first'}`);
    if (def.limit !== undefined) {
      say(`  limit:      ${def.limit}`);
    }
    if (def.include.length) {
      say(`  include:    ${def.include.join(', ')}`);
    }
    if (def.exclude.length) {
      say(`  exclude:    ${def.exclude.join(', ')}`);
    }
    say(`  retry:      up to ${def.maxFailures} failures in a row`);
    say(`  cooldown:   ${def.cooldownMs === undefined ? 'none (completed accounts stay completed)' : formatDuration(def.cooldownMs)}`);
    say(`  lease:      ttl ${formatDuration(def.leaseTtlMs)}, heartbeat ${formatDuration(def.heartbeatMs)}`);
    say(
      `  accounts:   ${stats.available}/${stats.total} available, ${stats.inUse} in use, ${stats.completed} completed, ${stats.failed} failed${stats.banned ? `, ${stats.banned} banned` : ''}`,
    );
    if (accounts.length) {
      say('');
      printTable(
        ['ACCOUNT', 'NAME', 'STATUS', 'PREMIUM', 'PACKS', 'HOURGLASSES', 'WONDER PICKS', 'LAST USED'],
        accounts.map((a) => [a.id, a.name ?? '', a.status, a.premium ? 'yes' : 'no', String(a.packs_opened), String(a.hourglasses), String(a.wonder_picks_done), a.last_used_at ?? 'never']),
      );
    }
    return 0;
  } finally {
    await fleet.close();
  }
}

async function importFiles(root: string, inputs: string[], json: boolean, force: boolean): Promise<number> {
  const files: string[] = [];
  for (const input of inputs) {
    const abs = path.resolve(input);
    const st = await fsp.stat(abs).catch(() => undefined);
    if (!st) {
      console.error(printable(`emulator-fleet: ${input} does not exist`));
      return 1;
    }
    if (st.isDirectory()) {
      const names = (await fsp.readdir(abs)).filter((n) => /\.(xml|csv|json)$/i.test(n) && !n.startsWith('.')).sort();
      files.push(...names.map((n) => path.join(input, n)));
    } else {
      files.push(input);
    }
  }
  // The whole batch is read first and written in one transaction: all of it, or (a file cannot be read) none.
  const batch: ImportInput[] = [];
  for (const f of files) {
    try {
      batch.push({ text: await fsp.readFile(path.resolve(f), 'utf8'), file: f });
    } catch (e) {
      console.error(printable(`emulator-fleet: cannot read ${f}: ${(e as Error).message}; nothing was imported`));
      return 1;
    }
  }
  const { fleet, m } = await openPools(root, false, force);
  let reports: ImportReport[];
  try {
    reports = await m.importBatch(batch);
  } finally {
    await fleet.close();
  }
  const total = { files: reports.length, imported: 0, updated: 0, unchanged: 0, skipped: 0 };
  for (const r of reports) {
    total.imported += r.imported;
    total.updated += r.updated;
    total.unchanged += r.unchanged;
    total.skipped += r.skipped;
  }
  const errors = reports.some((r) => r.diagnostics.some((d) => d.severity === 'error'));
  if (json) {
    console.log(JSON.stringify({ reports, total }, null, 2));
  } else {
    for (const r of reports) {
      printDiagnostics(r.diagnostics);
      if (reports.length > 1 || r.skipped || r.diagnostics.length) {
        say(`${r.file}: ${r.imported} imported, ${r.updated} updated, ${r.unchanged} unchanged, ${r.skipped} skipped`);
      }
    }
    console.log(`${total.imported} imported, ${total.updated} updated, ${total.unchanged} unchanged, ${total.skipped} skipped (${total.files} file${total.files === 1 ? '' : 's'})`);
  }
  return errors ? 1 : 0;
}

function printTable(header: string[], rows: string[][]): void {
  rows = rows.map((r) => r.map(printable));
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, k) => (k === cells.length - 1 ? c : c.padEnd(widths[k])))
      .join('  ')
      .trimEnd();
  say(line(header));
  for (const r of rows) {
    say(line(r));
  }
}
