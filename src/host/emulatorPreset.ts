/**
 * An emulator preset (MuMu, LDPlayer, BlueStacks, or a list of addresses) as the fleet uses it: numeric instances
 * mapped to ADB addresses by the EmulatorManager (over the fleet's ADB servers and their trackers), kept connected,
 * opened, and restarted with the preset's stop and launch commands.
 */
import type { CaptureMethodSetting } from '../bot/adb/captureSelection';
import type { OpenedDevice } from '../bot/bot';
import { InstanceRestartError } from '../bot/instanceRestart';
import { formatServerAddress } from '../orchestrator/emulators/adbServers';
import { EmulatorManager } from '../orchestrator/emulators/emulatorManager';
import type { EmulatorKind } from '../orchestrator/emulators/presets';
import type { InstanceProbe } from '../orchestrator/botGroup';
import { formatDuration } from '../shared/durations';
import type { Clock, Logger } from '../shared/ports';
import type { AdbServerSource } from './adbServerSource';
import { NodeProcessRunner } from './nodePorts';

export interface EmulatorPresetOptions {
  kind: EmulatorKind;
  /** The instance numbers the fleet uses. */
  instances: readonly number[];
  /** For `generic`: the addresses, instance n = entry n. */
  addresses?: readonly string[];
  /** Command templates ({index} {port} {serial} {host}); with both, the stuck ladder's `restartEmulator` works. */
  launchCommand?: string;
  stopCommand?: string;
  /** Deadline for a restarted instance to be listed and booted again (default 180 s). */
  bootTimeoutMs?: number;
}

export class EmulatorPreset {
  readonly manager: EmulatorManager;
  private tracking: Promise<void> | undefined;

  /** @throws EmulatorError('invalid-config') for a bad address, instance or command template. */
  constructor(
    private readonly o: EmulatorPresetOptions,
    servers: readonly AdbServerSource[],
    private readonly deps: { clock: Clock; logger: Logger; captureMethod?: CaptureMethodSetting },
  ) {
    const byServer = new Map(servers.map((s) => [s.server, s]));
    this.manager = new EmulatorManager({
      kind: o.kind,
      instances: o.instances,
      addresses: o.addresses,
      launchCommand: o.launchCommand,
      stopCommand: o.stopCommand,
      servers: servers.map((s) => s.server),
      clientFor: (a) => byServer.get(formatServerAddress(a))?.client ?? servers[0].client,
      trackerFor: (server) => byServer.get(server)?.tracker,
      clock: deps.clock,
      logger: deps.logger,
      processRunner: new NodeProcessRunner(),
    });
  }

  /** Starts tracking and connecting the instances, and waits (once, at most 5 s) for the first device lists. */
  ready(): Promise<void> {
    this.tracking ??= (async () => {
      this.manager.start();
      await this.manager.whenTracking(5000);
    })();
    return this.tracking;
  }

  /** `server\nserial` → instance key, for each configured instance listed now. */
  listedInstances(): Map<string, string> {
    const out = new Map<string, string>();
    for (const st of this.manager.instances()) {
      if (st.serial && st.server) {
        out.set(`${st.server}\n${st.serial}`, String(st.instance));
      }
    }
    return out;
  }

  async status(instance: string): Promise<InstanceProbe> {
    await this.ready();
    try {
      const st = this.manager.status(Number(instance));
      return { instance, state: st.online ? 'online' : 'offline', serial: st.serial };
    } catch {
      return { instance, state: 'unknown' };
    }
  }

  async open(instance: string, opts: { signal?: AbortSignal }): Promise<OpenedDevice> {
    await this.ready();
    const device = await this.manager.openDevice(Number(instance), { signal: opts.signal, captureMethod: this.deps.captureMethod });
    return { device, serial: device.serial };
  }

  /**
   * Restarts an emulator instance: the preset's stop command, its launch command, then `adb connect` until the
   * instance is listed and `sys.boot_completed` is 1 (within `bootTimeoutMs`).
   * @throws InstanceRestartError('unsupported') without stop and launch commands (nothing is stopped then);
   *   EmulatorError from the commands or the connect.
   */
  async restart(instance: string, opts: { signal?: AbortSignal }): Promise<void> {
    if (this.o.launchCommand === undefined || this.o.stopCommand === undefined) {
      throw new InstanceRestartError('unsupported', `no stop and launch commands are configured for the emulators: instance ${instance} cannot be restarted`);
    }
    const em = this.manager;
    const n = Number(instance);
    const clock = this.deps.clock;
    const bootTimeoutMs = this.o.bootTimeoutMs ?? 180_000;
    const deadline = clock.now() + bootTimeoutMs;
    const left = () => Math.max(1, deadline - clock.now());
    await em.stop(n, { signal: opts.signal });
    await em.launch(n, { signal: opts.signal });
    for (;;) {
      try {
        await em.ensureConnected(n, { signal: opts.signal, timeoutMs: left() });
        const device = await em.openDevice(n, { signal: opts.signal, captureMethod: this.deps.captureMethod });
        try {
          const r = await device.shell('getprop sys.boot_completed', { signal: opts.signal, timeoutMs: Math.min(10_000, left()) });
          if (r.stdout.trim() === '1') {
            return;
          }
        } finally {
          await device.close().catch(() => undefined);
        }
      } catch (e) {
        if (opts.signal?.aborted || clock.now() >= deadline) {
          throw e;
        }
      }
      if (clock.now() >= deadline) {
        throw new InstanceRestartError('failed', `instance ${instance} did not finish booting within ${formatDuration(bootTimeoutMs)}`);
      }
      await clock.sleep(Math.min(1000, left()), opts.signal);
    }
  }

  dispose(): void {
    this.manager.dispose();
  }
}
