/**
 * Where the live-score CodeLens goes (pure): every image condition of a routine file — a map with an `image:` or
 * `notImage:` key, wherever a condition may stand (if/elif/while/until/waitFor/when/sentries' when, inside
 * any/all/none). Its line is the line the interpreter's match events carry (the condition node's start).
 */
import { isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';

export interface ImageCondition {
  /** 0-based line of the condition (the map holding the `image:`/`notImage:` key). */
  line: number;
  /** 0-based column of that map's start. */
  col: number;
  kind: 'image' | 'notImage';
  /** The template name when it is written as a plain string (or `template:` of the long form). */
  template?: string;
}

export function imageConditions(text: string): ImageCondition[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, keepSourceTokens: false, uniqueKeys: false });
  const out: ImageCondition[] = [];
  visit(doc, {
    Map(_key, node) {
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? pair.key.value : undefined;
        if ((k === 'image' || k === 'notImage') && node.range) {
          const pos = lc.linePos(node.range[0]);
          const v = pair.value;
          let template: string | undefined;
          if (isScalar(v) && typeof v.value === 'string') {
            template = v.value;
          } else if (isMap(v)) {
            const t = v.get('template');
            template = typeof t === 'string' ? t : undefined;
          }
          out.push({ line: pos.line - 1, col: pos.col - 1, kind: k, ...(template !== undefined ? { template } : {}) });
          break;
        }
      }
    },
  });
  return out.sort((a, b) => a.line - b.line || a.col - b.col);
}
