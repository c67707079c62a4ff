/** Document symbols (the outline): a routine's params, sentries and steps, nested for if/while/until/repeat; a registry's templates; a group's or pool's keys. */
import { isMap, isScalar, isSeq } from 'yaml';
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import type { FileModel } from './fileModel';
import type { OutlineNode } from './routineFacts';
import type { OffsetRange } from './textLines';
import { keyName, nodeRange } from './yamlNodes';

const CONTROL = new Set(['if', 'while', 'until', 'repeat']);

function kindOf(n: OutlineNode, depth: number): SymbolKind {
  if (depth === 0) {
    return SymbolKind.Module;
  }
  if (!n.action) {
    return n.label.startsWith('sentry') ? SymbolKind.Event : n.children.length ? SymbolKind.Namespace : SymbolKind.Variable;
  }
  if (n.action === 'call') {
    return SymbolKind.Function;
  }
  return CONTROL.has(n.action) ? SymbolKind.Struct : SymbolKind.Method;
}

function symbol(model: FileModel, name: string, detail: string | undefined, kind: SymbolKind, range: OffsetRange, selection: OffsetRange, children: DocumentSymbol[]): DocumentSymbol {
  const full = model.lines.range(range);
  let sel = model.lines.range(selection);
  // The selection must lie inside the range.
  if (selection[0] < range[0] || selection[1] > range[1]) {
    sel = full;
  }
  return { name: name || '(unnamed)', detail, kind, range: full, selectionRange: sel, children };
}

function fromOutline(model: FileModel, nodes: OutlineNode[], depth: number): DocumentSymbol[] {
  return nodes.map((n) => symbol(model, n.label, n.detail, kindOf(n, depth), n.range, n.selection, fromOutline(model, n.children, depth + 1)));
}

function keysOutline(model: FileModel, node: unknown, depth: number): DocumentSymbol[] {
  if (!isMap(node) || depth > 2) {
    return [];
  }
  const out: DocumentSymbol[] = [];
  for (const p of node.items) {
    const k = keyName(p);
    const kr = nodeRange(p.key);
    if (k === undefined || !kr) {
      continue;
    }
    const vr = nodeRange(p.value);
    const detail = isScalar(p.value) ? String(p.value.value ?? '') : isSeq(p.value) ? `${p.value.items.length} items` : undefined;
    out.push(symbol(model, k, detail, depth === 0 ? SymbolKind.Property : SymbolKind.Field, [kr[0], vr ? Math.max(vr[1], kr[1]) : kr[1]], kr, keysOutline(model, p.value, depth + 1)));
  }
  return out;
}

export function documentSymbols(model: FileModel): DocumentSymbol[] {
  const f = model.facts;
  switch (f.kind) {
    case 'routine':
      return fromOutline(model, f.outline, 0);
    case 'templates':
      return f.defs.map((d) => symbol(model, d.name, d.kind === 'color' ? d.color : d.image, d.kind === 'color' ? SymbolKind.EnumMember : SymbolKind.Constant, d.entryRange, d.nameRange, []));
    default:
      return keysOutline(model, model.parsed.doc.contents, 0);
  }
}
