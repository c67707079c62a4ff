/**
 * Quick fixes, checked the strong way: the edit is applied and the workspace validated again (the same validator
 * as `emulator-fleet validate`, through the overlay of open documents): the problem is gone and nothing new
 * appears.
 */
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, TextDocumentEdit, TextEdit } from 'vscode-languageserver';
import { validateWorkspace } from '../../../src/orchestrator/workspaceValidation';
import { codeActions } from '../../../src/language/codeActions';
import { toLspDiagnostic } from '../../../src/language/diagnostics';
import type { Diagnostic } from '../../../src/shared/geometry';
import { Workspace } from './workspaceFixture';

describe('language/codeActions', () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = new Workspace();
  });
  afterEach(() => ws.dispose());

  const rel = (uri: string) => decodeURIComponent(uri.slice(uri.indexOf(ws.root) + ws.root.length + 1));

  async function problems(): Promise<Diagnostic[]> {
    return validateWorkspace(ws.store);
  }

  /** The quick fixes of the diagnostics of `path` with `code`. */
  async function fixesFor(path: string, code: string): Promise<CodeAction[]> {
    const ds = (await problems()).filter((d) => d.file === path && d.code === code);
    assert.ok(ds.length, `no ${code} in ${path}: ${JSON.stringify(await problems())}`);
    const model = await ws.model(path);
    return codeActions(model, ds.map(toLspDiagnostic), { index: ws.index, paths: ws.paths, versionOf: () => 1 });
  }

  /** Applies a code action's text edits to the open documents (or disk texts) of the workspace. */
  async function apply(action: CodeAction): Promise<void> {
    for (const ch of action.edit?.documentChanges ?? []) {
      assert.ok('textDocument' in ch, 'only text edits expected here');
      const e = ch as TextDocumentEdit;
      const path = rel(e.textDocument.uri);
      const text = ws.store.get(path) ?? (await ws.model(path)).text;
      ws.open(path, TextDocument.applyEdits(TextDocument.create('x', 'yaml', 1, text), e.edits as TextEdit[]));
    }
  }

  it('takes the "did you mean" of an unknown key, routine, parameter or pool', async () => {
    ws.open('routines/t.yaml', 'params:\n  n: { type: int, default: 1 }\nsteps:\n  - call: nav/to_hoem\n  - if: { var: n }\n    thne: [ { log: x } ]\n');
    ws.open('groups/g.yaml', 'name: g\nroutine: wonder_pick\nroutineConfig: { crad: 2 }\navailableInstances: [1]\nrequestedBotCount: 1\naccountPool: premium_acounts\n');
    for (const [path, code] of [
      ['routines/t.yaml', 'unknown-key'],
      ['groups/g.yaml', 'unknown-param'],
      ['groups/g.yaml', 'unknown-pool'],
    ] as const) {
      const [fix] = await fixesFor(path, code);
      assert.match(fix.title, /^Change '.+' to '.+'$/);
      assert.equal(fix.isPreferred, true);
      await apply(fix);
    }
    // With the step fixed the file validates, and the unknown routine (a cross-file check) shows up; fix it too.
    const [routineFix] = await fixesFor('routines/t.yaml', 'unknown-routine');
    assert.equal(routineFix.title, "Change 'nav/to_hoem' to 'nav/to_home'");
    await apply(routineFix);
    assert.deepEqual((await problems()).filter((d) => d.severity === 'error'), []);
    assert.equal(ws.store.get('routines/t.yaml'), 'params:\n  n: { type: int, default: 1 }\nsteps:\n  - call: nav/to_home\n  - if: { var: n }\n    then: [ { log: x } ]\n');
  });

  it('adds missing parameters to a call: into params (block and flow), or as a new params', async () => {
    ws.write('routines/need.yaml', 'params:\n  a: { type: int, required: true, min: 2 }\n  b: { type: enum, values: [x, y], required: true }\n  c: { type: bool, required: true }\nsteps:\n  - wait: 1s\n');
    const cases: Array<[string, string]> = [
      ['steps:\n  - call: need\n', 'steps:\n  - call: need\n    params: { a: 2, b: x, c: false }\n'],
      ['steps:\n  - call: need\n    params:\n      a: 3 # first\n    when: { var: cycle }\n', 'steps:\n  - call: need\n    params:\n      a: 3 # first\n      b: x\n      c: false\n    when: { var: cycle }\n'],
      ['steps:\n  - { call: need, params: { c: true } }\n', 'steps:\n  - { call: need, params: { c: true, a: 2, b: x } }\n'],
      ['steps:\n  - { call: need }\n', 'steps:\n  - { call: need, params: { a: 2, b: x, c: false } }\n'],
      ['steps:\n  - call: need\n    params: {}\n', 'steps:\n  - call: need\n    params: { a: 2, b: x, c: false }\n'],
      ['steps:\n  - tap: title.logo\n    onError: { call: need }\n', 'steps:\n  - tap: title.logo\n    onError: { call: need, params: { a: 2, b: x, c: false } }\n'],
      ['onError: { action: call, routine: need }\nsteps:\n  - wait: 1s\n', 'onError: { action: call, routine: need, params: { a: 2, b: x, c: false } }\nsteps:\n  - wait: 1s\n'],
    ];
    for (const [before, after] of cases) {
      ws.open('routines/caller.yaml', before);
      const fixes = await fixesFor('routines/caller.yaml', 'missing-param');
      const add = fixes.find((f) => f.title.startsWith('Add missing parameter'));
      assert.ok(add, `${before}: ${JSON.stringify(fixes.map((f) => f.title))}`);
      await apply(add);
      assert.equal(ws.store.get('routines/caller.yaml'), after);
      assert.deepEqual((await problems()).filter((d) => d.file === 'routines/caller.yaml'), [], after);
    }
  });

  it('adds a group\'s missing parameters to routineConfig, creating it when needed', async () => {
    ws.write('routines/need.yaml', 'params:\n  a: { type: string, required: true }\nsteps:\n  - wait: 1s\n');
    for (const [before, after] of [
      ['name: g\nroutine: need\navailableInstances: [1]\nrequestedBotCount: 1\n', 'name: g\nroutine: need\navailableInstances: [1]\nrequestedBotCount: 1\nroutineConfig: { a: "" }\n'],
      ['name: g\nroutine: need\nroutineConfig:\n  b: 1\navailableInstances: [1]\nrequestedBotCount: 1\n', undefined],
    ] as const) {
      ws.open('groups/g.yaml', before);
      const fixes = await fixesFor('groups/g.yaml', 'missing-param');
      const add = fixes.find((f) => f.title === "Add missing parameter 'a'");
      assert.ok(add);
      await apply(add);
      if (after) {
        assert.equal(ws.store.get('groups/g.yaml'), after);
        assert.deepEqual((await problems()).filter((d) => d.file === 'groups/g.yaml'), []);
      } else {
        assert.equal(ws.store.get('groups/g.yaml'), 'name: g\nroutine: need\nroutineConfig:\n  b: 1\n  a: ""\navailableInstances: [1]\nrequestedBotCount: 1\n');
      }
    }
  });

  it('suggests a close template name, or creates the template in a registry file', async () => {
    ws.open('routines/t.yaml', 'steps:\n  - tap: title.lgo\n  - if: { image: brand.new }\n    then: [ { log: x } ]\n');
    const fixes = await fixesFor('routines/t.yaml', 'unknown-template');
    const titles = fixes.map((f) => f.title);
    assert.ok(titles.includes("Change 'title.lgo' to 'title.logo'"), titles.join(' | '));
    const create = fixes.find((f) => f.title === "Create template 'brand.new' in templates/pocketPacks.yaml");
    assert.ok(create);
    await apply(create);
    const left = (await problems()).filter((d) => d.code === 'unknown-template' || d.code === 'image-missing');
    // The entry exists now: what remains is its image, which the user captures next.
    assert.deepEqual(
      left.map((d) => [d.file, d.code, d.message]),
      [
        ['routines/t.yaml', 'unknown-template', "unknown template 'title.lgo'"],
        ['templates/pocketPacks.yaml', 'image-missing', "template 'brand.new': image 'templates/pocketPacks/brand.new.png' not found"],
      ],
    );
  });

  it('creates the templates list in a registry file that has none, and appends to a flow list', async () => {
    ws.write('templates/pocketPacks.yaml', 'referenceSize: 540x960\n');
    ws.open('routines/t.yaml', 'steps:\n  - tap: fresh\n');
    const [create] = (await fixesFor('routines/t.yaml', 'unknown-template')).filter((f) => f.title.startsWith('Create'));
    await apply(create);
    assert.equal(ws.store.get('templates/pocketPacks.yaml'), 'referenceSize: 540x960\ntemplates:\n  - name: fresh\n    image: templates/fresh.png\n');

    ws.write('templates/pocketPacks.yaml', 'templates: [ { name: a, image: templates/pocketPacks/a.png } ]\n');
    ws.store.remove('templates/pocketPacks.yaml');
    const [flow] = (await fixesFor('routines/t.yaml', 'unknown-template')).filter((f) => f.title.startsWith('Create'));
    await apply(flow);
    assert.equal(ws.store.get('templates/pocketPacks.yaml'), 'templates: [ { name: a, image: templates/pocketPacks/a.png }, { name: fresh, image: templates/pocketPacks/fresh.png } ]\n');
  });

  it('creates a registry file when there is none', async () => {
    rmSync(`${ws.root}/templates/pocketPacks.yaml`);
    ws.index.invalidate(['templates/pocketPacks.yaml'], true);
    ws.open('routines/t.yaml', 'steps:\n  - tap: fresh\n');
    const [create] = (await fixesFor('routines/t.yaml', 'unknown-template')).filter((f) => f.title.startsWith('Create'));
    assert.equal(create.title, "Create template 'fresh' in templates/templates.yaml");
    const [file, edit] = create.edit?.documentChanges ?? [];
    assert.ok(file && 'kind' in file && file.kind === 'create' && rel(file.uri) === 'templates/templates.yaml');
    assert.ok(edit && 'textDocument' in edit);
    assert.equal((edit.edits[0] as TextEdit).newText, 'templates:\n  - name: fresh\n    image: templates/fresh.png\n');
  });
});
