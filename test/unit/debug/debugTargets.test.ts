import { strict as assert } from 'node:assert';
import type { RoutineRunner, RoutineRunnerContext } from '../../../src/bot/bot';
import type { RoutineDebugTarget } from '../../../src/bot/routine/debug';
import { RunnerDebugTargets } from '../../../src/host/debugTargets';
import { Emitter } from '../../../src/shared/lifecycle';
import type { RoutineEvent } from '../../../src/shared/routineEvents';
import { nullLogger } from '../../../src/shared/loggers';

function ctx(instance: string): RoutineRunnerContext {
  return { device: {} as RoutineRunnerContext['device'], serial: `virtual-${instance}`, logger: nullLogger, group: 'G', orchestrationId: 'o', instance };
}

describe('(unit) the fleet\'s debug targets', () => {
  it('remembers each bot\'s runner while it holds it, passes the runner through whole, and forgets it when disposed', async () => {
    const emitter = new Emitter<RoutineEvent>();
    const calls: string[] = [];
    const debug = { running: true, debugger: undefined } as unknown as RoutineDebugTarget;
    class Runner implements RoutineRunner {
      readonly onDidEmit = emitter.event;
      readonly debug = debug;
      readonly extra = 'kept';
      async run(name: string): Promise<unknown> {
        calls.push(`run ${name} ${this.extra}`);
        return undefined;
      }
      pause(): void {
        calls.push('pause');
      }
      resume(): void {
        calls.push('resume');
      }
      dispose(): void {
        calls.push('dispose');
      }
    }
    const targets = new RunnerDebugTargets({ create: () => new Runner() });
    let changes = 0;
    targets.onDidChange(() => changes++);
    targets.bindFigures((group, instance) => (instance === '1' ? { serial: 'emulator-5554', routine: 'farm', capture: { count: 1, p50: 5, p95: 6, max: 7 } as never } : undefined));
    const r1 = await targets.create(ctx('1'));
    const r2 = await targets.create(ctx('2'));
    assert.equal(changes, 2);
    await r1.run('farm', {}, {} as never);
    r1.pause();
    r1.resume();
    assert.equal((r1 as unknown as { extra: string }).extra, 'kept', 'members the wrapper does not know go through');
    assert.equal(r1.debug, debug);
    assert.deepEqual(
      targets.list().map((t) => [t.group, t.instance, t.serial, t.routine ?? '', t.running, t.attached]),
      [
        ['G', '1', 'emulator-5554', 'farm', true, false],
        ['G', '2', 'virtual-2', '', true, false],
      ],
    );
    const e = targets.find('G', '1')!;
    assert.equal(e.debug, debug);
    assert.equal(e.deviceInfo().serial, 'emulator-5554');
    assert.equal(targets.find('G', '3'), undefined);
    r1.dispose?.();
    assert.equal(targets.find('G', '1'), undefined);
    assert.equal(changes, 3);
    assert.deepEqual(calls, ['run farm kept', 'pause', 'resume', 'dispose']);
    r2.dispose?.();
    assert.deepEqual(targets.list(), []);
    targets.dispose();
  });
});
