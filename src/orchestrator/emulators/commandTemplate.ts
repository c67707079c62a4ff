/**
 * Launch / stop command templates (`"C:\Program Files\MuMu\MuMuManager.exe" control -v {index} launch`): split into
 * an argv once, then placeholders are filled per argument, and the program runs without a shell. A value put into a
 * placeholder can therefore never add arguments or be interpreted.
 *
 * Splitting rules (the same on every platform):
 * - unquoted whitespace separates arguments;
 * - `"..."` and `'...'` group text, quotes are removed; both may sit inside a word (`--name="My Phone"`);
 * - a backslash escapes a following quote (`\"`, `\'`) and nothing else, so Windows paths keep their backslashes;
 * - `""` or `''` makes an empty argument.
 * Placeholders: `{index}`, `{port}`, `{serial}`, `{host}`; `{{` and `}}` are literal braces.
 */
import { FleetError } from '../../shared/errors';

export type TemplateErrorCode = 'unterminated-quote' | 'empty-command' | 'unknown-placeholder' | 'missing-value' | 'unbalanced-brace';

export class TemplateError extends FleetError<TemplateErrorCode> {
  constructor(
    code: TemplateErrorCode,
    message: string,
    /** 1-based column in the template. */
    readonly column?: number,
  ) {
    super(code, column !== undefined ? `${message} (column ${column})` : message);
    this.name = 'TemplateError';
  }
}

export const PLACEHOLDERS = ['index', 'port', 'serial', 'host'] as const;
export type PlaceholderName = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Partial<Record<PlaceholderName, string | number>>;

/** Splits a command template into argv. @throws TemplateError */
export function splitCommandLine(template: string): string[] {
  const args: string[] = [];
  let cur: string | undefined;
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (/\s/.test(c)) {
      if (cur !== undefined) {
        args.push(cur);
        cur = undefined;
      }
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i;
      let acc = '';
      i++;
      for (;;) {
        if (i >= template.length) {
          throw new TemplateError('unterminated-quote', `unterminated ${c === '"' ? 'double' : 'single'} quote`, start + 1);
        }
        const d = template[i];
        if (d === '\\' && (template[i + 1] === '"' || template[i + 1] === "'")) {
          acc += template[i + 1];
          i += 2;
          continue;
        }
        if (d === c) {
          i++;
          break;
        }
        acc += d;
        i++;
      }
      cur = (cur ?? '') + acc;
      continue;
    }
    if (c === '\\' && (template[i + 1] === '"' || template[i + 1] === "'")) {
      cur = (cur ?? '') + template[i + 1];
      i += 2;
      continue;
    }
    cur = (cur ?? '') + c;
    i++;
  }
  if (cur !== undefined) {
    args.push(cur);
  }
  if (args.length === 0 || args[0] === '') {
    throw new TemplateError('empty-command', 'the command template names no program');
  }
  return args;
}

/** Replaces placeholders in one argument. @throws TemplateError */
export function fillPlaceholders(arg: string, values: TemplateValues): string {
  let out = '';
  let i = 0;
  while (i < arg.length) {
    const c = arg[i];
    if (c === '{' && arg[i + 1] === '{') {
      out += '{';
      i += 2;
    } else if (c === '}' && arg[i + 1] === '}') {
      out += '}';
      i += 2;
    } else if (c === '{') {
      const end = arg.indexOf('}', i);
      if (end < 0) {
        throw new TemplateError('unbalanced-brace', `'{' without '}' in '${arg}'`);
      }
      const name = arg.slice(i + 1, end);
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        throw new TemplateError('unknown-placeholder', `unknown placeholder {${name}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
      }
      const v = values[name as PlaceholderName];
      if (v === undefined) {
        throw new TemplateError('missing-value', `placeholder {${name}} has no value for this instance`);
      }
      out += String(v);
      i = end + 1;
    } else if (c === '}') {
      throw new TemplateError('unbalanced-brace', `'}' without '{' in '${arg}' (write '}}' for a literal brace)`);
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Splits a template and fills every argument: `{file, args}` ready for execFile. @throws TemplateError */
export function expandCommand(template: string, values: TemplateValues): { file: string; args: string[] } {
  const argv = splitCommandLine(template).map((a) => fillPlaceholders(a, values));
  return { file: argv[0], args: argv.slice(1) };
}

/** Checks a template without values: syntax and placeholder names. @throws TemplateError */
export function validateTemplate(template: string): void {
  const dummy: TemplateValues = { index: 0, port: 1, serial: 's', host: 'h' };
  expandCommand(template, dummy);
}
