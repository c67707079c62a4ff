/**
 * The routine language's vocabulary without its validators: the action and condition names, their one-line and
 * markdown documentation, the documentation of their arguments and common keys, completion snippets, the
 * language's limits and defaults. No zod here: the language server's completion and hover read this file, and the
 * zod builders (schema.ts, conditionsSchema.ts, valueSchemas.ts) take every name and text from it, so the JSON
 * Schema, the loader's messages and the editor help share one source.
 */

// ---------------------------------------------------------------------------------------------------------
// Actions
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

/** Aliases whose "did you mean" hint points Go-bot users at our names. */
export const ACTION_ALIASES: Record<string, string> = {
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

/** Snippets, one-line and markdown help of an action or a condition. */
export interface CatalogueDoc {
  description: string;
  markdownDescription: string;
  snippets: Array<{ label: string; body: unknown }>;
}

/** One entry per action; docs/yaml-reference.md documents the same, and a test checks they agree. */
export const ACTION_DOCS: Record<ActionName, CatalogueDoc> = {
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

/** Documentation of the keys every step may carry (hover). */
export const COMMON_STEP_KEY_DOCS: Record<(typeof COMMON_STEP_KEYS)[number], string> = {
  id: 'A stable id for this step (unique in the routine): shown in logs and events.',
  name: 'A label for this step, shown in logs, the monitor and the tree.',
  timeout: 'Fail the step when it takes longer than this duration (the step is cancelled).',
  retries: 'How many times to retry the step after a failure (default 0).',
  backoff: 'Delay before the first retry (default 1s); doubles on every further retry.',
  onError: "What to do when the step still fails: continue, retry (use retries), abort (default), or { call: routine, params? } then continue.",
  when: 'A condition: the step is skipped when it is false.',
};

// ---------------------------------------------------------------------------------------------------------
// Limits and defaults
// ---------------------------------------------------------------------------------------------------------

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

/** Default colour tolerance: largest per-channel distance (0-255) that still matches. */
export const DEFAULT_COLOR_TOLERANCE = 16;

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
  stuckLadder: [...STUCK_RUNGS] as StuckRung[],
  logLevel: 'info' as const,
  checkoutOnEmpty: 'stop' as const,
} as const;

// ---------------------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------------------

export const CONDITION_KINDS = ['image', 'notImage', 'any', 'all', 'none', 'not', 'var', 'color', 'appInForeground', 'elapsed'] as const;
export type ConditionKind = (typeof CONDITION_KINDS)[number];

export const COMPARISON_OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'contains', 'startsWith', 'endsWith', 'matches'] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export const ELAPSED_OPS = ['gt', 'ge', 'lt', 'le'] as const;
export type ElapsedOp = (typeof ELAPSED_OPS)[number];

/** What each comparison of the `var` condition does (also used, adapted, by `elapsed`). */
export const COMPARISON_OP_DOCS: Record<ComparisonOp, string> = {
  eq: 'equal (numbers compare as numbers, otherwise as text)',
  ne: 'not equal',
  gt: 'greater than (numeric)',
  ge: 'greater than or equal (numeric)',
  lt: 'less than (numeric)',
  le: 'less than or equal (numeric)',
  contains: 'the text contains this substring',
  startsWith: 'the text starts with this prefix',
  endsWith: 'the text ends with this suffix',
  matches: 'the text matches this regular expression (JavaScript syntax without backreferences and lookaround, matched in linear time; unanchored)',
};

/** Documentation of every condition (also used by docs tests: each has an example). */
export const CONDITION_DOCS: Record<ConditionKind, CatalogueDoc> = {
  image: {
    description: 'True when the template is on screen (optionally with a threshold and a search region).',
    markdownDescription:
      'True when the template is on screen.\n\n```yaml\nif: { image: title_logo }\n# or with overrides:\nif: { image: { template: ok_button, threshold: 0.9, region: { x: 0, y: 700, w: 540, h: 260 } } }\n```',
    snippets: [
      { label: 'image', body: { image: '${1:template}' } },
      { label: 'image (with overrides)', body: { image: { template: '${1:template}', threshold: 0.9 } } },
    ],
  },
  notImage: {
    description: 'True when the template is NOT on screen.',
    markdownDescription: 'True when the template is not on screen.\n\n```yaml\nwhen: { notImage: home_banner }\n```',
    snippets: [{ label: 'notImage', body: { notImage: '${1:template}' } }],
  },
  any: {
    description: 'True when at least one of the conditions is true (evaluated in order, short-circuit).',
    markdownDescription: 'True when at least one condition holds.\n\n```yaml\nif:\n  any:\n    - image: close_x\n    - image: ok_button\n```',
    snippets: [{ label: 'any', body: { any: [{ image: '${1:template}' }, { image: '${2:template}' }] } }],
  },
  all: {
    description: 'True when every condition is true (short-circuit).',
    markdownDescription: 'True when every condition holds.\n\n```yaml\nwhile:\n  all:\n    - image: claim_button\n    - { var: claimed, lt: 5 }\n```',
    snippets: [{ label: 'all', body: { all: [{ image: '${1:template}' }, { var: '${2:name}', lt: 5 }] } }],
  },
  none: {
    description: 'True when no condition is true.',
    markdownDescription: 'True when none of the conditions holds.\n\n```yaml\nuntil:\n  none: [ { image: spinner }, { image: loading_text } ]\n```',
    snippets: [{ label: 'none', body: { none: [{ image: '${1:template}' }] } }],
  },
  not: {
    description: 'Negates a condition.',
    markdownDescription: 'Negates a condition.\n\n```yaml\nwhen: { not: { var: premium, eq: true } }\n```',
    snippets: [{ label: 'not', body: { not: { image: '${1:template}' } } }],
  },
  var: {
    description:
      'Compares a variable: var: name plus one or more of eq, ne, gt, ge, lt, le, contains, startsWith, endsWith, matches (all must hold). Without a comparison, true when the variable is truthy.',
    markdownDescription:
      'Compares a variable with `eq`, `ne`, `gt`, `ge`, `lt`, `le` (numeric), `contains`, `startsWith`, `endsWith`, `matches` (regular expression). Several comparisons must all hold. With no comparison it tests truthiness (`true`, a non-zero number, a non-empty string other than `"false"`/`"0"`). A missing variable is an error.\n\n```yaml\nwhile: { var: count, lt: 5 }\nif: { var: name, startsWith: "bot_" }\nwhen: { var: count, ge: 1, le: 10 }\n```',
    snippets: [
      { label: 'var (compare)', body: { var: '${1:name}', eq: '${2:value}' } },
      { label: 'var (numeric range)', body: { var: '${1:name}', ge: 0, lt: 10 } },
    ],
  },
  color: {
    description: 'True when the pixel (or the mean colour of an area) is within tolerance of a #rrggbb colour.',
    markdownDescription:
      'Compares the colour at a point, or the mean colour of an area, with `#rrggbb`. `tolerance` is the largest per-channel difference (0-255, default 16).\n\n```yaml\nif: { color: { at: { x: 270, y: 900 }, color: "#34c759", tolerance: 20 } }\n```',
    snippets: [{ label: 'color', body: { color: { at: { x: 0, y: 0 }, color: '#${1:ffffff}', tolerance: 16 } } }],
  },
  appInForeground: {
    description: 'True when the app (package name) is in the foreground.',
    markdownDescription: 'True when the package is the foreground app.\n\n```yaml\nwhen: { appInForeground: com.emulatorfleet.pocketpacks }\n```',
    snippets: [{ label: 'appInForeground', body: { appInForeground: '${1:com.example.app}' } }],
  },
  elapsed: {
    description:
      "Compares the time elapsed since the routine started (default), the current step started, or the clock time stored in a variable, with gt/ge/lt/le durations.",
    markdownDescription:
      'Compares elapsed time with durations (`gt`, `ge`, `lt`, `le`). `since` is `routine` (default: the start of the current routine), `step` (the start of the current step), or the name of a variable holding a clock time (set with `set: { t0: "${now}" }`).\n\n```yaml\nwhile: { elapsed: { lt: 5m } }\nif: { elapsed: { since: lastClaim, ge: 1h } }\n```',
    snippets: [{ label: 'elapsed', body: { elapsed: { lt: '${1:5m}' } } }],
  },
};

/** Keys of the options `waitFor` accepts next to an inline condition. */
export const WAIT_FOR_OPTION_KEYS = ['timeout', 'interval', 'onTimeout'] as const;

/** Aliases whose "did you mean" hint points other tools' users at our condition names. */
export const CONDITION_ALIASES: Record<string, string> = {
  imageexists: 'image',
  imagenotexists: 'notImage',
  variable: 'var',
  type: 'image (conditions are written as { image: name }, not { type: ImageExists })',
  foreground: 'appInForeground',
  colour: 'color',
};

// ---------------------------------------------------------------------------------------------------------
// Arguments (hover and completion on the keys inside an action or a condition)
// ---------------------------------------------------------------------------------------------------------

/** Help of the values shared by many arguments (points, regions, templates, durations, variables). */
export const VALUE_DOCS = {
  point: 'A point {x, y} in pixels at the routine reference resolution (540x960 unless `resolution` says otherwise).',
  region: 'A rectangle {x, y, w, h} in pixels at the routine reference resolution.',
  x: 'Pixels from the left.',
  y: 'Pixels from the top.',
  regionX: 'Left edge.',
  regionY: 'Top edge.',
  regionW: 'Width.',
  regionH: 'Height.',
  template: 'Name of a template of the template registry (templates/*.yaml); may contain ${var}.',
  threshold: "Match score needed, 0 to 1 (overrides the template's threshold).",
  duration: 'A duration: 250ms, 2s, 1.5s, 1m, 1h, or a number of milliseconds.',
  durationMarkdown: 'A duration: `250ms`, `2s`, `1.5s`, `1m`, `1h`, or a number of milliseconds.',
  variableName: 'A variable name: letters, digits and _, not starting with a digit.',
  scalar: 'A string, number, boolean or null; strings may contain ${var}.',
  routineName: "Registry name of a routine: its path under routines/ without '.yaml', for example common/open_pack.",
  accountValue: 'A field value.',
} as const;

/** What the values of an enumerated argument mean, in the order the language lists them. */
export const ENUM_DOCS = {
  onTimeout: { fail: 'Fail the step with a located error (default)', continue: 'Go on with the next step' },
  onExhausted: { fail: 'Fail the step with a located error (default)', continue: 'Go on with the next step' },
  stepOnError: { continue: 'Log the error and go on with the next step', retry: 'Retry the step (retries times, with backoff)', abort: 'Fail the routine (default)' },
  onEmpty: { stop: 'End the run successfully (default)', fail: 'Fail the routine', wait: 'Wait for an account (bounded by the step timeout)' },
} as const;

/** Help of the template-target keys of `tap` and `longPress`. */
const TARGET_ARG_DOCS = {
  template: VALUE_DOCS.template,
  offset: 'Added to the match centre (reference pixels, may be negative).',
  threshold: VALUE_DOCS.threshold,
  region: "Where to search, at the reference resolution (default: the template's region, or the whole screen).",
  optional: 'When true, a template that is not on screen skips the tap instead of failing the step.',
  x: VALUE_DOCS.x,
  y: VALUE_DOCS.y,
} as const;

const WAIT_OPTION_DOCS = {
  timeout: 'Give up after this long (default 10s).',
  interval: 'Time between checks (default 250ms).',
  onTimeout: 'What happens on timeout.',
} as const;

/**
 * Help of each action's argument keys (inside its value, like `tap: { template, offset }`) and sibling keys (next
 * to it, like `then`, `do`, `params`). `$value` is the help of the action's value itself where it is a scalar or
 * a condition; `region` of `tap` with only a region (no template) is `regionTarget`.
 */
export const ACTION_ARG_DOCS: { readonly [A in ActionName]: Readonly<Record<string, string>> } = {
  tap: { ...TARGET_ARG_DOCS, regionTarget: 'Tap the centre of this rectangle.' },
  longPress: { ...TARGET_ARG_DOCS, regionTarget: 'Tap the centre of this rectangle.', duration: 'How long to hold (default 1s).' },
  swipe: { from: 'Start point.', to: 'End point.', duration: 'Swipe duration (default 300ms).' },
  text: { $value: 'Text to type.' },
  key: { $value: 'A key name, KEYCODE_*, or a key code.' },
  wait: { $value: 'How long to wait.' },
  waitFor: { condition: 'The condition to wait for.', ...WAIT_OPTION_DOCS },
  waitStable: {
    timeout: WAIT_OPTION_DOCS.timeout,
    interval: 'Time between the two compared frames (default 250ms).',
    region: 'Only compare this rectangle.',
    tolerance: 'Fraction of pixels (0-1) allowed to change (default 0.005).',
    onTimeout: 'What happens on timeout (default fail).',
  },
  if: {
    $value: 'The condition of the first branch.',
    then: 'Steps run when the condition holds.',
    elif: 'Further branches: [{ if: condition, then: [steps] }], tried in order.',
    'elif.if': 'Condition of this branch.',
    'elif.then': 'Steps of this branch.',
    else: 'Steps run when no branch condition holds.',
  },
  while: {
    $value: 'Loop while this holds.',
    do: 'Steps repeated while the condition holds.',
    max: 'Most iterations; reaching it fails the step unless onExhausted: continue. Unlimited when absent.',
    onExhausted: 'What happens when max iterations are reached.',
  },
  until: {
    $value: 'Loop until this holds.',
    do: 'Steps repeated until the condition holds.',
    max: 'Most iterations; reaching it fails the step unless onExhausted: continue. Unlimited when absent.',
    onExhausted: 'What happens when max iterations are reached.',
  },
  repeat: { $value: 'How many times to run do.', do: 'Steps repeated.' },
  break: {},
  continue: {},
  call: {
    $value: VALUE_DOCS.routineName,
    params: "Values for the called routine's params.",
    save: 'Copy returned values: { localVariable: returnedName }.',
    'save.value': 'Name of a value the called routine returns.',
  },
  return: { $value: 'Values to return: { name: value }.' },
  stop: { $value: 'Why the run stops (logged).' },
  fail: { $value: 'The error message.' },
  assert: { $value: 'Must hold, or the routine fails.', message: 'Error message when the condition does not hold.' },
  set: { $value: 'Variables to set: { name: value }.' },
  increment: { var: VALUE_DOCS.variableName, by: 'Amount (default 1).' },
  decrement: { var: VALUE_DOCS.variableName, by: 'Amount (default 1).' },
  launchApp: { $value: "Component to start (package/.Activity); default the routine's app." },
  stopApp: { $value: "Package to force-stop; default the routine's app's package." },
  restartApp: { $value: "Component to restart; default the routine's app." },
  log: { level: 'Log level (default info).' },
  screenshot: { $value: 'File name (without .png) in the run folder.' },
  checkoutAccount: {
    onEmpty: 'What to do when the pool has no account.',
    save: 'Also store the account id in this variable.',
    inject: 'Push the account file to the device and verify it (default true).',
  },
  completeAccount: { stats: 'Numbers added to the account counters, other values stored.' },
  returnAccount: { reason: 'Why it is returned.' },
  failAccount: { reason: 'Why the account failed.' },
  updateAccount: { fields: 'Fields to set.', increment: 'Numbers added to fields.' },
  getAccountField: { field: 'Account field to read.', save: 'Variable that receives the value.', default: 'Used when the field is empty.' },
};

/** Help of each condition's argument keys (`threshold` of `image`, `since` of `elapsed`, the comparisons of `var`). */
export const CONDITION_ARG_DOCS: { readonly [K in ConditionKind]: Readonly<Record<string, string>> } = {
  image: { template: VALUE_DOCS.template, threshold: VALUE_DOCS.threshold, region: VALUE_DOCS.region },
  notImage: { template: VALUE_DOCS.template, threshold: VALUE_DOCS.threshold, region: VALUE_DOCS.region },
  any: {},
  all: {},
  none: {},
  not: {},
  var: Object.fromEntries(COMPARISON_OPS.map((op) => [op, `Compare: ${COMPARISON_OP_DOCS[op]}.`])),
  color: {
    at: 'A point {x, y}, or an area {x, y, w, h} whose mean colour is compared.',
    color: "The expected colour, '#rrggbb'.",
    tolerance: `Largest per-channel difference 0-255 (default ${DEFAULT_COLOR_TOLERANCE}).`,
  },
  appInForeground: { $value: 'Package name, for example com.emulatorfleet.pocketpacks.' },
  elapsed: {
    since: "What the time is measured from: 'routine' (default), 'step', or a variable holding a clock time.",
    ...Object.fromEntries(ELAPSED_OPS.map((op) => [op, `Elapsed time ${COMPARISON_OP_DOCS[op].replace(' (numeric)', '')} this duration.`])),
  },
};
