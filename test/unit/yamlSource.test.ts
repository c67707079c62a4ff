import { strict as assert } from 'node:assert';
import { z } from 'zod';
import { parseAndValidate } from '../../src/shared/yamlSource';

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
