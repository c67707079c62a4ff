/**
 * Rename a template or a routine across the workspace. A template rename edits its entry's `name` and every
 * reference; a routine's name is its path under routines/, so a routine rename moves the file (a RenameFile
 * operation) and edits every `call`, `onError` and group that names it.
 */
import { ResponseError, ErrorCodes, type Range, type TextDocumentEdit, type TextEdit, type WorkspaceEdit, type RenameFile } from 'vscode-languageserver';
import { buildRoutineSchemas } from '../bot/routine/schema';
import { templateNameSchema } from '../bot/vision/templateSchema';
import type { FileModel } from './fileModel';
import type { OffsetRange } from './textLines';
import { placesOf, symbolAt } from './symbols';
import { needsQuotes } from './yamlSnippets';
import type { WorkspaceIndex } from './workspaceIndex';
import { routinePath, type WorkspacePaths } from './workspacePaths';

export interface RenameCapabilities {
  /** The client applies `documentChanges` with RenameFile operations. */
  renameFiles: boolean;
  /** Version of each open document (edits to them carry it). */
  versionOf(path: string): number | null;
}

let stepSchema: ReturnType<typeof buildRoutineSchemas>['step'] | undefined;

/** True when `name` is a valid routine registry name (the loader's own rule, through a `call` step). */
function validRoutineName(name: string): boolean {
  stepSchema ??= buildRoutineSchemas('validate').step;
  return !name.includes('${') && stepSchema.safeParse({ call: name }).success;
}

/** The range and current text of a renamable symbol at `offset` (templates and routines only). */
export function prepareRename(model: FileModel, offset: number): { range: Range; placeholder: string } | undefined {
  const hit = symbolAt(model, offset);
  if (!hit || (hit.symbol.kind !== 'template' && hit.symbol.kind !== 'routine')) {
    return undefined;
  }
  return { range: model.lines.range(hit.range), placeholder: hit.symbol.name };
}

/** Replacement text for a name written at `range`: quoted when a plain scalar could not hold it. */
function replacement(model: FileModel, range: OffsetRange, name: string): string {
  const before = model.text[range[0] - 1];
  const quoted = (before === '"' || before === "'") && model.text[range[1]] === before;
  return !quoted && needsQuotes(name, true) ? JSON.stringify(name) : name;
}

export async function rename(model: FileModel, offset: number, newName: string, index: WorkspaceIndex, paths: WorkspacePaths, caps: RenameCapabilities): Promise<WorkspaceEdit | null> {
  const hit = symbolAt(model, offset);
  if (!hit || (hit.symbol.kind !== 'template' && hit.symbol.kind !== 'routine')) {
    throw new ResponseError(ErrorCodes.InvalidRequest, 'Only templates and routines can be renamed.');
  }
  const symbol = hit.symbol;
  if (newName === symbol.name) {
    return null;
  }
  if (symbol.kind === 'template') {
    if (!templateNameSchema.safeParse(newName).success) {
      throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is not a template name (letters, digits and _ . - /, for example home.packsButton)`);
    }
    if ((await index.templates()).some((t) => t.def.name === newName)) {
      throw new ResponseError(ErrorCodes.InvalidParams, `a template named '${newName}' already exists`);
    }
  } else {
    if (!validRoutineName(newName)) {
      throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is not a routine name (a path under routines/ without .yaml, for example nav/to_home)`);
    }
    if ((await index.routineNames()).includes(newName)) {
      throw new ResponseError(ErrorCodes.InvalidParams, `a routine named '${newName}' already exists`);
    }
    if (!caps.renameFiles) {
      throw new ResponseError(ErrorCodes.InvalidRequest, 'Renaming a routine moves its file, which this editor does not support in a rename.');
    }
  }
  const places = await placesOf(symbol, index);
  const byFile = new Map<string, { model: FileModel; edits: TextEdit[] }>();
  for (const p of places) {
    if (symbol.kind === 'routine' && p.definition) {
      continue; // the file itself: moved below
    }
    const entry = byFile.get(p.model.path) ?? { model: p.model, edits: [] };
    entry.edits.push({ range: p.model.lines.range(p.range), newText: replacement(p.model, p.range, newName) });
    byFile.set(p.model.path, entry);
  }
  const changes: Array<TextDocumentEdit | RenameFile> = [...byFile.values()]
    .sort((a, b) => (a.model.path < b.model.path ? -1 : 1))
    .map((e) => ({ textDocument: { uri: paths.uri(e.model.path), version: caps.versionOf(e.model.path) }, edits: e.edits }));
  if (symbol.kind === 'routine') {
    changes.push({ kind: 'rename', oldUri: paths.uri(routinePath(symbol.name)), newUri: paths.fileUri(routinePath(newName)), options: { overwrite: false, ignoreIfExists: false } });
  }
  return { documentChanges: changes };
}
