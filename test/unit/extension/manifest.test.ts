/**
 * The manifest (package.json `contributes`) against the code: every contributed command is registered by the
 * extension and named the same way, every menu entry, welcome view and walkthrough names something that exists,
 * and every id the code uses is declared (src/extension/constants.ts holds them).
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { CATEGORY, COMMANDS, CONTEXT_KEYS, MONITOR_OPEN_COMMAND, VIEW_CONTAINER, VIEWS, WALKTHROUGH_ID } from '../../../src/extension/constants';

const ROOT = path.join(__dirname, '../../..');

interface MenuEntry {
  command: string;
  when?: string;
  group?: string;
}
interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: { command: string; title?: string; category?: string; icon?: string; enablement?: string }[];
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    views: Record<string, { id: string; name: string; visibility?: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    menus: Record<string, MenuEntry[]>;
    walkthroughs: { id: string; steps: { id: string; media: { markdown?: string; image?: string }; description: string; completionEvents?: string[] }[] }[];
  };
  capabilities: { untrustedWorkspaces: { supported: string } };
}

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The extension's source, without the constants file itself. */
const code = sources(path.join(ROOT, 'src/extension'))
  .filter((f) => !f.endsWith(`${path.sep}constants.ts`))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

const keyOf = (id: string) => Object.entries(COMMANDS).find(([, v]) => v === id)?.[0];

/** Every command the manifest's menus, welcome content and walkthroughs link to. */
function commandLinks(text: string): string[] {
  return [...text.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]!);
}

/** Built-in commands the welcome content and walkthrough link to. */
const BUILT_IN = new Set(['workbench.action.files.openFolder', 'workbench.trust.manage', 'workbench.action.quickOpen', `${VIEWS.groups}.focus`]);

describe('(unit) extension manifest', () => {
  it('has no key twice in one object (JSON keeps the last one silently: a merged contributes.views lost a view)', () => {
    const doc = parseDocument(readFileSync(path.join(ROOT, 'package.json'), 'utf8'), { uniqueKeys: true });
    assert.deepEqual(doc.errors.map((e) => e.message), []);
  });

  const declared = new Set(manifest.contributes.commands.map((c) => c.command));

  it('declares exactly the commands of constants.ts, each registered in the code', () => {
    assert.deepEqual([...declared].sort(), Object.values(COMMANDS).sort());
    for (const id of declared) {
      const key = keyOf(id)!;
      const registered = new RegExp(`register(Command)?\\(\\s*COMMANDS\\.${key}\\b`).test(code);
      assert.ok(registered, `${id} (COMMANDS.${key}) is registered in src/extension`);
    }
  });

  it('every command has a title, the Emulator Fleet category, and the emulatorFleet. namespace', () => {
    for (const c of manifest.contributes.commands) {
      assert.ok(c.title && c.title.trim(), `${c.command} has a title`);
      assert.equal(c.category, CATEGORY, `${c.command} category`);
      assert.match(c.command, /^emulatorFleet\.[a-zA-Z]+(\.[a-zA-Z]+)*$/);
    }
  });

  it('every menu entry names a declared command (or the monitor command, once it is declared)', () => {
    for (const [menu, entries] of Object.entries(manifest.contributes.menus)) {
      for (const e of entries) {
        assert.ok(declared.has(e.command), `${menu}: ${e.command} is declared`);
        assert.ok(e.command !== MONITOR_OPEN_COMMAND || declared.has(MONITOR_OPEN_COMMAND));
      }
    }
  });

  it('node-only commands are hidden from the palette; commands that start something need a trusted workspace', () => {
    const palette = new Map(manifest.contributes.menus.commandPalette!.map((e) => [e.command, e.when]));
    assert.equal(palette.get(COMMANDS.goToStep), 'false');
    assert.equal(palette.get(COMMANDS.openProblem), 'false');
    const starting = [COMMANDS.startGroup, COMMANDS.stopGroup, COMMANDS.pauseGroup, COMMANDS.resumeGroup, COMMANDS.startAll, COMMANDS.stopAll, COMMANDS.pauseBot, COMMANDS.resumeBot, COMMANDS.restartBot, COMMANDS.startVirtualDevices, COMMANDS.stopVirtualDevices, COMMANDS.connectDevice, COMMANDS.runRoutine];
    for (const id of starting) {
      assert.equal(palette.get(id), 'isWorkspaceTrusted', `${id} in the palette`);
      assert.equal(manifest.contributes.commands.find((c) => c.command === id)!.enablement, 'isWorkspaceTrusted', `${id} enablement`);
      for (const e of manifest.contributes.menus['view/item/context']!.filter((x) => x.command === id)) {
        assert.match(e.when ?? '', /isWorkspaceTrusted/, `${id} in a context menu`);
      }
    }
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  });

  it('one Run Routine on a Device command: the palette, the views and the routine editor all run it', () => {
    const titled = manifest.contributes.commands.filter((c) => /Run Routine/i.test(c.title ?? ''));
    assert.deepEqual(titled.map((c) => c.command), [COMMANDS.runRoutine]);
    const where = Object.entries(manifest.contributes.menus).flatMap(([menu, entries]) => entries.filter((e) => e.command === COMMANDS.runRoutine).map(() => menu));
    for (const menu of ['commandPalette', 'view/title', 'view/item/context', 'editor/title', 'editor/context', 'explorer/context']) {
      assert.ok(where.includes(menu), `${COMMANDS.runRoutine} in ${menu} (in: ${where.join(', ')})`);
    }
  });

  it('context menus match contextValues with the botGroup.<state> / bot.<state> idiom', () => {
    const entries = manifest.contributes.menus['view/item/context']!;
    const when = (id: string, inline = true) => entries.filter((e) => e.command === id && (e.group ?? '').startsWith('inline') === inline).map((e) => e.when ?? '');
    const matches = (id: string, contextValue: string) => {
      return when(id).some((w) => [...w.matchAll(/viewItem =~ \/(.+?)\/(?=\s|$)/g)].some((m) => new RegExp(m[1]!).test(contextValue)) || w.includes(`viewItem == ${contextValue}`));
    };
    assert.ok(matches(COMMANDS.startGroup, 'botGroup.stopped'));
    assert.ok(matches(COMMANDS.startGroup, 'botGroup.failed'));
    assert.ok(!matches(COMMANDS.startGroup, 'botGroup.running'));
    assert.ok(!matches(COMMANDS.startGroup, 'botGroup.invalid'));
    assert.ok(matches(COMMANDS.stopGroup, 'botGroup.running'));
    assert.ok(matches(COMMANDS.stopGroup, 'botGroup.paused'));
    assert.ok(!matches(COMMANDS.stopGroup, 'botGroup.stopped'));
    assert.ok(matches(COMMANDS.pauseGroup, 'botGroup.running'));
    assert.ok(matches(COMMANDS.resumeGroup, 'botGroup.paused'));
    assert.ok(!matches(COMMANDS.resumeGroup, 'botGroup.running'));
    assert.ok(matches(COMMANDS.openProblem, 'botGroup.invalid'));
    assert.ok(matches(COMMANDS.pauseBot, 'bot.running'));
    assert.ok(matches(COMMANDS.pauseBot, 'bot.running.step'));
    assert.ok(!matches(COMMANDS.pauseBot, 'bot.paused.step'));
    assert.ok(matches(COMMANDS.resumeBot, 'bot.paused.step'));
    assert.ok(matches(COMMANDS.goToStep, 'bot.running.step'));
    assert.ok(!matches(COMMANDS.goToStep, 'bot.running'));
    assert.ok(!matches(COMMANDS.pauseBot, 'botGroup.running'), 'a bot regex does not match a group');
  });

  it('the container and its views are declared once and used by the code; Pools starts collapsed', () => {
    assert.deepEqual(manifest.contributes.viewsContainers.activitybar.map((c) => c.id), [VIEW_CONTAINER]);
    assert.ok(existsSync(path.join(ROOT, manifest.contributes.viewsContainers.activitybar[0]!.icon)));
    const views = manifest.contributes.views[VIEW_CONTAINER]!;
    assert.deepEqual(views.map((v) => v.id).sort(), Object.values(VIEWS).sort());
    for (const [key, id] of Object.entries(VIEWS)) {
      assert.ok(new RegExp(`VIEWS\\.${key}\\b`).test(code), `${id} is used in src/extension`);
    }
    assert.equal(views.find((v) => v.id === VIEWS.pools)!.visibility, 'collapsed');
    const viewIds = new Set(views.map((v) => v.id));
    for (const w of manifest.contributes.viewsWelcome) {
      assert.ok(viewIds.has(w.view), `welcome content for ${w.view}`);
    }
  });

  it('welcome content and walkthrough steps link to declared or built-in commands; their media exist', () => {
    const texts = [...manifest.contributes.viewsWelcome.map((w) => w.contents), ...manifest.contributes.walkthroughs.flatMap((w) => w.steps.map((s) => s.description))];
    for (const id of texts.flatMap(commandLinks)) {
      assert.ok(declared.has(id) || BUILT_IN.has(id), `${id} is a declared or built-in command`);
    }
    assert.deepEqual(manifest.contributes.walkthroughs.map((w) => w.id), [WALKTHROUGH_ID]);
    for (const s of manifest.contributes.walkthroughs[0]!.steps) {
      const media = s.media.markdown ?? s.media.image;
      assert.ok(media && existsSync(path.join(ROOT, media)), `${s.id}: ${media} exists`);
    }
  });

  it('walkthrough steps complete on what happened (a context key the code sets), not on a command that may refuse', () => {
    const known = new Set<string>(Object.values(CONTEXT_KEYS));
    for (const s of manifest.contributes.walkthroughs[0]!.steps) {
      for (const e of s.completionEvents ?? []) {
        assert.ok(!e.startsWith('onCommand:'), `${s.id}: ${e} completes even when the command refuses (Restricted Mode)`);
        if (e.startsWith('onContext:')) {
          assert.ok(known.has(e.slice('onContext:'.length)), `${s.id}: ${e} names one of CONTEXT_KEYS`);
        }
      }
    }
  });

  it('the context keys the when clauses read are the ones the code sets', () => {
    const whens = [...Object.values(manifest.contributes.menus).flat().map((e) => e.when ?? ''), ...manifest.contributes.viewsWelcome.map((w) => w.when ?? '')];
    const used = new Set(whens.flatMap((w) => [...w.matchAll(/emulatorFleet\.[a-zA-Z]+\b(?!\.)/g)].map((m) => m[0])));
    const known = new Set<string>(Object.values(CONTEXT_KEYS));
    for (const k of used) {
      if (!k.startsWith('emulatorFleet.views')) {
        assert.ok(known.has(k), `${k} is one of CONTEXT_KEYS`);
      }
    }
    for (const [key] of Object.entries(CONTEXT_KEYS)) {
      assert.ok(new RegExp(`CONTEXT_KEYS\\.${key}\\b`).test(code), `CONTEXT_KEYS.${key} is set in src/extension`);
    }
  });
});
