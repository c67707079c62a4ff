/**
 * Messages for zod issues that a person can act on: zod's defaults ("Invalid input: expected string, received
 * undefined") become "missing required key 'name' (expected a string)" or "expected an integer, got NaN (.nan)".
 * Messages a schema wrote itself are kept. Used by every YAML loader (routines, templates, groups, pools).
 */
import type { z } from 'zod';

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  bigint: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  record: 'a map',
  map: 'a map',
  null: 'null',
  date: 'a date',
  literal: 'a fixed value',
};

/** A value as read from YAML, for messages. */
function describeValue(v: unknown): string {
  if (v === undefined) {
    return 'nothing';
  }
  if (typeof v === 'number' && Number.isNaN(v)) {
    return 'NaN (.nan)';
  }
  if (typeof v === 'string') {
    return `'${v.length > 40 ? `${v.slice(0, 37)}...` : v}'`;
  }
  if (Array.isArray(v)) {
    return 'a list';
  }
  if (v !== null && typeof v === 'object') {
    return 'a map';
  }
  return String(v);
}

/** How `expected` reads: `a string`, `an integer`, `a list`. */
function typeWord(expected: unknown): string {
  return typeof expected === 'string' ? (TYPE_WORDS[expected] ?? `a ${expected}`) : 'a value';
}

/** Alternatives of a union whose branches failed on their type: `a string or a number`. */
function unionWords(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'invalid_union') {
    return undefined;
  }
  const words = new Set<string>();
  for (const branch of issue.errors) {
    const first = branch[0];
    if (!first || first.path.length > 0) {
      return undefined;
    }
    if (first.code === 'invalid_type') {
      words.add(typeWord(first.expected));
    } else if (first.code === 'invalid_value') {
      first.values.forEach((v) => words.add(JSON.stringify(v)));
    } else {
      return undefined;
    }
  }
  const list = [...words];
  return list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}` : list[0];
}

/**
 * The message of one issue. `where` is the path as shown (`launchOptions.stagger`), `present` whether the value
 * exists in the document, `value` the value when it does (for "got ...").
 */
export function zodIssueMessage(issue: z.core.$ZodIssue, where: string, present: boolean, value: unknown): string {
  const path = issue.path;
  const key = path.length ? String(path[path.length - 1]) : undefined;
  const parent = path.length > 1 ? path.slice(0, -1).map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : undefined;
  const isDefault = /^(Invalid input|Invalid option|Too small|Too big|Invalid)\b/.test(issue.message);
  if (!isDefault) {
    return `${where}: ${issue.message}`;
  }
  const alternatives = unionWords(issue);
  const expected =
    issue.code === 'invalid_type'
      ? typeWord(issue.expected)
      : issue.code === 'invalid_value'
        ? `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
        : alternatives;
  if (!present && key !== undefined && typeof path[path.length - 1] === 'string') {
    return `missing required key '${key}'${parent ? ` in ${parent}` : ''}${expected ? ` (expected ${expected})` : ''}`;
  }
  if (expected) {
    return `${where}: expected ${expected}, got ${describeValue(value)}`;
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const small = issue.code === 'too_small';
    const bound = small ? issue.minimum : issue.maximum;
    const inclusive = issue.inclusive !== false;
    const op = small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
    const what = issue.origin === 'array' ? `a list with ${op} ${String(bound)} items` : issue.origin === 'string' ? `text of length ${op} ${String(bound)}` : `a number ${op} ${String(bound)}`;
    return `${where}: expected ${what}, got ${describeValue(value)}`;
  }
  return `${where}: invalid value ${describeValue(value)}`;
}
