import * as assert from 'node:assert/strict';
import { DefinitionsStore } from '../../../src/orchestrator/definitionsStore';
import { GroupDefinitionError, parseGroupDefinition, type BotGroupDefinition } from '../../../src/orchestrator/groupDefinition';
import { FakeClock } from '../../support/fakeClock';
import { MemoryFileStore } from '../../support/memoryFileStore';

const PREMIUM = `# The premium farm.
name: Premium Farmers
routine: farm_premium # the routine under routines/
availableInstances: [1, 2, 3, 4]
requestedBotCount: 2
accountPool: premium_accounts

# Launch tuning
launchOptions:
  stagger: 2s # spread app launches
`;

function def(name: string, extra: Partial<BotGroupDefinition> = {}): BotGroupDefinition {
  const base = parseGroupDefinition(`name: ${JSON.stringify(name)}\nroutine: wonder_pick\navailableInstances: [1, 2]\nrequestedBotCount: 1\n`, 'x.yaml').value!;
  return { ...base, ...extra };
}

function waitFor(pred: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const tick = () => {
      if (pred()) {
        resolve();
      } else if (++n > 200) {
        reject(new Error(`timed out waiting for ${what}`));
      } else {
        setTimeout(tick, 5);
      }
    };
    tick();
  });
}

describe('(unit) definitions store', () => {
  let files: MemoryFileStore;
  let store: DefinitionsStore;
  const clock = new FakeClock(false);

  beforeEach(async () => {
    files = new MemoryFileStore({
      'groups/premium_farmers.yaml': PREMIUM,
      'groups/broken.yaml': 'name: Broken\nroutine: r\navailableInstances: [1]\nrequestedBotCount: 3\nbogus: 1\n',
      'groups/notes.txt': 'not a definition',
    });
    store = new DefinitionsStore(files, { dir: 'groups', clock });
    await store.load();
    store.watch();
  });

  afterEach(() => store.dispose());

  it('lists every file, a broken one with its located diagnostics', () => {
    const entries = store.entries();
    assert.deepEqual(
      entries.map((e) => [e.file, e.name, e.definition !== undefined]),
      [
        ['groups/broken.yaml', 'Broken', false],
        ['groups/premium_farmers.yaml', 'Premium Farmers', true],
      ],
    );
    const broken = entries[0];
    const lines = broken.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.code}`);
    assert.ok(lines.includes('groups/broken.yaml:5:1 unknown-key'), lines.join('\n'));
    assert.equal(store.get('Broken'), undefined);
    assert.equal(store.get('Premium Farmers')?.requestedBotCount, 2);
  });

  it('saves an existing definition in place, keeping comments and layout, atomically', async () => {
    const d = store.get('Premium Farmers')!;
    d.requestedBotCount = 3;
    d.launchOptions.staggerMs = 2000;
    d.launchOptions.cycles = 5;
    await clock.advance(1000);
    const saved = await store.save(d);
    const text = files.text('groups/premium_farmers.yaml')!;
    assert.match(text, /^# The premium farm\.\n/);
    assert.match(text, /routine: farm_premium # the routine under routines\//);
    assert.match(text, /# Launch tuning\nlaunchOptions:\n {2}stagger: 2s # spread app launches\n/);
    assert.match(text, /requestedBotCount: 3/);
    assert.match(text, /availableInstances: \[1, 2, 3, 4\]/);
    assert.match(text, /cycles: 5/);
    assert.ok(saved.createdAt && saved.updatedAt);
    assert.equal(saved.createdAt, saved.updatedAt);
    assert.deepEqual(files.writes, ['groups/premium_farmers.yaml']);

    await clock.advance(5000);
    const again = await store.save({ ...saved, description: 'now described' });
    assert.equal(again.createdAt, saved.createdAt);
    assert.notEqual(again.updatedAt, saved.updatedAt);
    assert.match(files.text('groups/premium_farmers.yaml')!, /description: now described/);
  });

  it('creates a new file named after the group and refuses an invalid definition without writing', async () => {
    const saved = await store.save(def('Wonder Pick Farmers', { description: 'Automated wonder pick farming' }));
    assert.equal(store.entry('Wonder Pick Farmers')?.file, 'groups/wonder_pick_farmers.yaml');
    const text = files.text('groups/wonder_pick_farmers.yaml')!;
    assert.match(text, /^name: Wonder Pick Farmers\ndescription: Automated wonder pick farming\nroutine: wonder_pick\navailableInstances: \[1, 2\]\n/);
    assert.equal(saved.name, 'Wonder Pick Farmers');

    const writes = files.writes.length;
    await assert.rejects(store.save(def('Too Many', { requestedBotCount: 9 })), (e: unknown) => e instanceof GroupDefinitionError && e.code === 'invalid-definition' && /requestedBotCount/.test(e.message));
    assert.equal(files.writes.length, writes);
  });

  it('sees edits on disk at once through the watcher, and reports them', async () => {
    const changes: string[][] = [];
    store.onDidChange((e) => changes.push(e.names));
    files.edit('groups/premium_farmers.yaml', PREMIUM.replace('requestedBotCount: 2', 'requestedBotCount: 4'));
    await waitFor(() => store.get('Premium Farmers')?.requestedBotCount === 4, 'the edit');
    files.edit('groups/broken.yaml', 'name: Broken\nroutine: r\navailableInstances: [1]\nrequestedBotCount: 1\n');
    await waitFor(() => store.get('Broken') !== undefined, 'the fix');
    files.edit('groups/new.yaml', 'name: New\nroutine: r\navailableInstances: [7]\nrequestedBotCount: 1\n');
    await waitFor(() => store.get('New') !== undefined, 'the new file');
    files.edit('groups/new.yaml', undefined);
    await waitFor(() => store.entry('New') === undefined, 'the deletion');
    assert.deepEqual(changes, [['Premium Farmers'], ['Broken'], ['New'], ['New']]);
  });

  it('marks a second file with a taken name as a duplicate, at its name', async () => {
    files.edit('groups/zz_copy.yaml', PREMIUM);
    await waitFor(() => store.entries().length === 3, 'the copy');
    const copy = store.entries().find((e) => e.file === 'groups/zz_copy.yaml')!;
    assert.equal(copy.definition, undefined);
    const dup = copy.diagnostics.find((d) => d.code === 'duplicate-group');
    assert.ok(dup);
    assert.equal(dup.line, 2);
    assert.equal(store.entry('Premium Farmers')?.file, 'groups/premium_farmers.yaml');
    files.edit('groups/premium_farmers.yaml', undefined);
    await waitFor(() => store.get('Premium Farmers') !== undefined && store.entries().length === 2, 'the copy to take over');
    assert.equal(store.entry('Premium Farmers')?.file, 'groups/zz_copy.yaml');
  });

  it('deletes a definition file; deleting an unknown one is a typed error', async () => {
    await store.delete('Premium Farmers');
    assert.equal(files.has('groups/premium_farmers.yaml'), false);
    assert.equal(store.entry('Premium Farmers'), undefined);
    await assert.rejects(store.delete('Nope'), (e: unknown) => e instanceof GroupDefinitionError && e.code === 'unknown-group');
  });

  it('rewrites a file that is not valid YAML when saving over it', async () => {
    files.edit('groups/broken.yaml', 'name: Broken\nroutine: [unclosed\n');
    await waitFor(() => store.entry('Broken')?.diagnostics.some((d) => d.code?.startsWith('yaml-')) === true, 'the syntax error');
    await store.save(def('Broken'));
    assert.equal(store.get('Broken')?.routine, 'wonder_pick');
    assert.equal(store.entry('Broken')?.file, 'groups/broken.yaml');
  });
});
