/** Every typed error of the project extends the one base class, with its name, its typed code and its cause. */
import { strict as assert } from 'node:assert';
import { UnknownKeyError } from '../../src/bot/adb/keycodes';
import { BotError } from '../../src/bot/bot';
import { InstanceRestartError } from '../../src/bot/instanceRestart';
import { DeviceError } from '../../src/bot/device';
import { RoutineAbortedError, RoutineError } from '../../src/bot/routine/errors';
import { PatternError } from '../../src/bot/routine/linearRegex';
import { RoutineRunError } from '../../src/bot/routine/runner';
import { VisionError } from '../../src/bot/vision/visionError';
import { UsageError } from '../../src/cli/args';
import { FleetHostError } from '../../src/host/fleet';
import { GroupError } from '../../src/orchestrator/botGroup';
import { FleetConfigError } from '../../src/orchestrator/config';
import { AddressError } from '../../src/orchestrator/emulators/adbServers';
import { TemplateError } from '../../src/orchestrator/emulators/commandTemplate';
import { EmulatorError } from '../../src/orchestrator/emulators/emulatorManager';
import { PresetError } from '../../src/orchestrator/emulators/presets';
import { GroupDefinitionError } from '../../src/orchestrator/groupDefinition';
import { InstanceBusyError } from '../../src/orchestrator/instanceRegistry';
import { isPoolError, PoolError } from '../../src/orchestrator/pools/poolErrors';
import { FleetError } from '../../src/shared/errors';
import { FileTooLargeError, PathEscapeError } from '../../src/shared/ports';
import { AdbProtocolError } from '../../src/virtual/adbProtocol';
import { GameConfigError } from '../../src/virtual/game/pocketPacksGame';
import { GameRenderError } from '../../src/virtual/game/raster';
import { HostProtocolError } from '../../src/virtual/hostEndpoint';
import { StreamClosedError } from '../../src/virtual/serviceStream';
import { ShellSyntaxError } from '../../src/virtual/shellWords';
import { SyncProtocolError } from '../../src/virtual/syncService';
import { VfsError } from '../../src/virtual/vfs';
import { VirtualDeviceError } from '../../src/virtual/virtualDevice';

describe('(unit) typed errors', () => {
  const cause = new Error('underneath');
  const owner = { instance: '1', group: 'G', orchestrationId: 'o', since: 0 };
  const cases: Array<[FleetError, string, string]> = [
    [new DeviceError('offline', 'm', 'serial-1', { cause }), 'DeviceError', 'offline'],
    [new UnknownKeyError('NOPE'), 'UnknownKeyError', 'unknown-key'],
    [new BotError('stopped', 'm', { cause }), 'BotError', 'stopped'],
    [new InstanceRestartError('unsupported', 'm'), 'InstanceRestartError', 'unsupported'],
    [new RoutineError('fail', 'm', undefined, { cause }), 'RoutineError', 'fail'],
    [new RoutineAbortedError(), 'RoutineAbortedError', 'aborted'],
    [new RoutineRunError('device', 'm', undefined, { cause }), 'RoutineRunError', 'device'],
    [new PatternError('m', 3), 'PatternError', 'invalid-pattern'],
    [new VisionError('unknown-template', 'm', { cause }), 'VisionError', 'unknown-template'],
    [new UsageError('m'), 'UsageError', 'usage'],
    [new FleetHostError('unknown-server', 'm'), 'FleetHostError', 'unknown-server'],
    [new GroupError('no-instances', 'm', { skipped: [] }, { cause }), 'GroupError', 'no-instances'],
    [new FleetConfigError('stopTimeoutMs', 'm'), 'FleetConfigError', 'invalid-config'],
    [new AddressError('x', 'why'), 'AddressError', 'invalid-address'],
    [new TemplateError('empty-command', 'm', 1), 'TemplateError', 'empty-command'],
    [new EmulatorError('timeout', 'm', 2, { cause }), 'EmulatorError', 'timeout'],
    [new PresetError('m'), 'PresetError', 'unknown-instance'],
    [new GroupDefinitionError('unknown-group', 'm'), 'GroupDefinitionError', 'unknown-group'],
    [new InstanceBusyError('1', owner), 'InstanceBusyError', 'instance-busy'],
    [new PoolError('db-locked', 'm', { pid: 1 }), 'PoolError', 'db-locked'],
    [new PathEscapeError('../x', '/root'), 'PathEscapeError', 'EESCAPE'],
    [new FileTooLargeError('a', 2, 1), 'FileTooLargeError', 'EFBIG'],
    [new AdbProtocolError('bad-magic', 'm'), 'AdbProtocolError', 'bad-magic'],
    [new GameConfigError('m'), 'GameConfigError', 'invalid-option'],
    [new GameRenderError('m', { cause }), 'GameRenderError', 'render-failed'],
    [new HostProtocolError('too-long', 'm'), 'HostProtocolError', 'too-long'],
    [new StreamClosedError('why'), 'StreamClosedError', 'stream-closed'],
    [new ShellSyntaxError('m', 0), 'ShellSyntaxError', 'shell-syntax'],
    [new SyncProtocolError('m'), 'SyncProtocolError', 'sync-protocol'],
    [new VfsError('ENOENT', '/x', 'm'), 'VfsError', 'ENOENT'],
    [new VirtualDeviceError('closed', 'm', { cause }), 'VirtualDeviceError', 'closed'],
  ];

  for (const [e, name, code] of cases) {
    it(`${name} is a FleetError with code '${code}'`, () => {
      assert.ok(e instanceof FleetError);
      assert.ok(e instanceof Error);
      assert.equal(e.name, name);
      assert.equal(e.code, code);
      assert.equal(typeof e.stack, 'string');
    });
  }

  it('keeps the cause and the details', () => {
    assert.equal(new DeviceError('offline', 'm', 's', { cause }).cause, cause);
    assert.equal(new GroupError('no-instances', 'm', {}, { cause }).cause, cause);
    assert.deepEqual(new GroupError('no-instances', 'm').details, {});
    assert.deepEqual(new PoolError('db-locked', 'm', { pid: 1 }).details, { pid: 1 });
    assert.equal('cause' in new PresetError('m'), false, 'no cause property without a cause');
    const device = new DeviceError('timeout', 'm', 'serial-9');
    assert.equal(device.serial, 'serial-9');
    assert.equal(device.message, 'm');
  });

  it('the helpers that test a family and a code keep working', () => {
    assert.ok(isPoolError(new PoolError('db-locked', 'm'), 'db-locked'));
    assert.ok(!isPoolError(new PoolError('db-locked', 'm'), 'db-closed'));
    assert.ok(!isPoolError(new DeviceError('offline', 'm')));
  });
});
