import { strict as assert } from 'node:assert';
import { MemoryLogger } from '../../../src/shared/loggers';
import { RoutineRegistry, type RoutinesChangeEvent } from '../../../src/bot/routine/registry';
import { waitForEvent } from '../../../src/shared/lifecycle';
import { MemoryFileStore } from '../../support/memoryFileStore';

const MAIN = `params:
  count: { type: int, default: 1 }
steps:
  - call: common/open
    params: { pack: premium, cuont: 2 }
    save: { n: opened, m: nothing }
  - tap: ok_button
  - waitFor: { image: title_logo }
`;

const OPEN = `params:
  pack: { type: enum, values: [premium, standard], required: true }
  count: { type: int, default: 1, min: 1 }
steps:
  - repeat: "\${count}"
    do: [ { tap: { x: 1, y: 2 } } ]
  - return: { opened: "\${count}" }
`;

function workspace(extra: Record<string, string> = {}): MemoryFileStore {
  return new MemoryFileStore({
    'routines/main.yaml': MAIN,
    'routines/common/open.yaml': OPEN,
    'routines/broken.yaml': 'steps:\n  - tapp: x\n',
    'routines/old.yml': 'steps: []\n',
    'templates/ui.yaml': 'templates: []\n',
    ...extra,
  });
}

describe('(unit) routine registry', () => {
  it('loads routines recursively, names them by path, and keeps invalid ones with their diagnostics', async () => {
    const reg = new RoutineRegistry(workspace(), new MemoryLogger());
    const ev = await reg.reload();
    assert.deepEqual(ev.added, ['broken', 'common/open', 'main']);
    assert.deepEqual(reg.names(), ['broken', 'common/open', 'main']);
    assert.equal(reg.get('common/open')?.name, 'common/open');
    assert.equal(reg.get('broken'), undefined);
    const broken = reg.entry('broken')!;
    assert.equal(broken.valid, false);
    assert.equal(broken.file, 'routines/broken.yaml');
    assert.match(broken.diagnostics[0].message, /did you mean 'tap'/);
    const yml = reg.diagnostics().find((d) => d.file === 'routines/old.yml');
    assert.equal(yml?.severity, 'warning');
    reg.dispose();
  });

  it('checks calls against the called routine: unknown and missing params, unknown returned names', async () => {
    const reg = new RoutineRegistry(workspace(), new MemoryLogger());
    await reg.reload();
    const ds = reg.entry('main')!.diagnostics;
    const byCode = (c: string) => ds.filter((d) => d.code === c);
    assert.equal(byCode('unknown-param').length, 1);
    assert.match(byCode('unknown-param')[0].message, /no parameter 'cuont' \(did you mean 'count'\?\)/);
    assert.equal(byCode('unknown-param')[0].line, 5);
    assert.equal(byCode('unknown-param')[0].col, 30);
    assert.equal(byCode('unknown-return')[0].severity, 'warning');
    assert.match(byCode('unknown-return')[0].message, /never returns 'nothing'/);
    assert.equal(reg.get('main'), undefined, 'cross-file errors make it invalid');
    assert.ok(reg.routine('main'), 'but the file itself loaded');
    reg.dispose();
  });

  it('reports unknown and wrongly typed call parameters, missing required ones and unknown routines', async () => {
    const fs = workspace({
      'routines/main.yaml': 'steps:\n  - call: common/open\n    params: { count: two }\n  - call: common/opne\n  - call: "${dynamic}"\n',
    });
    const reg = new RoutineRegistry(fs, new MemoryLogger());
    await reg.reload();
    const msgs = reg.entry('main')!.diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`);
    assert.deepEqual(msgs.filter((m) => !m.includes('undefined-variable')), [
      "2:5 missing-param routine 'common/open' needs parameter 'pack'",
      '3:22 wrong-param-type parameter \'count\' of \'common/open\' must be an integer, got "two"',
      "4:11 unknown-routine unknown routine 'common/opne' (did you mean 'common/open'?)",
    ]);
    reg.dispose();
  });

  it('checks template names when given a template lookup, and re-checks when it changes', async () => {
    const reg = new RoutineRegistry(workspace(), new MemoryLogger(), { templates: { has: (n) => n === 'ok_button' } });
    await reg.reload();
    const unknown = reg.entry('main')!.diagnostics.filter((d) => d.code === 'unknown-template');
    assert.deepEqual(
      unknown.map((d) => [d.line, d.col, d.message]),
      [[8, 23, "unknown template 'title_logo'"]],
    );
    const events: RoutinesChangeEvent[] = [];
    reg.onDidChangeRoutines((e) => events.push(e));
    reg.setTemplates({ has: () => true });
    assert.equal(reg.entry('main')!.diagnostics.filter((d) => d.code === 'unknown-template').length, 0);
    assert.deepEqual(events, [{ added: [], removed: [], changed: ['main'] }]);
    reg.dispose();
  });

  it('warns about call cycles', async () => {
    const fs = new MemoryFileStore({
      'routines/a.yaml': 'steps:\n  - call: b\n',
      'routines/b.yaml': 'steps:\n  - call: a\n',
    });
    const reg = new RoutineRegistry(fs, new MemoryLogger());
    await reg.reload();
    const cycles = reg.diagnostics().filter((d) => d.code === 'call-cycle');
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0].severity, 'warning');
    assert.match(cycles[0].message, /a → b → a/);
    assert.ok(reg.get('a'), 'a warning keeps the routine valid');
    reg.dispose();
  });

  it('reload reports added, removed and changed routines, and nothing when nothing changed', async () => {
    const fs = workspace();
    const reg = new RoutineRegistry(fs, new MemoryLogger());
    await reg.reload();
    assert.deepEqual(await reg.reload(), { added: [], removed: [], changed: [] });
    fs.set('routines/common/open.yaml', OPEN.replace('min: 1', 'min: 0'));
    fs.set('routines/new/x.yaml', 'steps: [ { wait: 1 } ]\n');
    await fs.delete('routines/broken.yaml');
    const ev = await reg.reload();
    assert.deepEqual(ev.added, ['new/x']);
    assert.deepEqual(ev.removed, ['broken']);
    assert.deepEqual(ev.changed, ['common/open']);
    reg.dispose();
  });

  it('concurrent reloads share one load', async () => {
    const reg = new RoutineRegistry(workspace(), new MemoryLogger());
    const [a, b] = await Promise.all([reg.reload(), reg.reload()]);
    assert.deepEqual(a.added, ['broken', 'common/open', 'main']);
    assert.deepEqual(b, a);
    reg.dispose();
  });

  it('watches subfolders and fires onDidChangeRoutines; dispose stops watching', async () => {
    const fs = workspace();
    const reg = new RoutineRegistry(fs, new MemoryLogger());
    await reg.reload();
    reg.watch();
    assert.ok(fs.watcherCount >= 2, 'routines/ and routines/common/');
    const next = waitForEvent(reg.onDidChangeRoutines, (e) => e.changed.includes('common/open'), 2000);
    fs.set('routines/common/open.yaml', OPEN.replace('required: true', 'required: false'));
    const ev = await next;
    assert.deepEqual(ev.changed, ['common/open']);
    reg.dispose();
    assert.equal(fs.watcherCount, 0);
  });
});
