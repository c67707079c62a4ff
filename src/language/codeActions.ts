/**
 * Quick fixes for the validator's diagnostics, where the fix is clear: take the "did you mean" suggestion, add a
 * call's (or a group's) missing required parameters, and create a missing template as a stub entry of a
 * template registry file.
 */
import { isMap, type Pair, type YAMLMap } from 'yaml';
import {
  CodeActionKind,
  type CodeAction,
  type CreateFile,
  type Diagnostic as LspDiagnostic,
  type TextDocumentEdit,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { suggest } from '../bot/routine/valueSchemas';
import { diagnosticData, type FleetDiagnosticData } from './diagnostics';
import type { FileModel } from './fileModel';
import { DIAGNOSTIC_SOURCE } from './protocol';
import type { ParamDecl } from './routineFacts';
import type { OffsetRange } from './textLines';
import { needsQuotes } from './yamlSnippets';
import type { WorkspaceIndex } from './workspaceIndex';
import type { WorkspacePaths } from './workspacePaths';
import { nodeRange } from './yamlNodes';

export interface CodeActionDeps {
  index: WorkspaceIndex;
  paths: WorkspacePaths;
  versionOf(path: string): number | null;
}

/** Registry files offered for a new template, at most this many. */
const MAX_TEMPLATE_FILES = 4;

function dataOf(d: LspDiagnostic): FleetDiagnosticData | undefined {
  if (d.data && typeof d.data === 'object') {
    return d.data as FleetDiagnosticData;
  }
  return diagnosticData({ file: '', line: 1, col: 1, severity: 'error', message: typeof d.message === 'string' ? d.message : d.message.value, code: typeof d.code === 'string' ? d.code : undefined });
}

function docEdit(deps: CodeActionDeps, model: FileModel, edits: TextEdit[]): TextDocumentEdit {
  return { textDocument: { uri: deps.paths.uri(model.path), version: deps.versionOf(model.path) }, edits };
}

function fix(title: string, diagnostic: LspDiagnostic, edit: WorkspaceEdit, preferred = false): CodeAction {
  return { title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit, ...(preferred ? { isPreferred: true } : {}) };
}

/** The first occurrence of one of `words` inside `range` of the text, as a whole word. */
function findWord(text: string, range: OffsetRange, words: readonly string[]): OffsetRange | undefined {
  const slice = text.slice(range[0], range[1]);
  for (const w of words) {
    const re = new RegExp(`(^|[^A-Za-z0-9_.\\-/])(${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})(?![A-Za-z0-9_.\\-/])`);
    const m = re.exec(slice);
    if (m) {
      const at = range[0] + m.index + m[1].length;
      return [at, at + w.length];
    }
  }
  return undefined;
}

function lspRangeToOffsets(model: FileModel, d: LspDiagnostic): OffsetRange {
  const start = model.lines.offsetAt(d.range.start);
  const end = model.lines.offsetAt(d.range.end);
  // A diagnostic without an end covers its line.
  return end > start ? [start, end] : [start, model.lines.lineEnd(d.range.start.line)];
}

export async function codeActions(model: FileModel, diagnostics: readonly LspDiagnostic[], deps: CodeActionDeps): Promise<CodeAction[]> {
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== DIAGNOSTIC_SOURCE) {
      continue;
    }
    const data = dataOf(d);
    if (!data) {
      continue;
    }
    const range = lspRangeToOffsets(model, d);
    if (data.didYouMean) {
      const at = findWord(model.text, range, data.didYouMean.words);
      if (at) {
        const edit = { range: model.lines.range(at), newText: data.didYouMean.replacement };
        out.push(fix(`Change '${model.text.slice(at[0], at[1])}' to '${data.didYouMean.replacement}'`, d, { documentChanges: [docEdit(deps, model, [edit])] }, true));
      }
    }
    if (data.unknownTemplate) {
      out.push(...(await templateFixes(model, d, range, data.unknownTemplate, !data.didYouMean, deps)));
    }
    if (data.missingParams) {
      const a = await missingParamsFix(model, d, range, data.missingParams.routine, data.missingParams.params, deps);
      if (a) {
        out.push(a);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------------------

async function templateFixes(model: FileModel, d: LspDiagnostic, range: OffsetRange, name: string, offerSuggestion: boolean, deps: CodeActionDeps): Promise<CodeAction[]> {
  const out: CodeAction[] = [];
  const templates = await deps.index.templates();
  const hint = offerSuggestion ? suggest(name, templates.map((t) => t.def.name)) : undefined;
  if (hint) {
    const at = findWord(model.text, range, [name]);
    if (at) {
      out.push(fix(`Change '${name}' to '${hint}'`, d, { documentChanges: [docEdit(deps, model, [{ range: model.lines.range(at), newText: hint }])] }, true));
    }
  }
  const files = (await deps.index.modelsOf('templates')).slice(0, MAX_TEMPLATE_FILES);
  for (const f of files) {
    const edit = appendTemplateEdit(f, name);
    out.push(fix(`Create template '${name}' in ${f.path}`, d, { documentChanges: [docEdit(deps, f, [edit])] }));
  }
  if (!files.length) {
    const path = 'templates/templates.yaml';
    const create: CreateFile = { kind: 'create', uri: deps.paths.fileUri(path), options: { ignoreIfExists: true } };
    const text = `templates:\n  - name: ${yamlName(name)}\n    image: templates/${name}.png\n`;
    out.push(
      fix(`Create template '${name}' in ${path}`, d, {
        documentChanges: [create, { textDocument: { uri: deps.paths.fileUri(path), version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: text }] }],
      }),
    );
  }
  return out;
}

function yamlName(name: string): string {
  return needsQuotes(name, true) ? JSON.stringify(name) : name;
}

/** Folder of the file's existing images (so a stub lands beside them), else templates/. */
function imageFolder(f: FileModel): string {
  if (f.facts.kind === 'templates') {
    for (const d of f.facts.defs) {
      if (d.image?.includes('/')) {
        return d.image.slice(0, d.image.lastIndexOf('/'));
      }
    }
  }
  return 'templates';
}

/** An edit appending `- name: <name>, image: <folder>/<name>.png` to a registry file's templates list. */
export function appendTemplateEdit(f: FileModel, name: string): TextEdit {
  const image = `${imageFolder(f)}/${name}.png`;
  const seq = f.facts.kind === 'templates' ? f.facts.templatesSeq : undefined;
  const lines = f.lines;
  if (seq && seq.flow) {
    const r = nodeRange(seq);
    if (r) {
      const entry = `{ name: ${yamlName(name)}, image: ${image} }`;
      if (!seq.items.length) {
        return { range: lines.range(r), newText: `[ ${entry} ]` };
      }
      const last = nodeRange(seq.items[seq.items.length - 1]);
      const at = last ? last[1] : r[1] - 1;
      return { range: lines.range([at, at]), newText: `, ${entry}` };
    }
  }
  if (seq && seq.items.length) {
    const first = nodeRange(seq.items[0]);
    const last = nodeRange(seq.items[seq.items.length - 1]);
    if (first && last) {
      const itemColumn = lines.positionAt(first[0]).character;
      const dash = ' '.repeat(Math.max(0, itemColumn - 2));
      const pad = ' '.repeat(itemColumn);
      const lastLine = lines.positionAt(trimEnd(f.text, last[1], last[0])).line;
      const at = lines.lineEnd(lastLine);
      return { range: lines.range([at, at]), newText: `\n${dash}- name: ${yamlName(name)}\n${pad}image: ${image}` };
    }
  }
  // No templates list yet: add one at the end of the file.
  const end = f.text.length;
  const lead = end > 0 && !f.text.endsWith('\n') ? '\n' : '';
  return { range: lines.range([end, end]), newText: `${lead}templates:\n  - name: ${yamlName(name)}\n    image: ${image}\n` };
}

function trimEnd(text: string, end: number, floor: number): number {
  let e = end;
  while (e > floor && /\s/.test(text[e - 1])) {
    e--;
  }
  return e;
}

// ---------------------------------------------------------------------------------------------------------
// Missing parameters
// ---------------------------------------------------------------------------------------------------------

function placeholderValue(p: ParamDecl | undefined): string {
  switch (p?.type) {
    case 'int':
    case 'number':
      return typeof p.min === 'number' ? String(p.min) : '0';
    case 'bool':
      return 'false';
    case 'enum':
      return p.values?.length ? yamlName(String(p.values[0])) : '""';
    default:
      return '""';
  }
}

/** Edits adding `entries` to the map `target`, or a new `key: { ... }` to `owner` when the map does not exist. */
function addEntries(model: FileModel, owner: YAMLMap, target: YAMLMap | undefined, key: string, entries: string[]): TextEdit | undefined {
  const lines = model.lines;
  const afterLastPair = (map: YAMLMap): { at: number; column: number } | undefined => {
    const items = map.items as Pair[];
    const first = nodeRange(items[0]?.key);
    const lastPair = items[items.length - 1];
    const lastEnd = nodeRange(lastPair?.value)?.[1] ?? nodeRange(lastPair?.key)?.[1];
    if (!first || lastEnd === undefined) {
      return undefined;
    }
    return { at: trimEnd(model.text, lastEnd, first[0]), column: lines.positionAt(first[0]).character };
  };
  if (target) {
    const r = nodeRange(target);
    if (target.flow || !target.items.length) {
      if (!target.items.length && r) {
        return { range: lines.range(r), newText: `{ ${entries.join(', ')} }` };
      }
      const p = afterLastPair(target);
      return p ? { range: lines.range([p.at, p.at]), newText: `, ${entries.join(', ')}` } : undefined;
    }
    const p = afterLastPair(target);
    if (!p) {
      return undefined;
    }
    const at = lines.lineEnd(lines.positionAt(p.at).line);
    const pad = ' '.repeat(p.column);
    return { range: lines.range([at, at]), newText: entries.map((e) => `\n${pad}${e}`).join('') };
  }
  const p = afterLastPair(owner);
  if (!p) {
    return undefined;
  }
  const value = `{ ${entries.join(', ')} }`;
  if (owner.flow) {
    return { range: lines.range([p.at, p.at]), newText: `, ${key}: ${value}` };
  }
  const at = lines.lineEnd(lines.positionAt(p.at).line);
  return { range: lines.range([at, at]), newText: `\n${' '.repeat(p.column)}${key}: ${value}` };
}

async function missingParamsFix(model: FileModel, d: LspDiagnostic, range: OffsetRange, routine: string, params: string[], deps: CodeActionDeps): Promise<CodeAction | undefined> {
  const callee = await deps.index.routine(routine);
  const decl = (n: string) => callee?.facts.params.find((p) => p.name === n);
  const entries = params.map((n) => `${n}: ${placeholderValue(decl(n))}`);
  let edit: TextEdit | undefined;
  if (model.facts.kind === 'routine') {
    const ref = model.facts.routineRefs.find((r) => r.name === routine && r.anchor[0] === range[0]);
    if (ref) {
      edit = addEntries(model, ref.owner, ref.params, 'params', entries);
    }
  } else if (model.facts.kind === 'group') {
    const root = model.parsed.doc.contents;
    if (isMap(root)) {
      edit = addEntries(model, root, model.facts.routineConfig, 'routineConfig', entries);
    }
  }
  if (!edit) {
    return undefined;
  }
  const title = `Add missing parameter${params.length > 1 ? 's' : ''} ${params.map((p) => `'${p}'`).join(', ')}`;
  return fix(title, d, { documentChanges: [docEdit(deps, model, [edit])] }, true);
}

