/**
 * `emulator-fleet virtual-device --port P [--seed S] [--size 540x960] [--boot title|launcher] [--legacy-header]`:
 * serves one virtual Android device on 127.0.0.1 until SIGINT/SIGTERM (then exits 0).
 */
import { parse, parseIntArg, rejectPositionals, runCommand, terminationSignal, UsageError } from '../args';
import { VirtualDevice } from '../../virtual/virtualDevice';

/** `540x960` -> size; throws UsageError when malformed or out of 64..4096. */
export function parseSize(s: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (!m) {
    throw new UsageError(`--size expects WIDTHxHEIGHT (for example 540x960), got '${s}'`);
  }
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width < 64 || height < 64 || width > 4096 || height > 4096) {
    throw new UsageError(`--size must be between 64x64 and 4096x4096, got '${s}'`);
  }
  return { width, height };
}

export async function main(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { values, positionals } = parse(args, {
      port: { type: 'string' },
      seed: { type: 'string' },
      size: { type: 'string' },
      boot: { type: 'string' },
      'legacy-header': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      console.log('usage: emulator-fleet virtual-device --port P [--seed S] [--size 540x960] [--boot title|launcher] [--legacy-header]');
      return 0;
    }
    rejectPositionals(positionals);
    const port = parseIntArg('port', values.port);
    if (port === undefined) {
      throw new UsageError('--port is required (0 picks a free port)');
    }
    if (port < 0 || port > 65535) {
      throw new UsageError(`--port must be between 0 and 65535, got ${port}`);
    }
    const seed = parseIntArg('seed', values.seed, 1);
    const boot = values.boot ?? 'title';
    if (boot !== 'title' && boot !== 'launcher') {
      throw new UsageError(`--boot expects 'title' or 'launcher', got '${boot}'`);
    }
    const size = values.size !== undefined ? parseSize(values.size) : undefined;

    const vd = await VirtualDevice.start({ port, seed, size, boot, legacyHeader: values['legacy-header'] ?? false });
    console.log(`virtual device listening on ${vd.serial}`);
    await terminationSignal();
    await vd.close();
    return 0;
  });
}
