/** Small helpers shared by the CLI commands. */
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { printableLines } from './printable';
import { FleetError } from '../shared/errors';

/** Bad command-line input: the message is printed and the exit code is 2. */
export class UsageError extends FleetError<'usage'> {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

/** `parseArgs` that turns its errors into UsageError (exit code 2). */
export function parse<T extends ParseArgsConfig['options']>(args: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

export function parseIntArg(name: string, v: string | undefined, def?: number): number | undefined {
  if (v === undefined) {
    return def;
  }
  // Decimal digits only: Number() would also take '', ' ', '1e3' and '0x10'.
  const n = /^[+-]?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new UsageError(`--${name} expects an integer, got '${v}'`);
  }
  return n;
}

/** Runs a command body, mapping UsageError to exit 2 with its message. */
export async function runCommand(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`emulator-fleet: ${printableLines(e.message)}`);
      return 2;
    }
    throw e;
  }
}

/** Throws UsageError `unexpected argument '<first>'` (followed by `usage` on its own line, when given) if any positional is left. */
export function rejectPositionals(positionals: readonly string[], usage?: string): void {
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}'${usage !== undefined ? `\n${usage}` : ''}`);
  }
}

/** The workspace root of a command: `--root DIR` made absolute, or the current directory. */
export function workspaceRoot(root: string | undefined): string {
  return path.resolve(root ?? process.cwd());
}

/**
 * Splits `<sub> [args]` for commands with subcommands. Without a subcommand or with `--help`/`-h` it prints `usage`
 * and gives the exit code (2 without a subcommand, 0 for help); otherwise the subcommand and its arguments.
 */
export function subcommand(args: readonly string[], usage: string): { sub: string; rest: string[] } | number {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(usage);
    return sub === undefined ? 2 : 0;
  }
  return { sub, rest };
}

/** Ctrl-C, a plain `kill`, the terminal closing. */
const TERMINATION_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Calls `handler` on the first SIGINT, SIGTERM and SIGHUP of the process (each listener is removed once it has run,
 * so a repeated signal gets Node's default behaviour). Returns the function that removes the listeners.
 */
export function onTerminationSignals(handler: () => void): () => void {
  for (const sig of TERMINATION_SIGNALS) {
    process.once(sig, handler);
  }
  return () => {
    for (const sig of TERMINATION_SIGNALS) {
      process.off(sig, handler);
    }
  };
}

/** Resolves on the first SIGINT, SIGTERM or SIGHUP (then listens no more). */
export function terminationSignal(): Promise<void> {
  return new Promise((resolve) => {
    const off = onTerminationSignals(() => {
      off();
      resolve();
    });
  });
}
