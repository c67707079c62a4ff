/**
 * A shell v2 command whose connection is cut before the exit packet must not pass for a success (a tap that was
 * never confirmed is an `offline` error, not a silent no-op). In-process: embedded host endpoint, no adb binary.
 */
import { strict as assert } from 'node:assert';
import { AdbDevice } from '../../../src/bot/adb/adbDevice';
import { FleetAdbClient } from '../../../src/bot/adb/adbClient';
import { isDeviceError } from '../../../src/bot/device';
import { startVirtualDevices, type VirtualFleet } from '../../support/virtual';

describe('(unit) AdbDevice: a shell v2 reply cut before its exit packet', function () {
  this.timeout(10_000);
  let fleet: VirtualFleet;
  let dev: AdbDevice;

  before(async () => {
    fleet = await startVirtualDevices(1, { hostEndpoint: true });
    dev = await AdbDevice.connect({ serial: fleet.serials[0], client: new FleetAdbClient({ port: fleet.endpoint!.port }), captureMethod: 'raw' });
    assert.ok(dev.hasShellV2);
  });

  after(async () => {
    await dev?.close();
    await fleet?.close();
  });

  it('is an offline error, not a result without an exit code', async () => {
    const pending = dev.shell('echo started; sleep 2');
    setTimeout(() => fleet.devices[0].faults.drop(), 100);
    await assert.rejects(pending, (e: unknown) => isDeviceError(e, 'offline'));
    // The device is still usable afterwards.
    assert.equal((await dev.shell('echo ok')).exitCode, 0);
  });
});
