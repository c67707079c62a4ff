/** Step paths as shown in messages and events: `steps[3].then[0]`, and back to YAML path keys. */
import { isMap, isScalar, isSeq, type Scalar } from 'yaml';
import type { PathKey } from '../../shared/yamlSource';

/** Formats YAML path keys as `steps[3].then[0]`; the empty path is `(document)`. */
export function formatPath(path: readonly PathKey[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') {
      s += `[${p}]`;
    } else {
      s += s ? `.${p}` : p;
    }
  }
  return s || '(document)';
}

/** Inverse of {@link formatPath}: `steps[3].then[0]` → `['steps', 3, 'then', 0]`. */
export function parsePath(path: string): PathKey[] {
  if (path === '(document)' || path === '') {
    return [];
  }
  const out: PathKey[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  }
  return out;
}

/** What {@link walkYaml} reports; the path array is reused, so copy it to keep it. */
interface YamlVisitor {
  scalar?(node: Scalar, path: readonly PathKey[]): void;
  /** When given, map keys that are not scalars are reported here and their values are not walked. */
  complexKey?(key: unknown, path: readonly PathKey[]): void;
}

/** Walks the values of a YAML node tree (at most 200 levels deep) with their path keys. */
function walkYaml(root: unknown, visitor: YamlVisitor): void {
  const path: PathKey[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth > 200) {
      return;
    }
    if (isScalar(node)) {
      visitor.scalar?.(node, path);
    } else if (isMap(node)) {
      for (const pair of node.items) {
        if (visitor.complexKey && pair.key !== null && !isScalar(pair.key)) {
          visitor.complexKey(pair.key, path);
          continue;
        }
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        path.push(String(k));
        walk(pair.value, depth + 1);
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

/**
 * Calls `fn` for every scalar value (not keys) of a YAML document with its path keys. Cheaper than yaml's
 * `visit` (no frozen ancestor arrays), which matters when the fuzz suite loads thousands of documents.
 */
export function forEachScalarValue(root: unknown, fn: (node: Scalar, path: readonly PathKey[]) => void): void {
  walkYaml(root, { scalar: fn });
}

/**
 * The scalar values of a document whose text holds `${` (interpolations, or attempts at one), with their paths, in
 * document order: what {@link forEachScalarValue} visits with that filter. Computed once per document root (the
 * loader, the normaliser and the variable checks each need them; documents are not mutated once parsed).
 */
const interpolatedByRoot = new WeakMap<object, ReadonlyArray<{ node: Scalar<string>; path: readonly PathKey[] }>>();
export function interpolatedScalars(root: unknown): ReadonlyArray<{ node: Scalar<string>; path: readonly PathKey[] }> {
  if (root === null || typeof root !== 'object') {
    return [];
  }
  let found = interpolatedByRoot.get(root);
  if (!found) {
    const list: Array<{ node: Scalar<string>; path: readonly PathKey[] }> = [];
    forEachScalarValue(root, (node, path) => {
      if (typeof node.value === 'string' && node.value.includes('${')) {
        list.push({ node: node as Scalar<string>, path: [...path] });
      }
    });
    found = list;
    interpolatedByRoot.set(root, found);
  }
  return found;
}

/** Ranges (offsets) of map keys that are not scalars (`? [a, b]: x`, `{a: 1}: x`): never valid in our files. */
export function complexKeys(root: unknown): Array<{ path: PathKey[]; range: [number, number] }> {
  const out: Array<{ path: PathKey[]; range: [number, number] }> = [];
  // The same walk collects the `${}` scalars: without complex keys it visits every value, as
  // {@link interpolatedScalars} does, so the loader's next walk is saved.
  const interpolated: Array<{ node: Scalar<string>; path: readonly PathKey[] }> = [];
  walkYaml(root, {
    complexKey(key, path) {
      const r = (key as { range?: [number, number, number] }).range;
      out.push({ path: [...path], range: r ? [r[0], r[1]] : [0, 0] });
    },
    scalar(node, path) {
      if (typeof node.value === 'string' && node.value.includes('${')) {
        interpolated.push({ node: node as Scalar<string>, path: [...path] });
      }
    },
  });
  if (!out.length && root !== null && typeof root === 'object' && !interpolatedByRoot.has(root)) {
    interpolatedByRoot.set(root, interpolated);
  }
  return out;
}
