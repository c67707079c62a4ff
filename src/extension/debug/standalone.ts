/**
 * The debug adapter as a program of its own (`node dist/debugAdapter.js`): the same session as the inline adapter,
 * speaking the protocol on stdin/stdout (or, with `--server=PORT`, on a TCP port, one session per connection).
 * Each launch builds its own fleet with the host layer for the workspace folder given as `root` in the launch
 * configuration (default: the current directory): a virtual device by default, or a device of the ADB server.
 * It has no running group, so it cannot attach. Nothing here may write to stdout: the protocol goes there.
 */
import * as net from 'node:net';
import { SinkLogger } from '../../shared/loggers';
import type { Logger, LogLevel } from '../../shared/ports';
import { fleetSessionHost } from './fleetHost';
import type { DebugSessionHost } from './ports';
import { FleetDebugSession } from './session';

/** Logs to stderr (the adapter's stdout is the protocol). `EMULATOR_FLEET_DEBUG_LOG=debug` shows more. */
function stderrLogger(): Logger {
  const level = (process.env.EMULATOR_FLEET_DEBUG_LOG ?? 'warn') as LogLevel;
  return new SinkLogger((r) => process.stderr.write(`${r.level}: ${r.source ? `[${r.source}] ` : ''}${r.message}\n`), level);
}

/** The standalone host: a fleet per launch (for `root`, default the current directory), closed with the session. */
export function standaloneHost(logger: Logger = stderrLogger()): DebugSessionHost {
  return fleetSessionHost({ logger });
}

function main(argv: readonly string[]): void {
  const host = standaloneHost();
  const portArg = argv.find((a) => a.startsWith('--server='));
  if (portArg) {
    const port = Number(portArg.slice('--server='.length));
    net
      .createServer((socket) => {
        socket.setNoDelay(true); // replies go out at once (Nagle with a delayed ACK adds ~40 ms to each)
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
