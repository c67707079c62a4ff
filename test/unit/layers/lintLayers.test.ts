/**
 * The layering of src/ is enforced by lint: these tests lint small sources placed (virtually) in each layer through
 * the project's ESLint configuration, and fail when a rule that keeps the layers apart is removed or weakened.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../../..');

/** The project's configuration, without type-aware parsing (not needed for import rules), import rules only. */
function linter(): ESLint {
  return new ESLint({
    cwd: ROOT,
    overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
    ruleFilter: ({ ruleId }) => ruleId.startsWith('import-x/'),
  });
}

/** The import-x problems of `source` as if it were the file `file` (repository-relative). */
async function problems(eslint: ESLint, file: string, source: string): Promise<string[]> {
  const [r] = await eslint.lintText(source, { filePath: path.join(ROOT, file) });
  return r.messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

function importing(spec: string): string {
  return `import * as m from '${spec}';\nexport const used = m;\n`;
}

describe('(unit) layering lint rules', function () {
  this.timeout(60_000);
  let eslint: ESLint;

  before(() => {
    eslint = linter();
  });

  const forbidden: Array<[string, string, RegExp]> = [
    ['src/bot/layerProbe.ts', '../virtual/virtualDevice', /core .* never imports/],
    ['src/bot/layerProbe.ts', '../host/fleet', /core .* never imports/],
    ['src/bot/layerProbe.ts', '../orchestrator/orchestrator', /bot layer never imports the orchestrator/],
    ['src/orchestrator/layerProbe.ts', '../host/fleet', /core .* never imports/],
    ['src/orchestrator/layerProbe.ts', '../virtual/hostEndpoint', /core .* never imports/],
    ['src/orchestrator/layerProbe.ts', '../cli/args', /core .* never imports/],
    ['src/orchestrator/layerProbe.ts', '../extension/activate', /core .* never imports/],
    ['src/orchestrator/layerProbe.ts', '../webview/dom', /core .* never imports/],
    ['src/shared/layerProbe.ts', '../bot/device', /imports nothing of ours/],
    ['src/shared/layerProbe.ts', '../orchestrator/config', /imports nothing of ours/],
    ['src/virtual/layerProbe.ts', '../bot/device', /virtual device imports only src\/shared/],
    ['src/virtual/layerProbe.ts', '../orchestrator/config', /virtual device imports only src\/shared/],
    ['src/webview/layerProbe.ts', '../bot/device', /webview imports only src\/shared/],
    ['src/language/layerProbe.ts', '../host/fleet', /language features use the core/],
    ['src/language/layerProbe.ts', '../virtual/virtualDevice', /language features use the core/],
    ['src/host/layerProbe.ts', '../cli/args', /host composes the core/],
  ];
  for (const [file, spec, why] of forbidden) {
    it(`refuses ${path.dirname(file).slice(4)} → ${spec}`, async () => {
      const found = await problems(eslint, file, importing(spec));
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(found[0], /^import-x\/no-restricted-paths: /);
      assert.match(found[0], why);
    });
  }

  const allowed: Array<[string, string]> = [
    ['src/bot/layerProbe.ts', '../shared/ports'],
    ['src/orchestrator/layerProbe.ts', '../bot/bot'],
    ['src/shared/layerProbe.ts', './lifecycle'],
    ['src/shared/layerProbe.ts', 'zod'],
    ['src/virtual/layerProbe.ts', '../shared/ports'],
    ['src/host/layerProbe.ts', '../virtual/virtualDevice'],
    ['src/language/layerProbe.ts', '../orchestrator/config'],
    ['src/language/layerProbe.ts', '../host/nodePorts'],
    ['src/cli/layerProbe.ts', '../host/fleet'],
  ];
  for (const [file, spec] of allowed) {
    it(`allows ${path.dirname(file).slice(4)} → ${spec}`, async () => {
      assert.deepEqual(await problems(eslint, file, importing(spec)), []);
    });
  }

  it('forbids import cycles everywhere in src/', async () => {
    for (const file of ['src/bot/bot.ts', 'src/shared/ports.ts', 'src/host/fleet.ts', 'src/webview/app.ts', 'src/extension/activate.ts']) {
      const config = (await eslint.calculateConfigForFile(path.join(ROOT, file))) as { rules?: Record<string, unknown> };
      const rule = config.rules?.['import-x/no-cycle'];
      assert.ok(Array.isArray(rule) && (rule[0] === 2 || rule[0] === 'error'), `${file}: import-x/no-cycle is ${JSON.stringify(rule)}`);
    }
  });
});
