/**
 * The device account file: an Android SharedPreferences XML that the game reads at start
 * (`DEMO_ACCOUNT_FILE` for the demo game). The pool builds it for every lease (`AccountLease.deviceFile`); the
 * interpreter pushes it and verifies it by pulling it back and parsing it here.
 *
 * ```xml
 * <?xml version='1.0' encoding='utf-8' standalone='yes' ?>
 * <map>
 *     <string name="deviceAccount">a1b2c3</string>
 *     <string name="devicePassword">secret</string>
 *     <string name="name">Ash</string>
 *     <boolean name="premium" value="true" />
 *     <int name="packsOpened" value="12" />
 *     <int name="hourglasses" value="3" />
 *     <int name="wonderPicks" value="1" />
 * </map>
 * ```
 */
import type { Diagnostic } from '../../shared/geometry';
import { escapeXmlText, parseXml, type XmlElement } from './xmlLite';

export type PrefValue = string | number | boolean | string[] | null;

/** One `<type name="...">` entry of a SharedPreferences map, with its position. */
export interface PrefEntry {
  name: string;
  value: PrefValue;
  line: number;
  col: number;
}

export interface DeviceAccountFile {
  deviceAccount: string;
  devicePassword: string;
  name?: string;
  premium?: boolean;
  packsOpened?: number;
  hourglasses?: number;
  wonderPicks?: number;
  /** Every entry of the file by name (including the ones above). */
  entries: Record<string, PrefValue>;
}

/** What buildDeviceFile needs: an account row's fields. */
export interface DeviceAccountSource {
  id: string;
  password: string;
  name?: string | null;
  premium?: boolean;
  packs_opened?: number;
  hourglasses?: number;
  wonder_picks_done?: number;
}

/** The SharedPreferences XML for an account, exactly as Android writes it. */
export function buildDeviceFile(a: DeviceAccountSource): string {
  const lines = [`<?xml version='1.0' encoding='utf-8' standalone='yes' ?>`, '<map>'];
  const str = (k: string, v: string) => lines.push(`    <string name="${k}">${escapeXmlText(v)}</string>`);
  const int = (k: string, v: number) => lines.push(`    <int name="${k}" value="${Math.trunc(v)}" />`);
  str('deviceAccount', a.id);
  str('devicePassword', a.password);
  if (a.name) {
    str('name', a.name);
  }
  lines.push(`    <boolean name="premium" value="${a.premium ? 'true' : 'false'}" />`);
  int('packsOpened', a.packs_opened ?? 0);
  int('hourglasses', a.hourglasses ?? 0);
  int('wonderPicks', a.wonder_picks_done ?? 0);
  lines.push('</map>', '');
  return lines.join('\n');
}

/** Reads the entries of a `<map>` element; problems are reported as located diagnostics. */
export function readSharedPrefs(map: XmlElement, file: string, diagnostics: Diagnostic[]): PrefEntry[] {
  const out: PrefEntry[] = [];
  const err = (el: XmlElement, message: string) => diagnostics.push({ file, line: el.line, col: el.col, severity: 'error', message, code: 'bad-pref' });
  for (const el of map.children) {
    const name = el.attrs.name;
    if (name === undefined) {
      err(el, `<${el.name}> has no name attribute`);
      continue;
    }
    let value: PrefValue;
    switch (el.name) {
      case 'string':
        value = el.text;
        break;
      case 'int':
      case 'long': {
        const v = el.attrs.value;
        if (v === undefined || !/^-?\d+$/.test(v.trim())) {
          err(el, `<${el.name} name="${name}"> needs a whole-number value attribute`);
          continue;
        }
        value = Number(v);
        break;
      }
      case 'float':
      case 'double': {
        const v = el.attrs.value;
        if (v === undefined || v.trim() === '' || !Number.isFinite(Number(v))) {
          err(el, `<${el.name} name="${name}"> needs a numeric value attribute`);
          continue;
        }
        value = Number(v);
        break;
      }
      case 'boolean': {
        const v = el.attrs.value;
        if (v !== 'true' && v !== 'false') {
          err(el, `<boolean name="${name}"> needs value="true" or value="false"`);
          continue;
        }
        value = v === 'true';
        break;
      }
      case 'set':
        value = el.children.filter((c) => c.name === 'string').map((c) => c.text);
        break;
      case 'null':
        value = null;
        break;
      default:
        err(el, `unknown SharedPreferences entry type <${el.name}>`);
        continue;
    }
    out.push({ name, value, line: el.line, col: el.col });
  }
  return out;
}

/** Parses a device account file (for verification after a pull); `value` is set when it is usable. */
export function parseDeviceFile(text: string, file = 'deviceAccount.xml'): { value?: DeviceAccountFile; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const x = parseXml(text);
  if (x.error) {
    return { diagnostics: [{ file, line: x.error.line, col: x.error.col, severity: 'error', message: x.error.message, code: 'xml-syntax' }] };
  }
  const map = x.roots.find((r) => r.name === 'map');
  if (!map) {
    const r = x.roots[0];
    return { diagnostics: [{ file, line: r.line, col: r.col, severity: 'error', message: 'expected a SharedPreferences <map> element', code: 'no-map' }] };
  }
  const entries: Record<string, PrefValue> = {};
  for (const e of readSharedPrefs(map, file, diagnostics)) {
    entries[e.name] = e.value;
  }
  const account = entries.deviceAccount;
  const password = entries.devicePassword;
  if (typeof account !== 'string' || !account.trim()) {
    diagnostics.push({ file, line: map.line, col: map.col, severity: 'error', message: 'missing <string name="deviceAccount">', code: 'missing-account' });
  }
  if (typeof password !== 'string' || !password) {
    diagnostics.push({ file, line: map.line, col: map.col, severity: 'error', message: 'missing <string name="devicePassword">', code: 'missing-password' });
  }
  if (diagnostics.some((d) => d.severity === 'error')) {
    return { diagnostics };
  }
  const num = (k: string) => (typeof entries[k] === 'number' ? (entries[k] as number) : undefined);
  return {
    value: {
      deviceAccount: (account as string).trim(),
      devicePassword: password as string,
      name: typeof entries.name === 'string' ? entries.name : undefined,
      premium: typeof entries.premium === 'boolean' ? entries.premium : undefined,
      packsOpened: num('packsOpened'),
      hourglasses: num('hourglasses'),
      wonderPicks: num('wonderPicks'),
      entries,
    },
    diagnostics,
  };
}
