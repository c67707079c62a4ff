/**
 * A small, strict XML reader for account files (Android SharedPreferences and simple tag files): elements,
 * attributes, text, the five predefined entities and character references, comments, CDATA, the XML declaration
 * and a DOCTYPE without internal subset. Every element knows where it starts; malformed input gives one error
 * with its position. Several top-level elements are allowed (simple tag files often have no single root).
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text content of this element (not of its children). */
  text: string;
  line: number;
  col: number;
  /** Position of the text content (the first character after the start tag). */
  textLine: number;
  textCol: number;
}

export interface XmlParseResult {
  roots: XmlElement[];
  error?: { message: string; line: number; col: number };
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const BAD_XML_CHAR = /[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** XML 1.0's Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
function isXmlChar(cp: number): boolean {
  return Number.isSafeInteger(cp) && (cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff));
}

function describeCodePoint(cp: number): string {
  if (!Number.isSafeInteger(cp) || cp > 0x10ffff) {
    return 'beyond the last Unicode character, U+10FFFF';
  }
  const u = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp === 0 ? `NUL, ${u}` : cp < 0x20 ? `a control character, ${u}` : cp >= 0xd800 && cp <= 0xdfff ? `an unpaired surrogate, ${u}` : u;
}

class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export function parseXml(text: string): XmlParseResult {
  const lineStarts = [0];
  for (let k = 0; k < text.length; k++) {
    if (text.charCodeAt(k) === 10) {
      lineStarts.push(k + 1);
    }
  }
  const pos = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return { line: lo + 1, col: offset - lineStarts[lo] + 1 };
  };

  const roots: XmlElement[] = [];
  const stack: Array<{ el: XmlElement; offset: number }> = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;

  const decode = (raw: string, base: number): string =>
    raw.replace(/&(#x[0-9A-Fa-f]+|#\d+|[A-Za-z]+);|&/g, (m, body: string | undefined, at: number) => {
      if (!body) {
        throw new XmlSyntaxError("'&' must be written &amp;", base + at);
      }
      if (body.startsWith('#')) {
        const cp = body.startsWith('#x') ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
        if (!isXmlChar(cp)) {
          throw new XmlSyntaxError(`&${body}; is not a character XML allows (${describeCodePoint(cp)})`, base + at);
        }
        return String.fromCodePoint(cp);
      }
      const e = ENTITIES[body];
      if (e === undefined) {
        throw new XmlSyntaxError(`unknown entity &${body};`, base + at);
      }
      return e;
    });

  const readName = (at: number): string | undefined => {
    NAME.lastIndex = at;
    const m = NAME.exec(text);
    return m ? m[0] : undefined;
  };

  try {
    // Characters XML 1.0 does not allow anywhere (NUL, most control characters, unpaired surrogates, U+FFFE/U+FFFF).
    const bad = BAD_XML_CHAR.exec(text);
    if (bad) {
      throw new XmlSyntaxError(`the character ${describeCodePoint(bad[0].charCodeAt(0))} is not allowed in XML`, bad.index);
    }
    while (i < n) {
      const lt = text.indexOf('<', i);
      const textEnd = lt === -1 ? n : lt;
      if (textEnd > i) {
        const raw = text.slice(i, textEnd);
        const top = stack[stack.length - 1];
        if (top) {
          top.el.text += decode(raw, i);
        } else if (raw.trim()) {
          decode(raw, i); // still reject bad entities
        }
        i = textEnd;
        if (lt === -1) {
          break;
        }
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end === -1) {
          throw new XmlSyntaxError('unterminated comment', i);
        }
        i = end + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        if (end === -1) {
          throw new XmlSyntaxError('unterminated CDATA section', i);
        }
        const top = stack[stack.length - 1];
        if (top) {
          top.el.text += text.slice(i + 9, end);
        }
        i = end + 3;
      } else if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i + 2);
        if (end === -1) {
          throw new XmlSyntaxError('unterminated processing instruction', i);
        }
        i = end + 2;
      } else if (text.startsWith('<!DOCTYPE', i)) {
        const end = text.indexOf('>', i);
        if (end === -1 || text.slice(i, end).includes('[')) {
          throw new XmlSyntaxError('unsupported or unterminated DOCTYPE', i);
        }
        i = end + 1;
      } else if (text.startsWith('</', i)) {
        const name = readName(i + 2);
        if (!name) {
          throw new XmlSyntaxError('expected an element name after </', i);
        }
        let j = i + 2 + name.length;
        while (j < n && /\s/.test(text[j])) {
          j++;
        }
        if (text[j] !== '>') {
          throw new XmlSyntaxError(`expected '>' to close </${name}`, j);
        }
        const top = stack.pop();
        if (!top) {
          throw new XmlSyntaxError(`closing tag </${name}> without an opening tag`, i);
        }
        if (top.el.name !== name) {
          const p = pos(top.offset);
          throw new XmlSyntaxError(`closing tag </${name}> does not match <${top.el.name}> (line ${p.line}, column ${p.col})`, i);
        }
        i = j + 1;
      } else {
        const name = readName(i + 1);
        if (!name) {
          throw new XmlSyntaxError("expected an element name after '<' (a '<' in text must be written &lt;)", i);
        }
        const start = i;
        let j = i + 1 + name.length;
        const attrs: Record<string, string> = {};
        let selfClosing = false;
        for (;;) {
          const ws = j;
          while (j < n && /\s/.test(text[j])) {
            j++;
          }
          if (j >= n) {
            throw new XmlSyntaxError(`unterminated start tag <${name}`, start);
          }
          if (text[j] === '>') {
            j++;
            break;
          }
          if (text.startsWith('/>', j)) {
            selfClosing = true;
            j += 2;
            break;
          }
          if (ws === j) {
            throw new XmlSyntaxError(`expected whitespace, '>' or '/>' in <${name}>`, j);
          }
          const an = readName(j);
          if (!an) {
            throw new XmlSyntaxError(`expected an attribute name in <${name}>`, j);
          }
          j += an.length;
          while (j < n && /\s/.test(text[j])) {
            j++;
          }
          if (text[j] !== '=') {
            throw new XmlSyntaxError(`expected '=' after attribute ${an}`, j);
          }
          j++;
          while (j < n && /\s/.test(text[j])) {
            j++;
          }
          const q = text[j];
          if (q !== '"' && q !== "'") {
            throw new XmlSyntaxError(`the value of attribute ${an} must be quoted`, j);
          }
          const close = text.indexOf(q, j + 1);
          if (close === -1) {
            throw new XmlSyntaxError(`unterminated value of attribute ${an}`, j);
          }
          const rawValue = text.slice(j + 1, close);
          if (rawValue.includes('<')) {
            throw new XmlSyntaxError(`'<' in the value of attribute ${an}`, j + 1 + rawValue.indexOf('<'));
          }
          if (an in attrs) {
            throw new XmlSyntaxError(`duplicate attribute ${an}`, j);
          }
          attrs[an] = decode(rawValue, j + 1);
          j = close + 1;
        }
        const p = pos(start);
        const tp = pos(j);
        const el: XmlElement = { name, attrs, children: [], text: '', line: p.line, col: p.col, textLine: tp.line, textCol: tp.col };
        const parent = stack[stack.length - 1];
        if (parent) {
          parent.el.children.push(el);
        } else {
          roots.push(el);
        }
        if (!selfClosing) {
          stack.push({ el, offset: start });
        }
        i = j;
      }
    }
    if (stack.length) {
      const top = stack[stack.length - 1];
      throw new XmlSyntaxError(`<${top.el.name}> is never closed`, top.offset);
    }
    if (!roots.length) {
      throw new XmlSyntaxError('no element found', Math.min(i, n));
    }
    return { roots };
  } catch (e) {
    if (e instanceof XmlSyntaxError) {
      return { roots, error: { message: e.message, ...pos(e.offset) } };
    }
    throw e;
  }
}

/** Depth-first search for the first element named `name` (case-insensitive). */
export function findElement(roots: readonly XmlElement[], name: string): XmlElement | undefined {
  const want = name.toLowerCase();
  for (const r of roots) {
    if (r.name.toLowerCase() === want) {
      return r;
    }
    const hit = findElement(r.children, name);
    if (hit) {
      return hit;
    }
  }
  return undefined;
}

export function escapeXmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
