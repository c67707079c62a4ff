/**
 * Variables of a running routine: a chain of scopes. The root holds the system variables (`cycle`,
 * `bot_instance`, `account_id`, ...) shared by every routine of the run; each routine invocation gets its own
 * scope (a child of its caller's), holding its params, `vars` and what its steps `set`. Reads fall through to the
 * parents; writes stay local, so a called routine never clobbers its caller's variables.
 */
import { numberFrom } from './valueRules';

/** Values a variable can hold (what YAML scalars and lists/maps of them give). */
export type VariableValue = unknown;

export class VariableScope {
  private readonly vars = new Map<string, VariableValue>();

  constructor(
    readonly parent?: VariableScope,
    initial?: Record<string, VariableValue>,
  ) {
    if (initial) {
      for (const [k, v] of Object.entries(initial)) {
        if (v !== undefined) {
          this.vars.set(k, v);
        }
      }
    }
  }

  /** The value visible from this scope (own first, then the parents'), or undefined when unset. */
  get(name: string): VariableValue | undefined {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    for (let s: VariableScope | undefined = this; s; s = s.parent) {
      if (s.vars.has(name)) {
        return s.vars.get(name);
      }
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** True when this scope itself holds the variable (not a parent). */
  hasOwn(name: string): boolean {
    return this.vars.has(name);
  }

  /** This scope's own variables as they are (a live, read-only view: for the debugger). */
  ownEntries(): IterableIterator<[string, VariableValue]> {
    return this.vars.entries();
  }

  /** Sets in this scope. `undefined` deletes the local value. */
  set(name: string, value: VariableValue): void {
    if (value === undefined) {
      this.vars.delete(name);
    } else {
      this.vars.set(name, value);
    }
  }

  /** The outermost scope (system variables). */
  root(): VariableScope {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let s: VariableScope = this;
    while (s.parent) {
      s = s.parent;
    }
    return s;
  }

  /** Every visible variable: the parents' overridden by this scope's (a plain copy). */
  snapshot(): Record<string, VariableValue> {
    const base = this.parent ? this.parent.snapshot() : {};
    for (const [k, v] of this.vars) {
      base[k] = cloneValue(v);
    }
    return base;
  }

  /** Only this scope's own variables (a plain copy). */
  ownSnapshot(): Record<string, VariableValue> {
    const out: Record<string, VariableValue> = {};
    for (const [k, v] of this.vars) {
      out[k] = cloneValue(v);
    }
    return out;
  }
}

/** A deep copy of plain data, so snapshots handed out are immutable from our side. */
export function cloneValue<T>(v: T): T {
  if (v === null || typeof v !== 'object') {
    return v;
  }
  if (Array.isArray(v)) {
    return v.map((x: unknown) => cloneValue(x)) as T;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = cloneValue(x);
  }
  return out as T;
}

/** Truthiness in the routine language: true, a non-zero number, a non-empty string other than "false"/"0". */
export function isTruthy(v: unknown): boolean {
  if (typeof v === 'boolean') {
    return v;
  }
  if (typeof v === 'number') {
    return v !== 0 && !Number.isNaN(v);
  }
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    return t !== '' && t !== 'false' && t !== '0';
  }
  if (v === null || v === undefined) {
    return false;
  }
  return true;
}

/** Converts to a number when it is one (numbers, text that reads as a decimal number); undefined otherwise. */
export function toNumber(v: unknown): number | undefined {
  return numberFrom(v);
}

/** Text form of a value for string fields and messages. */
export function toText(v: unknown): string {
  if (typeof v === 'string') {
    return v;
  }
  if (v === null || v === undefined) {
    return '';
  }
  if (typeof v === 'object') {
    return JSON.stringify(v);
  }
  return String(v);
}
