import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { AdbHostEndpoint, encodeHostRequest, encodeHostValue, HostProtocolError, HostRequestReader } from '../../../src/virtual/hostEndpoint';
import { VirtualDevice } from '../../../src/virtual/virtualDevice';
import { testAppFactory } from '../../support/testApp';

/** A raw smart-socket client: send requests, read replies. */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  ended = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  request(req: string): this {
    this.socket.write(encodeHostRequest(req));
    return this;
  }

  async read(n: number, timeoutMs = 3000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n && !this.ended && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    assert.ok(this.buf.length >= n, `expected ${n} bytes, have ${this.buf.length}`);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async status(): Promise<string> {
    return (await this.read(4)).toString('latin1');
  }

  async value(): Promise<string> {
    const len = parseInt((await this.read(4)).toString('latin1'), 16);
    return (await this.read(len)).toString('utf8');
  }

  async rest(timeoutMs = 3000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    assert.ok(this.ended, 'connection should end');
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('(unit) virtual adb host endpoint: request parsing', () => {
  it('reads length-prefixed requests split and merged', () => {
    const bytes = Buffer.concat([encodeHostRequest('host:version'), encodeHostRequest('host:transport:127.0.0.1:5555'), Buffer.from('raw tail')]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = new HostRequestReader();
      const got: string[] = [];
      const drain = (): void => {
        while (got.length < 2) {
          const q = r.next();
          if (q === undefined) {
            return;
          }
          got.push(q);
        }
      };
      r.push(bytes.subarray(0, cut));
      drain();
      r.push(bytes.subarray(cut));
      drain();
      assert.deepEqual(got, ['host:version', 'host:transport:127.0.0.1:5555'], `cut ${cut}`);
      assert.equal(r.takeRest().toString(), 'raw tail');
    }
    const r = new HostRequestReader();
    r.push(Buffer.concat([encodeHostRequest('sync:'), Buffer.from('STAT')]));
    assert.equal(r.next(), 'sync:');
    assert.equal(r.takeRest().toString(), 'STAT');
  });

  it('rejects a non-hex length', () => {
    const r = new HostRequestReader();
    r.push(Buffer.from('GET / HTTP/1.1'));
    assert.throws(() => r.next(), HostProtocolError);
  });

  it('encodes values with a 4-hex-digit byte length', () => {
    assert.equal(encodeHostValue('0029').toString(), '00040029');
    assert.equal(encodeHostValue('ü').toString('latin1').slice(0, 4), '0002');
  });
});

describe('(unit) virtual adb host endpoint: serving', () => {
  let ep: AdbHostEndpoint;
  let a: VirtualDevice;
  let b: VirtualDevice;
  const clients: RawClient[] = [];
  const client = async (): Promise<RawClient> => {
    const c = await RawClient.connect(ep.port);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    ep = await AdbHostEndpoint.start();
    a = VirtualDevice.create({ app: testAppFactory() });
    b = await VirtualDevice.start({ app: testAppFactory() });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) {
      c.close();
    }
    await ep.close();
    await a.close();
    await b.close();
  });

  it('answers host:version with 0029 and closes', async () => {
    const c = await client();
    c.request('host:version');
    assert.equal(await c.status(), 'OKAY');
    assert.equal(await c.value(), '0029');
    assert.equal((await c.rest()).length, 0);
  });

  it('lists devices, short and long', async () => {
    ep.addDevice(a);
    ep.addDevice(b);
    const c = await client();
    c.request('host:devices');
    assert.equal(await c.status(), 'OKAY');
    assert.equal(await c.value(), `${a.serial}\tdevice\n${b.serial}\tdevice\n`);
    const l = await client();
    l.request('host:devices-l');
    await l.status();
    const long = await l.value();
    assert.match(long, new RegExp(`^${b.serial.replace(/\./g, '\\.')} +device product:pocketpacks model:EmulatorFleetVirtual device:virtual transport_id:2$`, 'm'));
  });

  it('switches transport and runs shell and exec in-process', async () => {
    ep.addDevice(b);
    const c = await client();
    c.request(`host:transport:${b.serial}`);
    assert.equal(await c.status(), 'OKAY');
    c.request('shell:echo && echo bridged');
    assert.equal(await c.status(), 'OKAY');
    assert.equal((await c.rest()).toString(), '\nbridged\n');
  });

  it('runs shell v2 through the bridge with framing and exit code', async () => {
    ep.addDevice(a);
    const c = await client();
    c.request('host:transport-any');
    assert.equal(await c.status(), 'OKAY');
    c.request('shell,v2,raw:echo x; exit 3');
    assert.equal(await c.status(), 'OKAY');
    const out = await c.rest();
    assert.deepEqual([...out], [1, 2, 0, 0, 0, 120, 10, 3, 1, 0, 0, 0, 3]);
  });

  it('fails unknown devices, unknown services and ambiguous transport-any', async () => {
    const none = await client();
    none.request('host:transport-any');
    assert.equal(await none.status(), 'FAIL');
    assert.equal(await none.value(), 'no devices/emulators found');
    ep.addDevice(a);
    ep.addDevice(b);
    const two = await client();
    two.request('host:transport-any');
    assert.equal(await two.status(), 'FAIL');
    assert.equal(await two.value(), 'more than one device/emulator');
    const missing = await client();
    missing.request('host:transport:nope');
    assert.equal(await missing.status(), 'FAIL');
    assert.equal(await missing.value(), "device 'nope' not found");
    const svc = await client();
    svc.request(`host:transport:${a.serial}`);
    assert.equal(await svc.status(), 'OKAY');
    svc.request('jdwp:123');
    assert.equal(await svc.status(), 'FAIL');
    assert.equal(await svc.value(), 'closed');
    const unk = await client();
    unk.request('host:frobnicate');
    assert.equal(await unk.status(), 'FAIL');
    assert.match(await unk.value(), /unknown host service/);
  });

  it('answers per-device queries for serials that contain colons', async () => {
    ep.addDevice(b);
    for (const [cmd, expected] of [
      ['get-state', 'device'],
      ['get-serialno', b.serial],
      ['features', 'shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir'],
    ]) {
      const c = await client();
      c.request(`host-serial:${b.serial}:${cmd}`);
      assert.equal(await c.status(), 'OKAY', cmd);
      assert.equal(await c.value(), expected);
    }
    const t = await client();
    t.request(`host:tport:serial:${b.serial}`);
    assert.equal(await t.status(), 'OKAY');
    assert.equal((await t.read(8)).readBigUInt64LE(), 1n);
  });

  it('tracks devices: initial list, then add, offline while refusing, remove', async () => {
    ep.addDevice(a);
    const c = await client();
    c.request('host:track-devices');
    assert.equal(await c.status(), 'OKAY');
    assert.equal(await c.value(), `${a.serial}\tdevice\n`);
    ep.addDevice(b);
    assert.equal(await c.value(), `${a.serial}\tdevice\n${b.serial}\tdevice\n`);
    b.faults.drop({ refuseMs: 60_000 });
    assert.equal(await c.value(), `${a.serial}\tdevice\n${b.serial}\toffline\n`);
    b.faults.clear();
    ep.removeDevice(a.serial);
    assert.equal(await c.value(), `${b.serial}\tdevice\n`);
  });

  it('disconnects and reconnects registered devices; host:kill only hangs up', async () => {
    ep.addDevice(b);
    const d = await client();
    d.request(`host:disconnect:${b.serial}`);
    assert.equal(await d.status(), 'OKAY');
    assert.equal(await d.value(), `disconnected ${b.serial}`);
    assert.deepEqual(ep.listDevices(), []);
    const c = await client();
    c.request(`host:connect:${b.serial}`);
    await c.status();
    assert.equal(await c.value(), `connected to ${b.serial}`);
    const again = await client();
    again.request(`host:connect:${b.serial}`);
    await again.status();
    assert.equal(await again.value(), `already connected to ${b.serial}`);
    const nope = await client();
    nope.request('host:connect:127.0.0.1:1');
    await nope.status();
    assert.match(await nope.value(), /failed to connect/);
    const k = await client();
    k.request('host:kill');
    assert.equal(await k.status(), 'OKAY');
    assert.equal(ep.listDevices().length, 1);
  });

  it('closes bridged sessions when the device drops its connections', async () => {
    ep.addDevice(b);
    const c = await client();
    c.request(`host:transport:${b.serial}`);
    await c.status();
    c.request('shell:sleep 30');
    assert.equal(await c.status(), 'OKAY');
    b.faults.drop();
    await c.rest();
    assert.ok(c.ended);
  });

  it('holds a service request while the device is stalled', async () => {
    ep.addDevice(b);
    let stallEnded = false;
    b.faults.onDidChangeStall(({ stalled }) => {
      stallEnded = !stalled;
    });
    b.faults.stall(200);
    const c = await client();
    c.request(`host:transport:${b.serial}`);
    assert.equal(await c.status(), 'OKAY', 'the server itself still answers');
    c.request('shell:echo late');
    assert.equal(await c.status(), 'OKAY');
    assert.ok(stallEnded, 'the device answered only after its stall');
    assert.equal((await c.rest()).toString(), 'late\n');
  });
});
