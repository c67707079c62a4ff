/**
 * The process-runner port: how the emulator manager runs launch / stop commands. Node's implementation uses
 * `execFile` (never a shell) with a timeout; tests pass a fake.
 */
import { execFile } from 'node:child_process';

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

/** Output kept per stream. */
const MAX_OUTPUT = 1024 * 1024;

export class NodeProcessRunner implements ProcessRunner {
  run(file: string, args: readonly string[], opts: ProcessRunOptions): Promise<ProcessResult> {
    return new Promise((resolve) => {
      let timedOut = false;
      let aborted = false;
      const child = execFile(
        file,
        [...args],
        { shell: false, windowsHide: true, maxBuffer: MAX_OUTPUT, encoding: 'utf8', cwd: opts.cwd },
        (err, stdout, stderr) => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
          const spawnError = e && typeof e.code === 'string' && child.pid === undefined ? `${e.code}: ${e.message}` : undefined;
          resolve({
            exitCode: child.exitCode,
            stdout: String(stdout ?? ''),
            stderr: String(stderr ?? ''),
            timedOut,
            aborted,
            spawnError,
          });
        },
      );
      const kill = () => {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, Math.max(1, opts.timeoutMs));
      const onAbort = () => {
        aborted = true;
        kill();
      };
      if (opts.signal?.aborted) {
        onAbort();
      } else {
        opts.signal?.addEventListener('abort', onAbort, { once: true });
      }
    });
  }
}
