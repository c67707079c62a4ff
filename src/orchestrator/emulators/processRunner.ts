/**
 * The process-runner port: how the emulator manager runs launch / stop commands. The host passes Node's
 * implementation (`NodeProcessRunner` in src/host/nodePorts.ts); tests pass a fake.
 */

export interface ProcessRunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
}

export interface ProcessResult {
  /** Exit code, or null when the process was killed or never started. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Killed because the timeout passed. */
  timedOut: boolean;
  /** Killed because the signal aborted. */
  aborted: boolean;
  /** Set when the program could not be started (for example ENOENT). */
  spawnError?: string;
}

export interface ProcessRunner {
  run(file: string, args: readonly string[], opts: ProcessRunOptions): Promise<ProcessResult>;
}
