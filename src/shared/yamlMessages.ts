/**
 * Turns the YAML library's parse errors into messages a user can act on, located at the offending token:
 * "key 'steps' appears twice (first at 3:1)" instead of "Map keys must be unique", the opening quote of an
 * unclosed string instead of the end of the file, the misindented line instead of the start of its value.
 */
import { isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLError } from 'yaml';

export interface YamlProblem {
  /** Offset of the offending token in the text. */
  offset: number;
  /** End offset (exclusive), when the token's extent is known. */
  end?: number;
  message: string;
}

export interface YamlMessageContext {
  text: string;
  lineCounter: LineCounter;
  doc: Document.Parsed;
}

/** What a workspace file is, from its path (for messages such as "a routine file holds one YAML document"). */
export function describeYamlFile(file: string): string {
  const top = file.replace(/\\/g, '/').replace(/^\.\//, '').split('/')[0];
  switch (top) {
    case 'routines':
      return 'a routine file';
    case 'templates':
      return 'a template file';
    case 'groups':
      return 'a group definition';
    case 'pools':
      return 'a pool definition';
    default:
      return 'this file';
  }
}

/** The library's message without its position suffix and with a lower-case start (the fallback). */
export function cleanYamlMessage(m: string): string {
  const first = m.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return first.charAt(0).toLowerCase() + first.slice(1);
}

export function translateYamlError(e: YAMLError, ctx: YamlMessageContext): YamlProblem {
  const [start, end] = e.pos;
  const m = e.message;
  const text = ctx.text;
  switch (e.code) {
    case 'TAB_AS_INDENT':
      return { offset: start, end: start + 1, message: 'a tab is used for indentation: YAML indents with spaces only (replace the tab with spaces)' };
    case 'DUPLICATE_KEY':
      return duplicateKey(start, ctx);
    case 'MULTIPLE_DOCS':
      return { offset: start, message: 'the file holds more than one YAML document' };
    case 'BAD_SCALAR_START': {
      const c = text.charAt(start);
      return { offset: start, end: start + 1, message: `a value cannot start with '${c}' (reserved in YAML): put the value in quotes` };
    }
    case 'BAD_DQ_ESCAPE': {
      const raw = /Invalid escape sequence (.*)$/.exec(m)?.[1] ?? '';
      const at = text.lastIndexOf('\\', start + 1) >= 0 ? text.lastIndexOf('\\', start + 1) : start;
      return {
        offset: at,
        end: at + Math.max(1, raw.length),
        message: `invalid escape '${raw}' in a double-quoted string: write '\\\\' for a backslash, or use single quotes`,
      };
    }
    case 'TAG_RESOLVE_FAILED': {
      const tag = /Unresolved tag: (.*)$/.exec(m)?.[1] ?? text.slice(start, end);
      return { offset: start, end, message: `unknown tag '${tag}': these files use no YAML tags (quote a value that starts with '!')` };
    }
    case 'RESOURCE_EXHAUSTION':
      return { offset: start, message: 'the document is nested too deeply' };
    case 'KEY_OVER_1024_CHARS':
      return { offset: start, message: 'a key is longer than 1024 characters' };
    default:
      break;
  }
  if (/^Missing closing (["'])quote/.test(m)) {
    return unclosedQuote(m.charAt('Missing closing '.length), start, ctx);
  }
  if (/^Flow (sequence|map) in block collection must be sufficiently indented and end with a/.test(m) || /^Expected flow (sequence|map) to end with/.test(m)) {
    return unclosedFlow(m.includes('sequence') ? '[' : '{', start, ctx);
  }
  if (/must start at the same column$/.test(m) || m === 'A block sequence may not be used as an implicit map key') {
    return badIndentation(lineTokenAt(text, start), ctx);
  }
  if (m === 'Nested mappings are not allowed in compact mappings') {
    return colonInValue(start, ctx);
  }
  if (e.code === 'MULTILINE_IMPLICIT_KEY') {
    return multilineKey(start, end, ctx);
  }
  if (m === 'Implicit map keys need to be followed by map values') {
    const tok = wordAt(text, start);
    return { offset: start, end: start + tok.length, message: `'${tok}' is not followed by ':': each line of a map is 'key: value' (or check the indentation of this line)` };
  }
  if (/^Unexpected block-seq-ind on same line with key/.test(m)) {
    return { offset: start, end: start + 1, message: "a list cannot start on the same line as its key: put '- ...' on the next line, indented" };
  }
  const stray = /^Unexpected (flow-seq-end|flow-map-end)/.exec(m);
  if (stray) {
    const [c, open] = stray[1] === 'flow-seq-end' ? [']', '['] : ['}', '{'];
    return { offset: start, end: start + 1, message: `unexpected '${c}': there is no open '${open}' to close` };
  }
  if (/^Unexpected , in/.test(m) || m === 'Unexpected comma token') {
    return { offset: start, end: start + 1, message: "unexpected ',' (an empty item, or a ',' outside [...] or {...})" };
  }
  if (/^Missing , (or : )?between flow (sequence|map) items/.test(m)) {
    return { offset: start, message: "missing ',' between the items of a [...] or {...}" };
  }
  if (/^Missing space after : in/.test(m)) {
    return { offset: start, message: "missing space after ':' (write 'key: value')" };
  }
  if (/^Comments must be separated from other tokens/.test(m)) {
    return { offset: start, end: start + 1, message: "a comment needs a space before its '#' (or quote the value that contains '#')" };
  }
  if (m === 'Sequence item without - indicator') {
    return { offset: start, message: "a list item needs '- ' in front of it (or check the indentation of this line)" };
  }
  if (/^Block scalar/.test(m)) {
    return { offset: start, message: "bad indentation of a '|' or '>' text block: its lines must be indented more than its key" };
  }
  if (/ token in YAML stream/.test(m)) {
    const src = snippet(text, start, end);
    return {
      offset: start,
      end,
      message: `unexpected '${src}': the document cannot go on here, so nothing from here on is read (check the indentation of this line and of the lines above)`,
    };
  }
  if (/^Unexpected .* at node end$/.test(m)) {
    return { offset: start, end, message: `unexpected '${snippet(text, start, end)}' after a value (a missing ',' or line break?)` };
  }
  if (/^Unexpected .* token$/.test(m)) {
    return { offset: start, end, message: `unexpected '${snippet(text, start, end)}' here` };
  }
  if (/^Block collections are not allowed within flow collections/.test(m)) {
    return { offset: start, end, message: "a '- ' list or 'key: value' lines cannot go inside [...] or {...}: close the bracket first, or write the inner list or map in brackets too" };
  }
  return { offset: start, end, message: cleanYamlMessage(m) };
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

function at(ctx: YamlMessageContext, offset: number): string {
  const p = ctx.lineCounter.linePos(offset);
  return `${p.line}:${p.col}`;
}

/** The source text from `start` (to `end`, at most 20 characters, one line). */
function snippet(text: string, start: number, end: number): string {
  return text.slice(start, Math.max(start + 1, Math.min(end, start + 20))).split(/\r?\n/)[0];
}

/** The plain word at `offset` (up to white space, ':' or a flow indicator), at most 40 characters. */
function wordAt(text: string, offset: number): string {
  let e = offset;
  while (e < text.length && e - offset < 40 && !/[\s,[\]{}]/.test(text[e]) && !(text[e] === ':' && /[\s]|^$/.test(text[e + 1] ?? ''))) {
    e++;
  }
  return text.slice(offset, Math.max(e, offset + 1)).replace(/\s+$/, '');
}

/** The first non-blank character of the line that holds `offset` (or of the next line, when the rest is blank). */
function lineTokenAt(text: string, offset: number): number {
  let i = offset;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) {
    i++;
  }
  if (text[i] === '\n' || text[i] === '\r') {
    i = text.indexOf('\n', i) + 1;
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) {
      i++;
    }
  }
  return Math.min(i, text.length);
}

/** Every node of the document, iteratively (documents here are bounded, but never trust recursion). */
function* nodes(doc: Document.Parsed): Generator<Node> {
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const n = stack.pop();
    if (isPair(n)) {
      stack.push(n.value, n.key);
    } else if (isNode(n)) {
      yield n;
      if (isMap(n) || isSeq(n)) {
        for (let i = n.items.length - 1; i >= 0; i--) {
          stack.push(n.items[i]);
        }
      }
    }
  }
}

function keyText(key: unknown, text: string): string {
  if (isScalar(key)) {
    return String(key.value);
  }
  if (isNode(key) && key.range) {
    return text.slice(key.range[0], key.range[1]).trim();
  }
  return String(key);
}

function duplicateKey(offset: number, ctx: YamlMessageContext): YamlProblem {
  for (const n of nodes(ctx.doc)) {
    if (!isMap(n)) {
      continue;
    }
    const idx = n.items.findIndex((p) => isNode(p.key) && p.key.range?.[0] === offset);
    if (idx < 0) {
      continue;
    }
    const key = n.items[idx].key as Node;
    const name = keyText(key, ctx.text);
    const first = n.items.slice(0, idx).find((p) => isNode(p.key) && keyText(p.key, ctx.text) === name);
    const firstAt = first && isNode(first.key) && first.key.range ? ` (first at ${at(ctx, first.key.range[0])})` : '';
    return { offset, end: key.range?.[1], message: `key '${name}' appears twice${firstAt}` };
  }
  const name = wordAt(ctx.text, offset);
  return { offset, end: offset + name.length, message: `key '${name}' appears twice in the same map` };
}

function unclosedQuote(q: string, errorOffset: number, ctx: YamlMessageContext): YamlProblem {
  const type = q === '"' ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE';
  let open: number | undefined;
  for (const n of nodes(ctx.doc)) {
    if (isScalar(n) && n.type === type && n.range && n.range[0] < errorOffset && n.range[1] >= errorOffset && ctx.text[n.range[0]] === q) {
      open = n.range[0];
    }
  }
  if (open === undefined) {
    const i = ctx.text.lastIndexOf(q, Math.max(0, errorOffset - 1));
    open = i >= 0 ? i : errorOffset;
  }
  return { offset: open, end: open + 1, message: `unclosed ${q} quote: the string that starts here has no closing ${q}` };
}

function unclosedFlow(open: '[' | '{', errorOffset: number, ctx: YamlMessageContext): YamlProblem {
  const close = open === '[' ? ']' : '}';
  let start: number | undefined;
  for (const n of nodes(ctx.doc)) {
    const flow = (isSeq(n) && open === '[') || (isMap(n) && open === '{');
    if (flow && (n as { flow?: boolean }).flow && n.range && n.range[0] < errorOffset && ctx.text[n.range[0]] === open) {
      const closed = ctx.text.slice(n.range[0], n.range[1]).trimEnd().endsWith(close);
      if (!closed && (start === undefined || n.range[0] > start)) {
        start = n.range[0];
      }
    }
  }
  if (start === undefined) {
    return { offset: errorOffset, message: `a '${open}' is not closed: add '${close}' (an item on a further line must be indented more than its key)` };
  }
  return {
    offset: start,
    end: start + 1,
    message: `the '${open}' opened here is not closed: add '${close}' (an item on a further line must be indented more than its key)`,
  };
}

function colonInValue(valueStart: number, ctx: YamlMessageContext): YamlProblem {
  const text = ctx.text;
  // The ': ' that makes the plain value a map.
  let i = valueStart;
  let colon = -1;
  while (i < text.length) {
    if (text[i] === ':' && (i + 1 >= text.length || /\s/.test(text[i + 1]))) {
      colon = i;
      break;
    }
    if (text[i] === '#' && /\s/.test(text[i - 1] ?? ' ')) {
      i = text.indexOf('\n', i);
      if (i < 0) {
        break;
      }
    }
    i++;
  }
  if (colon < 0) {
    return { offset: valueStart, message: 'a value here cannot be a map: put the map on its own indented lines, or quote the value' };
  }
  const nl = text.indexOf('\n', valueStart);
  if (nl >= 0 && nl < colon) {
    // The value goes on over a further, more indented line that holds a key: an indentation mistake.
    return badIndentation(lineTokenAt(text, text.lastIndexOf('\n', colon) + 1), ctx);
  }
  const lineEnd = text.indexOf('\n', valueStart);
  const value = text.slice(valueStart, lineEnd < 0 ? text.length : lineEnd).replace(/\s+#.*$/, '').trimEnd();
  return {
    offset: colon,
    end: colon + 1,
    message: `a plain value cannot contain ': ': quote the value ("${value.replace(/"/g, '\\"')}"), or put a nested map on its own indented lines`,
  };
}

function multilineKey(start: number, end: number, ctx: YamlMessageContext): YamlProblem {
  const text = ctx.text;
  const nl = text.indexOf('\n', start);
  const firstLine = text.slice(start, nl < 0 || nl > end ? end : nl);
  const glued = /^([^\s:#]+):(\S)/.exec(firstLine);
  if (glued) {
    const colon = start + glued[1].length;
    return { offset: colon, end: colon + 1, message: `missing space after ':' in '${firstLine.trim()}' (write '${glued[1]}: ${firstLine.slice(glued[1].length + 1).trim()}')` };
  }
  if (nl >= 0 && nl < end) {
    return badIndentation(lineTokenAt(text, nl + 1), ctx);
  }
  return { offset: start, message: 'a key must fit on one line (check the indentation of the next line)' };
}

interface Level {
  col: number;
  line: number;
  label: string;
}

/** The block levels still open before `line` (1-based): the keys and '-' items that a line could align with. */
function openLevels(text: string, lineStarts: readonly number[], line: number): Level[] {
  const stack: Level[] = [];
  let blockScalarIndent = -1;
  for (let l = 1; l < line && l <= lineStarts.length; l++) {
    const s = text.slice(lineStarts[l - 1], l < lineStarts.length ? lineStarts[l] : text.length).replace(/\r?\n$/, '');
    const trimmed = s.replace(/^ +/, '');
    const indent = s.length - trimmed.length;
    if (blockScalarIndent >= 0) {
      if (!trimmed || indent > blockScalarIndent) {
        continue;
      }
      blockScalarIndent = -1;
    }
    if (!trimmed || trimmed.startsWith('#')) {
      continue;
    }
    if (/^(---|\.\.\.)(\s|$)/.test(trimmed)) {
      stack.length = 0;
      continue;
    }
    const col = indent + 1;
    while (stack.length && stack[stack.length - 1].col >= col) {
      stack.pop();
    }
    let rest = trimmed;
    let c = col;
    for (let dash = /^-(\s+|$)/.exec(rest); dash; dash = /^-(\s+|$)/.exec(rest)) {
      stack.push({ col: c, line: l, label: "'-'" });
      c += dash[0].length;
      rest = rest.slice(dash[0].length);
    }
    const key = /^("[^"]*"|'[^']*'|[^\s#:{}[\],"'][^#]*?)\s*:(\s+|$)/.exec(rest);
    if (key) {
      stack.push({ col: c, line: l, label: `'${key[1].length > 30 ? `${key[1].slice(0, 30)}…` : key[1]}'` });
      if (/^[|>]/.test(rest.slice(key[0].length))) {
        blockScalarIndent = indent;
      }
    }
  }
  return stack.reverse();
}

function badIndentation(offset: number, ctx: YamlMessageContext): YamlProblem {
  const pos = ctx.lineCounter.linePos(offset);
  const tok = ctx.text.startsWith('- ', offset) || ctx.text[offset] === '-' ? '-' : wordAt(ctx.text, offset);
  const levels = openLevels(ctx.text, ctx.lineCounter.lineStarts, pos.line).slice(0, 4);
  const above = levels.length ? `; the levels above start at ${levels.map((l) => `column ${l.col} (${l.label} on line ${l.line})`).join(', ')}` : '';
  return {
    offset,
    end: offset + Math.max(1, tok.length),
    message: `bad indentation: '${tok}' at column ${pos.col} does not line up with the map or list it belongs to${above}`,
  };
}
