/**
 * Generates the JSON Schemas of the workspace YAML files from their zod sources (the single source of truth):
 *   schemas/routine.schema.json    ← src/bot/routine/schema.ts (routineDocumentSchema)
 *   schemas/templates.schema.json  ← src/bot/vision/templateSchema.ts (templateFileSchema)
 *   schemas/group.schema.json      ← src/orchestrator/groupSchema.ts (groupDefinitionSchema)
 *   schemas/pool.schema.json       ← src/orchestrator/pools/poolSchema.ts (poolDefinitionSchema)
 *
 * Usage: `npm run schemas` (write) and `npm run schemas:check` (`--check`: exit 1 naming the stale files).
 * Output is deterministic: definitions sorted, two-space indentation, trailing newline.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

interface SchemaSource {
  file: string;
  module: string;
  /** Loads the zod schema (lazily, so one broken source names itself instead of breaking every schema). */
  load: () => Promise<z.ZodType>;
  title: string;
}

const SOURCES: SchemaSource[] = [
  {
    file: 'routine.schema.json',
    module: 'src/bot/routine/schema.ts',
    title: 'Emulator Fleet routine (routines/**/*.yaml)',
    load: async () => (await import('../src/bot/routine/schema')).routineDocumentSchema(),
  },
  {
    file: 'templates.schema.json',
    module: 'src/bot/vision/templateSchema.ts',
    title: 'Emulator Fleet template registry file (templates/*.yaml)',
    load: async () => (await import('../src/bot/vision/templateSchema')).templateFileSchema,
  },
  {
    file: 'group.schema.json',
    module: 'src/orchestrator/groupSchema.ts',
    title: 'Emulator Fleet group definition (groups/*.yaml)',
    load: async () => (await import('../src/orchestrator/groupSchema')).groupDefinitionSchema,
  },
  {
    file: 'pool.schema.json',
    module: 'src/orchestrator/pools/poolSchema.ts',
    title: 'Emulator Fleet account pool (pools/*.yaml)',
    load: async () => (await import('../src/orchestrator/pools/poolSchema')).poolDefinitionSchema,
  },
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys first in this order (the rest keep their generated order), for readable, stable output. */
const LEADING_KEYS = ['$schema', '$id', '$ref', 'title', 'type', 'description', 'markdownDescription'];
/** Keys whose values are data (snippets, examples), copied as they are. */
const DATA_KEYS = new Set(['defaultSnippets', 'examples', 'default', 'enum', 'const', 'enumDescriptions', 'markdownEnumDescriptions', 'required']);
/** Keys whose values map names to schemas: the names keep their order (completion order), the schemas are ordered. */
const SCHEMA_MAP_KEYS = new Set(['properties', 'patternProperties']);

/** Orders the keys of a schema object (not of data inside it); `definitions` are sorted by name and go last. */
function orderKeys(v: Json): Json {
  if (Array.isArray(v)) {
    return v.map(orderKeys);
  }
  if (!isObject(v)) {
    return v;
  }
  const keys = Object.keys(v);
  const lead = LEADING_KEYS.filter((k) => keys.includes(k));
  const rest = keys.filter((k) => !LEADING_KEYS.includes(k) && k !== 'definitions');
  const out: JsonObject = {};
  for (const k of [...lead, ...rest]) {
    const x = v[k];
    if (DATA_KEYS.has(k)) {
      out[k] = x;
    } else if (SCHEMA_MAP_KEYS.has(k) && isObject(x)) {
      const m: JsonObject = {};
      for (const [name, sub] of Object.entries(x)) {
        m[name] = orderKeys(sub);
      }
      out[k] = m;
    } else {
      out[k] = orderKeys(x);
    }
  }
  if (isObject(v.definitions)) {
    const defs: JsonObject = {};
    for (const k of Object.keys(v.definitions).sort()) {
      defs[k] = orderKeys(v.definitions[k]);
    }
    out.definitions = defs;
  }
  return out;
}

function mapRefs(v: Json, fn: (ref: string) => string): Json {
  if (Array.isArray(v)) {
    return v.map((x) => mapRefs(x, fn));
  }
  if (!isObject(v)) {
    return v;
  }
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = k === '$ref' && typeof x === 'string' ? fn(x) : mapRefs(x, fn);
  }
  return out;
}

/**
 * Cleans zod's output for editors: definitions that only wrap a `$ref` (from `z.lazy`) are inlined, generated
 * `__schemaN` names become readable (from the definition's title), and `{allOf: [{$ref}]}` with nothing else
 * becomes a plain `$ref`.
 */
export function postProcess(schema: JsonObject, title: string): JsonObject {
  let s: JsonObject = { ...schema };
  const defs: JsonObject = isObject(s.definitions) ? { ...s.definitions } : {};
  const prefix = '#/definitions/';
  // 1. inline pure wrappers
  const alias = new Map<string, string>();
  for (const [name, d] of Object.entries(defs)) {
    if (isObject(d) && Object.keys(d).length === 1 && Array.isArray(d.allOf) && d.allOf.length === 1 && isObject(d.allOf[0]) && typeof d.allOf[0].$ref === 'string') {
      alias.set(name, d.allOf[0].$ref.slice(prefix.length));
    }
  }
  const resolve = (n: string): string => {
    let cur = n;
    for (let i = 0; i < 10 && alias.has(cur); i++) {
      cur = alias.get(cur)!;
    }
    return cur;
  };
  for (const n of alias.keys()) {
    delete defs[n];
  }
  // 2. readable names for generated ones
  const rename = new Map<string, string>();
  const taken = new Set(Object.keys(defs).filter((n) => !n.startsWith('__schema')));
  for (const n of Object.keys(defs).sort()) {
    if (!n.startsWith('__schema')) {
      continue;
    }
    const d = defs[n];
    const base = isObject(d) && typeof d.title === 'string' ? d.title.replace(/[^A-Za-z0-9_.-]+/g, '_') : 'definition';
    let name = base;
    for (let i = 2; taken.has(name); i++) {
      name = `${base}_${i}`;
    }
    taken.add(name);
    rename.set(n, name);
  }
  const fix = (ref: string) => {
    if (!ref.startsWith(prefix)) {
      return ref;
    }
    const n = resolve(ref.slice(prefix.length));
    return prefix + (rename.get(n) ?? n);
  };
  const newDefs: JsonObject = {};
  for (const [n, d] of Object.entries(defs)) {
    newDefs[rename.get(n) ?? n] = mapRefs(d, fix);
  }
  s = mapRefs(s, fix) as JsonObject;
  delete s.definitions;
  s = simplifyAllOf(s) as JsonObject;
  if (Object.keys(newDefs).length) {
    s.definitions = simplifyAllOf(newDefs);
  }
  s = dropRedundantMarkdown(s) as JsonObject;
  s.$schema = 'http://json-schema.org/draft-07/schema#';
  if (typeof s.title !== 'string') {
    s.title = title;
  }
  return s;
}

/** `markdownDescription` equal to `description` adds nothing (editors fall back to the description). */
function dropRedundantMarkdown(v: Json): Json {
  if (Array.isArray(v)) {
    return v.map(dropRedundantMarkdown);
  }
  if (!isObject(v)) {
    return v;
  }
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'markdownDescription' && x === v.description) {
      continue;
    }
    out[k] = DATA_KEYS.has(k) ? x : dropRedundantMarkdown(x);
  }
  return out;
}

function simplifyAllOf(v: Json): Json {
  if (Array.isArray(v)) {
    return v.map(simplifyAllOf);
  }
  if (!isObject(v)) {
    return v;
  }
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = simplifyAllOf(x);
  }
  if (Array.isArray(out.allOf) && out.allOf.length === 1 && isObject(out.allOf[0]) && Object.keys(out.allOf[0]).length === 1 && typeof out.allOf[0].$ref === 'string') {
    const ref = out.allOf[0].$ref;
    delete out.allOf;
    // draft-07 ignores siblings of $ref, so keep the allOf form when there are other keys (descriptions).
    if (Object.keys(out).length === 0) {
      return { $ref: ref };
    }
    out.allOf = [{ $ref: ref }];
  }
  return out;
}

/** Keys that only document a schema; two schemas that differ in these only are structurally the same. */
const DOC_KEYS = new Set(['title', 'description', 'markdownDescription', 'defaultSnippets', 'examples', 'default', 'deprecationMessage']);
/** Structural parts at least this long (serialised) that occur twice or more are shared through `definitions`. */
const SHARE_MIN_CHARS = 100;

function structuralPart(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (!DOC_KEYS.has(k)) {
      out[k] = v;
    }
  }
  return out;
}

/**
 * Shares repeated sub-schemas: zod inlines every use of a value schema (durations, regions, the common step
 * keys...), which makes the routine schema several times larger than it needs to be. A structural part
 * that occurs twice or more moves to `definitions` and each use becomes `{ <doc keys>, allOf: [{ $ref }] }`
 * (or a plain `$ref` when it carries no documentation of its own).
 */
export function shareRepeatedSubschemas(schema: JsonObject): JsonObject {
  const counts = new Map<string, number>();
  const count = (v: Json, top: boolean): void => {
    if (Array.isArray(v)) {
      v.forEach((x) => count(x, false));
      return;
    }
    if (!isObject(v)) {
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      if (k === 'definitions' && top) {
        Object.values(x as JsonObject).forEach((d) => count(d, true));
      } else if (!DATA_KEYS.has(k)) {
        if (SCHEMA_MAP_KEYS.has(k) && isObject(x)) {
          Object.values(x).forEach((d) => count(d, false));
        } else {
          count(x, false);
        }
      }
    }
    if (!top) {
      const key = JSON.stringify(structuralPart(v));
      if (key.length >= SHARE_MIN_CHARS && (v.type !== undefined || v.anyOf !== undefined || v.properties !== undefined || v.allOf !== undefined)) {
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  };
  count(schema, true);
  const shared = new Map<string, string>();
  const defs: JsonObject = isObject(schema.definitions) ? { ...schema.definitions } : {};
  const taken = new Set(Object.keys(defs));
  const nameFor = (struct: JsonObject): string => {
    let base = 'shared';
    const text = JSON.stringify(struct);
    const props = isObject(struct.properties) ? Object.keys(struct.properties).join(',') : '';
    if (text.includes('(?:ms|s|m|h)')) {
      base = 'duration';
    } else if (props === 'x,y,w,h') {
      base = 'region';
    } else if (props === 'x,y') {
      base = 'point';
    } else if (Array.isArray(struct.anyOf) && struct.anyOf.length === 2 && text.includes('\\$\\{') && isObject(struct.anyOf[0]) && typeof struct.anyOf[0].type === 'string') {
      base = `${struct.anyOf[0].type}OrVariable`;
    } else if (isObject(struct.properties)) {
      base = Object.keys(struct.properties).slice(0, 4).join('_') || 'object';
    } else if (Array.isArray(struct.anyOf)) {
      base = `anyOf_${struct.anyOf.map((x) => (isObject(x) && typeof x.type === 'string' ? x.type : isObject(x) && typeof x.$ref === 'string' ? x.$ref.split('/').pop() : 'x')).join('_')}`;
    } else if (typeof struct.type === 'string') {
      base = struct.type;
    }
    base = base.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
    let name = base;
    for (let i = 2; taken.has(name); i++) {
      name = `${base}_${i}`;
    }
    taken.add(name);
    return name;
  };
  for (const [key, n] of [...counts].sort((a, b) => b[0].length - a[0].length || (a[0] < b[0] ? -1 : 1))) {
    if (n >= 2) {
      shared.set(key, '');
    }
  }
  const rewrite = (v: Json, self?: string): Json => {
    if (Array.isArray(v)) {
      return v.map((x) => rewrite(x));
    }
    if (!isObject(v)) {
      return v;
    }
    const struct = structuralPart(v);
    const key = JSON.stringify(struct);
    if (shared.has(key) && key !== self) {
      let name = shared.get(key)!;
      if (!name) {
        name = nameFor(struct);
        shared.set(key, name);
        defs[name] = rewrite(struct, key);
      }
      const docs: JsonObject = {};
      for (const [k, x] of Object.entries(v)) {
        if (DOC_KEYS.has(k)) {
          docs[k] = x;
        }
      }
      return Object.keys(docs).length ? { ...docs, allOf: [{ $ref: `#/definitions/${name}` }] } : { $ref: `#/definitions/${name}` };
    }
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      if (DATA_KEYS.has(k)) {
        out[k] = x;
      } else if (SCHEMA_MAP_KEYS.has(k) && isObject(x)) {
        const m: JsonObject = {};
        for (const [name, sub] of Object.entries(x)) {
          m[name] = rewrite(sub);
        }
        out[k] = m;
      } else {
        out[k] = rewrite(x);
      }
    }
    return out;
  };
  const top: JsonObject = {};
  for (const [k, x] of Object.entries(schema)) {
    if (k === 'definitions') {
      continue;
    }
    top[k] = DATA_KEYS.has(k) ? x : SCHEMA_MAP_KEYS.has(k) && isObject(x) ? Object.fromEntries(Object.entries(x).map(([n, sub]) => [n, rewrite(sub)])) : rewrite(x);
  }
  for (const [n, d] of Object.entries(isObject(schema.definitions) ? schema.definitions : {})) {
    defs[n] = isObject(d) ? Object.fromEntries(Object.entries(d).map(([k, x]) => [k, DATA_KEYS.has(k) ? x : SCHEMA_MAP_KEYS.has(k) && isObject(x) ? Object.fromEntries(Object.entries(x).map(([nn, sub]) => [nn, rewrite(sub)])) : rewrite(x)])) : d;
  }
  if (Object.keys(defs).length) {
    top.definitions = defs;
  }
  return top;
}

/** Generates one JSON Schema text from a zod schema. */
export function generateSchemaText(schema: z.ZodType, title: string): string {
  const raw = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any', cycles: 'ref', reused: 'inline' }) as unknown as JsonObject;
  return `${JSON.stringify(orderKeys(shareRepeatedSubschemas(postProcess(raw, title))), null, 2)}\n`;
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length) {
    console.error(`schemas: unknown argument ${unknown.join(' ')} (usage: schemas.ts [--check])`);
    return 2;
  }
  const root = path.resolve(__dirname, '..');
  const outDir = path.join(root, 'schemas');
  const stale: string[] = [];
  const failed: string[] = [];
  for (const src of SOURCES) {
    let text: string;
    try {
      text = generateSchemaText(await src.load(), src.title);
    } catch (e) {
      failed.push(src.file);
      console.error(`schemas: cannot generate ${src.file} from ${src.module}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const target = path.join(outDir, src.file);
    const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
    if (current === text) {
      continue;
    }
    if (check) {
      stale.push(`schemas/${src.file}`);
    } else {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(target, text);
      console.log(`wrote schemas/${src.file}`);
    }
  }
  if (failed.length) {
    return 1;
  }
  if (check) {
    if (stale.length) {
      console.error(`schemas: out of date: ${stale.join(', ')} (run npm run schemas)`);
      return 1;
    }
    console.log('schemas: up to date');
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(`schemas: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
