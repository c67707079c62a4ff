import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { buildFileModel } from '../../../src/language/fileModel';
import type { RoutineFacts } from '../../../src/language/routineFacts';
import { TextLines } from '../../../src/language/textLines';
import { routineChunks, visibleVariables } from '../../../src/language/variableScope';
import { generateRoutine } from '../../../bench/authoring';

function routines(): string[] {
  const out: string[] = [];
  const walk = (d: string) => readdirSync(d).forEach((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : n.endsWith('.yaml') && out.push(readFileSync(path.join(d, n), 'utf8'))));
  walk(path.join(__dirname, '../../../routines'));
  return out;
}

/** What the whole file's parse says is visible at `offset`. */
function expected(text: string, offset: number): Array<[string, string, number]> {
  const f = buildFileModel('routines/x.yaml', text)!.facts as RoutineFacts;
  return f.varDefs.filter((d) => d.kind === 'param' || d.kind === 'var' || d.range[0] < offset).map((d) => [d.name, d.kind, d.range[0]]);
}

describe('language/variableScope', () => {
  it('cuts a routine into its top-level blocks, one per item of a top-level list', () => {
    const text = '# c\ndescription: x\nparams:\n  n: { type: int }\nsteps:\n  - tap: a\n  - if: { image: b }\n    then: [ { tap: b } ]\n\n  - wait: 1s\nsentries: []\n';
    const lines = new TextLines(text);
    assert.deepEqual(
      routineChunks(lines).map((c) => [c.header, text.slice(c.start, c.end)]),
      [
        ['', 'description: x'],
        ['', 'params:\n  n: { type: int }'],
        ['steps:', '  - tap: a'],
        ['steps:', '  - if: { image: b }\n    then: [ { tap: b } ]\n'],
        ['steps:', '  - wait: 1s'],
        ['', 'sentries: []\n'],
      ],
    );
  });

  it('gives what the whole file\'s parse gives, at every line of the shipped routines and a long one', () => {
    for (const text of [...routines(), generateRoutine(120)]) {
      const lines = new TextLines(text);
      for (let l = 0; l < lines.lineCount; l++) {
        const offset = lines.lineStart(l) + Math.floor(lines.lineText(l).length / 2);
        const got = visibleVariables(lines, offset).map((v): [string, string, number] => [v.name, v.kind, v.offset]);
        const want = expected(text, offset);
        const order = (a: [string, string, number], b: [string, string, number]) => a[2] - b[2];
        assert.deepEqual(got.sort(order), want.sort(order), `line ${l + 1}: ${lines.lineText(l)}`);
      }
    }
  });
});
