/** Folding ranges: every block map or list spanning several lines (from its key's line), and runs of comment lines. */
import { isMap, isSeq } from 'yaml';
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver';
import type { FileModel } from './fileModel';
import { nodeRange } from './yamlNodes';

export function foldingRanges(model: FileModel): FoldingRange[] {
  const out: FoldingRange[] = [];
  const lines = model.lines;
  const lastLine = (end: number) => {
    // A block's value-end may sit at the start of the next line.
    let e = end;
    while (e > 0 && /\s/.test(model.text[e - 1])) {
      e--;
    }
    return lines.positionAt(e).line;
  };
  const add = (startOffset: number, endOffset: number) => {
    const s = lines.positionAt(startOffset).line;
    const e = lastLine(endOffset);
    if (e > s) {
      out.push({ startLine: s, endLine: e });
    }
  };
  const walk = (node: unknown, start: number | undefined, depth: number): void => {
    if (depth > 200) {
      return;
    }
    const r = nodeRange(node);
    if (isMap(node)) {
      if (r && start !== undefined) {
        add(start, r[1]);
      }
      for (const p of node.items) {
        walk(p.value, nodeRange(p.key)?.[0], depth + 1);
      }
    } else if (isSeq(node)) {
      if (r && start !== undefined) {
        add(start, r[1]);
      }
      for (const item of node.items) {
        walk(item, nodeRange(item)?.[0], depth + 1);
      }
    }
  };
  if (!model.tooLarge) {
    walk(model.parsed.doc.contents, undefined, 0);
  }
  // Comment blocks
  let first = -1;
  for (let i = 0; i <= lines.lineCount; i++) {
    const isComment = i < lines.lineCount && /^\s*#/.test(lines.lineText(i));
    if (isComment && first < 0) {
      first = i;
    } else if (!isComment && first >= 0) {
      if (i - 1 > first) {
        out.push({ startLine: first, endLine: i - 1, kind: FoldingRangeKind.Comment });
      }
      first = -1;
    }
  }
  // One range per start line (the outermost).
  const byStart = new Map<number, FoldingRange>();
  for (const f of out) {
    const cur = byStart.get(f.startLine);
    if (!cur || f.endLine > cur.endLine) {
      byStart.set(f.startLine, f);
    }
  }
  return [...byStart.values()].sort((a, b) => a.startLine - b.startLine);
}
