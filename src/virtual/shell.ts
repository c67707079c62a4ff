/**
 * The virtual device's `/system/bin/sh`: runs a command line (see `shellWords.ts` for the syntax) against the device
 * commands of `shellCommands.ts`. Nothing ever runs on the host machine.
 */
import type { VirtualApp } from './types';
import type { Faults } from './faults';
import type { InputLog } from './inputLog';
import { normalizePath, STRERROR, VfsError, type MemoryFs } from './vfs';
import { expandWords, expandWordToString, parseScript, ShellSyntaxError, type Pipeline, type Script, type SimpleCommand } from './shellWords';
import { deviceCommands } from './shellCommands';

/** What the shell needs from the device it runs on. */
export interface ShellDevice {
  readonly app: VirtualApp;
  readonly fs: MemoryFs;
  readonly faults: Faults;
  readonly inputLog: InputLog;
  readonly serial: string;
  /** System properties for `getprop` (computed live). */
  properties(): Record<string, string>;
  setProperty(key: string, value: string): void;
  /** `settings get/put` storage, keyed `namespace/key` (for example `secure/default_input_method`). */
  readonly settings: Map<string, string>;
  /** One screencap after faults (slow frames, corruption): raw (header + RGBA) or PNG, as zero-copy parts. */
  screencap(format: 'raw' | 'png', signal: AbortSignal): Promise<Buffer[]>;
  /** Device facts for `vdev state`. */
  info(): Record<string, unknown>;
  /** Monotonic milliseconds. */
  now(): number;
}

/** Where a running command line reads and writes. */
export interface ShellIo {
  stdout(data: Buffer | readonly Buffer[]): Promise<void>;
  stderr(data: Buffer | readonly Buffer[]): Promise<void>;
  /** All of standard input (resolves when the host closes it). */
  stdin(): Promise<Buffer>;
  /** Aborted when the host goes away: long commands (sleep, swipes, slow frames) stop early. */
  readonly signal: AbortSignal;
  /** Runs `fn` after the command's stream has been closed (for faults that would cut off the reply). */
  defer(fn: () => void): void;
}

/** What a command implementation gets. */
export interface CommandContext {
  readonly name: string;
  readonly args: string[];
  readonly device: ShellDevice;
  readonly env: Record<string, string>;
  readonly signal: AbortSignal;
  out(data: string | Buffer | readonly Buffer[]): Promise<void>;
  err(data: string | Buffer): Promise<void>;
  stdin(): Promise<Buffer>;
  defer(fn: () => void): void;
}

export type CommandHandler = (ctx: CommandContext) => Promise<number> | number;

export const SHELL_PATH = '/system/bin/sh';

/** Thrown by the `exit` builtin: ends the (sub)shell with a status. */
class ShellExit {
  constructor(readonly status: number) {}
}

const DEFAULT_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin',
  HOME: '/',
  USER: 'shell',
  LOGNAME: 'shell',
  SHELL: SHELL_PATH,
  HOSTNAME: 'localhost',
  TMPDIR: '/data/local/tmp',
  ANDROID_DATA: '/data',
  ANDROID_ROOT: '/system',
  EXTERNAL_STORAGE: '/sdcard',
  '#': '0',
  '0': SHELL_PATH,
});

const DISCARD = (): Promise<void> => Promise.resolve();

function bytes(data: string | Buffer | readonly Buffer[]): Buffer | readonly Buffer[] {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function concatParts(data: Buffer | readonly Buffer[]): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
}

export class VirtualShell {
  private readonly commands: Map<string, CommandHandler>;
  private nextPid = 4000;

  constructor(
    private readonly device: ShellDevice,
    extraCommands: Record<string, CommandHandler> = {},
  ) {
    this.commands = new Map(Object.entries({ ...deviceCommands(), ...extraCommands }));
  }

  /** Names of the commands this shell knows. */
  commandNames(): string[] {
    return [...this.commands.keys()].sort();
  }

  /** Runs a command line; resolves with its exit status (syntax errors give 1, unknown commands 127). */
  async run(line: string, io: ShellIo): Promise<number> {
    let script: Script;
    try {
      script = parseScript(line);
    } catch (e) {
      if (e instanceof ShellSyntaxError) {
        await io.stderr(Buffer.from(`${SHELL_PATH}: ${e.message}\n`));
        return 1;
      }
      throw e;
    }
    const env: Record<string, string> = { ...DEFAULT_ENV, '?': '0', $: String(this.nextPid++) };
    try {
      return await this.runScript(script, env, io);
    } catch (e) {
      if (e instanceof ShellExit) {
        return e.status;
      }
      throw e;
    }
  }

  private async runScript(script: Script, env: Record<string, string>, io: ShellIo): Promise<number> {
    let status = 0;
    for (const list of script) {
      if (io.signal.aborted) {
        break;
      }
      status = await this.runPipeline(list.first, env, io);
      env['?'] = String(status);
      for (const { op, pipeline } of list.rest) {
        if (io.signal.aborted) {
          break;
        }
        if ((op === '&&' && status === 0) || (op === '||' && status !== 0)) {
          status = await this.runPipeline(pipeline, env, io);
          env['?'] = String(status);
        }
      }
    }
    return status;
  }

  private async runPipeline(p: Pipeline, env: Record<string, string>, io: ShellIo): Promise<number> {
    let status = 0;
    if (p.commands.length === 1) {
      status = await this.runCommand(p.commands[0], env, io);
    } else {
      let input: Promise<Buffer> | undefined;
      for (let i = 0; i < p.commands.length; i++) {
        const last = i === p.commands.length - 1;
        const collected: Buffer[] = [];
        const stageIo: ShellIo = {
          stdout: last
            ? io.stdout
            : (d) => {
                collected.push(concatParts(d));
                return Promise.resolve();
              },
          stderr: io.stderr,
          stdin: input ? () => input as Promise<Buffer> : () => Promise.resolve(Buffer.alloc(0)),
          signal: io.signal,
          defer: io.defer,
        };
        status = await this.runCommand(p.commands[i], env, stageIo);
        input = Promise.resolve(Buffer.concat(collected));
      }
    }
    return p.bang ? (status === 0 ? 1 : 0) : status;
  }

  private async runCommand(cmd: SimpleCommand, env: Record<string, string>, outer: ShellIo): Promise<number> {
    const subst = async (script: Script): Promise<string> => {
      const out: Buffer[] = [];
      await this.runScript(script, { ...env }, {
        stdout: (d) => {
          out.push(concatParts(d));
          return Promise.resolve();
        },
        stderr: outer.stderr,
        stdin: () => Promise.resolve(Buffer.alloc(0)),
        signal: outer.signal,
        defer: outer.defer,
      }).catch((e: unknown) => {
        if (!(e instanceof ShellExit)) {
          throw e;
        }
      });
      return Buffer.concat(out).toString('utf8');
    };

    const assigned: Record<string, string> = {};
    for (const a of cmd.assigns) {
      assigned[a.name] = await expandWordToString(a.value, { ...env, ...assigned }, subst);
    }
    const words = await expandWords(cmd.words, { ...env, ...assigned }, subst);
    if (words.length === 0) {
      Object.assign(env, assigned);
    }

    // Redirections.
    const io = { ...outer };
    const fileOutputs: { path: string; append: boolean; chunks: Buffer[] }[] = [];
    const fdTarget = (fd: number): ShellIo['stdout'] | undefined => (fd === 1 ? io.stdout : fd === 2 ? io.stderr : undefined);
    for (const r of cmd.redirects) {
      const target = await expandWordToString(r.target, env, subst);
      if (r.op === '>&' || r.op === '<&') {
        if (r.op === '>&') {
          const src = target === '-' ? DISCARD : fdTarget(Number(target));
          if (!src) {
            await outer.stderr(Buffer.from(`${SHELL_PATH}: ${target}: bad file descriptor\n`));
            return 1;
          }
          if (r.fd === 1) {
            io.stdout = src;
          } else if (r.fd === 2) {
            io.stderr = src;
          }
        }
        continue;
      }
      if (r.op === '<') {
        if (target === '/dev/null') {
          io.stdin = () => Promise.resolve(Buffer.alloc(0));
          continue;
        }
        const f = this.device.fs.read(target);
        if (!f) {
          await outer.stderr(Buffer.from(`${SHELL_PATH}: can't open ${target}: ${this.device.fs.isDir(target) ? STRERROR.EISDIR : STRERROR.ENOENT}\n`));
          return 1;
        }
        io.stdin = () => Promise.resolve(f.data);
        continue;
      }
      let sink: ShellIo['stdout'];
      if (target === '/dev/null') {
        sink = DISCARD;
      } else {
        const path = normalizePath(target);
        if (this.device.fs.isDir(path)) {
          await outer.stderr(Buffer.from(`${SHELL_PATH}: can't create ${target}: ${STRERROR.EISDIR}\n`));
          return 1;
        }
        const entry = { path, append: r.op === '>>', chunks: [] as Buffer[] };
        fileOutputs.push(entry);
        sink = (d) => {
          entry.chunks.push(concatParts(d));
          return Promise.resolve();
        };
      }
      if (r.fd === 1) {
        io.stdout = sink;
      } else if (r.fd === 2) {
        io.stderr = sink;
      }
    }

    let status = 0;
    if (words.length > 0) {
      status = await this.exec(words, { ...env, ...assigned }, io);
    }
    for (const f of fileOutputs) {
      const prev = f.append ? this.device.fs.read(f.path)?.data : undefined;
      try {
        this.device.fs.write(f.path, Buffer.concat(prev ? [prev, ...f.chunks] : f.chunks));
      } catch (e) {
        await outer.stderr(Buffer.from(`${SHELL_PATH}: can't create ${f.path}: ${e instanceof VfsError ? STRERROR[e.code] : String(e)}\n`));
        status = 1;
      }
    }
    return status;
  }

  private async exec(words: string[], env: Record<string, string>, io: ShellIo): Promise<number> {
    const [name, ...args] = words;
    if (name === 'exit') {
      const n = args[0] === undefined ? Number(env['?'] ?? 0) : Number(args[0]);
      if (!Number.isInteger(n)) {
        await io.stderr(Buffer.from(`${SHELL_PATH}: exit: ${args[0]}: bad number\n`));
        throw new ShellExit(1);
      }
      throw new ShellExit(n & 0xff);
    }
    const base = /^\/(system|vendor|product|apex\/[^/]+)\/(x?bin)\/[^/]+$/.test(name) ? name.slice(name.lastIndexOf('/') + 1) : name;
    const handler = this.commands.get(base);
    if (!handler) {
      await io.stderr(Buffer.from(`${SHELL_PATH}: ${name}: inaccessible or not found\n`));
      return 127;
    }
    const ctx: CommandContext = {
      name: base,
      args,
      device: this.device,
      env,
      signal: io.signal,
      out: (d) => io.stdout(bytes(d)),
      err: (d) => io.stderr(bytes(d)),
      stdin: io.stdin,
      defer: io.defer,
    };
    try {
      const code = await handler(ctx);
      return code & 0xff;
    } catch (e) {
      if (io.signal.aborted) {
        return 130;
      }
      await io.stderr(Buffer.from(`${base}: ${e instanceof Error ? e.message : String(e)}\n`));
      return 1;
    }
  }
}
