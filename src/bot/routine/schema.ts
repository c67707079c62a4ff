/**
 * The routine language: one zod source for the loader's validation, the generated JSON Schema
 * (`schemas/routine.schema.json`) and the documentation; plus the normalised types the interpreter runs.
 *
 * A routine file is `routines/<path>.yaml`; its registry name is `<path>` (`/`-separated). A step is a map with
 * exactly one action key plus optional common keys (`id`, `name`, `timeout`, `retries`, `backoff`, `onError`,
 * `when`), or a bare string for an action without arguments (`- break`). See docs/yaml-reference.md.
 */
import { z } from 'zod';
import type { SourceRange } from '../../shared/geometry';
import {
  buildConditionSchemas,
  DEFAULT_COLOR_TOLERANCE,
  pointSchema,
  regionSchema,
  templateName,
  thresholdValue,
  WAIT_FOR_OPTION_KEYS,
  type ComparisonOp,
  type ElapsedOp,
} from './conditionsSchema';
import type { Duration } from './durations';
import type { DurationUnit } from '../../shared/durations';
import {
  boolValue,
  durationValue,
  keyedUnion,
  numberValue,
  scalarValue,
  stringValue,
  strictMap,
  suggest,
  templateString,
  variableName,
  withMeta,
  type EditorMeta,
  type KeyedVariant,
  type SchemaMode,
} from './valueSchemas';

export type { Duration } from './durations';
export type { ComparisonOp, ConditionKind, ElapsedOp } from './conditionsSchema';
export type { SchemaMode } from './valueSchemas';

// ---------------------------------------------------------------------------------------------------------
// Names and defaults
// ---------------------------------------------------------------------------------------------------------

export const ACTION_NAMES = [
  'tap',
  'longPress',
  'swipe',
  'text',
  'key',
  'wait',
  'waitFor',
  'waitStable',
  'if',
  'while',
  'until',
  'repeat',
  'break',
  'continue',
  'call',
  'return',
  'stop',
  'fail',
  'assert',
  'set',
  'increment',
  'decrement',
  'launchApp',
  'stopApp',
  'restartApp',
  'log',
  'screenshot',
  'checkoutAccount',
  'completeAccount',
  'returnAccount',
  'failAccount',
  'updateAccount',
  'getAccountField',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Keys every step may carry next to its action. */
export const COMMON_STEP_KEYS = ['id', 'name', 'timeout', 'retries', 'backoff', 'onError', 'when'] as const;

/** Actions that may be written as a bare string (`- break`, `- launchApp`). */
export const BARE_ACTIONS: readonly ActionName[] = [
  'break',
  'continue',
  'return',
  'stop',
  'waitStable',
  'launchApp',
  'stopApp',
  'restartApp',
  'screenshot',
  'checkoutAccount',
  'completeAccount',
  'returnAccount',
];

/** Sibling keys that belong to an action (besides the common keys). */
export const ACTION_SIBLINGS: Readonly<Record<ActionName, readonly string[]>> = {
  tap: [],
  longPress: [],
  swipe: [],
  text: [],
  key: [],
  wait: [],
  waitFor: [],
  waitStable: [],
  if: ['then', 'elif', 'else'],
  while: ['do', 'max', 'onExhausted'],
  until: ['do', 'max', 'onExhausted'],
  repeat: ['do'],
  break: [],
  continue: [],
  call: ['params', 'save'],
  return: [],
  stop: [],
  fail: [],
  assert: ['message'],
  set: [],
  increment: [],
  decrement: [],
  launchApp: [],
  stopApp: [],
  restartApp: [],
  log: [],
  screenshot: [],
  checkoutAccount: [],
  completeAccount: [],
  returnAccount: [],
  failAccount: [],
  updateAccount: [],
  getAccountField: [],
};

/** Names of the keys accepted by `key:` besides `KEYCODE_*` and numeric key codes. */
export const KEY_NAMES = [
  'BACK',
  'HOME',
  'ENTER',
  'MENU',
  'APP_SWITCH',
  'DEL',
  'FORWARD_DEL',
  'TAB',
  'ESCAPE',
  'SPACE',
  'SEARCH',
  'POWER',
  'VOLUME_UP',
  'VOLUME_DOWN',
  'DPAD_UP',
  'DPAD_DOWN',
  'DPAD_LEFT',
  'DPAD_RIGHT',
  'DPAD_CENTER',
] as const;

export const STUCK_RUNGS = ['tapAgain', 'back', 'restartApp', 'restartEmulator', 'notify'] as const;
export type StuckRung = (typeof STUCK_RUNGS)[number];

export const PARAM_TYPES = ['string', 'int', 'number', 'bool', 'enum'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** Calls nested deeper than this fail (`call-depth`); `validate` reports longer chains without recursion. */
export const MAX_CALL_DEPTH = 32;

/** A routine restarted by its sentries more often than this in one invocation fails. */
export const MAX_SENTRY_RESTARTS = 100;

/**
 * System variables every routine can read and none may write (`set`, `increment`, `save`, `vars`, `params`).
 * `now` is the clock time in ms (for `elapsed.since`); `group` and `orchestration_id` are set in group runs.
 */
export const SYSTEM_VARIABLES = ['account_id', 'cycle', 'bot_instance', 'has_pool', 'now', 'group', 'orchestration_id'] as const;

/** Defaults the loader fills in (so the interpreter never has to guess them). All durations in ms. */
export const DEFAULTS = {
  resolution: { width: 540, height: 960 },
  longPressDuration: 1000,
  swipeDuration: 300,
  waitForTimeout: 10_000,
  waitForInterval: 250,
  waitStableTimeout: 10_000,
  waitStableInterval: 250,
  /** Fraction of pixels (0-1) allowed to differ between two frames that still count as "the same". */
  waitStableTolerance: 0.005,
  colorTolerance: DEFAULT_COLOR_TOLERANCE,
  retries: 0,
  /** First retry delay; doubles on every further retry. */
  backoff: 1000,
  sentryEvery: 2000,
  stuckLadder: ['tapAgain', 'back', 'restartApp', 'restartEmulator', 'notify'] as StuckRung[],
  logLevel: 'info' as const,
  checkoutOnEmpty: 'stop' as const,
} as const;

// ---------------------------------------------------------------------------------------------------------
// Documentation of actions (descriptions, markdown with an example, completion snippets)
// ---------------------------------------------------------------------------------------------------------

interface ActionDoc {
  description: string;
  markdownDescription: string;
  snippets: Array<{ label: string; body: unknown }>;
}

/** One entry per action; docs/yaml-reference.md documents the same, and a test checks they agree. */
export const ACTION_DOCS: Record<ActionName, ActionDoc> = {
  tap: {
    description:
      'Tap a point {x, y}, the centre of a template match {template, offset?, threshold?, region?, optional?}, or the centre of a region {region}. Shorthand: tap: <template name>.',
    markdownDescription:
      'Taps a point, a template match (its centre plus `offset`), or the centre of a region. Coordinates are at the routine\'s reference resolution and scaled to the device. A template that is not on screen fails the step unless `optional: true`.\n\n```yaml\n- tap: { x: 270, y: 480 }\n- tap: ok_button\n- tap: { template: close_x, offset: { x: 0, y: 10 }, threshold: 0.9, optional: true }\n- tap: { region: { x: 0, y: 800, w: 540, h: 160 } }\n```',
    snippets: [
      { label: 'tap (point)', body: { tap: { x: 270, y: 480 } } },
      { label: 'tap (template)', body: { tap: '${1:template}' } },
      { label: 'tap (template, options)', body: { tap: { template: '${1:template}', threshold: 0.9, optional: true } } },
    ],
  },
  longPress: {
    description: 'Press and hold: the same targets as tap, plus duration (default 1s).',
    markdownDescription: 'Presses and holds a target (same forms as `tap`) for `duration` (default `1s`).\n\n```yaml\n- longPress: { x: 270, y: 480, duration: 2s }\n- longPress: { template: card_slot }\n```',
    snippets: [{ label: 'longPress', body: { longPress: { x: 270, y: 480, duration: '1s' } } }],
  },
  swipe: {
    description: 'Swipe from one point to another over duration (default 300ms).',
    markdownDescription: 'Swipes from `from` to `to` over `duration` (default `300ms`).\n\n```yaml\n- swipe: { from: { x: 270, y: 800 }, to: { x: 270, y: 200 }, duration: 500ms }\n```',
    snippets: [{ label: 'swipe', body: { swipe: { from: { x: 270, y: 800 }, to: { x: 270, y: 200 }, duration: '300ms' } } }],
  },
  text: {
    description: 'Type text into the focused field.',
    markdownDescription: 'Types text into the focused field (spaces and special characters are escaped for you).\n\n```yaml\n- text: "player ${bot_instance}"\n```',
    snippets: [{ label: 'text', body: { text: '${1:hello}' } }],
  },
  key: {
    description: 'Press a key: BACK, HOME, ENTER, MENU, APP_SWITCH, ..., any KEYCODE_* name, or a numeric key code.',
    markdownDescription: 'Sends a key event: a name (`BACK`, `HOME`, `ENTER`, `MENU`, `APP_SWITCH`, `DEL`, `TAB`, `ESCAPE`, ...), any `KEYCODE_*`, or a number.\n\n```yaml\n- key: BACK\n- key: KEYCODE_WAKEUP\n- key: 66\n```',
    snippets: [{ label: 'key', body: { key: 'BACK' } }],
  },
  wait: {
    description: 'Pause for a duration.',
    markdownDescription: 'Waits for a duration.\n\n```yaml\n- wait: 500ms\n- wait: 2s\n```',
    snippets: [{ label: 'wait', body: { wait: '${1:1s}' } }],
  },
  waitFor: {
    description:
      'Wait until a condition holds: the condition keys inline plus timeout (default 10s), interval (default 250ms) and onTimeout: fail|continue; or {condition, timeout, ...}.',
    markdownDescription:
      'Polls a condition every `interval` (default `250ms`) until it holds. After `timeout` (default `10s`) the step fails with a located error, unless `onTimeout: continue`. The condition\'s keys are written inline, or under `condition:`.\n\n```yaml\n- waitFor: { image: title_logo, timeout: 10s }\n- waitFor: { notImage: spinner, timeout: 30s, interval: 500ms, onTimeout: continue }\n- waitFor:\n    condition: { any: [ { image: home_banner }, { image: no_account_dialog } ] }\n    timeout: 15s\n```',
    snippets: [
      { label: 'waitFor (image)', body: { waitFor: { image: '${1:template}', timeout: '10s' } } },
      { label: 'waitFor (condition)', body: { waitFor: { condition: { image: '${1:template}' }, timeout: '10s' } } },
    ],
  },
  waitStable: {
    description: 'Wait until the screen (or a region) stops changing: timeout (10s), interval (250ms), region?, tolerance (0.005), onTimeout.',
    markdownDescription:
      'Waits until two consecutive frames `interval` apart differ in at most `tolerance` (fraction 0-1 of the pixels, default `0.005`) of the screen or `region`. Fails after `timeout` (default `10s`) unless `onTimeout: continue`.\n\n```yaml\n- waitStable\n- waitStable: { timeout: 5s, region: { x: 0, y: 200, w: 540, h: 500 } }\n```',
    snippets: [{ label: 'waitStable', body: { waitStable: { timeout: '5s' } } }],
  },
  if: {
    description: 'Run then: [steps] when the condition holds; elif: [{if, then}] and else: [steps] otherwise.',
    markdownDescription:
      'Runs the first branch whose condition holds.\n\n```yaml\n- if: { image: daily_reward }\n  then:\n    - tap: ok_button\n  elif:\n    - if: { image: notice_x }\n      then: [ { tap: notice_x } ]\n  else:\n    - log: no pop-up\n```',
    snippets: [
      { label: 'if', body: { if: { image: '${1:template}' }, then: [{ tap: '${1:template}' }] } },
      { label: 'if / else', body: { if: { image: '${1:template}' }, then: [{ tap: '${1:template}' }], else: [{ log: '${2:not found}' }] } },
    ],
  },
  while: {
    description: 'Repeat do: [steps] while the condition holds; max (iterations) and onExhausted: fail|continue.',
    markdownDescription:
      'Repeats `do` while the condition holds (checked before each iteration). With `max`, reaching that many iterations fails the step (located error) unless `onExhausted: continue`. `break` and `continue` work at any depth inside `do`.\n\n```yaml\n- while: { image: claim_button }\n  max: 20\n  do:\n    - tap: claim_button\n    - wait: 500ms\n```',
    snippets: [{ label: 'while', body: { while: { image: '${1:template}' }, max: 20, do: [{ tap: '${1:template}' }] } }],
  },
  until: {
    description: 'Repeat do: [steps] until the condition holds (checked before each iteration); max and onExhausted as for while.',
    markdownDescription:
      'Repeats `do` until the condition holds (checked before each iteration, so a condition already true runs nothing). `max` and `onExhausted` as for `while`.\n\n```yaml\n- until: { image: home_banner }\n  max: 10\n  onExhausted: continue\n  do:\n    - key: BACK\n    - wait: 1s\n```',
    snippets: [{ label: 'until', body: { until: { image: '${1:template}' }, max: 10, do: [{ key: 'BACK' }, { wait: '1s' }] } }],
  },
  repeat: {
    description: 'Run do: [steps] a number of times (an integer or "${var}").',
    markdownDescription: 'Runs `do` a fixed number of times (`${var}` allowed). The variable `index` is not set; count with `increment` if needed.\n\n```yaml\n- repeat: 3\n  do:\n    - tap: next_button\n- repeat: "${packs}"\n  do: [ { call: open_pack } ]\n```',
    snippets: [{ label: 'repeat', body: { repeat: 3, do: [{ tap: '${1:template}' }] } }],
  },
  break: {
    description: 'Leave the innermost loop of this routine (at any depth inside it).',
    markdownDescription: 'Leaves the innermost enclosing `while`/`until`/`repeat` of the same routine, from any depth (inside `if`, nested blocks). Outside a loop it is a validation error.\n\n```yaml\n- while: { var: count, lt: 10 }\n  do:\n    - if: { image: done_banner }\n      then: [ break ]\n    - increment: count\n```',
    snippets: [{ label: 'break', body: 'break' }],
  },
  continue: {
    description: 'Skip to the next iteration of the innermost loop of this routine.',
    markdownDescription: 'Skips the rest of the current iteration of the innermost loop.\n\n```yaml\n- repeat: 5\n  do:\n    - if: { notImage: offer }\n      then: [ continue ]\n    - tap: offer\n```',
    snippets: [{ label: 'continue', body: 'continue' }],
  },
  call: {
    description: 'Run another routine (registry name) with params: {..}; save: {localVar: returnedName} copies its returned values.',
    markdownDescription:
      'Runs another routine by registry name (path under `routines/` without `.yaml`). `params` must match the called routine\'s params; `save` copies values the callee gave to `return` into local variables.\n\n```yaml\n- call: common/open_pack\n  params: { pack: premium }\n  save: { cards: card_count }\n```',
    snippets: [{ label: 'call', body: { call: '${1:routine}', params: {} } }],
  },
  return: {
    description: 'End the current routine successfully, optionally returning values {name: value} to the caller.',
    markdownDescription: 'Ends the current routine successfully and returns values to a `call` with `save`. Not allowed in sentries.\n\n```yaml\n- return: { card_count: "${cards}" }\n- return\n```',
    snippets: [{ label: 'return', body: { return: { '${1:name}': '${2:value}' } } }],
  },
  stop: {
    description: 'End the whole run successfully now (optional message).',
    markdownDescription: 'Ends the run successfully (the top-level routine and every caller).\n\n```yaml\n- stop: nothing left to do\n```',
    snippets: [{ label: 'stop', body: { stop: '${1:message}' } }],
  },
  fail: {
    description: 'Fail the routine with a message (a located error).',
    markdownDescription: 'Fails the routine with a message; the error names this step\'s file, line and column.\n\n```yaml\n- fail: "unexpected screen"\n```',
    snippets: [{ label: 'fail', body: { fail: '${1:message}' } }],
  },
  assert: {
    description: 'Fail with a located error unless the condition holds (message optional).',
    markdownDescription: 'Checks a condition now; when it does not hold the routine fails (located error) with `message`.\n\n```yaml\n- assert: { image: home_banner }\n  message: not on the home screen\n```',
    snippets: [{ label: 'assert', body: { assert: { image: '${1:template}' }, message: '${2:message}' } }],
  },
  set: {
    description: 'Set variables: {name: value, ...}. Strings are interpolated; "${x}" alone keeps x\'s type.',
    markdownDescription: 'Sets one or more variables. A value that is exactly `"${x}"` copies `x` with its type.\n\n```yaml\n- set: { claimed: 0, mode: fast, started: "${now}" }\n```',
    snippets: [{ label: 'set', body: { set: { '${1:name}': '${2:value}' } } }],
  },
  increment: {
    description: 'Add 1 (or by) to a numeric variable; a missing variable counts as 0.',
    markdownDescription: 'Adds 1, or `by`, to a variable (a missing variable counts as 0).\n\n```yaml\n- increment: claimed\n- increment: { var: total, by: 5 }\n```',
    snippets: [{ label: 'increment', body: { increment: '${1:name}' } }],
  },
  decrement: {
    description: 'Subtract 1 (or by) from a numeric variable; a missing variable counts as 0.',
    markdownDescription: 'Subtracts 1, or `by`, from a variable.\n\n```yaml\n- decrement: lives\n- decrement: { var: budget, by: "${cost}" }\n```',
    snippets: [{ label: 'decrement', body: { decrement: '${1:name}' } }],
  },
  launchApp: {
    description: 'Start the app: a component (package/.Activity); default the routine\'s app.',
    markdownDescription: 'Starts an activity (`am start -n`). Without a value, uses the routine\'s top-level `app`.\n\n```yaml\n- launchApp\n- launchApp: com.emulatorfleet.pocketpacks/.MainActivity\n```',
    snippets: [{ label: 'launchApp', body: 'launchApp' }],
  },
  stopApp: {
    description: 'Force-stop an app (package); default the package of the routine\'s app.',
    markdownDescription: 'Force-stops a package (`am force-stop`). Default: the package of the routine\'s `app`.\n\n```yaml\n- stopApp\n- stopApp: com.emulatorfleet.pocketpacks\n```',
    snippets: [{ label: 'stopApp', body: 'stopApp' }],
  },
  restartApp: {
    description: 'Force-stop then start the app (component); default the routine\'s app.',
    markdownDescription: 'Force-stops and starts an app again. Default: the routine\'s `app`.\n\n```yaml\n- restartApp\n```',
    snippets: [{ label: 'restartApp', body: 'restartApp' }],
  },
  log: {
    description: 'Write a log line: a string, or {message, level: debug|info|warn|error}.',
    markdownDescription: 'Writes to the run log (and the monitor).\n\n```yaml\n- log: "claimed ${claimed} rewards"\n- log: { message: "low on hourglasses", level: warn }\n```',
    snippets: [{ label: 'log', body: { log: '${1:message}' } }],
  },
  screenshot: {
    description: 'Save the current screen as a PNG in the run folder (optional name).',
    markdownDescription: 'Saves the current frame as `<name>.png` in the run folder.\n\n```yaml\n- screenshot: results_${cycle}\n```',
    snippets: [{ label: 'screenshot', body: { screenshot: '${1:name}' } }],
  },
  checkoutAccount: {
    description:
      'Lease the next account of the group\'s pool, push its device file and verify it (inject, default true); sets account_id. onEmpty: stop|fail|wait; save: variable for the id.',
    markdownDescription:
      'Leases the next account of the group\'s pool, pushes its device file to the game\'s account path and checks it by pulling it back (`inject: false` skips that). Sets `account_id` (and `save`, if given). When the pool is empty: `onEmpty: stop` (default, the run ends successfully), `fail`, or `wait` (bounded by the step `timeout`).\n\n```yaml\n- checkoutAccount\n- checkoutAccount: { onEmpty: wait, save: acct }\n  timeout: 5m\n```',
    snippets: [{ label: 'checkoutAccount', body: { checkoutAccount: { onEmpty: 'stop' } } }],
  },
  completeAccount: {
    description: 'Finish the leased account successfully; stats: {field: value} are added to its counters.',
    markdownDescription: 'Marks the leased account done and releases it; numeric `stats` are added to its counters.\n\n```yaml\n- completeAccount: { stats: { packs_opened: "${opened}" } }\n```',
    snippets: [{ label: 'completeAccount', body: { completeAccount: { stats: { '${1:packs_opened}': 1 } } } }],
  },
  returnAccount: {
    description: 'Give the leased account back unused (optional reason).',
    markdownDescription: 'Releases the leased account without using it.\n\n```yaml\n- returnAccount: { reason: maintenance }\n```',
    snippets: [{ label: 'returnAccount', body: { returnAccount: { reason: '${1:reason}' } } }],
  },
  failAccount: {
    description: 'Mark the leased account as failed with a reason.',
    markdownDescription: 'Marks the leased account failed (and releases it).\n\n```yaml\n- failAccount: { reason: "login rejected" }\n```',
    snippets: [{ label: 'failAccount', body: { failAccount: { reason: '${1:reason}' } } }],
  },
  updateAccount: {
    description: 'Update fields of the leased account: fields: {name: value} sets, increment: {name: n} adds.',
    markdownDescription: 'Writes fields of the leased account now (`fields` sets values, `increment` adds to numbers).\n\n```yaml\n- updateAccount: { fields: { premium: true }, increment: { hourglasses: 2 } }\n```',
    snippets: [{ label: 'updateAccount', body: { updateAccount: { fields: { '${1:field}': '${2:value}' } } } }],
  },
  getAccountField: {
    description: 'Copy a field of the leased account into a variable (save), with an optional default.',
    markdownDescription: 'Reads a field of the leased account into a variable; `default` is used when the field is empty.\n\n```yaml\n- getAccountField: { field: hourglasses, save: hg, default: 0 }\n```',
    snippets: [{ label: 'getAccountField', body: { getAccountField: { field: '${1:field}', save: '${2:variable}' } } }],
  },
};

/** Common-key documentation (hover). */
const COMMON_DOCS: Record<(typeof COMMON_STEP_KEYS)[number], string> = {
  id: 'A stable id for this step (unique in the routine): shown in logs and events.',
  name: 'A label for this step, shown in logs, the monitor and the tree.',
  timeout: 'Fail the step when it takes longer than this duration (the step is cancelled).',
  retries: 'How many times to retry the step after a failure (default 0).',
  backoff: 'Delay before the first retry (default 1s); doubles on every further retry.',
  onError: "What to do when the step still fails: continue, retry (use retries), abort (default), or { call: routine, params? } then continue.",
  when: 'A condition: the step is skipped when it is false.',
};

// ---------------------------------------------------------------------------------------------------------
// Schema construction
// ---------------------------------------------------------------------------------------------------------

const KEY_RE = new RegExp(`^(?:${KEY_NAMES.join('|')}|KEYCODE_[A-Z0-9_]+)$`);
const COMPONENT_RE = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*(?:\/[A-Za-z0-9_.$]+)?$/;
const ROUTINE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

/** Aliases whose "did you mean" hint points Go-bot users at our names. */
const ACTION_ALIASES: Record<string, string> = {
  click: 'tap',
  clickifimagefound: 'tap (with optional: true)',
  sleep: 'wait',
  delay: 'wait',
  input: 'text',
  send_key: 'key',
  sendkey: 'key',
  keyevent: 'key',
  waitforimage: 'waitFor',
  findimage: 'assert',
  runroutine: 'call',
  run: 'call',
  setvariable: 'set',
  killapp: 'stopApp',
  injectnextaccount: 'checkoutAccount',
  markaccountfailed: 'failAccount',
  updateaccountfield: 'updateAccount',
  elseif: 'elif',
  else_if: 'elif',
  action: "an action key (steps are written as '- tap: ...', not 'action: tap')",
  actions: 'do',
  steps: 'do',
};

function componentValue(description: string): z.ZodType {
  return withMeta(
    z.union([z.string().regex(COMPONENT_RE, { error: 'expected a package or component like com.example.app/.MainActivity' }), templateString('a component')], {
      error: 'expected a package or component like com.example.app/.MainActivity',
    }),
    { description },
  );
}

function routineNameValue(): z.ZodType {
  return withMeta(
    z.union([z.string().regex(ROUTINE_NAME_RE, { error: "expected a routine name like 'common/open_pack' (path under routines/ without .yaml)" }), templateString('a routine name')], {
      error: "expected a routine name like 'common/open_pack'",
    }),
    { description: "Registry name of a routine: its path under routines/ without '.yaml', for example common/open_pack." },
  );
}

function recordOf(value: z.ZodType, what: string, description: string): z.ZodType {
  return withMeta(z.record(variableName(), value, { error: `expected a map of ${what}` }), { description });
}

/** The schemas of one mode. */
export interface RoutineSchemas {
  routine: z.ZodType;
  step: z.ZodType;
  condition: z.ZodType;
}

function targetValue(mode: SchemaMode, action: 'tap' | 'longPress'): z.ZodType {
  const extra: z.core.$ZodLooseShape = action === 'longPress' ? { duration: durationValue('How long to hold (default 1s).').optional() } : {};
  const variants: KeyedVariant[] = [
    {
      keys: ['template'],
      schema: strictMap(
        {
          template: templateName(),
          offset: withMeta(strictMap({ x: numberValue(), y: numberValue() }, 'offset'), { description: 'Added to the match centre (reference pixels, may be negative).' }).optional(),
          threshold: thresholdValue().optional(),
          region: regionSchema('search region', 'Where to search, at the reference resolution (default: the template\'s region, or the whole screen).').optional(),
          optional: boolValue('When true, a template that is not on screen skips the tap instead of failing the step.').optional(),
          ...extra,
        },
        `${action} on a template`,
      ),
    },
    { keys: ['x', 'y'], schema: strictMap({ x: numberValue({ min: 0, description: 'Pixels from the left.' }), y: numberValue({ min: 0, description: 'Pixels from the top.' }), ...extra }, `${action} on a point`) },
    { keys: ['region'], schema: strictMap({ region: regionSchema('region', 'Tap the centre of this rectangle.'), ...extra }, `${action} on a region`) },
  ];
  return keyedUnion(mode, variants, {
    what: `${action} target`,
    none: `${action} needs { x, y }, { template, ... }, { region } or a template name`,
    wrongType: `${action} needs { x, y }, { template, ... }, { region } or a template name`,
    scalars: [{ accepts: (v) => typeof v === 'string', schema: templateName() }],
    vocabulary: ['x', 'y', 'template', 'region', 'offset', 'threshold', 'optional', 'duration'],
  });
}

function stepOnErrorValue(): z.ZodType {
  return withMeta(
    z.union(
      [
        z.enum(['continue', 'retry', 'abort'], { error: "expected continue, retry, abort or { call: routine, params? }" }),
        strictMap({ call: routineNameValue(), params: recordOf(scalarValue(), 'parameters', 'Parameters for the called routine.').optional() }, 'onError call'),
      ],
      { error: "expected continue, retry, abort or { call: routine, params? }" },
    ),
    {
      description: COMMON_DOCS.onError,
      enumDescriptions: ['Log the error and go on with the next step', 'Retry the step (retries times, with backoff)', 'Fail the routine (default)'],
      defaultSnippets: [{ label: 'onError: call', body: { call: '${1:routine}' } }],
    },
  );
}

function paramSpecSchema(): z.ZodType {
  return withMeta(
    strictMap(
      {
        type: withMeta(z.enum(PARAM_TYPES, { error: `expected one of ${PARAM_TYPES.join(', ')}` }), {
          description: 'The parameter type.',
          enumDescriptions: ['Text', 'Whole number', 'Number', 'true / false', 'One of `values`'],
        }),
        default: scalarValue('Value used when the caller (group or call) passes none.').optional(),
        description: stringValue('Shown in the group editor and in completion.').optional(),
        label: stringValue('Short label for editors (default: the parameter name).').optional(),
        values: withMeta(z.array(z.union([z.string(), z.number()]), { error: 'expected a list of values' }).min(1, { error: 'an enum needs at least one value' }), {
          description: 'Allowed values (type: enum).',
        }).optional(),
        min: numberValue({ description: 'Smallest allowed value (int, number).' }).optional(),
        max: numberValue({ description: 'Largest allowed value (int, number).' }).optional(),
        required: withMeta(z.boolean({ error: 'expected true or false' }), { description: 'The caller must pass a value (no default).' }).optional(),
      },
      'parameter',
    ),
    {
      description: 'A routine parameter: {type, default?, description?, values? (enum), min?, max?, required?}.',
      defaultSnippets: [
        { label: 'int parameter', body: { type: 'int', default: 1, description: '${1}' } },
        { label: 'enum parameter', body: { type: 'enum', values: ['${1:a}', '${2:b}'], default: '${1:a}' } },
      ],
    },
  );
}

/** Builds every routine schema in one mode. `document` builds are cached (zod ids must be unique). */
export function buildRoutineSchemas(mode: SchemaMode): RoutineSchemas {
  if (mode === 'document' && documentCache) {
    return documentCache;
  }
  const { condition, conditionWith } = buildConditionSchemas(mode);
  const stepRef = z.lazy(() => step);
  const stepList = (description: string) => withMeta(z.array(stepRef, { error: 'expected a list of steps' }), { description });
  const conditionRef = z.lazy(() => condition);
  const conditionValue = (description: string) => withMeta(conditionRef, { description });

  const loopSiblings = (kind: 'while' | 'until'): z.core.$ZodLooseShape => ({
    do: stepList(`Steps repeated ${kind === 'while' ? 'while' : 'until'} the condition holds.`),
    max: numberValue({ int: true, min: 1, description: 'Most iterations; reaching it fails the step unless onExhausted: continue. Unlimited when absent.' }).optional(),
    onExhausted: withMeta(z.enum(['fail', 'continue'], { error: 'expected fail or continue' }), {
      description: 'What happens when max iterations are reached.',
      enumDescriptions: ['Fail the step with a located error (default)', 'Go on with the next step'],
    }).optional(),
  });

  const waitForOptions: z.core.$ZodLooseShape = {
    timeout: durationValue('Give up after this long (default 10s).').optional(),
    interval: durationValue('Time between checks (default 250ms).').optional(),
    onTimeout: withMeta(z.enum(['fail', 'continue'], { error: 'expected fail or continue' }), {
      description: 'What happens on timeout.',
      enumDescriptions: ['Fail the step with a located error (default)', 'Go on with the next step'],
    }).optional(),
  };

  const waitForValue = keyedUnion(
    mode,
    [
      { keys: ['condition'], schema: strictMap({ condition: conditionValue('The condition to wait for.'), ...waitForOptions }, 'waitFor') },
      { keys: ['image', 'notImage', 'any', 'all', 'none', 'not', 'var', 'color', 'appInForeground', 'elapsed'], schema: conditionWith(waitForOptions, 'waitFor') },
    ],
    {
      what: 'waitFor',
      none: `waitFor needs a condition (inline, like { image: name, timeout: 10s }, or under condition:)`,
      wrongType: 'waitFor needs a map: { image: name, timeout: 10s } or { condition: ..., timeout: ... }',
      vocabulary: ['condition', 'image', 'notImage', 'any', 'all', 'none', 'not', 'var', 'color', 'appInForeground', 'elapsed', ...WAIT_FOR_OPTION_KEYS],
    },
  );

  const accountValue = () => scalarValue('A field value.');

  // The value of each action key, and its sibling keys.
  const actions: Record<ActionName, { value: z.ZodType; siblings?: z.core.$ZodLooseShape; valueOptional?: boolean }> = {
    tap: { value: targetValue(mode, 'tap') },
    longPress: { value: targetValue(mode, 'longPress') },
    swipe: {
      value: strictMap(
        { from: pointSchema('swipe start', 'Start point.'), to: pointSchema('swipe end', 'End point.'), duration: durationValue('Swipe duration (default 300ms).').optional() },
        'swipe',
      ),
    },
    text: { value: withMeta(z.union([z.string().min(1, { error: 'text may not be empty' }), z.number()], { error: 'expected the text to type' }), { description: 'Text to type.' }) },
    key: {
      value: withMeta(
        z.union(
          [
            z.string().regex(KEY_RE, { error: `expected a key: ${KEY_NAMES.slice(0, 6).join(', ')}, ..., KEYCODE_* or a number` }),
            templateString('a key name'),
            z.number().int({ error: 'expected a whole key code' }).min(0, { error: 'expected a key code >= 0' }),
          ],
          { error: `expected a key: ${KEY_NAMES.slice(0, 6).join(', ')}, ..., KEYCODE_* or a number` },
        ),
        { description: 'A key name, KEYCODE_*, or a key code.', examples: ['BACK', 'HOME', 'ENTER', 'KEYCODE_WAKEUP', 66] },
      ),
    },
    wait: { value: durationValue('How long to wait.') },
    waitFor: { value: waitForValue },
    waitStable: {
      value: strictMap(
        {
          timeout: durationValue('Give up after this long (default 10s).').optional(),
          interval: durationValue('Time between the two compared frames (default 250ms).').optional(),
          region: regionSchema('compared region', 'Only compare this rectangle.').optional(),
          tolerance: numberValue({ min: 0, max: 1, description: 'Fraction of pixels (0-1) allowed to change (default 0.005).' }).optional(),
          onTimeout: withMeta(z.enum(['fail', 'continue'], { error: 'expected fail or continue' }), { description: 'What happens on timeout (default fail).' }).optional(),
        },
        'waitStable',
      ),
      valueOptional: true,
    },
    if: {
      value: conditionValue('The condition of the first branch.'),
      siblings: {
        then: stepList('Steps run when the condition holds.'),
        elif: withMeta(
          z.array(strictMap({ if: conditionValue('Condition of this branch.'), then: stepList('Steps of this branch.') }, 'elif branch'), { error: 'expected a list of { if, then } branches' }),
          { description: 'Further branches: [{ if: condition, then: [steps] }], tried in order.', defaultSnippets: [{ label: 'elif', body: [{ if: { image: '${1:template}' }, then: [] }] }] },
        ).optional(),
        else: stepList('Steps run when no branch condition holds.').optional(),
      },
    },
    while: { value: conditionValue('Loop while this holds.'), siblings: loopSiblings('while') },
    until: { value: conditionValue('Loop until this holds.'), siblings: loopSiblings('until') },
    repeat: {
      value: numberValue({ int: true, min: 0, description: 'How many times to run do.' }),
      siblings: { do: stepList('Steps repeated.') },
    },
    break: { value: z.null(), valueOptional: true },
    continue: { value: z.null(), valueOptional: true },
    call: {
      value: routineNameValue(),
      siblings: {
        params: recordOf(scalarValue(), 'parameters', "Values for the called routine's params.").optional(),
        save: recordOf(variableName('Name of a value the called routine returns.'), 'variable names', 'Copy returned values: { localVariable: returnedName }.').optional(),
      },
    },
    return: { value: recordOf(scalarValue(), 'returned values', 'Values to return: { name: value }.'), valueOptional: true },
    stop: { value: stringValue('Why the run stops (logged).'), valueOptional: true },
    fail: { value: stringValue('The error message.') },
    assert: { value: conditionValue('Must hold, or the routine fails.'), siblings: { message: stringValue('Error message when the condition does not hold.').optional() } },
    set: {
      value: withMeta(
        z.record(variableName(), scalarValue(), { error: 'expected a map { variable: value }' }).refine((r) => Object.keys(r).length > 0, { error: 'set needs at least one variable' }),
        { description: 'Variables to set: { name: value }.' },
      ),
    },
    increment: {
      value: keyedUnion(mode, [{ keys: ['var', 'by'], schema: strictMap({ var: variableName(), by: numberValue({ description: 'Amount (default 1).' }).optional() }, 'increment') }], {
        what: 'increment',
        none: 'increment needs a variable name or { var, by }',
        wrongType: 'increment needs a variable name or { var, by }',
        scalars: [{ accepts: (v) => typeof v === 'string', schema: variableName() }],
      }),
    },
    decrement: {
      value: keyedUnion(mode, [{ keys: ['var', 'by'], schema: strictMap({ var: variableName(), by: numberValue({ description: 'Amount (default 1).' }).optional() }, 'decrement') }], {
        what: 'decrement',
        none: 'decrement needs a variable name or { var, by }',
        wrongType: 'decrement needs a variable name or { var, by }',
        scalars: [{ accepts: (v) => typeof v === 'string', schema: variableName() }],
      }),
    },
    launchApp: { value: componentValue("Component to start (package/.Activity); default the routine's app."), valueOptional: true },
    stopApp: { value: componentValue("Package to force-stop; default the routine's app's package."), valueOptional: true },
    restartApp: { value: componentValue("Component to restart; default the routine's app."), valueOptional: true },
    log: {
      value: keyedUnion(
        mode,
        [
          {
            keys: ['message', 'level'],
            schema: strictMap(
              {
                message: z.union([z.string(), z.number(), z.boolean()], { error: 'expected a message' }),
                level: withMeta(z.enum(['debug', 'info', 'warn', 'error'], { error: 'expected debug, info, warn or error' }), { description: 'Log level (default info).' }).optional(),
              },
              'log',
            ),
          },
        ],
        {
          what: 'log',
          none: 'log needs a message or { message, level }',
          wrongType: 'log needs a message or { message, level }',
          scalars: [{ accepts: (v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean', schema: z.union([z.string(), z.number(), z.boolean()]) }],
        },
      ),
    },
    screenshot: { value: stringValue('File name (without .png) in the run folder.'), valueOptional: true },
    checkoutAccount: {
      value: strictMap(
        {
          onEmpty: withMeta(z.enum(['stop', 'fail', 'wait'], { error: 'expected stop, fail or wait' }), {
            description: 'What to do when the pool has no account.',
            enumDescriptions: ['End the run successfully (default)', 'Fail the routine', 'Wait for an account (bounded by the step timeout)'],
          }).optional(),
          save: variableName('Also store the account id in this variable.').optional(),
          inject: boolValue('Push the account file to the device and verify it (default true).').optional(),
        },
        'checkoutAccount',
      ),
      valueOptional: true,
    },
    completeAccount: {
      value: strictMap({ stats: recordOf(accountValue(), 'stats', 'Numbers added to the account counters, other values stored.').optional() }, 'completeAccount'),
      valueOptional: true,
    },
    returnAccount: {
      value: keyedUnion(mode, [{ keys: ['reason'], schema: strictMap({ reason: stringValue('Why it is returned.') }, 'returnAccount') }], {
        what: 'returnAccount',
        none: 'returnAccount takes a reason or { reason }',
        wrongType: 'returnAccount takes a reason or { reason }',
        scalars: [{ accepts: (v) => typeof v === 'string', schema: stringValue() }],
      }),
      valueOptional: true,
    },
    failAccount: {
      value: keyedUnion(mode, [{ keys: ['reason'], schema: strictMap({ reason: stringValue('Why the account failed.') }, 'failAccount') }], {
        what: 'failAccount',
        none: 'failAccount needs { reason }',
        wrongType: 'failAccount needs a reason or { reason }',
        scalars: [{ accepts: (v) => typeof v === 'string', schema: stringValue() }],
      }),
    },
    updateAccount: {
      value: strictMap(
        {
          fields: recordOf(accountValue(), 'fields', 'Fields to set.').optional(),
          increment: recordOf(numberValue(), 'numbers', 'Numbers added to fields.').optional(),
        },
        'updateAccount',
      ).refine((v) => v.fields !== undefined || v.increment !== undefined, { error: 'updateAccount needs fields or increment' }),
    },
    getAccountField: {
      value: strictMap(
        { field: stringValue('Account field to read.'), save: variableName('Variable that receives the value.'), default: scalarValue('Used when the field is empty.').optional() },
        'getAccountField',
      ),
    },
  };

  const commonShape = (): z.core.$ZodLooseShape => ({
    id: withMeta(z.string({ error: 'expected an id' }).regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, { error: 'an id has letters, digits, _, . and - only' }), { description: COMMON_DOCS.id }).optional(),
    name: stringValue(COMMON_DOCS.name).optional(),
    timeout: durationValue(COMMON_DOCS.timeout).optional(),
    retries: numberValue({ int: true, min: 0, max: 1000, description: COMMON_DOCS.retries }).optional(),
    backoff: durationValue(COMMON_DOCS.backoff).optional(),
    onError: stepOnErrorValue().optional(),
    when: conditionValue(COMMON_DOCS.when).optional(),
  });

  const variants: KeyedVariant[] = ACTION_NAMES.map((name) => {
    const a = actions[name];
    const doc = ACTION_DOCS[name];
    let value = withMeta(a.value, { description: doc.description, markdownDescription: doc.markdownDescription });
    if (a.valueOptional) {
      value = withMeta(value.nullable(), { description: doc.description, markdownDescription: doc.markdownDescription });
    }
    let schema: z.ZodType = strictMap({ [name]: value, ...(a.siblings ?? {}), ...commonShape() }, `${name} step`);
    if (mode === 'document') {
      schema = withMeta(schema, { title: name, description: doc.description, markdownDescription: doc.markdownDescription, defaultSnippets: doc.snippets });
    }
    return { keys: [name], schema };
  });

  const bareNames = withMeta(z.enum(BARE_ACTIONS as [ActionName, ...ActionName[]]), {
    description: 'An action without arguments.',
    enumDescriptions: BARE_ACTIONS.map((n) => ACTION_DOCS[n].description),
    markdownEnumDescriptions: BARE_ACTIONS.map((n) => ACTION_DOCS[n].markdownDescription),
  });
  const bareValidator = z.string().superRefine((s, ctx) => {
    if ((BARE_ACTIONS as readonly string[]).includes(s)) {
      return;
    }
    if ((ACTION_NAMES as readonly string[]).includes(s)) {
      ctx.addIssue({ code: 'custom', message: `'${s}' needs a value: write '${s}: ...'`, params: { code: 'missing-argument' } });
      return;
    }
    const hint = ACTION_ALIASES[s.toLowerCase()] ?? suggest(s, ACTION_NAMES);
    ctx.addIssue({
      code: 'custom',
      message: `unknown action '${s}'${hint ? ` (did you mean '${hint}'?)` : ''}; a step is a map like '- tap: ...' or one of ${BARE_ACTIONS.join(', ')}`,
      params: { code: 'unknown-action' },
    });
  });

  const step: z.ZodType = keyedUnion(mode, variants, {
    what: 'step',
    exclusive: true,
    several: (found) => `a step has exactly one action, found ${found.map((f) => `'${f}'`).join(' and ')}: split it into separate steps`,
    none: 'a step needs an action',
    wrongType: "expected a step: a map with one action key (like '- tap: ok_button') or the name of an action without arguments (like '- break')",
    scalars: [{ accepts: (v) => typeof v === 'string', schema: mode === 'document' ? bareNames : bareValidator }],
    vocabulary: [...ACTION_NAMES],
    aliases: ACTION_ALIASES,
    meta: mode === 'document' ? { id: 'step', description: 'A step: a map with exactly one action key plus optional common keys, or a bare action name.' } : undefined,
  });

  const sentrySchema = withMeta(
    strictMap(
      {
        name: stringValue('Name shown in logs and events.'),
        every: durationValue('How often the condition is checked (default 2s).').optional(),
        when: conditionValue('The sentry fires when this holds.'),
        steps: withMeta(z.array(stepRef, { error: 'expected a list of steps' }).min(1, { error: 'a sentry needs at least one step' }), {
          description: 'Steps run, with exclusive use of the device, when the sentry fires.',
        }),
        then: withMeta(z.enum(['resume', 'restart', 'abort'], { error: 'expected resume, restart or abort' }), {
          description: 'What the routine does after the sentry ran.',
          enumDescriptions: ['Go on where it paused (default)', 'Start the routine again from its first step', 'Stop the routine with an error'],
        }).optional(),
        cooldown: durationValue('After firing, do not check again for this long.').optional(),
      },
      'sentry',
    ),
    {
      description: 'A watcher polled while the routine runs; when its condition holds, the routine pauses at the next step boundary and the sentry steps run.',
      defaultSnippets: [{ label: 'sentry', body: { name: '${1:close popup}', every: '2s', when: { image: '${2:template}' }, steps: [{ tap: '${2:template}' }] } }],
    },
  );

  const routineOnError = withMeta(
    z.union(
      [
        z.enum(['continue', 'retry', 'abort'], { error: 'expected continue, retry, abort or { action, ... }' }),
        strictMap(
          {
            action: withMeta(z.enum(['continue', 'retry', 'abort', 'call'], { error: 'expected continue, retry, abort or call' }), {
              description: 'What to do when a step fails (after its own retries).',
              enumDescriptions: ['Skip the failed step and go on', 'Run the routine again from the start', 'Fail the routine (default)', 'Call a recovery routine, then fail'],
            }),
            routine: routineNameValue().optional(),
            params: recordOf(scalarValue(), 'parameters', 'Parameters for the recovery routine.').optional(),
            retries: numberValue({ int: true, min: 0, max: 1000, description: 'How many times the routine is retried (action: retry).' }).optional(),
            backoff: durationValue('Delay before the first routine retry; doubles each time.').optional(),
          },
          'routine onError',
        ).superRefine((v, ctx) => {
          if (v.action === 'call' && v.routine === undefined) {
            ctx.addIssue({ code: 'custom', message: "onError action 'call' needs a routine", params: { code: 'missing-key' } });
          }
          if (v.action !== 'call' && v.routine !== undefined) {
            ctx.addIssue({ code: 'custom', path: ['routine'], message: "routine is only used with action: call", params: { code: 'unused-key' } });
          }
        }),
      ],
      { error: 'expected continue, retry, abort or { action, routine?, retries?, backoff? }' },
    ),
    { description: 'Routine-level error policy (after a step\'s own retries and onError).', defaultSnippets: [{ label: 'onError', body: { action: 'retry', retries: 2, backoff: '5s' } }] },
  );

  const stuckSchema = withMeta(
    strictMap(
      {
        noProgress: durationValue('Stuck when no step completed for this long.').optional(),
        sameTarget: withMeta(
          strictMap(
            {
              count: numberValue({ int: true, min: 2, description: 'Taps on the same target that count as stuck.' }),
              window: numberValue({ int: true, min: 1, description: 'Within the last this many steps.' }),
            },
            'sameTarget',
          ),
          { description: 'Stuck when the same tap target was tapped count times in the last window steps.' },
        ).optional(),
        ladder: withMeta(z.array(z.enum(STUCK_RUNGS, { error: `expected one of ${STUCK_RUNGS.join(', ')}` })).min(1, { error: 'the ladder needs at least one rung' }), {
          description: 'Recovery steps tried in order, one more each time the routine is stuck again.',
          markdownDescription: 'Recovery rungs tried in order: `tapAgain`, `back`, `restartApp`, `restartEmulator`, `notify` (the last two are events for the orchestrator).',
        }).optional(),
      },
      'stuck',
    ),
    { description: 'Stuck detection.', defaultSnippets: [{ label: 'stuck', body: { noProgress: '2m', sameTarget: { count: 5, window: 8 }, ladder: [...DEFAULTS.stuckLadder] } }] },
  );

  const routine = withMeta(
    strictMap(
      {
        name: stringValue('Display name (default: the registry name, the path under routines/ without .yaml).').optional(),
        description: stringValue('What the routine does.', undefined, false).optional(),
        tags: withMeta(z.array(z.string({ error: 'expected a tag' }).min(1), { error: 'expected a list of tags' }), { description: 'Tags for filtering.' }).optional(),
        params: withMeta(z.record(variableName(), paramSpecSchema(), { error: 'expected a map { name: { type, ... } }' }), {
          description: 'Typed parameters (set by the group definition or by call params).',
        }).optional(),
        vars: recordOf(scalarValue(), 'variables', 'Initial variables.').optional(),
        app: componentValue('Default component for launchApp/stopApp/restartApp, for example com.emulatorfleet.pocketpacks/.MainActivity.').optional(),
        resolution: withMeta(z.string({ error: 'expected WIDTHxHEIGHT' }).regex(/^[1-9]\d{1,4}x[1-9]\d{1,4}$/, { error: "expected WIDTHxHEIGHT like '540x960'" }), {
          description: 'Reference resolution of coordinates and regions (default 540x960); scaled to the device.',
        }).optional(),
        sentries: withMeta(z.array(sentrySchema, { error: 'expected a list of sentries' }), { description: 'Watchers polled while the routine runs.' }).optional(),
        onError: routineOnError.optional(),
        stuck: stuckSchema.optional(),
        steps: withMeta(z.array(stepRef, { error: 'expected a list of steps' }), { description: 'The steps, run in order.' }),
      },
      'routine',
    ),
    mode === 'document'
      ? {
          title: 'Emulator Fleet routine',
          description: 'A routine file under routines/. See the YAML reference.',
          defaultSnippets: [{ label: 'routine', body: { description: '${1}', steps: [{ tap: '${2:template}' }] } }],
        }
      : {},
  );

  const out = { routine, step, condition };
  if (mode === 'document') {
    documentCache = out;
  }
  return out;
}

let documentCache: RoutineSchemas | undefined;

/** The schema the loader validates with (dispatching keyed unions, linear in the document size). */
export const routineFileSchema: z.ZodType = buildRoutineSchemas('validate').routine;

/** For JSON Schema generation: plain unions with ids and editor metadata. */
export function routineDocumentSchema(): z.ZodType {
  return buildRoutineSchemas('document').routine;
}

// ---------------------------------------------------------------------------------------------------------
// Normalised (loaded) types: what the interpreter runs
// ---------------------------------------------------------------------------------------------------------

/**
 * A numeric field: a number, or a string template (containing `${var}`) to interpolate and then convert.
 * The loader guarantees literal numbers are within the field's bounds.
 */
export type NumberValue = number | string;
/** A duration field: milliseconds, or a string template to interpolate and then `parseDuration`. */
export type DurationValue = Duration | string;
/** A boolean field: a boolean, or a string template (`"true"`/`"false"` after interpolation). */
export type BoolValue = boolean | string;
/** A value a variable can hold; strings may contain `${var}`. */
export type ScalarValue = string | number | boolean | null;

export interface PointValue {
  x: NumberValue;
  y: NumberValue;
}

export interface RegionValue {
  x: NumberValue;
  y: NumberValue;
  w: NumberValue;
  h: NumberValue;
}

interface Located {
  /** YAML source range of this node (the step map, the condition map, ...). */
  range: SourceRange;
  /** Stable path, for example `steps[3].then[0]` or `sentries[0].steps[1]`. */
  path: string;
}

export type LoadedCondition = Located &
  (
    | { kind: 'image' | 'notImage'; template: string; threshold?: NumberValue; region?: RegionValue }
    | { kind: 'any' | 'all' | 'none'; conditions: LoadedCondition[] }
    | { kind: 'not'; condition: LoadedCondition }
    /** No comparisons: a truthiness test. Several: all must hold. */
    | { kind: 'var'; name: string; comparisons: Array<{ op: ComparisonOp; value: ScalarValue }> }
    | { kind: 'color'; at: PointValue | RegionValue; color: string; tolerance: NumberValue }
    | { kind: 'appInForeground'; package: string }
    /** `since`: 'routine' (default), 'step', or a variable name holding a clock time in ms. */
    | { kind: 'elapsed'; since: string; comparisons: Array<{ op: ElapsedOp; value: DurationValue }> }
  );

export type Condition = LoadedCondition;

export type Target =
  | { kind: 'point'; x: NumberValue; y: NumberValue }
  | { kind: 'template'; template: string; offset?: PointValue; threshold?: NumberValue; region?: RegionValue; optional: BoolValue }
  | { kind: 'region'; region: RegionValue };

/** Step-level `onError`. */
export type StepOnError = 'continue' | 'retry' | 'abort' | { call: string; params: Record<string, ScalarValue> };

export interface StepCommon {
  id?: string;
  name?: string;
  timeout?: DurationValue;
  /** Default 0. */
  retries: NumberValue;
  /** First retry delay in ms (default 1000), doubled for each further retry. */
  backoff: DurationValue;
  /** Undefined means abort (fail the routine, subject to the routine's onError). */
  onError?: StepOnError;
  when?: LoadedCondition;
}

export interface IfBranch extends Located {
  condition: LoadedCondition;
  steps: LoadedStep[];
}

/** Arguments of each action after normalisation (defaults filled in). */
export interface ActionArgs {
  tap: { target: Target };
  longPress: { target: Target; duration: DurationValue };
  swipe: { from: PointValue; to: PointValue; duration: DurationValue };
  text: { text: string };
  /** `BACK` etc. normalised to `KEYCODE_BACK`; a number is a key code; a template is interpolated at run time. */
  key: { key: string | number };
  wait: { duration: DurationValue };
  waitFor: { condition: LoadedCondition; timeout: DurationValue; interval: DurationValue; onTimeout: 'fail' | 'continue' };
  waitStable: { timeout: DurationValue; interval: DurationValue; region?: RegionValue; tolerance: NumberValue; onTimeout: 'fail' | 'continue' };
  /** `if` plus its `elif` branches in order; `else` is [] when absent. */
  if: { branches: IfBranch[]; else: LoadedStep[] };
  while: { condition: LoadedCondition; do: LoadedStep[]; max?: NumberValue; onExhausted: 'fail' | 'continue' };
  until: { condition: LoadedCondition; do: LoadedStep[]; max?: NumberValue; onExhausted: 'fail' | 'continue' };
  repeat: { times: NumberValue; do: LoadedStep[] };
  break: Record<string, never>;
  continue: Record<string, never>;
  call: { routine: string; params: Record<string, ScalarValue>; save: Record<string, string> };
  return: { values: Record<string, ScalarValue> };
  stop: { message?: string };
  fail: { message: string };
  assert: { condition: LoadedCondition; message?: string };
  set: { values: Record<string, ScalarValue> };
  increment: { var: string; by: NumberValue };
  decrement: { var: string; by: NumberValue };
  launchApp: { component?: string };
  stopApp: { package?: string };
  restartApp: { component?: string };
  log: { message: string; level: 'debug' | 'info' | 'warn' | 'error' };
  screenshot: { name?: string };
  checkoutAccount: { onEmpty: 'stop' | 'fail' | 'wait'; save?: string; inject: BoolValue };
  completeAccount: { stats: Record<string, ScalarValue> };
  returnAccount: { reason?: string };
  failAccount: { reason: string };
  updateAccount: { fields: Record<string, ScalarValue>; increment: Record<string, NumberValue> };
  getAccountField: { field: string; save: string; default?: ScalarValue };
}

/** A step after loading: one action, its typed arguments, the common keys, its source range and path. */
export type LoadedStep = { [A in ActionName]: Located & { action: A; args: ActionArgs[A]; common: StepCommon } }[ActionName];
export type Step = LoadedStep;
export type StepOf<A extends ActionName> = Extract<LoadedStep, { action: A }>;

/** Normalised `stepAction` view for code that only needs the action and its arguments. */
export function stepAction(step: LoadedStep): { action: ActionName; args: unknown } {
  return { action: step.action, args: step.args };
}

export interface ParamSpec {
  type: ParamType;
  default?: ScalarValue;
  description?: string;
  label?: string;
  values?: Array<string | number>;
  min?: NumberValue;
  max?: NumberValue;
  required: boolean;
  range: SourceRange;
}

export interface LoadedSentry extends Located {
  name: string;
  every: DurationValue;
  when: LoadedCondition;
  steps: LoadedStep[];
  then: 'resume' | 'restart' | 'abort';
  cooldown?: DurationValue;
}
export type Sentry = LoadedSentry;

export interface OnErrorPolicy {
  action: 'continue' | 'retry' | 'abort' | 'call';
  routine?: string;
  params: Record<string, ScalarValue>;
  /** Routine retries for `retry` (default 1). */
  retries: NumberValue;
  backoff: DurationValue;
  range: SourceRange;
}

export interface StuckConfig {
  noProgress?: DurationValue;
  sameTarget?: { count: NumberValue; window: NumberValue };
  ladder: StuckRung[];
  range: SourceRange;
}

/** Where a value of a routine file is written (and, for a literal duration, the unit the author wrote it in). */
export interface ValueSource {
  range: SourceRange;
  unit?: DurationUnit;
}

export interface LoadedRoutine {
  /** Display name: `name:` or the registry name. */
  name: string;
  /** Registry name (path under routines/ without .yaml), when loaded from a registry. */
  registryName?: string;
  file: string;
  description?: string;
  tags: string[];
  params: Record<string, ParamSpec>;
  vars: Record<string, ScalarValue>;
  app?: string;
  resolution: { width: number; height: number };
  sentries: LoadedSentry[];
  onError?: OnErrorPolicy;
  stuck?: StuckConfig;
  steps: LoadedStep[];
  /** Range of the whole document. */
  range: SourceRange;
  /**
   * The `${var}` strings and literal durations of the file by path (`steps[2].tap.x`): run-time errors about a
   * substituted value are located at the value, and messages repeat a duration in the unit it was written in.
   */
  sources?: ReadonlyMap<string, ValueSource>;
}
export type Routine = LoadedRoutine;

/** Editor metadata type, re-exported for scripts/schemas.ts. */
export type { EditorMeta };
