/**
 * What the language server and its client agree on beyond LSP: the initialization options and the custom
 * notifications. Pure (no vscode, no Node APIs), so the client in src/extension imports it too.
 */

/** `initializationOptions` the client may pass. */
export interface FleetInitializationOptions {
  /** Absolute path of the fleet workspace (the folder holding routines/, templates/, groups/, pools/). */
  root?: string;
  /** Delay between the last edit and validation (default {@link DEFAULT_DIAGNOSTICS_DELAY_MS}). */
  diagnosticsDelayMs?: number;
  /** `worker` (default): the validator runs on a worker thread, so requests never wait for it; `inline`: on the server's thread. */
  validation?: 'worker' | 'inline';
}

export const DEFAULT_DIAGNOSTICS_DELAY_MS = 200;

/** One device the fleet sees (from the client's device tracking). */
export interface FleetDevice {
  /** ADB serial, for example `emulator-5554` or `127.0.0.1:16384`. */
  serial: string;
  /** The emulator instance (index or name) when known. */
  instance?: number | string;
  /** ADB state: `device`, `offline`, `unauthorized`, ... */
  state: string;
}

/** Client → server: the live device list (replaces the previous one). Without it, no device is offered. */
export const DEVICES_NOTIFICATION = 'fleet/devices';

export interface DevicesNotificationParams {
  devices: FleetDevice[];
}

/** Source of every diagnostic the server publishes. */
export const DIAGNOSTIC_SOURCE = 'emulator-fleet';
