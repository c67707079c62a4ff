/**
 * What the editor features need from a template registry file (`templates/*.yaml`), read from its YAML tree:
 * each template and colour check with where its name is written, its image, threshold and region, and the
 * file's defaults.
 */
import { isMap, isScalar, isSeq, type YAMLSeq } from 'yaml';
import type { Rect } from '../shared/geometry';
import type { OffsetRange } from './textLines';
import { nodeRange, scalarInnerRange, valueOf } from './yamlNodes';

export interface TemplateDef {
  name: string;
  kind: 'template' | 'color';
  /** The name's text (without quotes). */
  nameRange: OffsetRange;
  /** The whole entry (the list item). */
  entryRange: OffsetRange;
  image?: string;
  threshold?: number;
  region?: Rect;
  description?: string;
  /** Colour checks: `#rrggbb`. */
  color?: string;
}

export interface TemplateFileFacts {
  kind: 'templates';
  defs: TemplateDef[];
  defaults: { threshold?: number; region?: Rect };
  referenceSize?: string;
  /** The `templates:` list (for edits that append an entry). */
  templatesSeq?: YAMLSeq;
}

function num(node: unknown): number | undefined {
  return isScalar(node) && typeof node.value === 'number' ? node.value : undefined;
}

function str(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

function rect(node: unknown): Rect | undefined {
  if (!isMap(node)) {
    return undefined;
  }
  const [x, y, w, h] = ['x', 'y', 'w', 'h'].map((k) => num(valueOf(node, k)));
  return x !== undefined && y !== undefined && w !== undefined && h !== undefined ? { x, y, w, h } : undefined;
}

export function templateFileFacts(root: unknown): TemplateFileFacts {
  const facts: TemplateFileFacts = { kind: 'templates', defs: [], defaults: {} };
  if (!isMap(root)) {
    return facts;
  }
  const defaults = valueOf(root, 'defaults');
  facts.defaults = { threshold: num(valueOf(defaults, 'threshold')), region: rect(valueOf(defaults, 'region')) };
  const ref = valueOf(root, 'referenceSize');
  facts.referenceSize = isScalar(ref) ? String(ref.value) : undefined;
  for (const kind of ['template', 'color'] as const) {
    const list = valueOf(root, kind === 'template' ? 'templates' : 'colors');
    if (!isSeq(list)) {
      continue;
    }
    if (kind === 'template') {
      facts.templatesSeq = list;
    }
    for (const item of list.items) {
      const nameNode = valueOf(item, 'name');
      if (!isMap(item) || !isScalar(nameNode) || typeof nameNode.value !== 'string') {
        continue;
      }
      facts.defs.push({
        name: nameNode.value,
        kind,
        nameRange: scalarInnerRange(nameNode),
        entryRange: nodeRange(item) ?? scalarInnerRange(nameNode),
        image: str(valueOf(item, 'image')),
        threshold: num(valueOf(item, 'threshold')),
        region: rect(valueOf(item, 'region')) ?? rect(valueOf(item, 'at')),
        description: str(valueOf(item, 'description')),
        color: str(valueOf(item, 'color')),
      });
    }
  }
  return facts;
}
