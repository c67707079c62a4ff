import { strict as assert } from 'node:assert';
import { MemoryLogger } from '../../../src/shared/loggers';
import { parseAccountsCsv, parseAccountsJson, parseAccountsXml } from '../../../src/orchestrator/pools/accountImport';
import { parseCsv } from '../../../src/orchestrator/pools/csvParser';
import { isPoolError } from '../../../src/orchestrator/pools/poolErrors';
import { PoolManager } from '../../../src/orchestrator/pools/poolManager';
import { MemoryPoolStorage } from '../../../src/orchestrator/pools/poolStorage';
import { loadSqlJs } from '../../../src/orchestrator/pools/sqlWasm';
import type { Diagnostic } from '../../../src/shared/geometry';
import { FakeClock } from '../../support/fakeClock';
import { MemoryFileStore } from '../../support/memoryFileStore';

function located(ds: readonly Diagnostic[]): string[] {
  return ds.map((d) => `${d.file}:${d.line}:${d.col} ${d.severity} ${d.message}`);
}

describe('(unit) account import: bad input is refused where it is, and nothing is lost silently', function () {
  this.timeout(10_000);

  it('CSV: an unterminated quote rejects its row where the quote opens; the rows after it are still read', () => {
    const text = ['id,password,notes', 'a,pa,ok', 'b,pb,"never closed', 'c,pc,fine', 'd,pd,x', ''].join('\n');
    const r = parseAccountsCsv(text, 'in.csv');
    assert.deepEqual(
      r.rows.map((x) => x.id),
      ['a', 'c', 'd'],
    );
    assert.equal(r.skipped, 1);
    assert.deepEqual(located(r.diagnostics), [
      'in.csv:3:6 error unterminated quoted field: the quote that opens here is never closed (a quote inside a field is written ""); this row is skipped, and the next line is read as a new row',
    ]);
    // Every data line is accounted for: imported or skipped.
    assert.equal(r.rows.length + r.skipped, 4);
  });

  it('CSV: a stray quote closed by a later one rejects its row where it opens; the rows it took in are read again', () => {
    const text = ['id,password,notes', 'b,pb,"stray', 'c,pc,fine', 'd,pd,"x"', 'e,pe,y', ''].join('\n');
    const r = parseAccountsCsv(text, 'in.csv');
    assert.deepEqual(
      r.rows.map((x) => x.id),
      ['c', 'd', 'e'],
    );
    assert.equal(r.skipped, 1);
    assert.deepEqual(located(r.diagnostics), [
      'in.csv:2:6 error the quoted field that opens here takes in the line(s) after it (to line 4), and the row is malformed (unexpected text after a closing quote): a quote is missing or stray; this row is skipped, and the next line is read as a new row',
    ]);
    // A field that runs over lines and still makes a well-formed row is imported, with a warning that says so.
    const ok = parseAccountsCsv('id,password,notes\nb,pb,"two\nlines"\ne,pe,x\n', 'ok.csv');
    assert.deepEqual(
      ok.rows.map((x) => x.id),
      ['b', 'e'],
    );
    assert.deepEqual(located(ok.diagnostics), [
      'ok.csv:2:6 warning this quoted field holds 1 line break(s), so it runs to line 3; if that is not intended, a quote is missing and those lines are not imported as rows',
    ]);
  });

  it('CSV: a quote error inside a multi-line row skips that row (not a row on the error line)', () => {
    const r = parseCsv('id,notes\nx,"line one\nline two"junk\ny,fine\n');
    assert.deepEqual(
      r.records.map((x) => [x.line, x.errors.map((e) => `${e.line}:${e.col}`)]),
      [
        [1, []],
        [2, ['2:3']],
        [3, ['3:9']],
        [4, []],
      ],
    );
    const imp = parseAccountsCsv('id,password,notes\nx,px,"line one\nline two"junk\ny,py,fine\n', 'm.csv');
    assert.deepEqual(
      imp.rows.map((x) => x.id),
      ['y'],
    );
    assert.equal(imp.skipped, 2);
  });

  it('CSV: an unterminated quote in the header refuses the file', () => {
    const r = parseAccountsCsv('id,"password\na,pa\n', 'h.csv');
    assert.deepEqual(r.rows, []);
    assert.deepEqual(located(r.diagnostics), [
      'h.csv:1:4 error unterminated quoted field: the quote that opens here is never closed (a quote inside a field is written ""); this row is skipped, and the next line is read as a new row',
      'h.csv:1:1 error the header row (line 1) is malformed, so nothing in this file is imported',
    ]);
  });

  it('CSV and JSON: a repeated account id is reported with both lines; the first row is imported', () => {
    const csv = parseAccountsCsv('id,password\na,p1\nb,p2\na,p3\n', 'dup.csv');
    assert.deepEqual(
      csv.rows.map((x) => `${x.id}:${x.values.password}`),
      ['a:p1', 'b:p2'],
    );
    assert.equal(csv.skipped, 1);
    assert.deepEqual(located(csv.diagnostics), ["dup.csv:4:1 error account 'a' is already in this file at line 2; this row (line 4) is skipped: merge the two rows into one"]);
    const json = parseAccountsJson('[\n  { "id": "a", "password": "p1" },\n  { "id": "a", "password": "p2" }\n]\n', 'dup.json');
    assert.equal(json.rows.length, 1);
    assert.equal(json.skipped, 1);
    assert.match(located(json.diagnostics)[0], /^dup\.json:3:\d+ error account 'a' is already in this file at line 2; this row \(line 3\) is skipped/);
  });

  it('XML: a character reference beyond Unicode, NUL or a lone surrogate is a located error, never a crash', () => {
    const cases: Array<[string, RegExp]> = [
      ['<account>a&#x110000;</account><password>p</password>', /^bad\.xml:1:11 error &#x110000; is not a character XML allows \(beyond the last Unicode character, U\+10FFFF\)$/],
      ['<account>a</account>\n<password>p&#0;</password>', /^bad\.xml:2:12 error &#0; is not a character XML allows \(NUL, U\+0000\)$/],
      ['<account>a</account><password>p&#xD800;</password>', /^bad\.xml:1:32 error &#xD800; is not a character XML allows \(an unpaired surrogate, U\+D800\)$/],
      ['<account>a</account><password>p\u0000</password>', /^bad\.xml:1:32 error the character NUL, U\+0000 is not allowed in XML$/],
      ['<account>a\ud800</account><password>p</password>', /^bad\.xml:1:11 error the character an unpaired surrogate, U\+D800 is not allowed in XML$/],
      ['<account>a</account><password>p&#99999999999999999999;</password>', /^bad\.xml:1:32 error .* is not a character XML allows/],
    ];
    for (const [text, want] of cases) {
      const r = parseAccountsXml(text, 'bad.xml');
      assert.deepEqual(r.rows, [], text);
      assert.equal(r.skipped, 1);
      assert.match(located(r.diagnostics)[0], want, text);
    }
    // Characters XML allows still work, astral ones included.
    const ok = parseAccountsXml('<account>a&#x1F600;&#9;b</account><password>p</password>', 'ok.xml');
    assert.equal(ok.rows[0].id, 'a\u{1F600}\tb');
  });

  it('CSV and JSON: NUL, control characters and lone surrogates in a value are located errors', () => {
    const csv = parseAccountsCsv('id,password,notes,region\na,p\u0000w,x,eu\nb,pb,x,e\u0001u\nc,pc,ok,eu\n', 'c.csv');
    assert.deepEqual(
      csv.rows.map((x) => x.id),
      ['c'],
    );
    assert.deepEqual(located(csv.diagnostics), [
      'c.csv:2:3 error password contains a NUL character (U+0000) at character 2, which an account field cannot hold',
      'c.csv:3:8 error region contains a control character (U+0001) at character 2, which an account field cannot hold',
    ]);
    const json = parseAccountsJson('[{ "id": "a", "password": "p\\ud800" }, { "id": "b\\u0000", "password": "p" }]', 'j.json');
    assert.deepEqual(json.rows, []);
    assert.deepEqual(
      json.diagnostics.map((d) => d.message),
      [
        'password contains an unpaired surrogate (U+D800, half of a character) at character 2, which an account field cannot hold',
        'id contains a NUL character (U+0000) at character 2, which an account field cannot hold',
      ],
    );
  });
});

describe('(unit) account import batches', function () {
  this.timeout(10_000);

  before(async () => {
    await loadSqlJs();
  });

  async function manager(files: Record<string, string>): Promise<PoolManager> {
    const m = new PoolManager({ fileStore: new MemoryFileStore(files), clock: new FakeClock(false), logger: new MemoryLogger(), storage: new MemoryPoolStorage() });
    await m.open();
    return m;
  }

  it('a folder is one batch: a file with a bad character reference is reported, located, and the others are imported', async () => {
    const m = await manager({
      'inbox/1.xml': '<account>x1</account><password>p</password>',
      'inbox/2.xml': '<account>x2&#x110000;</account><password>p</password>',
      'inbox/3.xml': '<account>x3</account><password>p</password>',
    });
    const reports = await m.import('inbox');
    assert.deepEqual(
      reports.map((r) => [r.file, r.imported, r.skipped]),
      [
        ['inbox/1.xml', 1, 0],
        ['inbox/2.xml', 0, 1],
        ['inbox/3.xml', 1, 0],
      ],
    );
    assert.match(located(reports[1].diagnostics)[0], /^inbox\/2\.xml:1:12 error &#x110000; is not a character XML allows/);
    assert.ok(m.getAccount('x1') && m.getAccount('x3'));
    await m.close();
  });

  it('a batch with a file that cannot be read imports nothing, and says which file', async () => {
    const files = new MemoryFileStore({ 'inbox/1.csv': 'id,password\ny1,p\n', 'inbox/2.csv': 'id,password\ny2,p\n' });
    const m = new PoolManager({ fileStore: files, clock: new FakeClock(false), logger: new MemoryLogger(), storage: new MemoryPoolStorage() });
    await m.open();
    const readText = files.readText.bind(files);
    files.readText = async (p: string) => {
      if (p.endsWith('2.csv')) {
        throw new Error('EACCES: permission denied');
      }
      return readText(p);
    };
    await assert.rejects(m.import('inbox'), (e: unknown) => {
      assert.ok(isPoolError(e, 'import-failed'));
      assert.equal(e.message, 'cannot read inbox/2.csv: EACCES: permission denied; nothing was imported');
      return true;
    });
    assert.equal(m.getAccount('y1'), undefined, 'all or nothing');
    await m.close();
  });
});
