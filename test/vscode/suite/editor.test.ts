import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { DEMO_ACCOUNT_FILE } from '../../../src/bot/accounts';
import type { EditorFeatures } from '../../../src/extension/editor';
import type { Fleet } from '../../../src/host/fleet';
import type { RoutineRunOutcome } from '../../../src/extension/editor/runRoutine';
import type { LabRow } from '../../../src/shared/templateToolsProtocol';
import type { Prompter } from '../../../src/extension/commands/prompter';
import { ScriptedPrompter } from './fleetHelpers';

const EXTENSION_ID = 'emulator-fleet.emulator-fleet';

async function editorApi(): Promise<EditorFeatures> {
  return (await fleetApi()).editor;
}

async function fleetApi(): Promise<{ editor: EditorFeatures; fleet: Fleet }> {
  const api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as { editor: EditorFeatures; session: { fleet(): Promise<Fleet> } };
  return { editor: api.editor, fleet: await api.session.fleet() };
}

/** A new virtual device with an account on it (the shipped routines fail on the game's no-account dialog). */
async function deviceWithAccount(fleet: Fleet): Promise<string> {
  const [info] = await fleet.startVirtualDevices(1, { seed: 41 });
  const opened = await fleet.devices.open(info!.serial, { serial: info!.serial });
  try {
    const xml = [
      "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>",
      '<map>',
      '    <string name="deviceAccount">editor-1</string>',
      '    <string name="devicePassword">secret</string>',
      '    <boolean name="premium" value="false" />',
      '    <int name="packsOpened" value="0" />',
      '</map>',
      '',
    ].join('\n');
    await opened.device.push(new TextEncoder().encode(xml), DEMO_ACCOUNT_FILE);
  } finally {
    await opened.device.close();
  }
  return info!.serial;
}

/** Resolves once `check` returns a value, re-checked on every change of the live model (bounded by 60 s). */
function when<T>(ed: EditorFeatures, check: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let busy = false;
    let again = false;
    let done = false;
    const finish = (v: T) => {
      done = true;
      subs.forEach((s) => s.dispose());
      clearTimeout(timer);
      resolve(v);
    };
    const run = async () => {
      if (done) {
        return;
      }
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        const v = await check();
        if (v !== undefined && v !== false) {
          finish(v);
        }
      } finally {
        busy = false;
        if (again && !done) {
          again = false;
          void run();
        }
      }
    };
    const subs = [ed.model.onDidChange(() => void run()), ed.live.onDidUpdate(() => void run())];
    const timer = setTimeout(() => {
      done = true;
      subs.forEach((s) => s.dispose());
      reject(new Error(`${what}: not seen within 60 s`));
    }, 60_000);
    void run();
  });
}

describe('(vscode) routine editor: run on device, live step and scores', () => {
  it('runs a routine on a virtual device from the command, marking its step and showing live scores in a CodeLens', async function () {
    this.timeout(180_000);
    const { editor: ed, fleet } = await fleetApi();
    const serial = await deviceWithAccount(fleet);
    const root = vscode.workspace.workspaceFolders![0]!.uri;
    const uri = vscode.Uri.joinPath(root, 'routines', 'wonder_pick.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const file = 'routines/wonder_pick.yaml';
    assert.deepEqual(await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri), [], 'no lens while nothing runs');

    const run = vscode.commands.executeCommand<RoutineRunOutcome | undefined>('emulatorFleet.routine.run', uri, { device: serial, params: { offer: 1, card: 2 } });
    // The sentry's pop-up conditions are evaluated every 500 ms on the device: a score appears on their lines.
    const lens = await when(
      ed,
      async () => {
        const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
        return lenses.find((l) => /\d\.\d\d.* on /.test(l.command?.title ?? ''));
      },
      'a CodeLens with a live score',
    );
    const popupLine = doc.getText().split('\n').findIndex((l) => l.includes('- image: popup.daily.ok'));
    assert.ok(popupLine > 0);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.ok(lenses.some((l) => l.range.start.line === popupLine), `a lens on the image condition's line ${popupLine} (lenses on ${lenses.map((l) => l.range.start.line).join(', ')})`);
    assert.match(lens.command!.title, /[01]\.\d\d( ✓)? on \S+/);
    // A `tap: <template>` step gets its live score too (the routine taps the home screen's Wonder Pick button).
    const tapLine = doc.getText().split('\n').findIndex((l) => l.includes('- tap: home.wonderPickButton'));
    assert.ok(tapLine > 0);
    const tapLens = await when(
      ed,
      async () => (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).find((l) => l.range.start.line === tapLine && / on /.test(l.command?.title ?? '')),
      'a CodeLens with a live score on the tap of a template',
    );
    assert.match(tapLens.command!.title, /[01]\.\d\d( ✓)? on \S+/);
    // The bot's current step is marked (in this file, or in a routine it called).
    const marked = await when(ed, () => ed.model.bots().map((b) => ed.model.stepOf(b)).find((s) => s !== undefined), 'a marked step');
    assert.match(marked.file, /^routines\//);
    const outcome = await run;
    assert.ok(outcome, 'the command resolved with the run');
    assert.equal(outcome.result.ok, true, `the run succeeded: ${JSON.stringify(outcome.result.error)}`);
    assert.equal(outcome.result.variables.picked, true);
    assert.deepEqual(ed.model.bots(), [], 'the marker and the scores go when the run ends');
    await when(ed, async () => ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).length === 0 ? true : undefined), 'the lenses gone');
    assert.deepEqual(ed.model.markers(file), []);
  });

  it('from the palette: asks the routine (the active editor\'s first), the device and the typed params; marks the step', async function () {
    this.timeout(180_000);
    const { editor: ed, fleet } = await fleetApi();
    const api = vscode.extensions.getExtension(EXTENSION_ID)!.exports as { usePrompter(p: Prompter | undefined): void };
    const serial = await deviceWithAccount(fleet);
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'routines', 'wonder_pick.yaml');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const prompter = new ScriptedPrompter().pickFirst().pickLabel(`$(device-mobile) ${serial}`).type('1').type('2');
    api.usePrompter(prompter);
    try {
      const run = vscode.commands.executeCommand<RoutineRunOutcome | undefined>('emulatorFleet.routine.run');
      const marked = await when(ed, () => ed.model.bots().map((b) => ed.model.stepOf(b)).find((s) => s !== undefined), 'a marked step');
      assert.match(marked.file, /^routines\//);
      const outcome = await run;
      assert.ok(outcome, `the command resolved with the run (asked: ${prompter.asked.join(' | ')})`);
      assert.equal(outcome.serial, serial);
      assert.equal(outcome.result.ok, true, `the run succeeded: ${JSON.stringify(outcome.result.error)}`);
      assert.equal(outcome.result.variables.picked, true);
      assert.deepEqual(prompter.picked, ['wonder_pick'], 'Enter takes the routine of the active editor');
      assert.equal(prompter.remaining, 0);
      assert.match(prompter.asked[0] ?? '', /^pick: Run which routine\? \(Enter: wonder_pick/);
      assert.match(prompter.asked[1] ?? '', /^pick: On which device\?/);
      assert.match(prompter.asked[2] ?? '', /^input: wonder_pick: offer \(int 1\.\.3, default 1\)/);
      assert.match(prompter.asked[3] ?? '', /^input: wonder_pick: card \(int 1\.\.5, default 1\)/);
      assert.deepEqual(ed.model.bots(), [], 'the marker goes when the run ends');
    } finally {
      api.usePrompter(undefined);
    }
  });

  it('refuses a param the routine does not accept in its prompt', async function () {
    this.timeout(60_000);
    const { fleet } = await fleetApi();
    const api = vscode.extensions.getExtension(EXTENSION_ID)!.exports as { usePrompter(p: Prompter | undefined): void };
    const serial = fleet.devices.list().find((d) => d.state === 'online')!.serial;
    const prompter = new ScriptedPrompter().pickLabel('wonder_pick').pickLabel(`$(device-mobile) ${serial}`).type('9');
    api.usePrompter(prompter);
    try {
      await vscode.commands.executeCommand('emulatorFleet.routine.run');
      assert.equal(prompter.asked.length, 3, prompter.asked.join(' | '));
    } finally {
      api.usePrompter(undefined);
    }
  });

  it('reports a failing run with its error located', async function () {
    this.timeout(120_000);
    await editorApi();
    const outcome = await vscode.commands.executeCommand<RoutineRunOutcome | undefined>('emulatorFleet.routine.run', undefined, { routine: 'wonder_pick', device: 'virtual', params: { offer: 9 } });
    // An out-of-range param fails the run at once, located on the routine's params.
    assert.ok(outcome);
    assert.equal(outcome.result.ok, false);
    assert.equal(outcome.result.error?.code, 'invalid-param');
    assert.match(outcome.result.error?.range?.file ?? '', /wonder_pick\.yaml$/);
  });
});

describe('(vscode) routine editor: a running group', () => {
  it('marks each running bot\'s step and shows its live scores in the CodeLens, cleared when the group ends', async function () {
    this.timeout(180_000);
    const { editor: ed, fleet } = await fleetApi();
    const serial = await deviceWithAccount(fleet);
    const root = vscode.workspace.workspaceFolders![0]!.uri;
    const uri = vscode.Uri.joinPath(root, 'routines', 'nav', 'to_home.yaml');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const o = fleet.orchestrator;
    const base = await o.loadGroupDefinition('Wonder Pick Farmers');
    const { accountPool: _pool, ...rest } = base;
    const group = o.createGroup({ ...rest, name: 'Editor Test', availableInstances: [serial], requestedBotCount: 1, launchOptions: { ...base.launchOptions, stopWhenPoolEmpty: false, overrides: [] } });
    const bot = `bot ${serial}`;
    try {
      await group.start({ cycles: 1, staggerMs: 0 });
      // nav/to_home runs first: its image conditions get the bot's scores, and its step is marked.
      const lens = await when(
        ed,
        async () => (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).find((l) => (l.command?.title ?? '').includes(` on ${bot}`)),
        'a CodeLens with the bot\'s score',
      );
      assert.match(lens.command!.title, new RegExp(`[01]\\.\\d\\d( ✓)? on ${bot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      const step = await when(ed, () => ed.model.stepOf(bot), 'the bot\'s step marked');
      assert.match(step.file, /^routines\//);
      const final = await group.done;
      assert.equal(final.state, 'stopped', JSON.stringify(final.bots.map((b) => b.lastError)));
      await when(ed, () => (ed.model.bots().includes(bot) ? undefined : true), 'the bot\'s marker and scores cleared');
    } finally {
      await o.shutdownGroup('Editor Test').catch(() => undefined);
    }
  });
});

/** The expectation of a lab row. */
function pick(r: LabRow | undefined): { expected?: boolean; inferred?: boolean } {
  assert.ok(r, 'the row is there');
  return { expected: r.expected, inferred: r.inferred };
}

describe('(vscode) Template Lab', () => {
  it('runs the templates of a routine on the recorder\'s frames and the live devices, with the marks calling out false positives and misses', async function () {
    this.timeout(120_000);
    const api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as { editor: EditorFeatures & { labs(): Array<{ templates: readonly string[]; onDidRun: vscode.Event<readonly LabRow[]>; expect(id: string, e: boolean | null): void; run(): Promise<readonly LabRow[]> }> } };
    const { fleet } = await fleetApi();
    const serial = (await fleet.startVirtualDevices(1, { seed: 43 }))[0]!.serial;
    // A recorder with one frame (the device's title screen, captured now): the lab runs on it too.
    const opened = await fleet.devices.open(serial, { serial });
    const shot = await opened.device.screenshot();
    const recorded = { width: shot.width, height: shot.height, data: new Uint8Array(shot.data), label: 'recorded' };
    shot.lease?.release();
    await opened.device.close();
    // The recorded run matched home.packsButton on that frame and did not find it: the lab infers "not expected".
    const time = Date.now();
    api.editor.setRecorder({
      list: () => Promise.resolve([{ id: 'r1', bot: 'bot 1', time, matches: [{ template: 'home.packsButton', found: false }] }]),
      read: () => Promise.resolve(recorded),
    });
    try {
      const root = vscode.workspace.workspaceFolders![0]!.uri;
      await vscode.commands.executeCommand('emulatorFleet.editor.templateLab', vscode.Uri.joinPath(root, 'routines', 'wonder_pick.yaml'));
      const lab = api.editor.labs().at(-1)!;
      assert.ok(lab.templates.includes('home.packsButton') && lab.templates.includes('popup.daily.ok'), `the routine's templates (${lab.templates.join(', ')})`);
      const rows = await new Promise<readonly LabRow[]>((resolve) => {
        const sub = lab.onDidRun((r) => {
          sub.dispose();
          resolve(r);
        });
      });
      const frames = new Set(rows.map((r) => r.frameId));
      assert.ok(frames.has('rec:r1'), 'the recorded frame is in the table');
      assert.ok([...frames].some((f) => f === `live:${serial}`), `the live device is in the table (${[...frames].join(', ')})`);
      assert.equal(rows.length, frames.size * lab.templates.length);
      const inferredId = 'home.packsButton\nrec:r1';
      for (const r of rows) {
        assert.equal(r.margin, Math.round((r.score - r.threshold) * 1000) / 1000);
        if (r.id === inferredId) {
          assert.deepEqual([r.expected, r.inferred, r.verdict], [false, true, r.found ? 'false-positive' : 'ok'], 'inferred from the recorded match');
        } else {
          assert.equal(r.verdict, 'unknown');
        }
      }
      // The user overrides what was inferred; the mark outlasts the lab (a new lab on the same frame shows it), and
      // clearing it brings back the inference.
      const next = () => new Promise<readonly LabRow[]>((resolve) => {
        const sub = lab.onDidRun((r) => {
          sub.dispose();
          resolve(r);
        });
      });
      let changed = next();
      lab.expect(inferredId, true);
      assert.deepEqual(pick((await changed).find((r) => r.id === inferredId)), { expected: true, inferred: undefined });
      await vscode.commands.executeCommand('emulatorFleet.editor.templateLab', vscode.Uri.joinPath(root, 'routines', 'wonder_pick.yaml'));
      const lab2 = api.editor.labs().at(-1)!;
      assert.notEqual(lab2, lab);
      const rows2 = await new Promise<readonly LabRow[]>((resolve) => {
        const sub = lab2.onDidRun((r) => {
          sub.dispose();
          resolve(r);
        });
      });
      assert.deepEqual(pick(rows2.find((r) => r.id === inferredId)), { expected: true, inferred: undefined }, 'the mark, kept');
      changed = next();
      lab.expect(inferredId, null);
      assert.deepEqual(pick((await changed).find((r) => r.id === inferredId)), { expected: false, inferred: true }, 'unmarked: inferred again');
      // Marks: a template found where it should not be is a false positive; one not found where it should be, a miss.
      const found = rows.find((r) => r.found);
      const notFound = rows.find((r) => !r.found)!;
      const marked = new Promise<readonly LabRow[]>((resolve) => {
        let n = 0;
        const sub = lab.onDidRun((r) => {
          if (++n === (found ? 2 : 1)) {
            sub.dispose();
            resolve(r);
          }
        });
      });
      if (found) {
        lab.expect(found.id, false);
      }
      lab.expect(notFound.id, true);
      const after = await marked;
      assert.equal(after[0]!.verdict, found ? 'false-positive' : 'miss', 'problems come first');
      assert.equal(after.find((r) => r.id === notFound.id)!.verdict, 'miss');
      if (found) {
        assert.equal(after.find((r) => r.id === found.id)!.verdict, 'false-positive');
      }
    } finally {
      api.editor.setRecorder(undefined);
      for (const l of api.editor.labs()) {
        (l as unknown as vscode.Disposable).dispose();
      }
    }
  });
});

describe('(vscode) Capture Template: the saved template is usable at once', () => {
  it('saves a crop of a device frame; the registry reloads it and completion offers it', async function () {
    this.timeout(120_000);
    const api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as { editor: EditorFeatures };
    const { fleet } = await fleetApi();
    const serial = (await fleet.startVirtualDevices(1, { seed: 47 }))[0]!.serial;
    await vscode.commands.executeCommand('emulatorFleet.editor.captureTemplate', undefined, { device: serial });
    const panel = api.editor.capturePanels().at(-1)!;
    try {
      const registry = fleet.orchestrator.templateRegistry()!;
      const loaded = new Promise<void>((resolve) => {
        const sub = registry.onDidChangeTemplates(() => {
          if (registry.has('editor.captured')) {
            sub.dispose();
            resolve();
          }
        });
      });
      await panel.save({ x: 150, y: 300, w: 120, h: 60 }, 'editor.captured', 'templates/pocketPacks.yaml', 0.9);
      await loaded;
      const spec = registry.resolve('editor.captured');
      assert.equal(spec.threshold, 0.9);
      assert.deepEqual(spec.region, { x: 90, y: 270, w: 240, h: 120 });
      await assert.rejects(panel.save({ x: 0, y: 0, w: 10, h: 10 }, 'editor.captured', 'templates/pocketPacks.yaml', 0.9), /exists already/);
      // The language server offers it after `tap: ` (its own watcher reloads the registry file).
      const root = vscode.workspace.workspaceFolders![0]!.uri;
      const uri = vscode.Uri.joinPath(root, 'routines', 'recover.yaml');
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const line = doc.getText().split('\n').findIndex((l) => l.includes('- restartApp'));
      const edit = new vscode.WorkspaceEdit();
      edit.insert(uri, new vscode.Position(line, 0), '  - tap: \n');
      assert.ok(await vscode.workspace.applyEdit(edit));
      const at = new vscode.Position(line, '  - tap: '.length);
      const offered = await new Promise<boolean>((resolve) => {
        const deadline = Date.now() + 30_000;
        const ask = async () => {
          const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, at);
          const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
          if (labels.includes('editor.captured')) {
            resolve(true);
          } else if (Date.now() > deadline) {
            resolve(false);
          } else {
            // The server reloads on its file watcher's event: ask again once it has had the chance.
            setImmediate(() => void ask());
          }
        };
        void ask();
      });
      await vscode.commands.executeCommand('workbench.action.files.revert');
      assert.ok(offered, 'completion offers the new template');
    } finally {
      panel.dispose();
    }
  });
});
