import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SETTINGS, FLEET_SHAPING_KEYS, readFleetSettings, SETTING_KEYS, SETTINGS_SECTION, shapesFleet, type SettingKey } from '../../../src/extension/settings';

const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
};

function read(values: Partial<Record<SettingKey, unknown>>) {
  return readFleetSettings((k) => values[k]);
}

describe('(unit) extension settings', () => {
  it('package.json declares exactly the settings the extension reads, with the same defaults', () => {
    const declared = Object.keys(manifest.contributes.configuration.properties).sort();
    const read = Object.values(SETTING_KEYS).map((k) => `${SETTINGS_SECTION}.${k}`).sort();
    assert.deepEqual(declared, read);
    const props = manifest.contributes.configuration.properties;
    assert.deepEqual(props['emulatorFleet.adb.servers'].default, DEFAULT_SETTINGS.adbServers);
    assert.equal(props['emulatorFleet.capture.method'].default, DEFAULT_SETTINGS.captureMethod);
    assert.equal(props['emulatorFleet.monitor.thumbnailFps'].default, DEFAULT_SETTINGS.monitorThumbnailFps);
    assert.equal(props['emulatorFleet.recorder.frames'].default, DEFAULT_SETTINGS.recorderFrames);
    assert.equal(props['emulatorFleet.recorder.memoryMB'].default, DEFAULT_SETTINGS.recorderMemoryMB);
    assert.equal(props['emulatorFleet.virtualDevices.atStartup'].default, DEFAULT_SETTINGS.virtualDevicesAtStartup);
  });

  it('unset settings are the defaults, with no problem', () => {
    const s = read({});
    assert.deepEqual(s.adbServers, ['127.0.0.1:5037']);
    assert.equal(s.captureMethod, 'auto');
    assert.equal(s.emulator, undefined);
    assert.deepEqual(s.problems, []);
  });

  it('every ADB server is kept (normalised, duplicates once); a bad address is named and skipped', () => {
    const s = read({ [SETTING_KEYS.adbServers]: ['127.0.0.1:5037', '10.0.0.2:5038', '127.0.0.1:5037', 'not an address:x'] });
    assert.deepEqual(s.adbServers, ['127.0.0.1:5037', '10.0.0.2:5038']);
    assert.equal(s.problems.length, 1);
    assert.match(s.problems[0], /^emulatorFleet\.adb\.servers: 'not an address:x' is not a server address/);
    assert.deepEqual(read({ [SETTING_KEYS.adbServers]: [] }).adbServers, []);
  });

  it('an emulator preset needs a known kind; generic needs addresses; commands are kept as written', () => {
    const mumu = read({ [SETTING_KEYS.emulatorKind]: 'mumu', [SETTING_KEYS.emulatorInstances]: [0, 1, 'x'], [SETTING_KEYS.emulatorLaunchCommand]: 'MuMuManager api -v {index} launch_player' });
    assert.deepEqual(mumu.emulator, { kind: 'mumu', instances: [0, 1], launchCommand: 'MuMuManager api -v {index} launch_player' });
    assert.match(mumu.problems[0], /emulator\.instances/);
    assert.equal(read({ [SETTING_KEYS.emulatorKind]: 'none' }).emulator, undefined);
    const wrong = read({ [SETTING_KEYS.emulatorKind]: 'nox' });
    assert.equal(wrong.emulator, undefined);
    assert.match(wrong.problems[0], /'nox' is not one of none, mumu, ldplayer, bluestacks, generic/);
    const generic = read({ [SETTING_KEYS.emulatorKind]: 'generic', [SETTING_KEYS.emulatorInstances]: [0] });
    assert.equal(generic.emulator, undefined);
    assert.match(generic.problems[0], /generic preset needs/);
  });

  it('numbers out of range fall back to their default with a problem naming the setting', () => {
    const s = read({ [SETTING_KEYS.monitorThumbnailFps]: 0, [SETTING_KEYS.recorderFrames]: 1.5, [SETTING_KEYS.virtualDevicesAtStartup]: 4 });
    assert.equal(s.monitorThumbnailFps, 4);
    assert.equal(s.recorderFrames, 120);
    assert.equal(s.virtualDevicesAtStartup, 4);
    assert.equal(s.problems.length, 2);
  });

  it('the recorder rate, lossless copies and reports folder: fractions of fps allowed, a bad value is named and the default used', () => {
    const ok = read({ [SETTING_KEYS.recorderFps]: 0.5, [SETTING_KEYS.recorderLosslessFrames]: 0, [SETTING_KEYS.recorderReportsFolder]: '  out/reports ' });
    assert.equal(ok.recorderFps, 0.5);
    assert.equal(ok.recorderLosslessFrames, 0);
    assert.equal(ok.recorderReportsFolder, 'out/reports');
    assert.deepEqual(ok.problems, []);
    const d = read({});
    assert.equal(d.recorderFps, 2);
    assert.equal(d.recorderLosslessFrames, 10);
    assert.equal(d.recorderReportsFolder, undefined);
    for (const bad of [0, 31, -1, '2', Number.NaN, Infinity]) {
      const s = read({ [SETTING_KEYS.recorderFps]: bad });
      assert.equal(s.recorderFps, 2, String(bad));
      assert.deepEqual(s.problems, ['emulatorFleet.recorder.fps: expected a number from 0.1 to 30; using 2']);
    }
    const s = read({ [SETTING_KEYS.recorderLosslessFrames]: 101, [SETTING_KEYS.recorderReportsFolder]: 42 });
    assert.equal(s.recorderLosslessFrames, 10);
    assert.equal(s.recorderReportsFolder, undefined);
    assert.equal(s.problems.length, 2);
    const props = manifest.contributes.configuration.properties;
    assert.equal(props['emulatorFleet.recorder.fps'].default, DEFAULT_SETTINGS.recorderFps);
    assert.equal(props['emulatorFleet.recorder.losslessFrames'].default, DEFAULT_SETTINGS.recorderLosslessFrames);
    assert.equal(props['emulatorFleet.recorder.reportsFolder'].default, '');
  });

  it('only the settings that shape the fleet rebuild it', () => {
    assert.equal(shapesFleet((s) => s === 'emulatorFleet.adb.servers'), true);
    assert.equal(shapesFleet((s) => s === 'emulatorFleet.monitor.thumbnailFps'), false);
    assert.ok(FLEET_SHAPING_KEYS.includes(SETTING_KEYS.fleetFolder));
  });
});
