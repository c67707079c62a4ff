/**
 * The device of a launch picked from the window's fleet: `device` omitted, `pick`, or `${command:emulatorFleet.pickDevice}`
 * in a launch configuration asks with a quick pick of the devices the fleet knows (its virtual devices and each ADB
 * server's devices, with the group that holds one), or a new virtual device. A device a group holds (or that is not
 * online) is shown with the reason and refused when picked; when no device is free and no virtual device may be
 * started, the launch fails with the reason of each. No vscode import: the prompt comes through a small port.
 */
import type { DeviceInfo } from '../../shared/fleetTypes';
import { VIRTUAL_DEVICE } from './config';
import { DebugLaunchError } from './ports';

/** `device` values that ask which device. */
export const PICK_DEVICE = 'pick';
export const PICK_DEVICE_COMMAND_VARIABLE = '${command:emulatorFleet.pickDevice}';

export function asksForDevice(device: unknown): boolean {
  return device === undefined || device === null || device === '' || device === PICK_DEVICE || device === PICK_DEVICE_COMMAND_VARIABLE;
}

export interface DeviceChoice {
  label: string;
  description?: string;
  detail?: string;
  /** `virtual`, or a serial. */
  value: string;
}

/** Asks one of `items` (the extension's Prompter.pick); rejects when dismissed. */
export type DevicePrompt = (placeholder: string, items: readonly DeviceChoice[]) => Promise<string>;

/** Why a device cannot take a debug run now (undefined: it is free). */
export function busyReason(d: DeviceInfo): string | undefined {
  if (d.heldBy) {
    return `held by '${d.heldBy.group}' (bot ${String(d.heldBy.instance)})`;
  }
  if (d.state !== 'online') {
    return d.state;
  }
  return undefined;
}

function whereOf(d: DeviceInfo): string {
  const source = d.source === 'virtual' ? 'virtual device' : `ADB ${d.server ?? ''}`.trim();
  return [source, d.model].filter(Boolean).join(' · ');
}

/** The quick pick's items: free devices first, then a new virtual device, then the busy ones with the reason. */
export function deviceChoices(devices: readonly DeviceInfo[], o: { allowVirtual: boolean }): DeviceChoice[] {
  const free = devices.filter((d) => !busyReason(d));
  const busy = devices.filter((d) => busyReason(d));
  const item = (d: DeviceInfo): DeviceChoice => ({ label: d.serial, description: whereOf(d), detail: busyReason(d) ?? 'free', value: d.serial });
  return [
    ...free.map(item),
    ...(o.allowVirtual ? [{ label: 'New virtual device', description: 'started for this session, stopped after it', detail: 'the demo game', value: VIRTUAL_DEVICE }] : []),
    ...busy.map(item),
  ];
}

/**
 * The device picked for a launch: `virtual` or a free device's serial.
 * @throws DebugLaunchError('device') when no device is free (and no virtual device may start), or a busy one is picked.
 */
export async function pickDevice(devices: readonly DeviceInfo[], prompt: DevicePrompt, o: { allowVirtual: boolean }): Promise<string> {
  const items = deviceChoices(devices, o);
  const free = items.filter((i) => i.detail === 'free' || i.value === VIRTUAL_DEVICE);
  if (!free.length) {
    const why = devices.map((d) => `${d.serial}: ${busyReason(d) ?? 'free'}`);
    throw new DebugLaunchError('device', `no device is free to debug on (${why.length ? why.join('; ') : 'the fleet knows no device'}): stop a group, connect a device, or start a virtual device`);
  }
  const picked = await prompt('The device to debug the routine on', items);
  const d = devices.find((x) => x.serial === picked);
  const busy = d && busyReason(d);
  if (busy) {
    throw new DebugLaunchError('device', `device '${picked}' is ${busy}: pick a free device or a new virtual device`);
  }
  return picked;
}

/**
 * A serial named in a launch configuration, checked against the fleet's listing: a device a group holds is refused
 * (the debug run and the group's bot would fight over its screen). Unknown serials pass: opening them says why.
 */
export function checkDeviceFree(devices: readonly DeviceInfo[], serial: string): void {
  const d = devices.find((x) => x.serial === serial);
  if (d?.heldBy) {
    throw new DebugLaunchError('device', `device '${serial}' is ${busyReason(d)}: stop that group, or attach to its bot instead ("request": "attach")`);
  }
}
