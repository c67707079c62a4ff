/**
 * Completion: keys and values from the JSON Schemas (which come from the core's zod definitions), a snippet for
 * every action and condition (the schemas' defaultSnippets), and what only the workspace knows: template names
 * (with their image), routine names, the parameters of a called routine, pool names, devices, and variables
 * inside `${...}`.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import {
  CompletionItemKind,
  InsertTextFormat,
  InsertTextMode,
  MarkupKind,
  type CompletionItem,
  type Range,
  type TextEdit,
} from 'vscode-languageserver';
import { SYSTEM_VARIABLES } from '../bot/routine/actionCatalogue';
import { cursorContext, CURSOR_MARK, type CursorContext } from './cursorContext';
import type { DeviceList } from './devices';
import { paramMarkdown, paramSummary, routineMarkdown, templateMarkdown } from './docsFormat';
import { MAX_MODEL_CHARS } from './fileModel';
import type { ParamDecl } from './routineFacts';
import { visibleVariables } from './variableScope';
import { schemaFor } from './schemaCatalog';
import { schemaDoc, type JsonSchema, type SchemaNavigator, type Snippet } from './schemaNavigator';
import { needsQuotes, snippetText } from './yamlSnippets';
import type { WorkspaceIndex } from './workspaceIndex';
import { routinePath, type FleetFileKind, type WorkspacePaths } from './workspacePaths';
import type { TextLines } from './textLines';
import { valueOf, type PathKey } from './yamlNodes';

/** What completion needs of the document: its text (parsed once, with the cursor marker, by the completion itself). */
export interface CompletionDocument {
  path: string;
  kind: FleetFileKind;
  text: string;
  lines: TextLines;
}

export interface CompletionDeps {
  index: WorkspaceIndex;
  paths: WorkspacePaths;
  devices: DeviceList;
}

/** What the system variables hold (the names come from the core). */
const SYSTEM_VARIABLE_DOCS: Record<string, string> = {
  account_id: 'The id of the leased account (after checkoutAccount).',
  cycle: "The bot's cycle number.",
  bot_instance: "The bot's instance.",
  has_pool: 'true when the run has an account pool.',
  now: 'The clock time in ms (for elapsed.since).',
};

const TEMPLATE_KEYS = new Set(['tap', 'longPress', 'image', 'notImage']);

/** Routines at least this long are completed from the step around the cursor alone. */
export const WINDOW_FROM_CHARS = 8 * 1024;

/** Sort groups: workspace values, schema values, keys that choose a variant, other keys, snippets. */
const SORT = { semantic: '0', value: '1', mainKey: '2', key: '3', snippet: '4' };

function md(value: string | undefined): CompletionItem['documentation'] {
  return value ? { kind: MarkupKind.Markdown, value } : undefined;
}

function firstSentence(s: string | undefined, max = 80): string | undefined {
  if (!s) {
    return undefined;
  }
  const one = s.split('\n')[0];
  const cut = /^(.*?[.!?])(\s|$)/.exec(one)?.[1] ?? one;
  return cut.length > max ? `${cut.slice(0, max - 1)}…` : cut;
}

class ItemBuilder {
  readonly items: CompletionItem[] = [];
  private readonly labels = new Set<string>();
  private readonly range: Range;

  constructor(
    readonly doc: CompletionDocument,
    readonly ctx: CursorContext,
  ) {
    this.range = doc.lines.range(ctx.replace);
  }

  edit(newText: string): TextEdit {
    return { range: this.range, newText: this.ctx.needsSpace ? ` ${newText}` : newText };
  }

  add(item: Omit<CompletionItem, 'textEdit'> & { insert: string; snippet?: boolean }, sort: string): void {
    // A key and a snippet may share a label (`notImage`); the same value twice may not.
    const kind = item.kind === CompletionItemKind.Snippet || item.kind === CompletionItemKind.Property ? item.kind : 'value';
    const id = `${kind}:${item.label}`;
    if (this.labels.has(id) || (kind === 'value' && this.labels.has(`${CompletionItemKind.Snippet}:${item.label}`))) {
      return;
    }
    this.labels.add(id);
    const { insert, snippet, ...rest } = item;
    this.items.push({
      ...rest,
      textEdit: this.edit(insert),
      insertTextFormat: snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      ...(snippet && insert.includes('\n') ? { insertTextMode: InsertTextMode.asIs } : {}),
      sortText: `${sort}${String(this.items.length).padStart(4, '0')}`,
    });
  }

  /** A literal value, quoted when YAML needs it. */
  value(v: unknown): string {
    if (typeof v === 'string') {
      return needsQuotes(v, this.ctx.inFlow) ? JSON.stringify(v) : v;
    }
    return String(v);
  }
}

function snippetEscape(s: string): string {
  return s.replace(/[$}\\]/g, '\\$&');
}

/** Completion items at `offset` of a document. */
export async function complete(model: CompletionDocument, offset: number, deps: CompletionDeps): Promise<CompletionItem[]> {
  if (model.text.length > MAX_MODEL_CHARS) {
    return [];
  }
  // In a large routine only the step around the cursor is parsed (the whole text only for variables).
  const ctx = cursorContext(model.lines, offset, model.kind === 'routine' ? { windowFromChars: WINDOW_FROM_CHARS } : {});
  if (!ctx) {
    return [];
  }
  const b = new ItemBuilder(model, ctx);
  if (ctx.kind === 'variable') {
    if (model.kind === 'routine') {
      variableItems(b, true);
    }
    return b.items;
  }
  const nav = schemaFor(model.kind);
  if (ctx.kind === 'key') {
    await semanticKeys(b, model, ctx, deps);
    const item = isSeq(ctx.containers[ctx.containers.length - 1]) && ctx.existingKeys.length === 0;
    if (item) {
      // `- |` in a list: the item may be a plain value (a bare action, an instance) as well as a map.
      snippetItems(b, nav, ctx);
      await semanticValues(b, model, ctx, deps);
      schemaValues(b, nav.at(ctx.path, ctx.containers, CURSOR_MARK), nav, ctx, true);
      keyItems(b, nav, ctx);
    } else {
      keyItems(b, nav, ctx);
      if (ctx.existingKeys.length === 0) {
        snippetItems(b, nav, ctx);
      }
    }
    return b.items;
  }
  await semanticValues(b, model, ctx, deps);
  schemaValues(b, nav.at(ctx.path, ctx.containers, CURSOR_MARK), nav, ctx, false);
  return b.items;
}

// ---------------------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------------------

function keyItems(b: ItemBuilder, nav: SchemaNavigator, ctx: CursorContext): void {
  const schemas = nav.at(ctx.path, ctx.containers, CURSOR_MARK);
  const alts = nav.fitting(
    schemas.flatMap((s) => nav.alternatives(s)),
    ctx.map,
    CURSOR_MARK,
  );
  const main = new Set(alts.flatMap((a) => a.required ?? []));
  // An empty map of a union (a step, a condition): offer what chooses the variant, and what every variant has.
  const choosing = alts.length > 1 && ctx.existingKeys.length === 0;
  for (const alt of alts) {
    for (const [key, prop] of Object.entries(alt.properties ?? {})) {
      if (ctx.existingKeys.includes(key)) {
        continue;
      }
      if (choosing && !main.has(key) && !alts.every((a) => a.properties?.[key])) {
        continue;
      }
      const flat = nav.alternatives(prop);
      const doc = schemaDoc(prop) ?? schemaDoc(flat[0]);
      b.add(
        {
          label: key,
          kind: CompletionItemKind.Property,
          detail: firstSentence(prop.description ?? flat[0]?.description),
          documentation: md(doc),
          filterText: key,
          insert: keyInsert(key, flat, ctx),
          snippet: true,
        },
        main.has(key) && alts.length > 1 ? SORT.mainKey : SORT.key,
      );
    }
  }
}

function keyInsert(key: string, flat: JsonSchema[], ctx: CursorContext): string {
  if (ctx.keyHasColon) {
    return snippetEscape(key);
  }
  if (ctx.inFlow) {
    return `${snippetEscape(key)}: $0`;
  }
  const kinds = new Set(flat.map((a) => (a.properties || a.additionalProperties !== undefined ? 'object' : a.items ? 'array' : 'scalar')));
  const pad = ' '.repeat(ctx.column + 2);
  if (kinds.size === 1 && kinds.has('object')) {
    return `${snippetEscape(key)}:\n${pad}$0`;
  }
  if (kinds.size === 1 && kinds.has('array')) {
    return `${snippetEscape(key)}:\n${pad}- $0`;
  }
  return `${snippetEscape(key)}: $0`;
}

function snippetItems(b: ItemBuilder, nav: SchemaNavigator, ctx: CursorContext): void {
  if (ctx.keyHasColon) {
    return;
  }
  const schemas = nav.at(ctx.path, ctx.containers, CURSOR_MARK);
  for (const alt of schemas.flatMap((s) => nav.alternatives(s))) {
    for (const sn of alt.defaultSnippets ?? []) {
      const body = sn.body;
      const firstKey = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body)[0] : typeof body === 'string' ? body : undefined;
      if (ctx.inFlow && typeof body === 'object' && body !== null && !Array.isArray(body)) {
        continue;
      }
      b.add(
        {
          label: sn.label ?? firstKey ?? 'snippet',
          kind: CompletionItemKind.Snippet,
          detail: sn.description ?? firstSentence(alt.description),
          documentation: md(sn.markdownDescription ?? schemaDoc(alt)),
          filterText: firstKey,
          insert: snippetText(body, 'key', ctx.column),
          snippet: true,
        },
        SORT.snippet,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------------------

/** A value-level snippet of a property: bodies that repeat the property's key (`{ image: ... }` under `image`) are unwrapped. */
function valueSnippetBody(sn: Snippet, key: PathKey | undefined): { ok: boolean; body: unknown } {
  const body = sn.body;
  if (typeof key === 'string' && typeof body === 'object' && body !== null && !Array.isArray(body) && key in body) {
    const keys = Object.keys(body);
    return keys.length === 1 ? { ok: true, body: (body as Record<string, unknown>)[key] } : { ok: false, body };
  }
  return { ok: true, body };
}

function schemaValues(b: ItemBuilder, schemas: JsonSchema[], nav: SchemaNavigator, ctx: CursorContext, itemOnly: boolean): void {
  const key = ctx.path[ctx.path.length - 1];
  for (const s of schemas) {
    for (const alt of nav.alternatives(s)) {
      alt.enum?.forEach((v, i) => {
        b.add(
          {
            label: String(v),
            kind: CompletionItemKind.EnumMember,
            detail: firstSentence(alt.enumDescriptions?.[i]),
            documentation: md(alt.markdownEnumDescriptions?.[i] ?? alt.enumDescriptions?.[i]),
            insert: b.value(v),
          },
          SORT.value,
        );
      });
      if (alt.const !== undefined) {
        b.add({ label: String(alt.const), kind: CompletionItemKind.EnumMember, documentation: md(schemaDoc(alt)), insert: b.value(alt.const) }, SORT.value);
      }
      const types = Array.isArray(alt.type) ? alt.type : alt.type ? [alt.type] : [];
      if (types.includes('boolean')) {
        for (const v of [true, false]) {
          b.add({ label: String(v), kind: CompletionItemKind.Value, insert: String(v) }, SORT.value);
        }
      }
    }
    if (itemOnly) {
      continue;
    }
    // Snippets of the value (maps and lists in flow or block style under the key).
    for (const alt of [s, ...nav.alternatives(s)]) {
      for (const sn of alt.defaultSnippets ?? []) {
        const v = valueSnippetBody(sn, key);
        if (!v.ok) {
          continue;
        }
        b.add(
          {
            label: sn.label ?? (typeof v.body === 'string' ? v.body : 'snippet'),
            kind: CompletionItemKind.Snippet,
            detail: sn.description,
            documentation: md(sn.markdownDescription ?? schemaDoc(alt)),
            insert: snippetText(v.body, 'value', ctx.ownerColumn),
            snippet: true,
          },
          SORT.snippet,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// What the workspace knows
// ---------------------------------------------------------------------------------------------------------

function str(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

type ValueKind = 'template' | 'routine' | 'variable' | 'pool' | 'instance' | 'serial';

function valueKind(model: CompletionDocument, path: readonly PathKey[]): ValueKind | undefined {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (model.kind === 'routine') {
    if (typeof last !== 'string') {
      return undefined;
    }
    if (TEMPLATE_KEYS.has(last) || (last === 'template' && typeof parent === 'string' && TEMPLATE_KEYS.has(parent))) {
      return 'template';
    }
    if (last === 'call' || (path.length === 2 && path[0] === 'onError' && last === 'routine')) {
      return 'routine';
    }
    if (last === 'var' || last === 'increment' || last === 'decrement' || (last === 'since' && parent === 'elapsed')) {
      return 'variable';
    }
    return undefined;
  }
  if (model.kind === 'group') {
    if (path.length === 1 && last === 'routine') {
      return 'routine';
    }
    if (path.length === 1 && last === 'accountPool') {
      return 'pool';
    }
    if (path.length === 2 && path[0] === 'availableInstances') {
      return 'instance';
    }
    if (path.length === 4 && path[0] === 'launchOptions' && path[1] === 'overrides') {
      return last === 'instance' ? 'instance' : last === 'serial' ? 'serial' : undefined;
    }
  }
  return undefined;
}

async function semanticValues(b: ItemBuilder, model: CompletionDocument, ctx: CursorContext, deps: CompletionDeps): Promise<void> {
  switch (valueKind(model, ctx.path)) {
    case 'template':
      for (const t of await deps.index.templates()) {
        b.add(
          {
            label: t.def.name,
            kind: t.def.kind === 'color' ? CompletionItemKind.Color : CompletionItemKind.Reference,
            detail: `${t.def.kind === 'color' ? 'colour check' : 'template'} · ${t.file.path}`,
            documentation: md(templateMarkdown(t, deps.paths)),
            insert: b.value(t.def.name),
          },
          SORT.semantic,
        );
      }
      break;
    case 'routine':
      for (const name of await deps.index.routineNames()) {
        // The routine being edited is not parsed again for its own documentation.
        const r = routinePath(name) === model.path ? undefined : await deps.index.routine(name);
        b.add(
          {
            label: name,
            kind: CompletionItemKind.Module,
            detail: firstSentence(r?.facts.description) ?? routinePath(name),
            documentation: md(r ? routineMarkdown(r) : undefined),
            insert: b.value(name),
          },
          SORT.semantic,
        );
      }
      break;
    case 'variable':
      if (model.kind === 'routine') {
        variableItems(b, false);
      }
      break;
    case 'pool':
      for (const p of await deps.index.pools()) {
        b.add({ label: p.name, kind: CompletionItemKind.Value, detail: p.description ?? p.file.path, insert: b.value(p.name) }, SORT.semantic);
      }
      break;
    case 'instance':
      for (const d of deps.devices.list()) {
        if (d.instance !== undefined) {
          b.add({ label: String(d.instance), kind: CompletionItemKind.Value, detail: `instance · ${d.serial} (${d.state})`, insert: b.value(d.instance) }, SORT.semantic);
        }
        b.add({ label: d.serial, kind: CompletionItemKind.Value, detail: `device${d.instance !== undefined ? ` · instance ${d.instance}` : ''} (${d.state})`, insert: b.value(d.serial) }, SORT.semantic);
      }
      break;
    case 'serial':
      for (const d of deps.devices.list()) {
        b.add({ label: d.serial, kind: CompletionItemKind.Value, detail: `device${d.instance !== undefined ? ` · instance ${d.instance}` : ''} (${d.state})`, insert: b.value(d.serial) }, SORT.semantic);
      }
      break;
    default:
      break;
  }
}

/** The routine whose parameters a map holds: a call's `params`, an onError call's, or a group's `routineConfig`. */
function paramsOwner(model: CompletionDocument, ctx: CursorContext): string | undefined {
  const path = ctx.path;
  const last = path[path.length - 1];
  if (model.kind === 'routine' && last === 'params') {
    const owner = ctx.containers[ctx.containers.length - 1];
    if (isMap(owner)) {
      return str(valueOf(owner, 'call')) ?? (path.length === 2 && path[0] === 'onError' ? str(valueOf(owner, 'routine')) : undefined);
    }
  }
  if (model.kind === 'group') {
    const isConfig = (path.length === 1 && last === 'routineConfig') || (path.length === 4 && path[0] === 'launchOptions' && path[1] === 'overrides' && last === 'routineConfig');
    if (isConfig) {
      return str(valueOf(ctx.document().root, 'routine'));
    }
  }
  return undefined;
}

function placeholder(p: ParamDecl): string {
  if (p.default !== undefined) {
    return `\${1:${snippetEscape(typeof p.default === 'string' ? p.default : String(p.default))}}`;
  }
  switch (p.type) {
    case 'int':
    case 'number':
      return `\${1:${typeof p.min === 'number' ? p.min : 0}}`;
    case 'bool':
      return '${1|true,false|}';
    case 'enum':
      return p.values?.length ? `\${1|${p.values.map((v) => String(v).replace(/[,|]/g, '')).join(',')}|}` : '$1';
    default:
      return '"$1"';
  }
}

async function semanticKeys(b: ItemBuilder, model: CompletionDocument, ctx: CursorContext, deps: CompletionDeps): Promise<void> {
  const owner = paramsOwner(model, ctx);
  if (!owner) {
    return;
  }
  const routine = await deps.index.routine(owner);
  for (const p of routine?.facts.params ?? []) {
    if (ctx.existingKeys.includes(p.name)) {
      continue;
    }
    b.add(
      {
        label: p.name,
        kind: CompletionItemKind.Field,
        detail: paramSummary(p),
        documentation: md(paramMarkdown(owner, p)),
        insert: ctx.keyHasColon ? snippetEscape(p.name) : `${snippetEscape(p.name)}: ${placeholder(p)}`,
        snippet: true,
      },
      SORT.semantic,
    );
  }
}

/** Variables readable at `offset`: system variables, params, vars, and what steps before it set. */
function variableItems(b: ItemBuilder, closeBrace: boolean): void {
  const { doc, ctx } = b;
  const close = closeBrace && doc.text[ctx.replace[1]] !== '}' ? '}' : '';
  const seen = new Set<string>([CURSOR_MARK]);
  const add = (name: string, detail: string, documentation?: string) => {
    if (seen.has(name)) {
      return;
    }
    seen.add(name);
    b.add({ label: name, kind: CompletionItemKind.Variable, detail, documentation: md(documentation), insert: b.value(name) + close }, SORT.semantic);
  };
  const visible = visibleVariables(doc.lines, ctx.replace[0]);
  for (const v of visible) {
    if (v.param) {
      add(v.name, `param · ${paramSummary(v.param)}`, v.param.description);
    }
  }
  for (const v of visible) {
    if (!v.param) {
      add(v.name, v.kind === 'var' ? 'vars' : `${v.kind} · line ${doc.lines.positionAt(v.offset).line + 1}`);
    }
  }
  for (const s of SYSTEM_VARIABLES) {
    add(s, 'system variable', SYSTEM_VARIABLE_DOCS[s]);
  }
}
