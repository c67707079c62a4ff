/**
 * The zod builders of the routine language: one source for the loader's validation and the generated JSON Schema
 * (`schemas/routine.schema.json`). Names, documentation and snippets come from the action catalogue
 * (actionCatalogue.ts, no zod); the normalised types the interpreter runs are in loadedTypes.ts.
 *
 * A routine file is `routines/<path>.yaml`; its registry name is `<path>` (`/`-separated). A step is a map with
 * exactly one action key plus optional common keys (`id`, `name`, `timeout`, `retries`, `backoff`, `onError`,
 * `when`), or a bare string for an action without arguments (`- break`). See docs/yaml-reference.md.
 */
import { z } from 'zod';
import {
  ACTION_ALIASES,
  ACTION_ARG_DOCS,
  ACTION_DOCS,
  ACTION_NAMES,
  BARE_ACTIONS,
  COMMON_STEP_KEY_DOCS,
  CONDITION_KINDS,
  DEFAULTS,
  ENUM_DOCS,
  KEY_NAMES,
  PARAM_TYPES,
  STUCK_RUNGS,
  VALUE_DOCS,
  WAIT_FOR_OPTION_KEYS,
  type ActionName,
} from './actionCatalogue';
import { buildConditionSchemas, pointSchema, regionSchema, templateName, thresholdValue } from './conditionsSchema';
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
  type KeyedVariant,
  type SchemaMode,
} from './valueSchemas';

// ---------------------------------------------------------------------------------------------------------
// Schema construction
// ---------------------------------------------------------------------------------------------------------

const KEY_RE = new RegExp(`^(?:${KEY_NAMES.join('|')}|KEYCODE_[A-Z0-9_]+)$`);
const COMPONENT_RE = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*(?:\/[A-Za-z0-9_.$]+)?$/;
const ROUTINE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

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
    { description: VALUE_DOCS.routineName },
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
  const extra: z.core.$ZodLooseShape = action === 'longPress' ? { duration: durationValue(ACTION_ARG_DOCS.longPress.duration).optional() } : {};
  const variants: KeyedVariant[] = [
    {
      keys: ['template'],
      schema: strictMap(
        {
          template: templateName(),
          offset: withMeta(strictMap({ x: numberValue(), y: numberValue() }, 'offset'), { description: ACTION_ARG_DOCS[action].offset }).optional(),
          threshold: thresholdValue().optional(),
          region: regionSchema('search region', ACTION_ARG_DOCS[action].region).optional(),
          optional: boolValue(ACTION_ARG_DOCS[action].optional).optional(),
          ...extra,
        },
        `${action} on a template`,
      ),
    },
    { keys: ['x', 'y'], schema: strictMap({ x: numberValue({ min: 0, description: ACTION_ARG_DOCS[action].x }), y: numberValue({ min: 0, description: ACTION_ARG_DOCS[action].y }), ...extra }, `${action} on a point`) },
    { keys: ['region'], schema: strictMap({ region: regionSchema('region', ACTION_ARG_DOCS[action].regionTarget), ...extra }, `${action} on a region`) },
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
      description: COMMON_STEP_KEY_DOCS.onError,
      enumDescriptions: Object.values(ENUM_DOCS.stepOnError),
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
    do: stepList(ACTION_ARG_DOCS[kind].do),
    max: numberValue({ int: true, min: 1, description: ACTION_ARG_DOCS[kind].max }).optional(),
    onExhausted: withMeta(z.enum(['fail', 'continue'], { error: 'expected fail or continue' }), {
      description: ACTION_ARG_DOCS[kind].onExhausted,
      enumDescriptions: Object.values(ENUM_DOCS.onExhausted),
    }).optional(),
  });

  const waitForOptions: z.core.$ZodLooseShape = {
    timeout: durationValue(ACTION_ARG_DOCS.waitFor.timeout).optional(),
    interval: durationValue(ACTION_ARG_DOCS.waitFor.interval).optional(),
    onTimeout: withMeta(z.enum(['fail', 'continue'], { error: 'expected fail or continue' }), {
      description: ACTION_ARG_DOCS.waitFor.onTimeout,
      enumDescriptions: Object.values(ENUM_DOCS.onTimeout),
    }).optional(),
  };

  const waitForValue = keyedUnion(
    mode,
    [
      { keys: ['condition'], schema: strictMap({ condition: conditionValue(ACTION_ARG_DOCS.waitFor.condition), ...waitForOptions }, 'waitFor') },
      { keys: [...CONDITION_KINDS], schema: conditionWith(waitForOptions, 'waitFor') },
    ],
    {
      what: 'waitFor',
      none: `waitFor needs a condition (inline, like { image: name, timeout: 10s }, or under condition:)`,
      wrongType: 'waitFor needs a map: { image: name, timeout: 10s } or { condition: ..., timeout: ... }',
      vocabulary: ['condition', ...CONDITION_KINDS, ...WAIT_FOR_OPTION_KEYS],
    },
  );

  const accountValue = () => scalarValue(VALUE_DOCS.accountValue);

  // The value of each action key, and its sibling keys.
  const actions: Record<ActionName, { value: z.ZodType; siblings?: z.core.$ZodLooseShape; valueOptional?: boolean }> = {
    tap: { value: targetValue(mode, 'tap') },
    longPress: { value: targetValue(mode, 'longPress') },
    swipe: {
      value: strictMap(
        { from: pointSchema('swipe start', ACTION_ARG_DOCS.swipe.from), to: pointSchema('swipe end', ACTION_ARG_DOCS.swipe.to), duration: durationValue(ACTION_ARG_DOCS.swipe.duration).optional() },
        'swipe',
      ),
    },
    text: { value: withMeta(z.union([z.string().min(1, { error: 'text may not be empty' }), z.number()], { error: 'expected the text to type' }), { description: ACTION_ARG_DOCS.text.$value }) },
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
        { description: ACTION_ARG_DOCS.key.$value, examples: ['BACK', 'HOME', 'ENTER', 'KEYCODE_WAKEUP', 66] },
      ),
    },
    wait: { value: durationValue(ACTION_ARG_DOCS.wait.$value) },
    waitFor: { value: waitForValue },
    waitStable: {
      value: strictMap(
        {
          timeout: durationValue(ACTION_ARG_DOCS.waitStable.timeout).optional(),
          interval: durationValue(ACTION_ARG_DOCS.waitStable.interval).optional(),
          region: regionSchema('compared region', ACTION_ARG_DOCS.waitStable.region).optional(),
          tolerance: numberValue({ min: 0, max: 1, description: ACTION_ARG_DOCS.waitStable.tolerance }).optional(),
          onTimeout: withMeta(z.enum(['fail', 'continue'], { error: 'expected fail or continue' }), { description: ACTION_ARG_DOCS.waitStable.onTimeout }).optional(),
        },
        'waitStable',
      ),
      valueOptional: true,
    },
    if: {
      value: conditionValue(ACTION_ARG_DOCS.if.$value),
      siblings: {
        then: stepList(ACTION_ARG_DOCS.if.then),
        elif: withMeta(
          z.array(strictMap({ if: conditionValue(ACTION_ARG_DOCS.if['elif.if']), then: stepList(ACTION_ARG_DOCS.if['elif.then']) }, 'elif branch'), { error: 'expected a list of { if, then } branches' }),
          { description: ACTION_ARG_DOCS.if.elif, defaultSnippets: [{ label: 'elif', body: [{ if: { image: '${1:template}' }, then: [] }] }] },
        ).optional(),
        else: stepList(ACTION_ARG_DOCS.if.else).optional(),
      },
    },
    while: { value: conditionValue(ACTION_ARG_DOCS.while.$value), siblings: loopSiblings('while') },
    until: { value: conditionValue(ACTION_ARG_DOCS.until.$value), siblings: loopSiblings('until') },
    repeat: {
      value: numberValue({ int: true, min: 0, description: ACTION_ARG_DOCS.repeat.$value }),
      siblings: { do: stepList(ACTION_ARG_DOCS.repeat.do) },
    },
    break: { value: z.null(), valueOptional: true },
    continue: { value: z.null(), valueOptional: true },
    call: {
      value: routineNameValue(),
      siblings: {
        params: recordOf(scalarValue(), 'parameters', ACTION_ARG_DOCS.call.params).optional(),
        save: recordOf(variableName(ACTION_ARG_DOCS.call['save.value']), 'variable names', ACTION_ARG_DOCS.call.save).optional(),
      },
    },
    return: { value: recordOf(scalarValue(), 'returned values', ACTION_ARG_DOCS.return.$value), valueOptional: true },
    stop: { value: stringValue(ACTION_ARG_DOCS.stop.$value), valueOptional: true },
    fail: { value: stringValue(ACTION_ARG_DOCS.fail.$value) },
    assert: { value: conditionValue(ACTION_ARG_DOCS.assert.$value), siblings: { message: stringValue(ACTION_ARG_DOCS.assert.message).optional() } },
    set: {
      value: withMeta(
        z.record(variableName(), scalarValue(), { error: 'expected a map { variable: value }' }).refine((r) => Object.keys(r).length > 0, { error: 'set needs at least one variable' }),
        { description: ACTION_ARG_DOCS.set.$value },
      ),
    },
    increment: {
      value: keyedUnion(mode, [{ keys: ['var', 'by'], schema: strictMap({ var: variableName(), by: numberValue({ description: ACTION_ARG_DOCS.increment.by }).optional() }, 'increment') }], {
        what: 'increment',
        none: 'increment needs a variable name or { var, by }',
        wrongType: 'increment needs a variable name or { var, by }',
        scalars: [{ accepts: (v) => typeof v === 'string', schema: variableName() }],
      }),
    },
    decrement: {
      value: keyedUnion(mode, [{ keys: ['var', 'by'], schema: strictMap({ var: variableName(), by: numberValue({ description: ACTION_ARG_DOCS.decrement.by }).optional() }, 'decrement') }], {
        what: 'decrement',
        none: 'decrement needs a variable name or { var, by }',
        wrongType: 'decrement needs a variable name or { var, by }',
        scalars: [{ accepts: (v) => typeof v === 'string', schema: variableName() }],
      }),
    },
    launchApp: { value: componentValue(ACTION_ARG_DOCS.launchApp.$value), valueOptional: true },
    stopApp: { value: componentValue(ACTION_ARG_DOCS.stopApp.$value), valueOptional: true },
    restartApp: { value: componentValue(ACTION_ARG_DOCS.restartApp.$value), valueOptional: true },
    log: {
      value: keyedUnion(
        mode,
        [
          {
            keys: ['message', 'level'],
            schema: strictMap(
              {
                message: z.union([z.string(), z.number(), z.boolean()], { error: 'expected a message' }),
                level: withMeta(z.enum(['debug', 'info', 'warn', 'error'], { error: 'expected debug, info, warn or error' }), { description: ACTION_ARG_DOCS.log.level }).optional(),
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
    screenshot: { value: stringValue(ACTION_ARG_DOCS.screenshot.$value), valueOptional: true },
    checkoutAccount: {
      value: strictMap(
        {
          onEmpty: withMeta(z.enum(['stop', 'fail', 'wait'], { error: 'expected stop, fail or wait' }), {
            description: ACTION_ARG_DOCS.checkoutAccount.onEmpty,
            enumDescriptions: Object.values(ENUM_DOCS.onEmpty),
          }).optional(),
          save: variableName(ACTION_ARG_DOCS.checkoutAccount.save).optional(),
          inject: boolValue(ACTION_ARG_DOCS.checkoutAccount.inject).optional(),
        },
        'checkoutAccount',
      ),
      valueOptional: true,
    },
    completeAccount: {
      value: strictMap({ stats: recordOf(accountValue(), 'stats', ACTION_ARG_DOCS.completeAccount.stats).optional() }, 'completeAccount'),
      valueOptional: true,
    },
    returnAccount: {
      value: keyedUnion(mode, [{ keys: ['reason'], schema: strictMap({ reason: stringValue(ACTION_ARG_DOCS.returnAccount.reason) }, 'returnAccount') }], {
        what: 'returnAccount',
        none: 'returnAccount takes a reason or { reason }',
        wrongType: 'returnAccount takes a reason or { reason }',
        scalars: [{ accepts: (v) => typeof v === 'string', schema: stringValue() }],
      }),
      valueOptional: true,
    },
    failAccount: {
      value: keyedUnion(mode, [{ keys: ['reason'], schema: strictMap({ reason: stringValue(ACTION_ARG_DOCS.failAccount.reason) }, 'failAccount') }], {
        what: 'failAccount',
        none: 'failAccount needs { reason }',
        wrongType: 'failAccount needs a reason or { reason }',
        scalars: [{ accepts: (v) => typeof v === 'string', schema: stringValue() }],
      }),
    },
    updateAccount: {
      value: strictMap(
        {
          fields: recordOf(accountValue(), 'fields', ACTION_ARG_DOCS.updateAccount.fields).optional(),
          increment: recordOf(numberValue(), 'numbers', ACTION_ARG_DOCS.updateAccount.increment).optional(),
        },
        'updateAccount',
      ).refine((v) => v.fields !== undefined || v.increment !== undefined, { error: 'updateAccount needs fields or increment' }),
    },
    getAccountField: {
      value: strictMap(
        { field: stringValue(ACTION_ARG_DOCS.getAccountField.field), save: variableName(ACTION_ARG_DOCS.getAccountField.save), default: scalarValue(ACTION_ARG_DOCS.getAccountField.default).optional() },
        'getAccountField',
      ),
    },
  };

  const commonShape = (): z.core.$ZodLooseShape => ({
    id: withMeta(z.string({ error: 'expected an id' }).regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, { error: 'an id has letters, digits, _, . and - only' }), { description: COMMON_STEP_KEY_DOCS.id }).optional(),
    name: stringValue(COMMON_STEP_KEY_DOCS.name).optional(),
    timeout: durationValue(COMMON_STEP_KEY_DOCS.timeout).optional(),
    retries: numberValue({ int: true, min: 0, max: 1000, description: COMMON_STEP_KEY_DOCS.retries }).optional(),
    backoff: durationValue(COMMON_STEP_KEY_DOCS.backoff).optional(),
    onError: stepOnErrorValue().optional(),
    when: conditionValue(COMMON_STEP_KEY_DOCS.when).optional(),
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

const validateSchemas = buildRoutineSchemas('validate');

/** The schema the loader validates with (dispatching keyed unions, linear in the document size). */
export const routineFileSchema: z.ZodType = validateSchemas.routine;

/** The same validation for a condition written on its own (a debugger's breakpoint condition, its console). */
export const conditionFileSchema: z.ZodType = validateSchemas.condition;

/** For JSON Schema generation: plain unions with ids and editor metadata. */
export function routineDocumentSchema(): z.ZodType {
  return buildRoutineSchemas('document').routine;
}

