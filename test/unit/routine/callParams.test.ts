/**
 * One call-parameter check for `call:` steps and a group's `routineConfig`: the same problems give the same
 * messages (they had drifted: the group check lacked the range check and the "it has" hint, and worded a missing
 * parameter differently).
 */
import { strict as assert } from 'node:assert';
import { callParamProblems } from '../../../src/bot/routine/callParams';
import type { ParamSpec } from '../../../src/bot/routine/loadedTypes';
import { RoutineRegistry } from '../../../src/bot/routine/registry';
import { validateWorkspace } from '../../../src/orchestrator/workspaceValidation';
import { MemoryLogger } from '../../../src/shared/loggers';
import { MemoryFileStore } from '../../support/memoryFileStore';

const FARM = `params:
  packs: { type: int, min: 1, max: 5 }
  mode: { type: enum, values: [fast, slow], required: true }
steps:
  - log: "\${packs} \${mode}"
`;

describe('(unit) the call-parameter check', () => {
  it('reports unknown names (with a hint), wrong types, out-of-range values and missing required parameters', () => {
    const params = {
      packs: { type: 'int', min: 1, max: 5 },
      mode: { type: 'enum', values: ['fast', 'slow'], required: true },
    } as unknown as Record<string, ParamSpec>;
    assert.deepEqual(
      callParamProblems('farm', params, { pakcs: 2, packs: 9 }).map((p) => [p.code, p.key, p.message]),
      [
        ['unknown-param', 'pakcs', "routine 'farm' has no parameter 'pakcs' (did you mean 'packs'?)"],
        ['param-out-of-range', 'packs', "parameter 'packs' of 'farm' is above its max 5"],
        ['missing-param', undefined, "routine 'farm' needs parameter 'mode'"],
      ],
    );
    assert.deepEqual(
      callParamProblems('farm', params, { zzz: 1, mode: 'medium', packs: '${n}' }).map((p) => p.message),
      ["routine 'farm' has no parameter 'zzz' (it has: packs, mode)", `parameter 'mode' of 'farm' must be one of "fast", "slow", got "medium"`],
    );
    assert.deepEqual(callParamProblems('none', {}, { a: 1 })[0].message, "routine 'none' has no parameter 'a' (it has none)");
  });

  it('a call and a routineConfig with the same parameters get the same messages', async () => {
    const files = new MemoryFileStore({
      'routines/farm.yaml': FARM,
      'routines/main.yaml': 'steps:\n  - call: farm\n    params: { packs: 9, extra: 1 }\n',
      'groups/g.yaml': 'name: G\nroutine: farm\navailableInstances: [1]\nrequestedBotCount: 1\nroutineConfig: { packs: 9, extra: 1 }\n',
    });
    const reg = new RoutineRegistry(files, new MemoryLogger());
    await reg.reload();
    const call = reg
      .entry('main')!
      .diagnostics.filter((d) => d.code?.includes('param'))
      .map((d) => [d.code, d.message]);
    reg.dispose();
    const group = (await validateWorkspace(files)).filter((d) => d.file === 'groups/g.yaml' && d.code?.includes('param')).map((d) => [d.code, d.message]);
    assert.deepEqual(call.sort(), [
      ['missing-param', "routine 'farm' needs parameter 'mode'"],
      ['param-out-of-range', "parameter 'packs' of 'farm' is above its max 5"],
      ['unknown-param', "routine 'farm' has no parameter 'extra' (it has: packs, mode)"],
    ]);
    assert.deepEqual(group.sort(), call);
  });
});
