/** Parsers for the text output of device commands (`wm size`, `dumpsys window`), and argument checks. */
import type { Size } from '../../shared/geometry';

/**
 * The effective display size from `wm size`: `Override size` wins over `Physical size`.
 * @returns undefined when neither line is present.
 */
export function parseWmSize(text: string): Size | undefined {
  const physical = /Physical size:\s*(\d+)\s*x\s*(\d+)/i.exec(text);
  const override = /Override size:\s*(\d+)\s*x\s*(\d+)/i.exec(text);
  const m = override ?? physical;
  if (!m) {
    return undefined;
  }
  return { width: Number(m[1]), height: Number(m[2]) };
}

export interface FocusedWindow {
  pkg: string;
  activity?: string;
}

const PKG = '[A-Za-z][A-Za-z0-9_]*(?:\\.[A-Za-z0-9_]+)*';

/**
 * The focused app from `dumpsys window` (or `dumpsys window windows`): `mCurrentFocus=Window{... pkg/activity}`,
 * falling back to `mFocusedApp=... ActivityRecord{... pkg/.Activity ...}` when the focused window is not an app
 * window (a transition, a system dialog).
 */
export function parseFocusedWindow(text: string): FocusedWindow | undefined {
  const focus = new RegExp(`mCurrentFocus=Window\\{[^}]*?\\s(${PKG})/([^\\s}]+)\\}`).exec(text);
  if (focus) {
    return { pkg: focus[1], activity: focus[2] };
  }
  const app = new RegExp(`mFocusedApp=.*?\\s(${PKG})/([^\\s}]+)`).exec(text);
  if (app) {
    return { pkg: app[1], activity: app[2] };
  }
  return undefined;
}

/** True for a Java package name (`com.example.app`). */
export function isPackageName(s: string): boolean {
  return new RegExp(`^${PKG}$`).test(s) && s.length <= 255;
}

/** Splits `pkg/.Activity` or `pkg/full.Activity`; undefined when malformed. */
export function parseComponent(component: string): { pkg: string; activity: string } | undefined {
  const m = new RegExp(`^(${PKG})/(\\.?[A-Za-z_$][A-Za-z0-9_$]*(?:\\.[A-Za-z_$][A-Za-z0-9_$]*)*)$`).exec(component);
  return m ? { pkg: m[1], activity: m[2] } : undefined;
}

/**
 * Output lines that mean a device command failed even with exit code 0 (`am` and `input` print errors on stdout
 * and exit 0 on many Android versions).
 */
export function outputLooksFailed(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (/^(Error|Exception|Error type \d+|Fatal|java\.[\w.]+(Exception|Error))\b/i.test(t) || /: not found$|: inaccessible or not found$|Unknown command|^usage:/i.test(t)) {
      return t;
    }
  }
  return undefined;
}
