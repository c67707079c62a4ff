import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';

const EXTENSION_ID = 'emulator-fleet.emulator-fleet';

async function fleetFolder(): Promise<vscode.Uri> {
  const api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as { languageClient: Promise<unknown> };
  await api.languageClient;
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri;
}

/** Resolves with the diagnostics of `uri` once `accept` holds for them (waits on the diagnostics events). */
function diagnosticsWhen(uri: vscode.Uri, accept: (ds: readonly vscode.Diagnostic[]) => boolean, what: string): Promise<readonly vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const ds = vscode.languages.getDiagnostics(uri);
      if (accept(ds)) {
        sub.dispose();
        clearTimeout(timer);
        resolve(ds);
      }
    };
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) {
        check();
      }
    });
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${what}: not seen within 30 s (diagnostics now: ${JSON.stringify(vscode.languages.getDiagnostics(uri).map((d) => d.message))})`));
    }, 30_000);
    check();
  });
}

function positionOf(doc: vscode.TextDocument, text: string, offsetInText = 0): vscode.Position {
  const i = doc.getText().indexOf(text);
  assert.ok(i >= 0, `'${text}' is in ${doc.uri.path} (its lines with 'tap': ${doc.getText().split('\n').filter((l) => l.includes('tap')).join(' | ')})`);
  return doc.positionAt(i + offsetInText);
}

describe('(vscode) routine authoring: the language server in a real VS Code', () => {
  it('reports a typo as you type, with a did-you-mean quick fix that clears it', async () => {
    const root = await fleetFolder();
    const uri = vscode.Uri.joinPath(root, 'routines', 'farm_premium.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const original = doc.getText();
    await diagnosticsWhen(uri, (ds) => ds.length === 0, 'the shipped routine has no problem');
    const at = positionOf(doc, '- tap: packSelect.open', 2);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(at, at.translate(0, 3)), 'tapp');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const ds = await diagnosticsWhen(uri, (d) => d.some((x) => /tapp/.test(x.message)), 'a diagnostic on the typo');
    const d = ds.find((x) => /tapp/.test(x.message))!;
    assert.equal(d.range.start.line, at.line, 'located on the typo line');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(ds.filter((x) => /tapp/.test(x.message)).length, 1, 'reported once (no second YAML validator)');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range);
    const fix = actions.find((a) => /tap\b/.test(a.title) && a.edit);
    assert.ok(fix, `a quick fix is offered (got: ${actions.map((a) => a.title).join(', ')})`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    await diagnosticsWhen(uri, (x) => x.length === 0, 'the fix clears the diagnostic');
    assert.match(doc.getText(), /- tap: packSelect\.open/, 'the fix restores the action name');
    // Back to the shipped text for the next tests (whichever editor is active).
    const restore = new vscode.WorkspaceEdit();
    restore.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), original);
    assert.ok(await vscode.workspace.applyEdit(restore));
    assert.ok(await doc.save());
  });

  it('completes actions in a step list and template names after tap:', async () => {
    const root = await fleetFolder();
    const uri = vscode.Uri.joinPath(root, 'routines', 'farm_premium.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const stepAt = positionOf(doc, '- set: { pack_done: false }', 2);
    const steps = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, stepAt);
    const labels = steps.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const a of ['tap', 'waitFor', 'call', 'checkoutAccount']) {
      assert.ok(labels.includes(a), `action ${a} is offered (got ${labels.slice(0, 20).join(', ')}...)`);
    }
    const tplAt = positionOf(doc, 'tap: packSelect.open', 'tap: '.length);
    const tpls = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, tplAt);
    const names = tpls.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(names.includes('packSelect.open') && names.includes('home.packsButton'), `template names are offered (got ${names.slice(0, 20).join(', ')}...)`);
  });

  it('hovers a template with its threshold, and goes to a called routine', async () => {
    const root = await fleetFolder();
    const uri = vscode.Uri.joinPath(root, 'routines', 'farm_premium.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf(doc, 'image: home.packsButton', 'image: home'.length));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /threshold/i, `the hover tells the threshold: ${text}`);
    const defs = await vscode.commands.executeCommand<Array<vscode.Location | vscode.LocationLink>>('vscode.executeDefinitionProvider', uri, positionOf(doc, 'call: nav/to_home', 'call: nav/'.length));
    const targets = defs.map((d) => ('targetUri' in d ? d.targetUri : d.uri).path);
    assert.ok(targets.some((p) => p.endsWith('/routines/nav/to_home.yaml')), `goes to nav/to_home (got ${targets.join(', ')})`);
  });
});
