/**
 * The orchestrator's global configuration: where the workspace keeps each kind of file, and the fleet-wide
 * defaults that a group's launch options do not set. One object per orchestrator, passed in; nothing global.
 */
import { FleetError } from '../shared/errors';

export interface FleetConfig {
  /** Workspace-relative folder of the group definitions. */
  groupsDir: string;
  routinesDir: string;
  templatesDir: string;
  poolsDir: string;
  /** Workspace-relative folder for run-time data (the account database); gitignored. */
  dataDir: string;
  /** Graceful stop: how long a bot may take to finish its current step before it is forced (ms). */
  stopTimeoutMs: number;
  /** Device drop: how long a bot keeps trying to reconnect before it fails (ms). */
  reconnectTimeoutMs: number;
  /** Device drop: first delay between reconnect attempts (doubles up to 8x). */
  reconnectIntervalMs: number;
  /** Interval of the metrics events (ms); 0 turns them off. */
  metricsIntervalMs: number;
  /** `onBusy: wait`: how often the group re-checks instances besides reacting to releases (ms). */
  instancePollMs: number;
  /** A bot whose pool had no account (and that does not stop on an empty pool) waits this long before trying again (ms). */
  poolRetryMs: number;
  /** Number of latency samples kept per bot for p50/p95. */
  latencyWindow: number;
}

export const DEFAULT_FLEET_CONFIG: Readonly<FleetConfig> = Object.freeze({
  groupsDir: 'groups',
  routinesDir: 'routines',
  templatesDir: 'templates',
  poolsDir: 'pools',
  dataDir: '.fleet',
  stopTimeoutMs: 10_000,
  reconnectTimeoutMs: 60_000,
  reconnectIntervalMs: 500,
  metricsIntervalMs: 1000,
  instancePollMs: 2000,
  poolRetryMs: 5000,
  latencyWindow: 256,
});

export class FleetConfigError extends FleetError<'invalid-config'> {
  constructor(
    readonly key: keyof FleetConfig,
    message: string,
  ) {
    super('invalid-config', message);
    this.name = 'FleetConfigError';
  }
}

/** The defaults overlaid with `overrides`; throws FleetConfigError on a value that cannot work. */
export function resolveFleetConfig(overrides: Partial<FleetConfig> = {}): FleetConfig {
  const c: FleetConfig = { ...DEFAULT_FLEET_CONFIG };
  for (const [k, v] of Object.entries(overrides) as [keyof FleetConfig, unknown][]) {
    if (v !== undefined) {
      (c as unknown as Record<string, unknown>)[k] = v;
    }
  }
  for (const k of ['groupsDir', 'routinesDir', 'templatesDir', 'poolsDir', 'dataDir'] as const) {
    if (typeof c[k] !== 'string' || c[k].trim() === '') {
      throw new FleetConfigError(k, `${k} must be a non-empty folder path`);
    }
  }
  for (const k of ['stopTimeoutMs', 'reconnectTimeoutMs', 'reconnectIntervalMs', 'metricsIntervalMs', 'instancePollMs', 'poolRetryMs'] as const) {
    if (!Number.isFinite(c[k]) || c[k] < 0) {
      throw new FleetConfigError(k, `${k} must be a number of milliseconds >= 0`);
    }
  }
  if (!Number.isInteger(c.latencyWindow) || c.latencyWindow < 1) {
    throw new FleetConfigError('latencyWindow', 'latencyWindow must be a positive integer');
  }
  if (c.reconnectIntervalMs === 0) {
    c.reconnectIntervalMs = 1;
  }
  if (c.instancePollMs === 0) {
    c.instancePollMs = 1;
  }
  return c;
}
