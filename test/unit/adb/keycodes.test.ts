import { strict as assert } from 'node:assert';
import { keyCodeName, resolveKeyCode, UnknownKeyError } from '../../../src/bot/adb/keycodes';

describe('(unit) key codes', () => {
  it('resolves names with or without the KEYCODE_ prefix, in any case', () => {
    assert.equal(resolveKeyCode('BACK'), 4);
    assert.equal(resolveKeyCode('KEYCODE_BACK'), 4);
    assert.equal(resolveKeyCode('keycode_home'), 3);
    assert.equal(resolveKeyCode('home'), 3);
    assert.equal(resolveKeyCode('ENTER'), 66);
    assert.equal(resolveKeyCode('APP_SWITCH'), 187);
    assert.equal(resolveKeyCode('KEYCODE_0'), 7);
    assert.equal(resolveKeyCode(' DEL '), 67);
  });

  it('passes numbers and numeric strings through', () => {
    assert.equal(resolveKeyCode(4), 4);
    assert.equal(resolveKeyCode('66'), 66);
    assert.equal(resolveKeyCode(0), 0);
  });

  for (const bad of ['NOPE', 'KEYCODE_', '', '-1', 'BACK; reboot', -1, 1.5, Number.NaN, 5000]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => resolveKeyCode(bad as string | number), (e: unknown) => e instanceof UnknownKeyError && e.code === 'unknown-key');
    });
  }

  it('names codes', () => {
    assert.equal(keyCodeName(4), 'KEYCODE_BACK');
    assert.equal(keyCodeName(99999), undefined);
  });
});
