/**
 * The account table's columns as data: their types, which ones pools may filter and sort on, which ones imports and
 * `update` may write, the aliases other formats use for them, and value coercion. Every SQL identifier the pools
 * build comes from this allow-list; user text only ever reaches SQL as a bound parameter.
 */
import type { AccountFieldValue } from '../../bot/accounts';

export const ACCOUNT_STATUSES = ['available', 'in_use', 'completed', 'failed', 'banned'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export type ColumnType = 'text' | 'integer' | 'boolean' | 'time' | 'status';

/** Every column of `accounts` except `extra` (JSON of the remaining fields). */
export const ACCOUNT_COLUMNS = {
  id: 'text',
  password: 'text',
  name: 'text',
  premium: 'boolean',
  packs_opened: 'integer',
  hourglasses: 'integer',
  wonder_picks_done: 'integer',
  shinedust: 'integer',
  status: 'status',
  failure_count: 'integer',
  last_error: 'text',
  last_used_at: 'time',
  completed_at: 'time',
  created_at: 'time',
  updated_at: 'time',
  notes: 'text',
} as const satisfies Record<string, ColumnType>;

export type AccountColumn = keyof typeof ACCOUNT_COLUMNS;

/** Columns whose values `complete(stats)` adds to. */
export const COUNTER_COLUMNS = ['packs_opened', 'hourglasses', 'wonder_picks_done', 'shinedust'] as const;
export type CounterColumn = (typeof COUNTER_COLUMNS)[number];

/** Columns that imports and `update(fields)` may set (status has its own rules). */
export const WRITABLE_COLUMNS = ['password', 'name', 'premium', 'packs_opened', 'hourglasses', 'wonder_picks_done', 'shinedust', 'notes', 'last_error'] as const;
export type WritableColumn = (typeof WRITABLE_COLUMNS)[number];

/** One account row as the pools hand it out. Times are ISO-8601 UTC strings. */
export interface AccountRecord {
  id: string;
  password: string;
  name: string | null;
  premium: boolean;
  packs_opened: number;
  hourglasses: number;
  wonder_picks_done: number;
  shinedust: number;
  status: AccountStatus;
  failure_count: number;
  last_error: string | null;
  last_used_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
  notes: string | null;
  /** Fields that have no column (from imports or `update`). */
  extra: Record<string, AccountFieldValue>;
}

/** Other spellings accepted for columns in imports, `update` and `complete` (camelCase, the Go bot's names, the device file's keys). */
const ALIASES: Record<string, AccountColumn> = {
  account: 'id',
  account_id: 'id',
  accountid: 'id',
  deviceaccount: 'id',
  device_account: 'id',
  devicepassword: 'password',
  device_password: 'password',
  secret: 'password',
  username: 'name',
  packsopened: 'packs_opened',
  packs: 'packs_opened',
  wonderpicks: 'wonder_picks_done',
  wonder_picks: 'wonder_picks_done',
  wonderpicksdone: 'wonder_picks_done',
  failurecount: 'failure_count',
  lasterror: 'last_error',
  lastusedat: 'last_used_at',
  completedat: 'completed_at',
  createdat: 'created_at',
  updatedat: 'updated_at',
  pool_status: 'status',
  is_premium: 'premium',
  ispremium: 'premium',
};

/** The column a field name denotes (exact column names first, then aliases, case-insensitive), or undefined. */
export function canonicalColumn(name: string): AccountColumn | undefined {
  if (isAccountColumn(name)) {
    return name;
  }
  const lower = name.toLowerCase();
  if (isAccountColumn(lower)) {
    return lower;
  }
  const alias = lower.replace(/[-\s]/g, '_');
  return Object.hasOwn(ALIASES, lower) ? ALIASES[lower] : Object.hasOwn(ALIASES, alias) ? ALIASES[alias] : undefined;
}

/** Own keys only: `constructor` or `__proto__` are not columns. */
export function isAccountColumn(name: string): name is AccountColumn {
  return Object.hasOwn(ACCOUNT_COLUMNS, name);
}

export function isWritableColumn(c: string): c is WritableColumn {
  return (WRITABLE_COLUMNS as readonly string[]).includes(c);
}

export function isCounterColumn(c: string): c is CounterColumn {
  return (COUNTER_COLUMNS as readonly string[]).includes(c);
}

export type Coerced = { ok: true; value: string | number | boolean | null } | { ok: false; message: string };

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'off']);

/**
 * Converts a value from an import file, a routine or a definition to the column's type. Strings are parsed
 * (`"12"` for an integer, `yes`/`no` for a boolean, any date for a time); `null` is accepted for nullable columns.
 */
export function coerceColumnValue(column: AccountColumn, raw: unknown): Coerced {
  const type = ACCOUNT_COLUMNS[column];
  const nullable = type === 'time' || (type === 'text' && column !== 'id' && column !== 'password');
  if (raw === null || raw === undefined) {
    return nullable ? { ok: true, value: null } : { ok: false, message: `${column} cannot be empty` };
  }
  switch (type) {
    case 'text': {
      if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') {
        const s = String(raw);
        const bad = unstorableText(s);
        if (bad) {
          return { ok: false, message: `${column} ${bad}` };
        }
        if ((column === 'id' || column === 'password') && !s.trim()) {
          return { ok: false, message: `${column} cannot be empty` };
        }
        return { ok: true, value: column === 'id' ? s.trim() : s };
      }
      return { ok: false, message: `${column} expects text, got ${describe(raw)}` };
    }
    case 'integer': {
      if (typeof raw === 'number' && Number.isInteger(raw)) {
        return { ok: true, value: raw };
      }
      if (typeof raw === 'string' && /^\s*[-+]?\d+\s*$/.test(raw)) {
        return { ok: true, value: Number(raw) };
      }
      return { ok: false, message: `${column} expects a whole number, got ${describe(raw)}` };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') {
        return { ok: true, value: raw };
      }
      if (raw === 0 || raw === 1) {
        return { ok: true, value: raw === 1 };
      }
      if (typeof raw === 'string') {
        const w = raw.trim().toLowerCase();
        if (TRUE_WORDS.has(w)) {
          return { ok: true, value: true };
        }
        if (FALSE_WORDS.has(w)) {
          return { ok: true, value: false };
        }
      }
      return { ok: false, message: `${column} expects true or false, got ${describe(raw)}` };
    }
    case 'time': {
      const iso = toIsoTime(raw);
      return iso === undefined ? { ok: false, message: `${column} expects a date and time (ISO 8601), got ${describe(raw)}` } : { ok: true, value: iso };
    }
    case 'status': {
      if (typeof raw === 'string' && (ACCOUNT_STATUSES as readonly string[]).includes(raw.trim().toLowerCase())) {
        return { ok: true, value: raw.trim().toLowerCase() };
      }
      return { ok: false, message: `status expects one of ${ACCOUNT_STATUSES.join(', ')}, got ${describe(raw)}` };
    }
  }
}

/** ISO-8601 UTC text for a date string, a Date or epoch milliseconds; undefined when it is not a date. */
export function toIsoTime(raw: unknown): string | undefined {
  if (raw instanceof Date) {
    return Number.isNaN(raw.getTime()) ? undefined : raw.toISOString();
  }
  if (typeof raw === 'number' && Number.isFinite(raw)) {
    return new Date(raw).toISOString();
  }
  if (typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}/.test(raw.trim())) {
    const d = new Date(raw.trim());
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  return undefined;
}

function describe(v: unknown): string {
  if (typeof v === 'string') {
    return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  }
  if (Array.isArray(v)) {
    return 'a list';
  }
  if (v && typeof v === 'object') {
    return 'an object';
  }
  return String(v);
}

/**
 * Characters an account's text cannot hold, because the device account file (XML) the lease builds cannot:
 * NUL and the other C0 controls except tab, newline and carriage return, unpaired UTF-16 surrogates, U+FFFE and
 * U+FFFF. Returns the problem in words ("contains a NUL character (U+0000) at character 4"), or undefined.
 */
export function unstorableText(s: string): string | undefined {
  const m = /[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(s);
  if (!m) {
    return undefined;
  }
  const c = m[0].charCodeAt(0);
  const u = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  const what = c === 0 ? `a NUL character (${u})` : c < 0x20 ? `a control character (${u})` : c >= 0xd800 && c <= 0xdfff ? `an unpaired surrogate (${u}, half of a character)` : `the noncharacter ${u}`;
  return `contains ${what} at character ${m.index + 1}, which an account field cannot hold`;
}

/** Extra-field keys: plain identifiers, so `extra.<key>` filters can be built safely. */
export const EXTRA_KEY_PATTERN = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_]*$/;

/** A value as SQLite stores it (booleans as 0/1). */
export function toSqlValue(v: string | number | boolean | null): string | number | null {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}
