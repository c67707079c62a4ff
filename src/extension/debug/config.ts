/**
 * The debug configurations of the `emulator-fleet` debug type (launch and attach), read and checked the same way by
 * the session (which refuses bad ones with a clear message) and by the VS Code configuration provider (which fills
 * a missing launch.json and refuses incomplete ones before a session starts). No vscode import.
 */
import { z } from 'zod';

import { DEBUG_TYPE } from '../constants';
export { DEBUG_TYPE };

/** `device` in a launch configuration: a virtual device started for the session, or a device's serial. */
export const VIRTUAL_DEVICE = 'virtual';

export interface FleetLaunchArguments {
  /** A routine's registry name (`farm_premium`, `nav/to_home`), or the path of its file (`${file}`). */
  routine: string;
  /** The routine's params (checked and converted by its `params:` declaration). */
  params?: Record<string, unknown>;
  /** `virtual` (default: a virtual device started for the session), or the serial of a device of the ADB server. */
  device?: string;
  /** An account pool: `checkoutAccount` leases from it; the lease is released when the session ends. */
  pool?: string;
  stopOnEntry?: boolean;
  /** Run without debugging ("Run Routine"): no breakpoint, no stop. */
  noDebug?: boolean;
  /** The workspace folder (standalone adapter; inline, the extension's fleet folder is used). */
  root?: string;
  /** Seed of the virtual device's game. */
  seed?: number;
  /** The ADB server of `device` (`host:port`; standalone adapter, default 127.0.0.1:5037). */
  adbServer?: string;
}

export interface FleetAttachArguments {
  /** The running group's name. */
  group: string;
  /** The bot's instance in it (`1`, `2`, or a named instance). */
  instance: string;
}

const launchSchema = z
  .object({
    routine: z.string({ error: 'the configuration needs "routine": a routine name such as farm_premium, or ${file}' }).trim().min(1, 'the configuration needs "routine": a routine name such as farm_premium, or ${file}'),
    params: z.record(z.string(), z.unknown(), { error: '"params" is a map of the routine\'s params, such as { "packs": 2 }' }).optional(),
    device: z.string({ error: '"device" is "virtual" or a device serial' }).trim().min(1, '"device" is "virtual" or a device serial').optional(),
    pool: z.string({ error: '"pool" is the name of an account pool of pools/' }).trim().min(1, '"pool" is the name of an account pool of pools/').optional(),
    stopOnEntry: z.boolean({ error: '"stopOnEntry" is true or false' }).optional(),
    noDebug: z.boolean({ error: '"noDebug" is true or false' }).optional(),
    root: z.string({ error: '"root" is the workspace folder' }).min(1).optional(),
    seed: z.number({ error: '"seed" is an integer' }).int('"seed" is an integer').optional(),
    adbServer: z.string({ error: '"adbServer" is host:port' }).min(1).optional(),
  })
  .loose();

const attachSchema = z
  .object({
    group: z.string({ error: 'the configuration needs "group": the name of a running group' }).trim().min(1, 'the configuration needs "group": the name of a running group'),
    instance: z.union([z.string().trim().min(1), z.number().int().nonnegative().transform(String)], { error: 'the configuration needs "instance": the bot\'s instance in the group (1, 2, ...)' }),
  })
  .loose();

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

function firstIssue(e: z.ZodError): string {
  const issue = e.issues[0];
  return issue ? issue.message : 'invalid configuration';
}

/** Reads a launch configuration (unknown keys such as `type`, `name` and `request` are kept aside). */
export function checkLaunchArguments(args: unknown): Checked<FleetLaunchArguments> {
  const r = launchSchema.safeParse(args ?? {});
  if (!r.success) {
    return { ok: false, message: firstIssue(r.error) };
  }
  const v = r.data;
  const out: FleetLaunchArguments = { routine: v.routine };
  for (const k of ['params', 'device', 'pool', 'stopOnEntry', 'noDebug', 'root', 'seed', 'adbServer'] as const) {
    if (v[k] !== undefined) {
      (out as unknown as Record<string, unknown>)[k] = v[k];
    }
  }
  return { ok: true, value: out };
}

export function checkAttachArguments(args: unknown): Checked<FleetAttachArguments> {
  const r = attachSchema.safeParse(args ?? {});
  if (!r.success) {
    return { ok: false, message: firstIssue(r.error) };
  }
  return { ok: true, value: { group: r.data.group, instance: r.data.instance } };
}

/** The registry name of a routine file (`routines/nav/to_home.yaml` → `nav/to_home`), relative to the workspace. */
export function routineNameOfFile(relativeFile: string, routinesDir = 'routines'): string | undefined {
  const f = relativeFile.replace(/\\/g, '/').replace(/^\.\//, '');
  const prefix = `${routinesDir.replace(/\/+$/, '')}/`;
  if (!f.startsWith(prefix) || !/\.ya?ml$/i.test(f)) {
    return undefined;
  }
  return f.slice(prefix.length).replace(/\.ya?ml$/i, '');
}
