import { strict as assert } from 'node:assert';
import {
  A_CLSE,
  A_CNXN,
  A_OKAY,
  A_OPEN,
  A_WRTE,
  AdbMessageParser,
  AdbProtocolError,
  chunkParts,
  commandName,
  encodeHeader,
  encodeMessage,
  formatBanner,
  parseBanner,
  payloadChecksum,
  ShellPacketParser,
  shellPacket,
  type AdbMessage,
} from '../../../src/virtual/adbProtocol';

function sample(): Buffer {
  return Buffer.concat([
    encodeMessage(A_CNXN, 0x01000001, 1024 * 1024, 'host::features=shell_v2,cmd'),
    encodeMessage(A_OPEN, 7, 0, 'shell,v2,raw:echo hi\0'),
    encodeMessage(A_OKAY, 1, 7),
    encodeMessage(A_WRTE, 7, 1, Buffer.from([0, 1, 2, 3, 250, 251, 252])),
    encodeMessage(A_CLSE, 7, 1),
  ]);
}

function summary(ms: AdbMessage[]): string[] {
  return ms.map((m) => `${commandName(m.command)} ${m.arg0} ${m.arg1} ${m.data.toString('hex')}`);
}

describe('(unit) virtual adb protocol: messages', () => {
  it('encodes a header with length, checksum and magic', () => {
    const h = encodeHeader(A_WRTE, 1, 2, 3, 4);
    assert.equal(h.length, 24);
    assert.equal(h.readUInt32LE(0), A_WRTE);
    assert.equal(h.readUInt32LE(12), 3);
    assert.equal(h.readUInt32LE(16), 4);
    assert.equal(h.readUInt32LE(20), (A_WRTE ^ 0xffffffff) >>> 0);
    assert.equal(commandName(A_CNXN), 'CNXN');
  });

  it('parses merged messages from one chunk', () => {
    const p = new AdbMessageParser();
    const out = p.push(sample());
    assert.deepEqual(summary(out), [
      `CNXN 16777217 1048576 ${Buffer.from('host::features=shell_v2,cmd').toString('hex')}`,
      `OPEN 7 0 ${Buffer.from('shell,v2,raw:echo hi\0').toString('hex')}`,
      'OKAY 1 7 ',
      'WRTE 7 1 00010203fafbfc',
      'CLSE 7 1 ',
    ]);
    assert.equal(p.pendingBytes, 0);
  });

  it('parses the same messages split at every possible byte boundary', () => {
    const all = sample();
    const expected = summary(new AdbMessageParser().push(all));
    for (let cut = 1; cut < all.length; cut++) {
      const p = new AdbMessageParser();
      const out = [...p.push(all.subarray(0, cut)), ...p.push(all.subarray(cut))];
      assert.deepEqual(summary(out), expected, `cut at ${cut}`);
    }
  });

  it('parses a byte-at-a-time stream', () => {
    const all = sample();
    const p = new AdbMessageParser();
    const out: AdbMessage[] = [];
    for (let i = 0; i < all.length; i++) {
      out.push(...p.push(all.subarray(i, i + 1)));
    }
    assert.deepEqual(summary(out), summary(new AdbMessageParser().push(all)));
  });

  it('returns payloads as views of the chunk when they arrive whole (no copy)', () => {
    const msg = encodeMessage(A_WRTE, 1, 2, Buffer.alloc(1000, 7));
    const [m] = new AdbMessageParser().push(msg);
    assert.equal(m.data.buffer, msg.buffer);
  });

  it('rejects a bad magic', () => {
    const msg = encodeMessage(A_OKAY, 1, 2);
    msg.writeUInt32LE(0x12345678, 20);
    assert.throws(() => new AdbMessageParser().push(msg), (e: unknown) => e instanceof AdbProtocolError && e.code === 'bad-magic');
  });

  it('rejects an unknown command with a consistent magic', () => {
    const cmd = 0x4b4b4b4b;
    const msg = encodeHeader(cmd, 0, 0, 0);
    assert.throws(() => new AdbMessageParser().push(msg), (e: unknown) => e instanceof AdbProtocolError && e.code === 'unknown-command');
  });

  it('rejects an oversized payload before buffering it', () => {
    const h = encodeHeader(A_WRTE, 1, 2, 2 * 1024 * 1024);
    assert.throws(() => new AdbMessageParser().push(h), (e: unknown) => e instanceof AdbProtocolError && e.code === 'payload-too-large');
  });

  it('rejects garbage text (an HTTP request) as bad magic', () => {
    assert.throws(() => new AdbMessageParser().push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), AdbProtocolError);
  });

  it('verifies checksums only when asked, accepting both forms otherwise', () => {
    const good = encodeMessage(A_WRTE, 1, 2, 'abc', true);
    const zero = encodeMessage(A_WRTE, 1, 2, 'abc', false);
    assert.equal(new AdbMessageParser().push(zero).length, 1);
    assert.equal(new AdbMessageParser().push(good).length, 1);
    const strict = new AdbMessageParser({ verifyChecksum: true });
    assert.equal(strict.push(good).length, 1);
    assert.throws(() => new AdbMessageParser({ verifyChecksum: true }).push(zero), (e: unknown) => e instanceof AdbProtocolError && e.code === 'bad-checksum');
    assert.equal(payloadChecksum([Buffer.from('ab'), Buffer.from('c')]), 97 + 98 + 99);
  });
});

describe('(unit) virtual adb protocol: chunking and banners', () => {
  it('chunks parts into pieces of at most max bytes without copying', () => {
    const a = Buffer.alloc(10, 1);
    const b = Buffer.alloc(7, 2);
    const pieces = chunkParts([a, b], 4);
    assert.deepEqual(
      pieces.map((p) => p.reduce((n, x) => n + x.length, 0)),
      [4, 4, 4, 4, 1],
    );
    assert.equal(pieces[0][0].buffer, a.buffer);
    assert.deepEqual(Buffer.concat(pieces.flat()), Buffer.concat([a, b]));
    assert.deepEqual(chunkParts([], 4), []);
    assert.deepEqual(chunkParts([a], 10).length, 1);
  });

  it('formats and parses device banners', () => {
    const banner = formatBanner({ 'ro.product.name': 'pocketpacks', 'ro.product.model': 'EmulatorFleetVirtual' }, ['shell_v2', 'cmd']);
    assert.equal(banner, 'device::ro.product.name=pocketpacks;ro.product.model=EmulatorFleetVirtual;features=shell_v2,cmd');
    const parsed = parseBanner(`${banner}\0`);
    assert.equal(parsed.systemType, 'device');
    assert.equal(parsed.props['ro.product.model'], 'EmulatorFleetVirtual');
    assert.deepEqual(parsed.features, ['shell_v2', 'cmd']);
    assert.deepEqual(parseBanner('host::features=a,b').features, ['a', 'b']);
  });
});

describe('(unit) virtual adb protocol: shell v2 packets', () => {
  it('round-trips packets split anywhere', () => {
    const bytes = Buffer.concat([...shellPacket(0, Buffer.from('stdin data')), ...shellPacket(3, Buffer.alloc(0)), ...shellPacket(4, Buffer.from('24x80,0x0'))]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = new ShellPacketParser();
      const out = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
      assert.deepEqual(
        out.map((x) => [x.id, x.data.toString()]),
        [
          [0, 'stdin data'],
          [3, ''],
          [4, '24x80,0x0'],
        ],
      );
    }
  });

  it('rejects an absurd packet length', () => {
    const h = Buffer.from([1, 0xff, 0xff, 0xff, 0x7f]);
    assert.throws(() => new ShellPacketParser().push(h), AdbProtocolError);
  });
});
