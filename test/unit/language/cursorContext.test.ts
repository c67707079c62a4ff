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
