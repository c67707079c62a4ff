import { strict as assert } from 'node:assert';
import { MemoryLogger } from '../../../src/shared/loggers';
import { crc32, encodeJournalEntry, parseJournal } from '../../../src/orchestrator/pools/journalFormat';
import { parsePoolDefinition } from '../../../src/orchestrator/pools/poolDefinition';
import { isPoolError } from '../../../src/orchestrator/pools/poolErrors';
import { PoolManager } from '../../../src/orchestrator/pools/poolManager';
import { MemoryPoolStorage } from '../../../src/orchestrator/pools/poolStorage';
import { loadSqlJs } from '../../../src/orchestrator/pools/sqlWasm';
import { FakeClock } from '../../support/fakeClock';
import { MemoryFileStore } from '../../support/memoryFileStore';

const CSV = ['id,password,premium,packs_opened', 'a,pa,true,5', 'b,pb,true,1', 'c,pc,false,9', 'd,pd,true,3'].join('\n');
const OWNER = { group: 'g', bot: '1', orchestrationId: 'o1' };

function manager(storage: MemoryPoolStorage, logger = new MemoryLogger()): PoolManager {
  const m = new PoolManager({ fileStore: new MemoryFileStore(), clock: new FakeClock(false), logger, storage });
  const def = parsePoolDefinition('name: all\ncooldown: 0s\n', 'pools/all.yaml').value!;
  m.setDefinition(def);
  return m;
}

/**
 * A crashed owner's storage: the seed is in the snapshot, then `completions` checkout+complete pairs are only in the
 * journal (2 records each).
 */
async function crashedWithJournal(completions: number): Promise<MemoryPoolStorage> {
  const storage = new MemoryPoolStorage();
  const m = manager(storage);
  await m.open();
  await m.importText(CSV, 'seed.csv');
  await m.database().compact();
  const port = m.accountPort('all', OWNER);
  for (let i = 0; i < completions; i++) {
    const l = await port.checkoutNext();
    await port.complete(l!.accountId, { packs_opened: 1 });
  }
  storage.crash();
  return storage;
}

async function packsAfterOpen(storage: MemoryPoolStorage): Promise<number> {
  const m = manager(storage);
  await m.open();
  const total = ['a', 'b', 'c', 'd'].reduce((n, id) => n + (m.getAccount(id)?.packs_opened ?? 0), 0);
  await m.close();
  return total;
}

/** The text with one bit of the character at `index` flipped. */
function flipBit(text: string, index: number): string {
  return text.slice(0, index) + String.fromCharCode(text.charCodeAt(index) ^ 1) + text.slice(index + 1);
}

async function refused(storage: MemoryPoolStorage, pattern: RegExp): Promise<void> {
  const before = storage.journal;
  await assert.rejects(manager(storage).open(), (e: unknown) => {
    assert.ok(isPoolError(e, 'db-corrupt'), String(e));
    assert.match(e.message, pattern);
    return true;
  });
  assert.equal(storage.journal, before, 'a refused open leaves the journal as it was (nothing is compacted away)');
  assert.equal(storage.locked, false, 'and releases the lock');
}

describe('(unit) account database journal: checksums, torn tails, damage', function () {
  this.timeout(10_000);

  before(async () => {
    await loadSqlJs();
  });

  it('writes one checksummed line per record and reads it back', () => {
    const line = encodeJournalEntry({ s: 7, t: [['UPDATE accounts SET name = ? WHERE id = ?', ['Ash', 'a']]] });
    assert.match(line, /^[0-9a-f]{8} \{"s":7,/);
    assert.ok(line.endsWith('\n'));
    assert.equal(parseInt(line.slice(0, 8), 16), crc32(line.slice(9, -1)));
    const p = parseJournal(new TextEncoder().encode(line + line.replace('"s":7', '"s":8').replace(/^[0-9a-f]{8}/, (c) => c)));
    assert.equal(p.records.length, 1, 'the second line kept the first line checksum, so it is damaged');
    assert.deepEqual(p.damaged, [{ line: 2, reason: 'its checksum does not match its contents' }]);
  });

  it('an empty database file with an empty journal is refused as damaged and left as it is', async () => {
    const storage = new MemoryPoolStorage();
    storage.snapshot = new Uint8Array(0);
    await assert.rejects(manager(storage).open(), (e: unknown) => {
      assert.ok(isPoolError(e, 'db-corrupt'), String(e));
      assert.match(e.message, /memory database is empty \(0 bytes\).*Restore memory database from a backup/);
      return true;
    });
    assert.equal(storage.snapshot.length, 0, 'not rewritten as a new database');
    assert.equal(storage.snapshots, 0);
    assert.equal(storage.locked, false);
    // A workspace without any database file still gets a new one.
    const fresh = new MemoryPoolStorage();
    const m = manager(fresh);
    assert.equal((await m.open()).created, true);
    await m.close();
    assert.ok(fresh.snapshot && fresh.snapshot.length > 0);
  });

  it('a complete last line with one flipped byte is refused, not dropped as a torn tail', async () => {
    const storage = await crashedWithJournal(3);
    const lines = storage.journal.split('\n');
    const k = lines.length - 2; // the last complete line
    lines[k] = flipBit(lines[k], lines[k].length - 1); // its closing brace: the JSON no longer parses
    storage.journal = lines.join('\n');
    await refused(storage, new RegExp(`journal memory journal is damaged at line ${k + 1}: its checksum does not match its contents`));
  });

  it('a record whose account id was altered is refused, not applied as a no-op', async () => {
    const storage = await crashedWithJournal(2);
    const lines = storage.journal.split('\n');
    const k = lines.findIndex((l) => l.includes('"completed"') || l.includes('completed_at'));
    assert.ok(k >= 0);
    lines[k] = lines[k].replace(/"([a-d])"\]/, '"z"]');
    assert.notEqual(lines.join('\n'), storage.journal, 'the test changed an id');
    storage.journal = lines.join('\n');
    await refused(storage, new RegExp(`damaged at line ${k + 1}: its checksum does not match.*the \\d+ line\\(s\\) after it hold changes that were acknowledged`));
  });

  it('a damaged middle line is refused with the journal, the line and how to recover', async () => {
    const storage = await crashedWithJournal(3);
    const lines = storage.journal.split('\n');
    lines[2] = flipBit(lines[2], 30);
    storage.journal = lines.join('\n');
    await refused(storage, /journal memory journal is damaged at line 3: .*keep its intact part: .* holding only its first 2 line\(s\) \(on Linux or macOS: head -n 2 /);
    // Following the documented recovery opens the database with the first two records.
    storage.journal = lines.slice(0, 2).join('\n') + '\n';
    assert.equal(await packsAfterOpen(storage), 19, 'the seed (18 packs) and the first checkout + completion (+1)');
  });

  it('a missing record in the middle (a gap in the sequence) is refused', async () => {
    const storage = await crashedWithJournal(3);
    const lines = storage.journal.split('\n');
    lines.splice(1, 1);
    storage.journal = lines.join('\n');
    await refused(storage, /damaged at line 2: record 4 follows record 2: 1 record\(s\) are missing before it/);
  });

  it('a torn final fragment is dropped with a warning and its bytes are kept aside', async () => {
    const storage = await crashedWithJournal(3);
    const full = storage.journal;
    const lines = full.split('\n');
    // Cut in the middle of the 4th record: records 1-3 stay, 4-6 are gone or torn.
    const cut = lines.slice(0, 3).join('\n').length + 1 + 25;
    storage.journal = full.slice(0, cut);
    const logger = new MemoryLogger();
    const m = manager(storage, logger);
    const report = await m.open();
    assert.equal(report.droppedTornTail, true);
    assert.equal(report.setAside, 'memory journal.dropped-1');
    assert.deepEqual(new TextDecoder().decode(storage.aside.get('memory journal.dropped-1')), full.slice(lines.slice(0, 3).join('\n').length + 1, cut));
    assert.equal(report.warnings.length, 1);
    assert.match(report.warnings[0], /the journal memory journal ended with an incomplete record \(line 4, 25 bytes\).*kept in memory journal\.dropped-1/);
    assert.ok(logger.records.some((r) => r.level === 'warn' && r.message === report.warnings[0]), 'the warning is logged');
    assert.equal(report.replayed, 3);
    await m.close();
  });

  it('a last record whose newline was damaged is refused, not dropped as torn', async () => {
    const storage = await crashedWithJournal(1);
    storage.journal = `${storage.journal.slice(0, -1)}X`;
    await refused(storage, /damaged at line 2: its line end is damaged/);
  });

  it('reads a journal written without checksums (earlier versions) and folds it in at the first read-write open', async () => {
    const storage = await crashedWithJournal(2);
    const legacy = storage.journal.replace(/^[0-9a-f]{8} /gm, '');
    storage.journal = legacy;
    const logger = new MemoryLogger();
    const m = manager(storage, logger);
    const report = await m.open();
    assert.equal(report.legacyJournal, true);
    assert.equal(report.replayed, 4);
    assert.equal(storage.journal, '', 'folded into the snapshot');
    assert.ok(logger.records.some((r) => /written by an earlier version \(without checksums\)/.test(r.message)));
    await m.close();
    assert.equal(await packsAfterOpen(storage), 20);

    // A damaged line of such a journal is refused too (not dropped).
    const s2 = await crashedWithJournal(2);
    const l2 = s2.journal.replace(/^[0-9a-f]{8} /gm, '').split('\n');
    l2[l2.length - 2] = l2[l2.length - 2].slice(0, -3);
    s2.journal = l2.join('\n');
    await refused(s2, /damaged at line 4: it is not valid JSON/);
  });

  it('a journal mixing lines with and without checksums is refused', async () => {
    const storage = await crashedWithJournal(2);
    const lines = storage.journal.split('\n');
    lines[1] = lines[1].replace(/^[0-9a-f]{8} /, '');
    storage.journal = lines.join('\n');
    await refused(storage, /damaged at line 2: it has no checksum/);
  });
});
