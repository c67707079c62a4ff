import { strict as assert } from 'node:assert';
import { buildFileModel, type FileModel } from '../../../src/language/fileModel';
import type { RoutineFacts } from '../../../src/language/routineFacts';

function model(path: string, text: string): FileModel {
  const m = buildFileModel(path, text);
  assert.ok(m);
  return m;
}

/** The text of each named range. */
function texts(m: FileModel, refs: Array<{ range: [number, number] }>): string[] {
  return refs.map((r) => m.text.slice(r.range[0], r.range[1]));
}

const ROUTINE = `description: test
params:
  count: { type: int, default: 2, min: 1, max: 5, description: How many }
  mode: { type: enum, values: [a, b], required: true }
vars:
  total: 0
sentries:
  - name: popup
    when: { image: popup.ok }
    steps:
      - tap: popup.ok
onError: { action: call, routine: recover, params: { reason: "failed \${count}" } }
steps:
  - if: { all: [ { image: "title.logo" }, { not: { var: total } } ] }
    then:
      - tap: { template: start, optional: true }
      - set: { seen: true }
    elif:
      - if: { notImage: spinner }
        then: [ { increment: total } ]
    else:
      - call: nav/to_home
        params: { where: home }
        save: { got: result }
  - repeat: "\${count}"
    name: Loop
    do:
      - waitFor: { condition: { elapsed: { since: clock, gt: 1s } }, timeout: 5s }
      - checkoutAccount: { save: acct }
      - getAccountField: { field: hg, save: hourglasses }
      - log: "n=\${total} \${mode} $\${literal}"
    onError: { call: recover }
`;

describe('language/facts', () => {
  it('finds a routine\'s templates, routines, params and variables where they are written', () => {
    const m = model('routines/t.yaml', ROUTINE);
    const f = m.facts as RoutineFacts;
    assert.equal(f.description, 'test');
    assert.deepEqual(texts(m, f.templateRefs), ['popup.ok', 'popup.ok', 'title.logo', 'start', 'spinner']);
    assert.deepEqual(f.routineRefs.map((r) => [r.kind, m.text.slice(r.range[0], r.range[1]), r.paramKeys.map((k) => k.name)]), [
      ['routineOnError', 'recover', ['reason']],
      ['call', 'nav/to_home', ['where']],
      ['stepOnError', 'recover', []],
    ]);
    assert.deepEqual(
      f.params.map((p) => [p.name, p.type, p.default, p.min, p.max, p.required, p.values]),
      [
        ['count', 'int', 2, 1, 5, false, undefined],
        ['mode', 'enum', undefined, undefined, undefined, true, ['a', 'b']],
      ],
    );
    assert.deepEqual(
      f.varDefs.map((d) => [d.kind, m.text.slice(d.range[0], d.range[1])]),
      [
        ['param', 'count'],
        ['param', 'mode'],
        ['var', 'total'],
        ['set', 'seen'],
        ['increment', 'total'],
        ['save', 'got'],
        ['checkout', 'acct'],
        ['accountField', 'hourglasses'],
      ],
    );
    // `$${literal}` is not a variable; each `${x}` is located at its name.
    assert.deepEqual(
      f.varUses.map((u) => [u.kind, m.text.slice(u.range[0], u.range[1])]),
      [
        ['interpolation', 'count'],
        ['condition', 'total'],
        ['increment', 'total'],
        ['interpolation', 'count'],
        ['since', 'clock'],
        ['interpolation', 'total'],
        ['interpolation', 'mode'],
      ],
    );
  });

  it('outlines params, sentries and nested steps', () => {
    const f = model('routines/t.yaml', ROUTINE).facts as RoutineFacts;
    assert.deepEqual(f.outline.map((o) => o.label), ['params', 'sentries', 'steps']);
    assert.deepEqual(f.outline[0].children.map((c) => [c.label, c.detail]), [['count', 'int'], ['mode', 'enum']]);
    assert.deepEqual(f.outline[1].children.map((c) => [c.label, c.children.map((x) => x.label)]), [['sentry popup', ['tap popup.ok']]]);
    const [ifStep, loop] = f.outline[2].children;
    assert.equal(ifStep.label, 'if { all: [ { image: "title.logo" }, { not: { var:…');
    assert.deepEqual(ifStep.children.map((c) => c.label), ['tap { template: start, optional: true }', 'set { seen: true }', 'elif { notImage: spinner }', 'else']);
    assert.deepEqual(ifStep.children[2].children.map((c) => c.label), ['increment total']);
    assert.deepEqual(ifStep.children[3].children.map((c) => c.label), ['call nav/to_home']);
    assert.equal(loop.label, 'Loop');
    assert.equal(loop.detail, 'repeat ${count}');
    assert.equal(loop.children.length, 4);
  });

  it('reads what it can of a document that does not validate', () => {
    const f = model('routines/t.yaml', 'steps:\n  - tap: a\n  - bogus: 1\n  - if: { image: b }\n    thne: [ { tap: c } ]\n').facts as RoutineFacts;
    assert.deepEqual(f.templateRefs.map((r) => r.name), ['a', 'b']);
  });

  it('finds template definitions with their image, threshold and region', () => {
    const m = model(
      'templates/ui.yaml',
      'defaults: { threshold: 0.85, region: { x: 0, y: 0, w: 10, h: 10 } }\ntemplates:\n  - name: "ok"\n    image: templates/ui/ok.png\n    threshold: 0.9\n  - name: cancel\n    image: templates/ui/cancel.png\n    region: { x: 1, y: 2, w: 3, h: 4 }\ncolors:\n  - { name: gold, color: "#ffcc00", at: { x: 5, y: 6 } }\n',
    );
    assert.equal(m.facts.kind, 'templates');
    if (m.facts.kind !== 'templates') {
      return;
    }
    assert.deepEqual(m.facts.defaults, { threshold: 0.85, region: { x: 0, y: 0, w: 10, h: 10 } });
    assert.deepEqual(
      m.facts.defs.map((d) => [d.kind, m.text.slice(d.nameRange[0], d.nameRange[1]), d.image, d.threshold, d.region, d.color]),
      [
        ['template', 'ok', 'templates/ui/ok.png', 0.9, undefined, undefined],
        ['template', 'cancel', 'templates/ui/cancel.png', undefined, { x: 1, y: 2, w: 3, h: 4 }, undefined],
        ['color', 'gold', undefined, undefined, undefined, '#ffcc00'],
      ],
    );
  });

  it('finds a group\'s routine, params and pool, and a pool\'s name', () => {
    const g = model('groups/g.yaml', 'name: G\nroutine: farm\nroutineConfig: { packs: 2 }\naccountPool: premium\nlaunchOptions:\n  overrides:\n    - { instance: 1, routineConfig: { kind: b } }\n');
    assert.equal(g.facts.kind, 'group');
    if (g.facts.kind === 'group') {
      assert.equal(g.facts.routineRef?.name, 'farm');
      assert.equal(g.facts.poolRef?.name, 'premium');
      assert.deepEqual(texts(g, g.facts.configKeys), ['packs', 'kind']);
    }
    const p = model('pools/p.yaml', 'name: premium\ndescription: Premium ones\n');
    assert.deepEqual(p.facts, { kind: 'pool', nameRef: { name: 'premium', range: [6, 13] }, description: 'Premium ones' });
  });

  it('serves only the four folders\' YAML files', () => {
    assert.equal(buildFileModel('routines/a/b.yaml', '')?.routineName, 'a/b');
    assert.equal(buildFileModel('groups/sub/g.yaml', ''), undefined);
    assert.equal(buildFileModel('routines/.hidden/x.yaml', ''), undefined);
    assert.equal(buildFileModel('routines/x.yml', ''), undefined);
    assert.equal(buildFileModel('other/x.yaml', ''), undefined);
  });
});
