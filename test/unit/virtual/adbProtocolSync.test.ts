import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { MemoryServiceStream } from '../../../src/virtual/serviceStream';
import { encodeSyncRequest, runSyncService, SYNC_DATA_MAX, SyncProtocolError, SyncRequestParser } from '../../../src/virtual/syncService';
import { MemoryFs, S_IFDIR, S_IFREG } from '../../../src/virtual/vfs';

/** Runs the sync service over an in-memory stream: sends `input` (optionally in pieces), returns the output. */
async function session(fs: MemoryFs, input: Buffer[], opts: { closeAfter?: boolean } = {}): Promise<{ out: Buffer; ended: boolean }> {
  const stream = new MemoryServiceStream();
  const done = runSyncService(stream, fs);
  for (const chunk of input) {
    stream.send(chunk);
  }
  if (opts.closeAfter !== false && !stream.closed) {
    stream.send(encodeSyncRequest('QUIT', 0));
  }
  await done;
  return { out: stream.output(), ended: stream.endedByDevice };
}

function pieces(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) {
    out.push(buf.subarray(i, i + size));
  }
  return out;
}

function sendFile(path: string, mode: number, data: Buffer, mtime: number): Buffer {
  const parts = [encodeSyncRequest('SEND', `${path},${mode}`)];
  for (let i = 0; i < data.length; i += SYNC_DATA_MAX) {
    parts.push(encodeSyncRequest('DATA', data.subarray(i, i + SYNC_DATA_MAX)));
  }
  parts.push(encodeSyncRequest('DONE', mtime));
  return Buffer.concat(parts);
}

/** Decodes a RECV reply: DATA chunks then DONE, or FAIL. */
function decodeRecv(out: Buffer): { data?: Buffer; fail?: string; chunks: number } {
  const parts: Buffer[] = [];
  let off = 0;
  let chunks = 0;
  while (off < out.length) {
    const id = out.toString('latin1', off, off + 4);
    const len = out.readUInt32LE(off + 4);
    off += 8;
    if (id === 'DATA') {
      assert.ok(len <= SYNC_DATA_MAX);
      parts.push(out.subarray(off, off + len));
      off += len;
      chunks++;
    } else if (id === 'DONE') {
      return { data: Buffer.concat(parts), chunks };
    } else if (id === 'FAIL') {
      return { fail: out.toString('utf8', off, off + len), chunks };
    } else {
      throw new Error(`unexpected ${id}`);
    }
  }
  throw new Error('no DONE');
}

describe('(unit) virtual adb sync protocol', () => {
  it('parses requests split at any byte', () => {
    const bytes = Buffer.concat([encodeSyncRequest('STAT', '/sdcard/a'), encodeSyncRequest('DATA', Buffer.from('xyz')), encodeSyncRequest('DONE', 1234), encodeSyncRequest('QUIT', 0)]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = new SyncRequestParser();
      const reqs = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
      assert.deepEqual(
        reqs.map((r) => [r.id, r.arg, r.data.toString()]),
        [
          ['STAT', 9, '/sdcard/a'],
          ['DATA', 3, 'xyz'],
          ['DONE', 1234, ''],
          ['QUIT', 0, ''],
        ],
      );
    }
  });

  it('rejects oversized DATA chunks and paths', () => {
    assert.throws(() => new SyncRequestParser().push(Buffer.concat([Buffer.from('DATA'), Buffer.from([0, 0, 2, 0])])), SyncProtocolError);
    assert.throws(() => new SyncRequestParser().push(Buffer.concat([Buffer.from('STAT'), Buffer.from([0, 0x10, 0, 0])])), SyncProtocolError);
  });

  it('pushes a file (SEND/DATA/DONE -> OKAY) byte-exact, with mode and mtime, even when requests arrive in odd pieces', async () => {
    const fs = new MemoryFs();
    const data = randomBytes(200_000);
    const { out } = await session(fs, pieces(sendFile('/sdcard/dir/file.bin', S_IFREG | 0o640, data, 1_700_000_000), 777));
    assert.equal(out.toString('latin1', 0, 4), 'OKAY');
    assert.equal(out.readUInt32LE(4), 0);
    const f = fs.read('/sdcard/dir/file.bin');
    assert.ok(f);
    assert.ok(f.data.equals(data));
    assert.equal(f.mode, 0o640);
    assert.equal(f.mtimeMs, 1_700_000_000_000);
    assert.ok(fs.isDir('/sdcard/dir'));
  });

  it('pulls a file as DATA chunks of at most 64 KiB then DONE', async () => {
    const fs = new MemoryFs();
    const data = randomBytes(150_001);
    fs.write('/data/local/tmp/x', data);
    const { out } = await session(fs, [encodeSyncRequest('RECV', '/data/local/tmp/x')]);
    const r = decodeRecv(out);
    assert.ok(r.data?.equals(data));
    assert.equal(r.chunks, 3);
  });

  it('pulls an empty file as a bare DONE', async () => {
    const fs = new MemoryFs();
    fs.write('/e', Buffer.alloc(0));
    const r = decodeRecv((await session(fs, [encodeSyncRequest('RECV', '/e')])).out);
    assert.equal(r.data?.length, 0);
  });

  it('fails RECV of a missing file with FAIL and closes', async () => {
    const { out, ended } = await session(new MemoryFs(), [encodeSyncRequest('RECV', '/nope')], { closeAfter: false });
    assert.deepEqual(decodeRecv(out), { fail: 'open failed: No such file or directory', chunks: 0 });
    assert.ok(ended);
  });

  it('answers STAT for files, directories and missing paths', async () => {
    const fs = new MemoryFs(() => 5_000_000);
    fs.write('/sdcard/a.txt', Buffer.from('hello'), 0o600);
    const { out } = await session(fs, [encodeSyncRequest('STAT', '/sdcard/a.txt'), encodeSyncRequest('STAT', '/sdcard'), encodeSyncRequest('STAT', '/missing')]);
    assert.equal(out.length, 48);
    const stat = (i: number) => ({ id: out.toString('latin1', i * 16, i * 16 + 4), mode: out.readUInt32LE(i * 16 + 4), size: out.readUInt32LE(i * 16 + 8), mtime: out.readUInt32LE(i * 16 + 12) });
    assert.deepEqual(stat(0), { id: 'STAT', mode: S_IFREG | 0o600, size: 5, mtime: 5000 });
    assert.equal(stat(1).mode & S_IFDIR, S_IFDIR);
    assert.deepEqual(stat(2), { id: 'STAT', mode: 0, size: 0, mtime: 0 });
  });

  it('answers STA2/LST2 (72 bytes) with errno for missing paths', async () => {
    const fs = new MemoryFs(() => 9_000);
    fs.write('/f', Buffer.alloc(70_000));
    const { out } = await session(fs, [encodeSyncRequest('STA2', '/f'), encodeSyncRequest('LST2', '/missing')]);
    assert.equal(out.length, 144);
    assert.equal(out.toString('latin1', 0, 4), 'STA2');
    assert.equal(out.readUInt32LE(4), 0);
    assert.equal(out.readUInt32LE(24) & S_IFREG, S_IFREG);
    assert.equal(out.readBigUInt64LE(40), 70_000n);
    assert.equal(out.readBigInt64LE(56), 9n);
    assert.equal(out.toString('latin1', 72, 76), 'LST2');
    assert.equal(out.readUInt32LE(76), 2);
    assert.equal(out.readUInt32LE(96), 0);
  });

  it('lists a directory with LIST (DENT entries incl. . and ..) and LIS2 (DNT2)', async () => {
    const fs = new MemoryFs();
    fs.write('/sdcard/b.txt', Buffer.from('12'));
    fs.write('/sdcard/sub/c.txt', Buffer.from('3'));
    const { out } = await session(fs, [encodeSyncRequest('LIST', '/sdcard')]);
    const names: string[] = [];
    let off = 0;
    while (out.toString('latin1', off, off + 4) === 'DENT') {
      const namelen = out.readUInt32LE(off + 16);
      names.push(out.toString('utf8', off + 20, off + 20 + namelen));
      off += 20 + namelen;
    }
    assert.deepEqual(names, ['.', '..', 'b.txt', 'sub']);
    assert.equal(out.toString('latin1', off, off + 4), 'DONE');
    assert.equal(out.length, off + 20);

    const v2 = (await session(fs, [encodeSyncRequest('LIS2', '/sdcard')])).out;
    const names2: string[] = [];
    off = 0;
    while (v2.toString('latin1', off, off + 4) === 'DNT2') {
      const namelen = v2.readUInt32LE(off + 72);
      names2.push(v2.toString('utf8', off + 76, off + 76 + namelen));
      off += 76 + namelen;
    }
    assert.deepEqual(names2, ['.', '..', 'b.txt', 'sub']);
    assert.equal(v2.length, off + 76);
  });

  it('lists a missing directory as just DONE', async () => {
    const { out } = await session(new MemoryFs(), [encodeSyncRequest('LIST', '/nope')]);
    assert.equal(out.toString('latin1', 0, 4), 'DONE');
    assert.equal(out.length, 20);
  });

  it('fails a push onto a directory, a SEND without mode, and an unknown request', async () => {
    const fs = new MemoryFs();
    fs.mkdir('/sdcard', { parents: true });
    const a = await session(fs, [sendFile('/sdcard', 0o644, Buffer.from('x'), 1)], { closeAfter: false });
    assert.equal(a.out.toString('latin1', 0, 4), 'FAIL');
    assert.match(a.out.toString('utf8', 8), /Is a directory/);
    const b = await session(fs, [encodeSyncRequest('SEND', '/sdcard/x')], { closeAfter: false });
    assert.match(b.out.toString('utf8', 8), /missing , in ID_SEND/);
    const c = await session(fs, [encodeSyncRequest('ZZZZ', 'x')], { closeAfter: false });
    assert.match(c.out.toString('utf8', 8), /unknown command ZZZZ/);
    assert.ok(c.ended);
  });

  it('stops cleanly when the host closes mid-transfer', async () => {
    const fs = new MemoryFs();
    const stream = new MemoryServiceStream();
    const done = runSyncService(stream, fs);
    stream.send(encodeSyncRequest('SEND', '/sdcard/partial,420'));
    stream.send(encodeSyncRequest('DATA', Buffer.alloc(100)));
    stream.closeFromHost();
    await done;
    assert.equal(fs.read('/sdcard/partial'), undefined, 'no half-written file');
  });
});
