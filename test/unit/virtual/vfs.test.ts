import { strict as assert } from 'node:assert';
import { MemoryFs, normalizePath, S_IFDIR, S_IFREG, VfsError } from '../../../src/virtual/vfs';

describe('(unit) virtual filesystem', () => {
  it('normalises paths without escaping the root', () => {
    assert.equal(normalizePath('/a//b/./c/'), '/a/b/c');
    assert.equal(normalizePath('/a/b/../c'), '/a/c');
    assert.equal(normalizePath('/../../x'), '/x');
    assert.equal(normalizePath('rel/p'), '/rel/p');
    assert.equal(normalizePath(''), '/');
  });

  it('writes and reads files with mode and mtime; directories are implied', () => {
    let t = 1000;
    const fs = new MemoryFs(() => t);
    fs.write('/data/data/app/prefs.xml', Buffer.from('<x/>'), 0o100660);
    t = 2000;
    const f = fs.read('/data/data/app//prefs.xml');
    assert.ok(f);
    assert.equal(f.data.toString(), '<x/>');
    assert.equal(f.mode, 0o660);
    assert.equal(f.mtimeMs, 1000);
    assert.ok(fs.isDir('/data'));
    assert.ok(fs.isDir('/data/data/app'));
    assert.ok(!fs.isDir('/data/data/app/prefs.xml'));
    assert.deepEqual(fs.stat('/data/data/app/prefs.xml'), { isDir: false, size: 4, mode: S_IFREG | 0o660, mtimeMs: 1000 });
    assert.equal((fs.stat('/data')!.mode & S_IFDIR) !== 0, true);
    assert.equal(fs.stat('/nope'), undefined);
  });

  it('lists entries of a directory, sorted, with implied and explicit subdirectories', () => {
    const fs = new MemoryFs(() => 5);
    fs.write('/sdcard/b.txt', Buffer.from('bb'));
    fs.write('/sdcard/a/deep/file', Buffer.from('x'));
    fs.mkdir('/sdcard/empty');
    assert.deepEqual(
      fs.list('/sdcard').map((e) => [e.name, e.isDir, e.size]),
      [
        ['a', true, 4096],
        ['b.txt', false, 2],
        ['empty', true, 4096],
      ],
    );
    assert.deepEqual(
      fs.list('/').map((e) => e.name),
      ['sdcard'],
    );
    assert.deepEqual(fs.list('/nope'), []);
  });

  it('refuses to write over a directory or below a file', () => {
    const fs = new MemoryFs();
    fs.write('/a/file', Buffer.from('x'));
    assert.throws(() => fs.write('/a', Buffer.from('y')), (e: unknown) => e instanceof VfsError && e.code === 'EISDIR');
    assert.throws(() => fs.write('/a/file/child', Buffer.from('y')), (e: unknown) => e instanceof VfsError && e.code === 'ENOTDIR');
    assert.throws(() => fs.write('/', Buffer.from('y')), (e: unknown) => e instanceof VfsError && e.code === 'EISDIR');
  });

  it('makes directories with and without -p', () => {
    const fs = new MemoryFs();
    assert.throws(() => fs.mkdir('/x/y'), (e: unknown) => e instanceof VfsError && e.code === 'ENOENT');
    fs.mkdir('/x/y', { parents: true });
    assert.ok(fs.isDir('/x') && fs.isDir('/x/y'));
    fs.mkdir('/x/y', { parents: true });
    assert.throws(() => fs.mkdir('/x/y'), (e: unknown) => e instanceof VfsError && e.code === 'EEXIST');
    fs.write('/f', Buffer.alloc(0));
    assert.throws(() => fs.mkdir('/f'), (e: unknown) => e instanceof VfsError && e.code === 'EEXIST');
    assert.throws(() => fs.mkdir('/f/g', { parents: true }), (e: unknown) => e instanceof VfsError && e.code === 'ENOTDIR');
  });

  it('removes files, empty directories and trees', () => {
    const fs = new MemoryFs();
    fs.write('/t/a', Buffer.from('1'));
    fs.write('/t/s/b', Buffer.from('2'));
    fs.mkdir('/t/empty');
    assert.equal(fs.remove('/t/a'), true);
    assert.equal(fs.remove('/t/a'), false);
    assert.equal(fs.remove('/t/empty'), true);
    assert.equal(fs.remove('/t'), false, 'remove does not delete non-empty directories');
    assert.equal(fs.removeTree('/t'), true);
    assert.equal(fs.isDir('/t'), false);
    assert.deepEqual(fs.allFiles(), []);
    assert.throws(() => fs.removeTree('/'), VfsError);
  });

  it('reports changes to listeners', () => {
    const fs = new MemoryFs();
    const seen: string[] = [];
    fs.onDidChangeFile((e) => seen.push(`${e.kind} ${e.path}`));
    fs.write('/a', Buffer.from('1'));
    fs.remove('/a');
    assert.deepEqual(seen, ['write /a', 'remove /a']);
  });

  it('sets modes and mtimes', () => {
    const fs = new MemoryFs();
    fs.write('/m', Buffer.from('1'));
    assert.ok(fs.chmod('/m', 0o755));
    assert.equal(fs.read('/m')!.mode, 0o755);
    fs.setMtime('/m', 42_000);
    assert.equal(fs.stat('/m')!.mtimeMs, 42_000);
    assert.equal(fs.chmod('/nope', 0o755), false);
  });
});
