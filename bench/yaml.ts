/**
 * `npm run bench -- yaml [--runs N]`: the worst-case time to load one workspace YAML file just under the limits
 * (YAML_LIMITS: size, nodes, nesting), for several shapes of file, and the time to refuse files over them. A reload
 * parses on the event loop, so this is the longest a saved file can hold up running bots. One JSON line per shape:
 * the file's size and the fastest and median times of parseYaml alone and of the routine loader (parse, schema,
 * static checks).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseRoutine } from '../src/bot/routine/loader';
import { parseYaml, YAML_LIMITS } from '../src/shared/yamlSource';
import { argValue, jsonLines, percentile, roundTo } from './stats';

const out = jsonLines('yaml');

/** Files that stop just under a limit, grown by a count `n`. */
function shapes(): Record<string, (n: number) => string> {
  const base = readFileSync(path.join(__dirname, '../routines/farm_premium.yaml'), 'utf8');
  const at = base.indexOf('steps:\n', base.indexOf('onError'));
  const head = base.slice(0, at + 'steps:\n'.length);
  const body = base.slice(at + 'steps:\n'.length);
  return {
    'realistic routine (farm_premium steps repeated)': (n) => head + body.repeat(n),
    'flat flow list [1,1,...]': (n) => `steps: [${'1,'.repeat(n)}1]\n`,
    'block list of scalars': (n) => `steps:\n${'  - 1\n'.repeat(n)}`,
    'one big map': (n) => `vars:\n${Array.from({ length: n }, (_, i) => `  k${i}: ${i}`).join('\n')}\n`,
    'nesting 64 deep, repeated': (n) => `steps: [${`${'['.repeat(63)}${']'.repeat(63)},`.repeat(n)}1]\n`,
    'comment lines': (n) => `${'#\n'.repeat(n)}steps: []\n`,
    'anchors and aliases': (n) => `vars:\n  base: &b { x: 1, y: 2 }\n${Array.from({ length: n }, (_, i) => `  v${i}: *b`).join('\n')}\nsteps: []\n`,
    'not YAML (an error per line)': (n) => '- @\n'.repeat(n),
    'long quoted string': (n) => `steps:\n  - log: "${'x'.repeat(n)}"\n`,
  };
}

function withinLimits(text: string): boolean {
  return !parseYaml(text, 'routines/bench.yaml').diagnostics.some((d) => d.code === 'file-too-large' || d.code === 'too-many-nodes' || d.code === 'too-deep');
}

/** The largest file of the shape that is within the limits (binary search on n). */
function largestWithin(make: (n: number) => string): string {
  let lo = 1;
  let hi = 2;
  while (withinLimits(make(hi)) && hi < 1e8) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (withinLimits(make(mid))) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return make(lo);
}

/**
 * Wall-clock times after a warm-up, and the smallest CPU time of the process over a run (on a machine busy with
 * other work the wall clock includes waiting for a core; the CPU time also counts the process's other threads).
 */
function time(runs: number, f: () => unknown): { minMs: number; medianMs: number; cpuMs: number } {
  for (let i = 0; i < 3; i++) {
    f();
  }
  const ts: number[] = [];
  let cpu = Infinity;
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    f();
    ts.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu = Math.min(cpu, (used.user + used.system) / 1000);
  }
  ts.sort((a, b) => a - b);
  return { minMs: roundTo(ts[0], 1), medianMs: roundTo(percentile(ts, 0.5), 1), cpuMs: roundTo(cpu, 1) };
}

export async function run(args: string[]): Promise<void> {
  const runs = Number(argValue(args, 'runs') ?? 7);
  out({ event: 'limits', ...YAML_LIMITS });
  const shipped = readFileSync(path.join(__dirname, '../routines/farm_premium.yaml'), 'utf8');
  out({ event: 'shipped routine', shape: 'farm_premium.yaml', bytes: shipped.length, parse: time(runs, () => parseYaml(shipped, 'routines/farm_premium.yaml')), load: time(runs, () => parseRoutine(shipped, 'routines/farm_premium.yaml', 'farm_premium')) });
  for (const [shape, make] of Object.entries(shapes())) {
    const text = largestWithin(make);
    const parse = time(runs, () => parseYaml(text, 'routines/bench.yaml'));
    const load = time(runs, () => parseRoutine(text, 'routines/bench.yaml', 'bench'));
    out({ event: 'just-under-limits', shape, bytes: text.length, parse, load });
    await new Promise((r) => setImmediate(r));
  }
  const over = `steps:\n${'  - log: "a line of a very large routine"\n'.repeat(1_200_000)}`;
  out({ event: 'over-size-limit', bytes: over.length, parse: time(runs, () => parseYaml(over, 'routines/bench.yaml')) });
}
