/** Messages a person can act on: missing keys and NaN name the key and the type; durations are rounded. */
import { strict as assert } from 'node:assert';
import { formatDuration } from '../../../src/shared/durations';
import { validateWorkspace } from '../../../src/orchestrator/workspaceValidation';
import { MemoryFileStore } from '../../support/memoryFileStore';

describe('(unit) messages', () => {
  it('missing keys and NaN name the key and the expected type in templates, groups and pools', async () => {
    const ds = await validateWorkspace(
      new MemoryFileStore({
        'templates/t.yaml': 'templates:\n  - name: a\n  - image: x.png\n    threshold: .nan\n',
        'groups/g.yaml': 'routine: m\nrequestedBotCount: .nan\n',
        'pools/p.yaml': 'filters: 3\n',
        'routines/m.yaml': 'steps:\n  - tap: { x: .nan, y: 1 }\n',
      }),
      { checkImages: false },
    );
    const text = ds.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`);
    for (const expected of [
      "groups/g.yaml:1:1: missing required key 'name' (expected a string)",
      "groups/g.yaml:1:1: missing required key 'availableInstances' (expected a list)",
      'groups/g.yaml:2:20: requestedBotCount: expected a number, got NaN (.nan)',
      "pools/p.yaml:1:1: missing required key 'name' (expected a string)",
      'pools/p.yaml:1:10: filters: expected a list, got 3',
      "templates/t.yaml:2:5: missing required key 'image' in templates[0] (expected a string)",
      'templates/t.yaml:4:16: templates[1].threshold: expected a number, got NaN (.nan)',
      'routines/m.yaml:2:15: steps[0].tap.x: expected a number >= 0, got NaN (.nan)',
    ]) {
      assert.ok(text.includes(expected), `missing: ${expected}\n${text.join('\n')}`);
    }
    assert.ok(!text.some((t) => /Invalid input/.test(t)), text.join('\n'));
  });

  it('durations are printed rounded, in the unit asked for', () => {
    assert.equal(formatDuration(9997.805346000001), '9998ms');
    assert.equal(formatDuration(90_000, 's'), '90s');
    assert.equal(formatDuration(5_400_000, 'h'), '1.5h');
    assert.equal(formatDuration(1234, 's'), '1.234s');
    assert.equal(formatDuration(1, 's'), '0.001s');
    assert.equal(formatDuration(0.2, 's'), '0s');
    assert.equal(formatDuration(1500), '1.5s');
  });
});
