/**
 * The extension's settings (`emulatorFleet.*`), read into plain values and checked. No vscode import: the reader
 * takes a getter, so the rules are unit-tested in plain Node. Settings are read live: the session rebuilds the
 * fleet when one that shapes it changes.
 */
import { EMULATOR_KINDS, type EmulatorKind } from '../orchestrator/emulators/presets';
import { formatServerAddress, parseServerAddress } from '../orchestrator/emulators/adbServers';
import type { CaptureMethodSetting } from '../bot/adb/captureSelection';

export const SETTINGS_SECTION = 'emulatorFleet';

/** Every setting, by its key under `emulatorFleet.` (package.json declares the same keys; a unit test checks). */
export const SETTING_KEYS = {
  adbServers: 'adb.servers',
  captureMethod: 'capture.method',
  emulatorKind: 'emulator.kind',
  emulatorInstances: 'emulator.instances',
  emulatorAddresses: 'emulator.addresses',
  emulatorLaunchCommand: 'emulator.launchCommand',
  emulatorStopCommand: 'emulator.stopCommand',
  fleetFolder: 'fleetFolder',
  virtualDevicesAtStartup: 'virtualDevices.atStartup',
  monitorThumbnailFps: 'monitor.thumbnailFps',
  recorderFrames: 'recorder.frames',
  recorderMemoryMB: 'recorder.memoryMB',
  recorderFps: 'recorder.fps',
  recorderLosslessFrames: 'recorder.losslessFrames',
  recorderReportsFolder: 'recorder.reportsFolder',
} as const;

export type SettingKey = (typeof SETTING_KEYS)[keyof typeof SETTING_KEYS];

/** The settings that shape the fleet itself: a change of one of them rebuilds it. */
export const FLEET_SHAPING_KEYS: readonly SettingKey[] = [
  SETTING_KEYS.adbServers,
  SETTING_KEYS.captureMethod,
  SETTING_KEYS.emulatorKind,
  SETTING_KEYS.emulatorInstances,
  SETTING_KEYS.emulatorAddresses,
  SETTING_KEYS.emulatorLaunchCommand,
  SETTING_KEYS.emulatorStopCommand,
  SETTING_KEYS.fleetFolder,
];

export interface FleetSettings {
  adbServers: string[];
  captureMethod: CaptureMethodSetting;
  emulator?: { kind: EmulatorKind; instances: number[]; addresses?: string[]; launchCommand?: string; stopCommand?: string };
  /** A workspace folder name, or a path (absolute or relative to the first folder) holding groups/. */
  fleetFolder?: string;
  virtualDevicesAtStartup: number;
  monitorThumbnailFps: number;
  recorderFrames: number;
  recorderMemoryMB: number;
  /** Frames recorded per second per bot (at most; a bot records no faster than it captures). */
  recorderFps: number;
  /** The newest recorded frames of each bot that also keep a lossless (PNG) copy, for "Save frame". */
  recorderLosslessFrames: number;
  /** Where bug reports go: a path, absolute or relative to the fleet folder (undefined: `.fleet/reports`). */
  recorderReportsFolder?: string;
  /** Settings that were wrong and were replaced by their default: one message each, naming the setting. */
  problems: string[];
}

export const DEFAULT_SETTINGS: Readonly<Omit<FleetSettings, 'problems'>> = Object.freeze({
  adbServers: ['127.0.0.1:5037'],
  captureMethod: 'auto',
  virtualDevicesAtStartup: 0,
  monitorThumbnailFps: 4,
  recorderFrames: 120,
  recorderMemoryMB: 256,
  recorderFps: 2,
  recorderLosslessFrames: 10,
});

/** Bounds of `recorder.fps`: one frame every 10 s at least, 30 a second at most. */
export const RECORDER_FPS_RANGE = Object.freeze({ min: 0.1, max: 30 });

function intIn(v: unknown, min: number, max: number): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined;
}

/** Reads and checks every setting; a wrong value falls back to its default with a problem naming the setting. */
export function readFleetSettings(get: (key: SettingKey) => unknown): FleetSettings {
  const problems: string[] = [];
  const bad = (key: SettingKey, why: string) => problems.push(`${SETTINGS_SECTION}.${key}: ${why}`);

  let adbServers = [...DEFAULT_SETTINGS.adbServers];
  const servers = get(SETTING_KEYS.adbServers);
  if (servers !== undefined) {
    if (!Array.isArray(servers) || servers.some((s) => typeof s !== 'string')) {
      bad(SETTING_KEYS.adbServers, 'expected a list of "host:port" strings; using the default');
    } else {
      const ok: string[] = [];
      for (const s of servers as string[]) {
        try {
          const a = parseServerAddress(s);
          const text = formatServerAddress(a);
          if (!ok.includes(text)) {
            ok.push(text);
          }
        } catch (e) {
          bad(SETTING_KEYS.adbServers, `'${s}' is not a server address (${e instanceof Error ? e.message : String(e)}); it is ignored`);
        }
      }
      adbServers = ok;
    }
  }

  let captureMethod: CaptureMethodSetting = DEFAULT_SETTINGS.captureMethod;
  const cm = get(SETTING_KEYS.captureMethod);
  if (cm !== undefined) {
    if (cm === 'auto' || cm === 'raw' || cm === 'png') {
      captureMethod = cm;
    } else {
      bad(SETTING_KEYS.captureMethod, `'${String(cm)}' is not one of auto, raw, png; using auto`);
    }
  }

  let emulator: FleetSettings['emulator'];
  const kind = get(SETTING_KEYS.emulatorKind);
  if (kind !== undefined && kind !== 'none') {
    if (typeof kind !== 'string' || !(EMULATOR_KINDS as readonly string[]).includes(kind)) {
      bad(SETTING_KEYS.emulatorKind, `'${String(kind)}' is not one of none, ${EMULATOR_KINDS.join(', ')}; no emulator preset is used`);
    } else {
      const inst = get(SETTING_KEYS.emulatorInstances);
      const instances = Array.isArray(inst) ? inst.filter((n): n is number => intIn(n, 0, 65535) !== undefined) : [];
      if (Array.isArray(inst) && instances.length !== inst.length) {
        bad(SETTING_KEYS.emulatorInstances, 'expected whole instance numbers; the others are ignored');
      }
      const addr = get(SETTING_KEYS.emulatorAddresses);
      const addresses = Array.isArray(addr) ? addr.filter((a): a is string => typeof a === 'string' && a.trim() !== '') : undefined;
      const launch = get(SETTING_KEYS.emulatorLaunchCommand);
      const stop = get(SETTING_KEYS.emulatorStopCommand);
      emulator = {
        kind: kind as EmulatorKind,
        instances,
        ...(addresses && addresses.length ? { addresses } : {}),
        ...(typeof launch === 'string' && launch.trim() ? { launchCommand: launch } : {}),
        ...(typeof stop === 'string' && stop.trim() ? { stopCommand: stop } : {}),
      };
      if (kind === 'generic' && !emulator.addresses) {
        bad(SETTING_KEYS.emulatorAddresses, 'the generic preset needs the instances\' addresses; no emulator preset is used');
        emulator = undefined;
      }
    }
  }

  const folder = get(SETTING_KEYS.fleetFolder);
  const fleetFolder = typeof folder === 'string' && folder.trim() ? folder.trim() : undefined;

  const reports = get(SETTING_KEYS.recorderReportsFolder);
  let recorderReportsFolder: string | undefined;
  if (reports !== undefined) {
    if (typeof reports !== 'string' || reports.includes('\0')) {
      bad(SETTING_KEYS.recorderReportsFolder, 'expected a folder path; using .fleet/reports of the fleet folder');
    } else if (reports.trim() !== '') {
      recorderReportsFolder = reports.trim();
    }
  }

  const num = (key: SettingKey, min: number, max: number, dflt: number): number => {
    const v = get(key);
    if (v === undefined) {
      return dflt;
    }
    const n = intIn(v, min, max);
    if (n === undefined) {
      bad(key, `expected a whole number from ${min} to ${max}; using ${dflt}`);
      return dflt;
    }
    return n;
  };
  /** A number (fractions allowed) from min to max. */
  const real = (key: SettingKey, min: number, max: number, dflt: number): number => {
    const v = get(key);
    if (v === undefined) {
      return dflt;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      bad(key, `expected a number from ${min} to ${max}; using ${dflt}`);
      return dflt;
    }
    return v;
  };

  return {
    adbServers,
    captureMethod,
    ...(emulator ? { emulator } : {}),
    ...(fleetFolder ? { fleetFolder } : {}),
    virtualDevicesAtStartup: num(SETTING_KEYS.virtualDevicesAtStartup, 0, 64, DEFAULT_SETTINGS.virtualDevicesAtStartup),
    monitorThumbnailFps: num(SETTING_KEYS.monitorThumbnailFps, 1, 30, DEFAULT_SETTINGS.monitorThumbnailFps),
    recorderFrames: num(SETTING_KEYS.recorderFrames, 0, 10_000, DEFAULT_SETTINGS.recorderFrames),
    recorderMemoryMB: num(SETTING_KEYS.recorderMemoryMB, 16, 8192, DEFAULT_SETTINGS.recorderMemoryMB),
    recorderFps: real(SETTING_KEYS.recorderFps, RECORDER_FPS_RANGE.min, RECORDER_FPS_RANGE.max, DEFAULT_SETTINGS.recorderFps),
    recorderLosslessFrames: num(SETTING_KEYS.recorderLosslessFrames, 0, 100, DEFAULT_SETTINGS.recorderLosslessFrames),
    ...(recorderReportsFolder !== undefined ? { recorderReportsFolder } : {}),
    problems,
  };
}

/** True when a configuration change event touches a setting that shapes the fleet. */
export function shapesFleet(affects: (section: string) => boolean): boolean {
  return FLEET_SHAPING_KEYS.some((k) => affects(`${SETTINGS_SECTION}.${k}`));
}
