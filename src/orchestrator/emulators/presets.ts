/**
 * Emulator presets: how an instance number maps to its ADB address for each emulator kind.
 * - MuMu Player 12: 127.0.0.1:16384 + 32·n
 * - LDPlayer: 127.0.0.1:5555 + 2·n (the adb server also sees it as `emulator-<5554 + 2·n>`)
 * - BlueStacks 5: 127.0.0.1:5555 + 10·n
 * - generic: an explicit list of addresses (`host:port` to `adb connect`, or a serial such as `emulator-5554`),
 *   instance n being the n-th entry.
 */
import { AddressError, parseServerAddress } from './adbServers';
import { FleetError } from '../../shared/errors';

export type EmulatorKind = 'mumu' | 'ldplayer' | 'bluestacks' | 'generic';

export const EMULATOR_KINDS: readonly EmulatorKind[] = ['mumu', 'ldplayer', 'bluestacks', 'generic'];

/** Where an instance is reached. */
export interface InstanceAddress {
  instance: number;
  /** The address `adb connect` takes, when the instance is reached over TCP. */
  host?: string;
  port?: number;
  /** The serial the adb server lists it under once connected (`host:port`, or a fixed serial). */
  serial: string;
  /** Other serials the same instance may appear under (LDPlayer's `emulator-5554`). */
  aliases: readonly string[];
}

export interface PresetOptions {
  /** Host of the emulators as seen from the adb server (default 127.0.0.1). */
  host?: string;
  /** For `generic`: the explicit addresses, instance n = entry n. */
  addresses?: readonly string[];
}

/** Thrown for an instance number the preset cannot map. */
export class PresetError extends FleetError<'unknown-instance'> {
  constructor(message: string) {
    super('unknown-instance', message);
    this.name = 'PresetError';
  }
}

/** Largest instance number accepted by the port arithmetic presets (keeps ports below 65536). */
export function maxInstance(kind: Exclude<EmulatorKind, 'generic'>): number {
  switch (kind) {
    case 'mumu':
      return Math.floor((65535 - 16384) / 32);
    case 'ldplayer':
      return Math.floor((65535 - 5555) / 2);
    case 'bluestacks':
      return Math.floor((65535 - 5555) / 10);
  }
}

/** The ADB port of instance `n` for an arithmetic preset. */
export function presetPort(kind: Exclude<EmulatorKind, 'generic'>, n: number): number {
  checkInstance(kind, n);
  switch (kind) {
    case 'mumu':
      return 16384 + 32 * n;
    case 'ldplayer':
      return 5555 + 2 * n;
    case 'bluestacks':
      return 5555 + 10 * n;
  }
}

function checkInstance(kind: Exclude<EmulatorKind, 'generic'>, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > maxInstance(kind)) {
    throw new PresetError(`instance ${String(n)} is outside 0-${maxInstance(kind)} for ${kind}`);
  }
}

/**
 * Resolves instance `n` of `kind` to its address.
 * @throws PresetError for a bad instance number, AddressError for a malformed generic address.
 */
export function resolveInstance(kind: EmulatorKind, n: number, opts: PresetOptions = {}): InstanceAddress {
  const host = opts.host ?? '127.0.0.1';
  if (kind === 'generic') {
    const list = opts.addresses ?? [];
    if (!Number.isInteger(n) || n < 0 || n >= list.length) {
      throw new PresetError(`instance ${String(n)} is not in the address list (0-${list.length - 1})`);
    }
    return genericAddress(n, list[n]);
  }
  const port = presetPort(kind, n);
  const serial = `${host}:${port}`;
  const aliases = kind === 'ldplayer' ? [`emulator-${port - 1}`] : [];
  return { instance: n, host, port, serial, aliases };
}

/** A generic entry: `host:port` (connected with `adb connect`) or a plain serial (`emulator-5554`, USB serials). */
export function genericAddress(instance: number, text: string): InstanceAddress {
  const s = text.trim();
  if (/^emulator-\d+$/.test(s)) {
    return { instance, serial: s, aliases: [] };
  }
  if (s.includes(':')) {
    const a = parseServerAddress(s);
    return { instance, host: a.host, port: a.port, serial: a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`, aliases: [] };
  }
  if (/^[A-Za-z0-9._-]+$/.test(s)) {
    return { instance, serial: s, aliases: [] };
  }
  throw new AddressError(text, 'expected host:port or a device serial');
}

/** Every serial an instance may be listed under. */
export function instanceSerials(a: InstanceAddress): string[] {
  return [a.serial, ...a.aliases];
}
