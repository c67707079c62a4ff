/**
 * Prompting a routine's params (pure): the prompt text with the type, range and default, the initial value, and
 * the check of what was typed (the interpreter checks again with the full rules when the run starts).
 */
import type { ParamSpec } from '../../bot/routine/loadedTypes';

export interface ParamPrompt {
  name: string;
  /** 'pick' for bool and enum (a QuickPick of `choices`), 'text' otherwise. */
  input: 'pick' | 'text';
  choices: string[];
  prompt: string;
  /** The initial text or the preselected choice: the default, when the param has one. */
  value: string;
  required: boolean;
  /** An error message for `text`, or undefined when it is acceptable. */
  validate(text: string): string | undefined;
  /** The value to pass to the run. */
  parse(text: string): string | number | boolean;
}

function numberBound(v: number | string | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

export function paramPrompt(name: string, spec: ParamSpec): ParamPrompt {
  const min = numberBound(spec.min);
  const max = numberBound(spec.max);
  const bounds = min !== undefined || max !== undefined ? ` ${min ?? '…'}..${max ?? '…'}` : '';
  const def = spec.default === undefined || spec.default === null ? undefined : String(spec.default);
  const type = spec.type === 'enum' ? `one of ${(spec.values ?? []).join(', ')}` : spec.type;
  const prompt = `${spec.label ?? name} (${type}${bounds}${def !== undefined ? `, default ${def}` : spec.required ? ', required' : ''})${spec.description ? `: ${spec.description}` : ''}`;
  const choices = spec.type === 'bool' ? ['true', 'false'] : spec.type === 'enum' ? (spec.values ?? []).map(String) : [];
  return {
    name,
    input: choices.length ? 'pick' : 'text',
    choices,
    prompt,
    value: def ?? '',
    required: spec.required,
    validate(text) {
      const t = text.trim();
      if (t === '') {
        return spec.required && def === undefined ? `${name} is required` : undefined;
      }
      if (spec.type === 'int' || spec.type === 'number') {
        const n = Number(t);
        if (!Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n))) {
          return `${name} must be ${spec.type === 'int' ? 'an integer' : 'a number'}`;
        }
        if (min !== undefined && n < min) {
          return `${name} must be at least ${min}`;
        }
        if (max !== undefined && n > max) {
          return `${name} must be at most ${max}`;
        }
      }
      if (choices.length && !choices.includes(t)) {
        return `${name} must be one of ${choices.join(', ')}`;
      }
      return undefined;
    },
    parse(text) {
      const t = text.trim() === '' && def !== undefined ? def : text.trim();
      if (spec.type === 'int' || spec.type === 'number') {
        return Number(t);
      }
      if (spec.type === 'bool') {
        return t === 'true';
      }
      const hit = (spec.values ?? []).find((v) => String(v) === t);
      return hit ?? t;
    },
  };
}

/** The routine name of a workspace-relative routine file (`routines/nav/to_home.yaml` → `nav/to_home`). */
export function routineNameOf(file: string): string | undefined {
  const m = /^routines\/(.+)\.ya?ml$/.exec(file.replace(/\\/g, '/'));
  return m?.[1];
}
