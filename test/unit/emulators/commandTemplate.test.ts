import { strict as assert } from 'node:assert';
import { expandCommand, fillPlaceholders, splitCommandLine, TemplateError, validateTemplate } from '../../../src/orchestrator/emulators/commandTemplate';

describe('(unit) command templates', () => {
  it('splits on whitespace', () => {
    assert.deepEqual(splitCommandLine('MuMuManager.exe control -v {index} launch'), ['MuMuManager.exe', 'control', '-v', '{index}', 'launch']);
    assert.deepEqual(splitCommandLine('  a \t b\n c  '), ['a', 'b', 'c']);
  });

  it('groups quoted text and keeps Windows backslashes', () => {
    assert.deepEqual(splitCommandLine('"C:\\Program Files\\MuMu\\MuMuManager.exe" control -v {index}'), ['C:\\Program Files\\MuMu\\MuMuManager.exe', 'control', '-v', '{index}']);
    assert.deepEqual(splitCommandLine("'/opt/my emu/bin/emu' --name='A B'"), ['/opt/my emu/bin/emu', '--name=A B']);
    assert.deepEqual(splitCommandLine('\\\\server\\share\\tool.exe x'), ['\\\\server\\share\\tool.exe', 'x']);
  });

  it('handles escaped quotes, mixed quotes and empty arguments', () => {
    assert.deepEqual(splitCommandLine('echo "say \\"hi\\"" \'it\\\'s\''), ['echo', 'say "hi"', "it's"]);
    assert.deepEqual(splitCommandLine('tool "" \'\' x'), ['tool', '', '', 'x']);
    assert.deepEqual(splitCommandLine('a"b c"d'), ['ab cd']);
    assert.deepEqual(splitCommandLine('x \\"y'), ['x', '"y']);
  });

  it('reports unterminated quotes with their column', () => {
    assert.throws(() => splitCommandLine('run "oops'), (e: unknown) => e instanceof TemplateError && e.code === 'unterminated-quote' && e.column === 5);
    assert.throws(() => splitCommandLine("x 'y"), (e: unknown) => e instanceof TemplateError && e.code === 'unterminated-quote');
  });

  it('rejects templates with no program', () => {
    assert.throws(() => splitCommandLine('   '), (e: unknown) => e instanceof TemplateError && e.code === 'empty-command');
    assert.throws(() => splitCommandLine('"" x'), (e: unknown) => e instanceof TemplateError && e.code === 'empty-command');
  });

  it('fills placeholders per argument, never splitting a value', () => {
    const r = expandCommand('emu --serial {serial} --port={port} -v {index} {{literal}}', { index: 3, port: 16480, serial: '127.0.0.1:16480; rm -rf /' });
    assert.equal(r.file, 'emu');
    assert.deepEqual(r.args, ['--serial', '127.0.0.1:16480; rm -rf /', '--port=16480', '-v', '3', '{literal}']);
    assert.equal(fillPlaceholders('{host}:{port}', { host: 'h', port: 1 }), 'h:1');
  });

  it('rejects unknown or missing placeholders and stray braces', () => {
    assert.throws(() => fillPlaceholders('{name}', {}), (e: unknown) => e instanceof TemplateError && e.code === 'unknown-placeholder');
    assert.throws(() => fillPlaceholders('{port}', {}), (e: unknown) => e instanceof TemplateError && e.code === 'missing-value');
    assert.throws(() => fillPlaceholders('{index', { index: 1 }), (e: unknown) => e instanceof TemplateError && e.code === 'unbalanced-brace');
    assert.throws(() => fillPlaceholders('x}', {}), (e: unknown) => e instanceof TemplateError && e.code === 'unbalanced-brace');
    assert.doesNotThrow(() => validateTemplate('ldconsole.exe launch --index {index}'));
    assert.throws(() => validateTemplate('x {bogus}'), TemplateError);
  });
});
