/**
 * Names from workspace files in the CLI's human output and in `validate`: control characters cannot drive the
 * terminal or forge lines, invisible and look-alike names are reported.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main as validateMain } from '../../../src/cli/commands/validate';
import { formatDefinitions } from '../../../src/cli/commands/groups';
import { failureSummary, formatSummary } from '../../../src/cli/commands/run';
import { renderGroupTable } from '../../../src/cli/liveTable';
import { printable, printableLines } from '../../../src/cli/printable';
import { GroupDefinitionError, parseGroupDefinition, validateGroupDefinition } from '../../../src/orchestrator/groupDefinition';
import { mixedLookalikeScripts, nameLookProblems, nameSkeleton } from '../../../src/orchestrator/nameChecks';
import { validateWorkspace } from '../../../src/orchestrator/workspaceValidation';
import type { GroupSnapshot } from '../../../src/shared/fleetTypes';
import { captureOutput } from '../../support/captureOutput';
import { MemoryFileStore } from '../../support/memoryFileStore';
import { premiumDef } from './harness';

const ESC = '\u001b';

/** No character a terminal would act on, and no line break inside a line. */
function assertInert(text: string): void {
  for (const line of text.split('\n')) {
    assert.doesNotMatch(line, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u, JSON.stringify(line));
  }
}

const WORKSPACE: Record<string, string> = {
  'routines/farm.yaml': 'steps:\n  - tap: { x: 1, y: 2 }\n',
  'groups/farmers.yaml': 'name: Premium Farmers\nroutine: farm\navailableInstances: [1]\nrequestedBotCount: 1\n',
};

describe('(unit) names in output and in validate', () => {
  it('printable shows control, bidi and zero-width characters as escapes, on one line', () => {
    assert.equal(printable(`Evil${ESC}[2J\u0007name`), 'Evil\\x1b[2J\\x07name');
    assert.equal(printable('a\nb\r\tc'), 'a\\nb\\r\\tc');
    assert.equal(printable('abc\u202edef\u200b\u2066'), 'abc\\u202edef\\u200b\\u2066');
    assert.equal(printable('Премиум Farmers ✓ 農場'), 'Премиум Farmers ✓ 農場', 'visible text of any script stays');
    assert.equal(printableLines(`one${ESC}\ntwo`), 'one\\x1b\ntwo');
  });

  it('a group name with a control character is an error of the definition, located at the name', () => {
    const r = parseGroupDefinition(`name: "Evil\\e[2J"\nroutine: farm\navailableInstances: [1]\nrequestedBotCount: 1\n`, 'groups/evil.yaml');
    assert.equal(r.value, undefined);
    const d = r.diagnostics.find((x) => x.code === 'invalid-name');
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.deepEqual([d.line, d.col, d.severity], [1, 7, 'error']);
    assert.match(d.message, /control character \(U\+001B\)/);
    assert.throws(
      () => validateGroupDefinition({ ...premiumDef(), name: 'two\nlines' }),
      (e: unknown) => e instanceof GroupDefinitionError && e.code === 'invalid-definition' && /U\+000A/.test(e.message),
    );
  });

  it('finds hidden characters, mixed look-alike scripts and names that read the same', () => {
    assert.deepEqual(mixedLookalikeScripts('Premium Fаrmers'), ['Latin', 'Cyrillic']);
    assert.deepEqual(mixedLookalikeScripts('Премиум'), []);
    assert.deepEqual(mixedLookalikeScripts('Farm 農場'), [], 'scripts that do not look alike are fine');
    assert.equal(nameSkeleton('Premium Fаrmers'), nameSkeleton('premium farmers'));
    assert.equal(nameSkeleton('Ｐremium\u200bFarmers'), nameSkeleton('Premium Farmers'));
    assert.notEqual(nameSkeleton('Premium Farmers'), nameSkeleton('Premium Farmer'));
    assert.deepEqual(
      nameLookProblems('group', 'Wonder\u200bPick').map((p) => p.code),
      ['hidden-characters'],
    );
    assert.deepEqual(nameLookProblems('group', 'Wonder Pick'), []);
  });

  it('validate warns about invisible, mixed-script and look-alike names of groups and pools (template names are ASCII)', async () => {
    const ds = await validateWorkspace(
      new MemoryFileStore({
        ...WORKSPACE,
        'groups/lookalike.yaml': 'name: Premium Fаrmers\nroutine: farm\navailableInstances: [1]\nrequestedBotCount: 1\n',
        'groups/hidden.yaml': 'name: "Wonder\\u200BPick"\nroutine: farm\navailableInstances: [1]\nrequestedBotCount: 1\n',
        'pools/premium.yaml': 'name: premium\n',
        'pools/premium2.yaml': 'name: prеmium\n',
      }),
    );
    const warnings = ds.filter((d) => d.severity === 'warning').map((d) => `${d.file}:${d.line}:${d.col} ${d.code}`);
    assert.deepEqual(warnings.sort(), [
      'groups/hidden.yaml:1:7 hidden-characters',
      'groups/lookalike.yaml:1:7 lookalike-name',
      'groups/lookalike.yaml:1:7 mixed-scripts',
      'pools/premium2.yaml:1:7 lookalike-name',
      'pools/premium2.yaml:1:7 mixed-scripts',
    ]);
    const hidden = ds.find((d) => d.file === 'groups/hidden.yaml')!;
    assert.match(hidden.message, /'Wonder<U\+200B>Pick' contains invisible or control characters \(U\+200B\)/);
    const look = ds.find((d) => d.file === 'groups/lookalike.yaml' && d.code === 'lookalike-name')!;
    assert.match(look.message, /group name 'Premium Fаrmers' looks like group 'Premium Farmers' \(groups\/farmers\.yaml\)/);
    assert.equal(
      ds.filter((d) => d.severity === 'error').length,
      0,
      JSON.stringify(ds.filter((d) => d.severity === 'error')),
    );
  });

  it('validate prints one inert line per problem even when a file name holds a line break or an escape', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleet-names-'));
    try {
      for (const [p, t] of Object.entries(WORKSPACE)) {
        mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
        writeFileSync(path.join(dir, p), t);
      }
      // A file name that would print a forged problem line, and one that would clear the screen.
      writeFileSync(path.join(dir, 'groups', 'x.yaml\ngroups:1:1: forged.yaml'), 'name: X\nroutine: farm\navailableInstances: [1]\nrequestedBotCount: 1\nbogus: 1\n');
      writeFileSync(path.join(dir, 'groups', `y${ESC}[2J.yaml`), 'name: Y\nroutine: farm\navailableInstances: [1]\nrequestedBotCount: 1\nbogus: 1\n');
      const r = await captureOutput(() => validateMain(['--root', dir]));
      assert.equal(r.code, 1);
      const lines = r.out.split('\n');
      assert.equal(lines.length, 2, r.out);
      assert.ok(lines.every((l) => /^groups\/.*:5:1: unknown key 'bogus'/.test(l)), r.out);
      assert.ok(lines.some((l) => l.startsWith('groups/x.yaml\\ngroups:1:1: forged.yaml:5:1:')), r.out);
      assert.ok(lines.some((l) => l.startsWith('groups/y\\x1b[2J.yaml:5:1:')), r.out);
      assertInert(r.out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the run table, the summary and the group list escape names and messages', () => {
    const g: GroupSnapshot = {
      name: `Evil${ESC}[2J`,
      orchestrationId: 'r',
      state: 'failed',
      stateSince: 0,
      routine: 'farm\u202e',
      requestedBotCount: 1,
      availableInstances: ['1'],
      bots: [
        {
          group: 'g',
          orchestrationId: 'r',
          instance: '1',
          serial: `dev${ESC}]0;title\u0007`,
          state: 'failed',
          stateSince: 0,
          routine: 'farm',
          accounts: [],
          cycles: 0,
          errors: 1,
          restarts: 0,
          capture: { count: 0 },
          input: { count: 0 },
          steps: 0,
          lastError: { message: 'line one\nline two', time: 0 },
        },
      ],
      retiredBots: [],
      skippedInstances: [],
      lastError: { message: `boom${ESC}[31m`, time: 0 },
      differsFromDefinition: false,
    };
    const table = renderGroupTable(g, 0, 300).join('\n');
    assertInert(table);
    assert.match(table, /Evil\\x1b\[2J/);
    assert.match(table, /line one\\nline two/);
    assertInert(formatSummary({ ...failureSummary(g.name, 'no\nway', 'x'), bots: [] }));
    const list = formatDefinitions([{ name: `a${ESC}[2J`, file: 'groups/a\n.yaml', valid: false, description: 'x\u202ey', diagnostics: [{ file: 'groups/a\n.yaml', line: 1, col: 1, severity: 'error', message: 'bad' }], active: false }]);
    assertInert(list);
    assert.equal(list.split('\n').length, 4);
  });
});
