/** Small helpers shared by the CLI commands. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

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
  const n = Number(v);
  if (!Number.isInteger(n)) {
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
      console.error(`emulator-fleet: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
