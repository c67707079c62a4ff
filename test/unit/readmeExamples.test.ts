import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { formatDiagnostic, type Diagnostic } from '../../src/shared/geometry';
import { loadTemplateFile } from '../../src/bot/vision/templateLoader';
import { parseGroupDefinition } from '../../src/orchestrator/groupDefinition';
import { parsePoolDefinition } from '../../src/orchestrator/pools/poolDefinition';

const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');

/** The first ```yaml block after the given heading. */
function exampleAfter(heading: string): string {
  const at = readme.indexOf(heading);
  assert.ok(at >= 0, `README has the heading ${heading}`);
  const m = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m, `a yaml example follows ${heading}`);
  return m[1];
}

function errors(ds: Diagnostic[]): string[] {
  return ds.filter((d) => d.severity === 'error').map(formatDiagnostic);
}

describe('(unit) README YAML examples', () => {
  it('the template registry example is valid', () => {
    const r = loadTemplateFile(exampleAfter('### Templates (`templates/*.yaml`)'), 'README.md');
    assert.deepEqual(errors(r.diagnostics), []);
    assert.equal(r.templates.length, 1);
  });

  it('the group definition example is valid', () => {
    const r = parseGroupDefinition(exampleAfter('### Group definitions (`groups/*.yaml`)'), 'README.md');
    assert.deepEqual(errors(r.diagnostics), []);
    assert.equal(r.value?.name, 'Premium Farmers');
  });

  it('the pool example is valid', () => {
    const r = parsePoolDefinition(exampleAfter('### Pools (`pools/*.yaml`)'), 'README.md');
    assert.deepEqual(errors(r.diagnostics), []);
    assert.equal(r.value?.name, 'premium_accounts');
  });
});
