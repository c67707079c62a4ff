import { strict as assert } from 'node:assert';
import { z } from 'zod';
import { loadTemplateFile, normalizeImagePath, specFromInline, toSize } from '../../../src/bot/vision/templateLoader';
import { templateFileSchema, TEMPLATE_DEFAULTS } from '../../../src/bot/vision/templateSchema';
import { isVisionError } from '../../../src/bot/vision/visionError';

const FILE = 'templates/ui.yaml';

describe('(unit) vision templateLoader', () => {
  it('loads templates with file defaults, entry options and the default values', () => {
    const text = [
      'referenceSize: 1080x1920',
      'defaults:',
      '  threshold: 0.9',
      '  preload: true',
      'templates:',
      '  - name: home.packs',
      '    image: templates/home/packs.png',
      '    region: { x: 10, y: 20, w: 300, h: 200 }',
      '  - name: home.mask',
      '    image: ./templates/./home/mask.png',
      '    threshold: 0.7',
      '    mode: color',
      '    mask: true',
      '    scales: { min: 0.9, max: 1.1, step: 0.05 }',
      '    maxCount: 3',
      '    nmsIou: 0.5',
      '    referenceSize: { width: 540, height: 960 }',
    ].join('\n');
    const r = loadTemplateFile(text, FILE);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.templates.length, 2);
    assert.deepEqual(r.templates[0], {
      name: 'home.packs',
      image: 'templates/home/packs.png',
      threshold: 0.9,
      referenceSize: { width: 1080, height: 1920 },
      mode: 'gray',
      mask: false,
      maxCount: TEMPLATE_DEFAULTS.maxCount,
      nmsIou: TEMPLATE_DEFAULTS.nmsIou,
      preload: true,
      region: { x: 10, y: 20, w: 300, h: 200 },
    });
    const m = r.templates[1];
    assert.equal(m.image, 'templates/home/mask.png');
    assert.equal(m.threshold, 0.7);
    assert.equal(m.mode, 'color');
    assert.equal(m.mask, true);
    assert.deepEqual(m.scales, { min: 0.9, max: 1.1, step: 0.05 });
    assert.equal(m.maxCount, 3);
    assert.equal(m.nmsIou, 0.5);
    assert.deepEqual(m.referenceSize, { width: 540, height: 960 });
    assert.deepEqual(r.sources[0], { file: FILE, line: 6, col: 5, imageLine: 7, imageCol: 12 });
  });

  it('uses 540x960 and threshold 0.8 when nothing says otherwise', () => {
    const r = loadTemplateFile('templates:\n  - name: a\n    image: a.png\n', FILE);
    assert.deepEqual(r.templates[0].referenceSize, { width: 540, height: 960 });
    assert.equal(r.templates[0].threshold, 0.8);
    assert.equal(r.templates[0].region, undefined);
  });

  it('locates an unknown key at the key and still loads the other entries', () => {
    const text = 'templates:\n  - name: good\n    image: a.png\n  - name: bad\n    image: b.png\n    treshold: 0.9\n';
    const r = loadTemplateFile(text, FILE);
    assert.deepEqual(
      r.templates.map((t) => t.name),
      ['good'],
    );
    assert.equal(r.diagnostics.length, 1);
    const d = r.diagnostics[0];
    assert.equal(d.file, FILE);
    assert.equal(d.line, 6);
    assert.equal(d.col, 5);
    assert.equal(d.code, 'unknown-key');
    assert.match(d.message, /treshold/);
  });

  it('locates wrong values (threshold above 1, bad size, bad scales)', () => {
    const text = [
      'referenceSize: 540 by 960',
      'templates:',
      '  - name: a',
      '    image: a.png',
      '    threshold: 1.5',
      '  - name: b',
      '    image: b.png',
      '    scales: { min: 1.2, max: 0.8, step: 0.1 }',
    ].join('\n');
    const r = loadTemplateFile(text, FILE);
    const at = r.diagnostics.map((d) => `${d.line}:${d.col}`);
    assert.ok(at.includes('1:16'), `size diagnostic in ${JSON.stringify(r.diagnostics)}`);
    assert.ok(at.includes('5:16'), 'threshold diagnostic');
    assert.ok(r.diagnostics.some((d) => d.line === 8 && /min must not exceed/.test(d.message)));
    assert.equal(r.templates.length, 0, 'a bad file-level size loads nothing');
  });

  it('refuses image paths that leave the workspace, at the image value', () => {
    const text = 'templates:\n  - name: a\n    image: ../outside.png\n  - name: b\n    image: /etc/abs.png\n  - name: c\n    image: x/../../y.png\n';
    const r = loadTemplateFile(text, FILE);
    assert.equal(r.templates.length, 0);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.line, d.col, d.code]),
      [
        [3, 12, 'path-escape'],
        [5, 12, 'path-escape'],
        [7, 12, 'path-escape'],
      ],
    );
  });

  it('reports a duplicate name and a region beyond the reference resolution', () => {
    const text = [
      'templates:',
      '  - name: a',
      '    image: a.png',
      '  - name: a',
      '    image: b.png',
      '  - name: wide',
      '    image: w.png',
      '    region: { x: 500, y: 0, w: 100, h: 10 }',
    ].join('\n');
    const r = loadTemplateFile(text, FILE);
    assert.deepEqual(
      r.templates.map((t) => t.image),
      ['a.png'],
    );
    const dup = r.diagnostics.find((d) => d.code === 'duplicate-template');
    assert.ok(dup);
    assert.deepEqual([dup.line, dup.col], [4, 11]);
    assert.match(dup.message, /first at line 2/);
    const oob = r.diagnostics.find((d) => d.code === 'region-out-of-bounds');
    assert.ok(oob);
    assert.equal(oob.line, 8);
  });

  it('reports YAML syntax errors with their position and loads nothing', () => {
    const r = loadTemplateFile('templates:\n  - name: [a\n', FILE);
    assert.equal(r.templates.length, 0);
    assert.ok(r.diagnostics.length > 0);
    assert.equal(r.diagnostics[0].file, FILE);
    assert.ok(r.diagnostics[0].line >= 2);
  });

  it('warns about an empty file', () => {
    const r = loadTemplateFile('# nothing yet\n', FILE);
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0].severity, 'warning');
  });

  it('loads colour checks (point and area) and checks their bounds', () => {
    const text = [
      'colors:',
      '  - name: sel',
      "    color: '#FFAA00'",
      '    at: { x: 10, y: 20 }',
      '  - name: area',
      "    color: '#000000'",
      '    tolerance: 4',
      '    at: { x: 0, y: 0, w: 540, h: 10 }',
      '  - name: out',
      "    color: '#000000'",
      '    at: { x: 540, y: 0 }',
      '  - name: bad',
      '    color: red',
      '    at: { x: 0, y: 0 }',
    ].join('\n');
    const r = loadTemplateFile(text, FILE);
    assert.deepEqual(r.colors[0], { name: 'sel', color: '#ffaa00', tolerance: 16, at: { x: 10, y: 20 }, referenceSize: { width: 540, height: 960 } });
    assert.deepEqual(r.colors[1].at, { x: 0, y: 0, w: 540, h: 10 });
    assert.equal(r.colors.length, 2);
    assert.ok(r.diagnostics.some((d) => d.line === 11 && d.code === 'region-out-of-bounds'));
    assert.ok(r.diagnostics.some((d) => d.line === 13 && /colour like/.test(d.message)));
  });

  it('normalises image paths', () => {
    assert.equal(normalizeImagePath('templates\\a\\b.png'), 'templates/a/b.png');
    assert.equal(normalizeImagePath('./a//b/../c.png'), 'a/c.png');
    assert.equal(normalizeImagePath('../a.png'), undefined);
    assert.equal(normalizeImagePath('/a.png'), undefined);
    assert.equal(normalizeImagePath('C:/a.png'), undefined);
    assert.equal(normalizeImagePath('.'), undefined);
    assert.deepEqual(toSize('1080x2400'), { width: 1080, height: 2400 });
  });

  it('resolves inline templates with the same defaults, refusing escapes', () => {
    const s = specFromInline({ image: 'templates/x.png', threshold: 0.95, region: { x: 1, y: 2, w: 3, h: 4 } });
    assert.equal(s.name, 'templates/x.png');
    assert.equal(s.threshold, 0.95);
    assert.equal(s.mode, 'gray');
    assert.deepEqual(s.referenceSize, { width: 540, height: 960 });
    assert.deepEqual(s.region, { x: 1, y: 2, w: 3, h: 4 });
    assert.throws(
      () => specFromInline({ image: '../../secret.png' }),
      (e: unknown) => isVisionError(e, 'path-escape'),
    );
  });

  it('gives a JSON Schema with descriptions for editors', () => {
    const j = z.toJSONSchema(templateFileSchema, { io: 'input' }) as { properties: Record<string, { description?: string; items?: { properties: Record<string, { description?: string }> } }> };
    assert.ok(j.properties.templates.items?.properties.threshold.description);
    assert.ok(j.properties.templates.items?.properties.image.description?.includes('workspace'));
    assert.ok(j.properties.referenceSize.description);
  });
});
