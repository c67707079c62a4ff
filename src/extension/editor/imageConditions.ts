/**
 * Where the live-score CodeLens goes (pure): every image condition of a routine file — a map with an `image:` or
 * `notImage:` key, wherever a condition may stand (if/elif/while/until/waitFor/when/sentries' when, inside
 * any/all/none) — and every action that matches a template (`tap:`/`longPress:` with a template name or
 * `{ template: ... }`). Its line is the line the interpreter's match events carry: the condition node's start, or
 * the step's start for an action (whose match events carry the step's range).
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type YAMLMap } from 'yaml';

/** Actions whose target may be a template (their match events carry the step's range). */
const TEMPLATE_ACTIONS = ['tap', 'longPress'] as const;

export interface ImageCondition {
  /** 0-based line of the condition (the map holding the `image:`/`notImage:` key), or of the action's step. */
  line: number;
  /** 0-based column of that map's start. */
  col: number;
  kind: 'image' | 'notImage' | (typeof TEMPLATE_ACTIONS)[number];
  /** The template name when it is written as a plain string (or `template:` of the long form). */
  template?: string;
}

/** The template of a condition's or action's value: a plain string, or the `template:` of a map. */
function templateOf(v: unknown): { isTemplate: boolean; template?: string } {
  if (isScalar(v)) {
    return typeof v.value === 'string' ? { isTemplate: true, template: v.value } : { isTemplate: false };
  }
  if (isMap(v) && v.has('template')) {
    const t = v.get('template');
    return typeof t === 'string' ? { isTemplate: true, template: t } : { isTemplate: true };
  }
  return { isTemplate: false };
}

function conditionIn(node: YAMLMap, isStep: boolean): { kind: ImageCondition['kind']; template?: string } | undefined {
  for (const pair of node.items) {
    const k = isScalar(pair.key) ? pair.key.value : undefined;
    if (k === 'image' || k === 'notImage') {
      const { template } = templateOf(pair.value);
      return { kind: k, ...(template !== undefined ? { template } : {}) };
    }
  }
  if (!isStep) {
    return undefined;
  }
  for (const pair of node.items) {
    const k = isScalar(pair.key) ? pair.key.value : undefined;
    const action = TEMPLATE_ACTIONS.find((a) => a === k);
    if (action) {
      // A point or a region target matches nothing: no lens.
      const { isTemplate, template } = templateOf(pair.value);
      return isTemplate ? { kind: action, ...(template !== undefined ? { template } : {}) } : undefined;
    }
  }
  return undefined;
}

export function imageConditions(text: string): ImageCondition[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, keepSourceTokens: false, uniqueKeys: false });
  const out: ImageCondition[] = [];
  visit(doc, {
    Map(_key, node, path) {
      // A step is an item of a list (`steps:`, `then:`, `do:`...): a `tap:` key elsewhere (a variable) is no action.
      const c = node.range ? conditionIn(node, isSeq(path[path.length - 1])) : undefined;
      if (c && node.range) {
        const pos = lc.linePos(node.range[0]);
        out.push({ line: pos.line - 1, col: pos.col - 1, ...c });
      }
    },
  });
  return out.sort((a, b) => a.line - b.line || a.col - b.col);
}
