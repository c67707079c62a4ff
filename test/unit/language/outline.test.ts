import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SymbolKind } from 'vscode-languageserver';
import { pickRoot } from '../../../src/language/fleetLanguageServer';
import { buildFileModel } from '../../../src/language/fileModel';
import { foldingRanges } from '../../../src/language/folding';
import { documentSymbols } from '../../../src/language/outline';
import { WorkspacePaths } from '../../../src/language/workspacePaths';

describe('language/outline, folding and workspace paths', () => {
  it('outlines a template registry and a group', () => {
    const t = buildFileModel('templates/ui.yaml', 'templates:\n  - name: ok\n    image: templates/ok.png\ncolors:\n  - { name: gold, color: "#ffcc00", at: { x: 1, y: 2 } }\n')!;
    assert.deepEqual(
      documentSymbols(t).map((s) => [s.name, s.detail, s.kind, s.selectionRange.start.line]),
      [
        ['ok', 'templates/ok.png', SymbolKind.Constant, 1],
        ['gold', '#ffcc00', SymbolKind.EnumMember, 4],
      ],
    );
    const g = buildFileModel('groups/g.yaml', 'name: G\nroutine: farm\nlaunchOptions:\n  stagger: 1s\n  restart: { maxRestarts: 5 }\n')!;
    const symbols = documentSymbols(g);
    assert.deepEqual(symbols.map((s) => [s.name, s.detail]), [['name', 'G'], ['routine', 'farm'], ['launchOptions', undefined]]);
    assert.deepEqual(symbols[2].children?.map((s) => s.name), ['stagger', 'restart']);
  });

  it('folds block maps and lists from their key\'s line, and runs of comments', () => {
    const text = '# one\n# two\nsteps:\n  - if: { image: a }\n    then:\n      - tap: a\n      - wait: 1s\n  - wait: 2s # end\n\n';
    const folds = foldingRanges(buildFileModel('routines/r.yaml', text)!);
    assert.deepEqual(folds, [
      { startLine: 0, endLine: 1, kind: 'comment' },
      { startLine: 2, endLine: 7 },
      { startLine: 3, endLine: 6 },
      { startLine: 4, endLine: 6 },
    ]);
  });

  it('picks the workspace folder that holds the fleet in a multi-root workspace', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'fleet-lsp-roots-'));
    try {
      for (const d of ['docs', 'fleet/routines', 'other']) {
        mkdirSync(path.join(base, d), { recursive: true });
      }
      const folders = ['docs', 'fleet', 'other'].map((n) => ({ uri: pathToFileURL(path.join(base, n)).href, name: n }));
      const params = { processId: null, rootUri: null, capabilities: {}, workspaceFolders: folders };
      assert.equal(pickRoot(params), path.join(base, 'fleet'));
      assert.equal(pickRoot({ ...params, initializationOptions: { root: '/elsewhere' } }), '/elsewhere');
      assert.equal(pickRoot({ ...params, workspaceFolders: [folders[0]] }), path.join(base, 'docs'));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('maps URIs inside the root to workspace paths, and back with the client\'s spelling', () => {
    const paths = new WorkspacePaths('/ws/fleet');
    assert.equal(paths.relative('file:///ws/fleet/routines/a%20b.yaml'), 'routines/a b.yaml');
    assert.equal(paths.uri('routines/a b.yaml'), 'file:///ws/fleet/routines/a%20b.yaml');
    assert.equal(paths.relative('file:///ws/other/routines/x.yaml'), undefined);
    assert.equal(paths.relative('untitled:Untitled-1'), undefined);
    assert.equal(paths.fileUri('templates/x.png'), 'file:///ws/fleet/templates/x.png');
  });
});
