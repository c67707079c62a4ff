/**
 * A private Debian `adb` server for integration tests: its own port (never 5037) and a fresh HOME, killed by
 * `kill()`. `adb()` runs the CLI against it with a bounded time.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface AdbRunResult {
  stdout: Buffer;
  stderr: string;
  /** Exit status; -1 when the run was killed at its timeout. */
  code: number;
  timedOut: boolean;
}

export interface AdbRunOptions {
  /** Kill the adb process after this long (default 20 s). */
  timeoutMs?: number;
  /** Bytes for adb's standard input (default: none, stdin is /dev/null). */
  input?: Buffer | string;
}

export interface AdbServerHandle {
  port: number;
  env: NodeJS.ProcessEnv;
  adb(args: string[], opts?: AdbRunOptions): Promise<AdbRunResult>;
  /** `adb connect serial`, retried until `adb devices` lists it as `device` (bounded). */
  connect(serial: string, timeoutMs?: number): Promise<void>;
  /** The state `adb devices` shows for a serial, or undefined when it is not listed. */
  stateOf(serial: string): Promise<string | undefined>;
  kill(): Promise<void>;
}

export const ADB_BINARY = process.env.EMULATOR_FLEET_TEST_ADB ?? 'adb';

/** A TCP port that was free a moment ago (bound and released on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function runAdb(env: NodeJS.ProcessEnv, args: string[], opts: AdbRunOptions = {}): Promise<AdbRunResult> {
  return new Promise((resolve) => {
    const child = spawn(ADB_BINARY, args, { env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 20_000);
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
    child.on('error', (e) => {
      err += String(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: err, code: timedOut ? -1 : (code ?? -1), timedOut });
    });
  });
}

/** Starts a private adb server. Always call `kill()` (in `after()`). */
export async function startAdbServer(): Promise<AdbServerHandle> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'ef-adb-home-'));
  let port = 0;
  let env: NodeJS.ProcessEnv = {};
  let started = false;
  for (let attempt = 0; attempt < 5 && !started; attempt++) {
    port = await freePort();
    env = { ...process.env, HOME: home, ANDROID_ADB_SERVER_PORT: String(port), ANDROID_SDK_HOME: home, ANDROID_USER_HOME: path.join(home, '.android') };
    delete env.ADB_VENDOR_KEYS;
    delete env.ANDROID_SERIAL;
    const r = await runAdb(env, ['start-server'], { timeoutMs: 15_000 });
    started = r.code === 0;
  }
  if (!started) {
    await rm(home, { recursive: true, force: true });
    throw new Error('could not start a private adb server');
  }

  const adb = (args: string[], opts?: AdbRunOptions): Promise<AdbRunResult> => runAdb(env, args, opts);

  const stateOf = async (serial: string): Promise<string | undefined> => {
    const r = await adb(['devices'], { timeoutMs: 10_000 });
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const [s, state] = line.trim().split('\t');
      if (s === serial) {
        return state;
      }
    }
    return undefined;
  };

  const connect = async (serial: string, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const r = await adb(['connect', serial], { timeoutMs: 5_000 });
      last = `${r.stdout.toString('utf8').trim()} ${r.stderr.trim()}`;
      let state: string | undefined;
      for (let i = 0; i < 10 && Date.now() < deadline; i++) {
        state = await stateOf(serial);
        if (state === 'device') {
          return;
        }
        if (state === undefined) {
          break;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
      if (state !== undefined) {
        // Stuck (offline, or in adb's own reconnect back-off): start over.
        await adb(['disconnect', serial], { timeoutMs: 5_000 });
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`adb could not connect to ${serial}: ${last}`);
  };

  const kill = async (): Promise<void> => {
    await adb(['kill-server'], { timeoutMs: 10_000 });
    await rm(home, { recursive: true, force: true });
  };

  return { port, env, adb, connect, stateOf, kill };
}
