/**
 * `emulator-fleet validate [--root DIR] [--json]`: checks every YAML file of a fleet workspace (routines,
 * templates, groups, pools) and the references between them. Prints one `file:line:col: message` per problem
 * (paths relative to the root); exit 1 when there is an error, 0 otherwise (warnings alone keep 0).
 * `--json` prints `{"ok": bool, "diagnostics": [...]}` instead.
 */
import * as path from 'node:path';
import { formatDiagnostic } from '../../shared/geometry';
import { statSync } from 'node:fs';
import { parse, runCommand, UsageError } from '../args';
import { openFleet } from '../fleetHost';
import { printable } from '../printable';

const USAGE = 'usage: emulator-fleet validate [--root DIR] [--json]';

export async function main(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { values, positionals } = parse(args, {
      root: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length) {
      throw new UsageError(`unexpected argument '${positionals[0]}' (${USAGE})`);
    }
    const root = path.resolve(values.root ?? '.');
    if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
      throw new UsageError(`--root '${values.root ?? '.'}' is not a directory`);
    }
    const fleet = await openFleet(root, { lazy: true, watch: false });
    let r: Awaited<ReturnType<typeof fleet.validate>>;
    try {
      r = await fleet.validate();
    } finally {
      await fleet.close();
    }
    const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = r.diagnostics.length - errors;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ok: errors === 0, diagnostics: r.diagnostics })}\n`);
    } else {
      // One line per problem: a file or name with a line break or an escape sequence cannot forge or hide lines.
      for (const d of r.diagnostics) {
        console.log(printable(formatDiagnostic(d)));
      }
      const c = r.counts;
      const checked = `${c.routines} routine${c.routines === 1 ? '' : 's'}, ${c.templates} template${c.templates === 1 ? '' : 's'}, ${c.groups} group${c.groups === 1 ? '' : 's'}, ${c.pools} pool${c.pools === 1 ? '' : 's'}`;
      console.error(
        errors || warnings
          ? `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (checked ${checked})`
          : `no problems (checked ${checked})`,
      );
    }
    return errors ? 1 : 0;
  });
}
