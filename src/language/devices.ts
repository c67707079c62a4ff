/** The live device list the client sends (`fleet/devices`); empty until it does. */
import type { FleetDevice } from './protocol';

export class DeviceList {
  private devices: FleetDevice[] = [];

  /** Replaces the list with the well-formed entries of a notification's payload. */
  update(payload: unknown): void {
    const list = (payload as { devices?: unknown } | null | undefined)?.devices;
    this.devices = Array.isArray(list)
      ? list
          .filter((d): d is FleetDevice => typeof d === 'object' && d !== null && typeof (d as FleetDevice).serial === 'string')
          .map((d) => ({
            serial: d.serial,
            state: typeof d.state === 'string' ? d.state : 'unknown',
            ...(typeof d.instance === 'number' || typeof d.instance === 'string' ? { instance: d.instance } : {}),
          }))
      : [];
  }

  list(): readonly FleetDevice[] {
    return this.devices;
  }
}
