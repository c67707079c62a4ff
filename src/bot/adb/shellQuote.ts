/**
 * Building device shell command lines safely, and the plan for typing text.
 *
 * Every argument that comes from data (text, paths, package names) is single-quoted for the device's POSIX shell
 * (`sh -c` on Android, mksh or toybox sh): inside single quotes nothing is special except the quote itself, which
 * becomes `'\''`. Nothing we send is ever interpreted as `$()`, backticks, `;|&`, globs or redirections.
 *
 * Typing text: `input text` can only type what the device's KeyCharacterMap has keys for (printable ASCII), it
 * turns the two characters `%s` into a space (so a literal `%` cannot be typed reliably), and it cannot carry
 * newlines, tabs or NUL. So text goes one of two ways:
 * - printable ASCII without `%`: `input text '<quoted>'`, with spaces written as `%s` (the form every Android
 *   version understands; older ones split unquoted arguments on spaces);
 * - anything else (any non-ASCII code point, emoji, RTL, control characters, `%`): the text's UTF-8 bytes in
 *   base64 through `am broadcast -a ADB_INPUT_B64 --es msg <base64>`, which ADBKeyboard-style IMEs decode and
 *   commit as-is. Base64's alphabet has no shell metacharacters, so that path is injection-free by construction.
 * Long text is split into several commands (at code point boundaries) so no command line gets too long.
 */

/** Quotes one argument for a POSIX shell: `'...'`, with `'` written as `'\''`. The empty string becomes `''`. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quotes every argument and joins them with spaces. */
export function shellJoin(args: readonly (string | number)[]): string {
  return args.map((a) => (typeof a === 'number' ? String(a) : shellQuote(a))).join(' ');
}

/** The broadcast action ADBKeyboard-style IMEs listen to for base64-encoded UTF-8 text. */
export const BASE64_TEXT_ACTION = 'ADB_INPUT_B64';

export type TextInputKind = 'input-text' | 'broadcast';

export interface TextInputCommand {
  kind: TextInputKind;
  /** The shell command line to run. */
  command: string;
  /** The exact piece of the original text this command types. */
  text: string;
}

export interface TextPlanOptions {
  /** Maximum characters of text per `input text` command (default 1000). */
  maxInputChars?: number;
  /** Maximum UTF-8 bytes of text per broadcast (default 3000, i.e. 4000 base64 characters). */
  maxBroadcastBytes?: number;
}

/** True when `input text` can type `text` exactly: printable ASCII (0x20-0x7e) and no `%`. */
export function isInputTextSafe(text: string): boolean {
  return /^[\x20-\x24\x26-\x7e]*$/.test(text);
}

/** Encodes text for `input text`: spaces become `%s` (safe because the text has no `%`), then shell-quoted. */
export function inputTextArgument(text: string): string {
  return shellQuote(text.replace(/ /g, '%s'));
}

/**
 * The commands that type `text` byte-exact, in order. Empty text gives no commands. One method is chosen for the
 * whole text so a mixed string is never typed half by `input text` and half by the IME.
 */
export function planTextInput(text: string, opts: TextPlanOptions = {}): TextInputCommand[] {
  if (text.length === 0) {
    return [];
  }
  const maxChars = Math.max(1, opts.maxInputChars ?? 1000);
  const maxBytes = Math.max(4, opts.maxBroadcastBytes ?? 3000);
  const out: TextInputCommand[] = [];
  if (isInputTextSafe(text)) {
    for (let i = 0; i < text.length; i += maxChars) {
      const piece = text.slice(i, i + maxChars);
      out.push({ kind: 'input-text', command: `input text ${inputTextArgument(piece)}`, text: piece });
    }
    return out;
  }
  for (const piece of splitUtf8(text, maxBytes)) {
    const b64 = Buffer.from(piece, 'utf8').toString('base64');
    out.push({ kind: 'broadcast', command: `am broadcast -a ${BASE64_TEXT_ACTION} --es msg ${b64}`, text: piece });
  }
  return out;
}

/**
 * Splits a string into pieces of at most `maxBytes` UTF-8 bytes each, never inside a code point (a lone surrogate
 * is kept as its own code point, encoded as U+FFFD by UTF-8 like everywhere else).
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const pieces: string[] = [];
  let current = '';
  let bytes = 0;
  for (const cp of text) {
    const n = utf8Length(cp.codePointAt(0)!);
    if (bytes + n > maxBytes && current) {
      pieces.push(current);
      current = '';
      bytes = 0;
    }
    current += cp;
    bytes += n;
  }
  if (current) {
    pieces.push(current);
  }
  return pieces;
}

function utf8Length(cp: number): number {
  if (cp < 0x80) {
    return 1;
  }
  if (cp < 0x800) {
    return 2;
  }
  if (cp < 0x10000) {
    return 3;
  }
  return 4;
}
