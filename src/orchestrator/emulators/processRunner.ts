/**
 * The process-runner port: how the emulator manager runs launch / stop commands. Node's implementation uses
 * `spawn` (never a shell) with a timeout; it is done when the program exits (a program it started in the background
 * may keep the output pipes open). Tests pass a fake.
 */
import { spawn } from 'node:child_process';

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

/**
 * After the program exited, how long to wait for its output streams to close. A launch command that starts the
 * emulator in the background leaves it holding them (possibly for hours): the command is done when it exits.
 */
const EXIT_GRACE_MS = 200;

export class NodeProcessRunner implements ProcessRunner {
  run(file: string, args: readonly string[], opts: ProcessRunOptions): Promise<ProcessResult> {
    return new Promise((resolve) => {
      let timedOut = false;
      let aborted = false;
      let settled = false;
      let exitCode: number | null = null;
      let spawnError: string | undefined;
      const out = { stdout: '', stderr: '' };
      let grace: ReturnType<typeof setTimeout> | undefined;
      const child = spawn(file, [...args], { shell: false, windowsHide: true, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      for (const name of ['stdout', 'stderr'] as const) {
        const stream = child[name];
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          if (out[name].length < MAX_OUTPUT) {
            out[name] += chunk.slice(0, MAX_OUTPUT - out[name].length);
          }
        });
        stream.on('error', () => undefined);
      }
      const finish = () => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(timer);
        clearTimeout(grace);
        opts.signal?.removeEventListener('abort', onAbort);
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ exitCode, stdout: out.stdout, stderr: out.stderr, timedOut, aborted, spawnError });
      };
      const kill = () => {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      };
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (child.pid === undefined) {
          spawnError = `${e.code ?? 'error'}: ${e.message}`;
          finish();
        }
      });
      child.on('exit', (code) => {
        exitCode = code;
        clearTimeout(timer);
        grace = setTimeout(finish, EXIT_GRACE_MS);
      });
      child.on('close', finish);
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
