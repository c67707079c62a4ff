/**
 * Turns a schema snippet body (`defaultSnippets[].body`, JSON whose strings may hold placeholders such as
 * `${1:template}` or `${2|a,b|}`) into YAML snippet text in the project's style: small maps and lists of
 * plain values in flow style (`{ x: 270, y: 480 }`), anything larger in block style.
 */

const PLACEHOLDER = /\$\{\d+(?::[^}]*)?\}|\$\{\d+\|[^|]*\|\}|\$\d+/g;

/** The text a snippet string shows before the user edits it (placeholders replaced by their defaults). */
function expanded(s: string): string {
  return s.replace(PLACEHOLDER, (m) => {
    const choice = /^\$\{\d+\|([^,|]*)/.exec(m);
    if (choice) {
      return choice[1];
    }
    const def = /^\$\{\d+:([^}]*)\}$/.exec(m);
    return def ? def[1] : '';
  });
}

/** Escapes snippet syntax in literal text (outside placeholders). */
function escapeLiteral(s: string): string {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(PLACEHOLDER)) {
    out += s.slice(last, m.index).replace(/[$}\\]/g, '\\$&') + m[0];
    last = (m.index ?? 0) + m[0].length;
  }
  return out + s.slice(last).replace(/[$}\\]/g, '\\$&');
}

const RESERVED = /^(?:true|false|yes|no|on|off|null|~|-?\d[\d_.eE+-]*|0x[0-9a-fA-F]+|\.inf|\.nan)$/i;

/** True when a plain YAML scalar cannot hold this text (in flow context when `flow`). */
export function needsQuotes(text: string, flow: boolean): boolean {
  if (text === '' || text !== text.trim() || RESERVED.test(text)) {
    return true;
  }
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(text) || /: |\s#|:$/.test(text)) {
    return true;
  }
  return flow && /[,[\]{}]/.test(text);
}

function scalar(v: unknown, flow: boolean): string {
  if (typeof v === 'string') {
    const shown = expanded(v);
    if (v === '') {
      return '""';
    }
    // An empty placeholder (`${1}`) is quoted, so the value is a string while the user has not typed yet.
    return needsQuotes(shown, flow) ? `"${escapeLiteral(v.replace(/"/g, '\\"'))}"` : escapeLiteral(v);
  }
  if (v === null || v === undefined) {
    return 'null';
  }
  return String(v);
}

function isScalarValue(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

/** Flow text of a value when it is small and flat enough to read on one line (lists of maps never are). */
function flowText(v: unknown): string | undefined {
  if (isScalarValue(v)) {
    return scalar(v, true);
  }
  if (Array.isArray(v)) {
    if (!v.every(isScalarValue)) {
      return undefined;
    }
    const s = `[${v.map((x) => ` ${scalar(x, true)}`).join(',')} ]`;
    return v.length === 0 ? '[]' : s.length <= 60 ? s : undefined;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) {
    return '{}';
  }
  const parts: string[] = [];
  for (const [k, x] of entries) {
    const f = flowText(x);
    if (f === undefined) {
      return undefined;
    }
    parts.push(`${scalar(k, true)}: ${f}`);
  }
  const s = `{ ${parts.join(', ')} }`;
  return s.length <= 60 ? s : undefined;
}

/** Block lines of a map or list; every line but the first (written at the cursor) starts with `indent` spaces. */
function blockLines(v: unknown, indent: number, first: boolean): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  const start = (i: number) => (first && i === 0 ? '' : pad);
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const f = flowText(item);
      if (f !== undefined && (isScalarValue(item) || Array.isArray(item))) {
        lines.push(`${start(i)}- ${f}`);
      } else {
        const inner = blockLines(item, indent + 2, true);
        lines.push(`${start(i)}- ${inner[0]}`, ...inner.slice(1));
      }
    });
    return lines;
  }
  Object.entries(v as Record<string, unknown>).forEach(([k, x], i) => {
    const key = scalar(k, false);
    const f = flowText(x);
    if (f !== undefined) {
      lines.push(`${start(i)}${key}: ${f}`);
      return;
    }
    lines.push(`${start(i)}${key}:`, ...blockLines(x, indent + 2, false));
  });
  return lines;
}

/**
 * Snippet text for a body written where a map's keys go (`at: 'key'`: the body's keys become keys of the map
 * at the cursor) or where a value goes (`at: 'value'`, after `key: `). `column` is the cursor's column (keys)
 * or the owning key's column (values), so continuation lines line up.
 */
export function snippetText(body: unknown, at: 'key' | 'value', column: number): string {
  if (isScalarValue(body)) {
    return scalar(body, false);
  }
  if (at === 'key') {
    return blockLines(body, column, true).join('\n');
  }
  const f = flowText(body);
  if (f !== undefined) {
    return f;
  }
  return `\n${blockLines(body, column + 2, false).join('\n')}`;
}
