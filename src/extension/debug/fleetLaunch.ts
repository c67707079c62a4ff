/**
 * The launch port over a host fleet (createFleet): its routines, its devices (a virtual device started for the
 * session and stopped after it), its account pools (a port per session whose leases are released when it ends)
 * and its interpreters. The inline adapter uses the extension's fleet; the standalone one a fleet of its own.
 * No vscode import.
 */
import { randomUUID } from 'node:crypto';
import type { Device, RawFrame } from '../../bot/device';
import type { Fleet } from '../../host/fleet';
import type { Clock } from '../../shared/ports';
import { LatencyWindow } from '../../shared/stats';
import { VIRTUAL_DEVICE } from './config';
import { checkDeviceFree } from './devicePicker';
import { DebugLaunchError, type LaunchAccounts, type LaunchDevice, type LaunchFleet, type LaunchRoutineEntry } from './ports';

const INPUT_METHODS = new Set(['tap', 'longPress', 'swipe', 'text', 'key']);

/** The device with its capture and input latency measured (the debugger's device scope shows them). */
function measured(device: Device, clock: Clock, onFrame?: (frame: RawFrame) => void): { device: Device; capture: LatencyWindow; input: LatencyWindow } {
  const capture = new LatencyWindow(128);
  const input = new LatencyWindow(128);
  const proxy = new Proxy(device, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') {
        return v;
      }
      const fn = v as (...args: unknown[]) => unknown;
      if (prop === 'screenshot' || (typeof prop === 'string' && INPUT_METHODS.has(prop))) {
        const window = prop === 'screenshot' ? capture : input;
        return async (...args: unknown[]) => {
          const t0 = clock.now();
          const r = await fn.apply(target, args);
          window.add(clock.now() - t0);
          if (prop === 'screenshot' && onFrame) {
            onFrame(r as RawFrame);
          }
          return r;
        };
      }
      return fn.bind(target);
    },
  });
  return { device: proxy, capture, input };
}

export interface FleetLaunchOptions {
  /** Absolute workspace folder of the fleet. */
  root: string;
  /** What closing the port does (standalone: close the fleet); default nothing. */
  close?: () => Promise<void>;
}

export function fleetLaunchPort(fleet: Fleet, o: FleetLaunchOptions): LaunchFleet {
  const registry = () => {
    const r = fleet.orchestrator.routineRegistry();
    if (!r) {
      throw new DebugLaunchError('no-fleet', 'the fleet has no routine registry');
    }
    return r;
  };
  return {
    root: o.root,
    routineNames: () => registry().names(),
    routine(name: string): LaunchRoutineEntry | undefined {
      const e = registry().entry(name);
      return e && { name: e.name, file: e.file, valid: e.valid, diagnostics: e.diagnostics };
    },
    async reloadRoutines() {
      await registry().reload();
    },
    async openDevice(device, opts): Promise<LaunchDevice> {
      let serial = device;
      let started = false;
      if (device !== VIRTUAL_DEVICE) {
        checkDeviceFree(fleet.devices.list(), device);
      }
      if (device === VIRTUAL_DEVICE) {
        const [info] = await fleet.startVirtualDevices(1, opts.seed !== undefined ? { seed: opts.seed } : {});
        serial = info.serial;
        started = true;
      }
      const stopStarted = async () => {
        if (started) {
          await fleet.stopVirtualDevices([serial]);
        }
      };
      let opened;
      try {
        opened = await fleet.devices.open(serial, { serial, signal: opts.signal });
      } catch (e) {
        await stopStarted().catch(() => undefined);
        const known = fleet.devices
          .list()
          .filter((d) => d.state === 'online')
          .map((d) => d.serial);
        throw new DebugLaunchError(
          'device',
          `cannot open device '${serial}': ${e instanceof Error ? e.message : String(e)}${started ? '' : ` (online devices: ${known.length ? known.join(', ') : 'none'}; "device": "virtual" starts a virtual device)`}`,
          { cause: e },
        );
      }
      const m = measured(opened.device, fleet.clock, opts.onFrame);
      return {
        device: m.device,
        serial: opened.serial,
        info: () => ({ serial: opened.serial, capture: m.capture.summary(), input: m.input.summary() }),
        close: async () => {
          try {
            await opened.device.close();
          } finally {
            await stopStarted();
          }
        },
      };
    },
    async poolNames() {
      return (await fleet.pools()).listPools().map((p) => p.name);
    },
    async openAccounts(pool, owner): Promise<LaunchAccounts> {
      const manager = await fleet.pools();
      if (!manager.definition(pool)) {
        const known = manager.listPools().map((p) => p.name);
        throw new DebugLaunchError('unknown-pool', `no account pool named '${pool}' (${known.length ? `pools: ${known.join(', ')}` : 'the workspace defines no pool in pools/*.yaml'})`);
      }
      const orchestrationId = `debug-${randomUUID()}`;
      const port = manager.accountPort(pool, { group: 'debug', bot: owner.bot, orchestrationId, routine: owner.routine });
      let closed = false;
      return {
        port,
        close: async () => {
          if (closed) {
            return;
          }
          closed = true;
          try {
            await manager.releaseAll({ orchestrationId }, 'debug session ended');
          } finally {
            port.dispose();
          }
        },
      };
    },
    createInterpreter: (x) => fleet.createInterpreter(x),
    close: o.close ?? (async () => undefined),
  };
}
