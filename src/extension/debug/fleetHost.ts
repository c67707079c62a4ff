/**
 * The debug session hosts. The standalone adapter's launches each build their own fleet with the host layer
 * (createFleet) for the workspace folder given as `root` in the launch configuration (else `defaultRoot`): a
 * virtual device by default, or a device of the ADB server. Inline in the extension host, launches run on the
 * window's fleet (its devices, ADB servers, pools and settings; see {@link windowFleetHost}); `targets` (the bots of
 * running groups) is passed by whoever runs groups. No vscode import.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { DEFAULT_ADB_HOST, DEFAULT_ADB_PORT } from '../../bot/adb/adbClient';
import { createFleet, type Fleet } from '../../host/fleet';
import { NodeFileStore } from '../../host/nodePorts';
import { formatServerAddress } from '../../orchestrator/emulators/adbServers';
import { SystemClock } from '../../shared/clock';
import type { Logger } from '../../shared/ports';
import { VIRTUAL_DEVICE, type FleetLaunchArguments } from './config';
import { fleetLaunchPort } from './fleetLaunch';
import type { DebugRecorderView, DebugSessionHost, DebugTargets, LaunchFleet } from './ports';

/** The ADB server of a launch on a real device: `adbServer`, else $ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037. */
export function adbServerOf(args: FleetLaunchArguments, env: NodeJS.ProcessEnv = process.env): string {
  if (args.adbServer) {
    return args.adbServer;
  }
  const port = env.ANDROID_ADB_SERVER_PORT;
  return formatServerAddress({ host: DEFAULT_ADB_HOST, port: port && /^\d+$/.test(port) ? Number(port) : DEFAULT_ADB_PORT });
}

export interface FleetSessionHostOptions {
  logger: Logger;
  /** The workspace folder of a launch without `root` (default: the current directory). */
  defaultRoot?: () => string | undefined;
  /** The bots of running groups, for attach. */
  targets?: DebugTargets;
  /** The workspace folder of those bots' fleet (a function when that fleet can change, read at each attach). */
  root?: string | (() => string | undefined);
  /** The monitor's flight recorder (the frames of an attached bot's earlier steps). */
  recorder?: () => DebugRecorderView | undefined;
}

/** A fleet per launch, closed with the session. */
export function fleetSessionHost(o: FleetSessionHostOptions): DebugSessionHost {
  return {
    logger: o.logger,
    files: { readFile: (p) => readFile(p) },
    ...(o.targets ? { targets: o.targets } : {}),
    ...(o.recorder ? { recorder: o.recorder } : {}),
    get root(): string | undefined {
      return typeof o.root === 'function' ? o.root() : o.root;
    },
    async openFleet(args): Promise<LaunchFleet> {
      const root = path.resolve(args.root ?? o.defaultRoot?.() ?? process.cwd());
      const virtual = (args.device ?? VIRTUAL_DEVICE) === VIRTUAL_DEVICE;
      const fleet = await createFleet({
        files: new NodeFileStore(root),
        clock: new SystemClock(),
        logger: o.logger,
        lazy: true,
        watch: false,
        visionWorkers: 1,
        adbServers: virtual ? [] : [adbServerOf(args)],
      });
      return fleetLaunchPort(fleet, { root, close: () => fleet.close() });
    },
  };
}

export interface WindowFleetHostOptions extends FleetSessionHostOptions {
  /** The window's fleet, built on first need (the extension's FleetSession). */
  fleet: () => Promise<Fleet>;
}

/**
 * The inline adapter's host: a launch runs on the window's fleet (the devices, ADB servers, account pools and
 * settings the sidebar shows; a virtual device started for the session appears there until the session ends), and
 * closing the launch leaves that fleet running. A launch whose `root` is another folder than the fleet's, or that
 * names its own `adbServer`, gets a fleet of its own as in the standalone adapter.
 */
export function windowFleetHost(o: WindowFleetHostOptions): DebugSessionHost {
  const own = fleetSessionHost(o);
  const rootNow = (): string | undefined => (typeof o.root === 'function' ? o.root() : o.root);
  return {
    logger: o.logger,
    files: own.files,
    ...(o.targets ? { targets: o.targets } : {}),
    ...(o.recorder ? { recorder: o.recorder } : {}),
    get root(): string | undefined {
      return rootNow();
    },
    async openFleet(args): Promise<LaunchFleet> {
      if (args.adbServer !== undefined) {
        return own.openFleet(args);
      }
      const fleet = await o.fleet();
      const root = rootNow();
      if (root === undefined || (args.root !== undefined && path.resolve(args.root) !== path.resolve(root))) {
        return own.openFleet(args);
      }
      return fleetLaunchPort(fleet, { root });
    },
  };
}
