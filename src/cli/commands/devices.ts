/**
 * `emulator-fleet devices [--adb-host H] [--adb-port P] [--json]`: lists the devices of an ADB server (serial,
 * state, model), as a table or a JSON array of the fleet's device entries. The port defaults to
 * $ANDROID_ADB_SERVER_PORT, then 5037.
 */
import { parse, parseIntArg, rejectPositionals, runCommand, UsageError, workspaceRoot } from '../args';
import { adbServerOf, openFleet } from '../fleetHost';
import type { DeviceInfo } from '../../shared/fleetTypes';
import { printable } from '../printable';

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
    const port = parseIntArg('adb-port', values['adb-port']);
    if (port !== undefined && (port < 1 || port > 65535)) {
      throw new UsageError(`--adb-port must be between 1 and 65535, got ${port}`);
    }
    const timeoutMs = parseIntArg('timeout', values.timeout, 5000)!;
    if (timeoutMs < 1) {
      throw new UsageError(`--timeout must be a positive number of ms, got ${timeoutMs}`);
    }
    const server = adbServerOf(values['adb-host'], port);
    const fleet = await openFleet(workspaceRoot(undefined), { lazy: true, watch: false, adbServers: [server] });
    try {
      const listed = await fleet.devices.listed(timeoutMs);
      if (!listed) {
        console.error(`emulator-fleet: cannot list devices of the adb server at ${server}: it is not running or not reachable`);
        return 1;
      }
      const devices = fleet.devices.list();
      if (values.json) {
        console.log(JSON.stringify(devices, null, 2));
        return 0;
      }
      console.log(formatTable(devices));
      return 0;
    } finally {
      await fleet.close();
    }
  });
}

/** The human table: one row per device, or a note when there are none. */
export function formatTable(devices: readonly DeviceInfo[]): string {
  if (devices.length === 0) {
    return 'no devices';
  }
  const rows = [['SERIAL', 'STATE', 'MODEL'], ...devices.map((d) => [d.serial, d.state, d.model ?? '-'].map(printable))];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}
