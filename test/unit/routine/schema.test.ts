import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as yamlParse } from 'yaml';
import { formatDuration } from '../../../src/shared/durations';
import { parseDuration } from '../../../src/bot/routine/durations';
import { hasInterpolation, interpolateWith, parseInterpolation, referencedVariables, wholeVariable } from '../../../src/bot/routine/interpolationSyntax';
import { parseRoutine } from '../../../src/bot/routine/loader';
import { ACTION_ARG_DOCS, ACTION_DOCS, ACTION_NAMES, BARE_ACTIONS, COMMON_STEP_KEY_DOCS, CONDITION_ARG_DOCS, CONDITION_DOCS, CONDITION_KINDS } from '../../../src/bot/routine/actionCatalogue';
import { routineDocumentSchema } from '../../../src/bot/routine/schema';
import { generateSchemaText } from '../../../scripts/schemas';

const root = path.resolve(__dirname, '../../..');

/** Replaces VS Code snippet placeholders (`${1:default}`, `${1}`) by their default (or `x`). */
function fillSnippet(v: unknown): unknown {
  if (typeof v === 'string') {
    return v.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\{\d+\}/g, 'x');
  }
  if (Array.isArray(v)) {
    return v.map(fillSnippet);
  }
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [fillSnippet(k) as string, fillSnippet(x)]));
  }
  return v;
}

function asRoutine(steps: unknown[]): string {
  return JSON.stringify({ steps });
}

function errorsOf(text: string): string[] {
  return parseRoutine(text, 'r.yaml').diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.message}`);
}

function yamlExample(markdown: string): string | undefined {
  return /```yaml\n([\s\S]*?)```/.exec(markdown)?.[1];
}

function stepsDocument(block: string): string {
  return block.startsWith('- ') ? `steps:\n${block.split('\n').map((l) => `  ${l}`).join('\n')}` : block;
}

describe('(unit) routine schema', () => {
  describe('durations', () => {
    it('parses every unit and bare milliseconds', () => {
      assert.equal(parseDuration('250ms'), 250);
      assert.equal(parseDuration('2s'), 2000);
      assert.equal(parseDuration('1.5s'), 1500);
      assert.equal(parseDuration('1m'), 60_000);
      assert.equal(parseDuration('1h'), 3_600_000);
      assert.equal(parseDuration(300), 300);
      assert.equal(parseDuration('300'), 300);
      assert.equal(parseDuration('.5s'), 500);
      assert.equal(parseDuration('1h30m'), 5_400_000);
      assert.equal(parseDuration('1d'), 86_400_000);
    });
    it('rejects bad, negative and huge values', () => {
      for (const bad of ['2 seconds', '-1s', '2d', 's', '1h 30m', '', '1e3ms', 'NaN', -5, Infinity, '25h', null, {}]) {
        assert.equal(parseDuration(bad), undefined, JSON.stringify(bad));
      }
    });
    it('formats the shortest exact text', () => {
      assert.equal(formatDuration(250), '250ms');
      assert.equal(formatDuration(1500), '1.5s');
      assert.equal(formatDuration(60_000), '1m');
      assert.equal(formatDuration(7_200_000), '2h');
    });
  });

  describe('interpolation syntax', () => {
    it('splits text and variables', () => {
      const r = parseInterpolation('a ${x} b ${y_2}');
      assert.ok(r.ok);
      assert.deepEqual(
        r.parts.map((p) => (typeof p === 'string' ? p : p.name)),
        ['a ', 'x', ' b ', 'y_2'],
      );
      assert.deepEqual(referencedVariables('${a}${b}${a}'), ['a', 'b']);
    });
    it('treats $${ as a literal', () => {
      const r = interpolateWith('cost $${x} ${n}', (n) => (n === 'n' ? 3 : undefined));
      assert.deepEqual(r, { ok: true, value: 'cost ${x} 3' });
      assert.equal(hasInterpolation('cost $${x}'), false);
      assert.equal(hasInterpolation('a ${x}'), true);
      assert.equal(hasInterpolation('plain $5'), false);
    });
    it('keeps the type of a single whole reference', () => {
      assert.deepEqual(interpolateWith('${n}', () => 5), { ok: true, value: 5 });
      assert.deepEqual(interpolateWith('n=${n}', () => 5), { ok: true, value: 'n=5' });
      assert.equal(wholeVariable('${n}'), 'n');
      assert.equal(wholeVariable('x${n}'), undefined);
    });
    it('reports missing variables and syntax errors with their offset', () => {
      assert.deepEqual(interpolateWith('${a} ${b}', (n) => (n === 'a' ? 1 : undefined)), { ok: false, missing: ['b'] });
      for (const [s, index] of [
        ['ab ${x', 3],
        ['${}', 0],
        ['x ${a b}', 2],
        ['${1a}', 0],
      ] as const) {
        const r = parseInterpolation(s);
        assert.ok(!r.ok, s);
        assert.equal(r.error.index, index, s);
      }
    });
  });

  describe('documentation of actions and conditions', () => {
    it('documents every action with a description, a markdown example that validates, and snippets that validate', () => {
      for (const name of ACTION_NAMES) {
        const doc = ACTION_DOCS[name];
        assert.ok(doc.description.length > 10, name);
        const example = yamlExample(doc.markdownDescription);
        assert.ok(example, `${name} has a yaml example`);
        assert.ok(example.includes(name), `${name}'s example uses it`);
        assert.deepEqual(errorsOf(stepsDocument(example)), [], `${name} example`);
        assert.ok(doc.snippets.length > 0, name);
        for (const sn of doc.snippets) {
          const body = fillSnippet(sn.body);
          const steps = name === 'break' || name === 'continue' ? [{ repeat: 1, do: [body] }] : [body];
          assert.deepEqual(errorsOf(asRoutine(steps)), [], `${name} snippet ${sn.label}`);
        }
      }
    });

    it('documents every condition with an example and snippets that validate', () => {
      for (const kind of CONDITION_KINDS) {
        const doc = CONDITION_DOCS[kind];
        assert.ok(doc.markdownDescription.includes('```yaml'), kind);
        for (const sn of doc.snippets) {
          const cond = fillSnippet(sn.body);
          assert.deepEqual(errorsOf(asRoutine([{ if: cond, then: [{ wait: 1 }] }])), [], `${kind} snippet ${sn.label}`);
        }
      }
    });

    it('bare actions accept no arguments', () => {
      for (const name of BARE_ACTIONS) {
        const steps = name === 'break' || name === 'continue' ? [{ repeat: 1, do: [name] }] : [name];
        assert.deepEqual(errorsOf(asRoutine(steps)), [], name);
      }
    });

    it('every yaml example of docs/yaml-reference.md validates, and every action and condition is documented there', () => {
      const md = readFileSync(path.join(root, 'docs/yaml-reference.md'), 'utf8');
      const blocks = [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
      assert.ok(blocks.length >= 30);
      for (const [i, b] of blocks.entries()) {
        assert.deepEqual(errorsOf(stepsDocument(b)), [], `docs block ${i}:\n${b}`);
      }
      const all = blocks.join('\n');
      for (const name of ACTION_NAMES) {
        assert.ok(md.includes(`\`${name}\``), `docs mention ${name}`);
        assert.ok(new RegExp(`(^|[\\s{\\[-])${name}(:|$|\\s)`, 'm').test(all), `a docs example uses ${name}`);
      }
      for (const kind of CONDITION_KINDS) {
        assert.ok(new RegExp(`[{ ]${kind}:`).test(all), `a docs example uses condition ${kind}`);
      }
    });
  });

  describe('JSON Schema', () => {
    const text = generateSchemaText(routineDocumentSchema(), 'routine');
    const schema = JSON.parse(text) as { definitions: Record<string, { anyOf: Array<Record<string, unknown>> }> };

    it('is deterministic and matches the checked-in schemas/routine.schema.json', () => {
      assert.equal(generateSchemaText(routineDocumentSchema(), 'routine'), text);
      assert.ok(text.endsWith('}\n'));
      const checkedIn = readFileSync(path.join(root, 'schemas/routine.schema.json'), 'utf8');
      assert.equal(checkedIn, generateSchemaText(routineDocumentSchema(), 'Emulator Fleet routine (routines/**/*.yaml)'), 'run npm run schemas');
    });

    it('has one variant per action with description, markdownDescription and defaultSnippets', () => {
      const variants = schema.definitions.step.anyOf.filter((v) => v.type === 'object');
      assert.equal(variants.length, ACTION_NAMES.length);
      for (const v of variants) {
        assert.equal(typeof v.title, 'string');
        assert.ok(typeof v.markdownDescription === 'string' && (v.markdownDescription as string).includes('```yaml'), String(v.title));
        assert.ok(Array.isArray(v.defaultSnippets) && v.defaultSnippets.length > 0, String(v.title));
        assert.equal(v.additionalProperties, false);
      }
      const bare = schema.definitions.step.anyOf.find((v) => v.type === 'string')!;
      assert.deepEqual(bare.enum, [...BARE_ACTIONS]);
      assert.equal((bare.enumDescriptions as string[]).length, BARE_ACTIONS.length);
    });

    it('takes every argument and common-key text from the action catalogue, which imports nothing (no zod)', () => {
      const descriptions = new Set<string>();
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) {
          v.forEach(walk);
        } else if (v !== null && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if (k === 'description' && typeof x === 'string') {
              descriptions.add(x);
            } else if (k !== 'defaultSnippets' && k !== 'examples') {
              walk(x);
            }
          }
        }
      };
      walk(schema);
      const docs = [
        ...Object.values(COMMON_STEP_KEY_DOCS),
        // `$value` texts are the value's own help, which the action's or condition's description covers in the schema.
        ...Object.values(ACTION_ARG_DOCS).flatMap((d) => Object.entries(d).filter(([k]) => k !== '$value').map(([, t]) => t)),
        ...Object.values(CONDITION_ARG_DOCS).flatMap((d) => Object.entries(d).filter(([k]) => k !== '$value').map(([, t]) => t)),
      ];
      assert.ok(docs.length > 80);
      for (const d of docs) {
        assert.ok(descriptions.has(d), `the JSON Schema uses the catalogue's text: ${d}`);
      }
      const source = readFileSync(path.join(root, 'src/bot/routine/actionCatalogue.ts'), 'utf8');
      assert.deepEqual(source.match(/^\s*import\b.*$/gm) ?? [], [], 'the catalogue imports nothing');
    });

    it('has one variant per condition with docs and snippets', () => {
      const variants = schema.definitions.condition.anyOf;
      assert.deepEqual(
        variants.map((v) => v.title),
        [...CONDITION_KINDS],
      );
      for (const v of variants) {
        assert.ok(typeof v.markdownDescription === 'string', String(v.title));
        assert.ok(Array.isArray(v.defaultSnippets), String(v.title));
      }
    });

    it('agrees with the loader: accepts every docs example and rejects typical mistakes (when ajv is available)', function () {
      let Ajv: (new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } }) | undefined;
      try {
        // ajv is not a dependency of ours (eslint brings it); the check is skipped without it.
        Ajv = (require('ajv') as { default?: typeof Ajv }).default ?? (require('ajv') as typeof Ajv);
      } catch {
        this.skip();
      }
      const validate = new Ajv!({ allErrors: true, strict: false }).compile(JSON.parse(text) as object);
      const md = readFileSync(path.join(root, 'docs/yaml-reference.md'), 'utf8');
      for (const m of md.matchAll(/```yaml\n([\s\S]*?)```/g)) {
        const doc = stepsDocument(m[1]);
        assert.ok(validate(yamlParse(doc)), `JSON Schema rejects a docs example:\n${m[1]}\n${JSON.stringify(validate.errors)}`);
      }
      for (const bad of ['steps:\n  - tap: { x: 1 }\n', 'steps:\n  - wiat: 1\n', 'steps:\n  - wait: 2 seconds\n', 'bogus: 1\nsteps: []\n', 'steps:\n  - if: { image: a }\n']) {
        assert.equal(validate(yamlParse(bad)), false, bad);
        assert.ok(errorsOf(bad).length > 0, bad);
      }
    });

    it('keeps enum descriptions', () => {
      assert.ok(text.includes('"enumDescriptions"'));
      assert.ok(!text.includes('__schema'));
    });
  });
});
