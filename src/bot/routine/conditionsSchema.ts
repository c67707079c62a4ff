/**
 * Conditions of the routine language: a map with one condition key, composable with `any`/`all`/`none`/`not`.
 * Used by `if`, `elif`, `while`, `until`, `waitFor`, `assert`, the step key `when` and sentries' `when`.
 */
import { z } from 'zod';
import { compilePattern, PatternError } from './linearRegex';
import {
  durationValue,
  keyedUnion,
  numberValue,
  scalarValue,
  stringValue,
  strictMap,
  templateString,
  variableName,
  withMeta,
  type EditorMeta,
  type KeyedVariant,
  type SchemaMode,
} from './valueSchemas';

export const CONDITION_KINDS = ['image', 'notImage', 'any', 'all', 'none', 'not', 'var', 'color', 'appInForeground', 'elapsed'] as const;
export type ConditionKind = (typeof CONDITION_KINDS)[number];

export const COMPARISON_OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'contains', 'startsWith', 'endsWith', 'matches'] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export const ELAPSED_OPS = ['gt', 'ge', 'lt', 'le'] as const;
export type ElapsedOp = (typeof ELAPSED_OPS)[number];

/** Default colour tolerance: largest per-channel distance (0-255) that still matches. */
export const DEFAULT_COLOR_TOLERANCE = 16;

const OP_DOCS: Record<ComparisonOp, string> = {
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

/** A point `{x, y}` at the routine's reference resolution. */
export function pointSchema(what = 'point', description = 'A point {x, y} in pixels at the routine reference resolution (540x960 unless `resolution` says otherwise).'): z.ZodType {
  return withMeta(
    strictMap({ x: numberValue({ min: 0, description: 'Pixels from the left.' }), y: numberValue({ min: 0, description: 'Pixels from the top.' }) }, what),
    { description },
  );
}

/** A rectangle `{x, y, w, h}` at the routine's reference resolution. */
export function regionSchema(what = 'region', description = 'A rectangle {x, y, w, h} in pixels at the routine reference resolution.'): z.ZodType {
  return withMeta(
    strictMap(
      {
        x: numberValue({ min: 0, description: 'Left edge.' }),
        y: numberValue({ min: 0, description: 'Top edge.' }),
        w: numberValue({ positive: true, description: 'Width.' }),
        h: numberValue({ positive: true, description: 'Height.' }),
      },
      what,
    ),
    { description, defaultSnippets: [{ label: 'region', body: { x: 0, y: 0, w: 540, h: 960 } }] },
  );
}

/** A template name from `templates/` (may contain `${var}`). */
export function templateName(): z.ZodType {
  return stringValue('Name of a template of the template registry (templates/*.yaml); may contain ${var}.');
}

/** A probability-like matching threshold 0-1. */
export function thresholdValue(): z.ZodType {
  return numberValue({ min: 0, max: 1, description: 'Match score needed, 0 to 1 (overrides the template\'s threshold).' });
}

interface ConditionDoc {
  description: string;
  markdownDescription: string;
  snippets: Array<{ label: string; body: unknown }>;
}

/** Documentation of every condition (also used by docs tests: each has an example). */
export const CONDITION_DOCS: Record<ConditionKind, ConditionDoc> = {
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

function conditionMeta(kind: ConditionKind): EditorMeta {
  const d = CONDITION_DOCS[kind];
  return { description: d.description, markdownDescription: d.markdownDescription, defaultSnippets: d.snippets };
}

/** Keys of the options `waitFor` accepts next to an inline condition. */
export const WAIT_FOR_OPTION_KEYS = ['timeout', 'interval', 'onTimeout'] as const;

/**
 * Builds the condition schema (and the variants that accept extra sibling keys, for `waitFor`'s inline form).
 * `extra` keys are merged into every variant.
 */
export function buildConditionSchemas(mode: SchemaMode): {
  condition: z.ZodType;
  conditionWith(extra: z.core.$ZodLooseShape, what: string, meta?: EditorMeta): z.ZodType;
} {
  const ref = z.lazy(() => condition);
  const list = () => z.array(ref, { error: 'expected a list of conditions' }).min(1, { error: 'needs at least one condition' });

  const imageValue = () =>
    keyedUnion(
      mode,
      [
        {
          keys: ['template', 'threshold', 'region'],
          schema: strictMap({ template: templateName(), threshold: thresholdValue().optional(), region: regionSchema('search region').optional() }, 'image condition'),
        },
      ],
      {
        what: 'image condition',
        none: "an image condition is a template name or { template, threshold?, region? }",
        wrongType: 'expected a template name or { template, threshold?, region? }',
        scalars: [{ accepts: (v) => typeof v === 'string', schema: templateName() }],
      },
    );

  const atValue = keyedUnion(
    mode,
    [
      { keys: ['w', 'h'], schema: regionSchema('color area') },
      { keys: ['x', 'y'], schema: pointSchema('color point') },
    ],
    { what: 'color position', none: 'expected { x, y } (a point) or { x, y, w, h } (an area)', wrongType: 'expected { x, y } (a point) or { x, y, w, h } (an area)' },
  );

  const compareShape: Record<string, z.ZodType> = {};
  for (const op of COMPARISON_OPS) {
    const doc = `Compare: ${OP_DOCS[op]}.`;
    compareShape[op] = (
      op === 'gt' || op === 'ge' || op === 'lt' || op === 'le'
        ? numberValue({ description: doc })
        : op === 'eq' || op === 'ne'
          ? scalarValue(doc)
          : withMeta(z.string({ error: 'expected a string' }), { description: doc })
    ).optional();
  }

  const elapsedShape: Record<string, z.ZodType> = {
    since: withMeta(z.string({ error: "expected 'routine', 'step' or a variable name" }).min(1), {
      description: "What the time is measured from: 'routine' (default), 'step', or a variable holding a clock time.",
    }).optional(),
  };
  for (const op of ELAPSED_OPS) {
    elapsedShape[op] = durationValue(`Elapsed time ${OP_DOCS[op].replace(' (numeric)', '')} this duration.`).optional();
  }
  const elapsedValue = strictMap(elapsedShape, 'elapsed condition').superRefine((v, ctx) => {
    if (!ELAPSED_OPS.some((op) => (v as Record<string, unknown>)[op] !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'elapsed needs at least one of gt, ge, lt, le', params: { code: 'missing-comparison' } });
    }
  });

  const variantShapes = (): Record<ConditionKind, z.core.$ZodLooseShape> => ({
    image: { image: withMeta(imageValue(), conditionMeta('image')) },
    notImage: { notImage: withMeta(imageValue(), conditionMeta('notImage')) },
    any: { any: withMeta(list(), conditionMeta('any')) },
    all: { all: withMeta(list(), conditionMeta('all')) },
    none: { none: withMeta(list(), conditionMeta('none')) },
    not: { not: withMeta(ref, conditionMeta('not')) },
    var: { var: withMeta(variableName(), conditionMeta('var')), ...compareShape },
    color: {
      color: withMeta(
        strictMap(
          {
            at: withMeta(atValue, { description: 'A point {x, y}, or an area {x, y, w, h} whose mean colour is compared.' }),
            color: withMeta(
              z.union([z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: "expected a colour '#rrggbb'" }), templateString("a colour '#rrggbb'")], {
                error: "expected a colour '#rrggbb'",
              }),
              { description: "The expected colour, '#rrggbb'." },
            ),
            tolerance: numberValue({ min: 0, max: 255, description: `Largest per-channel difference 0-255 (default ${DEFAULT_COLOR_TOLERANCE}).` }).optional(),
          },
          'color condition',
        ),
        conditionMeta('color'),
      ),
    },
    appInForeground: { appInForeground: withMeta(stringValue('Package name, for example com.emulatorfleet.pocketpacks.'), conditionMeta('appInForeground')) },
    elapsed: { elapsed: withMeta(elapsedValue, conditionMeta('elapsed')) },
  });

  const build = (extra: z.core.$ZodLooseShape, what: string, meta?: EditorMeta): z.ZodType => {
    const shapes = variantShapes();
    if (mode === 'document' && Object.keys(extra).length) {
      // For editors, an inline condition with extra keys (waitFor) is one map offering every condition key:
      // ten near-identical variants would only bloat the JSON Schema. The loader still enforces one key.
      const merged: z.core.$ZodLooseShape = {};
      for (const kind of CONDITION_KINDS) {
        for (const [k, v] of Object.entries(shapes[kind])) {
          merged[k] = (v as z.ZodType).optional();
        }
      }
      return withMeta(strictMap({ ...merged, ...extra }, what), meta ?? {});
    }
    const variants: KeyedVariant[] = CONDITION_KINDS.map((kind) => {
      let schema: z.ZodType = strictMap({ ...shapes[kind], ...extra }, what === 'condition' ? `${kind} condition` : `${what} with ${kind === 'image' || kind === 'any' || kind === 'all' || kind === 'appInForeground' || kind === 'elapsed' ? 'an' : 'a'} ${kind} condition`);
      if (kind === 'var') {
        schema = (schema as z.ZodObject).superRefine((v, ctx) => {
          const m = (v as Record<string, unknown>).matches;
          if (typeof m === 'string' && !m.includes('${')) {
            try {
              compilePattern(m);
            } catch (e) {
              const detail = e instanceof PatternError ? `${e.message} (at offset ${e.index})` : String(e);
              ctx.addIssue({ code: 'custom', path: ['matches'], message: `invalid regular expression: ${detail}`, params: { code: 'invalid-regex' } });
            }
          }
        });
      }
      if (mode === 'document') {
        schema = withMeta(schema, { ...conditionMeta(kind), title: kind });
      }
      return { keys: [kind], schema };
    });
    return keyedUnion(mode, variants, {
      what: 'condition',
      exclusive: true,
      several: (found) => `a condition has exactly one condition key, found ${found.map((f) => `'${f}'`).join(' and ')}: combine them with all: [...] or any: [...]`,
      none: `a condition needs one of ${CONDITION_KINDS.join(', ')}`,
      wrongType: `expected a condition: a map with one of ${CONDITION_KINDS.join(', ')}`,
      vocabulary: [...CONDITION_KINDS, ...COMPARISON_OPS],
      aliases: {
        imageexists: 'image',
        imagenotexists: 'notImage',
        variable: 'var',
        type: 'image (conditions are written as { image: name }, not { type: ImageExists })',
        foreground: 'appInForeground',
        colour: 'color',
      },
      meta,
    });
  };

  const condition: z.ZodType = build({}, 'condition', mode === 'document' ? { id: 'condition', description: 'A condition: a map with one condition key.' } : undefined);
  return { condition, conditionWith: build };
}
