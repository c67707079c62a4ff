import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { HOSTILE_STRINGS } from '../../fixtures/hostileStrings';
import { BASE64_TEXT_ACTION, isInputTextSafe, planTextInput, shellJoin, shellQuote, splitUtf8 } from '../../../src/bot/adb/shellQuote';

/** Runs one real POSIX shell over the quoted words and returns what it received as arguments. */
function throughShell(quotedWords: string[]): string[] {
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${quotedWords.join(' ')}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return out.split('\0').slice(0, -1);
}

/** What Android's `input text` types for an argument: `%s` becomes a space. */
function androidInputText(arg: string): string {
  return arg.replace(/%s/g, ' ');
}

describe('(unit) shell quoting and text input plans', () => {
  const values = HOSTILE_STRINGS.map((h) => h.value).filter((v) => !v.includes('\0'));

  it('quotes every hostile string so a real shell passes it through unchanged', () => {
    const got = throughShell(values.map(shellQuote));
    assert.equal(got.length, values.length);
    values.forEach((v, i) => assert.equal(got[i], v, `hostile string #${i}`));
  });

  it('joins mixed arguments', () => {
    assert.equal(shellJoin(['am', 'start', '-n', "a'b", 3]), `'am' 'start' '-n' 'a'\\''b' 3`);
    assert.deepEqual(throughShell([shellJoin(["x y", '$(id)', 7])]), ['x y', '$(id)', '7']);
  });

  for (const h of HOSTILE_STRINGS) {
    it(`types '${h.name}' byte-exact`, () => {
      const plan = planTextInput(h.value, { maxInputChars: 1000, maxBroadcastBytes: 3000 });
      if (h.value === '') {
        assert.deepEqual(plan, []);
        return;
      }
      assert.equal(plan.map((c) => c.text).join(''), h.value, 'pieces cover the text in order');
      const kinds = new Set(plan.map((c) => c.kind));
      assert.equal(kinds.size, 1, 'one method for the whole text');
      assert.equal(plan[0].kind === 'input-text', isInputTextSafe(h.value));
      let typed = '';
      for (const c of plan) {
        assert.ok(Buffer.byteLength(c.command) < 5000, 'commands stay short');
        // The device shell splits the command line: check it yields exactly the words we mean.
        const words = throughShell([c.command]);
        if (c.kind === 'input-text') {
          assert.deepEqual(words.slice(0, 2), ['input', 'text']);
          assert.equal(words.length, 3);
          assert.ok(!words[2].includes(' '));
          typed += androidInputText(words[2]);
        } else {
          assert.deepEqual(words.slice(0, 5), ['am', 'broadcast', '-a', BASE64_TEXT_ACTION, '--es']);
          assert.equal(words[5], 'msg');
          assert.equal(words.length, 7);
          assert.match(words[6], /^[A-Za-z0-9+/]+=*$/);
          typed += Buffer.from(words[6], 'base64').toString('utf8');
        }
      }
      assert.equal(typed, h.value);
    });
  }

  it('sends printable ASCII without % through input text, the rest through the broadcast', () => {
    assert.equal(planTextInput('hello world')[0].command, "input text 'hello%sworld'");
    assert.equal(planTextInput("it's")[0].command, `input text 'it'\\''s'`);
    assert.equal(planTextInput('50%')[0].kind, 'broadcast');
    assert.equal(planTextInput('é')[0].kind, 'broadcast');
    assert.equal(planTextInput('a\nb')[0].kind, 'broadcast');
    assert.equal(planTextInput('a\tb')[0].kind, 'broadcast');
  });

  it('splits long text into bounded pieces without cutting a code point', () => {
    const long = 'x'.repeat(2500);
    assert.deepEqual(planTextInput(long, { maxInputChars: 1000 }).map((c) => c.text.length), [1000, 1000, 500]);
    const emoji = '😀'.repeat(10); // 4 bytes each
    const pieces = splitUtf8(emoji, 10);
    assert.deepEqual(pieces.map((p) => Buffer.byteLength(p)), [8, 8, 8, 8, 8]);
    assert.equal(pieces.join(''), emoji);
    assert.deepEqual(splitUtf8('a😀', 1), ['a', '😀'], 'a code point larger than the limit still gets its own piece');
  });
});
