/**
 * The monitor panel's protocol: every message between the extension host and the monitor webview, typed both ways
 * (`ToMonitor`, `FromMonitor`: unions discriminated by `type`; requests carry `id`, replies `inReplyTo`), with zod
 * schemas for both directions. The host validates every inbound message with `parseFromMonitor`; the view validates
 * what it receives with `parseToMonitor` and ignores what does not parse.
 *
 * Conversation:
 * 1. The view posts `ready`; the host answers with a `snapshot` (fleet model at sequence number `seq`), then posts
 *    `events` batches whose events all have `seq` > the snapshot's, in order.
 * 2. The view applies events by `seq`: an event at or below the applied sequence number is a duplicate and skipped;
 *    a missing number is a gap: the view posts `requestSnapshot` and the host answers with a fresh `snapshot`.
 *    The host may post a `snapshot` at any time (for example when the panel becomes visible again).
 * 3. Frames: the view says which bots' tiles are on screen (`setVisibleTiles`) and which bot is zoomed (`zoom`).
 *    The host posts `frame` messages for those bots only; at most one unacknowledged frame per bot (the view posts
 *    `frameAck` once it drew it; a newer frame replaces an unsent one).
 * 4. `command`, `takeover` and `recorder` requests get exactly one reply each (`result` or `recorder`).
 *
 * The fleet model (`FleetSnapshot`, `FleetEvent` and their parts) is declared in `fleetTypes.ts`; this file gives it
 * its schemas (the view validates what it receives) and applies it with `fleetModel.ts`.
 */
import { z } from 'zod';
import type {
  BotChanges,
  BotSnapshot,
  BotState,
  DeviceInfo,
  ErrorInfo,
  FleetEvent,
  FleetSnapshot,
  GroupDefinitionSummary,
  GroupSnapshot,
  InstanceKey,
  LatencySummary,
  PoolInfo,
  RoutineInfo,
  StepInfo,
  TemplateInfo,
} from './fleetTypes';
import type { Diagnostic, Point, Rect, Size, SourceRange } from './geometry';
import type { RoutineEvent, RoutineInput } from './routineEvents';

/** Bumped on an incompatible change; the view sends it in `ready`. */
export const MONITOR_PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------------------

/** A bot, addressed by name like the fleet's commands. */
export interface BotRef {
  group: string;
  instance: InstanceKey;
}

export type GroupAction = 'start' | 'stop' | 'pause' | 'resume' | 'edit' | 'delete';
export type BotAction = 'pause' | 'resume' | 'restart';

/** A location in a routine file, 1-based like editors show it. */
export interface RoutineLocation {
  file: string;
  line: number;
  col: number;
}

export type MonitorCommand =
  /** `edit` opens the group's file; `delete` must be confirmed by the host (a webview cannot show a modal). */
  | { kind: 'group'; action: GroupAction; group: string }
  /** Runs the create-group wizard. */
  | { kind: 'createGroup' }
  | { kind: 'bot'; action: BotAction; bot: BotRef }
  /** Opens a routine by name, or a file at a location (only files of the snapshot's routines: the host checks). */
  | { kind: 'openRoutine'; routine?: string; location?: RoutineLocation };

/** Keys the takeover sends, with their Android key codes in `TAKEOVER_KEY_CODES`. */
export const TAKEOVER_KEYS = ['enter', 'backspace', 'delete', 'tab', 'escape', 'back', 'home', 'up', 'down', 'left', 'right'] as const;
export type TakeoverKey = (typeof TAKEOVER_KEYS)[number];

export const TAKEOVER_KEY_CODES: Readonly<Record<TakeoverKey, number>> = Object.freeze({
  enter: 66,
  backspace: 67,
  delete: 112,
  tab: 61,
  escape: 111,
  back: 4,
  home: 3,
  up: 19,
  down: 20,
  left: 21,
  right: 22,
});

/** Manual input on a paused bot's device, in DEVICE pixels (the view scales from display pixels). */
export type TakeoverInput =
  | { kind: 'tap'; x: number; y: number }
  | { kind: 'swipe'; from: Point; to: Point; durationMs: number }
  | { kind: 'text'; text: string }
  | { kind: 'key'; key: TakeoverKey };

export type RecorderRequest =
  /** The frames the bot's recorder holds now, oldest first. */
  | { op: 'list'; bot: BotRef }
  /** One recorded frame (by its per-bot frame number) with the events around it. */
  | { op: 'frame'; bot: BotRef; frame: number }
  /** Stores a frame losslessly: the given recorded one, or the current one. */
  | { op: 'saveFrame'; bot: BotRef; frame?: number }
  /**
   * Writes a bug report folder: recorded frames, events as JSON lines, routine and group files, versions. Into the
   * reports folder (a setting), or with `askFolder` into a folder the host asks the user for.
   */
  | { op: 'saveBugReport'; bot: BotRef; askFolder?: boolean };

export type MonitorLogLevel = 'info' | 'warn' | 'error';

export type FromMonitor =
  | { type: 'ready'; id: string; protocol: number }
  | { type: 'requestSnapshot'; id: string; reason: 'gap' | 'changed' | 'invalid'; seq: number }
  | { type: 'command'; id: string; command: MonitorCommand }
  /** The bots whose tiles are on screen now (replaces the previous list; empty while nothing is visible). */
  | { type: 'setVisibleTiles'; bots: BotRef[] }
  /** The zoomed bot (fresher, larger frames), or none. */
  | { type: 'zoom'; bot: BotRef | null }
  /** The view drew (or dropped) this frame: the host may send the bot's next one. */
  | { type: 'frameAck'; bot: BotRef; frame: number }
  | { type: 'takeover'; id: string; bot: BotRef; input: TakeoverInput }
  | { type: 'recorder'; id: string; request: RecorderRequest }
  /** Something the view wants in the host's log (ignored host messages, decode failures). */
  | { type: 'log'; level: MonitorLogLevel; message: string };

export type FromMonitorType = FromMonitor['type'];

/** A match to draw on a frame, in device pixels. */
export interface FrameMatch {
  template: string;
  box: Rect;
  score: number;
  found: boolean;
  threshold?: number;
}

export type FrameMime = 'image/jpeg' | 'image/png';

/** An encoded image of a bot's screen. */
export interface FrameImage {
  /** Per-bot frame sequence number (the `frame` of `bot.frame`). */
  frame: number;
  /** Capture wall time, epoch ms. */
  time: number;
  /** Size of the encoded image (a thumbnail may be smaller than the device). */
  width: number;
  height: number;
  /** The device's screen size: match boxes and takeover input are in these pixels. */
  device: Size;
  mime: FrameMime;
  /**
   * The encoded bytes. Send a Uint8Array: VS Code transfers typed arrays to a webview as binary (no JSON, no
   * base64), and the view decodes them off its main thread with createImageBitmap(new Blob([data])). A base64
   * string is accepted too (slower: a third bigger and decoded on the main thread).
   */
  data: Uint8Array | ArrayBuffer | string;
  /**
   * Matches made on this frame (or the current step's latest). The view draws the current step's matches from the
   * `bot.routine` match events and falls back to these while it has none (after a reload, or a host that does not
   * forward routine events).
   */
  matches?: FrameMatch[];
}

export type FrameMessage = { type: 'frame'; group: string; instance: InstanceKey; orchestrationId?: string } & FrameImage;

/** What a bot's recorder holds about one frame. */
export interface RecorderFrameInfo {
  frame: number;
  time: number;
  /** The step running when it was captured. */
  step?: string;
  /** True when an error happened around it. */
  error?: boolean;
  /** True while the recorder holds a lossless copy of it ("Save frame" writes a PNG). */
  lossless?: boolean;
}

export type RecorderEvent =
  | { kind: 'routine'; time: number; event: RoutineEvent }
  /**
   * An input on the device: the user's (takeover) or the routine's (a step's tap, swipe, text or key; `step`,
   * `stepId` and `path` name the step, `rung` a stuck rung that did it).
   */
  | { kind: 'input'; time: number; by: 'routine' | 'user'; input: TakeoverInput | RoutineInput; step?: string; stepId?: string; path?: string; rung?: string }
  | { kind: 'state'; time: number; state: BotState; previous?: BotState };

export type RecorderReply =
  | { op: 'list'; bot: BotRef; capacity: number; frames: RecorderFrameInfo[] }
  | ({ op: 'frame'; bot: BotRef; events: RecorderEvent[] } & FrameImage)
  /**
   * Written. For a frame, `lossless` says whether the file is a lossless PNG (the current frame, or a recorded one
   * that still has its lossless copy) or the recorded JPEG; `note` says why when it is the JPEG.
   */
  | { op: 'saved'; kind: 'frame' | 'bugReport'; path: string; lossless?: boolean; note?: string }
  | { op: 'error'; code: string; message: string };

export type ToMonitor =
  | { type: 'snapshot'; inReplyTo?: string; session?: string; snapshot: FleetSnapshot }
  | { type: 'events'; events: FleetEvent[] }
  | FrameMessage
  | { type: 'recorder'; inReplyTo: string; reply: RecorderReply }
  | { type: 'result'; inReplyTo: string; ok: true; message?: string }
  | { type: 'result'; inReplyTo: string; ok: false; error: { code: string; message: string } };

// ---------------------------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------------------------

const MAX_NAME = 256;
const MAX_PATH = 4096;
/** The largest device coordinate accepted (device screens are far smaller). */
export const MAX_DEVICE_COORD = 16384;
export const MAX_TAKEOVER_TEXT = 1000;
export const MAX_SWIPE_MS = 60_000;
export const MAX_VISIBLE_TILES = 512;

const name = z.string().min(1).max(MAX_NAME);
const requestId = z.string().min(1).max(64);
const count = z.number().int().nonnegative();
const seqNumber = z.number().int().nonnegative();
const finite = z.number().finite();
const coord = z.number().int().min(0).max(MAX_DEVICE_COORD);
const devicePoint = z.object({ x: coord, y: coord });

const botRefSchema = z.object({ group: name, instance: name });
const locationSchema = z.object({ file: z.string().min(1).max(MAX_PATH), line: z.number().int().min(1), col: z.number().int().min(1) });

const commandSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('group'), action: z.enum(['start', 'stop', 'pause', 'resume', 'edit', 'delete']), group: name }),
  z.object({ kind: z.literal('createGroup') }),
  z.object({ kind: z.literal('bot'), action: z.enum(['pause', 'resume', 'restart']), bot: botRefSchema }),
  z
    .object({ kind: z.literal('openRoutine'), routine: name.optional(), location: locationSchema.optional() })
    .refine((c) => c.routine !== undefined || c.location !== undefined, { message: 'openRoutine needs a routine or a location' }),
]);

const takeoverSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tap'), x: coord, y: coord }),
  z.object({ kind: z.literal('swipe'), from: devicePoint, to: devicePoint, durationMs: z.number().int().min(1).max(MAX_SWIPE_MS) }),
  z.object({ kind: z.literal('text'), text: z.string().min(1).max(MAX_TAKEOVER_TEXT) }),
  z.object({ kind: z.literal('key'), key: z.enum(TAKEOVER_KEYS) }),
]);

const recorderRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('list'), bot: botRefSchema }),
  z.object({ op: z.literal('frame'), bot: botRefSchema, frame: count }),
  z.object({ op: z.literal('saveFrame'), bot: botRefSchema, frame: count.optional() }),
  z.object({ op: z.literal('saveBugReport'), bot: botRefSchema, askFolder: z.boolean().optional() }),
]);

/** One schema per inbound message type. */
export const fromMonitorSchemas = {
  ready: z.object({ type: z.literal('ready'), id: requestId, protocol: z.number().int().min(1) }),
  requestSnapshot: z.object({ type: z.literal('requestSnapshot'), id: requestId, reason: z.enum(['gap', 'changed', 'invalid']), seq: seqNumber }),
  command: z.object({ type: z.literal('command'), id: requestId, command: commandSchema }),
  setVisibleTiles: z.object({ type: z.literal('setVisibleTiles'), bots: z.array(botRefSchema).max(MAX_VISIBLE_TILES) }),
  zoom: z.object({ type: z.literal('zoom'), bot: botRefSchema.nullable() }),
  frameAck: z.object({ type: z.literal('frameAck'), bot: botRefSchema, frame: count }),
  takeover: z.object({ type: z.literal('takeover'), id: requestId, bot: botRefSchema, input: takeoverSchema }),
  recorder: z.object({ type: z.literal('recorder'), id: requestId, request: recorderRequestSchema }),
  log: z.object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']), message: z.string().max(4000) }),
} satisfies { [K in FromMonitorType]: z.ZodType<Extract<FromMonitor, { type: K }>> };

export type ParseResult<T> = { ok: true; msg: T } | { ok: false; reason: string };

function describe(v: unknown): string {
  if (v === null) {
    return 'null';
  }
  if (Array.isArray(v)) {
    return 'an array';
  }
  return typeof v === 'object' ? 'an object' : typeof v;
}

function clip(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** `command.bot.instance: Too small: expected string to have >=1 characters` (at most three issues). */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, 3).map((i) => {
    const where = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.');
    return where ? `${where}: ${i.message}` : i.message;
  });
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return parts.join('; ') + more;
}

function parseWith<T>(schemas: Record<string, z.ZodType>, what: string, raw: unknown): ParseResult<T> {
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, reason: `${what} message is ${describe(raw)}, not an object` };
    }
    const type = (raw as { type?: unknown }).type;
    if (typeof type !== 'string') {
      return { ok: false, reason: `${what} message has no string "type"` };
    }
    if (!Object.prototype.hasOwnProperty.call(schemas, type)) {
      return { ok: false, reason: `unknown ${what} message type "${clip(type)}"` };
    }
    const r = schemas[type].safeParse(raw);
    if (!r.success) {
      return { ok: false, reason: `invalid "${type}" message: ${formatIssues(r.error.issues)}` };
    }
    return { ok: true, msg: r.data as T };
  } catch (e) {
    // Schemas do not throw on data; this guards against exotic inputs (proxies, throwing getters).
    return { ok: false, reason: `${what} message could not be read: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Validates a message from the view. Never throws; an invalid message comes back with the reason to log. */
export function parseFromMonitor(raw: unknown): ParseResult<FromMonitor> {
  return parseWith<FromMonitor>(fromMonitorSchemas, 'monitor', raw);
}

// --- host → view -------------------------------------------------------------------------------------------------

const time = finite;
const opt = <T extends z.ZodType>(s: T) => s.optional();

const sourceRangeSchema: z.ZodType<SourceRange> = z.object({
  file: z.string(),
  start: z.object({ line: z.number().int(), col: z.number().int() }),
  end: z.object({ line: z.number().int(), col: z.number().int() }),
  offset: z.tuple([z.number().int(), z.number().int()]),
});
const rectSchema: z.ZodType<Rect> = z.object({ x: finite, y: finite, w: finite, h: finite });
const sizeSchema: z.ZodType<Size> = z.object({ width: z.number().int().positive().max(MAX_DEVICE_COORD), height: z.number().int().positive().max(MAX_DEVICE_COORD) });
const diagnosticSchema: z.ZodType<Diagnostic> = z.object({
  file: z.string(),
  line: z.number().int(),
  col: z.number().int(),
  endLine: opt(z.number().int()),
  endCol: opt(z.number().int()),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  code: opt(z.string()),
});
const latencySchema: z.ZodType<LatencySummary> = z.object({ count: count, p50: opt(finite), p95: opt(finite), last: opt(finite) });
const errorInfoSchema: z.ZodType<ErrorInfo> = z.object({ message: z.string(), code: opt(z.string()), time });
const stepInfoSchema: z.ZodType<StepInfo> = z.object({ name: z.string(), path: z.string(), routine: z.string(), range: opt(sourceRangeSchema), since: time });
const botStateSchema = z.enum(['idle', 'starting', 'running', 'paused', 'stopping', 'stopped', 'failed', 'waiting', 'offline']);
const groupStateSchema = z.enum(['idle', 'starting', 'running', 'paused', 'waiting', 'stopping', 'stopped', 'failed']);
const stopReasonSchema = z.enum(['requested', 'cycles-done', 'duration', 'pool-empty', 'replaced', 'restarted', 'failed', 'finished']);

const botSnapshotSchema: z.ZodType<BotSnapshot> = z.object({
  group: z.string(),
  orchestrationId: z.string(),
  instance: z.string(),
  serial: opt(z.string()),
  state: botStateSchema,
  stateSince: time,
  routine: z.string(),
  step: opt(stepInfoSchema),
  account: opt(z.string()),
  accounts: z.array(z.string()),
  cycles: count,
  errors: count,
  restarts: count,
  lastError: opt(errorInfoSchema),
  capture: latencySchema,
  input: latencySchema,
  steps: count,
  stopReason: opt(stopReasonSchema),
});

const groupSnapshotSchema: z.ZodType<GroupSnapshot> = z.object({
  name: z.string(),
  orchestrationId: z.string(),
  state: groupStateSchema,
  stateSince: time,
  description: opt(z.string()),
  routine: z.string(),
  accountPool: opt(z.string()),
  requestedBotCount: count,
  availableInstances: z.array(z.string()),
  bots: z.array(botSnapshotSchema),
  retiredBots: z.array(botSnapshotSchema),
  skippedInstances: z.array(z.object({ instance: z.string(), reason: z.enum(['busy', 'offline', 'unknown']), owner: opt(z.string()) })),
  startedAt: opt(time),
  stoppedAt: opt(time),
  stopReason: opt(stopReasonSchema),
  lastError: opt(errorInfoSchema),
  differsFromDefinition: z.boolean(),
});

const definitionSchema: z.ZodType<GroupDefinitionSummary> = z.object({
  name: z.string(),
  file: z.string(),
  valid: z.boolean(),
  description: opt(z.string()),
  routine: opt(z.string()),
  accountPool: opt(z.string()),
  requestedBotCount: opt(count),
  availableInstances: opt(z.array(z.string())),
  diagnostics: z.array(diagnosticSchema),
  active: z.boolean(),
});

const deviceSchema: z.ZodType<DeviceInfo> = z.object({
  serial: z.string(),
  source: z.enum(['virtual', 'adb']),
  server: opt(z.string()),
  instance: opt(z.string()),
  state: z.enum(['online', 'offline', 'unauthorized', 'unknown']),
  model: opt(z.string()),
  heldBy: opt(z.object({ group: z.string(), orchestrationId: z.string(), instance: z.string() })),
  captureMethod: opt(z.enum(['raw', 'png'])),
  capture: opt(latencySchema),
  input: opt(latencySchema),
});

const poolSchema: z.ZodType<PoolInfo> = z.object({
  name: z.string(),
  file: z.string(),
  valid: z.boolean(),
  diagnostics: z.array(diagnosticSchema),
  available: opt(count),
  total: opt(count),
  cooldown: opt(count),
  leases: z.array(z.object({ accountId: z.string(), group: z.string(), bot: z.string(), orchestrationId: z.string(), since: time, expiresAt: time })),
});

const routineInfoSchema: z.ZodType<RoutineInfo> = z.object({ name: z.string(), file: z.string(), valid: z.boolean(), diagnostics: z.array(diagnosticSchema) });
const templateInfoSchema: z.ZodType<TemplateInfo> = z.object({ name: z.string(), file: z.string() });

export const fleetSnapshotSchema: z.ZodType<FleetSnapshot> = z.object({
  seq: seqNumber,
  time,
  definitions: z.array(definitionSchema),
  groups: z.array(groupSnapshotSchema),
  devices: z.array(deviceSchema),
  pools: z.array(poolSchema),
  routines: z.array(routineInfoSchema),
  templates: z.array(templateInfoSchema),
});

const finitePoint = z.object({ x: finite, y: finite });
const routineInputSchema: z.ZodType<RoutineInput> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tap'), x: finite, y: finite }),
  z.object({ kind: z.literal('longPress'), x: finite, y: finite, durationMs: finite }),
  z.object({ kind: z.literal('swipe'), from: finitePoint, to: finitePoint, durationMs: finite }),
  z.object({ kind: z.literal('text'), chars: count, text: opt(z.string()) }),
  z.object({ kind: z.literal('key'), key: z.union([z.string(), z.number()]) }),
]);

const rBase = { time, routine: z.string() };
const rRange = { range: opt(sourceRangeSchema) };
export const routineEventSchema: z.ZodType<RoutineEvent> = z.discriminatedUnion('type', [
  z.object({ ...rBase, type: z.literal('routine.start'), params: z.record(z.string(), z.unknown()), depth: count }),
  z.object({ ...rBase, type: z.literal('routine.end'), ok: z.boolean(), error: opt(z.string()), depth: count }),
  z.object({ ...rBase, ...rRange, type: z.literal('step.start'), step: z.string(), path: z.string(), id: opt(z.string()), name: opt(z.string()) }),
  z.object({ ...rBase, ...rRange, type: z.literal('step.end'), step: z.string(), path: z.string(), id: opt(z.string()), name: opt(z.string()), ok: z.boolean(), ms: finite, error: opt(z.string()) }),
  z.object({ ...rBase, ...rRange, type: z.literal('match'), template: z.string(), found: z.boolean(), score: finite, threshold: finite, box: rectSchema, ms: finite }),
  z.object({ ...rBase, ...rRange, type: z.literal('var'), name: z.string(), value: z.unknown() }),
  z.object({ ...rBase, ...rRange, type: z.literal('log'), level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() }),
  z.object({ ...rBase, ...rRange, type: z.literal('error'), message: z.string(), code: opt(z.string()) }),
  z.object({ ...rBase, ...rRange, type: z.literal('sentry'), sentry: z.string(), phase: z.enum(['fired', 'done']), outcome: opt(z.enum(['resume', 'restart', 'abort'])) }),
  z.object({ ...rBase, ...rRange, type: z.literal('stuck'), reason: z.string(), rung: z.string() }),
  z.object({
    ...rBase,
    ...rRange,
    type: z.literal('account'),
    action: z.enum(['checkout', 'complete', 'release', 'failed', 'update', 'inject']),
    accountId: opt(z.string()),
  }),
  z.object({ ...rBase, type: z.literal('state'), state: z.enum(['running', 'paused', 'resumed']) }),
  z.object({ ...rBase, ...rRange, type: z.literal('input'), input: routineInputSchema, step: opt(z.string()), path: opt(z.string()), id: opt(z.string()), rung: opt(z.string()) }),
]);

const groupBase = { seq: seqNumber, time, group: z.string(), orchestrationId: z.string() };
const nul = <T extends z.ZodType>(s: T) => s.nullable().optional();
const botChangesSchema: z.ZodType<BotChanges> = z.object({
  serial: nul(z.string()),
  state: opt(botStateSchema),
  stateSince: opt(time),
  step: nul(stepInfoSchema),
  account: nul(z.string()),
  accounts: opt(z.array(z.string())),
  cycles: opt(count),
  errors: opt(count),
  restarts: opt(count),
  lastError: nul(errorInfoSchema),
  capture: opt(latencySchema),
  input: opt(latencySchema),
  steps: opt(count),
  stopReason: nul(stopReasonSchema),
});
const botBase = { ...groupBase, instance: z.string(), changes: opt(botChangesSchema) };
/** The member of a union whose `type` can be K (distributive, so a member with a union `type` counts). */
type OfType<U extends { type: string }, K extends string> = U extends unknown ? (K extends U['type'] ? U & { type: K } : never) : never;

/** One schema per known fleet event type. */
export const fleetEventSchemas = {
  'group.state': z.object({
    ...groupBase,
    type: z.literal('group.state'),
    state: groupStateSchema,
    previous: groupStateSchema,
    reason: opt(stopReasonSchema),
    error: opt(errorInfoSchema),
    snapshot: groupSnapshotSchema,
  }),
  'bot.state': z.object({
    ...groupBase,
    instance: z.string(),
    type: z.literal('bot.state'),
    state: botStateSchema,
    previous: botStateSchema,
    reason: opt(stopReasonSchema),
    error: opt(errorInfoSchema),
    snapshot: botSnapshotSchema,
  }),
  'bot.step': z.object({
    ...botBase,
    type: z.literal('bot.step'),
    phase: z.enum(['start', 'end']),
    routine: z.string(),
    step: z.string(),
    path: z.string(),
    range: opt(sourceRangeSchema),
    ok: opt(z.boolean()),
    ms: opt(finite),
    error: opt(z.string()),
  }),
  'bot.cycle': z.object({ ...botBase, type: z.literal('bot.cycle'), cycle: count, ok: z.boolean(), ms: finite, error: opt(errorInfoSchema) }),
  'bot.account': z.object({
    ...botBase,
    type: z.literal('bot.account'),
    action: z.enum(['checkout', 'complete', 'release', 'failed', 'empty']),
    accountId: opt(z.string()),
  }),
  log: z.object({
    seq: seqNumber,
    time,
    type: z.literal('log'),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: z.string(),
    group: opt(z.string()),
    orchestrationId: opt(z.string()),
    instance: opt(z.string()),
    code: opt(z.string()),
    range: opt(sourceRangeSchema),
    data: opt(z.record(z.string(), z.unknown())),
  }),
  metrics: z.object({
    ...groupBase,
    type: z.literal('metrics'),
    stepsPerSecond: finite,
    bots: z.array(
      z.object({ instance: z.string(), state: botStateSchema, cycles: count, errors: count, steps: count, capture: latencySchema, input: latencySchema }),
    ),
  }),
  'definitions.changed': z.object({ seq: seqNumber, time, type: z.literal('definitions.changed'), names: z.array(z.string()), definitions: z.array(definitionSchema) }),
  'instance.assigned': z.object({ ...groupBase, type: z.literal('instance.assigned'), instance: z.string() }),
  'instance.released': z.object({ ...groupBase, type: z.literal('instance.released'), instance: z.string() }),
  'bot.routine': z.object({ ...botBase, type: z.literal('bot.routine'), event: routineEventSchema }),
  'bot.frame': z.object({ ...botBase, type: z.literal('bot.frame'), frame: count, width: count, height: count, captureMs: finite }),
  'pools.changed': z.object({ seq: seqNumber, time, type: z.literal('pools.changed'), pools: z.array(poolSchema), removed: z.array(z.string()) }),
  'routines.changed': z.object({ seq: seqNumber, time, type: z.literal('routines.changed'), names: z.array(z.string()), routines: z.array(routineInfoSchema) }),
  'templates.changed': z.object({ seq: seqNumber, time, type: z.literal('templates.changed'), names: z.array(z.string()), templates: z.array(templateInfoSchema) }),
  'devices.changed': z.object({ seq: seqNumber, time, type: z.literal('devices.changed'), devices: z.array(deviceSchema) }),
  'group.removed': z.object({ ...groupBase, type: z.literal('group.removed') }),
} satisfies { [K in FleetEvent['type']]: z.ZodType<OfType<FleetEvent, K>> };

export type ParsedFleetEvent =
  /** A known event, valid. */
  | { kind: 'event'; event: FleetEvent }
  /** An event with a sequence number whose body is unknown (a newer host) or invalid: it advances `seq` only. */
  | { kind: 'opaque'; seq: number; type: string; reason: string }
  /** Not even a sequence number: unusable. */
  | { kind: 'invalid'; reason: string };

/** Validates one event of an `events` batch. Never throws. */
export function parseFleetEvent(raw: unknown): ParsedFleetEvent {
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { kind: 'invalid', reason: `event is ${describe(raw)}, not an object` };
    }
    const { seq, type } = raw as { seq?: unknown; type?: unknown };
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      return { kind: 'invalid', reason: 'event has no valid "seq"' };
    }
    if (typeof type !== 'string') {
      return { kind: 'opaque', seq, type: '?', reason: 'event has no string "type"' };
    }
    if (!Object.prototype.hasOwnProperty.call(fleetEventSchemas, type)) {
      return { kind: 'opaque', seq, type: clip(type), reason: `unknown event type "${clip(type)}"` };
    }
    const r = (fleetEventSchemas as Record<string, z.ZodType>)[type].safeParse(raw);
    if (!r.success) {
      return { kind: 'opaque', seq, type, reason: `invalid "${type}" event: ${formatIssues(r.error.issues)}` };
    }
    return { kind: 'event', event: r.data as FleetEvent };
  } catch (e) {
    return { kind: 'invalid', reason: `event could not be read: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const frameMatchSchema: z.ZodType<FrameMatch> = z.object({ template: z.string(), box: rectSchema, score: finite, found: z.boolean(), threshold: opt(finite) });
const frameDataSchema = z.union([z.instanceof(Uint8Array), z.instanceof(ArrayBuffer), z.string().max(64 * 1024 * 1024)]);
const frameImageFields = {
  frame: count,
  time,
  width: z.number().int().positive().max(MAX_DEVICE_COORD),
  height: z.number().int().positive().max(MAX_DEVICE_COORD),
  device: sizeSchema,
  mime: z.enum(['image/jpeg', 'image/png']),
  data: frameDataSchema,
  matches: opt(z.array(frameMatchSchema).max(1000)),
};

const recorderEventSchema: z.ZodType<RecorderEvent> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('routine'), time, event: routineEventSchema }),
  z.object({
    kind: z.literal('input'),
    time,
    by: z.enum(['routine', 'user']),
    // A routine's text input has `chars` (its text may be left out): tried first, so it keeps them.
    input: z.union([routineInputSchema, takeoverSchema]),
    step: opt(z.string()),
    stepId: opt(z.string()),
    path: opt(z.string()),
    rung: opt(z.string()),
  }),
  z.object({ kind: z.literal('state'), time, state: botStateSchema, previous: opt(botStateSchema) }),
]);

const recorderReplySchema: z.ZodType<RecorderReply> = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('list'),
    bot: botRefSchema,
    capacity: count,
    frames: z.array(z.object({ frame: count, time, step: opt(z.string()), error: opt(z.boolean()), lossless: opt(z.boolean()) })).max(100_000),
  }),
  z.object({ op: z.literal('frame'), bot: botRefSchema, events: z.array(recorderEventSchema).max(10_000), ...frameImageFields }),
  z.object({ op: z.literal('saved'), kind: z.enum(['frame', 'bugReport']), path: z.string(), lossless: opt(z.boolean()), note: opt(z.string()) }),
  z.object({ op: z.literal('error'), code: z.string(), message: z.string() }),
]);

/** One schema per outbound message type. `events` holds raw events: each is checked with `parseFleetEvent`. */
export const toMonitorSchemas = {
  snapshot: z.object({ type: z.literal('snapshot'), inReplyTo: opt(z.string()), session: opt(z.string()), snapshot: fleetSnapshotSchema }),
  events: z.object({ type: z.literal('events'), events: z.array(z.unknown()).max(100_000) }),
  frame: z.object({ type: z.literal('frame'), group: z.string(), instance: z.string(), orchestrationId: opt(z.string()), ...frameImageFields }),
  recorder: z.object({ type: z.literal('recorder'), inReplyTo: z.string(), reply: recorderReplySchema }),
  result: z.discriminatedUnion('ok', [
    z.object({ type: z.literal('result'), inReplyTo: z.string(), ok: z.literal(true), message: opt(z.string()) }),
    z.object({ type: z.literal('result'), inReplyTo: z.string(), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
  ]),
};

/** A message to the view whose `events` are still raw (see `parseFleetEvent`). */
export type ToMonitorParsed = Exclude<ToMonitor, { type: 'events' }> | { type: 'events'; events: unknown[] };

/** Validates a message from the host (the view's side). Never throws. */
export function parseToMonitor(raw: unknown): ParseResult<ToMonitorParsed> {
  return parseWith<ToMonitorParsed>(toMonitorSchemas, 'host', raw);
}

/** `Instance 1` for an index, the key itself for a serial or a name. */
export function instanceLabel(instance: InstanceKey): string {
  return /^\d+$/.test(instance) ? `Instance ${instance}` : instance;
}

/** A stable key of a bot for maps: `group\u0000instance`. */
export function botKey(bot: BotRef): string {
  return `${bot.group}\u0000${bot.instance}`;
}
