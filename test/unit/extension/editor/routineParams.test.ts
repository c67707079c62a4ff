import { strict as assert } from 'node:assert';
import type { ParamSpec } from '../../../../src/bot/routine/loadedTypes';
import { paramPrompt, routineNameOf } from '../../../../src/extension/editor/routineParams';
import { formatRunEvent } from '../../../../src/extension/editor/runRoutineFormat';

const r = { file: 'routines/a.yaml', start: { line: 3, col: 5 }, end: { line: 3, col: 9 }, offset: [0, 1] as [number, number] };

describe('editor: prompting a routine\'s params', () => {
  it('shows the type, bounds and default of an int and checks what is typed', () => {
    const p = paramPrompt('packs', { type: 'int', default: 1, min: 1, max: 50, description: 'How many packs', required: false, range: r } as ParamSpec);
    assert.equal(p.input, 'text');
    assert.equal(p.value, '1');
    assert.equal(p.prompt, 'packs (int 1..50, default 1): How many packs');
    assert.equal(p.validate('2.5'), 'packs must be an integer');
    assert.equal(p.validate('0'), 'packs must be at least 1');
    assert.equal(p.validate('51'), 'packs must be at most 50');
    assert.equal(p.validate('abc'), 'packs must be an integer');
    assert.equal(p.validate(''), undefined, 'empty takes the default');
    assert.equal(p.parse('7'), 7);
    assert.equal(p.parse(''), 1);
  });

  it('offers bool and enum values as choices, and requires a param without a default', () => {
    const b = paramPrompt('fast', { type: 'bool', default: false, required: false, range: r } as ParamSpec);
    assert.deepEqual([b.input, b.choices, b.value], ['pick', ['true', 'false'], 'false']);
    assert.equal(b.parse('true'), true);
    const e = paramPrompt('offer', { type: 'enum', values: [1, 2, 3], required: true, range: r } as ParamSpec);
    assert.deepEqual(e.choices, ['1', '2', '3']);
    assert.equal(e.parse('2'), 2, 'the enum value keeps its type');
    assert.equal(e.validate(''), 'offer is required');
    assert.match(e.prompt, /offer \(one of 1, 2, 3, required\)/);
  });

  it('names the routine of a routine file', () => {
    assert.equal(routineNameOf('routines/nav/to_home.yaml'), 'nav/to_home');
    assert.equal(routineNameOf('routines/a.yml'), 'a');
    assert.equal(routineNameOf('templates/a.yaml'), undefined);
  });

  it('formats the run log with located steps, matches and errors', () => {
    assert.equal(formatRunEvent({ type: 'step.start', routine: 'a', time: 1500, step: 'tap', path: 'steps[0]', range: r }, 0), '   1.5s   steps[0] tap (routines/a.yaml:3:5)');
    assert.equal(
      formatRunEvent({ type: 'match', routine: 'a', time: 0, template: 'x', found: true, score: 0.912, threshold: 0.8, box: { x: 3, y: 4, w: 5, h: 6 }, ms: 2, range: r }, 0),
      '   0.0s   match x: 0.912 (threshold 0.8) found at 3,4 (routines/a.yaml:3:5)',
    );
    assert.equal(formatRunEvent({ type: 'error', routine: 'a', time: 0, message: 'boom', code: 'device', range: r }, 0), '   0.0s   error [device]: boom (routines/a.yaml:3:5)');
  });
});
