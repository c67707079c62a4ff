/** Small helpers over the `yaml` library's node tree: lookups, key names, scalar ranges, the node at an offset. */
import { isAlias, isMap, isPair, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import type { PathKey } from '../shared/yamlSource';
import type { OffsetRange } from './textLines';

export type { PathKey };

/** The key of a pair as a string (scalar keys only). */
export function keyName(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

/** The pair of a map whose key is `key`. */
export function pairOf(map: unknown, key: string): Pair | undefined {
  if (!isMap(map)) {
    return undefined;
  }
  return map.items.find((p) => keyName(p) === key);
}

/** The value node of `key` in a map. */
export function valueOf(map: unknown, key: string): unknown {
  return pairOf(map, key)?.value ?? undefined;
}

/** The string value of a scalar node (numbers are spelled as in the source, so instance `1` reads "1"). */
export function scalarString(node: unknown): string | undefined {
  if (!isScalar(node)) {
    return undefined;
  }
  if (typeof node.value === 'string') {
    return node.value;
  }
  if (typeof node.value === 'number' || typeof node.value === 'boolean') {
    return String(node.value);
  }
  return undefined;
}

/** A scalar whose value is a string. */
export function isStringScalar(node: unknown): node is Scalar<string> {
  return isScalar(node) && typeof node.value === 'string';
}

/** `[start, value-end)` of a node. */
export function nodeRange(node: unknown): OffsetRange | undefined {
  const r = (node as { range?: [number, number, number] | null } | null | undefined)?.range;
  return r ? [r[0], r[1]] : undefined;
}

/** The range of a scalar's text without its quotes. */
export function scalarInnerRange(node: Scalar): OffsetRange {
  const r = node.range ?? [0, 0, 0];
  if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && r[1] - r[0] >= 2) {
    return [r[0] + 1, r[1] - 1];
  }
  return [r[0], r[1]];
}

/** True when `offset` is inside `[start, end]` (the end counts: a cursor right after a word is on it). */
export function contains(r: OffsetRange | undefined, offset: number): boolean {
  return !!r && offset >= r[0] && offset <= r[1];
}

export interface NodeHit {
  /** Path keys to the hit node (for a key hit: to the value of that key). */
  path: PathKey[];
  /** The containers along the path: `containers[i]` holds `path[i]` (containers[0] is the document's root). */
  containers: unknown[];
  /** `key` when the offset is on a map key, `value` otherwise. */
  on: 'key' | 'value';
  /** The key scalar (key hits) or the value node (value hits). */
  node: Node;
  /** The pair whose key or value was hit, when the hit is in a map. */
  pair?: Pair;
}

/**
 * The deepest key or scalar value at `offset` (collections are returned when no child is hit). Aliases are not
 * followed. Undefined when the offset is outside the document's content.
 */
export function hitAt(root: unknown, offset: number): NodeHit | undefined {
  const path: PathKey[] = [];
  const containers: unknown[] = [];
  let best: NodeHit | undefined;
  const visit = (node: unknown, pair: Pair | undefined, depth: number): void => {
    if (depth > 200 || !node || isAlias(node) || !contains(nodeRange(node), offset)) {
      return;
    }
    best = { path: [...path], containers: [...containers], on: 'value', node: node as Node, pair };
    if (isMap(node)) {
      for (const p of node.items) {
        const k = keyName(p);
        if (k === undefined) {
          continue;
        }
        if (contains(nodeRange(p.key), offset)) {
          best = { path: [...path, k], containers: [...containers, node], on: 'key', node: p.key as Node, pair: p };
          return;
        }
        if (contains(nodeRange(p.value), offset)) {
          containers.push(node);
          path.push(k);
          visit(p.value, p, depth + 1);
          path.pop();
          containers.pop();
          return;
        }
      }
    } else if (isSeq(node)) {
      const i = node.items.findIndex((item) => contains(nodeRange(item), offset));
      if (i >= 0) {
        containers.push(node);
        path.push(i);
        visit(node.items[i], undefined, depth + 1);
        path.pop();
        containers.pop();
      }
    }
  };
  visit(root, undefined, 0);
  return best;
}

/** Visits every map of a tree with its path (maps inside sequences and maps). */
export function forEachNode(root: unknown, fn: (node: Node, path: readonly PathKey[]) => void): void {
  const path: PathKey[] = [];
  const walk = (node: unknown, depth: number) => {
    if (depth > 200 || !node || isAlias(node)) {
      return;
    }
    fn(node as Node, path);
    if (isMap(node)) {
      for (const p of node.items) {
        const k = keyName(p);
        if (k === undefined) {
          continue;
        }
        path.push(k);
        walk(p.value, depth + 1);
        path.pop();
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        path.push(i);
        walk(item, depth + 1);
        path.pop();
      });
    }
  };
  walk(root, 0);
}

export function asMap(node: unknown): YAMLMap | undefined {
  return isMap(node) ? node : undefined;
}

export function asSeq(node: unknown): YAMLSeq | undefined {
  return isSeq(node) ? node : undefined;
}

export { isMap, isPair, isScalar, isSeq };
