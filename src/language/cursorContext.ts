/**
 * Where the cursor is, for completion: on a key of some map, on a value, or inside `${...}`. The text being typed
 * is replaced by a marker and the patched text is parsed, so the YAML tree says exactly which map or value the
 * cursor is in even while the line is incomplete (`  - ta`, `tap: `, `{ image: }`).
 */
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { TextLines, type OffsetRange } from './textLines';
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
  /**
   * The whole patched document, parsed (lazily when only the list item around the cursor was parsed): for facts
   * that matter before the cursor, such as variables. Offsets before the cursor are the original text's.
   */
  document(): { root: unknown; text: string };
  /** True when only the top-level list item around the cursor was parsed (large routines). */
  windowed: boolean;
  offset: number;
}

export interface CursorContextOptions {
  /** Parse only the top-level list item around the cursor when the text is at least this long (default: never). */
  windowFromChars?: number;
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

interface LineShape {
  indent: number;
  dash: boolean;
  comment: boolean;
}

function shape(text: string): LineShape | undefined {
  const m = /^( *)(\S)/.exec(text);
  if (!m) {
    return undefined;
  }
  const rest = text.slice(m[1].length);
  return { indent: m[1].length, dash: rest === '-' || rest.startsWith('- '), comment: m[2] === '#' };
}

/**
 * The top-level block list item holding `line` (its first and last lines) and the top-level `key:` line that owns
 * the list; undefined when the line is not inside such an item. Everything a completion context depends on is
 * inside it, except variables defined earlier in the file.
 */
export function listItemWindow(lines: TextLines, line: number): { anchor: number; first: number; last: number; column: number } | undefined {
  const at = (l: number) => {
    const sh = shape(lines.lineText(l));
    return sh && !sh.comment ? sh : undefined;
  };
  let anchor = -1;
  for (let l = line; l >= 0; l--) {
    const sh = at(l);
    if (sh && sh.indent === 0 && !sh.dash) {
      anchor = l;
      break;
    }
  }
  if (anchor < 0 || anchor === line || !/^[^\s#-][^#]*:\s*(?:#.*)?$/.test(lines.lineText(anchor))) {
    return undefined;
  }
  let column = -1;
  for (let l = anchor + 1; l <= line; l++) {
    const sh = at(l);
    if (sh) {
      if (!sh.dash) {
        return undefined;
      }
      column = sh.indent;
      break;
    }
  }
  if (column < 0) {
    return undefined;
  }
  let first = -1;
  for (let l = line; l > anchor; l--) {
    const sh = at(l);
    if (sh && sh.indent === column && sh.dash) {
      first = l;
      break;
    }
    if (sh && sh.indent < column) {
      return undefined;
    }
  }
  if (first < 0) {
    return undefined;
  }
  let last = lines.lineCount - 1;
  for (let l = line + 1; l < lines.lineCount; l++) {
    const sh = at(l);
    if (sh && sh.indent <= column) {
      last = l - 1;
      break;
    }
  }
  return { anchor, first, last, column };
}

function parseRoot(text: string): unknown {
  return parseDocument(text, { uniqueKeys: false, prettyErrors: false }).contents;
}

/** The completion context at `offset` of a document, or undefined when the cursor is in a comment or nowhere useful. */
export function cursorContext(lines: TextLines, offset: number, options: CursorContextOptions = {}): CursorContext | undefined {
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
  if (blockKey) {
    marker = `${CURSOR_MARK}:`;
  } else if (needsSpace) {
    marker = ` ${CURSOR_MARK}`;
  }
  // A variable name is completed in the unchanged text (the string stays a string).
  const patchedText = variable ? text : text.slice(0, start) + marker + text.slice(end);
  let full: { root: unknown; text: string } | undefined;
  const document = () => (full ??= { root: parseRoot(patchedText), text: patchedText });
  const base = {
    document,
    offset,
    column: start - lineStart,
    needsSpace: !variable && needsSpace,
    keyHasColon: /^\s*:/.test(rest),
  };
  if (variable) {
    return {
      ...base,
      kind: 'variable',
      windowed: false,
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
  const context = (root: unknown, parsedLines: TextLines, windowed: boolean): CursorContext | undefined => {
    const found = findMarker(root);
    if (!found) {
      return undefined;
    }
    const existingKeys = found.map ? found.map.items.map((p) => keyName(p)).filter((k): k is string => k !== undefined && k !== CURSOR_MARK) : [];
    // The owning key is before the cursor, on a line the parsed text shares with the original: its column is the same.
    const ownerColumn = found.ownerKeyStart !== undefined ? parsedLines.positionAt(found.ownerKeyStart).character : 0;
    return {
      ...base,
      kind: found.on,
      windowed,
      path: found.path,
      containers: found.containers,
      map: found.map,
      existingKeys,
      replace: [start, end],
      prefix: text.slice(start, offset),
      ownerColumn,
      inFlow: found.flow,
    };
  };
  if (options.windowFromChars !== undefined && text.length >= options.windowFromChars) {
    const w = listItemWindow(lines, pos.line);
    // Text typed at or left of the items' column would change the list itself: only the full text tells then.
    if (w && start - lineStart > w.column) {
      const head = lines.lineText(w.anchor);
      const from = lines.lineStart(w.first);
      const to = lines.lineEnd(w.last);
      const windowText = `${head}\n${text.slice(from, start)}${marker}${text.slice(end, to)}\n`;
      const windowLines = new TextLines(windowText);
      const ctx = context(parseRoot(windowText), windowLines, true);
      if (ctx) {
        return ctx;
      }
    }
  }
  const { root } = document();
  return context(root, new TextLines(patchedText), false);
}
