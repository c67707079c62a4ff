/**
 * How names read: a name the user picks from a list (a group, a pool, a template) must not hide characters or
 * pass for another name. These checks find control and invisible characters (zero-width, bidirectional controls),
 * letters of scripts that look alike mixed in one name (Latin `a` next to Cyrillic `а`), and two names that look the
 * same once such tricks are undone. `emulator-fleet validate` reports them as warnings (control characters in a
 * group name are an error of the definition itself).
 */

/**
 * C0 and C1 controls and DEL, the bidirectional controls (they reorder what follows them), the zero-width
 * characters, the word joiner and invisible operators, the byte-order mark and the line and paragraph separators.
 */
export function isHiddenCodePoint(cp: number): boolean {
  return (
    cp <= 0x1f ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x00ad ||
    cp === 0x061c ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x2028 && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x2069) ||
    cp === 0xfeff
  );
}

/** A control character (C0, DEL, C1). */
export function isControlCodePoint(cp: number): boolean {
  return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f);
}

/** `U+200B`. */
export function codePointLabel(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The distinct hidden code points of `s`, in order of appearance. */
export function hiddenCodePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (isHiddenCodePoint(cp) && !out.includes(cp)) {
      out.push(cp);
    }
  }
  return out;
}

/** The first control character of `s`, if any. */
export function firstControlCodePoint(s: string): number | undefined {
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (isControlCodePoint(cp)) {
      return cp;
    }
  }
  return undefined;
}

/** Scripts whose letters are easily taken for one another. */
const LOOKALIKE_SCRIPTS: ReadonlyArray<readonly [string, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
];

/** The look-alike scripts whose letters `s` mixes (two or more), or an empty list. */
export function mixedLookalikeScripts(s: string): string[] {
  const seen: string[] = [];
  for (const ch of s) {
    if (!/\p{L}/u.test(ch)) {
      continue;
    }
    const script = LOOKALIKE_SCRIPTS.find(([, re]) => re.test(ch))?.[0];
    if (script !== undefined && !seen.includes(script)) {
      seen.push(script);
    }
  }
  return seen.length > 1 ? seen : [];
}

/** Lower-case Cyrillic and Greek letters that look like a Latin letter (in either case). */
const LATIN_LOOKALIKES: Readonly<Record<string, string>> = {
  а: 'a', в: 'b', с: 'c', ԁ: 'd', е: 'e', һ: 'h', н: 'h', і: 'i', ј: 'j', к: 'k', м: 'm', о: 'o', р: 'p', ԛ: 'q', ѕ: 's', т: 't', у: 'y', х: 'x', ԝ: 'w',
  α: 'a', β: 'b', ε: 'e', η: 'h', ι: 'i', κ: 'k', μ: 'm', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ζ: 'z',
};

/**
 * What a name looks like once the tricks are undone: compatibility forms folded (full-width letters), hidden
 * characters dropped, look-alike letters mapped to Latin, case and spacing ignored. Two different names with one
 * skeleton are easily confused.
 */
export function nameSkeleton(name: string): string {
  let out = '';
  for (const ch of name.normalize('NFKC').toLowerCase()) {
    const cp = ch.codePointAt(0) ?? 0;
    if (isHiddenCodePoint(cp) || /\s/u.test(ch)) {
      continue;
    }
    out += LATIN_LOOKALIKES[ch] ?? ch;
  }
  return out;
}

/** `name` with its hidden characters shown as `<U+200B>`, for messages. */
export function visibleName(name: string): string {
  let out = '';
  for (const ch of name) {
    const cp = ch.codePointAt(0) ?? 0;
    out += isHiddenCodePoint(cp) ? `<${codePointLabel(cp)}>` : ch;
  }
  return out;
}

export interface NameLookProblem {
  code: 'hidden-characters' | 'mixed-scripts' | 'lookalike-name';
  message: string;
}

/**
 * Finds names of one kind that look alike: `add` each name in order; it answers the problem of a name that reads
 * like an earlier, different one.
 */
export class LookalikeNames {
  private readonly seen = new Map<string, { name: string; where: string }>();

  constructor(private readonly kind: string) {}

  add(name: string, where: string): NameLookProblem | undefined {
    const key = nameSkeleton(name);
    const first = this.seen.get(key);
    if (!first) {
      this.seen.set(key, { name, where });
      return undefined;
    }
    if (first.name === name) {
      return undefined;
    }
    return { code: 'lookalike-name', message: `${this.kind} name '${visibleName(name)}' looks like ${this.kind} '${visibleName(first.name)}' (${first.where})` };
  }
}

/** Problems of one name on its own: hidden characters, look-alike scripts mixed. `kind` is `group`, `pool`, ... */
export function nameLookProblems(kind: string, name: string): NameLookProblem[] {
  const out: NameLookProblem[] = [];
  const hidden = hiddenCodePoints(name);
  if (hidden.length) {
    out.push({
      code: 'hidden-characters',
      message: `${kind} name '${visibleName(name)}' contains invisible or control characters (${hidden.map(codePointLabel).join(', ')}): it may read as another name`,
    });
  }
  const scripts = mixedLookalikeScripts(name);
  if (scripts.length) {
    out.push({ code: 'mixed-scripts', message: `${kind} name '${visibleName(name)}' mixes ${scripts.join(' and ')} letters, which look alike: it may read as another name` });
  }
  return out;
}
