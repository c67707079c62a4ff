/**
 * The language server as a process, through LSP: a temporary copy of the shipped workspace, the bundled server
 * over stdio, and a client that waits for the server's notifications (never for fixed times).
 */
import { strict as assert } from 'node:assert';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type {
  CodeAction,
  CompletionItem,
  CompletionList,
  Diagnostic,
  DocumentSymbol,
  FoldingRange,
  Hover,
  Location,
  MarkupContent,
  RenameFile,
  TextDocumentEdit,
  WorkspaceEdit,
} from 'vscode-languageserver/node';
import { ACTION_NAMES, CONDITION_KINDS } from '../../../src/bot/routine/actionCatalogue';
import { copyWorkspace, LspTestClient, marked } from '../../support/lspClient';

const FARM = 'routines/farm_premium.yaml';
const TEMPLATES = 'templates/pocketPacks.yaml';

function items(r: CompletionItem[] | CompletionList | null): CompletionItem[] {
  return !r ? [] : Array.isArray(r) ? r : r.items;
}

function labels(r: CompletionItem[] | CompletionList | null): string[] {
  return items(r).map((i) => i.label);
}

function markdown(h: Hover | null): string {
  return h ? (h.contents as MarkupContent).value : '';
}

/** Applies the text edits of a workspace edit for one URI to a text. */
function applyTo(edit: WorkspaceEdit, uri: string, text: string): string {
  const edits = (edit.documentChanges ?? []).filter((c): c is TextDocumentEdit => 'textDocument' in c && c.textDocument.uri === uri).flatMap((c) => c.edits);
  return TextDocument.applyEdits(TextDocument.create(uri, 'yaml', 1, text), edits as Parameters<typeof TextDocument.applyEdits>[1]);
}

describe('language server (LSP over stdio)', function () {
  let root: string;
  let c: LspTestClient;

  before(async () => {
    root = copyWorkspace();
    c = await LspTestClient.start(root);
  });

  after(async () => {
    await c?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function complete(rel: string, textWithCursor: string): Promise<CompletionItem[]> {
    const m = marked(textWithCursor);
    await c.change(rel, m.text);
    return items(await c.request<CompletionItem[] | CompletionList | null>('textDocument/completion', c.position(rel, m.line, m.character)));
  }

  describe('completion', () => {
    const DOC = 'routines/authoring.yaml';

    before(async () => {
      writeFileSync(path.join(root, DOC), 'steps:\n  - wait: 1s\n');
      await c.open(DOC);
    });

    it('offers the keys of a step from the schema, and only those that fit the step', async () => {
      const got = labels(await complete(DOC, 'steps:\n  - tap: home.packsButton\n    |\n'));
      assert.deepEqual(got.sort(), ['backoff', 'id', 'name', 'onError', 'retries', 'timeout', 'when']);
    });

    it('offers a snippet for every action and every condition', async () => {
      const step = await complete(DOC, 'steps:\n  - |\n');
      const snippetKeys = new Set(step.filter((i) => i.kind === 15 /* Snippet */).map((i) => i.filterText));
      for (const a of ACTION_NAMES) {
        assert.ok(snippetKeys.has(a), `no snippet for action ${a}`);
      }
      const tap = step.find((i) => i.label === 'tap (point)');
      assert.equal(tap?.textEdit && 'newText' in tap.textEdit ? tap.textEdit.newText : undefined, 'tap: { x: 270, y: 480 }');
      const ifSnippet = step.find((i) => i.label === 'if');
      assert.equal(ifSnippet?.textEdit && 'newText' in ifSnippet.textEdit ? ifSnippet.textEdit.newText : '', 'if: { image: ${1:template} }\n    then:\n      - tap: ${1:template}');

      const cond = await complete(DOC, 'steps:\n  - if:\n      |\n    then: [ break ]\n');
      const condSnippets = new Set(cond.filter((i) => i.kind === 15).map((i) => i.filterText));
      for (const k of CONDITION_KINDS) {
        assert.ok(condSnippets.has(k), `no snippet for condition ${k}`);
      }
    });

    it('completes template names with their image in the documentation', async () => {
      const got = await complete(DOC, 'steps:\n  - tap: home.pa|\n');
      const t = got.find((i) => i.label === 'home.packsButton');
      assert.ok(t, `template names: ${got.map((i) => i.label).join(', ')}`);
      const doc = (t.documentation as MarkupContent).value;
      assert.match(doc, /!\[home\.packsButton\]\(file:\/\/.*templates\/pocketPacks\/home\.packsButton\.png\)/);
      assert.match(doc, /threshold 0\.8/);
      assert.match(doc, /region x 118, y 334, w 304, h 212/);
      // The edit replaces the whole name being typed.
      assert.deepEqual(t.textEdit && 'range' in t.textEdit ? t.textEdit.range : undefined, { start: { line: 1, character: 9 }, end: { line: 1, character: 16 } });
      const inCondition = labels(await complete(DOC, 'steps:\n  - waitFor: { image: |, timeout: 5s }\n'));
      assert.ok(inCondition.includes('title.logo'));
    });

    it('completes routine names for call, and the called routine\'s params', async () => {
      const names = labels(await complete(DOC, 'steps:\n  - call: |\n'));
      for (const n of ['farm_premium', 'nav/to_home', 'nav/wonder_pick_card', 'recover', 'sentries/popups', 'wonder_pick']) {
        assert.ok(names.includes(n), `${n} missing from ${names.join(', ')}`);
      }
      const params = await complete(DOC, 'steps:\n  - call: wonder_pick\n    params:\n      card: 2\n      |\n');
      assert.deepEqual(labels(params), ['offer']);
      assert.equal(params[0].detail, 'int, 1…3, default 1');
      assert.equal(params[0].textEdit && 'newText' in params[0].textEdit ? params[0].textEdit.newText : '', 'offer: ${1:1}');
    });

    it('completes variables inside ${...}: params, vars, system variables, and what steps before the cursor set', async () => {
      const got = labels(
        await complete(DOC, 'params:\n  count: { type: int, default: 1 }\nvars:\n  total: 0\nsteps:\n  - set: { before: 1 }\n  - log: "n=${|"\n  - set: { after: 2 }\n'),
      );
      for (const v of ['count', 'total', 'before', 'account_id', 'cycle', 'bot_instance', 'has_pool', 'now']) {
        assert.ok(got.includes(v), `${v} missing from ${got.join(', ')}`);
      }
      assert.ok(!got.includes('after'), 'a variable set after the cursor is not offered');
    });

    it('completes pool names in a group, and devices only once the client sent them', async () => {
      const G = 'groups/premium_farmers.yaml';
      await c.open(G);
      const base = c.disk(G);
      const pools = labels(await complete(G, base.replace('accountPool: premium_accounts', 'accountPool: |')));
      assert.deepEqual(pools.sort(), ['premium_accounts', 'wonder_pick_accounts']);
      const instancesText = base.replace('availableInstances: [1, 2, 3, 4]', 'availableInstances: [1, |]');
      assert.deepEqual(labels(await complete(G, instancesText)), []);
      await c.connection.sendNotification('fleet/devices', { devices: [{ serial: 'emulator-5556', instance: 1, state: 'device' }, { serial: '127.0.0.1:16384', state: 'offline' }] });
      assert.deepEqual(labels(await complete(G, instancesText)).sort(), ['1', '127.0.0.1:16384', 'emulator-5556']);
      await c.change(G, base);
    });
  });

  describe('diagnostics', () => {
    it('reports a typo at its exact range with a did-you-mean quick fix, and clears it once fixed', async () => {
      const good = c.disk(FARM);
      await c.open(FARM);
      assert.deepEqual(await c.diagnosticsAt(FARM, 1), []);
      const bad = good.replace('    max: 40\n', '    maxx: 40\n');
      const v = await c.change(FARM, bad);
      const ds = await c.diagnosticsAt(FARM, v);
      const typo = ds.find((d) => d.code === 'unknown-key');
      assert.ok(typo, JSON.stringify(ds));
      const line = bad.split('\n').findIndex((l) => l.includes('maxx: 40'));
      assert.deepEqual(typo.range, { start: { line, character: 8 }, end: { line, character: 12 } });
      assert.match(String(typo.message), /did you mean 'max'\?/);
      const actions = await c.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: c.uri(FARM) }, range: typo.range, context: { diagnostics: [typo] } });
      const fix = actions.find((a) => a.title === "Change 'maxx' to 'max'");
      assert.ok(fix?.edit, JSON.stringify(actions));
      const fixed = applyTo(fix.edit, c.uri(FARM), bad);
      assert.equal(fixed, good);
      const v2 = await c.change(FARM, fixed);
      assert.deepEqual(await c.diagnosticsAt(FARM, v2), []);
    });

    it('updates the routines that use a template when the template file changes', async () => {
      const routine = 'routines/nav/to_home.yaml';
      await c.open(TEMPLATES);
      const original = c.disk(TEMPLATES);
      const renamed = original.replace('- name: dialog.quit.cancel\n', '- name: dialog.quit.abort\n');
      assert.notEqual(renamed, original);
      await c.change(TEMPLATES, renamed);
      const ds = await c.waitForDiagnostics(routine, (p) => p.diagnostics.some((d) => d.code === 'unknown-template'), { current: true });
      const d = ds.find((x) => x.code === 'unknown-template')!;
      const text = c.disk(routine);
      const line = text.split('\n').findIndex((l) => l.includes('tap: dialog.quit.cancel'));
      assert.equal(d.range.start.line, line);
      assert.equal(text.split('\n')[line].slice(d.range.start.character, d.range.end.character), 'dialog.quit.cancel');
      await c.change(TEMPLATES, original);
      await c.waitForDiagnostics(routine, (p) => p.diagnostics.length === 0, { current: true });
      await c.close(TEMPLATES);
    });

    it('follows files changed on disk, as the client\'s file watcher reports them', async () => {
      const R = 'routines/disk.yaml';
      writeFileSync(path.join(root, R), 'steps:\n  - tap: disk.new\n');
      await c.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: c.uri(R), type: 1 }] });
      await c.waitForDiagnostics(R, (p) => p.diagnostics.some((d) => d.code === 'unknown-template'), { current: true });
      const T = 'templates/disk.yaml';
      writeFileSync(path.join(root, T), 'templates:\n  - name: disk.new\n    image: templates/pocketPacks/title.logo.png\n');
      await c.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: c.uri(T), type: 1 }] });
      await c.waitForDiagnostics(R, (p) => p.diagnostics.length === 0, { current: true });
      await c.open(R);
      const got = labels(await complete(R, 'steps:\n  - tap: disk.|\n'));
      assert.ok(got.includes('disk.new'), got.join(', '));
      rmSync(path.join(root, T));
      rmSync(path.join(root, R));
      await c.close(R);
      await c.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: c.uri(T), type: 3 }, { uri: c.uri(R), type: 3 }] });
      await c.waitForDiagnostics(R, (p) => p.diagnostics.length === 0, { current: true });
    });

    it('offers to add a missing required parameter and to create a missing template', async () => {
      const R = 'routines/fixes.yaml';
      const text = 'params:\n  who: { type: string, required: true }\nsteps:\n  - tap: brand.new\n  - call: fixes\n';
      writeFileSync(path.join(root, R), text);
      await c.open(R);
      const ds = await c.diagnosticsAt(R, 1);
      const missing = ds.find((d) => d.code === 'missing-param');
      const unknown = ds.find((d) => d.code === 'unknown-template');
      assert.ok(missing && unknown, JSON.stringify(ds));
      const actions = await c.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: c.uri(R) }, range: missing.range, context: { diagnostics: [missing, unknown] } });
      const add = actions.find((a) => a.title === "Add missing parameter 'who'");
      assert.ok(add?.edit, JSON.stringify(actions.map((a) => a.title)));
      assert.equal(applyTo(add.edit, c.uri(R), text), 'params:\n  who: { type: string, required: true }\nsteps:\n  - tap: brand.new\n  - call: fixes\n    params: { who: "" }\n');
      const create = actions.find((a) => a.title === `Create template 'brand.new' in ${TEMPLATES}`);
      assert.ok(create?.edit);
      const registry = applyTo(create.edit, c.uri(TEMPLATES), c.disk(TEMPLATES));
      const entries = (parse(registry) as { templates: Array<{ name: string; image: string }> }).templates;
      assert.deepEqual(entries[entries.length - 1], { name: 'brand.new', image: 'templates/pocketPacks/brand.new.png' });
      await c.close(R);
      rmSync(path.join(root, R));
    });
  });

  describe('navigation', () => {
    function position(rel: string, needle: string, delta = 0): { line: number; character: number } {
      const text = c.text(rel);
      const at = text.indexOf(needle);
      assert.ok(at >= 0, `${needle} not in ${rel}`);
      const before = text.slice(0, at + delta);
      return { line: before.split('\n').length - 1, character: before.length - before.lastIndexOf('\n') - 1 };
    }

    it('hovers a template with its image, threshold and region; a call with the routine\'s params; a key with its documentation', async () => {
      const p = position(FARM, 'tap: packSelect.open', 8);
      const h = markdown(await c.request<Hover>('textDocument/hover', c.position(FARM, p.line, p.character)));
      assert.match(h, /!\[packSelect\.open\]\(file:\/\/.*packSelect\.open\.png\)/);
      assert.match(h, /threshold/);
      assert.match(h, /region x \d+/);
      const w = position('routines/wonder_pick.yaml', 'call: nav/wonder_pick_card', 8);
      await c.open('routines/wonder_pick.yaml');
      const hc = markdown(await c.request<Hover>('textDocument/hover', c.position('routines/wonder_pick.yaml', w.line, w.character)));
      assert.match(hc, /\| `card` \(required\) \| int 1…5 \|  \| The card, 1-5 \|/);
      const k = position(FARM, 'sentries:', 2);
      const hk = markdown(await c.request<Hover>('textDocument/hover', c.position(FARM, k.line, k.character)));
      assert.match(hk, /Watchers polled while the routine runs/);
    });

    it('goes to the definition of a template, a routine, a parameter and a variable', async () => {
      const t = position(FARM, 'tap: packSelect.open', 8);
      const [td] = await c.request<Location[]>('textDocument/definition', c.position(FARM, t.line, t.character));
      assert.equal(td.uri, c.uri(TEMPLATES));
      assert.equal(c.disk(TEMPLATES).split('\n')[td.range.start.line].trim(), '- name: packSelect.open');

      const r = position(FARM, 'call: nav/to_home', 8);
      const [rd] = await c.request<Location[]>('textDocument/definition', c.position(FARM, r.line, r.character));
      assert.equal(rd.uri, c.uri('routines/nav/to_home.yaml'));

      const v = position(FARM, '${packs}', 3);
      const [pd] = await c.request<Location[]>('textDocument/definition', c.position(FARM, v.line, v.character));
      assert.equal(pd.uri, c.uri(FARM));
      assert.deepEqual(pd.range.start, position(FARM, 'packs: { type: int'));

      const o = position(FARM, '${opened} of', 3);
      const defs = await c.request<Location[]>('textDocument/definition', c.position(FARM, o.line, o.character));
      assert.deepEqual(
        defs.map((d) => d.range.start),
        [position(FARM, 'opened: 0'), position(FARM, 'increment: opened', 11)],
      );
    });

    it('finds every reference of a template and of a routine across files', async () => {
      const t = position(FARM, 'tap: home.packsButton', 8);
      const refs = await c.request<Location[]>('textDocument/references', { ...c.position(FARM, t.line, t.character), context: { includeDeclaration: true } });
      const files = [...new Set(refs.map((r) => path.relative(root, new URL(r.uri).pathname)))].sort();
      assert.deepEqual(files, ['routines/farm_premium.yaml', 'routines/nav/to_home.yaml', 'routines/wonder_pick.yaml', TEMPLATES]);
      for (const r of refs) {
        const text = c.disk(path.relative(root, new URL(r.uri).pathname));
        const line = text.split('\n')[r.range.start.line];
        assert.equal(line.slice(r.range.start.character, r.range.end.character), 'home.packsButton');
      }
      const rr = position(FARM, 'call: nav/to_home', 8);
      const callers = await c.request<Location[]>('textDocument/references', { ...c.position(FARM, rr.line, rr.character), context: { includeDeclaration: false } });
      assert.deepEqual([...new Set(callers.map((x) => path.relative(root, new URL(x.uri).pathname)))].sort(), ['routines/farm_premium.yaml', 'routines/recover.yaml', 'routines/wonder_pick.yaml']);
    });

    it('renames a template in its registry entry and every routine', async () => {
      const t = position(FARM, 'tap: packSelect.open', 8);
      const prep = await c.request<{ placeholder: string }>('textDocument/prepareRename', c.position(FARM, t.line, t.character));
      assert.equal(prep.placeholder, 'packSelect.open');
      const edit = await c.request<WorkspaceEdit>('textDocument/rename', { ...c.position(FARM, t.line, t.character), newName: 'packSelect.openButton' });
      const touched = (edit.documentChanges ?? []).map((ch) => ('textDocument' in ch ? path.relative(root, new URL(ch.textDocument.uri).pathname) : ch.kind));
      assert.deepEqual(touched.sort(), [FARM, TEMPLATES].sort());
      assert.ok(applyTo(edit, c.uri(TEMPLATES), c.disk(TEMPLATES)).includes('- name: packSelect.openButton\n'));
      const farm = applyTo(edit, c.uri(FARM), c.text(FARM));
      assert.ok(farm.includes('tap: packSelect.openButton') && !farm.includes('packSelect.open\n'));
      // The open document's edits carry its version.
      const farmEdit = edit.documentChanges!.find((ch): ch is TextDocumentEdit => 'textDocument' in ch && ch.textDocument.uri === c.uri(FARM))!;
      assert.equal(typeof farmEdit.textDocument.version, 'number');
    });

    it('renames a routine: its file moves and every call and group follows', async () => {
      const p = position('routines/wonder_pick.yaml', 'call: nav/wonder_pick_card', 8);
      const edit = await c.request<WorkspaceEdit>('textDocument/rename', { ...c.position('routines/wonder_pick.yaml', p.line, p.character), newName: 'nav/pick_card' });
      const ops = edit.documentChanges ?? [];
      const move = ops.find((o): o is RenameFile => 'kind' in o && o.kind === 'rename');
      assert.ok(move, JSON.stringify(ops));
      assert.equal(path.relative(root, new URL(move.oldUri).pathname), 'routines/nav/wonder_pick_card.yaml');
      assert.equal(path.relative(root, new URL(move.newUri).pathname), 'routines/nav/pick_card.yaml');
      assert.equal(ops[ops.length - 1], move, 'text edits come before the move');
      const wp = applyTo(edit, c.uri('routines/wonder_pick.yaml'), c.text('routines/wonder_pick.yaml'));
      assert.ok(wp.includes('- call: nav/pick_card\n'));

      const g = 'groups/premium_farmers.yaml';
      const gp = position(g, 'routine: farm_premium', 9);
      const gEdit = await c.request<WorkspaceEdit>('textDocument/rename', { ...c.position(g, gp.line, gp.character), newName: 'farm/premium' });
      const gOps = gEdit.documentChanges ?? [];
      assert.ok(applyTo(gEdit, c.uri(g), c.text(g)).includes('routine: farm/premium\n'));
      assert.ok(gOps.some((o) => 'kind' in o && o.kind === 'rename' && path.relative(root, new URL(o.newUri).pathname) === 'routines/farm/premium.yaml'));
      await assert.rejects(
        c.request('textDocument/rename', { ...c.position(g, gp.line, gp.character), newName: 'wonder_pick' }),
        /already exists/,
      );
    });

    it('outlines a routine with nested steps, and folds its blocks', async () => {
      const symbols = await c.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: c.uri(FARM) } });
      assert.deepEqual(symbols.map((s) => s.name), ['params', 'sentries', 'steps']);
      const steps = symbols[2].children!;
      assert.deepEqual(steps.map((s) => s.name), ['checkoutAccount { onEmpty: stop }', 'call nav/to_home', 'repeat ${packs}', 'call nav/to_home', 'completeAccount { stats: { packs_opened: "${opened}" } }']);
      const until = steps[2].children!.find((s) => s.name.startsWith('until'))!;
      const ifStep = until.children![0];
      assert.match(ifStep.name, /^if \{ any:/);
      assert.deepEqual(ifStep.children!.map((s) => s.name.split(' ')[0]), ['tap', 'failAccount', 'fail', 'elif', 'elif', 'elif', 'elif', 'else']);
      const folds = await c.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri: c.uri(FARM) } });
      const text = c.text(FARM).split('\n');
      const stepsLine = text.indexOf('steps:');
      const stepsFold = folds.find((f) => f.startLine === stepsLine);
      assert.equal(stepsFold?.endLine, text.length - 2, 'steps: folds to the last line');
      assert.ok(folds.some((f) => f.kind === 'comment' && f.startLine === 0));
    });
  });

  describe('robustness', () => {
    it('keeps serving a document it cannot parse', async () => {
      const R = 'routines/broken.yaml';
      writeFileSync(path.join(root, R), 'steps: [\n');
      await c.open(R);
      const ds: Diagnostic[] = await c.diagnosticsAt(R, 1);
      assert.ok(ds.length > 0 && ds.every((d) => d.code?.toString().startsWith('yaml-')), JSON.stringify(ds));
      const got = await c.request<CompletionItem[]>('textDocument/completion', c.position(R, 0, 8));
      assert.ok(Array.isArray(got));
      const symbols = await c.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: c.uri(R) } });
      assert.ok(Array.isArray(symbols));
      await c.close(R);
      rmSync(path.join(root, R));
    });
  });

  it('serves over node IPC, the way the VS Code client starts it', async () => {
    const ipc = await LspTestClient.start(root, {}, undefined, 'ipc');
    try {
      await ipc.open(FARM);
      assert.deepEqual(await ipc.diagnosticsAt(FARM, 1), []);
      const m = marked('steps:\n  - tap: |\n');
      await ipc.change(FARM, m.text);
      const got = labels(await ipc.request<CompletionItem[]>('textDocument/completion', ipc.position(FARM, m.line, m.character)));
      assert.ok(got.includes('home.packsButton'));
    } finally {
      await ipc.stop();
    }
  });
});
