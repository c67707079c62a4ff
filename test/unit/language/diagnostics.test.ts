import { strict as assert } from 'node:assert';
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Diagnostic } from '../../../src/shared/geometry';
import { diagnosticData, toLspDiagnostic } from '../../../src/language/diagnostics';
import { DiagnosticsService } from '../../../src/language/diagnosticsService';
import { OverlayFileStore } from '../../../src/language/overlayFileStore';
import type { ValidationRequest, ValidationRunner } from '../../../src/language/validationRunner';
import { WorkspacePaths } from '../../../src/language/workspacePaths';
import { MemoryFileStore } from '../../support/memoryFileStore';

function d(file: string, message: string, extra: Partial<Diagnostic> = {}): Diagnostic {
  return { file, line: 3, col: 5, endLine: 3, endCol: 9, severity: 'error', message, ...extra };
}

/** A runner whose validations the test answers one by one. */
class ScriptedRunner implements ValidationRunner {
  readonly requests: Array<{ req: ValidationRequest; answer: (ds: Diagnostic[]) => void }> = [];
  superseded = 0;
  private waiting: Array<() => void> = [];

  validate(req: ValidationRequest): Promise<Diagnostic[]> {
    return new Promise((resolve) => {
      this.requests.push({ req, answer: resolve });
      this.waiting.splice(0).forEach((w) => w());
    });
  }

  /** Resolves once `n` validations were asked for. */
  asked(n: number): Promise<void> {
    return this.requests.length >= n ? Promise.resolve() : new Promise<void>((r) => this.waiting.push(() => void this.asked(n).then(r)));
  }

  supersede(): void {
    this.superseded++;
  }

  dispose(): void {}
}

describe('language/diagnostics', () => {
  it('turns the core\'s 1-based line/col into LSP ranges, with its code and severity', () => {
    const lsp = toLspDiagnostic(d('routines/a.yaml', 'bad', { code: 'x', severity: 'warning' }));
    assert.deepEqual(lsp, { range: { start: { line: 2, character: 4 }, end: { line: 2, character: 8 } }, severity: 2, message: 'bad', source: 'emulator-fleet', code: 'x' });
    const noEnd = toLspDiagnostic({ file: 'f', line: 1, col: 1, severity: 'error', message: 'm' });
    assert.deepEqual(noEnd.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
  });

  it('carries the fixes a message describes as structured data', () => {
    assert.deepEqual(diagnosticData(d('f', "unknown key 'thne' in steps[3] (if step): did you mean 'then'?", { code: 'unknown-key' })), { didYouMean: { replacement: 'then', words: ['thne'] } });
    assert.deepEqual(diagnosticData(d('f', "routine 'farm' has no parameter 'pakcs' (did you mean 'packs'?)", { code: 'unknown-param' })), {
      didYouMean: { replacement: 'packs', words: ['farm', 'pakcs'] },
    });
    assert.deepEqual(diagnosticData(d('f', "call of 'need' is missing required parameters 'a', 'b'", { code: 'missing-param' })), { missingParams: { routine: 'need', params: ['a', 'b'] } });
    assert.deepEqual(diagnosticData(d('f', "routine 'need' needs parameter 'a' in routineConfig", { code: 'missing-param' })), { missingParams: { routine: 'need', params: ['a'] } });
    assert.deepEqual(diagnosticData(d('f', "unknown template 'x.y'", { code: 'unknown-template' })), { unknownTemplate: 'x.y' });
    assert.equal(diagnosticData(d('f', 'expected a number', { code: 'schema-invalid-type' })), undefined);
  });
});

describe('language/diagnosticsService', () => {
  function setup() {
    const store = new OverlayFileStore(new MemoryFileStore({}));
    const runner = new ScriptedRunner();
    const published: Array<{ uri: string; diagnostics: LspDiagnostic[]; version: number | undefined }> = [];
    const waiters: Array<() => void> = [];
    /** Resolves once `n` publications were made. */
    const publishedCount = (n: number): Promise<void> =>
      published.length >= n ? Promise.resolve() : new Promise<void>((r) => waiters.push(() => void publishedCount(n).then(r)));
    const versions = new Map<string, number>();
    const paths = new WorkspacePaths('/ws');
    const service = new DiagnosticsService({
      store,
      runner,
      paths,
      publish: (uri, diagnostics, version) => {
        published.push({ uri, diagnostics, version });
        waiters.splice(0).forEach((w) => w());
      },
      versionOf: (p) => versions.get(p),
      delayMs: 0,
      log: () => undefined,
    });
    const edit = (path: string, text: string, version: number) => {
      store.set(path, text);
      versions.set(path, version);
      service.schedule();
    };
    return { store, runner, published, publishedCount, versions, paths, service, edit };
  }

  it('drops a run that a newer edit superseded, and publishes the newer one with its version', async () => {
    const { runner, published, publishedCount, service, edit, paths } = setup();
    edit('routines/a.yaml', 'v1', 1);
    await runner.asked(1);
    edit('routines/a.yaml', 'v2', 2);
    assert.equal(runner.superseded, 1, 'the run in flight was told');
    runner.requests[0].answer([d('routines/a.yaml', 'from v1')]);
    // The second run starts only after the first ended (runs never overlap).
    await runner.asked(2);
    assert.deepEqual(runner.requests[1].req.overlays, [['routines/a.yaml', 'v2']]);
    assert.equal(published.length, 0, 'nothing from the superseded run');
    runner.requests[1].answer([d('routines/a.yaml', 'from v2')]);
    await publishedCount(1);
    assert.deepEqual(
      published.map((p) => [p.uri, p.version, p.diagnostics.map((x) => x.message)]),
      [[paths.uri('routines/a.yaml'), 2, ['from v2']]],
    );
    service.dispose();
  });

  it('publishes only what changed, and an empty list for a file whose problems are gone', async () => {
    const { runner, published, publishedCount, service, edit } = setup();
    const run = async (n: number, ds: Diagnostic[], publications: number) => {
      await runner.asked(n);
      runner.requests[n - 1].answer(ds);
      await publishedCount(publications);
    };
    edit('routines/a.yaml', 'x', 1);
    await run(1, [d('routines/b.yaml', 'b broken'), d('routines/a.yaml', 'a broken')], 2);
    edit('routines/a.yaml', 'y', 2);
    await run(2, [d('routines/b.yaml', 'b broken')], 3);
    edit('routines/a.yaml', 'z', 3);
    await run(3, [], 5);
    assert.equal(published.length, 5);
    assert.deepEqual(
      published.map((p) => [p.uri.replace('file:///ws/', ''), p.version ?? null, p.diagnostics.length]),
      [
        ['routines/b.yaml', null, 1],
        ['routines/a.yaml', 1, 1],
        ['routines/a.yaml', 2, 0],
        ['routines/b.yaml', null, 0],
        ['routines/a.yaml', 3, 0],
      ],
    );
    service.dispose();
  });
});
