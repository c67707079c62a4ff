/**
 * The server's diagnostics come from the same validator as `emulator-fleet validate`: through the overlay of open
 * documents, kept across edits (cached routine parses), on a worker thread — always the same result as a fresh
 * validation of the same texts.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NodeFileStore } from '../../../src/host/nodePorts';
import { ParseCache, validateWorkspace } from '../../../src/orchestrator/workspaceValidation';
import { OverlayFileStore } from '../../../src/language/overlayFileStore';
import { ValidationCancelled, WorkerValidationRunner, WorkspaceValidator, type ValidationRequest } from '../../../src/language/validationRunner';
import { copyWorkspace } from '../../support/lspClient';

/** A fresh validation of the same texts: the disk, with the open documents written over it in a copy. */
async function fresh(root: string, overlays: Array<[string, string]>): Promise<unknown> {
  const copy = mkdtempSync(path.join(tmpdir(), 'fleet-lsp-fresh-'));
  try {
    cpSync(root, copy, { recursive: true });
    for (const [p, text] of overlays) {
      writeFileSync(path.join(copy, p), text);
    }
    return await validateWorkspace(new NodeFileStore(copy));
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

describe('language/validation', () => {
  let root: string;
  before(() => {
    root = copyWorkspace();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const farm = () => new NodeFileStore(root).readText('routines/farm_premium.yaml');
  const templates = () => new NodeFileStore(root).readText('templates/pocketPacks.yaml');

  it('reads open documents over the disk: listing, stat and text', async () => {
    const store = new OverlayFileStore(new NodeFileStore(root));
    store.set('routines/new/unsaved.yaml', 'steps: []\n');
    assert.deepEqual(await store.list('routines/new'), ['unsaved.yaml']);
    assert.ok((await store.list('routines')).includes('new'));
    assert.equal((await store.stat('routines/new'))?.isDirectory, true);
    assert.equal((await store.stat('routines/new/unsaved.yaml'))?.size, 10);
    store.set('routines/recover.yaml', 'changed');
    assert.equal(await store.readText('routines/recover.yaml'), 'changed');
    store.remove('routines/recover.yaml');
    assert.notEqual(await store.readText('routines/recover.yaml'), 'changed');
  });

  it('gives what a fresh validation gives, edit after edit, while reusing unchanged files', async () => {
    const validator = new WorkspaceValidator();
    const f = await farm();
    const t = await templates();
    const g = await new NodeFileStore(root).readText('groups/premium_farmers.yaml');
    const p = await new NodeFileStore(root).readText('pools/premium_accounts.yaml');
    const steps: Array<Array<[string, string]>> = [
      [],
      [['routines/farm_premium.yaml', f.replace('    max: 40\n', '    maxx: 40\n')]],
      [['routines/farm_premium.yaml', f]],
      [['templates/pocketPacks.yaml', t.replace('- name: home.packsButton\n', '- name: home.packs\n')]],
      [
        ['templates/pocketPacks.yaml', t.replace('- name: home.packsButton\n', '- name: home.packs\n')],
        ['routines/farm_premium.yaml', f.replace('call: nav/to_home', 'call: nav/to_hom')],
      ],
      [['routines/extra.yaml', 'params:\n  x: { type: int, required: true }\nsteps:\n  - call: extra\n']],
      [],
      // Templates, groups and pools parsed once are reused while their text stays: an edit is seen, and so is its undo.
      [['groups/premium_farmers.yaml', g.replace('name: Premium Farmers\n', 'name: Wonder Pick Farmers\n')]],
      [['pools/premium_accounts.yaml', `${p}\nbogus: 1\n`], ['templates/pocketPacks.yaml', t.replace('- name: home.packsButton\n', '- name: home.packs\n')]],
      [['pools/premium_accounts.yaml', p]],
      [],
    ];
    for (const overlays of steps) {
      const req: ValidationRequest = { root, overlays };
      assert.deepEqual(await validator.validate(req), await fresh(root, overlays), JSON.stringify(overlays.map(([p]) => p)));
    }
    // A template's image deleted on the disk between two validations of the same texts is reported missing.
    const image = path.join(root, 'templates', 'pocketPacks', readdirSync(path.join(root, 'templates', 'pocketPacks'))[0]!);
    const saved = readFileSync(image);
    rmSync(image);
    try {
      const after = await validator.validate({ root, overlays: [] });
      assert.deepEqual(after, await fresh(root, []));
      assert.ok(after.some((d) => d.code === 'image-missing'), 'the deleted image is reported');
    } finally {
      writeFileSync(image, saved);
    }
    assert.deepEqual(await validator.validate({ root, overlays: [] }), await fresh(root, []));
    validator.dispose();
  });

  it('parses a template, pool or group file again only when its text changed, and forgets files no longer read', () => {
    const cache = new ParseCache();
    let parses = 0;
    const parse = (text: string) => () => ({ n: ++parses, text });
    const a1 = cache.get('template', 'templates/a.yaml', 'x', parse('x'));
    cache.sweep();
    assert.equal(cache.get('template', 'templates/a.yaml', 'x', parse('x')), a1, 'the same text: the same result');
    assert.equal(cache.get('group', 'templates/a.yaml', 'x', parse('x')).n, 2, 'another kind of file is its own entry');
    cache.sweep();
    assert.equal(cache.get('template', 'templates/a.yaml', 'y', parse('y')).n, 3, 'a changed text is parsed again');
    cache.sweep();
    cache.sweep(); // a validation that did not read it
    assert.equal(cache.get('template', 'templates/a.yaml', 'y', parse('y')).n, 4, 'a file no validation read is forgotten');
  });

  it('validates on a worker thread with the same result', async () => {
    const runner = new WorkerValidationRunner(path.join(__dirname, '../../../src/language/server.ts'));
    try {
      const overlays: Array<[string, string]> = [['routines/farm_premium.yaml', (await farm()).replace('tap: packSelect.open', 'tap: packSelect.opne')]];
      const got = await runner.validate({ root, overlays });
      assert.deepEqual(got, await fresh(root, overlays));
      assert.ok(got.some((d) => d.code === 'unknown-template'));
    } finally {
      runner.dispose();
    }
  });

  it('a stopped run fails alone: the next one, on a new worker, gives its result though the old worker exits meanwhile', async () => {
    // A stand-in worker: a request for the root 'slow' never ends, any other is answered at once.
    const entry = path.join(root, 'fake-validator.js');
    writeFileSync(
      entry,
      "const { parentPort } = require('node:worker_threads');\n" +
        "parentPort.on('message', (m) => { if (m.req.root !== 'slow') parentPort.postMessage({ id: m.id, ok: true, diagnostics: [] }); });\n",
    );
    const logged: string[] = [];
    const runner = new WorkerValidationRunner(entry, (m) => logged.push(m), 0);
    try {
      const slow = runner.validate({ root: 'slow', overlays: [] });
      // A newer edit: the run in flight is stopped (its worker terminated) and the newer one goes to a new worker.
      runner.supersede();
      await assert.rejects(slow, ValidationCancelled);
      const next = runner.validate({ root: 'fast', overlays: [] });
      assert.deepEqual(await next, [], 'the newer run is not failed by the old worker\'s exit');
      // And once more, after the old worker has surely gone.
      assert.deepEqual(await runner.validate({ root: 'fast', overlays: [] }), []);
      assert.deepEqual(logged, []);
    } finally {
      runner.dispose();
    }
  });

  it('falls back to validating on its own thread when the worker cannot start', async () => {
    const logged: string[] = [];
    const runner = new WorkerValidationRunner(path.join(root, 'no-such-server.js'), (m) => logged.push(m));
    try {
      await assert.rejects(runner.validate({ root, overlays: [] }));
      assert.match(logged.join('\n'), /validating on the server's thread from now on/);
      assert.deepEqual(await runner.validate({ root, overlays: [] }), await fresh(root, []));
    } finally {
      runner.dispose();
    }
  });
});
