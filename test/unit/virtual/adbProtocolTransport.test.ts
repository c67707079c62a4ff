/**
 * adbd over a loopback socket, spoken to directly (no adb server): handshake, streams, flow control, garbage.
 */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import {
  A_CLSE,
  A_CNXN,
  A_OKAY,
  A_OPEN,
  A_WRTE,
  AdbMessageParser,
  commandName,
  encodeMessage,
  payloadChecksum,
  ShellPacketParser,
  type AdbMessage,
} from '../../../src/virtual/adbProtocol';
import { VirtualDevice } from '../../../src/virtual/virtualDevice';
import { testAppFactory } from '../../support/testApp';

const BANNER = 'device::ro.product.name=pocketpacks;ro.product.model=EmulatorFleetVirtual;ro.product.device=virtual;features=shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir';

/** A minimal host side of the transport. */
class DirectClient {
  readonly parser = new AdbMessageParser();
  private readonly inbox: AdbMessage[] = [];
  private waiter: (() => void) | undefined;
  closed = false;
  error: Error | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => {
      try {
        for (const m of this.parser.push(c)) {
          this.inbox.push(m);
        }
      } catch (e) {
        this.error = e as Error;
        socket.destroy();
      }
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<DirectClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new DirectClient(s)));
      s.once('error', reject);
    });
  }

  send(cmd: number, a0: number, a1: number, data: Buffer | string = Buffer.alloc(0), checksum = false): void {
    this.socket.write(encodeMessage(cmd, a0, a1, data, checksum));
  }

  /** The next message (bounded wait); undefined when the connection closed or nothing came in time. */
  async next(timeoutMs = 5000): Promise<AdbMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(t);
          r();
        };
      });
      this.waiter = undefined;
    }
    return this.inbox.shift();
  }

  pending(): number {
    return this.inbox.length;
  }

  async handshake(version = 0x01000001, maxdata = 1024 * 1024): Promise<AdbMessage> {
    this.send(A_CNXN, version, maxdata, 'host::features=shell_v2,cmd,stat_v2,ls_v2');
    const m = await this.next();
    assert.ok(m && m.command === A_CNXN, 'CNXN reply');
    return m;
  }

  /** OPENs a service; returns the device's stream id, or 0 when refused. */
  async open(localId: number, service: string): Promise<number> {
    this.send(A_OPEN, localId, 0, `${service}\0`);
    const m = await this.next();
    assert.ok(m, 'reply to OPEN');
    if (m.command === A_CLSE) {
      return 0;
    }
    assert.equal(commandName(m.command), 'OKAY');
    assert.equal(m.arg1, localId);
    return m.arg0;
  }

  /** Reads a stream to its CLSE, acknowledging every WRTE; returns the bytes and the WRTE sizes. */
  async readAll(localId: number, remoteId: number): Promise<{ data: Buffer; sizes: number[] }> {
    const parts: Buffer[] = [];
    const sizes: number[] = [];
    for (;;) {
      const m = await this.next();
      assert.ok(m, 'stream data or close');
      assert.equal(m.arg1, localId);
      if (m.command === A_CLSE) {
        return { data: Buffer.concat(parts), sizes };
      }
      assert.equal(m.command, A_WRTE);
      parts.push(m.data);
      sizes.push(m.data.length);
      this.send(A_OKAY, localId, remoteId);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

async function until(pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(pred(), 'condition not reached in time');
}

describe('(unit) virtual adbd: transport over TCP', () => {
  let vd: VirtualDevice;
  const clients: DirectClient[] = [];
  const client = async (): Promise<DirectClient> => {
    const c = await DirectClient.connect(vd.port);
    clients.push(c);
    return c;
  };

  before(async () => {
    vd = await VirtualDevice.start({ app: testAppFactory() });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) {
      c.close();
    }
    vd.faults.clear();
  });
  after(async () => {
    await vd.close();
  });

  it('answers CNXN with version 0x01000001, 1 MiB maxdata and the banner', async () => {
    const c = await client();
    const m = await c.handshake();
    assert.equal(m.arg0, 0x01000001);
    assert.equal(m.arg1, 1024 * 1024);
    assert.equal(m.data.toString(), BANNER);
  });

  it('runs shell v1 (raw output then CLSE) and exec', async () => {
    const c = await client();
    await c.handshake();
    const id = await c.open(1, 'shell:echo hello; nosuch');
    const { data } = await c.readAll(1, id);
    assert.equal(data.toString(), 'hello\n/system/bin/sh: nosuch: inaccessible or not found\n');
    const id2 = await c.open(2, "exec:echo 'exec out'");
    assert.equal((await c.readAll(2, id2)).data.toString(), 'exec out\n');
  });

  it('runs shell v2 with stdout, stderr and exit code packets', async () => {
    const c = await client();
    await c.handshake();
    const id = await c.open(5, 'shell,v2,TERM=xterm,raw:echo out; echo err >&2; exit 7');
    const { data } = await c.readAll(5, id);
    const packets = new ShellPacketParser().push(data).map((p) => [p.id, p.data.toString('latin1')]);
    assert.deepEqual(packets, [
      [1, 'out\n'],
      [2, 'err\n'],
      [3, '\x07'],
    ]);
  });

  it('feeds shell v2 stdin until the host closes it', async () => {
    const c = await client();
    await c.handshake();
    const id = await c.open(6, 'shell,v2,raw:cat');
    c.send(A_WRTE, 6, id, Buffer.concat([Buffer.from([0, 5, 0, 0, 0]), Buffer.from('hello'), Buffer.from([3, 0, 0, 0, 0])]));
    const ack = await c.next();
    assert.equal(ack?.command, A_OKAY);
    const { data } = await c.readAll(6, id);
    assert.deepEqual(
      new ShellPacketParser().push(data).map((p) => [p.id, p.data.toString('latin1')]),
      [
        [1, 'hello'],
        [3, '\x00'],
      ],
    );
  });

  it('cuts payloads to the host maxdata and keeps one WRTE in flight per stream', async () => {
    const c = await client();
    await c.handshake(0x01000001, 4096);
    const id = await c.open(3, 'exec:screencap');
    const first = await c.next();
    assert.equal(first?.command, A_WRTE);
    assert.equal(first?.data.length, 4096);
    // Without our OKAY nothing more may come.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.pending(), 0, 'no second WRTE before OKAY');
    c.send(A_OKAY, 3, id);
    const rest = await c.readAll(3, id);
    const total = 4096 + rest.data.length;
    assert.equal(total, 16 + 540 * 960 * 4);
    assert.ok(rest.sizes.every((n) => n <= 4096));
    const frame = await vd.frame();
    assert.ok(Buffer.concat([first!.data, rest.data]).subarray(16).equals(frame));
  });

  it('serves many concurrent streams on one connection', async () => {
    const c = await client();
    await c.handshake();
    const n = 20;
    const remote = new Map<number, number>();
    for (let i = 1; i <= n; i++) {
      c.send(A_OPEN, 100 + i, 0, `shell:echo stream-${i}\0`);
    }
    const outputs = new Map<number, string>();
    const closed = new Set<number>();
    while (closed.size < n) {
      const m = await c.next();
      assert.ok(m);
      if (m.command === A_OKAY) {
        remote.set(m.arg1, m.arg0);
      } else if (m.command === A_WRTE) {
        outputs.set(m.arg1, (outputs.get(m.arg1) ?? '') + m.data.toString());
        c.send(A_OKAY, m.arg1, m.arg0);
      } else if (m.command === A_CLSE) {
        closed.add(m.arg1);
      }
    }
    for (let i = 1; i <= n; i++) {
      assert.equal(outputs.get(100 + i), `stream-${i}\n`);
    }
    assert.equal(new Set(remote.values()).size, n, 'distinct device stream ids');
  });

  it('refuses unknown services with CLSE(0, id)', async () => {
    const c = await client();
    await c.handshake();
    c.send(A_OPEN, 9, 0, 'tcp:5000\0');
    const m = await c.next();
    assert.equal(m?.command, A_CLSE);
    assert.equal(m?.arg0, 0);
    assert.equal(m?.arg1, 9);
  });

  it('handles messages split into single bytes and merged together', async () => {
    const c = await client();
    const bytes = Buffer.concat([encodeMessage(A_CNXN, 0x01000001, 1 << 20, 'host::'), encodeMessage(A_OPEN, 4, 0, 'shell:echo split\0')]);
    for (let i = 0; i < bytes.length; i++) {
      c.socket.write(bytes.subarray(i, i + 1));
    }
    assert.equal((await c.next())?.command, A_CNXN);
    const okay = await c.next();
    assert.equal(okay?.command, A_OKAY);
    assert.equal((await c.readAll(4, okay!.arg0)).data.toString(), 'split\n');
  });

  it('sends checksums to a host that speaks the old protocol version', async () => {
    const c = await client();
    c.parser.verifyChecksum = true;
    await c.handshake(0x01000000);
    c.send(A_OPEN, 1, 0, 'shell:echo sum\0', true);
    const okay = await c.next();
    assert.equal(okay?.command, A_OKAY);
    assert.equal((await c.readAll(1, okay!.arg0)).data.toString(), 'sum\n');
    assert.equal(c.error, undefined, 'every payload carried a correct checksum');
    assert.ok(payloadChecksum(Buffer.from('sum\n')) > 0);
  });

  it('drops a connection that sends garbage, and keeps serving others', async () => {
    const bad = await client();
    bad.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await until(() => bad.closed);
    const good = await client();
    await good.handshake();
    const id = await good.open(1, 'shell:echo still here');
    assert.equal((await good.readAll(1, id)).data.toString(), 'still here\n');
  });

  it('forgets streams the host closes, and connections that go away', async () => {
    const c = await client();
    await c.handshake();
    const id = await c.open(1, 'shell:sleep 30');
    await until(() => vd.stats().streams === 1);
    c.send(A_CLSE, 1, id);
    await until(() => vd.stats().streams === 0);
    await c.open(2, 'shell:sleep 30');
    await until(() => vd.stats().streams === 1);
    c.close();
    await until(() => vd.stats().connections === 0 && vd.stats().streams === 0);
  });

  it('stops answering while stalled and answers afterwards', async () => {
    const c = await client();
    await c.handshake();
    let stallEnded = false;
    const sub = vd.faults.onDidChangeStall(({ stalled }) => {
      if (!stalled) {
        stallEnded = true;
      }
    });
    vd.faults.stall(300);
    c.send(A_OPEN, 1, 0, 'shell:echo after stall\0');
    const m = await c.next();
    assert.ok(stallEnded, 'the reply came only after the stall');
    assert.equal(m?.command, A_OKAY);
    assert.equal((await c.readAll(1, m!.arg0)).data.toString(), 'after stall\n');
    sub.dispose();
  });

  it('drops connections and refuses new ones for a while', async () => {
    const c = await client();
    await c.handshake();
    vd.faults.drop({ refuseMs: 10_000 });
    await until(() => c.closed);
    const refused = await DirectClient.connect(vd.port).catch(() => undefined);
    if (refused) {
      clients.push(refused);
      await until(() => refused.closed);
    }
    vd.faults.clear();
    const again = await client();
    await again.handshake();
  });
});
