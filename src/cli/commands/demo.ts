/**
 * `emulator-fleet demo` (`npm start`): the demo fleet. Four virtual devices (on an embedded ADB host endpoint, no
 * adb binary needed) run the "Premium Farmers" group (routine farm_premium, pool premium_accounts seeded from the
 * demo account set) with the live table, until Ctrl-C (or `--duration`). It runs on the workspace itself: the
 * account database goes to `.fleet/` (gitignored).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { parse, rejectPositionals, runCommand, UsageError } from '../args';
import { commonRunOptions, RUN_FLAGS, runGroup } from './run';

const USAGE = 'usage: emulator-fleet demo [--root DIR] [--virtual N] [--seed S] [--group NAME] [--cycles N | --duration S] [--json] [--verbose]';

export const DEMO_GROUP = 'Premium Farmers';
export const DEMO_DEVICES = 4;

export async function main(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { values, positionals } = parse(args, { ...RUN_FLAGS, group: { type: 'string' } });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    rejectPositionals(positionals, USAGE);
    const root = values.root !== undefined ? path.resolve(values.root) : findDemoWorkspace();
    if (!root) {
      throw new UsageError(`no workspace with groups/ found here or above the package; give --root DIR\n${USAGE}`);
    }
    const opts = commonRunOptions({ ...values, root, virtual: values.virtual ?? String(DEMO_DEVICES) });
    if (!opts.json) {
      process.stdout.write(`Emulator Fleet demo: ${opts.virtual} virtual devices, group '${values.group ?? DEMO_GROUP}' (workspace ${root}). Ctrl-C stops.\n`);
    }
    return runGroup({ ...opts, group: values.group ?? DEMO_GROUP });
  });
}

/** The current directory when it has groups/, else the package's own folder (the repository). */
export function findDemoWorkspace(): string | undefined {
  const candidates = [process.cwd(), path.resolve(__dirname, '..', '..', '..'), path.resolve(__dirname, '..')];
  return candidates.find((c) => existsSync(path.join(c, 'groups')));
}
