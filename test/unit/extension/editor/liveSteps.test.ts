import { strict as assert } from 'node:assert';
import { applyFleetEvent, applyRoutineEvent, followFleet } from '../../../../src/extension/editor/fleetFeed';
import { imageConditions } from '../../../../src/extension/editor/imageConditions';
import { LiveSteps, markerText, scoresText } from '../../../../src/extension/editor/liveSteps';
import { harness } from '../../routine/interpreterHarness';
import type { FleetEvent } from '../../../../src/shared/fleetTypes';
import type { SourceRange } from '../../../../src/shared/geometry';

function range(file: string, line: number, col = 5): SourceRange {
  return { file, start: { line, col }, end: { line, col: col + 10 }, offset: [0, 10] };
}

describe('editor: live step markers and scores', () => {
  it('maps a step event (1-based line) to a 0-based editor line, one marker per line naming every bot there', () => {
    const m = new LiveSteps();
    const changes: string[][] = [];
    m.onDidChange((f) => changes.push([...f]));
    m.step('bot 3', range('routines/a.yaml', 12), 'tap');
    m.step('bot 1', range('routines/a.yaml', 12), 'tap');
    m.step('bot 10', range('routines/a.yaml', 20), 'wait');
    assert.deepEqual(m.markers('routines/a.yaml'), [
      { line: 11, bots: ['bot 1', 'bot 3'] },
      { line: 19, bots: ['bot 10'] },
    ]);
    assert.equal(markerText(m.markers('routines/a.yaml')[0]!.bots), '◀ bot 1, bot 3');
    assert.deepEqual(changes, [['routines/a.yaml'], ['routines/a.yaml'], ['routines/a.yaml']]);
  });

  it('moves a bot across files (both files change) and ignores a repeat of the same step', () => {
    const m = new LiveSteps();
    const changes: string[][] = [];
    m.step('bot 1', range('routines/a.yaml', 3), 'call');
    m.onDidChange((f) => changes.push([...f].sort()));
    m.step('bot 1', range('routines/a.yaml', 3), 'call');
    m.step('bot 1', range('routines\\nav\\b.yaml', 7), 'tap');
    assert.deepEqual(changes, [['routines/a.yaml', 'routines/nav/b.yaml']]);
    assert.deepEqual(m.markers('routines/a.yaml'), []);
    assert.deepEqual(m.markers('routines/nav/b.yaml'), [{ line: 6, bots: ['bot 1'] }]);
  });

  it('keeps the last score per bot and condition line, and clears a stopped bot everywhere', () => {
    const m = new LiveSteps();
    m.match('bot 4', range('routines/a.yaml', 9), { template: 'home.header', score: 0.12, threshold: 0.8, found: false, time: 1 });
    m.match('bot 2', range('routines/a.yaml', 9), { template: 'home.header', score: 0.5, threshold: 0.8, found: false, time: 2 });
    m.match('bot 2', range('routines/a.yaml', 9), { template: 'home.header', score: 0.97, threshold: 0.8, found: true, time: 3 });
    m.step('bot 2', range('routines/a.yaml', 8), 'if');
    assert.equal(scoresText(m.scoresAt('routines/a.yaml', 8)), '0.97 ✓ on bot 2 · 0.12 on bot 4');
    m.remove('bot 2');
    assert.deepEqual(m.markers('routines/a.yaml'), []);
    assert.deepEqual(m.scoresAt('routines/a.yaml', 8).map((s) => s.bot), ['bot 4']);
    m.clear();
    assert.deepEqual(m.scoredLines('routines/a.yaml'), []);
    assert.deepEqual(m.bots(), []);
  });

  it('names the template in the lens when a line matched several', () => {
    assert.equal(
      scoresText([
        { bot: 'bot 1', template: 'a', score: 0.9, threshold: 0.8, found: true, time: 0 },
        { bot: 'bot 2', template: 'b', score: 0.1, threshold: 0.8, found: false, time: 0 },
      ]),
      '0.90 ✓ on bot 1 (a) · 0.10 on bot 2 (b)',
    );
    assert.equal(markerText(['bot 1', 'bot 2', 'bot 3', 'bot 4', 'bot 5', 'bot 6'], 4), '◀ bot 1, bot 2, bot 3, bot 4 +2');
  });

  it('follows fleet events: bot.step start moves the marker, a stopped bot is cleared, bot.routine matches give scores', () => {
    const m = new LiveSteps();
    const base = { seq: 1, time: 1, group: 'g', orchestrationId: 'o', instance: '2' };
    applyFleetEvent(m, { ...base, type: 'bot.step', phase: 'start', routine: 'a', step: 'tap', path: 'steps[0]', range: range('routines/a.yaml', 5) } as FleetEvent);
    applyFleetEvent(m, { ...base, type: 'bot.step', phase: 'end', routine: 'a', step: 'tap', path: 'steps[0]', range: range('routines/a.yaml', 5), ok: true } as FleetEvent);
    assert.deepEqual(m.markers('routines/a.yaml'), [{ line: 4, bots: ['bot 2'] }]);
    applyFleetEvent(m, { ...base, type: 'bot.routine', event: { type: 'match', routine: 'a', time: 1, template: 't', found: true, score: 0.93, threshold: 0.8, box: { x: 0, y: 0, w: 1, h: 1 }, ms: 1, range: range('routines/a.yaml', 6) } } as unknown as FleetEvent);
    assert.equal(m.scoresAt('routines/a.yaml', 5)[0]?.score, 0.93);
    applyFleetEvent(m, { ...base, type: 'bot.state', state: 'stopped', previous: 'running' } as unknown as FleetEvent);
    assert.deepEqual(m.bots(), []);
  });

  it('forgets the fleet bots when it stops following (a device run keeps its marker)', () => {
    const m = new LiveSteps();
    const listeners: Array<(e: FleetEvent) => void> = [];
    const sub = followFleet(m, { onDidEmitFleetEvent: (l) => (listeners.push(l), { dispose: () => listeners.splice(0) }) });
    listeners[0]!({ seq: 1, time: 1, group: 'g', orchestrationId: 'o', instance: '1', type: 'bot.step', phase: 'start', routine: 'a', step: 'tap', path: 'steps[0]', range: range('routines/a.yaml', 5) } as FleetEvent);
    applyRoutineEvent(m, 'emulator-5554', { type: 'step.start', routine: 'a', time: 1, step: 'wait', path: 'steps[1]', range: range('routines/a.yaml', 6) });
    sub.dispose();
    assert.equal(listeners.length, 0);
    assert.deepEqual(m.bots(), ['emulator-5554']);
  });
});

describe('editor: CodeLens placement on image conditions and template actions', () => {
  const text = [
    'sentries:', // 0
    '  - name: pop-ups', // 1
    '    when:', // 2
    '      any:', // 3
    '        - image: popup.daily.ok', // 4
    '        - notImage: { template: popup.x, threshold: 0.9 }', // 5
    'steps:', // 6
    '  - if: { image: home.header }', // 7
    '    then:', // 8
    '      - tap: home.header', // 9
    '  - waitFor:', // 10
    '      image: title.logo', // 11
    '  - until: { all: [ { var: done }, { image: home.packsButton } ] }', // 12
    '    do: [ { wait: 1s } ]', // 13
    '  - log: "image: not a condition"', // 14
    '  - name: confirm', // 15
    '    longPress: { template: popup.ok, duration: 1s }', // 16
    '  - tap: { x: 10, y: 20 }', // 17
    '  - tap: { region: { x: 0, y: 0, w: 5, h: 5 } }', // 18
    '  - if: { var: done }', // 19
    '    then: [ { tap: { template: results.next, offset: { x: 0, y: 40 } } } ]', // 20
    'vars:', // 21
    '  tap: not an action', // 22
  ].join('\n');

  it('finds every image/notImage condition and template action, on the line its match events carry', () => {
    assert.deepEqual(
      imageConditions(text).map((c) => [c.line, c.kind, c.template]),
      [
        [4, 'image', 'popup.daily.ok'],
        [5, 'notImage', 'popup.x'],
        [7, 'image', 'home.header'],
        [9, 'tap', 'home.header'],
        [11, 'image', 'title.logo'],
        [12, 'image', 'home.packsButton'],
        [15, 'longPress', 'popup.ok'],
        [20, 'tap', 'results.next'],
      ],
    );
  });

  it('puts an action\'s lens on the line where the interpreter\'s match events of that action land', async () => {
    const routine = [
      'steps:', // 0
      '  - name: open', // 1
      '    tap: packs_button', // 2
      '  - if: { image: home_banner }', // 3
      '    then: [ { longPress: { template: packs_button, duration: 10 } } ]', // 4
      '  - tap: { template: open_button, optional: true }', // 5
      '  - tap: { x: 1, y: 2 }', // 6
    ].join('\n');
    const h = harness({
      screens: { home: { templates: { packs_button: { x: 60, y: 380, w: 420, h: 120 }, home_banner: { x: 0, y: 44, w: 540, h: 84 } } }, packs: { templates: { open_button: { x: 120, y: 620, w: 300, h: 110 } } } },
      routines: { t: `${routine}\n` },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    const live = new LiveSteps();
    for (const e of h.events) {
      applyRoutineEvent(live, 'bot 1', e);
    }
    const file = h.of('match')[0]!.range!.file;
    const lenses = imageConditions(routine).map((c) => c.line);
    assert.deepEqual(lenses, [1, 3, 4, 5]);
    // Every scored line (a match happened there) has a lens: the condition's, and each template action's.
    assert.deepEqual(live.scoredLines(file), lenses);
    assert.match(scoresText(live.scoresAt(file, 4)), /^[01]\.\d\d ✓ on bot 1$/);
    assert.match(scoresText(live.scoresAt(file, 5)), /^0\.\d\d on bot 1$/);
  });

  it('tolerates a broken file (no throw, what parses is found)', () => {
    assert.doesNotThrow(() => imageConditions('steps:\n  - if: { image: a\n'));
    assert.deepEqual(imageConditions(''), []);
  });
});
