import { strict as assert } from 'node:assert';
import { compilePattern, LinearRegex, PatternError } from '../../../src/bot/routine/linearRegex';
import { mulberry32 } from '../../../src/virtual/game/rng';
import { harness } from './interpreterHarness';

describe('(unit) routine regular expressions (linear time)', () => {
  it('a catastrophic pattern answers at once instead of blocking the event loop', () => {
    const re = compilePattern('^(a+)+$');
    assert.equal(re.test(`${'a'.repeat(28)}!`), false);
    assert.equal(re.test('a'.repeat(28)), true);
    assert.equal(re.test(`${'a'.repeat(100_000)}!`), false);
    assert.equal(compilePattern('(x+x+)+y').test('x'.repeat(5000)), false);
    assert.equal(compilePattern('^(\\w+\\s?)*$').test(`${'word '.repeat(2000)}!`), false);
  });

  it('agrees with JavaScript on the supported syntax', () => {
    const patterns = [
      'abc', '^abc$', 'a|b|cd', '(ab)+c', 'a*?b', 'x{2,3}y', 'x{2}', 'x{2,}', '[a-c]+', '[^a-c]', '[\\d_]+$', '\\bbot_\\d+\\b', '\\Bot',
      '^bot_[0-9]+$', '.', '^.*$', '\\s+', '\\S\\W', 'a\\.b', '(?:ab|cd)*e', '(?<n>a)b', '[]', '[^]', 'a{', 'a{,3}', '\\x41\\u0042', '[a\\-z]', '[-a]', '^$',
      '(a|ab)(c|bcd)(d*)', '(a*)*', '(a|)+b', '\\t\\n', '[\\b]', 'é+', '\\/', '}', ']',
    ];
    const rnd = mulberry32(7);
    const alphabet = ['a', 'b', 'c', 'd', 'x', 'y', '_', '1', '7', ' ', '\n', '.', 'é', 'A', 'B', '-', 'e', 'o', 't'];
    for (const p of patterns) {
      const js = new RegExp(p);
      const lin = new LinearRegex(p);
      for (let k = 0; k < 300; k++) {
        const len = Math.floor(rnd() * 10);
        let t = '';
        for (let i = 0; i < len; i++) {
          t += alphabet[Math.floor(rnd() * alphabet.length)];
        }
        if (k % 7 === 0) {
          t = `bot_${Math.floor(rnd() * 100)}`;
        }
        assert.equal(lin.test(t), js.test(t), `${p} on ${JSON.stringify(t)}`);
      }
    }
  });

  it('refuses backreferences, lookaround and malformed patterns with a message and an offset', () => {
    for (const [p, re] of [
      ['(a)\\1', /backreferences/],
      ['(?<x>a)\\k<x>', /backreferences/],
      ['a(?=b)', /lookahead/],
      ['(?<!a)b', /lookbehind/],
      ['([', /unterminated/],
      ['a)', /unmatched/],
      ['*a', /nothing to repeat/],
      ['a**', /nothing to repeat/],
      ['x{3,1}', /out of order/],
      ['[z-a]', /out of order/],
      ['a{5000}', /above 1000/],
      ['\\q', /unknown escape/],
    ] as const) {
      assert.throws(() => compilePattern(p), (e: unknown) => e instanceof PatternError && re.test(e.message), p);
    }
  });

  it('in a routine: validate locates a bad pattern, and matching a catastrophic one is immediate', async () => {
    // 34 a's and a '!': about 16 minutes for a backtracking engine (doubling with every a).
    const h = harness({ routines: { t: `vars: { s: "${'a'.repeat(34)}!" }\nsteps:\n  - if: { var: s, matches: "^(a+)+$" }\n    then: [ { fail: matched } ]\n  - log: done\n` } });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    const { parseRoutine } = await import('../../../src/bot/routine/loader');
    const d = parseRoutine('steps:\n  - if: { var: s, matches: "(a)\\\\1" }\n    then: []\n', 'routines/t.yaml').diagnostics.filter((x) => x.severity === 'error');
    assert.equal(d.length, 1);
    assert.match(d[0].message, /backreferences/);
    assert.deepEqual([d[0].line, d[0].col], [2, 28]);
  });
});
