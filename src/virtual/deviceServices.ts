/**
 * The device services a host can open: `shell:<cmd>` (v1: raw output, no exit code), `shell,v2,...:<cmd>` (shell
 * protocol v2: stdout/stderr/exit packets), `exec:<cmd>` (raw output, no pty) and `sync:` (file transfer). They run
 * over any ServiceStream, so adbd and the embedded host endpoint share them.
 */
import {
  SHELL_ID_CLOSE_STDIN,
  SHELL_ID_EXIT,
  SHELL_ID_STDERR,
  SHELL_ID_STDIN,
  SHELL_ID_STDOUT,
  ShellPacketParser,
  shellPacketHeader,
} from './adbProtocol';
import type { ServiceStream } from './serviceStream';
import { toParts } from './serviceStream';
import type { ShellIo, VirtualShell } from './shell';
import { runSyncService } from './syncService';
import type { MemoryFs } from './vfs';

export type ParsedService =
  | { kind: 'shell'; protocol: 'v1' | 'v2'; command: string; options: string[] }
  | { kind: 'exec'; command: string }
  | { kind: 'sync' };

/** Recognises the services this device offers; undefined for anything else (the host then sees the open fail). */
export function parseService(service: string): ParsedService | undefined {
  const s = service.replace(/\0+$/, '');
  if (s === 'sync:') {
    return { kind: 'sync' };
  }
  if (s.startsWith('exec:')) {
    return { kind: 'exec', command: s.slice(5) };
  }
  const m = /^shell(,[^:]*)?:/.exec(s);
  if (m) {
    const options = (m[1] ?? '').split(',').filter((o) => o.length > 0);
    return { kind: 'shell', protocol: options.includes('v2') ? 'v2' : 'v1', command: s.slice(m[0].length), options };
  }
  return undefined;
}

/** Flush buffered output once this much is pending (small outputs go out as one message). */
const FLUSH_BYTES = 256 * 1024;

/** Collects output parts and writes them in batches, preserving order. */
class OutputBatcher {
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly stream: ServiceStream) {}

  async add(parts: Buffer[]): Promise<void> {
    for (const p of parts) {
      this.parts.push(p);
      this.bytes += p.length;
    }
    if (this.bytes >= FLUSH_BYTES) {
      await this.flush();
    }
  }

  flush(): Promise<void> {
    if (this.parts.length === 0) {
      return Promise.resolve();
    }
    const parts = this.parts;
    this.parts = [];
    this.bytes = 0;
    return this.stream.write(parts);
  }
}

/**
 * Runs a shell command line on a stream in the given protocol, then closes the stream and runs deferred actions.
 * Subscribes to host data synchronously.
 */
export function runShellService(shell: VirtualShell, stream: ServiceStream, command: string, protocol: 'v1' | 'v2' | 'exec'): Promise<void> {
  const out = new OutputBatcher(stream);
  const deferred: (() => void)[] = [];
  const stdinChunks: Buffer[] = [];
  let resolveStdin: (b: Buffer) => void = () => undefined;
  const stdinDone = new Promise<Buffer>((r) => {
    resolveStdin = r;
  });
  const finishStdin = (): void => resolveStdin(Buffer.concat(stdinChunks));
  stream.signal.addEventListener('abort', finishStdin, { once: true });

  if (protocol === 'v2') {
    const parser = new ShellPacketParser();
    stream.onDidReceiveData((chunk) => {
      try {
        for (const p of parser.push(chunk)) {
          if (p.id === SHELL_ID_STDIN) {
            stdinChunks.push(p.data);
          } else if (p.id === SHELL_ID_CLOSE_STDIN) {
            finishStdin();
          }
          // SHELL_ID_WINDOW_SIZE and anything else: ignored.
        }
      } catch {
        void stream.end();
      }
    });
  } else {
    stream.onDidReceiveData((chunk) => {
      stdinChunks.push(chunk);
    });
  }

  const frame = (id: number, data: Buffer | readonly Buffer[]): Buffer[] => {
    const parts = toParts(data);
    if (protocol !== 'v2') {
      return parts;
    }
    const len = parts.reduce((n, p) => n + p.length, 0);
    return len === 0 ? [] : [shellPacketHeader(id, len), ...parts];
  };

  const io: ShellIo = {
    stdout: (d) => out.add(frame(SHELL_ID_STDOUT, d)),
    stderr: (d) => out.add(frame(SHELL_ID_STDERR, d)),
    stdin: () => stdinDone,
    signal: stream.signal,
    defer: (fn) => deferred.push(fn),
  };

  const run = async (): Promise<void> => {
    // Let the transport confirm the open before any output.
    await Promise.resolve();
    let code: number;
    if (command.trim() === '' && protocol !== 'exec') {
      await io.stderr(Buffer.from('virtual device: interactive shells are not supported; pass a command\n'));
      code = 1;
    } else {
      try {
        code = await shell.run(command, io);
      } catch (e) {
        await io.stderr(Buffer.from(`virtual device: ${e instanceof Error ? e.message : String(e)}\n`));
        code = 1;
      }
    }
    if (protocol === 'v2') {
      await out.add([shellPacketHeader(SHELL_ID_EXIT, 1), Buffer.from([code & 0xff])]);
    }
    await out.flush();
    await stream.end();
    for (const fn of deferred) {
      try {
        fn();
      } catch {
        // A deferred fault must never take the device down.
      }
    }
  };
  return run();
}

/** Starts the service on the stream; false when the service is unknown (the host sees the open fail). */
export function startService(service: string, stream: ServiceStream, shell: VirtualShell, fs: MemoryFs): Promise<void> | undefined {
  const parsed = parseService(service);
  if (!parsed) {
    return undefined;
  }
  switch (parsed.kind) {
    case 'sync':
      return runSyncService(stream, fs);
    case 'exec':
      return runShellService(shell, stream, parsed.command, 'exec');
    case 'shell':
      return runShellService(shell, stream, parsed.command, parsed.protocol);
  }
}
