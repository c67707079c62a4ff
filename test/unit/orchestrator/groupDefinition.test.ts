import * as assert from 'node:assert/strict';
import { z } from 'zod';
import { parseYaml } from '../../../src/shared/yamlSource';
import {
  applyDefinitionToDocument,
  definitionFileStem,
  definitionToYamlObject,
  mergeLaunchOptions,
  parseGroupDefinition,
  routineConfigFor,
  sameGroupConfiguration,
  serialOverrideFor,
  validateGroupDefinition,
} from '../../../src/orchestrator/groupDefinition';
import { groupDefinitionSchema } from '../../../src/orchestrator/groupSchema';

const FULL = `# Premium farming
name: Premium Farmers   # shown in the tree
description: Farm premium packs
routine: farm_premium
routineConfig:
  packs: 2
  label: fast
availableInstances: [1, 2, 3, 4]
requestedBotCount: 2
accountPool: premium_accounts
launchOptions:
  stagger: 500ms
  onBusy: wait
  waitTimeout: 1m
  restart:
    maxRestarts: unlimited
    initialDelay: 1s
    maxDelay: 30s
    factor: 3
  cycles: 10
  stopWhenPoolEmpty: false
  overrides:
    - instance: 2
      serial: emulator-5556
      routineConfig: { packs: 5 }
createdAt: 2026-01-01T00:00:00.000Z
`;

describe('(unit) group definitions', () => {
  it('parses every field of the seed plus launch options, durations in ms', () => {
    const r = parseGroupDefinition(FULL, 'groups/premium_farmers.yaml');
    assert.deepEqual(r.diagnostics, []);
    const d = r.value!;
    assert.equal(d.name, 'Premium Farmers');
    assert.equal(d.description, 'Farm premium packs');
    assert.equal(d.routine, 'farm_premium');
    assert.deepEqual(d.routineConfig, { packs: 2, label: 'fast' });
    assert.deepEqual(d.availableInstances, [1, 2, 3, 4]);
    assert.equal(d.requestedBotCount, 2);
    assert.equal(d.accountPool, 'premium_accounts');
    assert.equal(d.createdAt, '2026-01-01T00:00:00.000Z');
    const lo = d.launchOptions;
    assert.equal(lo.staggerMs, 500);
    assert.equal(lo.onBusy, 'wait');
    assert.equal(lo.waitTimeoutMs, 60_000);
    assert.deepEqual(lo.restart, { enabled: true, maxRestarts: Infinity, initialDelayMs: 1000, maxDelayMs: 30_000, factor: 3, resetAfterSuccess: true });
    assert.equal(lo.cycles, 10);
    assert.equal(lo.durationMs, undefined);
    assert.equal(lo.stopWhenPoolEmpty, false);
    assert.equal(lo.stopTimeoutMs, 10_000);
    assert.deepEqual(routineConfigFor(d, '2'), { packs: 5, label: 'fast' });
    assert.deepEqual(routineConfigFor(d, '1'), { packs: 2, label: 'fast' });
    assert.equal(serialOverrideFor(d, '2'), 'emulator-5556');
    assert.equal(serialOverrideFor(d, '3'), undefined);
  });

  it('fills defaults for a minimal definition', () => {
    const r = parseGroupDefinition('name: G\nroutine: r\navailableInstances: [emulator-5554]\nrequestedBotCount: 1\n', 'groups/g.yaml');
    assert.deepEqual(r.diagnostics, []);
    const lo = r.value!.launchOptions;
    assert.equal(lo.onBusy, 'skip');
    assert.equal(lo.staggerMs, 1000);
    assert.equal(lo.restart.maxRestarts, 5);
    assert.equal(lo.cycles, undefined);
    assert.equal(lo.durationMs, undefined);
    assert.deepEqual(r.value!.availableInstances, ['emulator-5554']);
  });

  it('reports located errors: unknown key, too many bots, duplicate instance, cycles with duration, bad duration', () => {
    const text = [
      'name: Bad',
      'routine: r',
      'availableInstances: [1, 2, 2]',
      'requestedBotCount: 4',
      'launchOptions:',
      '  cycles: 3',
      '  duration: 10m',
      '  stager: 2s',
      '',
    ].join('\n');
    const r = parseGroupDefinition(text, 'groups/bad.yaml');
    assert.equal(r.value, undefined);
    const unknown = r.diagnostics.find((d) => d.code === 'unknown-key');
    assert.ok(unknown, JSON.stringify(r.diagnostics));
    assert.equal(unknown.line, 8);
    assert.equal(unknown.col, 3);
    assert.match(unknown.message, /stager/);
    assert.equal(unknown.file, 'groups/bad.yaml');

    const fixed = text.replace('  stager: 2s\n', '');
    const r2 = parseGroupDefinition(fixed, 'groups/bad.yaml');
    const msgs = r2.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
    assert.ok(msgs.some((m) => m.startsWith('3:') && /listed twice/.test(m)), msgs.join('\n'));
    assert.ok(msgs.some((m) => m.startsWith('4:') && /requestedBotCount/.test(m)), msgs.join('\n'));
    assert.ok(msgs.some((m) => m.startsWith('7:') && /either cycles or duration/.test(m)), msgs.join('\n'));

    const r3 = parseGroupDefinition('name: X\nroutine: r\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions:\n  stagger: soon\n', 'g.yaml');
    const d3 = r3.diagnostics.find((d) => d.line === 6);
    assert.ok(d3, JSON.stringify(r3.diagnostics));
    assert.match(d3.message, /duration/);
  });

  it('reports an override for an instance that is not available', () => {
    const r = parseGroupDefinition('name: X\nroutine: r\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions:\n  overrides:\n    - instance: 7\n', 'g.yaml');
    const d = r.diagnostics.find((x) => /not in availableInstances/.test(x.message));
    assert.ok(d);
    assert.equal(d.line, 7);
  });

  it('reports YAML syntax errors with their position', () => {
    const r = parseGroupDefinition('name: X\nroutine: [unclosed\n', 'g.yaml');
    assert.equal(r.value, undefined);
    assert.ok(r.diagnostics.length > 0);
    assert.ok(r.diagnostics.every((d) => d.file === 'g.yaml' && d.line >= 1));
  });

  it('round-trips through the YAML form (compact and full)', () => {
    const d = parseGroupDefinition(FULL, 'g.yaml').value!;
    for (const compact of [true, false]) {
      const again = validateGroupDefinition({ ...d });
      assert.ok(sameGroupConfiguration(again, d));
      const obj = definitionToYamlObject(d, compact);
      const r = groupDefinitionSchema.safeParse(obj);
      assert.ok(r.success);
    }
    const compact = definitionToYamlObject(parseGroupDefinition('name: G\nroutine: r\navailableInstances: [1]\nrequestedBotCount: 1\n', 'g.yaml').value!);
    assert.deepEqual(Object.keys(compact), ['name', 'routine', 'availableInstances', 'requestedBotCount']);
  });

  it('edits a document in place: comments and layout survive, only changed fields move', () => {
    const prev = parseGroupDefinition(FULL, 'g.yaml').value!;
    const next = structuredClone(prev);
    next.requestedBotCount = 3;
    next.description = 'Farm premium packs, faster';
    next.launchOptions.restart.factor = 2;
    next.launchOptions.stopTimeoutMs = 5000;
    next.routineConfig = { packs: 2 };
    const parsed = parseYaml(FULL, 'g.yaml');
    applyDefinitionToDocument(parsed.doc, prev, next);
    const out = parsed.doc.toString();
    assert.match(out, /^# Premium farming\n/);
    assert.match(out, /name: Premium Farmers # shown in the tree/);
    assert.match(out, /availableInstances: \[ 1, 2, 3, 4 \]|availableInstances: \[1, 2, 3, 4\]/);
    assert.match(out, /requestedBotCount: 3/);
    assert.match(out, /stagger: 500ms/);
    assert.match(out, /factor: 2/);
    assert.match(out, /stopTimeout: 5s/);
    assert.doesNotMatch(out, /label: fast/);
    const back = parseGroupDefinition(out, 'g.yaml');
    assert.deepEqual(back.diagnostics, []);
    assert.ok(sameGroupConfiguration(back.value!, next));
  });

  it('merges launch option overrides: cycles replaces a duration and the reverse', () => {
    const base = parseGroupDefinition('name: G\nroutine: r\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions: { duration: 1m }\n', 'g.yaml').value!.launchOptions;
    const m = mergeLaunchOptions(base, { cycles: 2 });
    assert.equal(m.cycles, 2);
    assert.equal(m.durationMs, undefined);
    const m2 = mergeLaunchOptions({ ...base, durationMs: undefined, cycles: 4 }, { durationMs: 5000 });
    assert.equal(m2.cycles, undefined);
    assert.equal(m2.durationMs, 5000);
    assert.equal(m2.restart.maxRestarts, 5);
  });

  it('derives file names from group names', () => {
    assert.equal(definitionFileStem('Premium Farmers'), 'premium_farmers');
    assert.equal(definitionFileStem('  Wönder-Pick  Farmers! '), 'wonder_pick_farmers');
    assert.equal(definitionFileStem('***'), 'group');
  });

  it('generates a JSON Schema with descriptions and snippets', () => {
    const js = z.toJSONSchema(groupDefinitionSchema, { io: 'input' }) as { properties: Record<string, { description?: string }>; required?: string[]; additionalProperties?: boolean };
    assert.equal(js.additionalProperties, false);
    assert.deepEqual([...(js.required ?? [])].sort(), ['availableInstances', 'name', 'requestedBotCount', 'routine']);
    for (const k of ['name', 'routine', 'availableInstances', 'requestedBotCount', 'accountPool']) {
      assert.ok(js.properties[k].description, k);
    }
    assert.match(JSON.stringify(js), /defaultSnippets/);
  });
  it('takes durations in the one syntax, without the routine cap (a group may run for days)', () => {
    const text = 'name: Long run\nroutine: farm_premium\navailableInstances: [1]\nrequestedBotCount: 1\nlaunchOptions:\n  duration: 2d\n  stagger: 1m30s\n';
    const r = parseGroupDefinition(text, 'groups/long.yaml');
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.equal(r.value?.launchOptions.durationMs, 2 * 86_400_000);
    assert.equal(r.value?.launchOptions.staggerMs, 90_000);
  });
});
