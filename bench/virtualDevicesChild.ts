/**
 * The child process of the fleet and monitor benches: serves `n` virtual devices on one embedded host endpoint,
 * prints `{port, serials}` and waits for stdin to close (the bench's devices then load another process, as real
 * emulators would).
 */
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
