import { strict as assert } from 'node:assert';
import type { CompletionItem, MarkupContent } from 'vscode-languageserver';
import { complete } from '../../../src/language/completion';
import { MAX_MODEL_CHARS } from '../../../src/language/fileModel';
import { Workspace } from './workspaceFixture';

describe('language/completion', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
  });
  after(() => ws.dispose());

  async function items(rel: string, text: string): Promise<CompletionItem[]> {
    const { model, offset } = ws.openAt(rel, text);
    return complete(model, offset, ws.deps);
  }
  const labels = async (rel: string, text: string) => (await items(rel, text)).map((i) => i.label);
  const newText = (i: CompletionItem | undefined) => (i?.textEdit && 'newText' in i.textEdit ? i.textEdit.newText : undefined);

  it('offers what chooses a union\'s variant in an empty map, and what fits once chosen', async () => {
    assert.deepEqual(await labels('routines/t.yaml', 'steps:\n  - if: { | }\n'), ['image', 'notImage', 'any', 'all', 'none', 'not', 'var', 'color', 'appInForeground', 'elapsed']);
    assert.deepEqual((await labels('routines/t.yaml', 'steps:\n  - if: { var: x, | }\n')).slice(0, 4), ['eq', 'ne', 'gt', 'ge']);
    const call = await labels('routines/t.yaml', 'steps:\n  - call: recover\n    |\n');
    assert.ok(call.includes('params') && call.includes('save') && !call.includes('then'));
  });

  it('writes a key with the right layout for its value', async () => {
    const got = await items('routines/t.yaml', 'steps:\n  - tap: x\n    |\n');
    assert.equal(newText(got.find((i) => i.label === 'when')), 'when:\n      $0');
    assert.equal(newText(got.find((i) => i.label === 'retries')), 'retries: $0');
    const root = await items('routines/t.yaml', '|');
    assert.equal(newText(root.find((i) => i.label === 'steps')), 'steps:\n  - $0');
    // Renaming a key that already has its colon inserts the name only.
    const rename = await items('routines/t.yaml', 'steps:\n  - tap: x\n    ret|: 2\n');
    assert.equal(newText(rename.find((i) => i.label === 'retries')), 'retries');
  });

  it('offers enum values with their descriptions, booleans, and value snippets', async () => {
    const onTimeout = await items('routines/t.yaml', 'steps:\n  - waitFor: { image: x, onTimeout: | }\n');
    assert.deepEqual(onTimeout.map((i) => i.label), ['fail', 'continue']);
    const onBusy = await items('groups/g.yaml', 'name: g\nroutine: recover\nlaunchOptions:\n  onBusy: |\n');
    assert.deepEqual(onBusy.map((i) => i.label), ['fail', 'skip', 'wait']);
    assert.deepEqual(await labels('routines/t.yaml', 'steps:\n  - tap: { template: x, optional: | }\n'), ['true', 'false']);
    const restart = await items('groups/g.yaml', 'name: g\nroutine: recover\nlaunchOptions:\n  restart: |\n');
    assert.equal(newText(restart.find((i) => i.label === 'restart policy')), '\n    enabled: true\n    maxRestarts: 5\n    initialDelay: ${1:2s}\n    maxDelay: ${2:1m}\n    factor: 2');
  });

  it('offers a bare action as a list item as well as the step snippets', async () => {
    const got = await items('routines/t.yaml', 'steps:\n  - wait: 1s\n  - |\n');
    const brk = got.filter((i) => i.label === 'break');
    assert.ok(brk.some((i) => newText(i) === 'break'), JSON.stringify(brk));
    assert.ok(got.some((i) => i.label === 'tap (template)' && newText(i) === 'tap: ${1:template}'));
  });

  it('completes template names everywhere a template is named, colour checks included', async () => {
    for (const t of ['steps:\n  - tap: |\n', 'steps:\n  - longPress: { template: | }\n', 'steps:\n  - if: { notImage: | }\n    then: [ break ]\n', 'steps:\n  - if: { image: { template: | } }\n    then: [ break ]\n']) {
      const got = await items('routines/t.yaml', t);
      assert.ok(got.some((i) => i.label === 'title.logo'), t);
    }
    const color = (await items('routines/t.yaml', 'steps:\n  - tap: |\n')).find((i) => i.label === 'packSelect.premiumSelected');
    assert.ok(color);
    assert.match((color.documentation as MarkupContent).value, /colour `#fff55e`/);
  });

  it('completes routines for onError calls, and the params of the routine called there', async () => {
    const names = await labels('routines/t.yaml', 'onError: { action: call, routine: | }\nsteps:\n  - wait: 1s\n');
    assert.ok(names.includes('recover') && names.includes('nav/to_home'));
    assert.deepEqual(await labels('routines/t.yaml', 'onError: { action: call, routine: recover, params: { | } }\nsteps:\n  - wait: 1s\n'), ['reason']);
    assert.deepEqual(await labels('routines/t.yaml', 'steps:\n  - tap: x\n    onError: { call: recover, params: { | } }\n'), ['reason']);
  });

  it('completes a group\'s routineConfig and overrides with the routine\'s params', async () => {
    assert.deepEqual(await labels('groups/g.yaml', 'name: g\nroutine: wonder_pick\nroutineConfig:\n  card: 2\n  |\n'), ['offer']);
    assert.deepEqual(
      (await labels('groups/g.yaml', 'name: g\nroutine: wonder_pick\nlaunchOptions:\n  overrides:\n    - instance: 1\n      routineConfig: { | }\n')).sort(),
      ['card', 'offer'],
    );
  });

  it('completes variable names where a variable is named (var, increment, elapsed.since)', async () => {
    const text = (v: string) => `params:\n  n: { type: int, default: 1 }\nsteps:\n  - set: { clock: "\${now}" }\n${v}`;
    for (const v of ['  - if: { var: | }\n    then: [ break ]\n', '  - increment: |\n', '  - waitFor: { elapsed: { since: |, gt: 1s } }\n']) {
      const got = await labels('routines/t.yaml', text(v));
      assert.ok(got.includes('n') && got.includes('clock') && got.includes('cycle'), `${v}: ${got.join(', ')}`);
      assert.ok(!got.includes('__fleet_cursor__'));
    }
  });

  it('closes ${ with } only when it is not closed yet', async () => {
    const open = await items('routines/t.yaml', 'steps:\n  - log: "${cy|"\n');
    assert.equal(newText(open.find((i) => i.label === 'cycle')), 'cycle}');
    const closed = await items('routines/t.yaml', 'steps:\n  - log: "${cy|}"\n');
    assert.equal(newText(closed.find((i) => i.label === 'cycle')), 'cycle');
  });

  it('offers no device until the client sent the list', async () => {
    const text = 'name: g\nroutine: recover\nlaunchOptions:\n  overrides:\n    - instance: 1\n      serial: |\n';
    assert.deepEqual(await labels('groups/g.yaml', text), []);
    ws.devices.update({ devices: [{ serial: 'emulator-5554', instance: 0, state: 'device' }, { bogus: true }] });
    assert.deepEqual(await labels('groups/g.yaml', text), ['emulator-5554']);
    ws.devices.update({ devices: [] });
  });

  it('stays quiet in a file too large to analyse', async () => {
    const big = `steps:\n${'  - wait: 1s\n'.repeat(Math.ceil(MAX_MODEL_CHARS / 12) + 1)}  - |\n`;
    assert.deepEqual(await labels('routines/t.yaml', big), []);
  });
});
