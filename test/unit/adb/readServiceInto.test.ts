/**
 * FleetAdbClient.readServiceInto: the host protocol spoken on its own socket, the reply read straight into the
 * caller's memory. In-process: embedded host endpoint and virtual device (the device path for real, no mock).
 */
import { strict as assert } from 'node:assert';
import { FleetAdbClient, type ReplyTarget } from '../../../src/bot/adb/adbClient';
import { guardCall } from '../../../src/bot/adb/callGuard';
import { isDeviceError } from '../../../src/bot/device';
import { startVirtualDevices, type VirtualFleet } from '../../support/virtual';

/** A target over one buffer, recording every read and whether any came after `sealed` was set. */
function recordingTarget(size: number): ReplyTarget & { bytes: Uint8Array; filled: number; reads: number; lateWrites: number; sealed: boolean } {
  const t = {
    bytes: new Uint8Array(size),
    filled: 0,
    reads: 0,
    lateWrites: 0,
    sealed: false,
    next(): Uint8Array {
      return t.filled < t.bytes.length ? t.bytes.subarray(t.filled) : new Uint8Array(1024);
    },
    wrote(n: number): void {
      assert.ok(n > 0);
      t.reads++;
      if (t.sealed) {
        t.lateWrites++;
      }
      t.filled += n;
    },
  };
  return t;
}

describe('(unit) FleetAdbClient.readServiceInto (embedded host endpoint)', function () {
  this.timeout(15_000);
  let fleet: VirtualFleet;
  let client: FleetAdbClient;
  let serial: string;

  before(async () => {
    fleet = await startVirtualDevices(1, { hostEndpoint: true });
    client = new FleetAdbClient({ port: fleet.endpoint!.port });
    serial = fleet.serials[0];
  });

  after(async () => {
    await fleet?.close();
  });

  const read = (s: string, service: string, target: ReplyTarget, timeoutMs = 5000, signal?: AbortSignal) =>
    guardCall({ what: service, serial: s, timeoutMs, signal }, (ctx) => client.readServiceInto(s, service, target, ctx));

  it('streams a whole raw screencap into the given memory, byte-exact', async () => {
    const truth = await fleet.devices[0].frame();
    const size = 16 + truth.length;
    const t = recordingTarget(size + 10);
    await read(serial, 'exec:screencap', t);
    assert.equal(t.filled, size);
    assert.ok(Buffer.from(t.bytes.buffer, 16, truth.length).equals(truth));
    assert.ok(t.reads >= 1);
    // The same client serves many calls (status buffers are reused).
    for (let i = 0; i < 3; i++) {
      const again = recordingTarget(size);
      await read(serial, 'exec:screencap', again);
      assert.equal(again.filled, size);
    }
  });

  it('reads a small reply and an empty one', async () => {
    const t = recordingTarget(64);
    await read(serial, 'shell:echo hi', t);
    assert.equal(Buffer.from(t.bytes.subarray(0, t.filled)).toString(), 'hi\n');
    const empty = recordingTarget(64);
    await read(serial, 'shell:true', empty);
    assert.equal(empty.filled, 0);
  });

  it('maps a FAIL for an unknown device to offline, with the server\'s message', async () => {
    await assert.rejects(read('no-such-device', 'exec:screencap', recordingTarget(16)), (e: unknown) => isDeviceError(e, 'offline') && /not found|no-such-device/.test(e.message));
  });

  it('fails with offline when no server listens', async () => {
    const dead = new FleetAdbClient({ port: 1 });
    await assert.rejects(
      guardCall({ what: 'screenshot', timeoutMs: 5000 }, (ctx) => dead.readServiceInto(serial, 'exec:screencap', recordingTarget(16), ctx)),
      (e: unknown) => isDeviceError(e, 'offline'),
    );
  });

  it('a cut-off call closes its socket and never writes the memory afterwards', async () => {
    const vd = fleet.devices[0];
    const baseline = fleet.endpoint!.sessionCount;
    vd.faults.stall(3000);
    try {
      const t = recordingTarget(16 + (await vd.frame()).length);
      const ac = new AbortController();
      const pending = read(serial, 'exec:screencap', t, 10_000, ac.signal);
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(pending, (e: unknown) => isDeviceError(e, 'aborted'));
      t.sealed = true;
      vd.faults.clear();
      // The endpoint sees the connection go; nothing more arrives in the memory.
      const deadline = Date.now() + 3000;
      while (fleet.endpoint!.sessionCount > baseline && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(fleet.endpoint!.sessionCount <= baseline, 'the cut connection is gone');
      assert.equal(t.lateWrites, 0);
    } finally {
      vd.faults.clear();
    }
  });
});
