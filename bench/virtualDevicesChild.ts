/**
 * The virtual devices of the fleet and monitor benches, in a child process (this file run with `--serve N`): it
 * serves `n` virtual devices on one embedded host endpoint, prints `{port, serials}` and waits for stdin to close
 * (the bench's devices then load another process, as real emulators would). Also the benches' temporary workspace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { AdbHostEndpoint } from '../src/virtual/hostEndpoint';
import { VirtualDevice } from '../src/virtual/virtualDevice';

export async function serve(n: number): Promise<void> {
  const devices = Array.from({ length: n }, (_, i) => VirtualDevice.create({ seed: i + 1 }));
  const endpoint = await AdbHostEndpoint.start();
  for (const d of devices) {
    endpoint.addDevice(d);
  }
  console.log(JSON.stringify({ port: endpoint.port, serials: devices.map((d) => d.serial) }));
  await new Promise<void>((resolve) => {
    process.stdin.on('close', resolve);
    process.stdin.on('end', resolve);
    process.stdin.resume();
  });
  await endpoint.close();
  await Promise.all(devices.map((d) => d.close()));
}

/** Starts `n` virtual devices in a child process; resolves with the endpoint's port and the serials. */
export async function startDevices(n: number): Promise<{ child: ChildProcess; port: number; serials: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--serve', String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = readline.createInterface({ input: child.stdout! });
  const started = await new Promise<{ port: number; serials: string[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the device process did not start within 60 s')), 60_000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as { port: number; serials: string[] });
    });
    child.once('exit', (code) => reject(new Error(`the device process exited (${code})`)));
  });
  return { child, ...started };
}

/** A temporary workspace: the repository's routines, templates and pools, plus a bench pool whose accounts come back at once. */
export function benchWorkspace(repo: string, prefix: string): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const dir of ['routines', 'templates', 'pools']) {
    if (existsSync(path.join(repo, dir))) {
      cpSync(path.join(repo, dir), path.join(ws, dir), { recursive: true });
    }
  }
  writeFileSync(
    path.join(ws, 'pools', 'bench_premium.yaml'),
    'name: bench_premium\ndescription: premium accounts, handed out again at once (benchmark)\nfilters:\n  - { field: premium, op: eq, value: true }\ncooldown: 0s\n',
  );
  return ws;
}

if (require.main === module && process.argv.includes('--serve')) {
  const n = Number(process.argv[process.argv.indexOf('--serve') + 1]);
  serve(n).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
