/**
 * The variables a routine can read at a point: its params, its vars, and what the steps before the point set.
 * A routine is cut into its top-level blocks (each item of a top-level list on its own) and each block is parsed
 * once per distinct text, so after an edit only the edited step is parsed again, however long the routine.
 */
import { parseDocument } from 'yaml';
import { routineFacts, type ParamDecl, type VarDefKind } from './routineFacts';
import type { TextLines } from './textLines';

export interface VisibleVariable {
  name: string;
  kind: VarDefKind;
  /** Offset of the definition in the routine's text. */
  offset: number;
  /** For parameters: the declaration. */
  param?: ParamDecl;
}

interface Chunk {
  /** A line put before the block so it parses in place (`steps:` above one of its items), or ''. */
  header: string;
  start: number;
  end: number;
}

interface ChunkFacts {
  params: ParamDecl[];
  defs: Array<{ name: string; kind: VarDefKind; at: number }>;
}

/** Blocks parsed so far, by their text (bounded: cleared when it grows past this many). */
const MAX_CACHED = 20_000;
const cache = new Map<string, ChunkFacts>();

function indentOf(line: string): { indent: number; dash: boolean } | undefined {
  const m = /^( *)(\S)/.exec(line);
  if (!m || m[2] === '#') {
    return undefined;
  }
  const rest = line.slice(m[1].length);
  return { indent: m[1].length, dash: rest === '-' || rest.startsWith('- ') };
}

/** The routine's top-level blocks: each top-level key's block, except that a block list is cut into its items. */
export function routineChunks(lines: TextLines): Chunk[] {
  const out: Chunk[] = [];
  const n = lines.lineCount;
  let l = 0;
  while (l < n) {
    const sh = indentOf(lines.lineText(l));
    if (!sh || sh.indent !== 0 || sh.dash) {
      l++;
      continue;
    }
    // A top-level key: its block runs to the next top-level key.
    let next = l + 1;
    while (next < n) {
      const s = indentOf(lines.lineText(next));
      if (s && s.indent === 0 && !s.dash) {
        break;
      }
      next++;
    }
    const keyLine = lines.lineText(l);
    let first = l + 1;
    while (first < next && !indentOf(lines.lineText(first))) {
      first++;
    }
    const firstShape = first < next ? indentOf(lines.lineText(first)) : undefined;
    if (/:\s*(?:#.*)?$/.test(keyLine) && firstShape?.dash) {
      const column = firstShape.indent;
      let itemStart = first;
      for (let i = first + 1; i <= next; i++) {
        const s = i < next ? indentOf(lines.lineText(i)) : undefined;
        if (i === next || (s && s.indent <= column)) {
          out.push({ header: keyLine, start: lines.lineStart(itemStart), end: lines.lineEnd(i - 1) });
          itemStart = i;
        }
      }
    } else {
      out.push({ header: '', start: lines.lineStart(l), end: lines.lineEnd(next - 1) });
    }
    l = next;
  }
  return out;
}

function factsOf(header: string, body: string): ChunkFacts {
  const key = `${header}\n${body}`;
  const hit = cache.get(key);
  if (hit) {
    return hit;
  }
  const text = header ? `${header}\n${body}\n` : `${body}\n`;
  const shift = header ? header.length + 1 : 0;
  const f = routineFacts(parseDocument(text, { uniqueKeys: false, prettyErrors: false }).contents, text);
  const out: ChunkFacts = {
    params: f.params.map((p) => ({ ...p, range: [p.range[0] - shift, p.range[1] - shift], entry: [p.entry[0] - shift, p.entry[1] - shift] })),
    defs: f.varDefs.filter((d) => d.kind !== 'param').map((d) => ({ name: d.name, kind: d.kind, at: d.range[0] - shift })),
  };
  if (cache.size >= MAX_CACHED) {
    cache.clear();
  }
  cache.set(key, out);
  return out;
}

/** Variables defined in the routine: params and vars anywhere, step definitions only before `offset`. In text order. */
export function visibleVariables(lines: TextLines, offset: number): VisibleVariable[] {
  const out: VisibleVariable[] = [];
  for (const c of routineChunks(lines)) {
    const f = factsOf(c.header, lines.text.slice(c.start, c.end));
    for (const p of f.params) {
      out.push({ name: p.name, kind: 'param', offset: c.start + p.range[0], param: { ...p, range: [c.start + p.range[0], c.start + p.range[1]], entry: [c.start + p.entry[0], c.start + p.entry[1]] } });
    }
    for (const d of f.defs) {
      const at = c.start + d.at;
      if (d.kind === 'var' || at < offset) {
        out.push({ name: d.name, kind: d.kind, offset: at });
      }
    }
  }
  return out;
}
