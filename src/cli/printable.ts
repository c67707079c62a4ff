/**
 * Text from workspace files (group, pool, template and file names, messages quoting them) printed in the CLI's human
 * output: control characters and invisible format characters are shown as escapes, so a file cannot move the
 * cursor, clear the terminal, forge output lines or reorder what is shown. JSON output needs none of this (it
 * escapes control characters itself).
 */
import { isHiddenCodePoint } from '../orchestrator/nameChecks';

const NAMED: Readonly<Record<number, string>> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

function escapeCodePoint(cp: number): string {
  return NAMED[cp] ?? (cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`);
}

/** `s` on one line with every unsafe character shown as an escape (`\x1b`, `\n`, `\u202e`). */
export function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    out += isHiddenCodePoint(cp) ? escapeCodePoint(cp) : ch;
  }
  return out;
}

/** Like {@link printable}, but keeps the line breaks of a message the CLI composed of several lines. */
export function printableLines(s: string): string {
  return s
    .split('\n')
    .map((l) => printable(l))
    .join('\n');
}
