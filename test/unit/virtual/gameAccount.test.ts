import assert from 'node:assert/strict';
import { ACCOUNT_PATH, loadAccount, saveAccount } from '../../../src/virtual/game/account';
import { LAYOUT } from '../../../src/virtual/game/layout';
import { parseSharedPrefs, serializeSharedPrefs, SharedPrefs } from '../../../src/virtual/game/sharedPrefs';
import type { VirtualFs } from '../../../src/virtual/types';
import { accountXml, makeRig, MemoryFs } from './gameTestSupport';

const SPEC_SAMPLE = `<?xml version='1.0' encoding='utf-8' standalone='yes' ?>
<map>
    <string name="deviceAccount">acc-0001</string>
    <string name="devicePassword">secret</string>
    <string name="name">Ash</string>
    <boolean name="premium" value="true" />
    <int name="packsOpened" value="0" />
    <int name="hourglasses" value="0" />
    <int name="wonderPicks" value="0" />
</map>
`;

describe('(unit) Pocket Packs account file', () => {
  it('parses the SharedPreferences sample and serialises it back unchanged', () => {
    const r = parseSharedPrefs(SPEC_SAMPLE);
    assert.ok(r.ok);
    assert.equal(r.prefs.getString('deviceAccount'), 'acc-0001');
    assert.equal(r.prefs.getBoolean('premium'), true);
    assert.equal(r.prefs.getInt('packsOpened'), 0);
    assert.equal(serializeSharedPrefs(r.prefs), SPEC_SAMPLE);
  });

  it('reads every SharedPreferences value type, entities, CDATA and comments', () => {
    const text = `\uFEFF<?xml version="1.0" encoding="utf-8"?>
<!-- written by hand -->
<map>
  <string name="a">Tom &amp; Jerry &lt;3 &#233;&#x263A; <![CDATA[<raw>]]></string>
  <string name="empty" />
  <long name="l" value="-9007199254740991" />
  <float name="f" value="1.5e3" />
  <set name="s"><string>x</string><string>y &amp; z</string></set>
  <null name="n" />
  <int name='single' value='12'></int>
</map>`;
    const r = parseSharedPrefs(text);
    assert.ok(r.ok, r.ok ? '' : r.problem.message);
    const p = r.prefs;
    assert.equal(p.getString('a'), 'Tom & Jerry <3 \u00e9\u263a <raw>');
    assert.equal(p.getString('empty'), '');
    assert.equal(p.getInt('l'), -9007199254740991);
    assert.deepEqual(p.get('f'), { type: 'float', value: 1500 });
    assert.deepEqual(p.get('s'), { type: 'set', value: ['x', 'y & z'] });
    assert.deepEqual(p.get('n'), { type: 'null' });
    assert.equal(p.getInt('single'), 12);
    assert.ok(parseSharedPrefs('<map />').ok);
  });

  it('reports malformed files with a line and column, never throwing', () => {
    const cases: [string, number, RegExp][] = [
      ['', 1, /expected <map>/],
      ['not xml', 1, /expected <map>/],
      ['<map>\n  <string name="a">x</string>\n', 3, /not closed/],
      ['<map>\n  <boolean name="p" value="yes" />\n</map>', 2, /value="true" or value="false"/],
      ['<map>\n  <int name="n" value="1.5" />\n</map>', 2, /invalid value/],
      ['<map>\n  <int name="n" value="99999999999" />\n</map>', 2, /out of range/],
      ['<map>\n  <widget name="w" />\n</map>', 2, /unknown element <widget>/],
      ['<map>\n  <string>no name</string>\n</map>', 2, /no name attribute/],
      ['<map>\n  <string name="a">x</string>\n  <string name="a">y</string>\n</map>', 3, /duplicate entry/],
      ['<map>\n  <string name="a">x &bogus; y</string>\n</map>', 2, /unknown entity/],
      ['<map>\n  <string name="a">x<b/></string>\n</map>', 2, /unexpected markup/],
      ['<map>\n  <string name=a>x</string>\n</map>', 2, /must be quoted/],
      ['<map></map>\n<map></map>', 2, /after <\/map>/],
      ['<map>\n  hello\n</map>', 2, /unexpected text/],
    ];
    for (const [text, line, re] of cases) {
      const r = parseSharedPrefs(text);
      assert.equal(r.ok, false, JSON.stringify(text));
      if (!r.ok) {
        assert.equal(r.problem.code, 'malformed-xml');
        assert.equal(r.problem.line, line, `${JSON.stringify(text)}: ${r.problem.message}`);
        assert.ok(r.problem.col >= 1);
        assert.match(r.problem.message, re);
      }
    }
  });

  it('keeps unknown entries byte for byte when the game writes progress back', () => {
    const extra =
      '    <set name="friends">\n        <string>misty</string>\n    </set>\n' +
      '    <long name="lastLogin" value="1767225600000" />\n' +
      '    <string name="note">a &amp; b</string>\n' +
      '    <float name="volume" value="0.75" />\n';
    const r = makeRig({ account: { packsOpened: 2, extra } });
    const before = r.accountText()!;
    r.tapRect(LAYOUT.title.tapToStart);
    r.tapRect(LAYOUT.home.packsButton);
    r.tapRect(LAYOUT.packSelect.open);
    r.time.advance(1500);
    r.game.tap(10, 10);
    r.tapRect(LAYOUT.results.next);
    const after = r.accountText()!;
    assert.equal(after, before.replace('<int name="packsOpened" value="2" />', '<int name="packsOpened" value="3" />'));
    const reread = loadAccount(r.fs);
    assert.ok(reread.ok);
    assert.equal(reread.summary.packsOpened, 3);
  });

  it('adds counters that the file lacks, and reads missing ones as zero', () => {
    const minimal = `<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n    <string name="deviceAccount">acc-9</string>\n    <string name="devicePassword">pw</string>\n</map>\n`;
    const r = makeRig({ accountText: minimal });
    r.tapRect(LAYOUT.title.tapToStart);
    assert.deepEqual(r.state().account, { id: 'acc-9', name: 'acc-9', premium: false, packsOpened: 0, hourglasses: 0, wonderPicks: 0, claimedMissions: [] });
    r.tapRect(LAYOUT.home.missionsButton);
    r.tapRect(LAYOUT.missions.claims[0]);
    assert.equal(
      r.accountText(),
      `<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n    <string name="deviceAccount">acc-9</string>\n    <string name="devicePassword">pw</string>\n` +
        `    <int name="hourglasses" value="2" />\n    <string name="claimedMissions">login</string>\n</map>\n`,
    );
  });

  it('escapes what it writes and parses its own output', () => {
    const p = new SharedPrefs();
    p.set('name', { type: 'string', value: `<Ash & "Misty" 'x'>` });
    p.set('tags', { type: 'set', value: ['a<b', ''] });
    p.set('on', { type: 'boolean', value: false });
    p.set('gone', { type: 'null' });
    const text = serializeSharedPrefs(p);
    const back = parseSharedPrefs(text);
    assert.ok(back.ok);
    assert.deepEqual(
      back.prefs.all().map((e) => [e.name, e.value]),
      p.all().map((e) => [e.name, e.value]),
    );
    assert.equal(serializeSharedPrefs(new SharedPrefs()), "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map />\n");
  });

  it('loads an account only with a non-empty id and password', () => {
    const fs = new MemoryFs();
    assert.equal((loadAccount(fs) as { error: { code: string } }).error.code, 'missing');
    fs.write(ACCOUNT_PATH, Buffer.from(accountXml({ id: '  ' })));
    assert.equal((loadAccount(fs) as { error: { code: string } }).error.code, 'invalid');
    fs.write(ACCOUNT_PATH, Buffer.from(accountXml({ name: '' })));
    const ok = loadAccount(fs);
    assert.ok(ok.ok);
    assert.equal(ok.summary.name, 'acc-0001', 'an empty name falls back to the id');
  });

  it('survives a filesystem that refuses to read or write', () => {
    const broken: VirtualFs = {
      read: () => {
        throw new Error('EIO');
      },
      write: () => {
        throw new Error('read-only file system');
      },
      remove: () => false,
      list: () => [],
      isDir: () => false,
    };
    const load = loadAccount(broken);
    assert.equal(load.ok, false);
    assert.match(saveAccount(broken, new SharedPrefs()) ?? '', /read-only file system/);

    // A write-back that fails is reported in the state; the game goes on.
    const r = makeRig();
    r.tapRect(LAYOUT.title.tapToStart);
    r.fs.write = () => {
      throw new Error('disk full');
    };
    r.tapRect(LAYOUT.home.missionsButton);
    r.tapRect(LAYOUT.missions.claims[0]);
    assert.match(r.state().accountWriteError ?? '', /disk full/);
    assert.equal(r.state().account?.hourglasses, 2);
  });
});
