/**
 * Building blocks of the routine schema: values that may be `${var}` templates, durations, points, regions,
 * and the keyed unions ("a map with exactly one of these keys") that steps and conditions are made of.
 *
 * Every schema here is built in one of two modes from the same definitions:
 * - `validate`: what the loader runs. Keyed unions dispatch on the key that is present, so an error is
 *   reported against the one variant the author meant (never "invalid input" over 35 alternatives), and
 *   validation stays linear however deep steps nest.
 * - `document`: plain zod unions with ids and VS Code metadata, from which `npm run schemas` generates the
 *   JSON Schemas used for completion and hover.
 */
import { z } from 'zod';
import { editDistance } from '../../shared/editDistance';
import { VALUE_DOCS } from './actionCatalogue';
import { DURATION_HINT, DURATION_PATTERN } from '../../shared/durations';
import { durationProblem, MAX_DURATION_MS } from './durations';
import { hasInterpolation, VARIABLE_NAME_PATTERN } from './interpolationSyntax';
import { boolProblem, describeNumberRule, NUMBER_TEXT_RE, numberProblem, type NumberRule } from './valueRules';

export type SchemaMode = 'validate' | 'document';

/** VS Code's JSON Schema extensions understood by the YAML extension (completion and hover). */
export interface EditorMeta {
  description?: string;
  markdownDescription?: string;
  defaultSnippets?: Array<{ label?: string; description?: string; markdownDescription?: string; body: unknown }>;
  enumDescriptions?: string[];
  markdownEnumDescriptions?: string[];
  id?: string;
  title?: string;
  examples?: unknown[];
  default?: unknown;
}

/** Attaches editor metadata (kept by `z.toJSONSchema`). */
export function withMeta<T extends z.ZodType>(schema: T, meta: EditorMeta): T {
  return schema.meta(meta as Record<string, unknown>) as T;
}

const TEMPLATE_RE = /\$\{/;

/** A string that must contain a `${variable}` (the typed value is known only after interpolation). */
export function templateString(what: string): z.ZodString {
  return z.string({ error: `expected ${what}` }).regex(TEMPLATE_RE, { error: `expected ${what}, got a string without \${variable}` });
}

export interface NumberOptions extends NumberRule {
  description?: string;
  markdownDescription?: string;
}

/** Text that is a decimal number or contains a `${variable}` (the JSON Schema pattern of numeric text). */
const NUMBER_OR_TEMPLATE_RE = new RegExp(`${NUMBER_TEXT_RE.source}|\\$\\{`);

/**
 * A number (optionally an integer within bounds), text that reads as one, or a string with `${var}` converted and
 * checked by the same rule after interpolation (valueRules.ts).
 */
export function numberValue(o: NumberOptions = {}): z.ZodType {
  const problem = (v: unknown) => numberProblem(v, o) ?? `expected ${describeNumberRule(o)}`;
  const error = (iss: { input?: unknown }) => problem(iss.input);
  let n = z.number({ error });
  if (o.int) {
    n = n.int({ error });
  }
  if (o.positive) {
    n = n.gt(0, { error });
  }
  if (o.min !== undefined) {
    n = n.min(o.min, { error });
  }
  if (o.max !== undefined) {
    n = n.max(o.max, { error });
  }
  const text = z
    .string({ error })
    .regex(NUMBER_OR_TEMPLATE_RE, { error })
    .refine((s) => hasInterpolation(s) || numberProblem(s, o) === undefined, { error });
  return withMeta(z.union([n, text], { error }), {
    description: o.description,
    markdownDescription: o.markdownDescription,
  });
}

const BOOL_OR_TEMPLATE_RE = /^\s*(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*$|\$\{/;

/** `true`/`false`, the text `"true"`/`"false"`, or a `${var}` string (checked by the same rule after interpolation). */
export function boolValue(description?: string, markdownDescription?: string): z.ZodType {
  const error = (iss: { input?: unknown }) => boolProblem(iss.input) ?? 'expected true or false';
  return withMeta(z.union([z.boolean({ error }), z.string({ error }).regex(BOOL_OR_TEMPLATE_RE, { error }).refine((s) => hasInterpolation(s) || boolProblem(s) === undefined, { error })], { error }), { description, markdownDescription });
}

const DURATION_OR_TEMPLATE = new RegExp(`${DURATION_PATTERN.replace('^', '^\\s*').replace(/\$$/, '\\s*$')}|\\$\\{`);

/**
 * A duration: `250ms`, `2s`, `1.5s`, `1m`, `1h`, a number of milliseconds (also as text), or a `${var}` string;
 * at most 24h. Literal values and values after substitution are checked by the same rule ({@link durationProblem}).
 */
export function durationValue(description?: string, markdownDescription?: string): z.ZodType {
  const error = (iss: { input?: unknown }) => durationProblem(iss.input) ?? `expected ${DURATION_HINT}`;
  const ms = z.number({ error }).min(0, { error }).max(MAX_DURATION_MS, { error });
  const text = z
    .string({ error })
    .regex(DURATION_OR_TEMPLATE, { error })
    .refine((s) => hasInterpolation(s) || durationProblem(s) === undefined, { error });
  return withMeta(z.union([ms, text], { error }), {
    description: description ?? VALUE_DOCS.duration,
    markdownDescription: markdownDescription ?? description ?? VALUE_DOCS.durationMarkdown,
  });
}

/** A string; every string field may contain `${var}`. */
export function stringValue(description?: string, markdownDescription?: string, nonEmpty = true): z.ZodType {
  let s = z.string({ error: 'expected a string' });
  if (nonEmpty) {
    s = s.min(1, { error: 'may not be empty' });
  }
  return withMeta(s, { description, markdownDescription });
}

/** A variable name (`[A-Za-z_][A-Za-z0-9_]*`). */
export function variableName(description: string = VALUE_DOCS.variableName): z.ZodString {
  return z
    .string({ error: 'expected a variable name' })
    .regex(new RegExp(VARIABLE_NAME_PATTERN), { error: 'a variable name has letters, digits and _ only, and does not start with a digit' })
    .meta({ description });
}

/** A plain value a variable can hold. */
export function scalarValue(description: string = VALUE_DOCS.scalar): z.ZodType {
  return withMeta(z.union([z.string(), z.number(), z.boolean(), z.null()], { error: 'expected a string, number, boolean or null' }), { description });
}

/** Options shared by every strict map: one clear message for unknown keys (with a suggestion). */
export function strictMap<S extends z.core.$ZodLooseShape>(shape: S, what: string): z.ZodObject<S, z.core.$strict> {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const hints: Record<string, string> = {};
        for (const k of iss.keys) {
          hints[k] = suggest(k, known) ?? '';
        }
        return `${UNKNOWN_KEYS_MARK}${JSON.stringify({ what, hints, known })}`;
      }
      if (iss.code === 'invalid_type') {
        return `expected a map (${what})`;
      }
      return undefined;
    },
  });
}

/** Prefix of the machine-readable message that `strictMap` gives `unrecognized_keys` issues (decoded by the loader). */
export const UNKNOWN_KEYS_MARK = '\u0000unknown-keys:';

/** The closest candidate within a small edit distance (case-insensitive), for "did you mean" hints. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = boundedDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = word.length <= 3 ? 1 : word.length <= 6 ? 2 : 3;
  return best !== undefined && bestD <= limit && bestD < word.length ? best : undefined;
}

/** {@link editDistance}, or 99 when the lengths alone put it out of any hint's reach (or the words are very long). */
function boundedDistance(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  if (Math.abs(a.length - b.length) > 3 || a.length > 64 || b.length > 64) {
    return 99;
  }
  return editDistance(a, b);
}

export function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Re-reports the issues of a nested parse on the current value (paths stay relative, zod prefixes them). */
export function forwardIssues(ctx: z.core.$RefinementCtx, result: z.ZodSafeParseResult<unknown>): void {
  if (!result.success) {
    for (const iss of result.error.issues) {
      ctx.addIssue(iss as unknown as z.core.$ZodRawIssue);
    }
  }
}

export interface KeyedVariant {
  /** The variant is chosen when any of these keys is present. */
  keys: readonly string[];
  schema: z.ZodType;
}

export interface ScalarAlternative {
  accepts: (v: unknown) => boolean;
  schema: z.ZodType;
}

export interface KeyedUnionOptions {
  /** What the value is, for messages: "step", "condition", "tap target". */
  what: string;
  /** Message when no variant key is present. */
  none: string;
  /** When true, two keys selecting different variants is an error (steps: exactly one action). */
  exclusive?: boolean;
  /** Message when several variant keys are present (exclusive unions). */
  several?: (found: string[]) => string;
  /** Non-map forms (string shorthands and the like), tried first. */
  scalars?: ScalarAlternative[];
  /** Message for a value that is neither a map nor an accepted scalar. */
  wrongType: string;
  /** Keys whose typos should be suggested when no variant key is present. */
  vocabulary?: readonly string[];
  /** Extra "did you mean" hints for well-known foreign names (for example the Go bot's `click` → `tap`). */
  aliases?: Readonly<Record<string, string>>;
  meta?: EditorMeta;
}

/**
 * "A map with one of these keys": in validate mode a dispatcher that validates only the variant selected by
 * the key present; in document mode a plain union (JSON Schema `anyOf`).
 */
export function keyedUnion(mode: SchemaMode, variants: KeyedVariant[], o: KeyedUnionOptions): z.ZodType {
  if (mode === 'document') {
    const all = [...(o.scalars ?? []).map((s) => s.schema), ...variants.map((v) => v.schema)];
    const u = all.length === 1 ? all[0] : z.union(all as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
    return o.meta ? withMeta(u, o.meta) : u;
  }
  return z.unknown().superRefine((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: `missing ${o.what}`, params: { code: 'missing-key' } });
      return;
    }
    for (const alt of o.scalars ?? []) {
      if (alt.accepts(v)) {
        forwardIssues(ctx, alt.schema.safeParse(v));
        return;
      }
    }
    if (!isPlainMap(v)) {
      ctx.addIssue({ code: 'custom', message: o.wrongType, params: { code: 'invalid-type' } });
      return;
    }
    const keys = Object.keys(v);
    const present = variants.filter((va) => va.keys.some((k) => keys.includes(k)));
    if (present.length === 0) {
      let msg = o.none;
      for (const k of keys) {
        const hint = o.aliases?.[k] ?? o.aliases?.[k.toLowerCase()] ?? (o.vocabulary ? suggest(k, o.vocabulary) : undefined);
        if (hint) {
          msg += ` ('${k}' is not known: did you mean '${hint}'?)`;
          ctx.addIssue({ code: 'custom', message: msg, path: [k], params: { code: 'unknown-key', at: 'key' } });
          return;
        }
      }
      ctx.addIssue({ code: 'custom', message: msg, params: { code: `missing-${o.what.replace(/\s+/g, '-')}` } });
      return;
    }
    if (o.exclusive && present.length > 1) {
      const found = present.map((p) => p.keys.find((k) => keys.includes(k))!);
      ctx.addIssue({
        code: 'custom',
        message: o.several ? o.several(found) : `a ${o.what} has exactly one key of ${found.map((f) => `'${f}'`).join(' and ')}`,
        path: [found[1]],
        params: { code: `several-${o.what.replace(/\s+/g, '-')}s`, at: 'key' },
      });
      return;
    }
    forwardIssues(ctx, present[0].schema.safeParse(v));
  });
}
