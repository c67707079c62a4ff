import { strict as assert } from 'node:assert';
import { expandWords, parseScript, quoteWord, ShellSyntaxError, splitWords } from '../../../src/virtual/shellWords';
import { HOSTILE_STRINGS } from '../../support/virtual';


describe('(unit) virtual shell: word splitting', () => {
  const cases: [string, string[]][] = [
    ['echo hello world', ['echo', 'hello', 'world']],
    ['echo   spaced\tout  ', ['echo', 'spaced', 'out']],
    [`echo 'single quoted $HOME'`, ['echo', 'single quoted $HOME']],
    [`echo "double $X quoted"`, ['echo', 'double  quoted']],
    [`echo "a\\"b\\$c\\\\d\\e"`, ['echo', 'a"b$c\\d\\e']],
    ['echo a\\ b c', ['echo', 'a b', 'c']],
    [`echo 'it'"'"'s'`, ['echo', "it's"]],
    [`echo ""`, ['echo', '']],
    [`echo '' x`, ['echo', '', 'x']],
    ['echo $X', ['echo']],
    ['echo "$X"', ['echo', '']],
    ['echo a$Y', ['echo', 'a1', '2']],
    ['echo "a$Y"', ['echo', 'a1 2']],
    ['echo ${Z}z', ['echo', 'zz']],
    ['echo $', ['echo', '$']],
    ['echo a\\\nb', ['echo', 'ab']],
    ['echo 日本 🎉', ['echo', '日本', '🎉']],
    ['echo %s', ['echo', '%s']],
    ['X=1 env', ['X=1', 'env']],
  ];
  for (const [line, expected] of cases) {
    it(`splits ${JSON.stringify(line)}`, async () => {
      assert.deepEqual(await splitWords(line, { Y: '1 2', Z: 'z' }), expected);
    });
  }

  it('round-trips every hostile string through quoteWord', async () => {
    for (const s of HOSTILE_STRINGS) {
      assert.deepEqual(await splitWords(`input text ${quoteWord(s)}`), ['input', 'text', s], JSON.stringify(s));
    }
  });

  it("round-trips every hostile string through adbkit's single-quote escaping", async () => {
    const escape = (arg: string) => `'${arg.replace(/'/g, `'"'"'`)}'`;
    for (const s of HOSTILE_STRINGS) {
      assert.deepEqual(await splitWords(`input text ${escape(s)}`), ['input', 'text', s], JSON.stringify(s));
    }
  });

  it("round-trips hostile strings through adbkit's double-quote escaping (when they contain no newline-sensitive chars)", async () => {
    const escapeCompat = (arg: string) => `"${arg.replace(/([$`\\!"])/g, '\\$1')}"`;
    for (const s of HOSTILE_STRINGS.filter((x) => !x.includes('!'))) {
      assert.deepEqual(await splitWords(`x ${escapeCompat(s)}`), ['x', s], JSON.stringify(s));
    }
  });

  it('leaves safe words unquoted', () => {
    assert.equal(quoteWord('com.example/.Main'), 'com.example/.Main');
    assert.equal(quoteWord('a b'), `'a b'`);
    assert.equal(quoteWord(''), `''`);
  });
});

describe('(unit) virtual shell: command-line structure', () => {
  it('parses lists, and-or chains, pipelines and redirections', () => {
    const s = parseScript('a 1; b && c || d | e 2>/dev/null >out < in & f\ng 2>&1');
    assert.equal(s.length, 4);
    assert.equal(s[0].first.commands.length, 1);
    assert.deepEqual(
      s[1].rest.map((r) => r.op),
      ['&&', '||'],
    );
    const pipe = s[1].rest[1].pipeline;
    assert.equal(pipe.commands.length, 2);
    assert.deepEqual(
      pipe.commands[1].redirects.map((r) => [r.fd, r.op]),
      [
        [2, '>'],
        [1, '>'],
        [0, '<'],
      ],
    );
    assert.equal(s[1].background, true);
    assert.deepEqual(
      s[3].first.commands[0].redirects.map((r) => [r.fd, r.op]),
      [[2, '>&']],
    );
  });

  it('ignores comments and treats ! as negation only at the start', () => {
    const s = parseScript('! false # comment ; not run');
    assert.equal(s.length, 1);
    assert.equal(s[0].first.bang, true);
    assert.equal(parseScript('echo !')[0].first.bang, false);
  });

  it('parses command substitutions, nested and in quotes', async () => {
    const s = parseScript('echo "$(echo a $(echo b))" `echo c`');
    const words = s[0].first.commands[0].words;
    const fields = await expandWords(words, {}, async (script) => `<${script.length}>\n`);
    assert.deepEqual(fields, ['echo', '<1>', '<1>']);
  });

  const errors: [string, RegExp][] = [
    [`echo 'unterminated`, /no closing quote/],
    ['echo "unterminated', /no closing quote/],
    ['echo `unterminated', /no closing quote/],
    ['echo $(unterminated', /missing '\)'/],
    ['echo a )', /'\)' unexpected/],
    ['echo (a)', /'\(' unexpected/],
    ['; echo', /';' unexpected/],
    ['echo a &&', /unexpected/],
    ['| echo', /'\|' unexpected/],
    ['echo >', /unexpected/],
    ['cat <<EOF', /here-documents/],
    ['echo ${a b}', /bad substitution/],
    ['echo $((1+2))', /arithmetic/],
  ];
  for (const [line, re] of errors) {
    it(`rejects ${JSON.stringify(line)}`, () => {
      assert.throws(() => parseScript(line), (e: unknown) => e instanceof ShellSyntaxError && re.test(e.message));
    });
  }
});
