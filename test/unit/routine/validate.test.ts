import { strict as assert } from 'node:assert';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main as validateMain } from '../../../src/cli/commands/validate';
import { validateWorkspace } from '../../../src/orchestrator/workspaceValidation';
import { MemoryFileStore } from '../../support/memoryFileStore';

const GOOD: Record<string, string> = {
  'routines/farm.yaml': `params:
  packs: { type: int, default: 1 }
  kind: { type: enum, values: [premium, standard], default: premium }
steps:
  - checkoutAccount
  - waitFor: { image: title_logo, timeout: 10s }
  - call: common/open
    params: { kind: "\${kind}" }
  - completeAccount
`,
  'routines/common/open.yaml': `params:
  kind: { type: string, required: true }
steps:
  - tap: ok_button
`,
  'templates/ui.yaml': `templates:
  - name: title_logo
    image: templates/img/title.png
  - name: ok_button
    image: templates/img/ok.png
`,
  'templates/img/title.png': 'png',
  'templates/img/ok.png': 'png',
  'pools/premium.yaml': 'name: premium\n',
  'groups/farmers.yaml': `name: Farmers
routine: farm
routineConfig: { packs: 3, kind: standard }
availableInstances: [0, 1]
requestedBotCount: 2
accountPool: premium
`,
};

function writeWorkspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-validate-'));
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), t);
  }
  return dir;
}

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const log = console.log;
  const error = console.error;
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => {
    out += `${a.join(' ')}\n`;
  };
  console.error = (...a: unknown[]) => {
    err += `${a.join(' ')}\n`;
  };
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await fn(), out, err };
  } finally {
    console.log = log;
    console.error = error;
    process.stdout.write = write;
  }
}

describe('(unit) workspace validation and `validate`', () => {
  it('a clean workspace has no diagnostics', async () => {
    const ds = await validateWorkspace(new MemoryFileStore(GOOD));
    assert.deepEqual(ds, []);
  });

  it('checks across files: templates, group routine, pool and routineConfig', async () => {
    const ds = await validateWorkspace(
      new MemoryFileStore({
        ...GOOD,
        'routines/farm.yaml': GOOD['routines/farm.yaml'].replace('title_logo', 'title_lgo'),
        'groups/farmers.yaml': GOOD['groups/farmers.yaml'].replace('packs: 3', 'packs: three, extra: 1').replace('premium', 'premum'),
        'groups/other.yaml': 'name: Other\nroutine: farmm\navailableInstances: [2]\nrequestedBotCount: 1\n',
        'groups/nopool.yaml': 'name: No pool\nroutine: farm\navailableInstances: [3]\nrequestedBotCount: 1\n',
        'templates/more.yaml': 'templates:\n  - name: ok_button\n    image: templates/img/missing.png\n',
      }),
    );
    const lines = ds.map((d) => `${d.file}:${d.line}:${d.col}: ${d.code}: ${d.message}`);
    const expect = [
      /^groups\/farmers\.yaml:3:25: wrong-param-type: parameter 'packs' of 'farm' must be an integer, got "three"$/,
      /^groups\/farmers\.yaml:3:32: unknown-param: routine 'farm' has no parameter 'extra'/,
      /^groups\/farmers\.yaml:6:14: unknown-pool: unknown account pool 'premum' \(did you mean 'premium'\?\)$/,
      /^groups\/nopool\.yaml:2:10: missing-pool: routine 'farm' uses 'checkoutAccount' \(line 5\) but the group has no accountPool$/,
      /^groups\/other\.yaml:2:10: unknown-routine: unknown routine 'farmm' \(did you mean 'farm'\?\)$/,
      /^routines\/farm\.yaml:6:23: unknown-template: unknown template 'title_lgo'$/,
      /^templates\/more\.yaml:3:12: image-missing: template 'ok_button': image 'templates\/img\/missing\.png' not found$/,
      /^templates\/ui\.yaml:4:5: duplicate-template: duplicate template name 'ok_button' \(also defined at templates\/more\.yaml:2:5\)$/,
    ];
    assert.equal(lines.length, expect.length, lines.join('\n'));
    expect.forEach((re, i) => assert.match(lines[i], re));
  });

  it('reports every loader\'s own errors, located', async () => {
    const ds = await validateWorkspace(
      new MemoryFileStore({
        ...GOOD,
        'pools/bad.yaml': 'name: bad\nbogus: 1\n',
        'groups/bad.yaml': 'name: [\n',
        'templates/bad.yaml': 'templates:\n  - name: x\n',
      }),
    );
    for (const f of ['pools/bad.yaml', 'groups/bad.yaml', 'templates/bad.yaml']) {
      const d = ds.find((x) => x.file === f);
      assert.ok(d, f);
      assert.ok(d.line >= 1 && d.col >= 1 && d.message.length > 0);
    }
  });

  describe('CLI', () => {
    let dir: string;
    afterEach(() => {
      if (dir) {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('exits 0 on a clean workspace', async () => {
      dir = writeWorkspace(GOOD);
      const r = await capture(() => validateMain(['--root', dir]));
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(r.out, '');
      assert.match(r.err, /no problems \(checked 2 routines, 2 templates, 1 group, 1 pool\)/);
    });

    it('prints file:line:col: message per problem (paths relative to the root) and exits 1', async () => {
      dir = writeWorkspace({ ...GOOD, 'routines/farm.yaml': 'steps:\n  - tap: { x: 1 }\n  - wiat: 2s\n' });
      const r = await capture(() => validateMain(['--root', dir]));
      assert.equal(r.code, 1);
      const lines = r.out.trim().split('\n');
      assert.deepEqual(lines, [
        "groups/farmers.yaml:2:10: warning: routine 'farm' has errors (see routines/farm.yaml): the group cannot run",
        "routines/farm.yaml:2:10: missing required key 'y' in steps[0].tap (expected a number >= 0)",
        "routines/farm.yaml:3:5: steps[1].wiat: a step needs an action ('wiat' is not known: did you mean 'wait'?)",
      ]);
      assert.match(r.err, /2 errors, 1 warning /);
    });

    it('--json prints ok and the diagnostics', async () => {
      dir = writeWorkspace({ ...GOOD, 'routines/farm.yaml': 'steps:\n  - log: "${x"\n' });
      const r = await capture(() => validateMain(['--json', '--root', dir]));
      assert.equal(r.code, 1);
      const j = JSON.parse(r.out) as { ok: boolean; diagnostics: Array<{ file: string; line: number; col: number; message: string; severity: string }> };
      assert.equal(j.ok, false);
      const errors = j.diagnostics.filter((d) => d.severity === 'error');
      assert.equal(errors.length, 1);
      assert.equal(errors[0].file, 'routines/farm.yaml');
      assert.equal(errors[0].line, 2);
      assert.equal(errors[0].col, 11);
    });

    it('warnings alone keep exit 0; usage errors exit 2', async () => {
      dir = writeWorkspace({ ...GOOD, 'routines/extra.yaml': 'steps:\n  - log: "${undefined_var}"\n' });
      const r = await capture(() => validateMain(['--root', dir]));
      assert.equal(r.code, 0);
      assert.match(r.out, /^routines\/extra\.yaml:2:10: warning: steps\[0\]\.log: variable 'undefined_var' is never defined/m);
      assert.equal((await capture(() => validateMain(['--bogus']))).code, 2);
      assert.equal((await capture(() => validateMain(['--root', path.join(dir, 'nope')]))).code, 2);
    });
  });
});
