import { strict as assert } from 'node:assert';
import { blankRect, padRegion, suggestThreshold, templateImagePath, templateNameProblem } from '../../../../src/bot/vision/templateSuggest';
import { addTemplateEntry, fileReferenceSize, TemplateFileError, templateNamesIn } from '../../../../src/extension/editor/templateEntry';

describe('capture template: suggestions', () => {
  it('pads the crop by half its size (at least 24 px) and clamps to the frame', () => {
    assert.deepEqual(padRegion({ x: 100, y: 200, w: 80, h: 20 }, { width: 540, height: 960 }), { x: 60, y: 176, w: 160, h: 68 });
    assert.deepEqual(padRegion({ x: 5, y: 940, w: 100, h: 20 }, { width: 540, height: 960 }), { x: 0, y: 916, w: 155, h: 44 });
    assert.deepEqual(padRegion({ x: 0, y: 0, w: 540, h: 960 }, { width: 540, height: 960 }), { x: 0, y: 0, w: 540, h: 960 });
  });

  it('suggests the threshold midway between the best false match and the true match, clamped to [0.7, 0.98]', () => {
    const s = suggestThreshold(1, [0.42, 0.61, 0.55]);
    assert.equal(s.threshold, 0.81);
    assert.match(s.explanation, /midway between the best false match \(0\.610, over 3 frames\) and the true match \(1\.000\)/);
    assert.equal(suggestThreshold(1, [0.1]).threshold, 0.7, 'clamped up');
    assert.match(suggestThreshold(1, [0.1]).explanation, /clamped to \[0\.7, 0\.98\]/);
    assert.equal(suggestThreshold(1, [0.99]).threshold, 0.98, 'clamped down');
    assert.match(suggestThreshold(0.95, [0.97]).explanation, /matches elsewhere as well/);
    assert.equal(suggestThreshold(1, []).threshold, 0.9);
    assert.equal(suggestThreshold(1, [Number.NaN]).threshold, 0.9, 'a NaN score is no candidate');
  });

  it('blanks the true occurrence in a copy of the frame', () => {
    const data = new Uint8Array(4 * 4 * 4).fill(7);
    const out = blankRect({ width: 4, height: 4, data }, { x: 1, y: 1, w: 2, h: 5 });
    assert.equal(data[0], 7, 'the frame is untouched');
    assert.equal(out[(1 * 4 + 1) * 4], 128);
    assert.equal(out[(3 * 4 + 2) * 4], 128, 'clamped to the frame');
    assert.equal(out[(0 * 4 + 1) * 4], 7);
    assert.equal(out[(1 * 4 + 3) * 4], 7);
  });

  it('checks names like the registry: allowed characters, unique', () => {
    assert.equal(templateNameProblem('home.newButton', ['home.header']), undefined);
    assert.match(templateNameProblem('home header', []) ?? '', /letters, digits/);
    assert.match(templateNameProblem('.x', []) ?? '', /letters, digits/);
    assert.match(templateNameProblem('home.header', ['home.header']) ?? '', /exists already/);
    assert.match(templateNameProblem('', []) ?? '', /name/);
    assert.equal(templateImagePath('home.newButton', 'pocketPacks'), 'templates/pocketPacks/home.newButton.png');
    assert.equal(templateImagePath('a/b', ''), 'templates/a/b.png');
  });
});

describe('capture template: writing the registry entry', () => {
  const file = [
    '# The demo templates. Keep this comment.',
    'referenceSize: 540x960',
    'defaults:',
    '  threshold: 0.8 # default threshold',
    'templates:',
    '  # the title screen',
    '  - name: title.logo',
    '    image: templates/pocketPacks/title.logo.png',
    '    region: { x: 118, y: 184, w: 304, h: 212 }',
    '',
  ].join('\n');

  it('appends the entry and keeps every comment and the existing entries as written', () => {
    const out = addTemplateEntry(file, { name: 'home.new', image: 'templates/pocketPacks/home.new.png', threshold: 0.86, region: { x: 10, y: 20, w: 30, h: 40 } }, 'templates/pocketPacks.yaml');
    assert.ok(out.startsWith(file.trimEnd()), `the old text is kept as it was:\n${out}`);
    assert.ok(out.includes('# default threshold'));
    assert.match(out, /  - name: home\.new\n    image: templates\/pocketPacks\/home\.new\.png\n    threshold: 0\.86\n    region: \{ x: 10, y: 20, w: 30, h: 40 \}\n$/);
    assert.deepEqual(templateNamesIn(out), ['title.logo', 'home.new']);
  });

  it('writes a referenceSize only when the frame differs from the file', () => {
    const same = addTemplateEntry(file, { name: 'a', image: 'templates/a.png', threshold: 0.9, region: { x: 0, y: 0, w: 1, h: 1 }, referenceSize: { width: 540, height: 960 } });
    assert.ok(!/a\.png[\s\S]*referenceSize/.test(same));
    const other = addTemplateEntry(file, { name: 'a', image: 'templates/a.png', threshold: 0.9, region: { x: 0, y: 0, w: 1, h: 1 }, referenceSize: { width: 1080, height: 1920 } });
    assert.match(other, /referenceSize: 1080x1920\n$/);
    assert.deepEqual(fileReferenceSize(file), { width: 540, height: 960 });
    assert.deepEqual(fileReferenceSize('templates: []\n'), { width: 540, height: 960 });
  });

  it('creates the list in an empty file or a file without one', () => {
    const e = { name: 'x', image: 'templates/x.png', threshold: 0.9, region: { x: 1, y: 2, w: 3, h: 4 } };
    assert.deepEqual(templateNamesIn(addTemplateEntry('', e)), ['x']);
    assert.deepEqual(templateNamesIn(addTemplateEntry('# only a comment\nreferenceSize: 540x960\n', e)), ['x']);
    assert.deepEqual(templateNamesIn(addTemplateEntry('templates: []\n', e)), ['x']);
  });

  it('refuses a duplicate name and a file that does not parse (located), never rewriting it', () => {
    const e = { name: 'title.logo', image: 'templates/x.png', threshold: 0.9, region: { x: 1, y: 2, w: 3, h: 4 } };
    assert.throws(() => addTemplateEntry(file, e, 'templates/p.yaml'), /templates\/p\.yaml: a template named 'title\.logo' exists already/);
    assert.throws(
      () => addTemplateEntry('templates:\n  - name: [unclosed\n', { ...e, name: 'y' }, 'templates/p.yaml'),
      (err: unknown) => err instanceof TemplateFileError && /^templates\/p\.yaml:\d+:\d+: /.test(err.message),
    );
    assert.throws(() => addTemplateEntry('templates: 3\n', { ...e, name: 'y' }), /not a list/);
  });
});
