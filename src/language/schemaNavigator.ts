/**
 * Walks the JSON Schemas generated from the core's zod definitions (`schemas/*.json`, `npm run schemas`), the
 * one source of the editor's keys, values, snippets and documentation. Given a YAML path and the nodes along
 * it, it finds the schemas that apply, choosing among `anyOf` alternatives by the keys the map already has
 * (a step with `tap:` is a tap step).
 */
import { isMap, isScalar, isSeq } from 'yaml';
import { keyName, type PathKey } from './yamlNodes';

export interface Snippet {
  label?: string;
  description?: string;
  markdownDescription?: string;
  body: unknown;
}

export interface JsonSchema {
  $ref?: string;
  title?: string;
  type?: string | string[];
  description?: string;
  markdownDescription?: string;
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  enumDescriptions?: string[];
  markdownEnumDescriptions?: string[];
  defaultSnippets?: Snippet[];
  default?: unknown;
  examples?: unknown[];
  definitions?: Record<string, JsonSchema>;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

const MAX_DEPTH = 24;

function typesOf(s: JsonSchema): string[] {
  if (Array.isArray(s.type)) {
    return s.type;
  }
  if (typeof s.type === 'string') {
    return [s.type];
  }
  if (s.properties || s.additionalProperties !== undefined || s.patternProperties) {
    return ['object'];
  }
  if (s.items) {
    return ['array'];
  }
  return [];
}

function merge(outer: JsonSchema, inner: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...outer, ...inner };
  if (outer.properties && inner.properties) {
    out.properties = { ...outer.properties, ...inner.properties };
  }
  if (outer.required && inner.required) {
    out.required = [...new Set([...outer.required, ...inner.required])];
  }
  return out;
}

function strip(s: JsonSchema): JsonSchema {
  const { $ref: _r, allOf: _a, anyOf: _o, oneOf: _p, definitions: _d, ...rest } = s;
  return rest;
}

export class SchemaNavigator {
  private readonly flatCache = new Map<JsonSchema, JsonSchema[]>();

  constructor(readonly root: JsonSchema) {}

  private resolve(ref: string): JsonSchema | undefined {
    if (!ref.startsWith('#/')) {
      return undefined;
    }
    let cur: unknown = this.root;
    for (const part of ref.slice(2).split('/')) {
      cur = (cur as Record<string, unknown> | undefined)?.[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))];
    }
    return cur as JsonSchema | undefined;
  }

  /** The schema with `$ref`, `allOf` and `anyOf`/`oneOf` expanded: one merged schema per alternative. */
  alternatives(s: JsonSchema, depth = 0): JsonSchema[] {
    const cached = this.flatCache.get(s);
    if (cached) {
      return cached;
    }
    if (depth > MAX_DEPTH) {
      return [strip(s)];
    }
    let product: JsonSchema[] = [strip(s)];
    const parts: JsonSchema[] = [];
    if (s.$ref) {
      const target = this.resolve(s.$ref);
      if (target) {
        parts.push(target);
      }
    }
    parts.push(...(s.allOf ?? []));
    for (const part of parts) {
      const alts = this.alternatives(part, depth + 1);
      product = product.flatMap((p) => alts.map((a) => merge(p, a)));
    }
    const variants = s.anyOf ?? s.oneOf;
    if (variants) {
      product = product.flatMap((p) => variants.flatMap((v) => this.alternatives(v, depth + 1).map((a) => merge(p, a))));
    }
    this.flatCache.set(s, product);
    return product;
  }

  /** Alternatives that fit a YAML node: maps choose by their keys (required keys present first), sequences arrays, scalars their type. */
  fitting(alts: JsonSchema[], node: unknown, ignoreKey?: string): JsonSchema[] {
    if (isMap(node)) {
      const keys = node.items.map((p) => keyName(p)).filter((k): k is string => k !== undefined && k !== ignoreKey);
      const objects = alts.filter((a) => typesOf(a).includes('object'));
      const allowing = objects.filter((a) => keys.every((k) => this.allowsKey(a, k)));
      const complete = allowing.filter((a) => (a.required ?? []).every((r) => keys.includes(r)));
      return complete.length ? complete : allowing.length ? allowing : objects.length ? objects : alts;
    }
    if (isSeq(node)) {
      const arrays = alts.filter((a) => typesOf(a).includes('array'));
      return arrays.length ? arrays : alts;
    }
    if (isScalar(node)) {
      const v = node.value;
      const t = v === null ? 'null' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
      const fit = alts.filter((a) => {
        const ts = typesOf(a);
        return ts.length === 0 || ts.includes(t) || (t === 'integer' && ts.includes('number'));
      });
      return fit.length ? fit : alts;
    }
    return alts;
  }

  allowsKey(s: JsonSchema, key: string): boolean {
    if (s.properties?.[key]) {
      return true;
    }
    if (s.patternProperties && Object.keys(s.patternProperties).some((p) => new RegExp(p, 'u').test(key))) {
      return true;
    }
    return s.additionalProperties !== false;
  }

  /** The schema of `key` (a property name or a list index) inside an alternative. */
  child(s: JsonSchema, key: PathKey): JsonSchema | undefined {
    if (typeof key === 'number') {
      return Array.isArray(s.items) ? s.items[key] : s.items;
    }
    const prop = s.properties?.[key];
    if (prop) {
      return prop;
    }
    for (const [pattern, sub] of Object.entries(s.patternProperties ?? {})) {
      if (new RegExp(pattern, 'u').test(key)) {
        return sub;
      }
    }
    return typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  }

  /**
   * The schemas of the value at `path`. `containers[i]` is the YAML node holding `path[i]` (containers[0] is the
   * document root); `ignoreKey` is left out when choosing alternatives (the completion marker).
   */
  at(path: readonly PathKey[], containers: readonly unknown[], ignoreKey?: string): JsonSchema[] {
    let current: JsonSchema[] = [this.root];
    for (let i = 0; i < path.length; i++) {
      const alts = this.fitting(
        current.flatMap((s) => this.alternatives(s)),
        containers[i],
        ignoreKey,
      );
      const next: JsonSchema[] = [];
      for (const a of alts) {
        const c = this.child(a, path[i]);
        if (c && !next.includes(c)) {
          next.push(c);
        }
      }
      if (!next.length) {
        return [];
      }
      current = next;
    }
    return current;
  }
}

/** Documentation of a schema: its markdown description, else its description. */
export function schemaDoc(s: JsonSchema | undefined): string | undefined {
  return s?.markdownDescription ?? s?.description;
}
