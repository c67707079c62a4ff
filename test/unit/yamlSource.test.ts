import { strict as assert } from 'node:assert';
import { z } from 'zod';
import type { Diagnostic } from '../../src/shared/geometry';
import { parseAndValidate, parseYaml, YAML_LIMITS } from '../../src/shared/yamlSource';

const schema = z.strictObject({
  name: z.string(),
  steps: z.array(z.strictObject({ tap: z.strictObject({ x: z.number(), y: z.number() }) })),
});

describe('(unit) yamlSource', () => {
  it('locates unknown keys at the key', () => {
    const text = 'name: a\nsteps:\n  - tap: { x: 1, y: 2, z: 3 }\n';
    const r = parseAndValidate(text, 'r.yaml', schema);
    assert.equal(r.value, undefined);
    assert.equal(r.diagnostics.length, 1);
    const d = r.diagnostics[0];
    assert.equal(d.line, 3);
    assert.equal(d.col, 24);
    assert.match(d.message, /unknown key 'z'/);
  });

  it('locates wrong types at the value', () => {
    const text = 'name: a\nsteps:\n  - tap:\n      x: one\n      y: 2\n';
    const r = parseAndValidate(text, 'r.yaml', schema);
    assert.equal(r.diagnostics[0].line, 4);
    assert.equal(r.diagnostics[0].col, 10);
  });

  it('reports YAML syntax errors with positions', () => {
    const r = parseAndValidate('name: [a\nsteps: 1\n', 'bad.yaml', schema);
    assert.ok(r.diagnostics.length > 0);
    assert.equal(r.diagnostics[0].file, 'bad.yaml');
    assert.ok(r.diagnostics[0].line >= 1);
  });

  it('reports duplicate keys', () => {
    const r = parseAndValidate('name: a\nname: b\nsteps: []\n', 'd.yaml', schema);
    assert.equal(r.value, undefined);
    assert.equal(r.diagnostics[0].line, 2);
  });
});

/** The single error of parsing `text` as a routine file. */
function onlyError(text: string, file = 'routines/r.yaml'): Diagnostic {
  const errors = parseYaml(text, file).diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1, `expected one error, got ${JSON.stringify(errors, null, 1)}`);
  return errors[0];
}

describe('(unit) yamlSource: YAML mistakes in words a user can act on', () => {
  // [what, text, line, col, message]: each located at the offending token.
  const cases: Array<[string, string, number, number, RegExp]> = [
    ['a tab as indentation', 'steps:\n\t- log: hi\n', 2, 1, /^a tab is used for indentation: YAML indents with spaces only/],
    ['a tab in a nested map', 'a:\n  b: 1\n\tc: 2\n', 3, 1, /^a tab is used for indentation/],
    ['a key indented too little', 'a:\n    b: 1\n  c: 2\n', 3, 3, /^bad indentation: 'c' at column 3 .*column 5 \('b' on line 2\), column 1 \('a' on line 1\)/],
    ['a list item indented too much', 'name: x\nsteps:\n  - log: a\n     - log: b\n', 4, 6, /^bad indentation: '-' at column 6 .*column 3 \('-' on line 3\)/],
    ['a list item indented too little', 'steps:\n  - log: a\n - log: b\n', 3, 2, /^bad indentation: '-' at column 2 .*column 3 \('-' on line 2\)/],
    ['a key at the column of the list items', 'steps:\n  - log: a\n  name: b\n', 3, 3, /^bad indentation: 'name' at column 3 .*column 5 \('log' on line 2\)/],
    ['a duplicate key', 'name: a\nsteps: []\nsteps: []\n', 3, 1, /^key 'steps' appears twice \(first at 2:1\)$/],
    ['a duplicate key in a flow map', 'steps:\n  - tap: { x: 1, x: 2 }\n', 2, 18, /^key 'x' appears twice \(first at 2:12\)$/],
    ['keys that differ in type only', "vars:\n  1: a\n  '1': b\n", 3, 3, /^key '1' appears twice \(first at 2:3\)$/],
    ['two documents', 'name: a\nsteps: []\n---\nname: b\n', 3, 1, /^a routine file holds one YAML document; found a second '---' at 3:1$/],
    ['two documents after an end marker', 'name: a\n...\nname: b\n', 3, 1, /^a routine file holds one YAML document; found a second document at 3:1$/],
    ['an unclosed double quote', 'name: "abc\nsteps: []\n', 1, 7, /^unclosed " quote: the string that starts here has no closing "$/],
    ['an unclosed single quote', "steps:\n  - log: 'abc\n", 2, 10, /^unclosed ' quote/],
    ['an unclosed bracket', 'tags: [a, b\nsteps: []\n', 1, 7, /^the '\[' opened here is not closed: add '\]'/],
    ['an unclosed brace', 'steps:\n  - tap: { x: 1, y: 2\n  - log: a\n', 2, 10, /^the '\{' opened here is not closed: add '\}'/],
    ['a stray closing bracket', 'tags: [a, b]]\n', 1, 13, /^unexpected '\]': there is no open '\[' to close$/],
    ['a colon in a plain value', 'steps:\n  - log: note: this\n', 2, 14, /^a plain value cannot contain ': ': quote the value \("note: this"\)/],
    ['no space after a colon', 'name:abc\nsteps: []\n', 1, 5, /^missing space after ':' in 'name:abc' \(write 'name: abc'\)$/],
    ['a list on the line of its key', 'tags: - a\n', 1, 7, /^a list cannot start on the same line as its key/],
    ['a reserved first character', 'steps:\n  - log: @home\n', 2, 10, /^a value cannot start with '@' \(reserved in YAML\): put the value in quotes$/],
    ['a bad escape', 'steps:\n  - log: "a\\qb"\n', 2, 12, /^invalid escape '\\q' in a double-quoted string/],
    ['an unknown alias', 'steps:\n  - log: *greeting\n', 2, 10, /^unknown alias '\*greeting': there is no anchor '&greeting' before it$/],
    ['an alias inside the node it repeats', 'vars: &v\n  self: *v\n', 2, 9, /^alias '\*v' is inside the node it repeats/],
    ['a line that is no key: value', 'a: |\nb\n', 2, 1, /^'b' is not followed by ':'/],
    ['text after a closed bracket', 'steps:\n  - tap: [1, 2] 3\n', 2, 17, /^unexpected '3' after a value \(a missing ',' or line break\?\)$/],
    ['a block list inside brackets', 'steps: [\n  - log: a\n]\n', 2, 3, /^a '- ' list or 'key: value' lines cannot go inside \[\.\.\.\] or \{\.\.\.\}/],
  ];
  for (const [what, text, line, col, message] of cases) {
    it(what, () => {
      const d = onlyError(text);
      assert.match(d.message, message);
      assert.deepEqual([d.line, d.col], [line, col], `${what}: ${d.message}`);
      assert.equal(d.file, 'routines/r.yaml');
    });
  }

  it('an unknown tag is a warning at the tag (the value is read as text)', () => {
    const ds = parseYaml('steps:\n  - log: !secret x\n', 'routines/r.yaml').diagnostics;
    assert.equal(ds.length, 1);
    assert.equal(ds[0].severity, 'warning');
    assert.match(ds[0].message, /^unknown tag '!secret'/);
    assert.deepEqual([ds[0].line, ds[0].col], [2, 10]);
  });

  it('names the kind of file from its folder', () => {
    assert.match(onlyError('a: 1\n---\nb: 2\n', 'groups/g.yaml').message, /^a group definition holds one YAML document/);
    assert.match(onlyError('a: 1\n---\nb: 2\n', 'pools/p.yaml').message, /^a pool definition holds one YAML document/);
    assert.match(onlyError('a: 1\n---\nb: 2\n', 'templates/t.yaml').message, /^a template file holds one YAML document/);
  });

  it('a file that is not YAML at all gets a bounded number of diagnostics', () => {
    const ds = parseYaml('- @\n'.repeat(300), 'routines/r.yaml').diagnostics;
    assert.ok(ds.length <= 21, `${ds.length} diagnostics`);
    assert.match(ds[ds.length - 1].message, /^\d+ more YAML problems/);
  });
});

describe('(unit) yamlSource: limits (size, nodes, nesting, aliases)', () => {
  const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (const [i, c] of [...'bcdefghi'].entries()) {
    const prev = 'abcdefghi'[i];
    laughs.push(`${c}: &${c} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  const LAUGHS = `${laughs.join('\n')}\n`;

  it('a billion-laughs file is one located error, and loading it never expands the aliases', () => {
    const d = onlyError(LAUGHS, 'groups/laughs.yaml');
    assert.equal(d.code, 'too-many-nodes');
    assert.match(d.message, /^the file is too complex: with its aliases expanded \('\*c' repeats 820 nodes\) a group definition holds more than 5000/);
    assert.deepEqual([d.line, d.col], [4, 24]);
    const r = parseAndValidate(LAUGHS, 'groups/laughs.yaml', schema);
    assert.equal(r.value, undefined);
    assert.equal(r.diagnostics[0].code, 'too-many-nodes');
  });

  it('aliases within the limit still load', () => {
    const r = parseAndValidate('name: &n a\nsteps:\n  - tap: &p { x: 1, y: 2 }\n  - tap: *p\n', 'r.yaml', schema);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.value?.steps, [{ tap: { x: 1, y: 2 } }, { tap: { x: 1, y: 2 } }]);
  });

  it('deep nesting is one located error, without recursing through it (block maps, dashes, brackets)', () => {
    let blocks = 'vars:\n';
    for (let i = 0; i < 600; i++) {
      blocks += `${' '.repeat(i + 1)}k:\n`;
    }
    const deep: Array<[string, string]> = [
      ['block maps', blocks],
      ['dashes', `steps:\n  ${'- '.repeat(10_000)}x\n`],
      ['brackets', `steps: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`],
    ];
    for (const [what, text] of deep) {
      const d = onlyError(text, 'routines/deep.yaml');
      assert.equal(d.code, 'too-deep', what);
      assert.equal(d.message, 'nested deeper than 200 levels', what);
      assert.ok(d.line > 1 || d.col > 200, `${what}: located in the document (${d.line}:${d.col})`);
    }
    // 200 levels are fine.
    assert.deepEqual(parseYaml(`steps: ${'['.repeat(199)}${']'.repeat(199)}\n`, 'routines/r.yaml').diagnostics, []);
  });

  it('a file over the size limit is refused at 1:1 without being parsed', () => {
    const big = `steps:\n${'  - log: padding padding padding padding\n'.repeat(8000)}`;
    assert.ok(big.length > YAML_LIMITS.maxBytes);
    const d = onlyError(big);
    assert.equal(d.code, 'file-too-large');
    assert.deepEqual([d.line, d.col], [1, 1]);
    assert.match(d.message, /^the file is too large \(\d+ KB\): a routine file may be at most 256 KB$/);
  });

  it('a file with too many nodes is one located error', () => {
    const text = `steps:\n${'  - log: hi\n'.repeat(3000)}`;
    const d = onlyError(text);
    assert.equal(d.code, 'too-many-nodes');
    assert.match(d.message, /^the file is too complex: a routine file may hold at most 5000 keys, values and list items/);
    assert.ok(d.line > 1000, `located where the limit is crossed (${d.line}:${d.col})`);
    // Limits can be raised per call (account imports).
    assert.deepEqual(parseYaml(text, 'import.json', { limits: { maxNodes: Infinity } }).diagnostics, []);
  });
});
