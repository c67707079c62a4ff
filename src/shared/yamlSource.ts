/**
 * YAML parsing with source locations, and zod validation whose every issue names file, line and column.
 * Every loader of workspace YAML (routines, templates, groups, pools) goes through here.
 */
import { Composer, CST, isAlias, isMap, isNode, isPair, isScalar, isSeq, Lexer, LineCounter, parseDocument, Parser, type Document, type Node, type Pair } from 'yaml';
import type { z } from 'zod';
import type { Diagnostic, SourceRange } from './geometry';
import { zodIssueMessage } from './zodIssueMessage';
import { cleanYamlMessage, describeYamlFile, translateYamlError, type YamlProblem } from './yamlMessages';

export type PathKey = string | number;

export interface ParsedYaml {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  diagnostics: Diagnostic[];
}

/**
 * How big and how complex one YAML file may be. Parsing is synchronous, so these bound how long a reload can hold
 * up a running fleet, and how much memory it can take.
 */
export interface YamlLimits {
  /** Largest file, in bytes (UTF-8). */
  maxBytes: number;
  /** Most nodes (keys, values, lists and maps), counted again for every alias that repeats one. */
  maxNodes: number;
  /** Deepest nesting of maps and lists (the top-level map is level 0). */
  maxDepth: number;
}

/** The limits of every workspace YAML file (routines, templates, groups, pools). */
export const YAML_LIMITS: Readonly<YamlLimits> = Object.freeze({ maxBytes: 256 * 1024, maxNodes: 5_000, maxDepth: 200 });

export interface ParseYamlOptions {
  /** Overrides of {@link YAML_LIMITS} (for example a bigger `maxBytes` for account imports). */
  limits?: Partial<YamlLimits>;
}

/**
 * Syntax tokens allowed per node before parsing stops, a bound on the parse time that holds before the nodes can
 * be counted: content tokens (scalars, indicators, brackets; the shipped files have 1.3 to 1.8 per node) and all
 * tokens (white space, line breaks and comments included; 3.3 to 4 per node).
 */
const CONTENT_TOKENS_PER_NODE = 2.5;
const ALL_TOKENS_PER_NODE = 6;
/** Parser stack entries allowed above the nesting limit (the document and the token being read). */
const STACK_SLACK = 3;
/** YAML syntax errors reported per file; further ones are summed up in one diagnostic. */
const MAX_SYNTAX_ERRORS = 20;

/**
 * Parses one YAML document. Never throws: syntax errors, a second document, and a file over its limits (size,
 * nodes, nesting, alias expansion) are located diagnostics in words a user can act on. When a limit is crossed the
 * document is left empty (nothing of it is used).
 */
export function parseYaml(text: string, file: string, options: ParseYamlOptions = {}): ParsedYaml {
  // The library's errors capture a stack trace each; thousands of them (a binary file) would cost seconds.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parseLimited(text, file, { ...YAML_LIMITS, ...options.limits });
  } catch (e) {
    // A bug of ours or of the library: still one located diagnostic, never an exception for the loaders.
    const lineCounter = new LineCounter();
    lineCounter.addNewLine(0);
    const message = `cannot read the YAML: ${e instanceof Error ? e.message : String(e)}`;
    return { file, text, doc: emptyDocument(), lineCounter, diagnostics: [{ file, line: 1, col: 1, endLine: 1, endCol: 1, severity: 'error', message, code: 'yaml-invalid' }] };
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function parseLimited(text: string, file: string, limits: YamlLimits): ParsedYaml {
  const lineCounter = new LineCounter();
  lineCounter.addNewLine(0);
  const failed = (offset: number, message: string, code: string): ParsedYaml => ({
    file,
    text,
    doc: emptyDocument(),
    lineCounter,
    diagnostics: [{ ...locate(lineCounter, file, offset, offset), severity: 'error', message, code }],
  });
  const bytes = utf8Length(text, limits.maxBytes);
  if (bytes > limits.maxBytes) {
    return failed(0, fileTooLargeMessage(file, bytes, limits.maxBytes), 'file-too-large');
  }

  // Lex and parse to syntax tokens, stopping as soon as a limit is crossed: composing the document (recursive, and
  // the costly part) only ever sees input within the limits.
  const parser = new Parser(lineCounter.addNewLine);
  const tokens: CST.Token[] = [];
  const maxContent = limits.maxNodes * CONTENT_TOKENS_PER_NODE;
  const maxAll = limits.maxNodes * ALL_TOKENS_PER_NODE;
  const maxStack = limits.maxDepth + STACK_SLACK;
  let content = 0;
  let all = 0;
  let scalarSource = false;
  let doc: Document.Parsed | undefined;
  let second: Document.Parsed | undefined;
  try {
    for (const lexeme of new Lexer().lex(text)) {
      all++;
      if (scalarSource) {
        scalarSource = false;
      } else {
        const type = CST.tokenType(lexeme);
        if (type === 'scalar') {
          scalarSource = true;
          content++;
        } else if (type !== 'space' && type !== 'newline' && type !== 'comment' && type !== 'byte-order-mark' && type !== 'doc-mode' && type !== 'flow-error-end') {
          content++;
        }
      }
      if (content > maxContent || all > maxAll) {
        return failed(parser.offset, tooManyNodesMessage(file, limits.maxNodes), 'too-many-nodes');
      }
      for (const t of parser.next(lexeme)) {
        tokens.push(t);
      }
      if (parser.stack.length > maxStack) {
        return failed(parser.offset, tooDeepMessage(limits.maxDepth), 'too-deep');
      }
    }
    for (const t of parser.end()) {
      tokens.push(t);
    }
    // Unique keys are checked below in linear time (the library's check is quadratic in the size of a map).
    const composer = new Composer({ prettyErrors: false, uniqueKeys: false, keepSourceTokens: false });
    for (const d of composer.compose(tokens, true, text.length)) {
      if (!doc) {
        doc = d;
      } else {
        second = d;
        break;
      }
    }
  } catch (e) {
    return failed(Math.min(parser.offset, text.length), `cannot read the YAML: ${e instanceof Error ? e.message : String(e)}`, 'yaml-invalid');
  }
  doc ??= emptyDocument();

  const ctx = { text, lineCounter, doc };
  const found: Diagnostic[] = [];
  let untranslated = 0;
  for (const [severity, list] of [['error', doc.errors], ['warning', doc.warnings]] as const) {
    // After the document ended early, every further token is "unexpected in the stream": only the first counts.
    let streamEnded = false;
    const relevant = list.filter((e) => {
      const stream = / token in YAML stream/.test(e.message);
      const keep = !(stream && streamEnded);
      streamEnded ||= stream;
      return keep;
    });
    // A file that is not YAML at all has an error per token: word the first few, count the others.
    for (const e of relevant.slice(0, MAX_SYNTAX_ERRORS * 2)) {
      let p: YamlProblem;
      try {
        p = translateYamlError(e, ctx);
      } catch {
        p = { offset: e.pos[0], end: e.pos[1], message: cleanYamlMessage(e.message) };
      }
      found.push({ ...locate(lineCounter, file, p.offset, p.end ?? p.offset), severity, message: p.message, code: `yaml-${e.code.toLowerCase()}` });
    }
    untranslated += Math.max(0, relevant.length - MAX_SYNTAX_ERRORS * 2);
  }
  if (second) {
    const off = second.range[0];
    const dashes = text.startsWith('---', off);
    const p = lineCounter.linePos(off);
    found.push({
      ...locate(lineCounter, file, off, dashes ? off + 3 : off),
      severity: 'error',
      message: `${describeYamlFile(file)} holds one YAML document; found ${dashes ? "a second '---'" : 'a second document'} at ${p.line}:${p.col}`,
      code: 'yaml-multiple_docs',
    });
  }
  const structure = checkStructure(doc, limits, file, text, lineCounter);
  for (const problem of structure) {
    found.push({ ...locate(lineCounter, file, problem.offset, problem.end), severity: 'error', message: problem.message, code: problem.code });
  }
  // One problem per line (the library often reports one mistake several times over), at most MAX_SYNTAX_ERRORS.
  const seenLines = new Set<string>();
  const diagnostics = found
    .sort((a, b) => a.line - b.line || a.col - b.col)
    .filter((d) => {
      const key = `${d.severity}:${d.line}`;
      if (seenLines.has(key)) {
        return false;
      }
      seenLines.add(key);
      return true;
    });
  if (diagnostics.length > MAX_SYNTAX_ERRORS || untranslated) {
    const rest = diagnostics.splice(MAX_SYNTAX_ERRORS);
    const at = rest[0] ?? diagnostics[diagnostics.length - 1];
    diagnostics.push({ ...at, message: `${rest.length + untranslated} more YAML problems ${rest.length ? 'from here on' : 'further on'} (fix the ones above first)`, code: 'yaml-more' });
  }
  return { file, text, doc, lineCounter, diagnostics };
}

/** The plain data of a parsed document (aliases resolved), or a located diagnostic; never throws. */
export function yamlData(parsed: ParsedYaml): { data: unknown } | { diagnostic: Diagnostic } {
  try {
    // parseYaml bounded the alias expansion already (maxNodes), so the library's own heuristic is not needed.
    return { data: parsed.doc.toJS({ maxAliasCount: -1 }) as unknown };
  } catch (e) {
    return { diagnostic: diagnosticAt(parsed, [], `cannot read the YAML: ${e instanceof Error ? e.message : String(e)}`, 'yaml-invalid') };
  }
}

function emptyDocument(): Document.Parsed {
  return parseDocument('', { prettyErrors: false });
}

/** UTF-8 length of `s`, counted only up to a little past `limit`. */
function utf8Length(s: string, limit: number): number {
  if (s.length * 3 <= limit) {
    return s.length * 3;
  }
  if (s.length > limit) {
    return s.length;
  }
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      n += 1;
    } else if (c < 0x800) {
      n += 2;
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4;
      i++;
    } else {
      n += 3;
    }
  }
  return n;
}

export function formatBytes(n: number): string {
  if (n < 1024) {
    return `${n} bytes`;
  }
  if (n < 1024 * 1024) {
    return `${Math.round(n / 1024)} KB`;
  }
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** The message for a file over `maxBytes` (also used by loaders that check the size before reading). */
export function fileTooLargeMessage(file: string, bytes: number, maxBytes: number): string {
  return `the file is too large (${formatBytes(bytes)}): ${describeYamlFile(file)} may be at most ${formatBytes(maxBytes)}`;
}

function tooManyNodesMessage(file: string, maxNodes: number): string {
  return `the file is too complex: ${describeYamlFile(file)} may hold at most ${maxNodes} keys, values and list items (split it into several files)`;
}

function tooDeepMessage(maxDepth: number): string {
  return `nested deeper than ${maxDepth} levels`;
}

interface StructureProblem {
  offset: number;
  end: number;
  message: string;
  code: string;
}

/**
 * Checks a composed document, iteratively: nesting depth; node count, where an alias counts as many nodes as the
 * node it repeats (so "billion laughs" files stop at `maxNodes`); aliases (an anchor before each, no alias inside
 * the node it repeats); and keys that appear twice in one map (compared as text, as they are once loaded).
 * Returns the duplicate keys and the first other problem.
 */
function checkStructure(doc: Document.Parsed, limits: YamlLimits, file: string, text: string, lc: LineCounter): StructureProblem[] {
  const root = doc.contents;
  if (!isNode(root)) {
    return [];
  }
  interface Frame {
    node: Node;
    kids: Node[];
    next: number;
    size: number;
  }
  const out: StructureProblem[] = [];
  const sizes = new Map<Node, number>();
  const anchors = new Map<string, Node>();
  const stack: Frame[] = [];
  let expanded = 0;
  const range = (n: Node): [number, number] => [n.range?.[0] ?? 0, n.range?.[1] ?? n.range?.[0] ?? 0];
  const addSize = (n: number) => {
    if (stack.length) {
      stack[stack.length - 1].size += n;
    }
  };
  const enter = (node: Node): StructureProblem | undefined => {
    const [s, e] = range(node);
    if (stack.length > limits.maxDepth) {
      return { offset: s, end: e, message: tooDeepMessage(limits.maxDepth), code: 'too-deep' };
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) {
      anchors.set(anchor, node);
    }
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) {
        return { offset: s, end: e, message: `unknown alias '*${node.source}': there is no anchor '&${node.source}' before it`, code: 'yaml-unknown-alias' };
      }
      const size = sizes.get(target);
      if (size === undefined) {
        return { offset: s, end: e, message: `alias '*${node.source}' is inside the node it repeats (a loop)`, code: 'yaml-alias-loop' };
      }
      expanded += size;
      if (expanded > limits.maxNodes) {
        return {
          offset: s,
          end: e,
          message: `the file is too complex: with its aliases expanded ('*${node.source}' repeats ${size} nodes) ${describeYamlFile(file)} holds more than ${limits.maxNodes} keys, values and list items`,
          code: 'too-many-nodes',
        };
      }
      addSize(size);
      return undefined;
    }
    expanded += 1;
    if (expanded > limits.maxNodes) {
      return { offset: s, end: e, message: tooManyNodesMessage(file, limits.maxNodes), code: 'too-many-nodes' };
    }
    if (isMap(node) || isSeq(node)) {
      const kids: Node[] = [];
      const keys = isMap(node) ? new Map<string, Node>() : undefined;
      for (const item of node.items as unknown[]) {
        if (isPair(item)) {
          if (isNode(item.key)) {
            kids.push(item.key);
            if (keys) {
              duplicateKey(keys, item.key);
            }
          }
          if (isNode(item.value)) {
            kids.push(item.value);
          }
        } else if (isNode(item)) {
          kids.push(item);
        }
      }
      stack.push({ node, kids, next: 0, size: 1 });
    } else {
      sizes.set(node, 1);
      addSize(1);
    }
    return undefined;
  };
  const duplicateKey = (keys: Map<string, Node>, key: Node) => {
    const name = isScalar(key) ? String(key.value) : isAlias(key) ? `*${key.source}` : text.slice(range(key)[0], range(key)[1]).trim();
    const first = keys.get(name);
    if (!first) {
      keys.set(name, key);
      return;
    }
    const [s, e] = range(key);
    const f = range(first)[0];
    out.push({ offset: s, end: e, message: `key '${name}' appears twice (first at ${lc.linePos(f).line}:${lc.linePos(f).col})`, code: 'yaml-duplicate_key' });
  };
  const problem = enter(root) ?? walk();
  function walk(): StructureProblem | undefined {
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.next < top.kids.length) {
        const p = enter(top.kids[top.next++]);
        if (p) {
          return p;
        }
      } else {
        stack.pop();
        sizes.set(top.node, top.size);
        addSize(top.size);
      }
    }
    return undefined;
  }
  if (problem) {
    out.push(problem);
  }
  return out;
}

function locate(lc: LineCounter, file: string, start: number, end: number): Pick<Diagnostic, 'file' | 'line' | 'col' | 'endLine' | 'endCol'> {
  const s = lc.linePos(start);
  const e = lc.linePos(Math.max(start, end));
  return { file, line: s.line, col: s.col, endLine: e.line, endCol: e.col };
}

/** The node at `path`, or the deepest existing ancestor (so a missing key points at its parent map). */
export function nodeAt(doc: Document.Parsed, path: readonly PathKey[]): { node: Node | undefined; key: Node | undefined; exact: boolean } {
  let node: unknown = doc.contents;
  let key: Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const k = path[i];
    if (isMap(node)) {
      // The first pair with this key (a plain loop: this runs for every located step and value of a routine).
      let pair: Pair<unknown, unknown> | undefined;
      for (const p of node.items as Array<Pair<unknown, unknown>>) {
        if ((isScalar(p.key) ? p.key.value : p.key) === k) {
          pair = p;
          break;
        }
      }
      if (!pair) {
        return { node: node as Node, key, exact: false };
      }
      key = isNode(pair.key) ? (pair.key as Node) : undefined;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof k === 'number') {
      if (k >= node.items.length) {
        return { node: node as Node, key, exact: false };
      }
      key = undefined;
      node = node.items[k];
    } else {
      return { node: isNode(node) ? (node as Node) : undefined, key, exact: false };
    }
  }
  return { node: isNode(node) ? (node as Node) : undefined, key, exact: true };
}

/** Source range of the node at `path` (or its nearest ancestor). */
export function rangeAt(parsed: ParsedYaml, path: readonly PathKey[]): SourceRange {
  const { node } = nodeAt(parsed.doc, path);
  const r = node?.range ?? [0, 0, 0];
  const s = parsed.lineCounter.linePos(r[0]);
  const e = parsed.lineCounter.linePos(r[1]);
  return { file: parsed.file, start: { line: s.line, col: s.col }, end: { line: e.line, col: e.col }, offset: [r[0], r[1]] };
}

/**
 * A located diagnostic for `path`: at the value, or at the key with `at: 'key'` (unknown keys). A path that
 * does not exist (a missing key) points at the nearest existing ancestor.
 */
export function diagnosticAt(
  parsed: ParsedYaml,
  path: readonly PathKey[],
  message: string,
  code?: string,
  severity: 'error' | 'warning' = 'error',
  at: 'value' | 'key' = 'value',
): Diagnostic {
  const { node, key, exact } = nodeAt(parsed.doc, path);
  const target = at === 'key' && exact ? (key ?? node) : node;
  const r = target?.range ?? [0, 0, 0];
  return { ...locate(parsed.lineCounter, parsed.file, r[0], r[1]), severity, message, code };
}

function describePath(path: readonly PathKey[]): string {
  return path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[') : '(document)';
}

/** Turns zod issues into located diagnostics. */
export function zodIssuesToDiagnostics(parsed: ParsedYaml, issues: readonly z.core.$ZodIssue[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathKey => typeof p === 'string' || typeof p === 'number');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        out.push(diagnosticAt(parsed, [...path, k], `unknown key '${k}' in ${describePath(path)}`, 'unknown-key', 'error', 'key'));
      }
      continue;
    }
    const at = nodeAt(parsed.doc, path);
    out.push(diagnosticAt(parsed, path, zodIssueMessage(issue, describePath(path), at.exact, at.exact && isScalar(at.node) ? at.node.value : at.exact ? parsed.doc.getIn(path) : undefined), issue.code));
  }
  return out;
}

export interface Validated<T> {
  value?: T;
  diagnostics: Diagnostic[];
  parsed: ParsedYaml;
}

/** Parse YAML text and validate it with a zod schema; `value` is set only when there is no error. */
export function parseAndValidate<S extends z.ZodType>(text: string, file: string, schema: S): Validated<z.output<S>> {
  const parsed = parseYaml(text, file);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) {
    return { diagnostics: parsed.diagnostics, parsed };
  }
  const read = yamlData(parsed);
  if ('diagnostic' in read) {
    return { diagnostics: [...parsed.diagnostics, read.diagnostic], parsed };
  }
  const r = schema.safeParse(read.data);
  if (!r.success) {
    return { diagnostics: [...parsed.diagnostics, ...zodIssuesToDiagnostics(parsed, r.error.issues)], parsed };
  }
  return { value: r.data, diagnostics: parsed.diagnostics, parsed };
}
