/**
 * Hover: for a template reference its image, threshold and region; for a routine reference its parameters; for a
 * parameter or variable where it comes from; otherwise the documentation of the key or value from the schema.
 */
import { isScalar } from 'yaml';
import { MarkupKind, type Hover } from 'vscode-languageserver';
import { SYSTEM_VARIABLES } from '../bot/routine/actionCatalogue';
import { paramMarkdown, routineMarkdown, templateMarkdown } from './docsFormat';
import type { FileModel } from './fileModel';
import { schemaFor } from './schemaCatalog';
import { schemaDoc } from './schemaNavigator';
import { placesOf, symbolAt, type FleetSymbol } from './symbols';
import type { WorkspaceIndex } from './workspaceIndex';
import type { WorkspacePaths } from './workspacePaths';
import { hitAt, nodeRange } from './yamlNodes';

export interface HoverDeps {
  index: WorkspaceIndex;
  paths: WorkspacePaths;
}

async function symbolMarkdown(symbol: FleetSymbol, deps: HoverDeps): Promise<string | undefined> {
  switch (symbol.kind) {
    case 'template': {
      const t = await deps.index.template(symbol.name);
      return t ? templateMarkdown(t, deps.paths) : `**${symbol.name}**: no template of this name in templates/`;
    }
    case 'routine': {
      const r = await deps.index.routine(symbol.name);
      return r ? routineMarkdown(r) : `**${symbol.name}**: no routine of this name in routines/`;
    }
    case 'param': {
      const r = await deps.index.routine(symbol.routine);
      const p = r?.facts.params.find((x) => x.name === symbol.name);
      return p ? paramMarkdown(symbol.routine, p) : `\`${symbol.name}\`: routine \`${symbol.routine}\` has no such parameter`;
    }
    case 'variable': {
      if ((SYSTEM_VARIABLES as readonly string[]).includes(symbol.name)) {
        return `**${symbol.name}** — system variable`;
      }
      const defs = (await placesOf(symbol, deps.index)).filter((p) => p.definition);
      if (!defs.length) {
        return `**${symbol.name}** — variable never defined in this routine`;
      }
      const lines = defs.map((d) => `line ${d.model.lines.positionAt(d.range[0]).line + 1}`);
      return `**${symbol.name}** — variable, set at ${lines.join(', ')}`;
    }
    case 'pool': {
      const p = (await deps.index.pools()).find((x) => x.name === symbol.name);
      return p ? `**${p.name}** — account pool (\`${p.file.path}\`)${p.description ? `\n\n${p.description}` : ''}` : `**${symbol.name}**: no pool of this name in pools/`;
    }
  }
  return undefined;
}

export async function hover(model: FileModel, offset: number, deps: HoverDeps): Promise<Hover | null> {
  if (model.tooLarge) {
    return null;
  }
  const sym = symbolAt(model, offset);
  if (sym) {
    const value = await symbolMarkdown(sym.symbol, deps);
    if (value) {
      return { contents: { kind: MarkupKind.Markdown, value }, range: model.lines.range(sym.range) };
    }
  }
  const hit = hitAt(model.parsed.doc.contents, offset);
  if (!hit) {
    return null;
  }
  // A template's image path: the image itself.
  if (model.kind === 'templates' && hit.on === 'value' && hit.path[hit.path.length - 1] === 'image' && isScalar(hit.node) && typeof hit.node.value === 'string') {
    const image = hit.node.value;
    const r = nodeRange(hit.node);
    return { contents: { kind: MarkupKind.Markdown, value: `![${image}](${deps.paths.fileUri(image)})\n\n\`${image}\`` }, range: r ? model.lines.range(r) : undefined };
  }
  const nav = schemaFor(model.kind);
  const range = nodeRange(hit.node);
  let doc: string | undefined;
  if (hit.on === 'key') {
    const parentPath = hit.path.slice(0, -1);
    const key = hit.path[hit.path.length - 1];
    const schemas = nav.at(parentPath, hit.containers.slice(0, -1));
    const alts = nav.fitting(
      schemas.flatMap((s) => nav.alternatives(s)),
      hit.containers[hit.containers.length - 1],
    );
    for (const a of alts) {
      const prop = nav.child(a, key);
      doc = schemaDoc(prop) ?? (prop ? schemaDoc(nav.alternatives(prop)[0]) : undefined);
      if (doc) {
        break;
      }
    }
  } else if (isScalar(hit.node)) {
    const schemas = nav.at(hit.path, hit.containers);
    for (const s of schemas) {
      for (const a of nav.alternatives(s)) {
        const i = a.enum?.findIndex((v) => v === (hit.node as { value: unknown }).value) ?? -1;
        if (i >= 0) {
          const d = a.markdownEnumDescriptions?.[i] ?? a.enumDescriptions?.[i];
          doc = d ? `\`${String(a.enum?.[i])}\`: ${d}` : undefined;
        }
      }
      doc ??= schemaDoc(s) ?? schemaDoc(nav.alternatives(s)[0]);
      if (doc) {
        break;
      }
    }
  }
  return doc ? { contents: { kind: MarkupKind.Markdown, value: doc }, range: range ? model.lines.range(range) : undefined } : null;
}
