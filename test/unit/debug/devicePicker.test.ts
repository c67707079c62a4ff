import { strict as assert } from 'node:assert';
import { asksForDevice, checkDeviceFree, deviceChoices, pickDevice, type DeviceChoice } from '../../../src/extension/debug/devicePicker';
import { DebugLaunchError } from '../../../src/extension/debug/ports';
import type { DeviceInfo } from '../../../src/shared/fleetTypes';

const VIRT: DeviceInfo = { serial: 'virtual-1', source: 'virtual', server: '127.0.0.1:40001', state: 'online' };
const FREE: DeviceInfo = { serial: 'emulator-5556', source: 'adb', server: '127.0.0.1:5037', state: 'online', model: 'Pixel 7' };
const HELD: DeviceInfo = { serial: 'emulator-5554', source: 'adb', server: '127.0.0.1:5037', state: 'online', heldBy: { group: 'Premium Farmers', orchestrationId: 'o1', instance: '1' } };
const OFFLINE: DeviceInfo = { serial: 'R58M1234', source: 'adb', server: '10.0.0.2:5037', state: 'unauthorized' };

/** A prompt that answers `answer` and remembers what it was shown. */
function answering(answer: string): { prompt: (p: string, items: readonly DeviceChoice[]) => Promise<string>; shown: DeviceChoice[][] } {
  const shown: DeviceChoice[][] = [];
  return {
    shown,
    prompt: (_p, items) => {
      shown.push([...items]);
      return Promise.resolve(answer);
    },
  };
}

describe('(unit) debugger device picker', () => {
  it('omitted, "pick" and the pickDevice command variable ask; "virtual" and a serial do not', () => {
    for (const v of [undefined, '', 'pick', '${command:emulatorFleet.pickDevice}']) {
      assert.equal(asksForDevice(v), true, String(v));
    }
    for (const v of ['virtual', 'emulator-5554']) {
      assert.equal(asksForDevice(v), false, v);
    }
  });

  it('lists the free devices of every source first, then a new virtual device, then the busy ones with who holds them', () => {
    const items = deviceChoices([HELD, VIRT, OFFLINE, FREE], { allowVirtual: true });
    assert.deepEqual(
      items.map((i) => [i.label, i.description, i.detail, i.value]),
      [
        ['virtual-1', 'virtual device', 'free', 'virtual-1'],
        ['emulator-5556', 'ADB 127.0.0.1:5037 · Pixel 7', 'free', 'emulator-5556'],
        ['New virtual device', 'started for this session, stopped after it', 'the demo game', 'virtual'],
        ['emulator-5554', 'ADB 127.0.0.1:5037', "held by 'Premium Farmers' (bot 1)", 'emulator-5554'],
        ['R58M1234', 'ADB 10.0.0.2:5037', 'unauthorized', 'R58M1234'],
      ],
    );
  });

  it('returns the picked device; a busy one picked is refused with who holds it', async () => {
    const a = answering('emulator-5556');
    assert.equal(await pickDevice([HELD, FREE], a.prompt, { allowVirtual: true }), 'emulator-5556');
    assert.equal(a.shown.length, 1);
    assert.equal(await pickDevice([HELD], answering('virtual').prompt, { allowVirtual: true }), 'virtual');
    await assert.rejects(pickDevice([HELD, FREE], answering('emulator-5554').prompt, { allowVirtual: true }), (e: unknown) => {
      assert.ok(e instanceof DebugLaunchError);
      assert.equal(e.code, 'device');
      assert.match(e.message, /device 'emulator-5554' is held by 'Premium Farmers' \(bot 1\): pick a free device/);
      return true;
    });
  });

  it('with no free device (and no virtual one allowed) fails before asking, naming why each is busy', async () => {
    const a = answering('emulator-5554');
    await assert.rejects(pickDevice([HELD, OFFLINE], a.prompt, { allowVirtual: false }), /no device is free to debug on \(emulator-5554: held by 'Premium Farmers' \(bot 1\); R58M1234: unauthorized\)/);
    await assert.rejects(pickDevice([], a.prompt, { allowVirtual: false }), /the fleet knows no device/);
    assert.equal(a.shown.length, 0, 'nothing was asked');
  });

  it('a serial named in the configuration that a group holds is refused; a free or unknown one passes', () => {
    assert.throws(() => checkDeviceFree([HELD], 'emulator-5554'), /device 'emulator-5554' is held by 'Premium Farmers' \(bot 1\): stop that group, or attach to its bot/);
    checkDeviceFree([HELD, FREE], 'emulator-5556');
    checkDeviceFree([HELD], 'emulator-9999');
  });
});
