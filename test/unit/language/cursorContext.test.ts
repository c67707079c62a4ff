import { strict as assert } from 'node:assert';
import { cursorContext } from '../../../src/language/cursorContext';
import { TextLines } from '../../../src/language/textLines';
import { marked } from '../../support/lspClient';

function at(textWithCursor: string) {
  const m = marked(textWithCursor);
  const lines = new TextLines(m.text);
  const ctx = cursorContext(lines, lines.offsetAt({ line: m.line, character: m.character }));
  return ctx && { kind: ctx.kind, path: ctx.path, keys: ctx.existingKeys, prefix: ctx.prefix, replaced: m.text.slice(ctx.replace[0], ctx.replace[1]), flow: ctx.inFlow, space: ctx.needsSpace, column: ctx.column };
}

describe('language/cursorContext', () => {
  it('finds the map whose key is typed, in block style', () => {
    assert.deepEqual(at('steps:\n  - |\n'), { kind: 'key', path: ['steps', 0], keys: [], prefix: '', replaced: '', flow: false, space: false, column: 4 });
    assert.deepEqual(at('steps:\n  - ta|\n')?.prefix, 'ta');
    assert.deepEqual(at('steps:\n  - tap: x\n    ti|\n'), { kind: 'key', path: ['steps', 0], keys: ['tap'], prefix: 'ti', replaced: 'ti', flow: false, space: false, column: 4 });
    assert.deepEqual(at('|')?.path, []);
    // Editing an existing key replaces the whole key.
    assert.deepEqual(at('steps:\n  - ta|p: x\n'), { kind: 'key', path: ['steps', 0], keys: [], prefix: 'ta', replaced: 'tap', flow: false, space: false, column: 4 });
  });

  it('finds the value being typed, with the whole word to replace', () => {
    assert.deepEqual(at('steps:\n  - tap: home.p|acks\n'), { kind: 'value', path: ['steps', 0, 'tap'], keys: [], prefix: 'home.p', replaced: 'home.packs', flow: false, space: false, column: 9 });
    assert.deepEqual(at('steps:\n  - call: nav/|\n')?.replaced, 'nav/');
    assert.equal(at('steps:\n  - tap:|\n')?.space, true);
    assert.deepEqual(at('steps:\n  - tap: "home.|"\n')?.replaced, 'home.');
  });

  it('finds keys and values inside flow maps and lists', () => {
    assert.deepEqual(at('steps:\n  - if: { | }\n')?.path, ['steps', 0, 'if']);
    assert.equal(at('steps:\n  - if: { | }\n')?.kind, 'key');
    assert.equal(at('steps:\n  - if: { | }\n')?.flow, true);
    assert.deepEqual(at('steps:\n  - if: { image: | }\n')?.path, ['steps', 0, 'if', 'image']);
    assert.deepEqual(at('availableInstances: [1, |]\n')?.path, ['availableInstances', 1]);
  });

  it('finds a variable name inside ${...}', () => {
    assert.deepEqual(at('steps:\n  - log: "n=${co|"\n'), { kind: 'variable', path: [], keys: [], prefix: 'co', replaced: 'co', flow: false, space: false, column: 14 });
    assert.equal(at('steps:\n  - log: "n=${ count|}"\n')?.replaced, 'count');
    // `$${` is a literal, and a closed reference before the cursor is not a context.
    assert.notEqual(at('steps:\n  - log: "n=$${co|"\n')?.kind, 'variable');
    assert.notEqual(at('steps:\n  - log: "${a} b|"\n')?.kind, 'variable');
  });

  it('offers nothing inside a comment', () => {
    assert.equal(at('steps:\n  - tap: x # the |\n'), undefined);
  });
});

describe('language/cursorContext: the step around the cursor gives the context the whole file gives', () => {
  const TRICKY = [
    'description: t',
    'params:',
    '  n: { type: int, default: 1 }',
    'steps:',
    '# a comment at column 0 inside the list',
    '- tap: a',
    '- if: { image: b,',
    '        threshold: 0.9 }',
    '  then:',
    '    - log: |',
    '        - not a step',
    '        key: not a key',
    '    - wait: 1s',
    '',
    '- call: x',
    '  params: { y: 1 }',
    'sentries:',
    '  - name: s',
    '    when: { image: c }',
    '    steps: [ { tap: c } ]',
    '',
  ].join('\n');

  function normal(ctx: ReturnType<typeof cursorContext>) {
    if (!ctx) {
      return undefined;
    }
    const path = ctx.path.map((p, i) => (i === 1 && typeof p === 'number' ? '#' : p));
    return { kind: ctx.kind, path, keys: ctx.existingKeys, replace: ctx.replace, prefix: ctx.prefix, space: ctx.needsSpace, column: ctx.column, owner: ctx.ownerColumn, flow: ctx.inFlow, colon: ctx.keyHasColon };
  }

  function positions(lines: TextLines): number[] {
    const out: number[] = [];
    for (let l = 0; l < lines.lineCount; l++) {
      const t = lines.lineText(l);
      const cols = new Set([0, t.length, t.search(/\S/), t.indexOf(':') + 1, t.indexOf(':') + 2, t.indexOf('- ') + 2, t.indexOf('{') + 2, Math.floor(t.length / 2)]);
      for (const c of cols) {
        if (c >= 0 && c <= t.length) {
          out.push(lines.lineStart(l) + c);
        }
      }
    }
    return out;
  }

  function compare(text: string, every = false): number {
    const lines = new TextLines(text);
    let windowed = 0;
    for (const off of every ? Array.from({ length: text.length + 1 }, (_, i) => i) : positions(lines)) {
      const w = cursorContext(lines, off, { windowFromChars: 0 });
      const f = cursorContext(lines, off);
      assert.deepEqual(normal(w), normal(f), `at ${JSON.stringify(text.slice(Math.max(0, off - 30), off))}|${JSON.stringify(text.slice(off, off + 10))}`);
      windowed += w?.windowed ? 1 : 0;
    }
    return windowed;
  }

  it('in a file with comments, flow maps over two lines, block scalars and lists at column 0', () => {
    assert.ok(compare(TRICKY, true) > 100);
  });

  it('in the shipped routines', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const path = await import('node:path');
    const dir = path.join(__dirname, '../../../routines');
    const files: string[] = [];
    const walk = (d: string) => readdirSync(d).forEach((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : n.endsWith('.yaml') && files.push(path.join(d, n))));
    walk(dir);
    let windowed = 0;
    for (const f of files) {
      windowed += compare(readFileSync(f, 'utf8'));
    }
    assert.ok(windowed > 500, `only ${windowed} positions were windowed`);
  });
});
