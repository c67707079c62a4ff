/**
 * Android SharedPreferences XML (`<map><string name="k">v</string><int name="n" value="1" />...</map>`): a strict
 * little parser that reports malformed input as a value (never throws), and a writer that keeps every entry it did
 * not change byte for byte, so unknown entries survive a write-back.
 */

export type PrefValue =
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'int' | 'long' | 'float'; value: number }
  | { type: 'set'; value: string[] }
  | { type: 'null' };

export interface PrefEntry {
  readonly name: string;
  readonly value: PrefValue;
  /** The entry's original text, reused verbatim when it is written back unchanged. */
  readonly raw?: string;
}

/** Why a SharedPreferences file was rejected; `offset` is 0-based, `line`/`col` 1-based. */
export interface SharedPrefsProblem {
  code: 'malformed-xml';
  message: string;
  offset: number;
  line: number;
  col: number;
}

export type ParseResult = { ok: true; prefs: SharedPrefs } | { ok: false; problem: SharedPrefsProblem };

/** An ordered set of preference entries. Mutations keep the order (new names go last). */
export class SharedPrefs {
  private readonly entries: PrefEntry[];

  constructor(entries: readonly PrefEntry[] = []) {
    this.entries = [...entries];
  }

  all(): readonly PrefEntry[] {
    return this.entries;
  }

  get(name: string): PrefValue | undefined {
    return this.entries.find((e) => e.name === name)?.value;
  }

  getString(name: string): string | undefined {
    const v = this.get(name);
    return v?.type === 'string' ? v.value : undefined;
  }

  getBoolean(name: string): boolean | undefined {
    const v = this.get(name);
    return v?.type === 'boolean' ? v.value : undefined;
  }

  /** An `int` or `long` entry's value. */
  getInt(name: string): number | undefined {
    const v = this.get(name);
    return v?.type === 'int' || v?.type === 'long' ? v.value : undefined;
  }

  set(name: string, value: PrefValue): void {
    const i = this.entries.findIndex((e) => e.name === name);
    if (i >= 0) {
      if (!samePrefValue(this.entries[i].value, value)) {
        this.entries[i] = { name, value };
      }
    } else {
      this.entries.push({ name, value });
    }
  }

  clone(): SharedPrefs {
    return new SharedPrefs(this.entries);
  }
}

function samePrefValue(a: PrefValue, b: PrefValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const HEADER = "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n";

/** The file text Android would write: unchanged entries verbatim, changed or new ones regenerated. */
export function serializeSharedPrefs(prefs: SharedPrefs): string {
  const entries = prefs.all();
  if (entries.length === 0) {
    return `${HEADER}<map />\n`;
  }
  return `${HEADER}<map>\n${entries.map((e) => `    ${e.raw ?? entryXml(e)}\n`).join('')}</map>\n`;
}

function entryXml(e: PrefEntry): string {
  const name = escapeXml(e.name);
  const v = e.value;
  switch (v.type) {
    case 'string':
      return `<string name="${name}">${escapeXml(v.value)}</string>`;
    case 'boolean':
      return `<boolean name="${name}" value="${v.value}" />`;
    case 'int':
    case 'long':
    case 'float':
      return `<${v.type} name="${name}" value="${v.value}" />`;
    case 'set':
      return v.value.length === 0 ? `<set name="${name}" />` : `<set name="${name}">\n${v.value.map((s) => `        <string>${escapeXml(s)}</string>\n`).join('')}    </set>`;
    case 'null':
      return `<null name="${name}" />`;
  }
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

class ParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const NAME_RE = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const INT_RE = /^-?\d+$/;
const FLOAT_RE = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-?(Infinity|NaN)$/;

/** Parses a SharedPreferences file. Anything Android's parser would reject is a `malformed-xml` problem. */
export function parseSharedPrefs(text: string): ParseResult {
  try {
    return { ok: true, prefs: new Parser(text).parse() };
  } catch (e) {
    if (e instanceof ParseError) {
      const before = text.slice(0, e.offset);
      const line = before.split('\n').length;
      const col = e.offset - (before.lastIndexOf('\n') + 1) + 1;
      return { ok: false, problem: { code: 'malformed-xml', message: e.message, offset: e.offset, line, col } };
    }
    throw e;
  }
}

class Parser {
  private i = 0;

  constructor(private readonly s: string) {
    if (s.startsWith('\uFEFF')) {
      this.i = 1;
    }
  }

  parse(): SharedPrefs {
    this.skipMisc(true);
    this.expect('<map', 'expected <map> as the root element');
    this.attributes();
    const entries: PrefEntry[] = [];
    if (this.eat('/>')) {
      this.finish();
      return new SharedPrefs(entries);
    }
    this.expect('>', 'expected > to close <map');
    for (;;) {
      this.skipMisc(false);
      if (this.i >= this.s.length) {
        this.fail('unexpected end of file: <map> is not closed');
      }
      if (this.eat('</map')) {
        this.skipWs();
        this.expect('>', 'expected > to close </map');
        break;
      }
      if (this.s[this.i] !== '<') {
        this.fail('unexpected text inside <map>');
      }
      const entry = this.entry();
      if (entries.some((e) => e.name === entry.name)) {
        this.fail(`duplicate entry "${entry.name}"`, this.i);
      }
      entries.push(entry);
    }
    this.finish();
    return new SharedPrefs(entries);
  }

  private entry(): PrefEntry {
    const start = this.i;
    this.i++; // '<'
    const tag = this.name('expected an element name');
    const attrs = this.attributes();
    const selfClosing = this.eat('/>');
    if (!selfClosing) {
      this.expect('>', `expected > to close <${tag}`);
    }
    const name = attrs.get('name');
    if (name === undefined) {
      this.fail(`<${tag}> has no name attribute`, start);
    }
    let value: PrefValue;
    switch (tag) {
      case 'string': {
        const content = selfClosing ? '' : this.textUntilClose('string');
        value = { type: 'string', value: content };
        break;
      }
      case 'boolean': {
        const v = attrs.get('value');
        if (v !== 'true' && v !== 'false') {
          this.fail(`<boolean name="${name}"> needs value="true" or value="false"`, start);
        }
        value = { type: 'boolean', value: v === 'true' };
        this.closeEmpty(tag, selfClosing);
        break;
      }
      case 'int':
      case 'long':
      case 'float': {
        const v = attrs.get('value') ?? '';
        if (!(tag === 'float' ? FLOAT_RE : INT_RE).test(v)) {
          this.fail(`<${tag} name="${name}"> has an invalid value "${v}"`, start);
        }
        const n = Number(v);
        if (tag === 'int' && (n < -2147483648 || n > 2147483647)) {
          this.fail(`<int name="${name}"> is out of range`, start);
        }
        value = { type: tag, value: n };
        this.closeEmpty(tag, selfClosing);
        break;
      }
      case 'set': {
        const items: string[] = [];
        if (!selfClosing) {
          for (;;) {
            this.skipMisc(false);
            if (this.eat('</set')) {
              this.skipWs();
              this.expect('>', 'expected > to close </set');
              break;
            }
            if (!this.eat('<string')) {
              this.fail('a <set> may only hold <string> elements');
            }
            this.attributes();
            items.push(this.eat('/>') ? '' : (this.expect('>', 'expected > to close <string'), this.textUntilClose('string')));
          }
        }
        value = { type: 'set', value: items };
        break;
      }
      case 'null':
        value = { type: 'null' };
        this.closeEmpty(tag, selfClosing);
        break;
      default:
        this.fail(`unknown element <${tag}>`, start);
    }
    return { name, value, raw: this.s.slice(start, this.i) };
  }

  private closeEmpty(tag: string, selfClosing: boolean): void {
    if (selfClosing) {
      return;
    }
    this.skipWs();
    if (!this.eat(`</${tag}`)) {
      this.fail(`expected </${tag}>`);
    }
    this.skipWs();
    this.expect('>', `expected > to close </${tag}`);
  }

  private textUntilClose(tag: string): string {
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) {
        this.fail(`unexpected end of file inside <${tag}>`);
      }
      if (this.eat('<![CDATA[')) {
        const end = this.s.indexOf(']]>', this.i);
        if (end < 0) {
          this.fail('unterminated CDATA section');
        }
        out += this.s.slice(this.i, end);
        this.i = end + 3;
        continue;
      }
      if (this.eat('<!--')) {
        this.skipComment();
        continue;
      }
      if (this.eat(`</${tag}`)) {
        this.skipWs();
        this.expect('>', `expected > to close </${tag}`);
        return out;
      }
      const ch = this.s[this.i];
      if (ch === '<') {
        this.fail(`unexpected markup inside <${tag}>`);
      }
      if (ch === '&') {
        out += this.entity();
        continue;
      }
      out += ch;
      this.i++;
    }
  }

  private entity(): string {
    const end = this.s.indexOf(';', this.i);
    if (end < 0 || end - this.i > 12) {
      this.fail('bad character reference: expected &name;');
    }
    const body = this.s.slice(this.i + 1, end);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    let ch: string | undefined = named[body];
    if (ch === undefined && /^#\d+$/.test(body)) {
      ch = safeCodePoint(Number(body.slice(1)));
    } else if (ch === undefined && /^#x[0-9a-fA-F]+$/.test(body)) {
      ch = safeCodePoint(parseInt(body.slice(2), 16));
    }
    if (ch === undefined) {
      this.fail(`unknown entity &${body};`);
    }
    this.i = end + 1;
    return ch;
  }

  private attributes(): Map<string, string> {
    const attrs = new Map<string, string>();
    for (;;) {
      const hadWs = this.skipWs();
      const c = this.s[this.i];
      if (c === '>' || c === '/' || c === '?' || c === undefined) {
        return attrs;
      }
      if (!hadWs) {
        this.fail('expected whitespace before an attribute');
      }
      const key = this.name('expected an attribute name');
      this.skipWs();
      this.expect('=', `expected = after attribute ${key}`);
      this.skipWs();
      const q = this.s[this.i];
      if (q !== '"' && q !== "'") {
        this.fail(`the value of attribute ${key} must be quoted`);
      }
      this.i++;
      let v = '';
      for (;;) {
        const ch = this.s[this.i];
        if (ch === undefined) {
          this.fail('unterminated attribute value');
        }
        if (ch === q) {
          this.i++;
          break;
        }
        if (ch === '<') {
          this.fail('< is not allowed in an attribute value');
        }
        if (ch === '&') {
          v += this.entity();
        } else {
          v += ch;
          this.i++;
        }
      }
      if (attrs.has(key)) {
        this.fail(`duplicate attribute ${key}`);
      }
      attrs.set(key, v);
    }
  }

  private name(message: string): string {
    NAME_RE.lastIndex = this.i;
    const m = NAME_RE.exec(this.s);
    if (!m) {
      this.fail(message);
    }
    this.i += m[0].length;
    return m[0];
  }

  /** Skips whitespace, comments and (at the prologue) the XML declaration and a doctype. */
  private skipMisc(prologue: boolean): void {
    for (;;) {
      this.skipWs();
      if (this.eat('<!--')) {
        this.skipComment();
      } else if (prologue && this.eat('<?')) {
        const end = this.s.indexOf('?>', this.i);
        if (end < 0) {
          this.fail('unterminated <? ... ?> declaration');
        }
        this.i = end + 2;
      } else if (prologue && this.eat('<!DOCTYPE')) {
        const end = this.s.indexOf('>', this.i);
        if (end < 0) {
          this.fail('unterminated <!DOCTYPE');
        }
        this.i = end + 1;
      } else {
        return;
      }
    }
  }

  private skipComment(): void {
    const end = this.s.indexOf('-->', this.i);
    if (end < 0) {
      this.fail('unterminated comment');
    }
    this.i = end + 3;
  }

  private finish(): void {
    this.skipMisc(false);
    if (this.i < this.s.length) {
      this.fail('unexpected content after </map>');
    }
  }

  private skipWs(): boolean {
    const start = this.i;
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i])) {
      this.i++;
    }
    return this.i > start;
  }

  private eat(lit: string): boolean {
    if (this.s.startsWith(lit, this.i)) {
      this.i += lit.length;
      return true;
    }
    return false;
  }

  private expect(lit: string, message: string): void {
    if (!this.eat(lit)) {
      this.fail(message);
    }
  }

  private fail(message: string, at = this.i): never {
    throw new ParseError(message, Math.min(at, this.s.length));
  }
}

function safeCodePoint(n: number): string | undefined {
  return Number.isInteger(n) && n > 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : undefined;
}
