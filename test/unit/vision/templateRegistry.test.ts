import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import { MemoryLogger } from '../../../src/shared/loggers';
import { encodePng } from '../../../src/bot/vision/imageCodec';
import { TemplateRegistry, type TemplatesChangeEvent } from '../../../src/bot/vision/templateRegistry';
import { isVisionError } from '../../../src/bot/vision/visionError';
import { MemoryFileStore } from '../../support/memoryFileStore';
import { syntheticImage } from './synthetic';

async function png(w: number, h: number, seed = 1, alpha?: number): Promise<Buffer> {
  const img = syntheticImage(w, h, seed);
  if (alpha !== undefined) {
    img.data[3] = alpha;
  }
  return encodePng(img);
}

const GOOD = [
  'templates:',
  '  - name: home.packs',
  '    image: templates/img/packs.png',
  '    region: { x: 0, y: 0, w: 100, h: 100 }',
  '    preload: true',
  '  - name: home.other',
  '    image: templates/img/other.png',
  'colors:',
  '  - name: home.bg',
  "    color: '#102030'",
  '    at: { x: 5, y: 5 }',
].join('\n');

describe('(unit) vision TemplateRegistry', () => {
  let files: MemoryFileStore;
  let registry: TemplateRegistry;

  beforeEach(async () => {
    files = new MemoryFileStore();
    files.put('templates/img/packs.png', await png(40, 30));
    files.put('templates/img/other.png', await png(20, 20, 2));
    registry = new TemplateRegistry(files, new MemoryLogger());
  });

  afterEach(() => registry.dispose());

  it('loads templates/*.yaml, checks images, and resolves names', async () => {
    files.put('templates/ui.yaml', GOOD);
    files.put('templates/notes.txt', 'not yaml');
    const diags = await registry.load();
    assert.deepEqual(diags, []);
    assert.deepEqual(registry.names(), ['home.other', 'home.packs']);
    assert.ok(registry.has('home.packs'));
    assert.equal(registry.get('home.packs')?.threshold, 0.8);
    assert.deepEqual(registry.source('home.packs'), { file: 'templates/ui.yaml', line: 2, col: 5, imageLine: 3, imageCol: 12 });
    assert.deepEqual(registry.colorNames(), ['home.bg']);
    assert.equal(registry.getColor('home.bg')?.color, '#102030');
    const spec = registry.resolve('home.packs');
    spec.threshold = 0; // callers get copies
    assert.equal(registry.get('home.packs')?.threshold, 0.8);
    const img = await registry.image('templates/img/packs.png');
    assert.equal(img.width, 40);
    assert.equal(img.height, 30);
    assert.ok(img.data.buffer instanceof SharedArrayBuffer);
    assert.equal(img.hasTransparency, false);
  });

  it('reports a missing image as a located error (not a silent skip)', async () => {
    files.put('templates/ui.yaml', 'templates:\n  - name: gone\n    image: templates/img/missing.png\n');
    const diags = await registry.load();
    assert.equal(diags.length, 1);
    assert.deepEqual([diags[0].file, diags[0].line, diags[0].col, diags[0].code, diags[0].severity], ['templates/ui.yaml', 3, 12, 'image-missing', 'error']);
    assert.match(diags[0].message, /gone.*missing\.png.*does not exist/);
    // The name still resolves (routines do not get a misleading "unknown template"); the image load fails clearly.
    assert.ok(registry.has('gone'));
    await assert.rejects(registry.image('templates/img/missing.png'), (e: unknown) => isVisionError(e, 'image-missing'));
  });

  it('reports unreadable images, images larger than their region, and a mask without alpha', async () => {
    files.put('templates/img/bad.png', 'this is not a png');
    files.put('templates/img/rgb.png', await sharp(await png(20, 20, 2)).removeAlpha().png().toBuffer());
    files.put(
      'templates/ui.yaml',
      [
        'templates:',
        '  - name: bad',
        '    image: templates/img/bad.png',
        '  - name: big',
        '    image: templates/img/packs.png',
        '    region: { x: 0, y: 0, w: 30, h: 30 }',
        '  - name: masked',
        '    image: templates/img/rgb.png',
        '    mask: true',
      ].join('\n'),
    );
    const diags = await registry.load();
    const byCode = new Map(diags.map((d) => [d.code, d]));
    assert.equal(byCode.get('image-invalid')?.line, 3);
    assert.equal(byCode.get('template-too-large')?.line, 5);
    assert.match(byCode.get('template-too-large')!.message, /40x30 does not fit in its region 30x30/);
    assert.equal(byCode.get('mask-without-alpha')?.severity, 'warning');
  });

  it('warns when a preloaded image has transparency but no mask', async () => {
    files.put('templates/img/alpha.png', await png(20, 20, 3, 0));
    files.put('templates/ui.yaml', 'templates:\n  - name: a\n    image: templates/img/alpha.png\n    preload: true\n');
    const diags = await registry.load();
    assert.deepEqual(
      diags.map((d) => d.code),
      ['transparent-without-mask'],
    );
  });

  it('reports a name defined in two files at the second definition', async () => {
    files.put('templates/a.yaml', 'templates:\n  - name: x\n    image: templates/img/packs.png\n');
    files.put('templates/b.yaml', '# b\ntemplates:\n  - name: x\n    image: templates/img/other.png\n');
    const diags = await registry.load();
    assert.equal(diags.length, 1);
    assert.deepEqual([diags[0].file, diags[0].line, diags[0].code], ['templates/b.yaml', 3, 'duplicate-template']);
    assert.match(diags[0].message, /templates\/a\.yaml:2:5/);
    assert.equal(registry.get('x')?.image, 'templates/img/packs.png');
  });

  it('suggests close names for an unknown template', async () => {
    files.put('templates/ui.yaml', GOOD);
    await registry.load();
    assert.throws(
      () => registry.resolve('home.pack'),
      (e: unknown) => isVisionError(e, 'unknown-template') && /did you mean 'home\.packs'/.test(e.message),
    );
  });

  it('resolves inline templates through the same image cache and refuses escapes', async () => {
    await registry.load();
    const spec = registry.resolve({ image: 'templates/img/other.png', threshold: 0.9 });
    assert.equal(spec.threshold, 0.9);
    const before = files.reads;
    const a = await registry.image(spec.image);
    const b = await registry.image('./templates/img/other.png');
    assert.equal(a, b);
    assert.equal(files.reads, before + 1, 'decoded once');
    assert.throws(() => registry.resolve({ image: '../x.png' }), (e: unknown) => isVisionError(e, 'path-escape'));
    await assert.rejects(registry.image('/etc/passwd'), (e: unknown) => isVisionError(e, 'path-escape'));
  });

  it('fires onDidChangeTemplates with the changed names, and reloads on change when watching', async () => {
    files.put('templates/ui.yaml', GOOD);
    const events: TemplatesChangeEvent[] = [];
    registry.onDidChangeTemplates((e) => events.push(e));
    await registry.load();
    assert.deepEqual(events[0].names, ['home.bg', 'home.other', 'home.packs']);
    await registry.load();
    assert.equal(events.length, 1, 'nothing changed: no event');

    const watch = registry.watch();
    assert.ok(files.watcherCount >= 2, 'watches the registry folder and the image folder');
    files.put('templates/ui.yaml', GOOD.replace('    preload: true', '    threshold: 0.95'));
    const next = new Promise<TemplatesChangeEvent>((resolve) => registry.onDidChangeTemplates(resolve));
    files.touch('templates/ui.yaml');
    const e = await next;
    assert.deepEqual(e.names, ['home.packs']);
    assert.equal(registry.get('home.packs')?.threshold, 0.95);

    // A changed image is decoded again.
    const old = await registry.image('templates/img/other.png');
    files.put('templates/img/other.png', await png(24, 24, 5));
    files.touch('templates/img/other.png');
    const fresh = await registry.image('templates/img/other.png');
    assert.notEqual(fresh.key, old.key);
    assert.equal(fresh.width, 24);
    watch.dispose();
    assert.equal(files.watcherCount, 0);
  });

  it('keeps loading the good files when one is broken', async () => {
    files.put('templates/a.yaml', GOOD);
    files.put('templates/b.yml', 'templates: [');
    const diags = await registry.load();
    assert.ok(diags.some((d) => d.file === 'templates/b.yml' && d.severity === 'error'));
    assert.deepEqual(registry.names(), ['home.other', 'home.packs']);
  });
});
