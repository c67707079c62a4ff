/**
 * The named thing at a position — a template, a routine, a routine parameter, a variable, a pool — and every
 * place the workspace defines or uses it. Definition, references, rename and hover are built on this.
 */
import type { FileModel } from './fileModel';
import type { OffsetRange } from './textLines';
import type { WorkspaceIndex } from './workspaceIndex';
import { routineNameOf } from './workspacePaths';
import { contains } from './yamlNodes';

export type FleetSymbol =
  | { kind: 'template'; name: string }
  | { kind: 'routine'; name: string }
  /** A parameter of `routine` (declared there, passed by calls and groups). */
  | { kind: 'param'; routine: string; name: string }
  /** A variable of one routine file that is not one of its parameters. */
  | { kind: 'variable'; path: string; name: string }
  | { kind: 'pool'; name: string };

export interface SymbolHit {
  symbol: FleetSymbol;
  /** The name's text under the cursor. */
  range: OffsetRange;
}

/** A place in the workspace: a file and a range of its text. */
export interface Place {
  model: FileModel;
  range: OffsetRange;
  /** True for definitions (template entries, parameter declarations, variable definitions, pool names). */
  definition: boolean;
}

/** The symbol under `offset`. */
export function symbolAt(model: FileModel, offset: number): SymbolHit | undefined {
  const f = model.facts;
  const at = (r: OffsetRange) => contains(r, offset);
  switch (f.kind) {
    case 'routine': {
      for (const t of f.templateRefs) {
        if (at(t.range)) {
          return { symbol: { kind: 'template', name: t.name }, range: t.range };
        }
      }
      for (const r of f.routineRefs) {
        if (at(r.range)) {
          return { symbol: { kind: 'routine', name: r.name }, range: r.range };
        }
        for (const k of r.paramKeys) {
          if (at(k.range)) {
            return { symbol: { kind: 'param', routine: r.name, name: k.name }, range: k.range };
          }
        }
      }
      const own = routineNameOf(model.path) ?? model.path;
      const isParam = (name: string) => f.params.some((p) => p.name === name);
      for (const v of [...f.varDefs, ...f.varUses]) {
        if (at(v.range)) {
          return {
            symbol: isParam(v.name) ? { kind: 'param', routine: own, name: v.name } : { kind: 'variable', path: model.path, name: v.name },
            range: v.range,
          };
        }
      }
      return undefined;
    }
    case 'templates':
      for (const d of f.defs) {
        if (at(d.nameRange)) {
          return { symbol: { kind: 'template', name: d.name }, range: d.nameRange };
        }
      }
      return undefined;
    case 'group':
      if (f.routineRef && at(f.routineRef.range)) {
        return { symbol: { kind: 'routine', name: f.routineRef.name }, range: f.routineRef.range };
      }
      if (f.poolRef && at(f.poolRef.range)) {
        return { symbol: { kind: 'pool', name: f.poolRef.name }, range: f.poolRef.range };
      }
      for (const k of f.configKeys) {
        if (at(k.range) && f.routineRef) {
          return { symbol: { kind: 'param', routine: f.routineRef.name, name: k.name }, range: k.range };
        }
      }
      return undefined;
    case 'pool':
      if (f.nameRef && at(f.nameRef.range)) {
        return { symbol: { kind: 'pool', name: f.nameRef.name }, range: f.nameRef.range };
      }
      return undefined;
  }
}

/** Every definition and use of a symbol in the workspace (definitions first). */
export async function placesOf(symbol: FleetSymbol, index: WorkspaceIndex): Promise<Place[]> {
  const defs: Place[] = [];
  const uses: Place[] = [];
  switch (symbol.kind) {
    case 'template': {
      for (const t of await index.templates()) {
        if (t.def.name === symbol.name) {
          defs.push({ model: t.file, range: t.def.nameRange, definition: true });
        }
      }
      for (const r of await index.routines()) {
        for (const t of r.facts.templateRefs) {
          if (t.name === symbol.name) {
            uses.push({ model: r, range: t.range, definition: false });
          }
        }
      }
      break;
    }
    case 'routine': {
      const target = await index.routine(symbol.name);
      if (target) {
        defs.push({ model: target, range: [0, 0], definition: true });
      }
      for (const r of await index.routines()) {
        for (const ref of r.facts.routineRefs) {
          if (ref.name === symbol.name) {
            uses.push({ model: r, range: ref.range, definition: false });
          }
        }
      }
      for (const g of await index.modelsOf('group')) {
        if (g.facts.kind === 'group' && g.facts.routineRef?.name === symbol.name) {
          uses.push({ model: g, range: g.facts.routineRef.range, definition: false });
        }
      }
      break;
    }
    case 'param': {
      const target = await index.routine(symbol.routine);
      if (target) {
        for (const d of target.facts.varDefs) {
          if (d.name === symbol.name) {
            (d.kind === 'param' ? defs : uses).push({ model: target, range: d.range, definition: d.kind === 'param' });
          }
        }
        for (const u of target.facts.varUses) {
          if (u.name === symbol.name && !uses.some((p) => p.model === target && p.range[0] === u.range[0])) {
            uses.push({ model: target, range: u.range, definition: false });
          }
        }
      }
      for (const r of await index.routines()) {
        for (const ref of r.facts.routineRefs) {
          if (ref.name === symbol.routine) {
            for (const k of ref.paramKeys) {
              if (k.name === symbol.name) {
                uses.push({ model: r, range: k.range, definition: false });
              }
            }
          }
        }
      }
      for (const g of await index.modelsOf('group')) {
        if (g.facts.kind === 'group' && g.facts.routineRef?.name === symbol.routine) {
          for (const k of g.facts.configKeys) {
            if (k.name === symbol.name) {
              uses.push({ model: g, range: k.range, definition: false });
            }
          }
        }
      }
      break;
    }
    case 'variable': {
      const m = await index.model(symbol.path);
      if (m?.facts.kind === 'routine') {
        for (const d of m.facts.varDefs) {
          if (d.name === symbol.name) {
            defs.push({ model: m, range: d.range, definition: true });
          }
        }
        for (const u of m.facts.varUses) {
          if (u.name === symbol.name && !defs.some((p) => p.range[0] === u.range[0])) {
            uses.push({ model: m, range: u.range, definition: false });
          }
        }
      }
      break;
    }
    case 'pool': {
      for (const p of await index.pools()) {
        if (p.name === symbol.name && p.file.facts.kind === 'pool') {
          defs.push({ model: p.file, range: p.file.facts.nameRef?.range ?? [0, 0], definition: true });
        }
      }
      for (const g of await index.modelsOf('group')) {
        if (g.facts.kind === 'group' && g.facts.poolRef?.name === symbol.name) {
          uses.push({ model: g, range: g.facts.poolRef.range, definition: false });
        }
      }
      break;
    }
  }
  return [...defs, ...uses];
}
