/** Runs a CLI command in this process and captures what it prints through console.log / console.error. */

export interface CapturedOutput {
  /** The command's exit code. */
  code: number;
  /** console.log lines, joined with '\n'. */
  out: string;
  /** console.error lines, joined with '\n'. */
  err: string;
}

/** Calls `body` with console.log and console.error redirected into buffers (restored afterwards, even on a throw). */
export async function captureOutput(body: () => Promise<number>): Promise<CapturedOutput> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await body();
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}
