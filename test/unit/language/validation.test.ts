/**
 * The server's diagnostics come from the same validator as `emulator-fleet validate`: through the overlay of open
 * documents, kept across edits (cached routine parses), on a worker thread — always the same result as a fresh
 * validation of the same texts.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Diagnostic } from '../../../src/shared/geometry';
import { NodeFileStore } from '../../../src/host/nodePorts';
import { ParseCache, validateWorkspace } from '../../../src/orchestrator/workspaceValidation';
import { OverlayFileStore } from '../../../src/language/overlayFileStore';
import { ValidationCancelled, WorkerValidationRunner, WorkspaceValidator, type ValidationRequest } from '../../../src/language/validationRunner';
import { copyWorkspace } from '../../support/lspClient';

/** A fresh validation of the same texts: the disk, with the open documents written over it in a copy. */
async function fresh(root: string, overlays: Array<[string, string]>): Promise<unknown> {
  const copy = mkdtempSync(path.join(tmpdir(), 'fleet-lsp-fresh-'));
  try {
    // Links stay as they are (a relative link to a folder of the workspace leads into the copy).
    cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
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

  for (const syncReads of [false, true]) {
    it(`gives what a fresh validation gives, edit after edit, while reusing unchanged files${syncReads ? ' (synchronous reads, as on the worker)' : ''}`, async () => {
      const validator = new WorkspaceValidator({ syncReads });
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

    it(`sees every change on the disk between two validations of the same open texts, with no watcher event${syncReads ? ' (synchronous reads, as on the worker)' : ''}`, async () => {
      const base = mkdtempSync(path.join(tmpdir(), 'fleet-lsp-disk-'));
      const ws = path.join(base, 'ws');
      cpSync(root, ws, { recursive: true });
      const validator = new WorkspaceValidator({ syncReads });
      const open: Array<[string, string]> = [['routines/farm_premium.yaml', await new NodeFileStore(ws).readText('routines/farm_premium.yaml')]];
      const check = async (what: string, expect: (ds: Diagnostic[]) => boolean) => {
        const got = await validator.validate({ root: ws, overlays: open });
        assert.deepEqual(got, await fresh(ws, open), what);
        assert.ok(expect(got), `${what}: ${JSON.stringify(got)}`);
      };
      const at = (file: string, code: string) => (ds: Diagnostic[]) => ds.some((d) => d.file === file && d.code === code);
      try {
        await check('before', (ds) => !ds.some((d) => d.severity === 'error'));
        // A closed routine edited on the disk.
        const recover = path.join(ws, 'routines/recover.yaml');
        const recoverText = readFileSync(recover, 'utf8');
        writeFileSync(recover, `${recoverText}\nbogus: 1\n`);
        await check('a routine edited on the disk', at('routines/recover.yaml', 'unknown-key'));
        writeFileSync(recover, recoverText);
        await check('and edited back', (ds) => !ds.some((d) => d.file === 'routines/recover.yaml'));
        // A linked routine folder swapped to another folder, then to a folder outside the workspace.
        mkdirSync(path.join(ws, 'lib/a'), { recursive: true });
        mkdirSync(path.join(ws, 'lib/b'), { recursive: true });
        mkdirSync(path.join(base, 'outside'), { recursive: true });
        writeFileSync(path.join(ws, 'lib/a/x.yaml'), 'steps:\n  - log: fine\n');
        writeFileSync(path.join(ws, 'lib/b/x.yaml'), 'steps:\n  - tap: no.such.template\n');
        writeFileSync(path.join(base, 'outside/x.yaml'), 'steps:\n  - log: outside\n');
        const swap = (target: string) => {
          rmSync(path.join(ws, 'routines/lib'), { force: true });
          symlinkSync(target, path.join(ws, 'routines/lib'));
        };
        swap('../lib/a');
        await check('a linked folder', (ds) => !ds.some((d) => d.file.startsWith('routines/lib/')));
        swap('../lib/b');
        await check('the link swapped to another folder', at('routines/lib/x.yaml', 'unknown-template'));
        swap(path.join(base, 'outside'));
        await check('the link swapped to leave the workspace', at('routines/lib', 'link-outside'));
        rmSync(path.join(ws, 'routines/lib'));
        await check('the link removed', (ds) => !ds.some((d) => d.file.startsWith('routines/lib')));
        // A template's image replaced by a folder, by a link leaving the workspace, then by a file again.
        const dir = path.join(ws, 'templates/pocketPacks');
        const image = path.join(dir, readdirSync(dir).sort()[0]!);
        const bytes = readFileSync(image);
        rmSync(image);
        mkdirSync(image);
        await check('an image replaced by a folder', at('templates/pocketPacks.yaml', 'image-missing'));
        rmSync(image, { recursive: true });
        writeFileSync(path.join(base, 'outside/image.png'), bytes);
        symlinkSync(path.join(base, 'outside/image.png'), image);
        await check('an image replaced by a link leaving the workspace', at('templates/pocketPacks.yaml', 'path-escape'));
        rmSync(image);
        writeFileSync(image, bytes);
        await check('the image back', (ds) => !ds.some((d) => d.severity === 'error'));
      } finally {
        validator.dispose();
        rmSync(base, { recursive: true, force: true });
      }
    });
  }

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
