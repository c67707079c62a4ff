/** How the CLI commands build their fleet: Node ports over the workspace folder and the ADB server of their flags. */
import { DEFAULT_ADB_HOST, DEFAULT_ADB_PORT } from '../bot/adb/adbClient';
import { createFleet, type Fleet, type FleetHostOptions } from '../host/fleet';
import { NodeFileStore } from '../host/nodePorts';
import { formatServerAddress } from '../orchestrator/emulators/adbServers';
import { SystemClock } from '../shared/clock';
import { nullLogger } from '../shared/loggers';
import type { Logger } from '../shared/ports';

/** `--adb-host`/`--adb-port`, defaulting to 127.0.0.1 and $ANDROID_ADB_SERVER_PORT, then 5037, as `host:port`. */
export function adbServerOf(host?: string, port?: number): string {
  const env = process.env.ANDROID_ADB_SERVER_PORT;
  return formatServerAddress({ host: host ?? DEFAULT_ADB_HOST, port: port ?? (env && /^\d+$/.test(env) ? Number(env) : DEFAULT_ADB_PORT) });
}

/** The fleet of the workspace at `root` (absolute), through the host's createFleet. */
export function openFleet(root: string, o: Omit<FleetHostOptions, 'files' | 'clock' | 'logger'> & { logger?: Logger } = {}): Promise<Fleet> {
  return createFleet({ ...o, files: new NodeFileStore(root), clock: new SystemClock(), logger: o.logger ?? nullLogger });
}
