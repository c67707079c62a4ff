/**
 * A POSIX-ish command-line parser for the virtual device's shell (the subset Android's mksh users rely on):
 * single and double quotes, backslash escapes, `$NAME`/`${NAME}`/`$?`, `$(...)` and backquote substitution,
 * `;` `&` newline, `&&` `||`, pipes `|`, `!`, `NAME=value` prefixes and redirections (`>`, `>>`, `<`, `2>&1`, ...).
 * No globbing, no control structures, no here-documents.
 */
import { FleetError } from '../shared/errors';

export type WordPart =
  | { kind: 'text'; text: string; quoted: boolean }
  | { kind: 'param'; name: string; quoted: boolean }
  | { kind: 'subst'; script: Script; quoted: boolean };

export interface Word {
  parts: WordPart[];
}

export type RedirectOp = '>' | '>>' | '<' | '>&' | '<&';

export interface Redirect {
  fd: number;
  op: RedirectOp;
  target: Word;
}

export interface SimpleCommand {
  assigns: { name: string; value: Word }[];
  words: Word[];
  redirects: Redirect[];
}

export interface Pipeline {
  bang: boolean;
  commands: SimpleCommand[];
}

export interface AndOrList {
  first: Pipeline;
  rest: { op: '&&' | '||'; pipeline: Pipeline }[];
  /** Ended with `&` (the virtual shell still runs it in the foreground). */
  background: boolean;
}

export type Script = AndOrList[];

export class ShellSyntaxError extends FleetError<'shell-syntax'> {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super('shell-syntax', message);
    this.name = 'ShellSyntaxError';
  }
}

type Token =
  | { t: 'word'; word: Word; at: number }
  | { t: 'op'; op: ';' | '&' | '&&' | '||' | '|' | '\n'; at: number }
  | { t: 'redir'; fd: number | undefined; op: RedirectOp; at: number }
  | { t: 'close'; at: number }
  | { t: 'eof'; at: number };

const META = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const SPECIAL_PARAMS = new Set(['?', '$', '#', '@', '*', '!', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** Parses a whole command line. Throws ShellSyntaxError with a mksh-like message. */
export function parseScript(text: string): Script {
  const p = new Parser(text, 0, false);
  const script = p.parseList();
  return script;
}

class Parser {
  private pos: number;
  private peeked: Token | undefined;

  constructor(
    private readonly src: string,
    start: number,
    /** Inside `$(...)`: an unmatched `)` ends the script. */
    private readonly inSubst: boolean,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.peeked ? this.peeked.at : this.pos;
  }

  parseList(): Script {
    const out: Script = [];
    for (;;) {
      let tok = this.peek();
      while (tok.t === 'op' && (tok.op === ';' || tok.op === '\n')) {
        if (tok.op === ';' && out.length === 0) {
          throw new ShellSyntaxError(`syntax error: ';' unexpected`, tok.at);
        }
        this.next();
        tok = this.peek();
      }
      if (tok.t === 'eof') {
        if (this.inSubst) {
          throw new ShellSyntaxError(`syntax error: missing ')'`, tok.at);
        }
        return out;
      }
      if (tok.t === 'close') {
        if (!this.inSubst) {
          throw new ShellSyntaxError(`syntax error: ')' unexpected`, tok.at);
        }
        this.next();
        return out;
      }
      const list = this.parseAndOr();
      const sep = this.peek();
      if (sep.t === 'op' && (sep.op === ';' || sep.op === '&' || sep.op === '\n')) {
        this.next();
        list.background = sep.op === '&';
      } else if (sep.t !== 'eof' && sep.t !== 'close') {
        throw new ShellSyntaxError(`syntax error: '${describe(sep)}' unexpected`, sep.at);
      }
      out.push(list);
    }
  }

  private parseAndOr(): AndOrList {
    const first = this.parsePipeline();
    const rest: AndOrList['rest'] = [];
    for (;;) {
      const tok = this.peek();
      if (tok.t === 'op' && (tok.op === '&&' || tok.op === '||')) {
        this.next();
        this.skipNewlines();
        rest.push({ op: tok.op, pipeline: this.parsePipeline() });
      } else {
        return { first, rest, background: false };
      }
    }
  }

  private parsePipeline(): Pipeline {
    let bang = false;
    let tok = this.peek();
    if (tok.t === 'word' && tok.word.parts.length === 1 && tok.word.parts[0].kind === 'text' && !tok.word.parts[0].quoted && tok.word.parts[0].text === '!') {
      bang = true;
      this.next();
      tok = this.peek();
    }
    const commands = [this.parseCommand()];
    for (;;) {
      tok = this.peek();
      if (tok.t === 'op' && tok.op === '|') {
        this.next();
        this.skipNewlines();
        commands.push(this.parseCommand());
      } else {
        return { bang, commands };
      }
    }
  }

  private parseCommand(): SimpleCommand {
    const cmd: SimpleCommand = { assigns: [], words: [], redirects: [] };
    for (;;) {
      const tok = this.peek();
      if (tok.t === 'word') {
        this.next();
        const assign = cmd.words.length === 0 ? asAssignment(tok.word) : undefined;
        if (assign) {
          cmd.assigns.push(assign);
        } else {
          cmd.words.push(tok.word);
        }
      } else if (tok.t === 'redir') {
        this.next();
        const target = this.next();
        if (target.t !== 'word') {
          throw new ShellSyntaxError(`syntax error: '${describe(target)}' unexpected`, target.at);
        }
        cmd.redirects.push({ fd: tok.fd ?? (tok.op === '<' || tok.op === '<&' ? 0 : 1), op: tok.op, target: target.word });
      } else {
        break;
      }
    }
    if (cmd.words.length === 0 && cmd.assigns.length === 0 && cmd.redirects.length === 0) {
      const tok = this.peek();
      throw new ShellSyntaxError(`syntax error: '${describe(tok)}' unexpected`, tok.at);
    }
    return cmd;
  }

  private skipNewlines(): void {
    for (let tok = this.peek(); tok.t === 'op' && tok.op === '\n'; tok = this.peek()) {
      this.next();
    }
  }

  private peek(): Token {
    if (!this.peeked) {
      this.peeked = this.lex();
    }
    return this.peeked;
  }

  private next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  private lex(): Token {
    const s = this.src;
    // Blanks, comments and line continuations.
    for (;;) {
      const c = s[this.pos];
      if (c === ' ' || c === '\t') {
        this.pos++;
      } else if (c === '\\' && s[this.pos + 1] === '\n') {
        this.pos += 2;
      } else if (c === '#') {
        while (this.pos < s.length && s[this.pos] !== '\n') {
          this.pos++;
        }
      } else {
        break;
      }
    }
    const at = this.pos;
    if (at >= s.length) {
      return { t: 'eof', at };
    }
    const c = s[at];
    const c2 = s[at + 1];
    if (c === '\n') {
      this.pos++;
      return { t: 'op', op: '\n', at };
    }
    if (c === ';') {
      if (c2 === ';') {
        throw new ShellSyntaxError(`syntax error: ';;' unexpected`, at);
      }
      this.pos++;
      return { t: 'op', op: ';', at };
    }
    if (c === '&') {
      this.pos += c2 === '&' ? 2 : 1;
      return { t: 'op', op: c2 === '&' ? '&&' : '&', at };
    }
    if (c === '|') {
      this.pos += c2 === '|' ? 2 : 1;
      return { t: 'op', op: c2 === '|' ? '||' : '|', at };
    }
    if (c === '<' || c === '>') {
      return this.lexRedirect(undefined, at);
    }
    if (c === ')') {
      this.pos++;
      return { t: 'close', at };
    }
    if (c === '(') {
      throw new ShellSyntaxError(`syntax error: '(' unexpected`, at);
    }
    const word = this.lexWord();
    // `2>file`: a word of digits directly followed by a redirection operator is the fd.
    const only = word.parts.length === 1 ? word.parts[0] : undefined;
    if (only && only.kind === 'text' && !only.quoted && /^\d+$/.test(only.text) && (s[this.pos] === '<' || s[this.pos] === '>')) {
      return this.lexRedirect(Number(only.text), at);
    }
    return { t: 'word', word, at };
  }

  private lexRedirect(fd: number | undefined, at: number): Token {
    const s = this.src;
    const c = s[this.pos];
    const c2 = s[this.pos + 1];
    if (c === '>') {
      if (c2 === '>') {
        this.pos += 2;
        return { t: 'redir', fd, op: '>>', at };
      }
      if (c2 === '&') {
        this.pos += 2;
        return { t: 'redir', fd, op: '>&', at };
      }
      this.pos += c2 === '|' ? 2 : 1;
      return { t: 'redir', fd, op: '>', at };
    }
    if (c2 === '<') {
      throw new ShellSyntaxError('here-documents are not supported', this.pos);
    }
    if (c2 === '&') {
      this.pos += 2;
      return { t: 'redir', fd, op: '<&', at };
    }
    if (c2 === '>') {
      throw new ShellSyntaxError(`syntax error: '<>' unsupported`, this.pos);
    }
    this.pos += 1;
    return { t: 'redir', fd, op: '<', at };
  }

  private lexWord(): Word {
    const s = this.src;
    const parts: WordPart[] = [];
    const pushText = (text: string, quoted: boolean): void => {
      const last = parts[parts.length - 1];
      if (last && last.kind === 'text' && last.quoted === quoted) {
        last.text += text;
      } else {
        parts.push({ kind: 'text', text, quoted });
      }
    };
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (META.has(c)) {
        break;
      }
      if (c === '\\') {
        const n = s[this.pos + 1];
        if (n === undefined) {
          pushText('\\', false);
          this.pos++;
        } else if (n === '\n') {
          this.pos += 2;
        } else {
          pushText(n, true);
          this.pos += 2;
        }
      } else if (c === "'") {
        const end = s.indexOf("'", this.pos + 1);
        if (end < 0) {
          throw new ShellSyntaxError('no closing quote', this.pos);
        }
        pushText(s.slice(this.pos + 1, end), true);
        this.pos = end + 1;
      } else if (c === '"') {
        this.pos++;
        let sawEnd = false;
        pushText('', true);
        while (this.pos < s.length) {
          const d = s[this.pos];
          if (d === '"') {
            this.pos++;
            sawEnd = true;
            break;
          }
          if (d === '\\') {
            const n = s[this.pos + 1];
            if (n === '$' || n === '`' || n === '"' || n === '\\') {
              pushText(n, true);
              this.pos += 2;
            } else if (n === '\n') {
              this.pos += 2;
            } else {
              pushText('\\', true);
              this.pos++;
            }
          } else if (d === '$') {
            this.lexDollar(parts, true, pushText);
          } else if (d === '`') {
            parts.push({ kind: 'subst', script: this.lexBackquote(), quoted: true });
          } else {
            pushText(d, true);
            this.pos++;
          }
        }
        if (!sawEnd) {
          throw new ShellSyntaxError('no closing quote', this.pos);
        }
      } else if (c === '$') {
        this.lexDollar(parts, false, pushText);
      } else if (c === '`') {
        parts.push({ kind: 'subst', script: this.lexBackquote(), quoted: false });
      } else {
        pushText(c, false);
        this.pos++;
      }
    }
    return { parts };
  }

  private lexDollar(parts: WordPart[], quoted: boolean, pushText: (t: string, q: boolean) => void): void {
    const s = this.src;
    const n = s[this.pos + 1];
    if (n === '(') {
      if (s[this.pos + 2] === '(') {
        throw new ShellSyntaxError('arithmetic expansion is not supported', this.pos);
      }
      const inner = new Parser(s, this.pos + 2, true);
      const script = inner.parseList();
      this.pos = inner.offset;
      parts.push({ kind: 'subst', script, quoted });
      return;
    }
    if (n === '{') {
      const end = s.indexOf('}', this.pos + 2);
      const name = end < 0 ? '' : s.slice(this.pos + 2, end);
      if (end < 0 || !(/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || SPECIAL_PARAMS.has(name))) {
        throw new ShellSyntaxError(`\${${end < 0 ? s.slice(this.pos + 2) : name}}: bad substitution`, this.pos);
      }
      parts.push({ kind: 'param', name, quoted });
      this.pos = end + 1;
      return;
    }
    if (n !== undefined && SPECIAL_PARAMS.has(n)) {
      parts.push({ kind: 'param', name: n, quoted });
      this.pos += 2;
      return;
    }
    if (n !== undefined && NAME_START.test(n)) {
      let end = this.pos + 2;
      while (end < s.length && NAME_CHAR.test(s[end])) {
        end++;
      }
      parts.push({ kind: 'param', name: s.slice(this.pos + 1, end), quoted });
      this.pos = end;
      return;
    }
    pushText('$', quoted);
    this.pos++;
  }

  /** Backquoted command substitution: `\` escapes `$`, backquote and backslash inside. */
  private lexBackquote(): Script {
    const s = this.src;
    let inner = '';
    let i = this.pos + 1;
    for (;;) {
      if (i >= s.length) {
        throw new ShellSyntaxError('no closing quote', this.pos);
      }
      const d = s[i];
      if (d === '`') {
        break;
      }
      if (d === '\\' && (s[i + 1] === '$' || s[i + 1] === '`' || s[i + 1] === '\\')) {
        inner += s[i + 1];
        i += 2;
      } else {
        inner += d;
        i++;
      }
    }
    this.pos = i + 1;
    return parseScript(inner);
  }
}

function describe(tok: Token): string {
  switch (tok.t) {
    case 'op':
      return tok.op === '\n' ? 'newline' : tok.op;
    case 'redir':
      return tok.op;
    case 'close':
      return ')';
    case 'eof':
      return 'end of file';
    case 'word':
      return 'word';
  }
}

function asAssignment(word: Word): { name: string; value: Word } | undefined {
  const first = word.parts[0];
  if (!first || first.kind !== 'text' || first.quoted) {
    return undefined;
  }
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text);
  if (!m) {
    return undefined;
  }
  const restText = first.text.slice(m[0].length);
  const parts: WordPart[] = restText ? [{ kind: 'text', text: restText, quoted: false }, ...word.parts.slice(1)] : word.parts.slice(1);
  return { name: m[1], value: { parts } };
}

// ---- expansion ----

/** Runs a command substitution and returns its standard output. */
export type SubstRunner = (script: Script) => Promise<string>;

/**
 * Expands words into fields: parameters from `env` (unset = empty), command substitutions through `runSubst`,
 * field splitting of unquoted expansions on blanks. No pathname expansion.
 */
export async function expandWords(words: readonly Word[], env: Readonly<Record<string, string>>, runSubst?: SubstRunner): Promise<string[]> {
  const fields: string[] = [];
  for (const w of words) {
    fields.push(...(await expandWord(w, env, runSubst, true)));
  }
  return fields;
}

/** Expands one word to a single string (no field splitting), as for an assignment or a redirection target. */
export async function expandWordToString(word: Word, env: Readonly<Record<string, string>>, runSubst?: SubstRunner): Promise<string> {
  return (await expandWord(word, env, runSubst, false)).join(' ');
}

async function expandWord(word: Word, env: Readonly<Record<string, string>>, runSubst: SubstRunner | undefined, split: boolean): Promise<string[]> {
  const fields: string[] = [];
  let cur = '';
  let has = false;
  for (const part of word.parts) {
    if (part.kind === 'text') {
      cur += part.text;
      has = has || part.quoted || part.text.length > 0;
      continue;
    }
    let value: string;
    if (part.kind === 'param') {
      value = env[part.name] ?? '';
    } else {
      if (!runSubst) {
        throw new ShellSyntaxError('command substitution is not available here', 0);
      }
      value = (await runSubst(part.script)).replace(/\n+$/, '');
    }
    if (part.quoted || !split) {
      cur += value;
      has = true;
      continue;
    }
    const segs = value.split(/[ \t\n]+/);
    segs.forEach((seg, i) => {
      if (i > 0 && has) {
        fields.push(cur);
        cur = '';
        has = false;
      }
      if (seg) {
        cur += seg;
        has = true;
      }
    });
  }
  if (has) {
    fields.push(cur);
  }
  return fields;
}

/**
 * Splits one simple command line into its argument words (quotes removed, parameters from `env`). Throws
 * ShellSyntaxError for operators, substitutions or syntax errors. Handy for tests and for commands given as text.
 */
export async function splitWords(text: string, env: Readonly<Record<string, string>> = {}): Promise<string[]> {
  const script = parseScript(text);
  if (script.length === 0) {
    return [];
  }
  if (script.length > 1 || script[0].rest.length > 0 || script[0].first.commands.length > 1) {
    throw new ShellSyntaxError('not a simple command', 0);
  }
  const cmd = script[0].first.commands[0];
  return expandWords([...cmd.assigns.map((a) => ({ parts: [{ kind: 'text' as const, text: `${a.name}=`, quoted: false }, ...a.value.parts] })), ...cmd.words], env);
}

/** Quotes a string so that the shell passes it through as one literal word. */
export function quoteWord(s: string): string {
  if (s.length > 0 && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) {
    return s;
  }
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
