/**
 * `emulator-fleet` command line: the headless runner on the same core as the extension.
 * Each subcommand lives in `src/cli/commands/<name>.ts` and exports `main(args): Promise<number>` (the exit code).
 */

import { printableLines } from './printable';

export interface CommandModule {
  main(args: string[]): Promise<number>;
}

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

export const commands: Record<string, CommandEntry> = {
  demo: { summary: 'the demo fleet: virtual devices running Premium Farmers, with a live table', load: () => Promise.resolve(require('./commands/demo') as CommandModule) },
  'virtual-device': { summary: 'serve one virtual Android device: --port P [--seed S] [--size 540x960]', load: () => Promise.resolve(require('./commands/virtualDevice') as CommandModule) },
  devices: { summary: 'list the devices of an ADB server: [--adb-host H] [--adb-port P] [--json]', load: () => Promise.resolve(require('./commands/devices') as CommandModule) },
  match: { summary: 'template matching on a frame: <frame.png> <template|image.png> [--root DIR] [--region x,y,w,h] [--threshold T] [--all] [--json]', load: () => Promise.resolve(require('./commands/match') as CommandModule) },
  validate: { summary: 'check every YAML file of a fleet workspace: [--root DIR] [--json]', load: () => Promise.resolve(require('./commands/validate') as CommandModule) },
  routine: { summary: 'routine run <name> [--root DIR] (--device SERIAL [--adb-port P] | --virtual) [--param k=v]... [--pool NAME] [--json]', load: () => Promise.resolve(require('./commands/routine') as CommandModule) },
  groups: { summary: 'groups list [--root DIR] [--json]', load: () => Promise.resolve(require('./commands/groups') as CommandModule) },
  run: { summary: 'run <group> [--root DIR] [--virtual N] [--cycles N | --duration S] [--json]', load: () => Promise.resolve(require('./commands/run') as CommandModule) },
  pools: { summary: 'pools list|show|import ...', load: () => Promise.resolve(require('./commands/pools') as CommandModule) },
};

function usage(): string {
  const lines = ['usage: emulator-fleet <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) {
    lines.push(`  ${name.padEnd(15)} ${c.summary}`);
  }
  return lines.join('\n');
}

export async function cliMain(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`emulator-fleet: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = await entry.load();
  try {
    return await mod.main(rest);
  } catch (err) {
    // Messages may quote names from the workspace's files: printed with their control characters escaped.
    console.error(`emulator-fleet: ${printableLines(err instanceof Error ? err.message : String(err))}`);
    return 1;
  }
}

if (require.main === module) {
  cliMain(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`emulator-fleet: ${printableLines(err instanceof Error ? err.message : String(err))}`);
      process.exitCode = 1;
    },
  );
}
