/**
 * The `${var}` syntax of routine strings: what the loader checks statically and what the interpreter
 * substitutes at run time (so both agree on one grammar).
 *
 * - `${name}` is replaced by the variable's value; `name` is `[A-Za-z_][A-Za-z0-9_]*`.
 * - `$${` is a literal `${` (no substitution). Any other `$` is literal.
 * - A string that is exactly one `${name}` keeps the variable's type (a number stays a number); otherwise the
 *   values are converted to text and concatenated.
 * - `${` without a closing `}`, an empty `${}` or a name with other characters is an error.
 */

export const VARIABLE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One reference to a variable inside a string; offsets are into the string (end exclusive). */
export interface VariableRef {
  name: string;
  start: number;
  end: number;
}

export type InterpolationPart = string | VariableRef;

export interface InterpolationError {
  message: string;
  /** Offset of the problem inside the string. */
  index: number;
}

export type InterpolationParse = { ok: true; parts: InterpolationPart[] } | { ok: false; error: InterpolationError };

/** True when the string has a `${...}` reference (or a malformed one): it is a template, not a literal. */
export function hasInterpolation(s: string): boolean {
  if (!s.includes('${')) {
    return false;
  }
  const r = parseInterpolation(s);
  return !r.ok || r.parts.some((p) => typeof p !== 'string');
}

/** Splits a string into literal text and variable references, or reports the first syntax error. */
export function parseInterpolation(s: string): InterpolationParse {
  const parts: InterpolationPart[] = [];
  let lit = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '$' && s[i + 1] === '$' && s[i + 2] === '{') {
      lit += '${';
      i += 3;
      continue;
    }
    if (c === '$' && s[i + 1] === '{') {
      const close = s.indexOf('}', i + 2);
      if (close === -1) {
        return { ok: false, error: { message: "unclosed '${' (write '$${' for a literal '${')", index: i } };
      }
      const name = s.slice(i + 2, close).trim();
      if (name === '') {
        return { ok: false, error: { message: "empty variable name in '${}'", index: i } };
      }
      if (!NAME_RE.test(name)) {
        return { ok: false, error: { message: `invalid variable name '${name}' in '\${...}' (letters, digits and _ only, not starting with a digit)`, index: i } };
      }
      if (lit) {
        parts.push(lit);
        lit = '';
      }
      parts.push({ name, start: i, end: close + 1 });
      i = close + 1;
      continue;
    }
    lit += c;
    i++;
  }
  if (lit || parts.length === 0) {
    parts.push(lit);
  }
  return { ok: true, parts };
}

/** Names of the variables a string refers to (in order, without duplicates); [] when its syntax is bad. */
export function referencedVariables(s: string): string[] {
  const r = parseInterpolation(s);
  if (!r.ok) {
    return [];
  }
  const names: string[] = [];
  for (const p of r.parts) {
    if (typeof p !== 'string' && !names.includes(p.name)) {
      names.push(p.name);
    }
  }
  return names;
}

/** The variable name when the string is exactly one `${name}` (its value then keeps its type). */
export function wholeVariable(s: string): string | undefined {
  const r = parseInterpolation(s);
  if (r.ok && r.parts.length === 1 && typeof r.parts[0] !== 'string') {
    return r.parts[0].name;
  }
  return undefined;
}

/**
 * Substitutes variables. `lookup` returns undefined for a missing variable, which makes the whole call
 * return `{ ok: false, missing }` so the caller can raise a located error.
 */
export function interpolateWith(
  s: string,
  lookup: (name: string) => unknown,
): { ok: true; value: unknown } | { ok: false; missing: string[]; error?: InterpolationError } {
  const r = parseInterpolation(s);
  if (!r.ok) {
    return { ok: false, missing: [], error: r.error };
  }
  const missing: string[] = [];
  const values = r.parts.map((p) => {
    if (typeof p === 'string') {
      return p;
    }
    const v = lookup(p.name);
    if (v === undefined) {
      missing.push(p.name);
    }
    return v;
  });
  if (missing.length) {
    return { ok: false, missing };
  }
  if (values.length === 1 && typeof r.parts[0] !== 'string') {
    return { ok: true, value: values[0] };
  }
  return { ok: true, value: values.map((v) => (typeof v === 'string' ? v : v === null ? '' : String(v))).join('') };
}
