/**
 * The format of `groups/*.yaml`: one BotGroupDefinition per file (the seed's fields plus launch options).
 * Strict (unknown keys are errors), camelCase keys, durations as `250ms` / `2s` / `1m` or a number of ms.
 * The JSON Schema with completion docs is generated from it: `z.toJSONSchema(groupDefinitionSchema, { io: 'input' })`.
 */
import { z } from 'zod';
import { parseDuration } from '../shared/durations';
import { durationSchema } from './durationSchema';

export const instanceRefSchema = z
  .union([z.number().int().nonnegative(), z.string().trim().min(1)])
  .meta({
    description: 'An emulator instance: its index (MuMu-style, 0, 1, 2 ...), its name, or an ADB serial such as emulator-5554 or 127.0.0.1:5555.',
    examples: [1, 'emulator-5554', '127.0.0.1:5555'],
  });

export const routineConfigSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'not a parameter name (letters, digits, _)' }), z.union([z.string(), z.number(), z.boolean()])).meta({
  description: "Values for the routine's config parameters (name: value); they become the routine's params on every cycle.",
  markdownDescription: "Values for the routine's `config:` parameters (`name: value`). They are passed as the routine's params on every cycle.",
});

export const restartPolicySchema = z
  .strictObject({
    enabled: z.boolean().default(true).meta({ description: 'Restart a bot whose cycle failed (after a backoff delay). Off: a failure ends the bot.' }),
    maxRestarts: z
      .union([z.number().int().nonnegative(), z.literal('unlimited')])
      .default(5)
      .meta({ description: "Consecutive failed cycles allowed before the bot fails for good, or 'unlimited'." }),
    initialDelay: durationSchema('Delay before the first restart.').default('2s'),
    maxDelay: durationSchema('Longest delay between restarts.').default('1m'),
    factor: z.number().min(1).max(10).default(2).meta({ description: 'Each consecutive failure multiplies the delay by this factor (1 = constant delay).' }),
    resetAfterSuccess: z.boolean().default(true).meta({ description: 'A successful cycle resets the failure count and the delay.' }),
  })
  .meta({
    description: 'What happens when a cycle fails: restart with exponential backoff, up to a maximum.',
    defaultSnippets: [{ label: 'restart policy', body: { enabled: true, maxRestarts: 5, initialDelay: '${1:2s}', maxDelay: '${2:1m}', factor: 2 } }],
  });

export const instanceOverrideSchema = z
  .strictObject({
    instance: instanceRefSchema,
    serial: z.string().trim().min(1).optional().meta({ description: 'Drive this ADB serial for the instance instead of the discovered one.' }),
    routineConfig: routineConfigSchema.optional().meta({ description: "Routine config for this instance, merged over the group's routineConfig." }),
  })
  .meta({
    description: 'Settings for one instance that differ from the group.',
    defaultSnippets: [{ label: 'instance override', body: { instance: '${1:1}', routineConfig: { '${2:name}': '${3:value}' } } }],
  });

export const ON_BUSY_VALUES = ['fail', 'skip', 'wait'] as const;

export const launchOptionsSchema = z
  .strictObject({
    stagger: durationSchema('Delay between two bot starts (spreads the load of app launches).').default('1s'),
    onBusy: z
      .enum(ON_BUSY_VALUES)
      .default('skip')
      .meta({
        description: 'An instance held by another running group: fail the start, skip it (take another), or wait for it.',
        markdownDescription:
          'An instance held by another running group:\n- `fail`: the start fails and names the group holding it\n- `skip`: take the next available instance instead\n- `wait`: start with what is free and wait (up to `waitTimeout`) for the rest',
      }),
    waitTimeout: durationSchema('onBusy: wait — how long the group keeps waiting for instances before it runs with fewer bots.').default('5m'),
    restart: restartPolicySchema.default({ enabled: true, maxRestarts: 5, initialDelay: '2s', maxDelay: '1m', factor: 2, resetAfterSuccess: true }),
    cycles: z.number().int().min(1).optional().meta({ description: 'Each bot runs the routine this many times, then stops. Neither cycles nor duration: run until stopped.' }),
    duration: durationSchema('The group runs this long, then stops gracefully. Neither cycles nor duration: run until stopped.').optional(),
    cycleDelay: durationSchema('Pause between two cycles of a bot.').default(0),
    stopWhenPoolEmpty: z.boolean().default(true).meta({ description: 'A bot stops when its account pool has no account left for it.' }),
    stopTimeout: durationSchema('Graceful stop: time a bot gets to finish its current step before it is forced.').default('10s'),
    overrides: z.array(instanceOverrideSchema).default([]).meta({ description: 'Per-instance settings (another routineConfig, a device serial).' }),
  })
  .meta({
    description: 'How the group starts and runs its bots.',
    defaultSnippets: [{ label: 'launch options', body: { stagger: '${1:1s}', onBusy: '${2|skip,fail,wait|}', restart: { maxRestarts: 5, initialDelay: '2s' } } }],
  });

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a date-time (ISO 8601, for example 2026-01-01T12:00:00Z)' });

export const groupDefinitionSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).meta({ description: 'The group name (unique in the workspace); `run <name>` and the tree use it.', examples: ['Premium Farmers'] }),
    description: z.string().optional().meta({ description: 'What the group does; shown on its card.' }),
    routine: z
      .string()
      .trim()
      .min(1)
      .meta({ description: 'The routine each bot runs in cycles: its name under routines/ without extension (namespaces with /).', examples: ['farm_premium'] }),
    routineConfig: routineConfigSchema.default({}),
    availableInstances: z.array(instanceRefSchema).min(1).meta({ description: 'The emulator instances the group may use; it picks requestedBotCount of them, skipping offline or busy ones.' }),
    requestedBotCount: z.number().int().min(1).meta({ description: 'How many bots to run at once (at most the number of available instances).' }),
    accountPool: z
      .string()
      .trim()
      .min(1)
      .optional()
      .meta({ description: 'The account pool (pools/<name>.yaml) the bots lease accounts from.', examples: ['premium_accounts'] }),
    launchOptions: launchOptionsSchema.default({
      stagger: '1s',
      onBusy: 'skip',
      waitTimeout: '5m',
      restart: { enabled: true, maxRestarts: 5, initialDelay: '2s', maxDelay: '1m', factor: 2, resetAfterSuccess: true },
      cycleDelay: 0,
      stopWhenPoolEmpty: true,
      stopTimeout: '10s',
      overrides: [],
    }),
    createdAt: isoTime.optional().meta({ description: 'When the definition was first saved (set by the extension).' }),
    updatedAt: isoTime.optional().meta({ description: 'When the definition was last saved (set by the extension).' }),
  })
  .superRefine((d, ctx) => {
    const seen = new Map<string, number>();
    d.availableInstances.forEach((ref, i) => {
      const key = typeof ref === 'number' ? String(ref) : ref.trim();
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', message: `instance ${key} is listed twice`, path: ['availableInstances', i] });
      }
      seen.set(key, i);
    });
    if (d.requestedBotCount > d.availableInstances.length) {
      ctx.addIssue({
        code: 'custom',
        message: `requestedBotCount (${d.requestedBotCount}) is more than the ${d.availableInstances.length} available instance(s)`,
        path: ['requestedBotCount'],
      });
    }
    const lo = d.launchOptions;
    if (lo.cycles !== undefined && lo.duration !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'set either cycles or duration, not both', path: ['launchOptions', 'duration'] });
    }
    for (const k of ['stagger', 'waitTimeout', 'cycleDelay', 'stopTimeout', 'duration'] as const) {
      const v = lo[k];
      if (v !== undefined && parseDuration(v) === undefined) {
        ctx.addIssue({ code: 'custom', message: 'duration out of range (at most 24h)', path: ['launchOptions', k] });
      }
    }
    const r = lo.restart;
    const init = parseDuration(r.initialDelay);
    const max = parseDuration(r.maxDelay);
    if (init !== undefined && max !== undefined && max < init) {
      ctx.addIssue({ code: 'custom', message: 'maxDelay is shorter than initialDelay', path: ['launchOptions', 'restart', 'maxDelay'] });
    }
    const overridden = new Set<string>();
    lo.overrides.forEach((o, i) => {
      const key = typeof o.instance === 'number' ? String(o.instance) : o.instance.trim();
      if (!seen.has(key)) {
        ctx.addIssue({ code: 'custom', message: `instance ${key} is not in availableInstances`, path: ['launchOptions', 'overrides', i, 'instance'] });
      }
      if (overridden.has(key)) {
        ctx.addIssue({ code: 'custom', message: `instance ${key} has two overrides`, path: ['launchOptions', 'overrides', i, 'instance'] });
      }
      overridden.add(key);
    });
  })
  .meta({
    title: 'Bot group definition',
    description: 'A saved bot group: which routine its bots run, on which emulator instances, with which account pool and launch options.',
    defaultSnippets: [
      {
        label: 'bot group',
        body: {
          name: '${1:My Group}',
          description: '${2:What it does}',
          routine: '${3:farm_premium}',
          availableInstances: [1, 2],
          requestedBotCount: 2,
          accountPool: '${4:premium_accounts}',
        },
      },
    ],
  });

export type GroupDefinitionData = z.output<typeof groupDefinitionSchema>;
