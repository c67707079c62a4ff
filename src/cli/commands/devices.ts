/**
 * `emulator-fleet devices [--adb-host H] [--adb-port P] [--json]`: lists the devices of an ADB server (serial,
 * state, model), as a table or a JSON array. The port defaults to $ANDROID_ADB_SERVER_PORT, then 5037.
 */
import { parse, parseIntArg, rejectPositionals, runCommand, UsageError } from '../args';
import { DEFAULT_ADB_HOST, DEFAULT_ADB_PORT, FleetAdbClient, type AdbDeviceEntry } from '../../bot/adb/adbClient';
import { isDeviceError } from '../../bot/device';

const USAGE = 'usage: emulator-fleet devices [--adb-host H] [--adb-port P] [--timeout MS] [--json]';

export async function main(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { values, positionals } = parse(args, {
      'adb-host': { type: 'string' },
      'adb-port': { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    rejectPositionals(positionals, USAGE);
    const envPort = process.env.ANDROID_ADB_SERVER_PORT;
    const port = parseIntArg('adb-port', values['adb-port'], envPort && /^\d+$/.test(envPort) ? Number(envPort) : DEFAULT_ADB_PORT)!;
    if (port < 1 || port > 65535) {
      throw new UsageError(`--adb-port must be between 1 and 65535, got ${port}`);
    }
    const timeoutMs = parseIntArg('timeout', values.timeout, 5000)!;
    if (timeoutMs < 1) {
      throw new UsageError(`--timeout must be a positive number of ms, got ${timeoutMs}`);
    }
    const host = values['adb-host'] ?? DEFAULT_ADB_HOST;
    const client = new FleetAdbClient({ host, port });
    let devices: AdbDeviceEntry[];
    try {
      devices = await client.devicesLong({ timeoutMs });
    } catch (e) {
      const why = isDeviceError(e, 'offline') ? 'it is not running or not reachable' : e instanceof Error ? e.message : String(e);
      console.error(`emulator-fleet: cannot list devices of the adb server at ${host}:${port}: ${why}`);
      return 1;
    }
    if (values.json) {
      console.log(JSON.stringify(devices.map((d) => ({ serial: d.serial, state: d.state, model: d.model ?? null, product: d.product ?? null, device: d.device ?? null, transportId: d.transportId ?? null })), null, 2));
      return 0;
    }
    console.log(formatTable(devices));
    return 0;
  });
}

/** The human table: one row per device, or a note when there are none. */
export function formatTable(devices: readonly AdbDeviceEntry[]): string {
  if (devices.length === 0) {
    return 'no devices';
  }
  const rows = [['SERIAL', 'STATE', 'MODEL'], ...devices.map((d) => [d.serial, d.state, d.model ?? '-'])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}
