/**
 * The debug adapter as a program of its own (`node dist/debugAdapter.js`): the same session as the inline adapter,
 * speaking the protocol on stdin/stdout (or, with `--server=PORT`, on a TCP port, one session per connection).
 * Each launch builds its own fleet with the host layer for the workspace folder given as `root` in the launch
 * configuration (default: the current directory): a virtual device by default, or a device of the ADB server.
 * It has no running group, so it cannot attach. Nothing here may write to stdout: the protocol goes there.
 */
import { readFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { DEFAULT_ADB_HOST, DEFAULT_ADB_PORT } from '../../bot/adb/adbClient';
import { createFleet } from '../../host/fleet';
import { NodeFileStore } from '../../host/nodePorts';
import { formatServerAddress } from '../../orchestrator/emulators/adbServers';
import { SystemClock } from '../../shared/clock';
import { SinkLogger } from '../../shared/loggers';
import type { Logger, LogLevel } from '../../shared/ports';
import { VIRTUAL_DEVICE, type FleetLaunchArguments } from './config';
import { fleetLaunchPort } from './fleetLaunch';
import type { DebugSessionHost, LaunchFleet } from './ports';
import { FleetDebugSession } from './session';

/** Logs to stderr (the adapter's stdout is the protocol). `EMULATOR_FLEET_DEBUG_LOG=debug` shows more. */
function stderrLogger(): Logger {
  const level = (process.env.EMULATOR_FLEET_DEBUG_LOG ?? 'warn') as LogLevel;
  return new SinkLogger((r) => process.stderr.write(`${r.level}: ${r.source ? `[${r.source}] ` : ''}${r.message}\n`), level);
}

/** The ADB server of a launch on a real device: `adbServer`, else $ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037. */
function adbServerOf(args: FleetLaunchArguments): string {
  if (args.adbServer) {
    return args.adbServer;
  }
  const env = process.env.ANDROID_ADB_SERVER_PORT;
  return formatServerAddress({ host: DEFAULT_ADB_HOST, port: env && /^\d+$/.test(env) ? Number(env) : DEFAULT_ADB_PORT });
}

/** The standalone host: a fleet per launch, closed with the session. */
export function standaloneHost(logger: Logger = stderrLogger()): DebugSessionHost {
  return {
    logger,
    files: { readFile: (p) => readFile(p) },
    async openFleet(args): Promise<LaunchFleet> {
      const root = path.resolve(args.root ?? process.cwd());
      const virtual = (args.device ?? VIRTUAL_DEVICE) === VIRTUAL_DEVICE;
      const fleet = await createFleet({
        files: new NodeFileStore(root),
        clock: new SystemClock(),
        logger,
        lazy: true,
        watch: false,
        visionWorkers: 1,
        adbServers: virtual ? [] : [adbServerOf(args)],
      });
      return fleetLaunchPort(fleet, { root, close: () => fleet.close() });
    },
  };
}

function main(argv: readonly string[]): void {
  const host = standaloneHost();
  const portArg = argv.find((a) => a.startsWith('--server='));
  if (portArg) {
    const port = Number(portArg.slice('--server='.length));
    net
      .createServer((socket) => {
        const session = new FleetDebugSession(host);
        session.setRunAsServer(true);
        session.start(socket, socket);
        socket.on('close', () => void session.close());
      })
      .listen(port, '127.0.0.1', () => process.stderr.write(`emulator-fleet debug adapter listening on 127.0.0.1:${port}\n`));
    return;
  }
  const session = new FleetDebugSession(host);
  session.start(process.stdin, process.stdout);
}

if (require.main === module) {
  main(process.argv.slice(2));
}
