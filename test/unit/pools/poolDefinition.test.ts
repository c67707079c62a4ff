import { strict as assert } from 'node:assert';
import { z } from 'zod';
import { parsePoolDefinition, type PoolDefinition } from '../../../src/orchestrator/pools/poolDefinition';
import { formatDuration, parseDuration } from '../../../src/shared/durations';
import { checkoutCandidateQuery, fieldExpr, filterToSql, membersCte, poolStatsQuery } from '../../../src/orchestrator/pools/poolQuery';
import { poolDefinitionSchema } from '../../../src/orchestrator/pools/poolSchema';

const NOW = new Date('2026-03-01T12:00:00.000Z');

function def(text: string): PoolDefinition {
  const r = parsePoolDefinition(text, 'pools/p.yaml');
  assert.deepEqual(r.diagnostics, []);
  assert.ok(r.value);
  return r.value;
}

function errors(text: string) {
  const r = parsePoolDefinition(text, 'pools/p.yaml');
  assert.equal(r.value, undefined, 'expected the definition to be rejected');
  return r.diagnostics.filter((d) => d.severity === 'error');
}

describe('(unit) pool definitions', () => {
  it('parses a full definition and normalizes durations and values', () => {
    const d = def(
      [
        'name: premium_accounts',
        'description: premium ones',
        'filters:',
        '  - { field: premium, op: eq, value: "yes" }',
        '  - { field: packs_opened, op: lt, value: "50" }',
        '  - { field: last_used_at, op: olderThan, value: 12h }',
        '  - { field: status, op: notIn, value: [failed, banned] }',
        'sort:',
        '  - { field: packs_opened, order: desc }',
        '  - { field: name }',
        'limit: 100',
        'include: [a, a, b]',
        'exclude: [c]',
        'retry: { maxFailures: 5 }',
        'cooldown: 1h30m',
        'lease: { ttl: 2m, heartbeat: 20s }',
      ].join('\n'),
    );
    assert.equal(d.name, 'premium_accounts');
    assert.deepEqual(d.filters[0], { field: 'premium', op: 'eq', value: true });
    assert.deepEqual(d.filters[1], { field: 'packs_opened', op: 'lt', value: 50 });
    assert.deepEqual(d.filters[2], { field: 'last_used_at', op: 'olderThan', value: 12 * 3_600_000 });
    assert.deepEqual(d.sort, [
      { field: 'packs_opened', order: 'desc' },
      { field: 'name', order: 'asc' },
    ]);
    assert.deepEqual(d.include, ['a', 'b']);
    assert.equal(d.maxFailures, 5);
    assert.equal(d.cooldownMs, 90 * 60_000);
    assert.equal(d.leaseTtlMs, 120_000);
    assert.equal(d.heartbeatMs, 20_000);
  });

  it('has defaults: lease 10m / heartbeat 1m, 3 failures, no cooldown', () => {
    const d = def('name: all\n');
    assert.equal(d.leaseTtlMs, 600_000);
    assert.equal(d.heartbeatMs, 60_000);
    assert.equal(d.maxFailures, 3);
    assert.equal(d.cooldownMs, undefined);
    assert.deepEqual(d.filters, []);
  });

  it('locates unknown keys, wrong types and bad filter values', () => {
    const e1 = errors('name: x\nfilter: []\n');
    assert.equal(e1.length, 1);
    assert.equal(e1[0].line, 2);
    assert.equal(e1[0].col, 1);
    assert.match(e1[0].message, /unknown key 'filter'/);

    const e2 = errors('name: x\nfilters:\n  - field: premium\n    op: gt\n    value: true\n');
    assert.equal(e2[0].line, 5);
    assert.equal(e2[0].col, 12);
    assert.match(e2[0].message, /gt does not apply to premium/);

    const e3 = errors('name: x\nfilters:\n  - { field: packs_opened, op: olderThan, value: 2h }\n');
    assert.match(e3[0].message, /olderThan applies to time fields/);
    assert.equal(e3[0].line, 3);

    const e4 = errors('name: x\nfilters:\n  - { field: password, op: eq, value: a }\n');
    assert.match(e4[0].message, /field/);
    assert.equal(e4[0].line, 3);

    const e5 = errors('name: x\nfilters:\n  - { field: status, op: in, value: available }\n');
    assert.match(e5[0].message, /in expects a list/);

    const e6 = errors('name: x\nfilters:\n  - { field: status, op: eq, value: sleeping }\n');
    assert.match(e6[0].message, /'sleeping' is not a status/);

    const e7 = errors('name: x\nfilters:\n  - { field: packs_opened, op: ge, value: lots }\n');
    assert.match(e7[0].message, /whole number/);

    const e8 = errors('name: x\ncooldown: soon\n');
    assert.equal(e8[0].line, 2);
    assert.match(e8[0].message, /not a duration/);

    const e9 = errors('name: x\nlease: { ttl: 1m, heartbeat: 2m }\n');
    assert.match(e9[0].message, /heartbeat must be shorter/);
    assert.equal(e9[0].line, 2);

    const e10 = errors('description: no name\n');
    assert.match(e10[0].message, /name/);
  });

  it('accepts extra.<key> fields and rejects other dotted names', () => {
    const d = def('name: x\nfilters:\n  - { field: extra.region, op: eq, value: eu }\n');
    assert.equal(d.filters[0].field, 'extra.region');
    errors('name: x\nfilters:\n  - { field: "extra.a-b", op: eq, value: eu }\n');
    errors('name: x\nfilters:\n  - { field: "accounts.id", op: eq, value: eu }\n');
  });

  it('generates a JSON Schema with descriptions', () => {
    const js = z.toJSONSchema(poolDefinitionSchema, { io: 'input' }) as { properties: Record<string, { description?: string }>; additionalProperties?: boolean };
    assert.ok(js.properties.filters.description);
    assert.ok(js.properties.cooldown.description);
    assert.equal(js.additionalProperties, false);
  });

  it('parses and formats durations', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration(42), 42);
    assert.equal(parseDuration('12'), 12); // text digits mean milliseconds, as everywhere
    assert.equal(parseDuration('40d'), 3_456_000_000); // pools have no upper cap
    assert.equal(parseDuration('3 weeks'), undefined);
    assert.equal(formatDuration(5_400_000), '1.5h');
    assert.equal(formatDuration(90_000), '1.5m');
  });
});

describe('(unit) pool definitions → SQL', () => {
  it('binds every value as a parameter; nothing from the definition is spliced into the text', () => {
    const evil = "x' OR 1=1; DROP TABLE accounts; --";
    const d = def(`name: x\nfilters:\n  - { field: name, op: eq, value: "${evil}" }\n  - { field: notes, op: contains, value: "%_" }\ninclude: ["${evil}"]\nexclude: ["${evil}"]\nlimit: 5\n`);
    const q = checkoutCandidateQuery(d, NOW);
    assert.ok(!q.sql.includes('DROP'));
    assert.ok(!q.sql.includes('%_'));
    assert.ok(q.params.includes(evil));
    assert.ok(q.params.includes('%_'));
    assert.equal((q.sql.match(/\?/g) ?? []).length, q.params.length);
  });

  it('builds each operator', () => {
    const f = (field: string, op: string, value: unknown) => filterToSql({ field, op: op as never, value: value as never }, NOW);
    assert.deepEqual(f('premium', 'eq', true), { sql: 'a.premium IS ?', params: [1] });
    assert.deepEqual(f('name', 'ne', null), { sql: 'a.name IS NOT ?', params: [null] });
    assert.deepEqual(f('packs_opened', 'ge', 3), { sql: 'a.packs_opened >= ?', params: [3] });
    assert.deepEqual(f('status', 'in', ['available', 'completed']), { sql: '(a.status IN (?, ?))', params: ['available', 'completed'] });
    assert.deepEqual(f('name', 'notIn', ['a']), { sql: '(a.name IS NULL OR a.name NOT IN (?))', params: ['a'] });
    assert.deepEqual(f('name', 'contains', 'Ab'), { sql: 'instr(lower(a.name), lower(?)) > 0', params: ['Ab'] });
    assert.deepEqual(f('last_used_at', 'olderThan', 3_600_000), { sql: '(a.last_used_at IS NULL OR a.last_used_at < ?)', params: ['2026-03-01T11:00:00.000Z'] });
    assert.deepEqual(f('completed_at', 'newerThan', 60_000), { sql: '(a.completed_at IS NOT NULL AND a.completed_at >= ?)', params: ['2026-03-01T11:59:00.000Z'] });
    assert.deepEqual(f('extra.region', 'eq', 'eu'), { sql: 'json_extract(a.extra, ?) IS ?', params: ['$.region', 'eu'] });
  });

  it('refuses identifiers outside the allow-list', () => {
    assert.throws(() => fieldExpr('id; DROP TABLE accounts'), /not an account column/);
    assert.throws(() => fieldExpr('extra.a)--'), /invalid extra field/);
    assert.throws(() => fieldExpr('constructor'), /not an account column/);
  });

  it('applies limit in sort order and lets exclude win over include', () => {
    const d = def('name: x\nsort: [{ field: packs_opened, order: desc }]\nlimit: 3\ninclude: [a, b]\nexclude: [b]\n');
    const m = membersCte(d, NOW);
    assert.match(m.sql, /ORDER BY a\.packs_opened DESC, a\.last_used_at ASC, a\.id ASC LIMIT \?\) UNION SELECT a\.id FROM accounts a WHERE a\.id IN \(\?, \?\) AND a\.id NOT IN \(\?\)/);
    assert.deepEqual(m.params, ['b', 3, 'a', 'b', 'b']);
  });

  it('counts cooldown-finished completed accounts as available', () => {
    const d = def('name: x\ncooldown: 10m\n');
    const q = poolStatsQuery(d, NOW);
    assert.ok(q.params.includes('2026-03-01T11:50:00.000Z'));
    assert.match(q.sql, /a\.status = 'completed' AND \(a\.completed_at IS NULL OR a\.completed_at <= \?\)/);
  });
});
