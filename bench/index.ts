/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts, which prints one JSON object per line.
 * Without a name, runs every benchmark in turn.
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

/** Files of this folder that are not benchmarks: the runner and the shared helpers. */
const NOT_BENCHMARKS = new Set(['index.ts', 'stats.ts']);

interface BenchModule {
  run(args: string[]): Promise<void>;
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const available = readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && !NOT_BENCHMARKS.has(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
  const names = name ? [name] : available;
  for (const n of names) {
    const file = path.join(__dirname, `${n}.ts`);
    if (!existsSync(file)) {
      console.error(`unknown benchmark '${n}' (available: ${available.join(', ')})`);
      process.exitCode = 2;
      return;
    }
    const mod = require(file) as BenchModule;
    console.log(JSON.stringify({ bench: n, event: 'start', time: new Date().toISOString(), node: process.version }));
    await mod.run(rest);
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
