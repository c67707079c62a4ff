/**
 * The vision bench's native OpenCV reference: when Debian's python3-opencv is missing, the bench must say why and
 * print the command that installs it, instead of silently printing no ratio. Fake interpreters make each case
 * deterministic on any machine.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkNativeOpenCv } from '../../../bench/vision';

describe('(unit) vision bench: finding the native OpenCV reference', () => {
  let dir: string;
  const fake = (name: string, script: string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${script}\n`);
    chmodSync(p, 0o755);
    return p;
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ef-native-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the OpenCV version when the interpreter imports cv2', () => {
    assert.deepEqual(checkNativeOpenCv(fake('ok', 'echo 4.6.0')), { ok: true, version: '4.6.0' });
  });

  it('says the module is missing and how to install it', () => {
    const python = fake('nocv', `echo "Traceback (most recent call last):" >&2; echo "ModuleNotFoundError: No module named 'cv2'" >&2; exit 1`);
    const s = checkNativeOpenCv(python);
    assert.equal(s.ok, false);
    assert.ok(!s.ok && /cannot import OpenCV \(ModuleNotFoundError: No module named 'cv2'\)/.test(s.reason), JSON.stringify(s));
    assert.ok(!s.ok && s.install.includes('apt-get install -y python3-opencv'));
  });

  it('says when the interpreter itself is missing', () => {
    const s = checkNativeOpenCv(path.join(dir, 'no-such-python'));
    assert.ok(!s.ok && /does not exist/.test(s.reason) && s.install.includes('python3-opencv'), JSON.stringify(s));
  });
});
