/**
 * Workspace file access on the real file system with real symbolic links: links leaving the workspace are refused
 * (a located diagnostic naming the link), no folder is walked twice, oversized files are refused before they are
 * read; and every loader (routines, templates, groups, pools, validation) goes through it.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MemoryLogger, nullLogger } from '../../src/shared/loggers';
import { NodeFileStore } from '../../src/host/nodePorts';
import { SystemClock } from '../../src/shared/clock';
import { FileTooLargeError, PathEscapeError } from '../../src/shared/ports';
import { RoutineRegistry } from '../../src/bot/routine/registry';
import { TemplateRegistry } from '../../src/bot/vision/templateRegistry';
import { listWorkspaceFiles, readWorkspaceYaml } from '../../src/bot/workspaceFiles';
import { DefinitionsStore } from '../../src/orchestrator/definitionsStore';
import { PoolManager } from '../../src/orchestrator/pools/poolManager';
import { validateWorkspace } from '../../src/orchestrator/workspaceValidation';
import { YAML_LIMITS } from '../../src/shared/yamlSource';

const REPO = path.resolve(__dirname, '../..');
const ROUTINE = 'steps:\n  - log: hello\n';

// Every case runs twice: with the store's default reads, and with the synchronous ones of the validation worker
// (same results and errors).
for (const syncReads of [false, true]) {
  describe(`(unit) workspace files: symbolic links and sizes${syncReads ? ' (synchronous reads)' : ''}`, function () {
    this.timeout(30_000);
    const nodeStore = (root: string) => new NodeFileStore(root, { syncReads });
    let base: string;
    let ws: string;
    let outside: string;

    beforeEach(() => {
      base = mkdtempSync(path.join(tmpdir(), 'fleet-links-'));
      ws = path.join(base, 'ws');
      outside = path.join(base, 'outside');
      for (const d of ['routines/nav', 'templates/img', 'groups', 'pools', 'shared']) {
        mkdirSync(path.join(ws, d), { recursive: true });
      }
      mkdirSync(path.join(outside, 'more'), { recursive: true });
      writeFileSync(path.join(ws, 'routines/main.yaml'), ROUTINE);
      writeFileSync(path.join(ws, 'routines/nav/home.yaml'), ROUTINE);
      writeFileSync(path.join(ws, 'shared/common.yaml'), ROUTINE);
      writeFileSync(path.join(outside, 'evil.yaml'), ROUTINE);
      writeFileSync(path.join(outside, 'more/hidden.yaml'), ROUTINE);
    });

    afterEach(() => {
      rmSync(base, { recursive: true, force: true });
    });

    const link = (target: string, at: string) => symlinkSync(target, path.join(ws, at));

    it('NodeFileStore refuses reads, listings and stats through a link leaving the root, naming the link', async () => {
      link(path.join(outside, 'evil.yaml'), 'routines/evil.yaml');
      link(outside, 'routines/ext');
      link('../shared', 'routines/shared');
      const files = nodeStore(ws);
      for (const [p, named] of [
        ['routines/evil.yaml', 'routines/evil.yaml'],
        ['routines/ext/evil.yaml', 'routines/ext'],
        ['routines/ext/more/hidden.yaml', 'routines/ext'],
      ]) {
        await assert.rejects(files.readText(p), (e: unknown) => e instanceof PathEscapeError && e.link === named && e.message.includes(`'${named}' is a symbolic link to a place outside the workspace`), p);
        await assert.rejects(files.stat(p), PathEscapeError, p);
      }
      await assert.rejects(files.list('routines/ext'), PathEscapeError);
      await assert.rejects(files.realPath('routines/ext'), PathEscapeError);
      // A link inside the workspace is fine.
      assert.equal(await files.readText('routines/shared/common.yaml'), ROUTINE);
      assert.equal(await files.realPath('routines/shared/common.yaml'), 'shared/common.yaml');
      assert.equal(await files.realPath('.'), '');
    });

    it('a snapshot resolves each link and stats each file once until it ends; then changes are seen', async () => {
      mkdirSync(path.join(ws, 'other'));
      writeFileSync(path.join(ws, 'other/common.yaml'), 'steps: []\n');
      link('../shared', 'routines/lib');
      const files = nodeStore(ws);
      const swap = (target: string) => {
        rmSync(path.join(ws, 'routines/lib'));
        symlinkSync(target, path.join(ws, 'routines/lib'));
      };
      const snapshot = files.snapshot();
      assert.equal(await files.realPath('routines/lib'), 'shared');
      assert.equal(await files.realPath('routines/lib/common.yaml'), 'shared/common.yaml');
      assert.equal((await files.stat('routines/main.yaml'))?.isFile, true);
      // Changed on the disk while the snapshot is open: the snapshot keeps what it saw (paths) ...
      swap('../other');
      rmSync(path.join(ws, 'routines/main.yaml'));
      mkdirSync(path.join(ws, 'routines/main.yaml'));
      assert.equal(await files.realPath('routines/lib'), 'shared');
      assert.equal((await files.stat('routines/main.yaml'))?.isFile, true);
      // ... but reads the files themselves afresh.
      writeFileSync(path.join(ws, 'shared/common.yaml'), 'steps: [] # changed\n');
      assert.equal(await files.readText('routines/lib/common.yaml'), 'steps: [] # changed\n');
      snapshot.end();
      snapshot.end(); // ending twice is harmless
      assert.equal(await files.realPath('routines/lib'), 'other');
      assert.equal((await files.stat('routines/main.yaml'))?.isDirectory, true);
      assert.equal(await files.readText('routines/lib/common.yaml'), 'steps: []\n');
      // A link leaving the workspace is refused in the next snapshot, and without one.
      const next = files.snapshot();
      swap(outside);
      await assert.rejects(files.realPath('routines/lib'), PathEscapeError);
      next.end();
      await assert.rejects(files.list('routines/lib'), PathEscapeError);
    });

    it('readText with maxBytes refuses a large file without reading it', async () => {
      const huge = path.join(ws, 'routines/huge.yaml');
      writeFileSync(huge, '');
      truncateSync(huge, 50 * 1024 * 1024);
      const files = nodeStore(ws);
      await assert.rejects(files.readText('routines/huge.yaml', { maxBytes: YAML_LIMITS.maxBytes }), (e: unknown) => e instanceof FileTooLargeError && e.size === 50 * 1024 * 1024);
      const r = await readWorkspaceYaml(files, 'routines/huge.yaml');
      assert.ok('diagnostic' in r);
      assert.deepEqual([r.diagnostic.file, r.diagnostic.line, r.diagnostic.col, r.diagnostic.code], ['routines/huge.yaml', 1, 1, 'file-too-large']);
      assert.match(r.diagnostic.message, /^the file is too large \(50\.0 MB\): a routine file may be at most 256 KB$/);
    });

    it('listing: three self-links, a link to the parent, link loops: each walked never, reported once', async () => {
      link('.', 'routines/a');
      link('.', 'routines/b');
      link('.', 'routines/c');
      link('..', 'routines/up');
      link('loop2', 'routines/loop1');
      link('loop1', 'routines/loop2');
      link('nav', 'routines/nav_again');
      const listing = await listWorkspaceFiles(nodeStore(ws), 'routines', { recursive: true, include: (n) => n.endsWith('.yaml') });
      assert.deepEqual(listing.files, ['routines/main.yaml', 'routines/nav/home.yaml']);
      assert.deepEqual(listing.dirs, ['routines/nav']);
      const byFile = Object.fromEntries(listing.diagnostics.map((d) => [d.file, `${d.severity} ${d.code}: ${d.message}`]));
      assert.deepEqual(Object.keys(byFile).sort(), ['routines/a', 'routines/b', 'routines/c', 'routines/loop1', 'routines/loop2', 'routines/nav_again', 'routines/up']);
      assert.match(byFile['routines/a'], /^warning link-loop: 'routines\/a' is a symbolic link to an enclosing folder \('routines'\): skipped/);
      assert.match(byFile['routines/up'], /^warning link-loop: 'routines\/up' is a symbolic link to an enclosing folder \(the workspace root\)/);
      assert.match(byFile['routines/loop1'], /^warning link-loop: 'routines\/loop1' is a symbolic link loop/);
      assert.match(byFile['routines/nav_again'], /^warning link-duplicate: 'routines\/nav_again' is a symbolic link to a folder already loaded \('routines\/nav'\)/);
    });

    it('listing: a link to a folder inside the workspace is followed once; links leaving it are refused errors', async () => {
      link('../shared', 'routines/lib');
      link('../shared', 'routines/lib2');
      link(outside, 'routines/ext');
      link(path.join(outside, 'evil.yaml'), 'routines/evil.yaml');
      link(path.join(outside, 'evil.yaml'), 'routines/notes.txt');
      const listing = await listWorkspaceFiles(nodeStore(ws), 'routines', { recursive: true, include: (n) => n.endsWith('.yaml') });
      assert.deepEqual(listing.files, ['routines/lib/common.yaml', 'routines/main.yaml', 'routines/nav/home.yaml']);
      const errors = listing.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`);
      assert.deepEqual(errors, [
        "routines/evil.yaml:1:1: 'routines/evil.yaml' is a symbolic link to a place outside the workspace: refused",
        "routines/ext:1:1: 'routines/ext' is a symbolic link to a place outside the workspace: refused",
      ]);
      assert.ok(listing.diagnostics.some((d) => d.file === 'routines/lib2' && d.code === 'link-duplicate'));
    });

    it('the routine registry never loads a routine through a link leaving the workspace, and loads each folder once', async () => {
      link(path.join(outside, 'evil.yaml'), 'routines/evil.yaml');
      link(outside, 'routines/ext');
      link('.', 'routines/self1');
      link('.', 'routines/self2');
      link('.', 'routines/self3');
      link('..', 'routines/up');
      const reg = new RoutineRegistry(nodeStore(ws), new MemoryLogger());
      try {
        await reg.reload();
        // The refused file stays listed (invalid, with its reason); nothing is read through a link out of the workspace.
        assert.deepEqual(reg.names(), ['evil', 'main', 'nav/home']);
        assert.equal(reg.get('evil'), undefined);
        assert.deepEqual(
          reg.entry('evil')?.diagnostics.map((d) => d.code),
          ['link-outside'],
        );
        const errors = reg.diagnostics().filter((d) => d.severity === 'error');
        assert.deepEqual(errors.map((d) => [d.file, d.line, d.col, d.code]), [
          ['routines/ext', 1, 1, 'link-outside'],
          ['routines/evil.yaml', 1, 1, 'link-outside'],
        ]);
      } finally {
        reg.dispose();
      }
    });

    it('the template registry refuses an image linked from outside the workspace, at the image key', async () => {
      copyFileSync(path.join(REPO, 'templates/pocketPacks/home.packsButton.png'), path.join(outside, 'button.png'));
      copyFileSync(path.join(REPO, 'templates/pocketPacks/home.packsButton.png'), path.join(ws, 'templates/img/ok.png'));
      link(path.join(outside, 'button.png'), 'templates/img/button.png');
      writeFileSync(
        path.join(ws, 'templates/ui.yaml'),
        'templates:\n  - name: ok\n    image: templates/img/ok.png\n  - name: button\n    image: templates/img/button.png\n',
      );
      const files = nodeStore(ws);
      const reg = new TemplateRegistry(files, nullLogger);
      try {
        const ds = await reg.load();
        assert.deepEqual(
          ds.filter((d) => d.severity === 'error').map((d) => [d.file, d.line, d.col, d.code]),
          [['templates/ui.yaml', 5, 12, 'path-escape']],
        );
        assert.match(ds.find((d) => d.code === 'path-escape')!.message, /template 'button': image 'templates\/img\/button.png' is refused: 'templates\/img\/button.png' is a symbolic link to a place outside the workspace/);
        await assert.rejects(reg.image('templates/img/button.png'), /is refused/);
        assert.equal((await reg.image('templates/img/ok.png')).width > 0, true);
        const v = await validateWorkspace(files);
        assert.ok(v.some((d) => d.file === 'templates/ui.yaml' && d.line === 5 && d.code === 'path-escape'), JSON.stringify(v));
      } finally {
        reg.dispose();
      }
    });

    it('group and pool definitions: a link leaving the workspace is a located error; the other files load', async () => {
      copyFileSync(path.join(REPO, 'groups/premium_farmers.yaml'), path.join(ws, 'groups/premium_farmers.yaml'));
      copyFileSync(path.join(REPO, 'pools/premium_accounts.yaml'), path.join(ws, 'pools/premium_accounts.yaml'));
      writeFileSync(path.join(outside, 'group.yaml'), 'name: Outside\nroutine: main\navailableInstances: [1]\nrequestedBotCount: 1\n');
      writeFileSync(path.join(outside, 'pool.yaml'), 'name: outside_pool\n');
      link(path.join(outside, 'group.yaml'), 'groups/outside.yaml');
      link(path.join(outside, 'pool.yaml'), 'pools/outside.yaml');
      const files = nodeStore(ws);
      const store = new DefinitionsStore(files, { dir: 'groups', clock: new SystemClock() });
      await store.load();
      assert.deepEqual(
        store.entries().map((e) => [e.file, e.name, e.definition !== undefined, e.diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)]),
        [
          ['groups/outside.yaml', 'outside', false, ['1:1 link-outside']],
          ['groups/premium_farmers.yaml', 'Premium Farmers', true, []],
        ],
      );
      store.dispose();
      const pools = new PoolManager({ fileStore: files, clock: new SystemClock(), logger: nullLogger });
      try {
        const r = await pools.loadDefinitions({ watch: false });
        assert.deepEqual(
          r.diagnostics.map((d) => [d.file, d.line, d.col, d.code]),
          [['pools/outside.yaml', 1, 1, 'link-outside']],
        );
        assert.deepEqual(
          r.pools.map((p) => p.name),
          ['premium_accounts'],
        );
      } finally {
        pools.dispose();
      }
    });
  });
}

