import { strict as assert } from 'node:assert';
import type { Diagnostic } from '../../../src/shared/geometry';
import { MAX_CONDITION_NESTING, MAX_STEP_NESTING, parseCondition, parseRoutine } from '../../../src/bot/routine/loader';
import type { LoadedStep, StepOf } from '../../../src/bot/routine/loadedTypes';

function load(text: string, name?: string) {
  return parseRoutine(text, 'routines/t.yaml', name);
}

function errors(text: string): Diagnostic[] {
  return load(text).diagnostics.filter((d) => d.severity === 'error');
}

function warnings(text: string): Diagnostic[] {
  return load(text).diagnostics.filter((d) => d.severity === 'warning');
}

function only(text: string): Diagnostic {
  const es = errors(text);
  assert.equal(es.length, 1, es.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return es[0];
}

function step<A extends LoadedStep['action']>(s: LoadedStep | undefined, action: A): StepOf<A> {
  assert.ok(s);
  assert.equal(s.action, action);
  return s as StepOf<A>;
}

describe('(unit) routine loader', () => {
  describe('normalisation', () => {
    const text = [
      'description: demo', // 1
      'params:', // 2
      '  packs: { type: int, default: 2, min: 1 }', // 3
      'steps:', // 4
      '  - tap: ok_button', // 5
      '  - tap: { x: 10, y: "${packs}" }', // 6
      '  - key: BACK', // 7
      '  - wait: 1.5s', // 8
      '  - waitFor: { image: title, timeout: 5s }', // 9
      '  - if: { var: packs, gt: 1 }', // 10
      '    then:', // 11
      '      - repeat: 2', // 12
      '        do:', // 13
      '          - if: { image: done }', // 14
      '            then: [ break ]', // 15
      '    elif:', // 16
      '      - if: { notImage: x }', // 17
      '        then: [ { log: { message: hi, level: warn } } ]', // 18
      '    else: [ launchApp ]', // 19
      '  - increment: n', // 20
      '    id: inc', // 21
      '    retries: 2', // 22
      '    backoff: 250ms', // 23
      '    onError: continue', // 24
      '    when: { elapsed: { lt: 1m } }', // 25
      '',
    ].join('\n');
    const r = load(text, 'farm/open');

    it('loads with defaults filled in', () => {
      assert.deepEqual(
        r.diagnostics.filter((d) => d.severity === 'error'),
        [],
      );
      const v = r.value!;
      assert.equal(v.name, 'farm/open');
      assert.equal(v.registryName, 'farm/open');
      assert.deepEqual(v.resolution, { width: 540, height: 960 });
      assert.equal(v.params.packs.type, 'int');
      assert.equal(v.params.packs.required, false);
      assert.equal(v.params.packs.range.start.line, 3);
      assert.deepEqual(step(v.steps[0], 'tap').args.target, { kind: 'template', template: 'ok_button', optional: false });
      assert.deepEqual(step(v.steps[1], 'tap').args.target, { kind: 'point', x: 10, y: '${packs}' });
      assert.deepEqual(step(v.steps[2], 'key').args, { key: 'KEYCODE_BACK' });
      assert.deepEqual(step(v.steps[3], 'wait').args, { duration: 1500 });
      const wf = step(v.steps[4], 'waitFor').args;
      assert.equal(wf.timeout, 5000);
      assert.equal(wf.interval, 250);
      assert.equal(wf.onTimeout, 'fail');
      assert.equal(wf.condition.kind, 'image');
      assert.equal(wf.condition.path, 'steps[4].waitFor');
    });

    it('gives every step and condition a path and a source range, recursively', () => {
      const v = r.value!;
      const iff = step(v.steps[5], 'if');
      assert.equal(iff.path, 'steps[5]');
      assert.equal(iff.range.start.line, 10);
      assert.equal(iff.range.start.col, 5);
      assert.equal(iff.args.branches.length, 2);
      const rep = step(iff.args.branches[0].steps[0], 'repeat');
      assert.equal(rep.path, 'steps[5].then[0]');
      assert.equal(rep.range.start.line, 12);
      const inner = step(rep.args.do[0], 'if');
      assert.equal(inner.path, 'steps[5].then[0].do[0]');
      const brk = step(inner.args.branches[0].steps[0], 'break');
      assert.equal(brk.path, 'steps[5].then[0].do[0].then[0]');
      assert.equal(brk.range.start.line, 15);
      assert.equal(brk.range.start.col, 21);
      assert.equal(iff.args.branches[1].path, 'steps[5].elif[0]');
      assert.equal(iff.args.branches[1].condition.path, 'steps[5].elif[0].if');
      assert.equal(iff.args.branches[1].condition.range.start.line, 17);
      const log = step(iff.args.branches[1].steps[0], 'log');
      assert.deepEqual(log.args, { message: 'hi', level: 'warn' });
      assert.equal(log.path, 'steps[5].elif[0].then[0]');
      assert.equal(step(iff.args.else[0], 'launchApp').path, 'steps[5].else[0]');
      assert.equal(iff.args.branches[0].condition.kind, 'var');
    });

    it('normalises the common keys', () => {
      const inc = step(r.value!.steps[6], 'increment');
      assert.deepEqual(inc.args, { var: 'n', by: 1 });
      assert.equal(inc.common.id, 'inc');
      assert.equal(inc.common.retries, 2);
      assert.equal(inc.common.backoff, 250);
      assert.equal(inc.common.onError, 'continue');
      assert.equal(inc.common.when?.kind, 'elapsed');
      assert.equal(inc.common.when?.path, 'steps[6].when');
      const when = inc.common.when;
      assert.ok(when?.kind === 'elapsed');
      assert.deepEqual(when.comparisons, [{ op: 'lt', value: 60_000 }]);
      assert.equal(when.since, 'routine');
    });

    it('normalises sentries, routine onError and stuck', () => {
      const v = load(
        [
          'onError: retry',
          'stuck: { noProgress: 2m }',
          'sentries:',
          '  - name: popup',
          '    when: { image: x }',
          '    steps: [ { tap: x } ]',
          'steps: []',
        ].join('\n'),
      ).value!;
      assert.equal(v.sentries[0].every, 2000);
      assert.equal(v.sentries[0].then, 'resume');
      assert.equal(v.sentries[0].steps[0].path, 'sentries[0].steps[0]');
      assert.equal(v.onError?.action, 'retry');
      assert.equal(v.onError?.retries, 1);
      assert.equal(v.stuck?.noProgress, 120_000);
      assert.deepEqual(v.stuck?.ladder, ['tapAgain', 'back', 'restartApp', 'restartEmulator', 'notify']);
    });

    it('uses the file name when there is no registry name', () => {
      assert.equal(parseRoutine('steps: [ { wait: 1 } ]', 'routines/a/b.yaml').value?.name, 'b');
    });
  });

  describe('a condition on its own (a debugger\'s breakpoint condition)', () => {
    it('reads, validates and normalises it as inside a routine, located in the text it was given', () => {
      const ok = parseCondition('{ image: { template: ok_button, threshold: 0.9 } }', '<bp>');
      assert.deepEqual(ok.diagnostics, []);
      assert.equal(ok.value?.kind, 'image');
      assert.deepEqual(ok.value?.kind === 'image' ? [ok.value.template, ok.value.threshold] : [], ['ok_button', 0.9]);
      assert.deepEqual([ok.value?.range.file, ok.value?.path], ['<bp>', '(document)']);
      const v = parseCondition('any: [ { var: n, gt: 3 }, { elapsed: { ge: 2s } } ]');
      assert.deepEqual(v.value?.kind === 'any' ? v.value.conditions.map((c) => c.kind) : [], ['var', 'elapsed']);
    });

    it('reports the same located errors as the loader', () => {
      const msg = (text: string) => parseCondition(text, '<c>').diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.message}`);
      assert.deepEqual(msg('imag: x'), ["1:1 imag: a condition needs one of image, notImage, any, all, none, not, var, color, appInForeground, elapsed ('imag' is not known: did you mean 'image'?)"]);
      assert.match(msg('{ var: n, matches: "(a" }')[0], /^1:\d+ matches: invalid regular expression/);
      assert.match(msg('{ var: n, eq: "${a" }')[0], /^1:16 eq: unclosed '\$\{'/);
      assert.deepEqual(msg(''), ['1:1 the condition is empty']);
      assert.match(msg('{ a: [')[0], /^1:\d+ /);
      const deep = `${'{ not: '.repeat(MAX_CONDITION_NESTING + 1)}{ var: x }${' }'.repeat(MAX_CONDITION_NESTING + 1)}`;
      assert.match(msg(deep)[0], /nested more than 32 deep/);
      assert.equal(parseCondition('image: ok', '<c>').value?.kind, 'image');
    });
  });

  describe('located errors', () => {
    it('a routine that reuses one anchor more than 100 times loads (the parser bounds aliases, not a raw library heuristic)', () => {
      const steps = Array.from({ length: 150 }, () => '  - *w').join('\n');
      const text = `defs:\n  w: &w { wait: 10ms }\nsteps:\n  - wait: 10ms\n${steps}\n`.replace('defs:\n  w: &w { wait: 10ms }\nsteps:\n  - wait: 10ms', 'steps:\n  - &w { wait: 10ms }');
      const r = parseRoutine(text, 'routines/aliases.yaml');
      assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
      assert.equal(r.value?.steps.length, 151);
    });

    it('unknown key at the key, with a suggestion', () => {
      const d = only('steps:\n  - if: { image: a }\n    thne: []\n    then: []\n');
      assert.equal(d.line, 3);
      assert.equal(d.col, 5);
      assert.match(d.message, /unknown key 'thne'.*did you mean 'then'/);
      assert.equal(d.code, 'unknown-key');
    });

    it('unknown top-level key', () => {
      const d = only('routine_name: x\nsteps: []\n');
      assert.equal(d.line, 1);
      assert.equal(d.col, 1);
      assert.match(d.message, /unknown key 'routine_name'/);
    });

    it('Go-bot action names get a hint', () => {
      const d = only('steps:\n  - click: { x: 1, y: 2 }\n');
      assert.equal(d.line, 2);
      assert.equal(d.col, 5);
      assert.match(d.message, /did you mean 'tap'/);
      assert.match(only('steps:\n  - brek\n').message, /did you mean 'break'/);
      assert.match(only('steps:\n  - action: tap\n').message, /action key/);
    });

    it('two actions in one step', () => {
      const d = only('steps:\n  - tap: a\n    wait: 1s\n');
      assert.equal(d.line, 3);
      assert.equal(d.col, 5);
      assert.match(d.message, /exactly one action, found 'tap' and 'wait'/);
    });

    it('missing required key points at the map', () => {
      const d = only('steps:\n  - while: { image: a }\n    max: 3\n');
      assert.equal(d.line, 2);
      assert.match(d.message, /missing required key 'do'/);
      assert.match(only('description: x\n').message, /missing required key 'steps'/);
    });

    it('wrong value types at the value', () => {
      const d = only('steps:\n  - tap: { x: 1, y: q }\n');
      assert.equal(d.line, 2);
      assert.equal(d.col, 21);
      assert.match(d.message, /steps\[0\]\.tap\.y: expected a number/);
      assert.match(only('steps:\n  - wait: 2 seconds\n').message, /expected a duration like '250ms'/);
      assert.match(only('steps:\n  - wait: -5\n').message, /not a negative/);
      assert.match(only('steps:\n  - wait: 48h\n').message, /24h/);
      assert.match(only('steps:\n  - key: BAKC\n').message, /expected a key/);
      assert.match(only('steps:\n  - repeat: 1.5\n    do: []\n').message, /integer/);
      assert.match(only('steps:\n  - waitFor: { image: a, onTimeout: later }\n').message, /fail or continue/);
      assert.match(only('steps:\n  - if: { var: n, matches: "([" }\n    then: []\n').message, /invalid regular expression/);
    });

    it('conditions: none, two keys, unknown key', () => {
      assert.match(only('steps:\n  - if: {}\n    then: []\n').message, /a condition needs one of/);
      const two = only('steps:\n  - if: { image: a, notImage: b }\n    then: []\n');
      assert.match(two.message, /exactly one condition key/);
      assert.equal(two.col, 21);
      assert.match(only('steps:\n  - if: { type: ImageExists }\n    then: []\n').message, /image/);
      assert.match(only('steps:\n  - if: { elapsed: { since: step } }\n    then: []\n').message, /at least one of gt, ge, lt, le/);
    });

    it('bad ${} syntax with its exact column', () => {
      const d = only('steps:\n  - log: "hello ${name"\n');
      assert.equal(d.line, 2);
      assert.equal(d.col, 17);
      assert.match(d.message, /unclosed/);
      assert.equal(d.code, 'interpolation-syntax');
      assert.match(only('steps:\n  - tap: { x: "${}", y: 1 }\n').message, /empty variable name/);
      assert.deepEqual(errors('steps:\n  - log: "literal $${x}"\n'), []);
    });

    it('YAML syntax errors and empty documents', () => {
      const e = errors('steps: [a\n');
      assert.ok(e.length > 0);
      assert.ok(e[0].line >= 1 && e[0].col >= 1);
      assert.match(only('').message, /empty/);
      assert.match(only('steps: []\nsteps: []\n').message, /key 'steps' appears twice \(first at 1:1\)/);
      assert.match(only('- a\n- b\n').message, /map/);
    });

    it('rejects steps nested beyond the limit at the first step beyond it, without exhausting the stack', () => {
      const nested = (levels: number, leaf: string) => {
        const lines = ['steps:'];
        let ind = '  ';
        for (let i = 0; i < levels; i++) {
          lines.push(`${ind}- if: { var: x }`, `${ind}  then:`);
          ind += '    ';
        }
        lines.push(`${ind}- ${leaf}`);
        return { text: `${lines.join('\n')}\n`, leafLine: lines.length, leafCol: ind.length + 3 };
      };
      // At the limit: loads.
      const ok = nested(MAX_STEP_NESTING - 1, 'log: deep');
      assert.deepEqual(errors(`vars: { x: 1 }\n${ok.text}`), []);
      // One beyond: one located error at the first step beyond the limit.
      const deep = nested(MAX_STEP_NESTING, 'log: deep');
      const d = only(deep.text);
      assert.equal(d.code, 'too-deep');
      assert.equal(d.line, deep.leafLine);
      assert.equal(d.col, deep.leafCol);
      assert.match(d.message, new RegExp(`step is nested more than ${MAX_STEP_NESTING} blocks deep`));
      // Hundreds of nested ifs: a located limit error (nesting, or the file size limit once the indentation grows
      // past it), never a stack overflow.
      for (const levels of [90, 400, 600]) {
        const e = errors(nested(levels, 'log: deep').text);
        assert.ok(e.length >= 1 && e.every((x) => x.code === 'too-deep' || x.code === 'file-too-large'), `${levels}: ${e.map((x) => x.message).join('\n')}`);
        assert.ok(!e.some((x) => /call stack/i.test(x.message)));
      }
      assert.equal(errors(nested(90, 'log: deep').text)[0].line, deep.leafLine);
      const conds = `steps:\n  - if: ${'{ not: '.repeat(150)}{ var: x }${' }'.repeat(150)}\n    then: [ { log: a } ]\n  - wait: 2d\n`;
      const ce = errors(conds);
      assert.equal(ce.length, 2);
      assert.equal(ce[0].code, 'too-deep');
      assert.match(ce[0].message, new RegExp(`condition is nested more than ${MAX_CONDITION_NESTING} deep`));
      assert.match(ce[1]?.message ?? '', /may not exceed 24h/, 'the other problems of the file are still reported');
      const flow = `steps: ${'[{if: {var: x}, then: '.repeat(300)}[log]${'}]'.repeat(300)}\n`;
      assert.ok(errors(flow).length >= 1);
      const maps = `vars:\n  a: ${'{a: '.repeat(400)}1${'}'.repeat(400)}\nsteps: []\n`;
      assert.equal(only(maps).code, 'too-deep');
    });
  });

  describe('durations and typed values: one rule for literal and substituted values', () => {
    it('refuses durations that are malformed, negative or beyond 24h, located at the value', () => {
      for (const [v, re] of [
        ['-1s', /negative/],
        ['1h 30m', /no spaces inside/],
        ['1.5.5s', /expected a duration/],
        ['abc5s', /expected a duration/],
        ['2d', /may not exceed 24h \(got 2d\)/],
        ['1d1ms', /may not exceed 24h \(got 86400001ms\)/],
        ['24h1m', /may not exceed 24h/],
      ] as const) {
        const d = only(`steps:\n  - wait: 1s\n  - wait: ${v}\n`);
        assert.match(d.message, re, v);
        assert.equal(d.line, 3, v);
        assert.equal(d.col, 11, v);
        assert.notEqual(d.code, 'internal-error', v);
      }
      assert.deepEqual(errors('steps:\n  - wait: "500"\n  - wait: 24h\n  - wait: 1h30m\n'), []);
    });

    it('numeric text is a number, literal or substituted; true/false text a boolean', () => {
      const r = load('steps:\n  - tap: { x: "12", y: " 3.5 " }\n  - repeat: "2"\n    do: [ { tap: { template: a, optional: "TRUE" } } ]\n');
      assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
      assert.match(only('steps:\n  - tap: { x: "12", y: "-1" }\n').message, /tap\.y: expected a number >= 0, got '-1'/);
      assert.match(only('steps:\n  - tap: { x: "0x10", y: 1 }\n').message, /expected a number >= 0/);
      assert.match(only('steps:\n  - tap: { x: .nan, y: 1 }\n').message, /got NaN/);
      assert.match(only('steps:\n  - tap: { template: a, optional: 1 }\n').message, /expected true or false, got 1/);
    });
  });

  describe('a file with errors still reports its other problems', () => {
    it('keeps the valid parts as a partial routine', () => {
      const r = load('steps:\n  - tap: ok\n    thne: 1\n  - wait: 5x\n  - call: other\n  - tap: { x: 1, y: 2 }\n');
      assert.equal(r.value, undefined);
      assert.ok(r.partial);
      assert.deepEqual(r.partial.steps.map((s) => s.path), ['steps[2]', 'steps[3]']);
      assert.deepEqual(r.diagnostics.map((d) => d.line), [3, 4]);
    });
  });

  describe('static checks of one file', () => {
    it('break/continue work inside if inside loops, and fail outside loops', () => {
      assert.deepEqual(errors('steps:\n  - while: { var: n }\n    do:\n      - if: { image: a }\n        then:\n          - if: { image: b }\n            then: [ break, continue ]\n'), []);
      const d = only('steps:\n  - if: { image: a }\n    then: [ break ]\n');
      assert.equal(d.code, 'break-outside-loop');
      assert.equal(d.line, 3);
      assert.equal(d.col, 13);
      const s = only('sentries:\n  - name: s\n    when: { image: a }\n    steps: [ continue ]\nsteps: []\n');
      assert.match(s.message, /outside any loop of this sentry/);
    });

    it('return is refused in sentries', () => {
      const d = only('sentries:\n  - name: s\n    when: { image: a }\n    steps: [ return ]\nsteps: [ { wait: 1 } ]\n');
      assert.equal(d.code, 'return-in-sentry');
      assert.equal(d.line, 4);
    });

    it('duplicate step ids', () => {
      const d = only('steps:\n  - wait: 1\n    id: a\n  - wait: 2\n    id: a\n');
      assert.equal(d.code, 'duplicate-id');
      assert.equal(d.line, 5);
      assert.equal(d.col, 9);
    });

    it('parameter definitions', () => {
      const check = (p: string, re: RegExp, line = 2) => {
        const d = only(`params:\n  p: ${p}\nsteps: [ { wait: 1 } ]\n`);
        assert.match(d.message, re, p);
        assert.equal(d.line, line);
      };
      check('{ type: int, default: 2.5 }', /must be an integer/);
      check('{ type: string, default: 5 }', /must be a string/);
      check('{ type: bool, default: "yes" }', /true or false/);
      check('{ type: enum, values: [a, b], default: c }', /one of "a", "b"/);
      check('{ type: enum }', /needs 'values'/);
      check('{ type: string, values: [a] }', /only applies to type: enum/);
      check('{ type: int, min: 5, max: 1 }', /greater than max/);
      check('{ type: int, default: 0, min: 1 }', /below min/);
      check('{ type: bool, min: 1 }', /only apply to int and number/);
      check('{ type: colour }', /expected one of string, int/);
      assert.equal(warnings('params:\n  p: { type: int, default: 1, required: true }\nsteps: [ { wait: 1 } ]\n')[0].code, 'required-with-default');
    });

    it('warns about variables used but never defined, at the use', () => {
      const w = warnings('params:\n  a: { type: int, default: 1 }\nsteps:\n  - set: { b: 2 }\n  - log: "${a} ${b} ${cycle} ${c}"\n  - if: { var: d }\n    then: []\n');
      assert.deepEqual(
        w.map((d) => [d.line, d.code, /'(\w+)'/.exec(d.message)?.[1]]),
        [
          [5, 'undefined-variable', 'c'],
          [6, 'undefined-variable', 'd'],
        ],
      );
      assert.ok(load('steps:\n  - log: "${c}"\n').value, 'warnings keep the routine valid');
    });

    it('warns about unreachable steps', () => {
      const w = warnings('steps:\n  - repeat: 2\n    do:\n      - break\n      - wait: 1\n');
      assert.equal(w.length, 1);
      assert.equal(w[0].code, 'unreachable');
      assert.equal(w[0].line, 5);
      assert.deepEqual(warnings('steps:\n  - repeat: 2\n    do:\n      - break:\n        when: { image: a }\n      - wait: 1\n'), []);
    });
  });
});
