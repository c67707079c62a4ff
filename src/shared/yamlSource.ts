/**
 * YAML parsing with source locations, and zod validation whose every issue names file, line and column.
 * Every loader of workspace YAML (routines, templates, groups, pools) goes through here.
 */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import type { z } from 'zod';
import type { Diagnostic, SourceRange } from './geometry';
import { zodIssueMessage } from './zodIssueMessage';

export type PathKey = string | number;

export interface ParsedYaml {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  diagnostics: Diagnostic[];
}

export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const [start, end] = e.pos;
    diagnostics.push({ ...locate(lineCounter, file, start, end), severity: 'error', message: cleanYamlMessage(e.message), code: `yaml-${e.code.toLowerCase()}` });
  }
  for (const w of doc.warnings) {
    const [start, end] = w.pos;
    diagnostics.push({ ...locate(lineCounter, file, start, end), severity: 'warning', message: cleanYamlMessage(w.message), code: `yaml-${w.code.toLowerCase()}` });
  }
  return { file, text, doc, lineCounter, diagnostics };
}

function cleanYamlMessage(m: string): string {
  return m.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
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
      const pair = node.items.find((p: Pair) => (isScalar(p.key) ? p.key.value : p.key) === k) as Pair<unknown, unknown> | undefined;
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
  const data: unknown = parsed.doc.toJS({ maxAliasCount: 100 });
  const r = schema.safeParse(data);
  if (!r.success) {
    return { diagnostics: [...parsed.diagnostics, ...zodIssuesToDiagnostics(parsed, r.error.issues)], parsed };
  }
  return { value: r.data, diagnostics: parsed.diagnostics, parsed };
}
