/** Helpers shared by the benchmarks (not a benchmark itself): JSON line output, argument lookup, rounding, percentiles, child shutdown. */
import type { ChildProcess } from 'node:child_process';
import * as stats from '../src/shared/stats';

/** A printer of one JSON object per line, each tagged `{ bench: name }`. */
export function jsonLines(name: string): (o: Record<string, unknown>) => void {
  return (o) => console.log(JSON.stringify({ bench: name, ...o }));
}

/** The value after `--name` in `args`, if any. */
export function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `n` rounded to `digits` decimals. */
export function roundTo(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The shared nearest-rank percentile of an ascending array, 0 for an empty one (bench output is always a number). */
export function percentile(sortedAsc: readonly number[], fraction: number): number {
  return stats.percentile(sortedAsc, fraction) ?? 0;
}

/** Ends a child's stdin (its signal to quit) and waits for it to exit; SIGKILLs it after `timeoutMs`. */
export function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.stdin?.end();
  });
}
