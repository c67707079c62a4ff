/** Go to definition and find references, over {@link placesOf}. */
import type { Location } from 'vscode-languageserver';
import type { FileModel } from './fileModel';
import { placesOf, symbolAt, type Place } from './symbols';
import type { WorkspaceIndex } from './workspaceIndex';
import type { WorkspacePaths } from './workspacePaths';

function location(p: Place, paths: WorkspacePaths): Location {
  return { uri: paths.uri(p.model.path), range: p.model.lines.range(p.range) };
}

/** Where the symbol at `offset` is defined: template entries, the routine file, parameter declarations, variable definitions, pool files. */
export async function definition(model: FileModel, offset: number, index: WorkspaceIndex, paths: WorkspacePaths): Promise<Location[]> {
  const hit = symbolAt(model, offset);
  if (!hit) {
    return [];
  }
  const places = await placesOf(hit.symbol, index);
  return places.filter((p) => p.definition).map((p) => location(p, paths));
}

/** Every use of the symbol at `offset` (and its definitions when asked). */
export async function references(model: FileModel, offset: number, includeDeclaration: boolean, index: WorkspaceIndex, paths: WorkspacePaths): Promise<Location[]> {
  const hit = symbolAt(model, offset);
  if (!hit) {
    return [];
  }
  const places = await placesOf(hit.symbol, index);
  return places.filter((p) => includeDeclaration || !p.definition).map((p) => location(p, paths));
}
