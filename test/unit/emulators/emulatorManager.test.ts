import { strict as assert } from 'node:assert';
import { FakeClock } from '../../support/fakeClock';
import { MemoryLogger } from '../../../src/shared/loggers';
import { EmulatorError, EmulatorManager, type EmulatorManagerOptions } from '../../../src/orchestrator/emulators/emulatorManager';
import type { ProcessResult, ProcessRunner, ProcessRunOptions } from '../../../src/orchestrator/emulators/processRunner';

class FakeRunner implements ProcessRunner {
  calls: Array<{ file: string; args: readonly string[]; opts: ProcessRunOptions }> = [];
  next: Partial<ProcessResult> = {};
  async run(file: string, args: readonly string[], opts: ProcessRunOptions): Promise<ProcessResult> {
    this.calls.push({ file, args, opts });
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false, aborted: false, ...this.next };
  }
}

function manager(extra: Partial<EmulatorManagerOptions> = {}): { m: EmulatorManager; runner: FakeRunner } {
  const runner = new FakeRunner();
  // Never started: no server is contacted in these tests.
  const m = new EmulatorManager({
    kind: 'mumu',
    instances: [0, 2],
    clock: new FakeClock(),
    logger: new MemoryLogger(),
    processRunner: runner,
    servers: ['127.0.0.1:1'],
    launchCommand: '"C:\\Program Files\\MuMu\\MuMuManager.exe" control -v {index} launch',
    stopCommand: 'MuMuManager.exe control -v {index} shutdown --port {port}',
    ...extra,
  });
  return { m, runner };
}

describe('(unit) emulator manager (configuration and commands)', () => {
  it('lists configured instances with their addresses, offline before tracking', () => {
    const { m } = manager();
    try {
      const list = m.instances();
      assert.deepEqual(list.map((i) => [i.instance, i.address.serial, i.online, i.state]), [
        [0, '127.0.0.1:16384', false, 'absent'],
        [2, '127.0.0.1:16448', false, 'absent'],
      ]);
      assert.equal(m.resolve(2).port, 16448);
      assert.throws(() => m.resolve(1), (e: unknown) => e instanceof EmulatorError && e.code === 'unknown-instance');
      assert.deepEqual(m.servers(), ['127.0.0.1:1']);
    } finally {
      m.dispose();
    }
  });

  it('runs launch and stop templates as argv, without a shell', async () => {
    const { m, runner } = manager({ commandTimeoutMs: 1234 });
    try {
      await m.launch(2);
      await m.stop(0);
      assert.deepEqual(runner.calls.map((c) => [c.file, ...c.args]), [
        ['C:\\Program Files\\MuMu\\MuMuManager.exe', 'control', '-v', '2', 'launch'],
        ['MuMuManager.exe', 'control', '-v', '0', 'shutdown', '--port', '16384'],
      ]);
      assert.equal(runner.calls[0].opts.timeoutMs, 1234);
    } finally {
      m.dispose();
    }
  });

  it('maps command failures to error codes', async () => {
    const { m, runner } = manager();
    try {
      runner.next = { exitCode: 3, stderr: 'instance not found\nmore' };
      await assert.rejects(m.launch(0), (e: unknown) => e instanceof EmulatorError && e.code === 'command-failed' && /exited with 3: instance not found$/.test(e.message));
      runner.next = { exitCode: null, timedOut: true };
      await assert.rejects(m.launch(0), (e: unknown) => e instanceof EmulatorError && e.code === 'timeout');
      runner.next = { exitCode: null, spawnError: 'ENOENT: spawn x' };
      await assert.rejects(m.launch(0), (e: unknown) => e instanceof EmulatorError && e.code === 'command-failed' && /could not start/.test(e.message));
      await assert.rejects(m.launch(7), (e: unknown) => e instanceof EmulatorError && e.code === 'unknown-instance');
    } finally {
      m.dispose();
    }
  });

  it('says when no command is configured', async () => {
    const { m } = manager({ launchCommand: undefined });
    try {
      await assert.rejects(m.launch(0), (e: unknown) => e instanceof EmulatorError && e.code === 'no-command');
    } finally {
      m.dispose();
    }
  });

  it('rejects bad configuration up front', () => {
    const bad: Array<Partial<EmulatorManagerOptions>> = [
      { launchCommand: 'x "unterminated' },
      { stopCommand: 'x {nope}' },
      { servers: ['host:99999'] },
      { instances: [-1] },
      { kind: 'generic', instances: [0], addresses: [] },
      { connectVia: '127.0.0.1:2' },
    ];
    for (const b of bad) {
      assert.throws(() => manager(b), (e: unknown) => e instanceof EmulatorError && e.code === 'invalid-config', JSON.stringify(b));
    }
  });
});
