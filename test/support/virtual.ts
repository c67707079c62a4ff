/** Test fleets of virtual devices, optionally connected to a private adb server or an embedded host endpoint. */
import { AdbHostEndpoint } from '../../src/virtual/hostEndpoint';
import { VirtualDevice, type VirtualDeviceOptions } from '../../src/virtual/virtualDevice';
import type { AdbServerHandle } from './adbServer';

export interface VirtualFleetOptions extends Omit<VirtualDeviceOptions, 'port' | 'seed'> {
  /** Device i gets seed `seedBase + i` (default 1). */
  seedBase?: number;
  /** `adb connect` every device to this private adb server. */
  adb?: AdbServerHandle;
  /** Also start an embedded host endpoint (adbkit without adb) serving every device. */
  hostEndpoint?: boolean;
}

export interface VirtualFleet {
  devices: VirtualDevice[];
  serials: string[];
  endpoint?: AdbHostEndpoint;
  /** Closes the endpoint and every device (disconnecting them from the adb server first). */
  close(): Promise<void>;
}

/** Starts `n` virtual devices on free ports of 127.0.0.1. */
export async function startVirtualDevices(n: number, opts: VirtualFleetOptions = {}): Promise<VirtualFleet> {
  const { seedBase = 1, adb, hostEndpoint, ...deviceOpts } = opts;
  const devices: VirtualDevice[] = [];
  let endpoint: AdbHostEndpoint | undefined;
  const close = async (): Promise<void> => {
    if (adb) {
      for (const d of devices) {
        await adb.adb(['disconnect', d.serial], { timeoutMs: 5_000 });
      }
    }
    await endpoint?.close();
    await Promise.all(devices.map((d) => d.close()));
  };
  try {
    for (let i = 0; i < n; i++) {
      devices.push(await VirtualDevice.start({ ...deviceOpts, seed: seedBase + i }));
    }
    if (adb) {
      for (const d of devices) {
        await adb.connect(d.serial);
      }
    }
    if (hostEndpoint) {
      endpoint = await AdbHostEndpoint.start();
      for (const d of devices) {
        endpoint.addDevice(d);
      }
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { devices, serials: devices.map((d) => d.serial), endpoint, close };
}

/** Strings a bot may need to type (quotes, shell metacharacters, newlines, unicode, emoji, `%s`); each must arrive byte-exact. */
export const HOSTILE_STRINGS = [
  "it's",
  'say "hi"',
  'a$b',
  '$HOME',
  '${PATH}',
  '$(reboot)',
  '`reboot`',
  'a;b',
  'a && b',
  'a || b',
  'a|b',
  'a & b',
  'line1\nline2',
  'tab\there',
  'back\\slash',
  'trailing\\',
  '   spaced   ',
  '',
  'ünïcödé',
  '日本語テキスト',
  '🎉 party 👍🏽',
  '100%s',
  '%s%s',
  "'",
  '"',
  "'\"'\"'",
  '*?[a-z]',
  '#notacomment',
  '~user',
  '> /dev/null 2>&1',
  '!bang',
  '(paren)',
];
