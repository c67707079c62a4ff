/**
 * Adding a template entry to a templates/*.yaml registry file (pure, no vscode): through the YAML Document API so
 * comments, key order and formatting of the rest of the file stay as they were. A file that does not parse is
 * refused with its first error located (never rewritten); a duplicate name is refused.
 */
import { isMap, isSeq, LineCounter, parseDocument, YAMLSeq, type Document, type YAMLMap } from 'yaml';
import type { Rect, Size } from '../../shared/geometry';

export interface NewTemplateEntry {
  name: string;
  /** Workspace-relative PNG path. */
  image: string;
  threshold: number;
  region: Rect;
  /** Written only when it differs from the file's (or the default 540x960). */
  referenceSize?: Size;
  description?: string;
}

export class TemplateFileError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly col?: number,
  ) {
    super(message);
    this.name = 'TemplateFileError';
  }
}

const DEFAULT_REFERENCE: Size = { width: 540, height: 960 };

function parse(text: string, file: string): Document {
  const lc = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lc });
  const err = doc.errors[0];
  if (err) {
    const { line, col } = lc.linePos(err.pos[0]);
    throw new TemplateFileError(`${file}:${line}:${col}: ${err.message.split('\n')[0]} (fix the file first: it is not rewritten)`, line, col);
  }
  return doc;
}

/** The reference size a registry file declares (`referenceSize: 540x960`), else the default. */
export function fileReferenceSize(text: string): Size {
  const doc = parseDocument(text);
  const v = isMap(doc.contents) ? doc.contents.get('referenceSize') : undefined;
  const m = typeof v === 'string' ? /^(\d+)x(\d+)$/.exec(v) : null;
  return m ? { width: Number(m[1]), height: Number(m[2]) } : DEFAULT_REFERENCE;
}

/** The template names a registry file defines. */
export function templateNamesIn(text: string): string[] {
  const doc = parseDocument(text);
  const seq = isMap(doc.contents) ? doc.contents.get('templates') : undefined;
  if (!isSeq(seq)) {
    return [];
  }
  return seq.items.flatMap((it) => {
    const n = isMap(it) ? it.get('name') : undefined;
    return typeof n === 'string' ? [n] : [];
  });
}

/** The file's text with the entry appended to its `templates:` list (created when missing). */
export function addTemplateEntry(text: string, entry: NewTemplateEntry, file = 'templates file'): string {
  const doc = parse(text, file);
  if (doc.contents === null || doc.contents === undefined) {
    doc.contents = doc.createNode({}) as YAMLMap;
  }
  if (!isMap(doc.contents)) {
    throw new TemplateFileError(`${file}: expected a mapping with a 'templates:' list at the top`);
  }
  const root = doc.contents;
  let list: unknown = root.get('templates', true);
  if (list === undefined || list === null || (list as { value?: unknown }).value === null) {
    list = new YAMLSeq();
    root.set('templates', list);
  }
  if (!isSeq(list)) {
    throw new TemplateFileError(`${file}: 'templates:' is not a list`);
  }
  if (templateNamesIn(text).includes(entry.name)) {
    throw new TemplateFileError(`${file}: a template named '${entry.name}' exists already`);
  }
  const ref = fileReferenceSize(text);
  const node = doc.createNode({
    name: entry.name,
    ...(entry.description ? { description: entry.description } : {}),
    image: entry.image,
    threshold: entry.threshold,
    region: { x: entry.region.x, y: entry.region.y, w: entry.region.w, h: entry.region.h },
    ...(entry.referenceSize && (entry.referenceSize.width !== ref.width || entry.referenceSize.height !== ref.height) ? { referenceSize: `${entry.referenceSize.width}x${entry.referenceSize.height}` } : {}),
  }) as YAMLMap;
  const region = node.get('region', true);
  if (isMap(region)) {
    region.flow = true;
  }
  // New lists in a block file are written as blocks even when the list was empty (`templates: []`).
  list.flow = false;
  list.items.push(node);
  return doc.toString({ lineWidth: 0 });
}
