/** One parsed workspace file as the editor features see it: text, lines, YAML tree and its facts. */
import { parseYaml, type ParsedYaml } from '../shared/yamlSource';
import { groupFacts, poolFacts, type GroupFacts, type PoolFacts } from './definitionFacts';
import { routineFacts, type RoutineFacts } from './routineFacts';
import { templateFileFacts, type TemplateFileFacts } from './templateFacts';
import { TextLines } from './textLines';
import { fileKind, routineNameOf, type FleetFileKind } from './workspacePaths';

export type FileFacts = RoutineFacts | TemplateFileFacts | GroupFacts | PoolFacts;

/**
 * Files larger than this are not parsed by the editor features (no completion, outline or navigation in
 * them), so a huge file never stalls the server; the validator still reports on them.
 */
export const MAX_MODEL_CHARS = 512 * 1024;

export interface FileModel {
  /** Workspace-relative path. */
  path: string;
  kind: FleetFileKind;
  /** Registry name, for routines. */
  routineName?: string;
  text: string;
  lines: TextLines;
  parsed: ParsedYaml;
  facts: FileFacts;
  /** True when the file was too large to analyse (facts are empty). */
  tooLarge: boolean;
}

function emptyFacts(kind: FleetFileKind): FileFacts {
  switch (kind) {
    case 'routine':
      return { kind: 'routine', params: [], templateRefs: [], routineRefs: [], varDefs: [], varUses: [], outline: [] };
    case 'templates':
      return { kind: 'templates', defs: [], defaults: {} };
    case 'group':
      return { kind: 'group', configKeys: [] };
    case 'pool':
      return { kind: 'pool' };
  }
}

/** Parses a file of the workspace; undefined for paths the server does not serve. */
export function buildFileModel(path: string, text: string): FileModel | undefined {
  const kind = fileKind(path);
  if (!kind) {
    return undefined;
  }
  const tooLarge = text.length > MAX_MODEL_CHARS;
  const parsed = parseYaml(tooLarge ? '' : text, path);
  const root = parsed.doc.contents;
  let facts: FileFacts;
  if (tooLarge) {
    facts = emptyFacts(kind);
  } else {
    switch (kind) {
      case 'routine':
        facts = routineFacts(root, text);
        break;
      case 'templates':
        facts = templateFileFacts(root);
        break;
      case 'group':
        facts = groupFacts(root);
        break;
      case 'pool':
        facts = poolFacts(root);
        break;
    }
  }
  return { path, kind, routineName: routineNameOf(path), text, lines: new TextLines(text), parsed, facts, tooLarge };
}
