/**
 * Conditions of the routine language: a map with one condition key, composable with `any`/`all`/`none`/`not`.
 * Used by `if`, `elif`, `while`, `until`, `waitFor`, `assert`, the step key `when` and sentries' `when`.
 */
import { z } from 'zod';
import {
  COMPARISON_OPS,
  CONDITION_ALIASES,
  CONDITION_ARG_DOCS,
  CONDITION_DOCS,
  CONDITION_KINDS,
  ELAPSED_OPS,
  VALUE_DOCS,
  type ConditionKind,
} from './actionCatalogue';
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

/** A point `{x, y}` at the routine's reference resolution. */
export function pointSchema(what = 'point', description: string = VALUE_DOCS.point): z.ZodType {
  return withMeta(
    strictMap({ x: numberValue({ min: 0, description: VALUE_DOCS.x }), y: numberValue({ min: 0, description: VALUE_DOCS.y }) }, what),
    { description },
  );
}

/** A rectangle `{x, y, w, h}` at the routine's reference resolution. */
export function regionSchema(what = 'region', description: string = VALUE_DOCS.region): z.ZodType {
  return withMeta(
    strictMap(
      {
        x: numberValue({ min: 0, description: VALUE_DOCS.regionX }),
        y: numberValue({ min: 0, description: VALUE_DOCS.regionY }),
        w: numberValue({ positive: true, description: VALUE_DOCS.regionW }),
        h: numberValue({ positive: true, description: VALUE_DOCS.regionH }),
      },
      what,
    ),
    { description, defaultSnippets: [{ label: 'region', body: { x: 0, y: 0, w: 540, h: 960 } }] },
  );
}

/** A template name from `templates/` (may contain `${var}`). */
export function templateName(): z.ZodType {
  return stringValue(VALUE_DOCS.template);
}

/** A probability-like matching threshold 0-1. */
export function thresholdValue(): z.ZodType {
  return numberValue({ min: 0, max: 1, description: VALUE_DOCS.threshold });
}

function conditionMeta(kind: ConditionKind): EditorMeta {
  const d = CONDITION_DOCS[kind];
  return { description: d.description, markdownDescription: d.markdownDescription, defaultSnippets: d.snippets };
}

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
    const doc = CONDITION_ARG_DOCS.var[op];
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
      description: CONDITION_ARG_DOCS.elapsed.since,
    }).optional(),
  };
  for (const op of ELAPSED_OPS) {
    elapsedShape[op] = durationValue(CONDITION_ARG_DOCS.elapsed[op]).optional();
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
            at: withMeta(atValue, { description: CONDITION_ARG_DOCS.color.at }),
            color: withMeta(
              z.union([z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: "expected a colour '#rrggbb'" }), templateString("a colour '#rrggbb'")], {
                error: "expected a colour '#rrggbb'",
              }),
              { description: CONDITION_ARG_DOCS.color.color },
            ),
            tolerance: numberValue({ min: 0, max: 255, description: CONDITION_ARG_DOCS.color.tolerance }).optional(),
          },
          'color condition',
        ),
        conditionMeta('color'),
      ),
    },
    appInForeground: { appInForeground: withMeta(stringValue(CONDITION_ARG_DOCS.appInForeground.$value), conditionMeta('appInForeground')) },
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
      aliases: CONDITION_ALIASES,
      meta,
    });
  };

  const condition: z.ZodType = build({}, 'condition', mode === 'document' ? { id: 'condition', description: 'A condition: a map with one condition key.' } : undefined);
  return { condition, conditionWith: build };
}
