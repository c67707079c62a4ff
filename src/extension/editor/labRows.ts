/**
 * Template Lab rows (pure): a template's result on a frame, its margin (score − threshold) and its verdict from
 * what is expected there — the user's mark, else what the recorded run's match gave (false positive: found where it
 * should not be; miss: not found where it should).
 * Also which templates a routine file references.
 */
import { isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Rect } from '../../shared/geometry';
import type { LabRow } from '../../shared/templateToolsProtocol';

export function verdictOf(found: boolean, expected: boolean | undefined): LabRow['verdict'] {
  if (expected === undefined) {
    return 'unknown';
  }
  if (found && !expected) {
    return 'false-positive';
  }
  if (!found && expected) {
    return 'miss';
  }
  return 'ok';
}

/**
 * What the recorded run says about a template on a frame: found (true) or not (false) when the run matched it while
 * the frame was on screen — a condition that held or failed, a `tap: template` that found its target — and every
 * such match agreed; undefined when the run did not look for it there, or its matches disagree (the screen changed).
 */
export function inferExpected(matches: ReadonlyArray<{ template: string; found: boolean }> | undefined, template: string): boolean | undefined {
  const seen = new Set((matches ?? []).filter((m) => m.template === template).map((m) => m.found));
  return seen.size === 1 ? seen.has(true) : undefined;
}

export function labRow(o: { template: string; frameId: string; frameLabel: string; score: number; threshold: number; found: boolean; box: Rect; expected?: boolean; inferred?: boolean }): LabRow {
  const score = Number.isFinite(o.score) ? o.score : 0;
  return {
    id: `${o.template}\n${o.frameId}`,
    template: o.template,
    frameId: o.frameId,
    frameLabel: o.frameLabel,
    score,
    threshold: o.threshold,
    found: o.found,
    box: o.box,
    margin: Math.round((score - o.threshold) * 1000) / 1000,
    ...(o.expected !== undefined ? { expected: o.expected } : {}),
    ...(o.expected !== undefined && o.inferred ? { inferred: true } : {}),
    verdict: verdictOf(o.found, o.expected),
  };
}

/** Problems first (false positives, then misses), then the closest calls (smallest |margin|). */
export function sortRows(rows: readonly LabRow[]): LabRow[] {
  const rank = { 'false-positive': 0, miss: 1, unknown: 2, ok: 3 } as const;
  return [...rows].sort((a, b) => rank[a.verdict] - rank[b.verdict] || Math.abs(a.margin) - Math.abs(b.margin) || a.template.localeCompare(b.template) || a.frameLabel.localeCompare(b.frameLabel));
}

/** Keys whose string value names a template in a routine. */
const TEMPLATE_KEYS = new Set(['image', 'notImage', 'template', 'tap', 'longPress', 'waitFor', 'waitForGone', 'find']);

/**
 * The templates a routine's text references (in order of first use): string values of `image:`, `notImage:`,
 * `template:`, `tap:`... that are names of `known` templates.
 */
export function templatesReferenced(text: string, known: ReadonlySet<string>): string[] {
  const doc = parseDocument(text);
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' && known.has(v) && !out.includes(v)) {
      out.push(v);
    }
  };
  visit(doc, {
    Pair(_k, pair) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== 'string' || !TEMPLATE_KEYS.has(key)) {
        return;
      }
      const v = pair.value;
      if (isScalar(v)) {
        add(v.value);
      } else if (isMap(v)) {
        const t = v.get('template');
        add(t);
      } else if (isSeq(v)) {
        for (const it of v.items) {
          if (isScalar(it)) {
            add(it.value);
          }
        }
      }
    },
  });
  return out;
}
