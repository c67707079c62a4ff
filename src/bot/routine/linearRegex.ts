/**
 * Regular expressions for `var ... matches:`, matched in time linear in the text (a Thompson NFA run as a Pike
 * VM), so no pattern can block the event loop the way a backtracking engine does on `^(a+)+$` against
 * `aaaaaaaaaaaaaaaaaaaaaaaaaaaa!` (the whole fleet shares one thread).
 *
 * The syntax is JavaScript's without the features that need backtracking: literals and escapes (`\d \w \s \D \W
 * \S \b \B \t \n \r \f \v \0 \xHH \uHHHH`, `\.` and other escaped punctuation), `.`, classes `[a-z_]` / `[^...]`,
 * groups `(...)`, `(?:...)`, `(?<name>...)`, alternation `|`, quantifiers `* + ? {n} {n,} {n,m}` (lazy forms
 * accepted: a test has one answer), anchors `^ $`. Backreferences and lookaround are refused with a clear message.
 * Matching is unanchored, case-sensitive, on UTF-16 code units, like `RegExp.prototype.test` without flags.
 */
import { FleetError } from '../../shared/errors';

/** A pattern that cannot be compiled; `index` is the offset in the pattern. */
export class PatternError extends FleetError<'invalid-pattern'> {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super('invalid-pattern', message);
    this.name = 'PatternError';
  }
}

/** Most instructions a compiled pattern may have (counted repetition is expanded). */
export const MAX_PROGRAM_SIZE = 4000;

/** Most steps (text length × program size) one test may take, about a tenth of a second. */
export const MAX_MATCH_WORK = 20_000_000;

type CharTest = (c: number) => boolean;

type Node =
  | { t: 'char'; test: CharTest }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; options: Node[] }
  | { t: 'repeat'; node: Node; min: number; max: number }
  | { t: 'assert'; kind: 'bol' | 'eol' | 'word' | 'nonword' }
  | { t: 'empty' };

type Inst =
  | { op: 'char'; test: CharTest }
  | { op: 'split'; a: number; b: number }
  | { op: 'jmp'; to: number }
  | { op: 'assert'; kind: 'bol' | 'eol' | 'word' | 'nonword' }
  | { op: 'match' };

const isDigit: CharTest = (c) => c >= 48 && c <= 57;
const isWord: CharTest = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const SPACES = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff]);
const isSpace: CharTest = (c) => SPACES.has(c) || (c >= 0x2000 && c <= 0x200a);
const isLineEnd: CharTest = (c) => c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
const not =
  (f: CharTest): CharTest =>
  (c) =>
    !f(c);

class Parser {
  private i = 0;

  constructor(private readonly src: string) {}

  parse(): Node {
    const n = this.alternation();
    if (this.i < this.src.length) {
      // Only an unmatched ')' stops the top-level alternation early.
      throw new PatternError("unmatched ')'", this.i);
    }
    return n;
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0] : { t: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return items.length === 1 ? items[0] : items.length === 0 ? { t: 'empty' } : { t: 'seq', items };
  }

  private quantified(atom: Node): Node {
    const at = this.i;
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') {
      [min, max] = [0, Infinity];
      this.i++;
    } else if (c === '+') {
      [min, max] = [1, Infinity];
      this.i++;
    } else if (c === '?') {
      [min, max] = [0, 1];
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) {
        return atom; // a literal '{', as JavaScript reads it
      }
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) {
        throw new PatternError('numbers out of order in {} quantifier', at);
      }
      if (min > 1000 || (max !== Infinity && max > 1000)) {
        throw new PatternError('a {} quantifier above 1000 is not supported', at);
      }
      this.i += m[0].length;
    } else {
      return atom;
    }
    if (atom.t === 'assert') {
      throw new PatternError('nothing to repeat', at);
    }
    if (this.peek() === '?') {
      this.i++; // lazy: the same answer for a yes/no test
    }
    const next = this.peek();
    if (next === '*' || next === '+' || next === '?' || (next === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i)))) {
      throw new PatternError('nothing to repeat', this.i);
    }
    return atom.t === 'empty' ? atom : { t: 'repeat', node: atom, min, max };
  }

  private atom(): Node {
    const at = this.i;
    const c = this.src[this.i++];
    switch (c) {
      case '.':
        return { t: 'char', test: not(isLineEnd) };
      case '^':
        return { t: 'assert', kind: 'bol' };
      case '$':
        return { t: 'assert', kind: 'eol' };
      case '(':
        return this.group(at);
      case '[':
        return { t: 'char', test: this.charClass(at) };
      case '\\':
        return this.escape(at, false);
      case '*':
      case '+':
      case '?':
        throw new PatternError('nothing to repeat', at);
      default: {
        const code = c.charCodeAt(0);
        return { t: 'char', test: (x) => x === code };
      }
    }
  }

  private group(at: number): Node {
    if (this.src.startsWith('?', this.i)) {
      const rest = this.src.slice(this.i);
      if (rest.startsWith('?:')) {
        this.i += 2;
      } else if (rest.startsWith('?=') || rest.startsWith('?!')) {
        throw new PatternError('lookahead (?= or ?!) is not supported: patterns are matched in linear time', at);
      } else if (rest.startsWith('?<=') || rest.startsWith('?<!')) {
        throw new PatternError('lookbehind (?<= or ?<!) is not supported: patterns are matched in linear time', at);
      } else {
        const m = /^\?<([A-Za-z_$][A-Za-z0-9_$]*)>/.exec(rest);
        if (!m) {
          throw new PatternError('invalid group', at);
        }
        this.i += m[0].length;
      }
    }
    const inner = this.alternation();
    if (this.peek() !== ')') {
      throw new PatternError("unterminated group: missing ')'", at);
    }
    this.i++;
    return inner;
  }

  /** An escape after `\`; `inClass` reads `\b` as backspace and refuses assertions. */
  private escape(at: number, inClass: boolean): { t: 'char'; test: CharTest; code?: number } | { t: 'assert'; kind: 'word' | 'nonword' } {
    const c = this.src[this.i++];
    if (c === undefined) {
      throw new PatternError('\\ at end of pattern', at);
    }
    const lit = (code: number) => ({ t: 'char' as const, test: (x: number) => x === code, code });
    switch (c) {
      case 'd':
        return { t: 'char', test: isDigit };
      case 'D':
        return { t: 'char', test: not(isDigit) };
      case 'w':
        return { t: 'char', test: isWord };
      case 'W':
        return { t: 'char', test: not(isWord) };
      case 's':
        return { t: 'char', test: isSpace };
      case 'S':
        return { t: 'char', test: not(isSpace) };
      case 'b':
        return inClass ? lit(8) : { t: 'assert', kind: 'word' };
      case 'B':
        if (inClass) {
          throw new PatternError('invalid escape \\B in a class', at);
        }
        return { t: 'assert', kind: 'nonword' };
      case 't':
        return lit(9);
      case 'n':
        return lit(10);
      case 'v':
        return lit(11);
      case 'f':
        return lit(12);
      case 'r':
        return lit(13);
      case '0':
        if (/[0-9]/.test(this.src[this.i] ?? '')) {
          throw new PatternError('octal escapes are not supported', at);
        }
        return lit(0);
      case 'x': {
        const m = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.i));
        if (!m) {
          return lit('x'.charCodeAt(0));
        }
        this.i += 2;
        return lit(parseInt(m[0], 16));
      }
      case 'u': {
        const m = /^[0-9a-fA-F]{4}/.exec(this.src.slice(this.i));
        if (!m) {
          return lit('u'.charCodeAt(0));
        }
        this.i += 4;
        return lit(parseInt(m[0], 16));
      }
      case 'k':
        if (this.src[this.i] === '<') {
          throw new PatternError('backreferences (\\k<name>) are not supported: patterns are matched in linear time', at);
        }
        return lit('k'.charCodeAt(0));
      default:
        if (/[1-9]/.test(c)) {
          throw new PatternError(`backreferences (\\${c}) are not supported: patterns are matched in linear time`, at);
        }
        if (/[A-Za-z]/.test(c)) {
          throw new PatternError(`unknown escape \\${c}`, at);
        }
        return lit(c.charCodeAt(0));
    }
  }

  private charClass(at: number): CharTest {
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.i++;
    }
    const parts: CharTest[] = [];
    let first = true;
    for (;;) {
      if (this.i >= this.src.length) {
        throw new PatternError("unterminated character class: missing ']'", at);
      }
      if (this.peek() === ']' && !first) {
        this.i++;
        break;
      }
      if (this.peek() === ']' && first) {
        // `[]` matches nothing and `[^]` anything, as in JavaScript.
        this.i++;
        const none: CharTest = () => false;
        return negate ? not(none) : none;
      }
      first = false;
      const lo = this.classAtom(at);
      if (this.peek() === '-' && this.src[this.i + 1] !== undefined && this.src[this.i + 1] !== ']') {
        this.i++;
        const hi = this.classAtom(at);
        if (typeof lo !== 'number' || typeof hi !== 'number') {
          throw new PatternError('a class range needs single characters on both sides', at);
        }
        if (hi < lo) {
          throw new PatternError('range out of order in character class', at);
        }
        parts.push((c) => c >= lo && c <= hi);
      } else {
        parts.push(typeof lo === 'number' ? (c) => c === lo : lo);
      }
    }
    const any: CharTest = (c) => parts.some((p) => p(c));
    return negate ? not(any) : any;
  }

  /** One member of a class: a code unit, or a set (`\d`). */
  private classAtom(at: number): number | CharTest {
    const c = this.src[this.i++];
    if (c !== '\\') {
      return c.charCodeAt(0);
    }
    const e = this.escape(at, true);
    if (e.t !== 'char') {
      throw new PatternError('invalid escape in a character class', at);
    }
    // A single-character escape is a number, so that it can bound a range.
    if (e.code !== undefined) {
      return e.code;
    }
    return e.test;
  }
}

class Compiler {
  readonly prog: Inst[] = [];

  emit(i: Inst): number {
    if (this.prog.length >= MAX_PROGRAM_SIZE) {
      throw new PatternError(`the pattern is too large (more than ${MAX_PROGRAM_SIZE} steps once repetitions are expanded)`, 0);
    }
    this.prog.push(i);
    return this.prog.length - 1;
  }

  compile(n: Node): void {
    switch (n.t) {
      case 'char':
        this.emit({ op: 'char', test: n.test });
        return;
      case 'assert':
        this.emit({ op: 'assert', kind: n.kind });
        return;
      case 'empty':
        return;
      case 'seq':
        n.items.forEach((x) => this.compile(x));
        return;
      case 'alt': {
        const jumps: number[] = [];
        for (let k = 0; k < n.options.length; k++) {
          if (k < n.options.length - 1) {
            const split = this.emit({ op: 'split', a: 0, b: 0 });
            (this.prog[split] as { a: number }).a = this.prog.length;
            this.compile(n.options[k]);
            jumps.push(this.emit({ op: 'jmp', to: 0 }));
            (this.prog[split] as { b: number }).b = this.prog.length;
          } else {
            this.compile(n.options[k]);
          }
        }
        for (const j of jumps) {
          (this.prog[j] as { to: number }).to = this.prog.length;
        }
        return;
      }
      case 'repeat': {
        for (let k = 0; k < n.min; k++) {
          this.compile(n.node);
        }
        if (n.max === Infinity) {
          const split = this.emit({ op: 'split', a: 0, b: 0 });
          (this.prog[split] as { a: number }).a = this.prog.length;
          this.compile(n.node);
          this.emit({ op: 'jmp', to: split });
          (this.prog[split] as { b: number }).b = this.prog.length;
        } else {
          const splits: number[] = [];
          for (let k = n.min; k < n.max; k++) {
            const split = this.emit({ op: 'split', a: 0, b: 0 });
            (this.prog[split] as { a: number }).a = this.prog.length;
            splits.push(split);
            this.compile(n.node);
          }
          for (const s of splits) {
            (this.prog[s] as { b: number }).b = this.prog.length;
          }
        }
        return;
      }
    }
  }
}

/** A compiled pattern. */
export class LinearRegex {
  private readonly prog: Inst[];

  constructor(readonly source: string) {
    const c = new Compiler();
    c.compile(new Parser(source).parse());
    c.emit({ op: 'match' });
    this.prog = c.prog;
  }

  /** True when the pattern matches somewhere in `text` (like `RegExp.prototype.test`). */
  test(text: string): boolean {
    const prog = this.prog;
    const n = text.length;
    if ((n + 1) * prog.length > MAX_MATCH_WORK) {
      throw new PatternError(`the text (${n} characters) is too long to match against this pattern`, 0);
    }
    let clist = new Int32Array(prog.length);
    let nlist = new Int32Array(prog.length);
    let ccount = 0;
    let ncount = 0;
    const mark = new Int32Array(prog.length).fill(-1);
    const stack = new Int32Array(prog.length * 2 + 2);
    const word = (i: number) => i >= 0 && i < n && isWord(text.charCodeAt(i));
    /** Adds the thread at `pc` and everything reachable by epsilon moves at position `i` (no recursion). */
    const add = (list: Int32Array, count: number, pc0: number, i: number, gen: number): { count: number; matched: boolean } => {
      let sp = 0;
      stack[sp++] = pc0;
      let matched = false;
      while (sp > 0) {
        const pc = stack[--sp];
        if (mark[pc] === gen) {
          continue;
        }
        mark[pc] = gen;
        const ins = prog[pc];
        switch (ins.op) {
          case 'jmp':
            stack[sp++] = ins.to;
            break;
          case 'split':
            stack[sp++] = ins.b;
            stack[sp++] = ins.a;
            break;
          case 'assert': {
            const ok =
              ins.kind === 'bol' ? i === 0 : ins.kind === 'eol' ? i === n : ins.kind === 'word' ? word(i - 1) !== word(i) : word(i - 1) === word(i);
            if (ok) {
              stack[sp++] = pc + 1;
            }
            break;
          }
          case 'match':
            matched = true;
            break;
          case 'char':
            list[count++] = pc;
            break;
        }
      }
      return { count, matched };
    };
    for (let i = 0; i <= n; i++) {
      // Unanchored: a new thread starts at every position.
      const r = add(clist, ccount, 0, i, i);
      ccount = r.count;
      if (r.matched) {
        return true;
      }
      if (i === n) {
        break;
      }
      const ch = text.charCodeAt(i);
      ncount = 0;
      for (let k = 0; k < ccount; k++) {
        const pc = clist[k];
        const ins = prog[pc] as { op: 'char'; test: CharTest };
        if (ins.test(ch)) {
          const r2 = add(nlist, ncount, pc + 1, i + 1, i + 1);
          ncount = r2.count;
          if (r2.matched) {
            return true;
          }
        }
      }
      [clist, nlist] = [nlist, clist];
      ccount = ncount;
    }
    return false;
  }
}

const cache = new Map<string, LinearRegex | PatternError>();

/** The compiled pattern (cached); throws {@link PatternError} when it cannot be compiled. */
export function compilePattern(source: string): LinearRegex {
  let r = cache.get(source);
  if (r === undefined) {
    try {
      r = new LinearRegex(source);
    } catch (e) {
      if (!(e instanceof PatternError)) {
        throw e;
      }
      r = e;
    }
    if (cache.size >= 500) {
      cache.clear();
    }
    cache.set(source, r);
  }
  if (r instanceof PatternError) {
    throw r;
  }
  return r;
}
