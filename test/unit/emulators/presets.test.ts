import { strict as assert } from 'node:assert';
import { AddressError, formatServerAddress, parseServerAddress } from '../../../src/orchestrator/emulators/adbServers';
import { genericAddress, instanceSerials, maxInstance, presetPort, PresetError, resolveInstance } from '../../../src/orchestrator/emulators/presets';

describe('(unit) emulator presets', () => {
  it('maps MuMu instances to 16384 + 32n', () => {
    assert.deepEqual([0, 1, 2, 3].map((n) => presetPort('mumu', n)), [16384, 16416, 16448, 16480]);
    assert.deepEqual(resolveInstance('mumu', 2), { instance: 2, host: '127.0.0.1', port: 16448, serial: '127.0.0.1:16448', aliases: [] });
  });

  it('maps LDPlayer instances to 5555 + 2n with the emulator-5554 + 2n alias', () => {
    assert.deepEqual([0, 1, 5].map((n) => presetPort('ldplayer', n)), [5555, 5557, 5565]);
    const a = resolveInstance('ldplayer', 1);
    assert.equal(a.serial, '127.0.0.1:5557');
    assert.deepEqual(a.aliases, ['emulator-5556']);
    assert.deepEqual(instanceSerials(a), ['127.0.0.1:5557', 'emulator-5556']);
  });

  it('maps BlueStacks instances to 5555 + 10n', () => {
    assert.deepEqual([0, 1, 4].map((n) => presetPort('bluestacks', n)), [5555, 5565, 5595]);
  });

  it('uses another host when given', () => {
    assert.equal(resolveInstance('mumu', 1, { host: '10.0.0.7' }).serial, '10.0.0.7:16416');
  });

  it('rejects instance numbers outside the port range', () => {
    for (const kind of ['mumu', 'ldplayer', 'bluestacks'] as const) {
      assert.ok(presetPort(kind, maxInstance(kind)) <= 65535);
      assert.throws(() => presetPort(kind, maxInstance(kind) + 1), PresetError);
      assert.throws(() => presetPort(kind, -1), PresetError);
      assert.throws(() => presetPort(kind, 1.5), PresetError);
    }
  });

  it('maps generic lists of addresses and serials', () => {
    const list = ['127.0.0.1:40001', 'emulator-5554', 'R58M123ABC', '[::1]:5555'];
    assert.deepEqual(resolveInstance('generic', 0, { addresses: list }), { instance: 0, host: '127.0.0.1', port: 40001, serial: '127.0.0.1:40001', aliases: [] });
    assert.deepEqual(resolveInstance('generic', 1, { addresses: list }), { instance: 1, serial: 'emulator-5554', aliases: [] });
    assert.equal(resolveInstance('generic', 2, { addresses: list }).port, undefined);
    assert.equal(resolveInstance('generic', 3, { addresses: list }).serial, '[::1]:5555');
    assert.throws(() => resolveInstance('generic', 4, { addresses: list }), PresetError);
    assert.throws(() => genericAddress(0, 'bad address!'), AddressError);
    assert.throws(() => genericAddress(0, 'host:99999'), AddressError);
  });
});

describe('(unit) adb server addresses', () => {
  it('parses host:port forms with defaults', () => {
    assert.deepEqual(parseServerAddress('127.0.0.1:5037'), { host: '127.0.0.1', port: 5037 });
    assert.deepEqual(parseServerAddress('buildbox.lan'), { host: 'buildbox.lan', port: 5037 });
    assert.deepEqual(parseServerAddress('5038'), { host: '127.0.0.1', port: 5038 });
    assert.deepEqual(parseServerAddress(' [::1]:6000 '), { host: '::1', port: 6000 });
    assert.equal(formatServerAddress({ host: '::1', port: 6000 }), '[::1]:6000');
    assert.equal(formatServerAddress({ host: 'h', port: 1 }), 'h:1');
  });

  for (const bad of ['', 'host:', 'host:0', 'host:70000', 'a b:1', 'host:port']) {
    it(`rejects '${bad}'`, () => {
      assert.throws(() => parseServerAddress(bad), (e: unknown) => e instanceof AddressError && e.code === 'invalid-address');
    });
  }
});

describe('(unit) device lists', () => {
  it('parses track-devices lists and normalises states', async () => {
    const { parseDeviceList, normalizeState } = await import('../../../src/orchestrator/emulators/deviceTracker');
    assert.deepEqual(parseDeviceList('127.0.0.1:5555\tdevice\nemulator-5554\toffline\nR58\tno permissions (udev); see x\nX\tweird\n\n'), [
      { serial: '127.0.0.1:5555', state: 'device' },
      { serial: 'emulator-5554', state: 'offline' },
      { serial: 'R58', state: 'no permissions' },
      { serial: 'X', state: 'unknown' },
    ]);
    assert.deepEqual(parseDeviceList(''), []);
    assert.equal(normalizeState('emulator'), 'device');
    assert.equal(normalizeState('UNAUTHORIZED'), 'unauthorized');
    assert.equal(normalizeState(undefined), 'unknown');
  });
});
