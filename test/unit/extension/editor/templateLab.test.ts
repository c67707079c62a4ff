import * as assert from 'node:assert/strict';
import { LabExpectations, MARKS_KEY, MAX_MARKS, markKey, type MarkMemento } from '../../../../src/extension/editor/labExpectations';
import { inferExpected, labRow } from '../../../../src/extension/editor/labRows';

/** A memento like the workspace's state: what was saved is what a later window reads. */
class MemoryMemento implements MarkMemento {
  readonly saved = new Map<string, unknown>();
  writes = 0;
  /** Stored as JSON, as VS Code does (off for a test that saves thousands of times). */
  constructor(private readonly json = true) {}
  get<T>(key: string): T | undefined {
    return this.saved.get(key) as T | undefined;
  }
  update(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.saved.set(key, this.json ? JSON.parse(JSON.stringify(value)) : value);
    return Promise.resolve();
  }
}

const BOX = { x: 1, y: 2, w: 3, h: 4 };

describe('(unit) editor: Template Lab expectations', () => {
  it('infers what should be found on a recorded frame from the run\'s matches of the template on it', () => {
    const matches = [
      { template: 'home.header', found: true },
      { template: 'popup.ok', found: false },
      { template: 'results.next', found: true },
      { template: 'results.next', found: false },
      { template: 'home.header', found: true },
    ];
    assert.equal(inferExpected(matches, 'home.header'), true, 'a condition that held, a tap that found its target');
    assert.equal(inferExpected(matches, 'popup.ok'), false, 'a condition that failed');
    assert.equal(inferExpected(matches, 'results.next'), undefined, 'matches that disagree (the screen changed): nothing inferred');
    assert.equal(inferExpected(matches, 'title.logo'), undefined, 'not looked for on that frame');
    assert.equal(inferExpected(undefined, 'home.header'), undefined);
  });

  it('marks an inferred expectation as such, with its verdict', () => {
    const row = labRow({ template: 't', frameId: 'rec:1', frameLabel: 'f', score: 0.9, threshold: 0.8, found: true, box: BOX, expected: false, inferred: true });
    assert.equal(row.inferred, true);
    assert.equal(row.verdict, 'false-positive');
    const marked = labRow({ template: 't', frameId: 'rec:1', frameLabel: 'f', score: 0.9, threshold: 0.8, found: true, box: BOX, expected: true });
    assert.equal(marked.inferred, undefined);
    assert.equal(marked.verdict, 'ok');
    assert.equal(labRow({ template: 't', frameId: 'rec:1', frameLabel: 'f', score: 0.9, threshold: 0.8, found: true, box: BOX, inferred: true }).inferred, undefined, 'nothing expected: nothing inferred');
  });

  it('keeps the user\'s marks across a window reload (the workspace\'s state), cleared marks included', async () => {
    const memento = new MemoryMemento();
    const first = new LabExpectations(memento);
    const a = markKey('home.header', 'rec:G\u00001\u00007', 1000);
    const b = markKey('popup.ok', 'live:emulator-5554');
    first.set(a, true);
    first.set(b, false);
    first.set(markKey('x', 'live:y'), true);
    first.set(markKey('x', 'live:y'), null);
    await Promise.resolve();
    // A new window: the marks are read back from the state.
    const reloaded = new LabExpectations(memento);
    assert.equal(reloaded.get(a), true);
    assert.equal(reloaded.get(b), false);
    assert.equal(reloaded.get(markKey('x', 'live:y')), undefined);
    // A recorded frame numbered again after a restart (same id, another capture time) does not take the old mark.
    assert.equal(reloaded.get(markKey('home.header', 'rec:G\u00001\u00007', 2000)), undefined);
  });

  it('keeps the newest marks only, and ignores a state it cannot read', () => {
    const memento = new MemoryMemento(false);
    const marks = new LabExpectations(memento);
    for (let i = 0; i <= MAX_MARKS; i++) {
      marks.set(markKey('t', `live:${i}`), i % 2 === 0);
    }
    const reloaded = new LabExpectations(memento);
    assert.equal(reloaded.get(markKey('t', 'live:0')), undefined, 'the oldest mark went');
    assert.equal(reloaded.get(markKey('t', `live:${MAX_MARKS}`)), true);
    memento.saved.set(MARKS_KEY, { not: 'a list' });
    assert.doesNotThrow(() => new LabExpectations(memento));
    memento.saved.set(MARKS_KEY, [['ok', true], ['bad', 'yes'], 7]);
    const partial = new LabExpectations(memento);
    assert.equal(partial.get('ok'), true);
    assert.equal(partial.get('bad'), undefined);
  });

  it('reports a failed save instead of rejecting unhandled', async () => {
    const errors: unknown[] = [];
    const marks = new LabExpectations({ get: () => undefined, update: () => Promise.reject(new Error('disk full')) }, (e) => errors.push(e));
    marks.set('k', true);
    await new Promise((r) => setImmediate(r));
    assert.equal(errors.length, 1);
    assert.equal(marks.get('k'), true, 'the mark holds for this window');
  });
});
