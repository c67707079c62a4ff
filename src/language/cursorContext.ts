/**
 * Where the cursor is, for completion: on a key of some map, on a value, or inside `${...}`. The text being typed
 * is replaced by a marker and the patched text is parsed, so the YAML tree says exactly which map or value the
 * cursor is in even while the line is incomplete (`  - ta`, `tap: `, `{ image: }`).
 */
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import type { OffsetRange, TextLines } from './textLines';
import { keyName, nodeRange, type PathKey } from './yamlNodes';

export const CURSOR_MARK = '__fleet_cursor__';

/** Characters of a key or value being typed (template and routine names have `.`, `-` and `/`). */
const WORD = /[^\s{}[\],:#'"`]/;

export interface CursorContext {
  kind: 'key' | 'value' | 'variable';
  /** key: path of the map; value: path of the value. */
  path: PathKey[];
  /** `containers[i]` holds `path[i]` (containers[0] is the patched document's root). */
  containers: unknown[];
  /** key: the map whose key is typed (from the patched text). */
  map?: YAMLMap;
  /** Keys the map already has (without the marker). */
  existingKeys: string[];
  /** What the completion replaces, in the original text. */
  replace: OffsetRange;
  /** The text typed so far (start of the replaced range to the cursor). */
  prefix: string;
  /** A value typed right after `:`: the inserted text must start with a space. */
  needsSpace: boolean;
  /** Column (0-based) where the completion starts: continuation lines of key snippets align here. */
  column: number;
  /** value: column of the key that owns the value (for block snippets under it). */
  ownerColumn: number;
  /** True when the map or list around the cursor is in flow style (`{ ... }`, `[ ... ]`). */
  inFlow: boolean;
  /** key: the key being edited is already followed by `:` (insert the name only). */
  keyHasColon: boolean;
  /** The patched document's root (for facts that matter before the cursor, such as variables). */
  root: unknown;
  patchedText: string;
  offset: number;
}

interface Found {
  on: 'key' | 'value';
  path: PathKey[];
  containers: unknown[];
  map?: YAMLMap;
  ownerKeyStart?: number;
  flow: boolean;
}

function findMarker(root: unknown): Found | undefined {
  const path: PathKey[] = [];
  const containers: unknown[] = [];
  let found: Found | undefined;
  const walk = (node: unknown, depth: number, flow: boolean, ownerKeyStart: number | undefined): void => {
    if (found || depth > 200 || !node) {
      return;
    }
    if (isScalar(node)) {
      if (node.value === CURSOR_MARK) {
        found = { on: 'value', path: [...path], containers: [...containers], flow, ownerKeyStart };
      }
      return;
    }
    if (isMap(node)) {
      const f = flow || !!node.flow;
      for (const p of node.items) {
        if (isScalar(p.key) && p.key.value === CURSOR_MARK) {
          found = { on: 'key', path: [...path], containers: [...containers], map: node, flow: f };
          return;
        }
        const k = keyName(p);
        if (k === undefined) {
          continue;
        }
        containers.push(node);
        path.push(k);
        walk(p.value, depth + 1, f, nodeRange(p.key)?.[0]);
        path.pop();
        containers.pop();
        if (found) {
          return;
        }
      }
      return;
    }
    if (isSeq(node)) {
      const f = flow || !!node.flow;
      node.items.forEach((item, i) => {
        if (found) {
          return;
        }
        containers.push(node);
        path.push(i);
        walk(item, depth + 1, f, ownerKeyStart);
        path.pop();
        containers.pop();
      });
    }
  };
  walk(root, 0, false, undefined);
  return found;
}

/** Inside `${...}` on the cursor's line: the range of the variable name being typed. */
function variableAt(lines: TextLines, offset: number): OffsetRange | undefined {
  const pos = lines.positionAt(offset);
  const lineStart = lines.lineStart(pos.line);
  const before = lines.text.slice(lineStart, offset);
  const open = before.lastIndexOf('${');
  if (open < 0 || before.indexOf('}', open) >= 0 || (open > 0 && before[open - 1] === '$')) {
    return undefined;
  }
  const typed = before.slice(open + 2);
  if (!/^\s*[A-Za-z0-9_]*$/.test(typed)) {
    return undefined;
  }
  const start = lineStart + open + 2 + (typed.length - typed.trimStart().length);
  let end = offset;
  while (end < lines.text.length && /[A-Za-z0-9_]/.test(lines.text[end])) {
    end++;
  }
  return [start, end];
}

/** The completion context at `offset` of a document, or undefined when the cursor is in a comment or nowhere useful. */
export function cursorContext(lines: TextLines, offset: number): CursorContext | undefined {
  const text = lines.text;
  const pos = lines.positionAt(offset);
  const lineStart = lines.lineStart(pos.line);
  const lineEnd = lines.lineEnd(pos.line);
  const beforeOnLine = text.slice(lineStart, offset);
  if (/(^|\s)#/.test(beforeOnLine.replace(/"[^"]*"|'[^']*'/g, '""'))) {
    return undefined;
  }
  let start = offset;
  while (start > lineStart && WORD.test(text[start - 1])) {
    start--;
  }
  let end = offset;
  while (end < lineEnd && WORD.test(text[end])) {
    end++;
  }
  // `$` and `{` belong to `${`, which the word rule stops at: a variable name is handled on its own.
  const variable = variableAt(lines, offset);
  const lead = text.slice(lineStart, start);
  const rest = text.slice(end, lineEnd);
  const blockKey = /^\s*(?:-\s+)*$/.test(lead) && !/^\s*:/.test(rest);
  const needsSpace = start > lineStart && text[start - 1] === ':';
  let marker = CURSOR_MARK;
  if (variable) {
    // Parse with the variable name replaced, so the string stays a string.
    marker = '';
  } else if (blockKey) {
    marker = `${CURSOR_MARK}:`;
  } else if (needsSpace) {
    marker = ` ${CURSOR_MARK}`;
  }
  const patchedText = variable ? text : text.slice(0, start) + marker + text.slice(end);
  const doc = parseDocument(patchedText, { uniqueKeys: false, prettyErrors: false });
  const root = doc.contents;
  const base = {
    root,
    patchedText,
    offset,
    column: start - lineStart,
    needsSpace: !variable && needsSpace,
    keyHasColon: /^\s*:/.test(rest),
  };
  if (variable) {
    return {
      ...base,
      kind: 'variable',
      path: [],
      containers: [],
      existingKeys: [],
      replace: variable,
      prefix: text.slice(variable[0], offset),
      needsSpace: false,
      ownerColumn: 0,
      inFlow: false,
      column: variable[0] - lineStart,
    };
  }
  const found = findMarker(root);
  if (!found) {
    return undefined;
  }
  const existingKeys = found.map ? found.map.items.map((p) => keyName(p)).filter((k): k is string => k !== undefined && k !== CURSOR_MARK) : [];
  const ownerColumn = found.ownerKeyStart !== undefined ? lines.positionAt(found.ownerKeyStart).character : 0;
  return {
    ...base,
    kind: found.on,
    path: found.path,
    containers: found.containers,
    map: found.map,
    existingKeys,
    replace: [start, end],
    prefix: text.slice(start, offset),
    ownerColumn,
    inFlow: found.flow,
  };
}
