import { strict as assert } from 'node:assert';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { MarkupContent, TextDocumentEdit, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { hover } from '../../../src/language/hover';
import { definition, references } from '../../../src/language/navigation';
import { prepareRename, rename } from '../../../src/language/rename';
import { Workspace } from './workspaceFixture';

describe('language/navigation, rename and hover', () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = new Workspace();
  });
  afterEach(() => ws.dispose());

  const caps = { renameFiles: true, versionOf: () => null };
  const rel = (uri: string) => decodeURIComponent(uri.slice(uri.indexOf(ws.root) + ws.root.length + 1));

  function apply(edit: WorkspaceEdit, path: string, text: string): string {
    const edits = (edit.documentChanges ?? []).filter((c): c is TextDocumentEdit => 'textDocument' in c && rel(c.textDocument.uri) === path).flatMap((c) => c.edits as TextEdit[]);
    return TextDocument.applyEdits(TextDocument.create('x', 'yaml', 1, text), edits);
  }

  it('goes from a call\'s param, and a group\'s routineConfig key, to the declaration', async () => {
    const { model, offset } = ws.openAt('routines/t.yaml', 'steps:\n  - call: wonder_pick\n    params: { ca|rd: 2 }\n');
    const [d] = await definition(model, offset, ws.index, ws.paths);
    assert.equal(rel(d.uri), 'routines/wonder_pick.yaml');
    const wp = await ws.model('routines/wonder_pick.yaml');
    assert.equal(wp.text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character), 'card');

    const g = ws.openAt('groups/wonder_pick_farmers.yaml', (await ws.model('groups/wonder_pick_farmers.yaml')).text.replace('  offer: 1', '  off|er: 1'));
    const [gd] = await definition(g.model, g.offset, ws.index, ws.paths);
    assert.equal(rel(gd.uri), 'routines/wonder_pick.yaml');
    assert.equal(wp.text.split('\n')[gd.range.start.line].trim().slice(0, 6), 'offer:');

    const pool = ws.openAt('groups/g.yaml', 'name: g\nroutine: recover\naccountPool: premium_acc|ounts\n');
    const [pd] = await definition(pool.model, pool.offset, ws.index, ws.paths);
    assert.equal(rel(pd.uri), 'pools/premium_accounts.yaml');
  });

  it('finds a parameter\'s uses in its routine, in calls and in groups', async () => {
    const { model, offset } = ws.openAt('routines/wonder_pick.yaml', (await ws.model('routines/wonder_pick.yaml')).text.replace('  card: {', '  ca|rd: {'));
    const refs = await references(model, offset, true, ws.index, ws.paths);
    const where = refs.map((r) => `${rel(r.uri)}:${r.range.start.line + 1}`);
    assert.ok(where.some((w) => w.startsWith('routines/wonder_pick.yaml:')));
    assert.ok(where.some((w) => w.startsWith('groups/wonder_pick_farmers.yaml:')), where.join(' '));
    assert.equal(where.filter((w) => w.startsWith('groups/wonder_pick_farmers.yaml:')).length, 2, 'routineConfig and the override');
  });

  it('keeps quotes and quotes what a plain scalar cannot hold when renaming a template', async () => {
    ws.write('routines/q.yaml', 'steps:\n  - if: { image: "title.logo" }\n    then: [ { tap: title.logo } ]\n');
    const { model, offset } = ws.openAt('routines/q.yaml', 'steps:\n  - if: { image: "title.lo|go" }\n    then: [ { tap: title.logo } ]\n');
    const edit = await rename(model, offset, '2024', ws.index, ws.paths, caps);
    assert.ok(edit);
    assert.equal(apply(edit, 'routines/q.yaml', model.text), 'steps:\n  - if: { image: "2024" }\n    then: [ { tap: "2024" } ]\n');
    const registry = await ws.model('templates/pocketPacks.yaml');
    assert.ok(apply(edit, 'templates/pocketPacks.yaml', registry.text).includes('  - name: "2024"\n'));
  });

  it('refuses renames that would break the workspace', async () => {
    const { model, offset } = ws.openAt('routines/t.yaml', 'steps:\n  - tap: title.lo|go\n  - call: nav/to_home\n');
    await assert.rejects(rename(model, offset, 'bad name!', ws.index, ws.paths, caps), /not a template name/);
    await assert.rejects(rename(model, offset, 'splash.logo', ws.index, ws.paths, caps), /already exists/);
    const call = model.text.indexOf('nav/to_home') + 3;
    await assert.rejects(rename(model, call, '../escape', ws.index, ws.paths, caps), /not a routine name/);
    await assert.rejects(rename(model, call, 'recover', ws.index, ws.paths, caps), /already exists/);
    await assert.rejects(rename(model, call, 'nav/home', ws.index, ws.paths, { renameFiles: false, versionOf: () => null }), /does not support/);
    const v = ws.openAt('routines/v.yaml', 'vars: { n: 0 }\nsteps:\n  - increment: |n\n');
    assert.equal(prepareRename(v.model, v.offset), undefined);
  });

  it('renames a routine that calls itself: edits first, then the move', async () => {
    ws.write('routines/loop.yaml', 'steps:\n  - call: loop\n');
    const m = await ws.model('routines/loop.yaml');
    const edit = await rename(m, m.text.indexOf('loop') + 1, 'loops/again', ws.index, ws.paths, caps);
    const ops = edit?.documentChanges ?? [];
    assert.equal(ops.length, 2);
    assert.ok('textDocument' in ops[0] && rel(ops[0].textDocument.uri) === 'routines/loop.yaml');
    assert.ok('kind' in ops[1] && ops[1].kind === 'rename' && rel(ops[1].newUri) === 'routines/loops/again.yaml');
    assert.equal(apply(edit!, 'routines/loop.yaml', m.text), 'steps:\n  - call: loops/again\n');
  });

  it('hovers parameters, variables, pools, enum values and bare actions', async () => {
    const text = 'params:\n  n: { type: int, default: 3, description: How many }\nsteps:\n  - set: { k: 1 }\n  - log: "${n} ${k}"\n  - waitFor: { image: x, onTimeout: continue }\n  - break\n';
    const h = async (needle: string, delta: number) => {
      const m = ws.open('routines/h.yaml', text);
      const r = await hover(m, text.indexOf(needle) + delta, ws.deps);
      return r ? (r.contents as MarkupContent).value : '';
    };
    assert.match(await h('${n}', 2), /\*\*n\*\* — parameter of `h`\n\nint, default 3\n\nHow many/);
    assert.match(await h('${k}', 2), /\*\*k\*\* — variable, set at line 4/);
    assert.match(await h('continue', 1), /`continue`: Go on with the next step/);
    assert.match(await h('- break', 3), /Leaves the innermost enclosing/);
    const g = ws.open('groups/g.yaml', 'name: g\nroutine: recover\naccountPool: premium_accounts\n');
    const ph = await hover(g, g.text.indexOf('premium_accounts') + 2, ws.deps);
    assert.match((ph?.contents as MarkupContent).value, /account pool \(`pools\/premium_accounts.yaml`\)\n\nPremium-pass accounts/);
  });

  it('shows a template\'s image when its path is hovered in the registry', async () => {
    const reg = await ws.model('templates/pocketPacks.yaml');
    const at = reg.text.indexOf('templates/pocketPacks/title.logo.png') + 5;
    const h = await hover(reg, at, ws.deps);
    assert.equal((h?.contents as MarkupContent).value, `![templates/pocketPacks/title.logo.png](${ws.paths.fileUri('templates/pocketPacks/title.logo.png')})\n\n\`templates/pocketPacks/title.logo.png\``);
  });
});
