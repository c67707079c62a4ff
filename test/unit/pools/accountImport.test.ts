import { strict as assert } from 'node:assert';
import { parseAccountsCsv, parseAccountsFile, parseAccountsJson, parseAccountsXml } from '../../../src/orchestrator/pools/accountImport';
import { parseCsv } from '../../../src/orchestrator/pools/csvParser';
import { buildDeviceFile, parseDeviceFile } from '../../../src/orchestrator/pools/deviceFile';
import { parseXml } from '../../../src/orchestrator/pools/xmlLite';

describe('(unit) CSV parser', () => {
  it('handles quotes, embedded commas, newlines, doubled quotes and CRLF, with positions', () => {
    const text = 'id,notes,n\r\na,"one, two",1\r\nb,"line1\nline2 ""quoted""",2\r\n\r\nc,,3';
    const r = parseCsv(text);
    assert.deepEqual(r.errors, []);
    assert.equal(r.records.length, 4);
    assert.deepEqual(
      r.records.map((x) => x.cells.map((c) => c.value)),
      [
        ['id', 'notes', 'n'],
        ['a', 'one, two', '1'],
        ['b', 'line1\nline2 "quoted"', '2'],
        ['c', '', '3'],
      ],
    );
    assert.deepEqual(
      r.records.map((x) => x.line),
      [1, 2, 3, 6],
    );
    const b2 = r.records[2].cells[2];
    assert.deepEqual([b2.line, b2.col], [4, 19]);
  });

  it('keeps a trailing empty field and a final line without newline', () => {
    const r = parseCsv('a,b,\n1,2,');
    assert.deepEqual(
      r.records.map((x) => x.cells.map((c) => c.value)),
      [
        ['a', 'b', ''],
        ['1', '2', ''],
      ],
    );
  });

  it('reports an unterminated quote where it opens, and text after a closing quote', () => {
    const r = parseCsv('id,notes\nx,"never closed\n');
    assert.equal(r.errors.length, 1);
    assert.deepEqual([r.errors[0].line, r.errors[0].col], [2, 3]);
    assert.match(r.errors[0].message, /unterminated/);
    const r2 = parseCsv('id,notes\nx,"a"b\n');
    assert.deepEqual([r2.errors[0].line, r2.errors[0].col], [2, 6]);
  });
});

describe('(unit) account import', () => {
  it('reads CSV rows with aliases, custom fields and located errors', () => {
    const text = ['deviceAccount,devicePassword,premium,packsOpened,region', 'a1,pw1,yes,3,eu', 'a2,pw2,maybe,4,us', ',pw3,no,1,eu', 'a4,"pw,4",0,,"007"', 'a5,pw5'].join('\n');
    const r = parseAccountsCsv(text, 'in.csv');
    assert.deepEqual(
      r.rows.map((x) => x.id),
      ['a1', 'a4'],
    );
    assert.deepEqual(r.rows[0].values, { password: 'pw1', premium: true, packs_opened: 3 });
    assert.deepEqual(r.rows[0].extra, { region: 'eu' });
    assert.deepEqual(r.rows[1].values, { password: 'pw,4', premium: false });
    assert.deepEqual(r.rows[1].extra, { region: '007' }, 'a quoted cell stays text');
    assert.equal(r.skipped, 3);
    const msgs = r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.message}`);
    assert.deepEqual(msgs, ["in.csv:3:8 premium expects true or false, got 'maybe'", 'in.csv:4:1 missing account id (column id, account or deviceAccount)', 'in.csv:6:4 expected 5 fields, found 2']);
  });

  it('rejects a CSV header without an id column or with a repeated column', () => {
    const r = parseAccountsCsv('password,name\npw,x\n', 'h.csv');
    assert.equal(r.rows.length, 0);
    assert.match(r.diagnostics[0].message, /no account id column/);
    const r2 = parseAccountsCsv('id,password,devicePassword\na,b,c\n', 'h.csv');
    assert.match(r2.diagnostics[0].message, /repeats column 2/);
    assert.deepEqual([r2.diagnostics[0].line, r2.diagnostics[0].col], [1, 13]);
  });

  it('reads the SharedPreferences XML form', () => {
    const xml = `<?xml version='1.0' encoding='utf-8' standalone='yes' ?>
<map>
    <string name="deviceAccount">acc&amp;1</string>
    <string name="devicePassword">p&lt;w</string>
    <int name="packsOpened" value="7" />
    <boolean name="premium" value="true" />
    <long name="lastSeen" value="123" />
</map>`;
    const r = parseAccountsXml(xml, 'a.xml');
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.rows[0].id, 'acc&1');
    assert.deepEqual(r.rows[0].values, { password: 'p<w', packs_opened: 7, premium: true });
    assert.deepEqual(r.rows[0].extra, { lastSeen: 123 });
  });

  it('reads the simple tag form, with or without a root element', () => {
    const r = parseAccountsXml('<account>abc123</account>\n<password>s3cret</password>\n', 'b.xml');
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.rows[0].id, 'abc123');
    assert.equal(r.rows[0].values.password, 's3cret');
    const r2 = parseAccountsXml('<root><account> x9 </account><password>p</password><name>Nine</name></root>', 'c.xml');
    assert.equal(r2.rows[0].id, 'x9');
    assert.equal(r2.rows[0].values.name, 'Nine');
  });

  it('reports malformed XML with its position', () => {
    const cases: Array<[string, number, number, RegExp]> = [
      ['<map>\n  <string name="deviceAccount">a</strin>\n</map>', 2, 33, /does not match <string> \(line 2, column 3\)/],
      ['<map>\n  <string name="deviceAccount">a</string>\n', 1, 1, /<map> is never closed/],
      ['<map><string name=deviceAccount>a</string></map>', 1, 19, /must be quoted/],
      ['<account>a & b</account>', 1, 12, /&amp;/],
      ['<account>&nbsp;</account>', 1, 10, /unknown entity/],
      ['just text', 1, 10, /no element found/],
    ];
    for (const [text, line, col, re] of cases) {
      const r = parseAccountsXml(text, 'bad.xml');
      assert.equal(r.rows.length, 0, text);
      assert.equal(r.diagnostics.length, 1, text);
      assert.match(r.diagnostics[0].message, re, text);
      assert.deepEqual([r.diagnostics[0].line, r.diagnostics[0].col], [line, col], text);
    }
  });

  it('reports missing account fields and bad entries in XML', () => {
    const r = parseAccountsXml('<map>\n  <string name="devicePassword">p</string>\n  <int name="packsOpened" value="many" />\n</map>', 'm.xml');
    assert.equal(r.rows.length, 0);
    const msgs = r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
    assert.deepEqual(msgs, ['3:3 <int name="packsOpened"> needs a whole-number value attribute', '1:1 missing <string name="deviceAccount">']);
    const r2 = parseAccountsXml('<config><user>x</user></config>', 'n.xml');
    assert.match(r2.diagnostics[0].message, /no account found/);
  });

  it('reads JSON arrays (and { accounts: [...] }) with located errors', () => {
    const text = '[\n  { "id": "j1", "password": "p", "premium": true, "extra": { "tier": 2 } },\n  { "id": "j2", "password": "p", "premium": "perhaps" },\n  { "password": "p" },\n  7\n]\n';
    const r = parseAccountsJson(text, 'a.json');
    assert.deepEqual(
      r.rows.map((x) => x.id),
      ['j1'],
    );
    assert.deepEqual(r.rows[0].extra, { tier: 2 });
    assert.equal(r.skipped, 3);
    const msgs = r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
    assert.deepEqual(msgs, ["3:45 premium expects true or false, got 'perhaps'", '4:3 missing account id (column id, account or deviceAccount)', '5:3 element 3 is not an object']);
    const r2 = parseAccountsJson('{ "accounts": [ { "account": "k", "secret": "s" } ] }', 'b.json');
    assert.equal(r2.rows[0].id, 'k');
    assert.equal(r2.rows[0].values.password, 's');
  });

  it('locates JSON syntax errors', () => {
    const r = parseAccountsJson('[\n  { "id": "a", }\n]', 'bad.json');
    assert.equal(r.diagnostics.length, 1);
    assert.deepEqual([r.diagnostics[0].line, r.diagnostics[0].col], [2, 16]);
  });

  it('picks the format by extension, then by content', () => {
    assert.equal(parseAccountsFile('<account>a</account><password>b</password>', 'noext').format, 'xml');
    assert.equal(parseAccountsFile('[]', 'noext').format, 'json');
    assert.equal(parseAccountsFile('id,password\n', 'x.CSV').format, 'csv');
    assert.match(parseAccountsFile('hello', 'x.txt').diagnostics[0].message, /unknown import format/);
  });
});

describe('(unit) device account file', () => {
  it('builds SharedPreferences XML that parses back', () => {
    const xml = buildDeviceFile({ id: 'a<b>&c', password: 'p"w\'', name: 'N', premium: true, packs_opened: 12, hourglasses: 3, wonder_picks_done: 1 });
    assert.ok(xml.startsWith("<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n"));
    assert.ok(xml.includes('<string name="deviceAccount">a&lt;b&gt;&amp;c</string>'));
    assert.ok(xml.includes('<int name="packsOpened" value="12" />'));
    const r = parseDeviceFile(xml);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.value?.deviceAccount, 'a<b>&c');
    assert.equal(r.value?.devicePassword, 'p"w\'');
    assert.equal(r.value?.premium, true);
    assert.equal(r.value?.packsOpened, 12);
    assert.equal(r.value?.hourglasses, 3);
    assert.equal(r.value?.wonderPicks, 1);
    // The importer reads the same file.
    const imp = parseAccountsXml(xml, 'dev.xml');
    assert.equal(imp.rows[0].id, 'a<b>&c');
    assert.deepEqual(imp.rows[0].values, { password: 'p"w\'', name: 'N', premium: true, packs_opened: 12, hourglasses: 3, wonder_picks_done: 1 });
  });

  it('reports files without an account', () => {
    const r = parseDeviceFile('<map><string name="deviceAccount">a</string></map>', 'd.xml');
    assert.equal(r.value, undefined);
    assert.match(r.diagnostics[0].message, /devicePassword/);
    assert.match(parseDeviceFile('<prefs/>').diagnostics[0].message, /<map>/);
    assert.match(parseDeviceFile('<map>').diagnostics[0].message, /never closed/);
  });

  it('xml reader keeps positions of elements and text', () => {
    const r = parseXml('<?xml version="1.0"?>\n<!-- c -->\n<a x="1" y=\'2\'>\n  <b>t<![CDATA[<raw>]]></b>\n</a>');
    assert.equal(r.error, undefined);
    const a = r.roots[0];
    assert.deepEqual([a.line, a.col, a.attrs], [3, 1, { x: '1', y: '2' }]);
    assert.deepEqual([a.children[0].line, a.children[0].col, a.children[0].text], [4, 3, 't<raw>']);
  });
});
