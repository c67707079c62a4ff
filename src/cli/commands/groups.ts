/**
 * `emulator-fleet groups list [--root DIR] [--json]`: the group definitions of a workspace (`groups/*.yaml`), valid
 * or not. Invalid files are listed with their located problems; the exit code is 1 when any file has an error.
 */
import { formatDiagnostic } from '../../shared/geometry';
import type { GroupDefinitionSummary } from '../../shared/fleetTypes';
import { parse, rejectPositionals, runCommand, subcommand, UsageError, workspaceRoot } from '../args';
import { openFleet } from '../fleetHost';
import { printable } from '../printable';

const USAGE = 'usage: emulator-fleet groups list [--root DIR] [--json]';

export async function main(args: string[]): Promise<number> {
  return runCommand(async () => {
    const split = subcommand(args, USAGE);
    if (typeof split === 'number') {
      return split;
    }
    const { sub, rest } = split;
    if (sub !== 'list') {
      throw new UsageError(`unknown subcommand 'groups ${sub}'\n${USAGE}`);
    }
    const { values, positionals } = parse(rest, { root: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    rejectPositionals(positionals, USAGE);
    const fleet = await openFleet(workspaceRoot(values.root), { lazy: true, watch: false });
    let list: GroupDefinitionSummary[];
    try {
      list = fleet.orchestrator.listGroupDefinitions();
    } finally {
      await fleet.close();
    }
    if (values.json) {
      console.log(JSON.stringify(list, null, 2));
    } else {
      console.log(formatDefinitions(list));
    }
    return list.some((d) => d.diagnostics.some((x) => x.severity === 'error')) ? 1 : 0;
  });
}

/** The human listing: one block per definition, problems indented below it. */
export function formatDefinitions(list: readonly GroupDefinitionSummary[]): string {
  if (list.length === 0) {
    return 'no group definitions (groups/*.yaml)';
  }
  const rows = [
    ['NAME', 'ROUTINE', 'POOL', 'BOTS', 'INSTANCES', 'FILE'],
    ...list.map((d) => [d.name, d.routine ?? '-', d.accountPool ?? '-', d.requestedBotCount !== undefined ? String(d.requestedBotCount) : '-', d.availableInstances?.join(',') ?? '-', d.file].map(printable)),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines: string[] = [];
  rows.forEach((r, i) => {
    lines.push(
      r
        .map((c, j) => (j === r.length - 1 ? c : c.padEnd(widths[j])))
        .join('  ')
        .trimEnd(),
    );
    const d = i > 0 ? list[i - 1] : undefined;
    if (d) {
      if (d.description) {
        lines.push(`  ${printable(d.description)}`);
      }
      for (const diag of d.diagnostics) {
        lines.push(`  ${printable(formatDiagnostic(diag))}`);
      }
    }
  });
  return lines.join('\n');
}
