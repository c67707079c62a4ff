import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { needsQuotes, snippetText } from '../../../src/language/yamlSnippets';

/** What the user sees once a snippet is inserted and its placeholders keep their defaults. */
function expand(snippet: string): string {
  return snippet
    .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1')
    .replace(/\$\{\d+:([^}]*)\}/g, '$1')
    .replace(/\$\{\d+\}|\$\d+/g, '')
    .replace(/\\([$}\\])/g, '$1');
}

function expandBody(v: unknown): unknown {
  if (typeof v === 'string') {
    return expand(v);
  }
  if (Array.isArray(v)) {
    return v.map(expandBody);
  }
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [expand(k), expandBody(x)]));
  }
  return v;
}

function snippetsOf(schema: unknown): Array<{ label?: string; body: unknown }> {
  const out: Array<{ label?: string; body: unknown }> = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'defaultSnippets' && Array.isArray(x)) {
          out.push(...(x as Array<{ label?: string; body: unknown }>));
        } else {
          walk(x);
        }
      }
    }
  };
  walk(schema);
  return out;
}

describe('language/yamlSnippets', () => {
  for (const file of ['routine', 'templates', 'group', 'pool']) {
    it(`turns every snippet of ${file}.schema.json into YAML that reads back as its body`, () => {
      const schema: unknown = JSON.parse(readFileSync(path.join(__dirname, '../../../schemas', `${file}.schema.json`), 'utf8'));
      const snippets = snippetsOf(schema);
      assert.ok(snippets.length > 0);
      for (const sn of snippets) {
        for (const [at, column] of [
          ['key', 0],
          ['key', 4],
          ['value', 2],
        ] as const) {
          const text = snippetText(sn.body, at, column);
          // Written at `column` of a line: keys start there; values follow `k: `.
          const doc = at === 'key' ? `${' '.repeat(column)}${expand(text)}` : `${' '.repeat(column)}k: ${expand(text)}`;
          const read: unknown = parse(doc);
          const expected = expandBody(sn.body);
          assert.deepEqual(at === 'key' ? read : (read as { k: unknown }).k, expected, `${sn.label} (${at} at ${column}):\n${doc}`);
        }
      }
    });
  }

  it('writes small maps in flow style and lists of maps in block style', () => {
    assert.equal(snippetText({ tap: { x: 270, y: 480 } }, 'key', 4), 'tap: { x: 270, y: 480 }');
    assert.equal(snippetText({ if: { image: '${1:t}' }, then: [{ tap: '${1:t}' }] }, 'key', 4), 'if: { image: ${1:t} }\n    then:\n      - tap: ${1:t}');
    assert.equal(snippetText({ a: 1, b: 2 }, 'value', 2), '{ a: 1, b: 2 }');
  });

  it('quotes what a plain scalar cannot hold, and escapes snippet syntax in literal text', () => {
    assert.equal(snippetText({ color: '#${2:ffffff}' }, 'key', 0), 'color: "#${2:ffffff}"');
    assert.equal(snippetText('costs $x}', 'value', 0), 'costs \\$x\\}');
    assert.ok(needsQuotes('true', false) && needsQuotes('12', false) && needsQuotes('a: b', false) && needsQuotes('a,b', true));
    assert.ok(!needsQuotes('home.packsButton', true) && !needsQuotes('nav/to_home', true) && !needsQuotes('a,b', false));
  });
});
