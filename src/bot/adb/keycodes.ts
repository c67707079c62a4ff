/**
 * Android key names and numbers for `input keyevent`. Names come from `android.view.KeyEvent` (adbkit ships the
 * table) and are accepted with or without the `KEYCODE_` prefix, in any case; numbers pass through.
 */
import { KeyCodes } from '@devicefarmer/adbkit';
import type { KeyCode } from '../device';
import { FleetError } from '../../shared/errors';

/** Thrown for a key that is neither a known name nor a non-negative integer. */
export class UnknownKeyError extends FleetError<'unknown-key'> {
  constructor(readonly key: KeyCode) {
    super('unknown-key', `unknown Android key '${String(key)}' (use a KEYCODE_* name such as BACK, HOME, ENTER, or a number)`);
    this.name = 'UnknownKeyError';
  }
}

/** The highest key code we accept as a number (Android's table ends below this; it leaves room for new keys). */
export const MAX_KEY_CODE = 1023;

let byName: Map<string, number> | undefined;

function table(): Map<string, number> {
  if (!byName) {
    byName = new Map();
    for (const [name, value] of Object.entries(KeyCodes)) {
      if (typeof value === 'number' && name.startsWith('KEYCODE_')) {
        byName.set(name.slice('KEYCODE_'.length), value);
      }
    }
  }
  return byName;
}

/**
 * The key code number for a name (`BACK`, `keycode_back`, `KEYCODE_BACK`), a numeric string (`"4"`) or a number.
 * @throws UnknownKeyError
 */
export function resolveKeyCode(key: KeyCode): number {
  if (typeof key === 'number') {
    if (Number.isInteger(key) && key >= 0 && key <= MAX_KEY_CODE) {
      return key;
    }
    throw new UnknownKeyError(key);
  }
  const s = key.trim();
  if (/^\d+$/.test(s)) {
    return resolveKeyCode(Number(s));
  }
  const upper = s.toUpperCase();
  const name = upper.startsWith('KEYCODE_') ? upper.slice('KEYCODE_'.length) : upper;
  const code = table().get(name);
  if (code === undefined) {
    throw new UnknownKeyError(key);
  }
  return code;
}

/** `KEYCODE_<NAME>` for a code number, or undefined when the table has no name for it. */
export function keyCodeName(code: number): string | undefined {
  for (const [name, value] of table()) {
    if (value === code) {
      return `KEYCODE_${name}`;
    }
  }
  return undefined;
}
