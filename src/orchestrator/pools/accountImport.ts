/**
 * Importing accounts from files: device account XML (Android SharedPreferences `<map>` as the Go bot writes it, or
 * the simple `<account>…</account><password>…</password>` form), CSV (header row; RFC 4180 quoting) and JSON (an
 * array of objects, or `{ "accounts": [...] }`). Column names follow accountFields.ts (aliases such as
 * deviceAccount, devicePassword, packsOpened are accepted); other names become custom fields (`extra`).
 *
 * Upsert semantics: a new id is inserted (it needs a password); an existing id gets the given fields (values are
 * set, not added); a row that changes nothing counts as unchanged. A bad row is skipped with a diagnostic naming
 * file, line and column; the good rows are still imported. An id repeated in one file is an error on the later
 * row (the first is imported). Text a device account file cannot hold (NUL, control characters, unpaired
 * surrogates) is refused. PoolManager.importBatch writes the good rows of all files of a batch in one transaction.
 */
import type { AccountFieldValue } from '../../bot/accounts';
import type { Diagnostic } from '../../shared/geometry';
import { diagnosticAt, parseYaml, type PathKey } from '../../shared/yamlSource';
import type { SqlWriter } from './accountDatabase';
import { ACCOUNT_COLUMNS, canonicalColumn, coerceColumnValue, EXTRA_KEY_PATTERN, toSqlValue, unstorableText, type AccountColumn } from './accountFields';
import { parseCsv } from './csvParser';
import { readSharedPrefs } from './deviceFile';
import { getAccount, getLease } from './leases';
import { findElement, parseXml } from './xmlLite';
import { isMap, isSeq } from 'yaml';

export type ImportFormat = 'xml' | 'csv' | 'json';

type ColumnValue = string | number | boolean | null;

/** One account read from an import file, before it meets the database. */
export interface ImportRow {
  id: string;
  values: Partial<Record<AccountColumn, ColumnValue>>;
  extra: Record<string, AccountFieldValue>;
  file: string;
  line: number;
  col: number;
}

export interface ParsedImport {
  format: ImportFormat;
  rows: ImportRow[];
  diagnostics: Diagnostic[];
  /** Rows dropped because of errors. */
  skipped: number;
}

export interface ImportReport {
  file: string;
  format: ImportFormat;
  imported: number;
  updated: number;
  unchanged: number;
  skipped: number;
  diagnostics: Diagnostic[];
}

/** Columns an import may set (`updated_at` is always the import time; `in_use` is refused). */
const NOT_IMPORTABLE = new Set<AccountColumn>(['updated_at']);

export function detectImportFormat(file: string, text: string): ImportFormat | undefined {
  const ext = file.toLowerCase().match(/\.(xml|csv|json)$/)?.[1];
  if (ext) {
    return ext as ImportFormat;
  }
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) {
    return 'xml';
  }
  if (head.startsWith('[') || head.startsWith('{')) {
    return 'json';
  }
  return head.includes(',') ? 'csv' : undefined;
}

function diag(file: string, line: number, col: number, message: string, code: string, severity: 'error' | 'warning' = 'error'): Diagnostic {
  return { file, line, col, severity, message, code };
}

/** A second row with an id already seen in the same file: the first one is imported, this one skipped. */
function duplicateDiag(file: string, line: number, col: number, id: string, firstLine: number): Diagnostic {
  return diag(file, line, col, `account '${id}' is already in this file at line ${firstLine}; this row (line ${line}) is skipped: merge the two rows into one`, 'duplicate-id');
}

/** Applies one named field to a row; returns an error message when the value does not fit. */
function setField(row: ImportRow, key: string, raw: unknown): string | undefined {
  const col = canonicalColumn(key);
  if (col === 'id') {
    return undefined; // handled by the caller
  }
  if (col) {
    if (NOT_IMPORTABLE.has(col)) {
      return undefined;
    }
    if (raw === '' && ACCOUNT_COLUMNS[col] !== 'text') {
      return undefined; // an empty cell leaves the field as it is
    }
    const c = coerceColumnValue(col, raw);
    if (!c.ok) {
      return c.message;
    }
    if (col === 'status' && c.value === 'in_use') {
      return 'status in_use cannot be imported (leases are taken by bots)';
    }
    row.values[col] = c.value;
    return undefined;
  }
  const k = key.trim();
  if (!EXTRA_KEY_PATTERN.test(k)) {
    return `'${key}' is not a valid field name (letters, digits and _)`;
  }
  if (raw !== null && typeof raw === 'object') {
    return `field '${key}' must be text, a number or a boolean`;
  }
  const bad = typeof raw === 'string' ? unstorableText(raw) : undefined;
  if (bad) {
    return `${k} ${bad}`;
  }
  row.extra[k] = raw as AccountFieldValue;
  return undefined;
}

function checkId(raw: unknown): { id?: string; message?: string } {
  const c = coerceColumnValue('id', raw ?? null);
  if (c.ok) {
    return { id: String(c.value) };
  }
  const empty = raw === undefined || raw === null || (typeof raw === 'string' && !raw.trim());
  return { message: empty ? 'missing account id (column id, account or deviceAccount)' : c.message };
}

/** An XML file holds one account. */
export function parseAccountsXml(text: string, file: string): ParsedImport {
  const diagnostics: Diagnostic[] = [];
  const x = parseXml(text);
  if (x.error) {
    return { format: 'xml', rows: [], diagnostics: [diag(file, x.error.line, x.error.col, x.error.message, 'xml-syntax')], skipped: 1 };
  }
  const map = findElement(x.roots, 'map');
  const row: ImportRow = { id: '', values: {}, extra: {}, file, line: 1, col: 1 };
  if (map) {
    row.line = map.line;
    row.col = map.col;
    const entries = readSharedPrefs(map, file, diagnostics);
    for (const e of entries) {
      if (canonicalColumn(e.name) === 'id') {
        row.id = typeof e.value === 'string' ? e.value.trim() : '';
        continue;
      }
      const v = Array.isArray(e.value) ? e.value.join(',') : e.value;
      const msg = setField(row, e.name, v);
      if (msg) {
        diagnostics.push(diag(file, e.line, e.col, msg, 'invalid-field'));
      }
    }
    if (!row.id) {
      diagnostics.push(diag(file, map.line, map.col, 'missing <string name="deviceAccount">', 'missing-id'));
    }
  } else {
    const account = findElement(x.roots, 'account') ?? findElement(x.roots, 'deviceAccount');
    if (!account) {
      const r = x.roots[0];
      diagnostics.push(diag(file, r.line, r.col, 'no account found: expected a SharedPreferences <map> with deviceAccount, or an <account> element', 'missing-id'));
    } else {
      row.line = account.line;
      row.col = account.col;
      row.id = account.text.trim();
      if (!row.id) {
        diagnostics.push(diag(file, account.textLine, account.textCol, 'the <account> element is empty', 'missing-id'));
      }
      for (const tag of ['password', 'devicePassword', 'name', 'username', 'premium', 'packs_opened', 'packsOpened', 'hourglasses', 'shinedust', 'wonder_picks_done', 'notes']) {
        const el = findElement(x.roots, tag);
        if (el && (tag !== 'name' || el !== account)) {
          const msg = setField(row, tag, el.text.trim());
          if (msg) {
            diagnostics.push(diag(file, el.textLine, el.textCol, msg, 'invalid-field'));
          }
        }
      }
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) {
    return { format: 'xml', rows: [], diagnostics, skipped: 1 };
  }
  return { format: 'xml', rows: [row], diagnostics, skipped: 0 };
}

export function parseAccountsCsv(text: string, file: string): ParsedImport {
  const diagnostics: Diagnostic[] = [];
  const { records, errors } = parseCsv(text);
  for (const e of errors) {
    diagnostics.push(diag(file, e.line, e.col, e.message, 'csv-syntax'));
  }
  if (!records.length) {
    diagnostics.push(diag(file, 1, 1, 'the file has no header row', 'csv-empty'));
    return { format: 'csv', rows: [], diagnostics, skipped: 0 };
  }
  const [header, ...body] = records;
  if (header.errors.length) {
    diagnostics.push(diag(file, header.line, 1, `the header row (line ${header.line}) is malformed, so nothing in this file is imported`, 'csv-header'));
    return { format: 'csv', rows: [], diagnostics, skipped: body.length };
  }
  const names = header.cells.map((c) => c.value.trim());
  let idIndex = -1;
  const seen = new Map<string, number>();
  let headerOk = true;
  names.forEach((name, k) => {
    const cell = header.cells[k];
    const key = canonicalColumn(name) ?? name;
    if (!name) {
      diagnostics.push(diag(file, cell.line, cell.col, `column ${k + 1} has no name`, 'csv-header'));
      headerOk = false;
    } else if (seen.has(key)) {
      diagnostics.push(diag(file, cell.line, cell.col, `column '${name}' repeats column ${seen.get(key)! + 1}`, 'csv-header'));
      headerOk = false;
    } else if (!canonicalColumn(name) && !EXTRA_KEY_PATTERN.test(name)) {
      diagnostics.push(diag(file, cell.line, cell.col, `'${name}' is not a valid field name (letters, digits and _)`, 'csv-header'));
      headerOk = false;
    }
    seen.set(key, k);
    if (key === 'id') {
      idIndex = k;
    }
  });
  if (idIndex < 0 && !header.errors.length) {
    diagnostics.push(diag(file, header.line, 1, 'the header has no account id column (id, account or deviceAccount)', 'csv-header'));
  }
  if (idIndex < 0 || header.errors.length) {
    headerOk = false;
  }
  if (!headerOk) {
    return { format: 'csv', rows: [], diagnostics, skipped: body.length };
  }
  const rows: ImportRow[] = [];
  const firstSeen = new Map<string, number>();
  let skipped = 0;
  for (const rec of body) {
    if (rec.errors.length) {
      skipped++; // reported above
      continue;
    }
    if (rec.cells.length !== names.length) {
      const last = rec.cells[rec.cells.length - 1];
      diagnostics.push(diag(file, rec.line, rec.cells.length > names.length ? rec.cells[names.length].col : last.col, `expected ${names.length} fields, found ${rec.cells.length}`, 'csv-row'));
      skipped++;
      continue;
    }
    const idCell = rec.cells[idIndex];
    const id = checkId(idCell.value);
    if (!id.id) {
      diagnostics.push(diag(file, idCell.line, idCell.col, id.message!, 'missing-id'));
      skipped++;
      continue;
    }
    const first = firstSeen.get(id.id);
    if (first !== undefined) {
      diagnostics.push(duplicateDiag(file, idCell.line, idCell.col, id.id, first));
      skipped++;
      continue;
    }
    firstSeen.set(id.id, rec.line);
    const row: ImportRow = { id: id.id, values: {}, extra: {}, file, line: rec.line, col: 1 };
    let ok = true;
    rec.cells.forEach((cell, k) => {
      if (k === idIndex) {
        return;
      }
      const col = canonicalColumn(names[k]);
      if (cell.value === '' && !cell.quoted) {
        return; // an empty cell leaves the field as it is
      }
      const msg = setField(row, names[k], col ? cell.value : inferScalar(cell.value, cell.quoted));
      if (msg) {
        diagnostics.push(diag(file, cell.line, cell.col, msg, 'invalid-field'));
        ok = false;
      }
    });
    if (ok) {
      rows.push(row);
      for (const cell of rec.cells) {
        const breaks = cell.quoted ? cell.value.split('\n').length - 1 : 0;
        if (breaks) {
          diagnostics.push(
            diag(
              file,
              cell.line,
              cell.col,
              `this quoted field holds ${breaks} line break(s), so it runs to line ${cell.line + breaks}; if that is not intended, a quote is missing and those lines are not imported as rows`,
              'csv-multiline',
              'warning',
            ),
          );
        }
      }
    } else {
      skipped++;
    }
  }
  return { format: 'csv', rows, diagnostics, skipped };
}

/** A CSV cell for a custom field: numbers and booleans as such, quoted cells always text. */
function inferScalar(v: string, quoted: boolean): AccountFieldValue {
  if (quoted) {
    return v;
  }
  if (/^-?\d+(\.\d+)?$/.test(v.trim())) {
    return Number(v);
  }
  if (v === 'true' || v === 'false') {
    return v === 'true';
  }
  return v;
}

export function parseAccountsJson(text: string, file: string): ParsedImport {
  const diagnostics: Diagnostic[] = [];
  try {
    JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const at = Number(msg.match(/position (\d+)/)?.[1]);
    const { line, col } = Number.isFinite(at) ? lineColAt(text, at) : { line: 1, col: 1 };
    diagnostics.push(diag(file, line, col, msg.replace(/ in JSON at position \d+.*$/, ''), 'json-syntax'));
    return { format: 'json', rows: [], diagnostics, skipped: 0 };
  }
  // An import file is no workspace YAML file: only the nesting and alias limits apply.
  const parsed = parseYaml(text, file, { limits: { maxBytes: Infinity, maxNodes: Infinity } });
  const root = parsed.doc.contents;
  let base: PathKey[] = [];
  let list: unknown = root;
  if (isMap(root)) {
    base = ['accounts'];
    list = root.get('accounts', true);
  }
  if (!isSeq(list)) {
    diagnostics.push(diagnosticAt(parsed, base, 'expected an array of account objects (or { "accounts": [...] })', 'json-shape'));
    return { format: 'json', rows: [], diagnostics, skipped: 0 };
  }
  const data = list.toJSON() as unknown[];
  const rows: ImportRow[] = [];
  const firstSeen = new Map<string, number>();
  let skipped = 0;
  data.forEach((item, i) => {
    const path = [...base, i];
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      diagnostics.push(diagnosticAt(parsed, path, `element ${i} is not an object`, 'json-shape'));
      skipped++;
      return;
    }
    const obj = item as Record<string, unknown>;
    const idKey = Object.keys(obj).find((k) => canonicalColumn(k) === 'id');
    const id = checkId(idKey === undefined ? undefined : obj[idKey]);
    if (!id.id) {
      diagnostics.push(diagnosticAt(parsed, idKey === undefined ? path : [...path, idKey], id.message!, 'missing-id'));
      skipped++;
      return;
    }
    const at = diagnosticAt(parsed, path, '');
    const first = firstSeen.get(id.id);
    if (first !== undefined) {
      const idAt = diagnosticAt(parsed, idKey === undefined ? path : [...path, idKey], '');
      diagnostics.push(duplicateDiag(file, idAt.line, idAt.col, id.id, first));
      skipped++;
      return;
    }
    firstSeen.set(id.id, at.line);
    const row: ImportRow = { id: id.id, values: {}, extra: {}, file, line: at.line, col: at.col };
    let ok = true;
    for (const [k, v] of Object.entries(obj)) {
      if (k === idKey) {
        continue;
      }
      if (k === 'extra' && v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [ek, ev] of Object.entries(v as Record<string, unknown>)) {
          const msg = setField(row, ek, ev);
          if (msg) {
            diagnostics.push(diagnosticAt(parsed, [...path, k, ek], msg, 'invalid-field'));
            ok = false;
          }
        }
        continue;
      }
      const msg = setField(row, k, v);
      if (msg) {
        diagnostics.push(diagnosticAt(parsed, [...path, k], msg, 'invalid-field'));
        ok = false;
      }
    }
    if (ok) {
      rows.push(row);
    } else {
      skipped++;
    }
  });
  return { format: 'json', rows, diagnostics, skipped };
}

function lineColAt(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/** Parses an import file of any supported format (by extension, else by content). */
export function parseAccountsFile(text: string, file: string, format?: ImportFormat): ParsedImport {
  const f = format ?? detectImportFormat(file, text);
  switch (f) {
    case 'xml':
      return parseAccountsXml(text, file);
    case 'csv':
      return parseAccountsCsv(text, file);
    case 'json':
      return parseAccountsJson(text, file);
    default:
      return { format: 'csv', rows: [], diagnostics: [diag(file, 1, 1, 'unknown import format (use .xml, .csv or .json)', 'import-format')], skipped: 0 };
  }
}

/** Upserts parsed rows in one transaction; returns the counts, with diagnostics for rows the database refused. */
export function applyImport(tx: SqlWriter, parsed: ParsedImport, file: string, now: Date): ImportReport {
  const report: ImportReport = { file, format: parsed.format, imported: 0, updated: 0, unchanged: 0, skipped: parsed.skipped, diagnostics: [...parsed.diagnostics] };
  const at = now.toISOString();
  for (const row of parsed.rows) {
    const existing = getAccount(tx, row.id);
    if (!existing) {
      const password = row.values.password;
      if (typeof password !== 'string' || !password) {
        report.diagnostics.push(diag(row.file, row.line, row.col, `new account '${row.id}' has no password`, 'missing-password'));
        report.skipped++;
        continue;
      }
      const cols: string[] = ['id', 'created_at', 'updated_at', 'extra'];
      const params: Array<string | number | null> = [row.id, at, at, JSON.stringify(row.extra)];
      for (const [c, v] of Object.entries(row.values)) {
        if (c === 'created_at') {
          params[1] = v as string;
          continue;
        }
        cols.push(c);
        params.push(toSqlValue(v));
      }
      tx.run(`INSERT INTO accounts (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, params);
      report.imported++;
      continue;
    }
    const sets: string[] = [];
    const params: Array<string | number | null> = [];
    for (const [c, v] of Object.entries(row.values) as Array<[AccountColumn, ColumnValue]>) {
      const current = existing[c as keyof typeof existing];
      if (current === v) {
        continue;
      }
      if (c === 'status' && getLease(tx, row.id)) {
        report.diagnostics.push(diag(row.file, row.line, row.col, `account '${row.id}' is leased by a bot; its status was left as it is`, 'account-leased', 'warning'));
        continue;
      }
      sets.push(`${c} = ?`);
      params.push(toSqlValue(v));
    }
    const mergedExtra = { ...existing.extra, ...row.extra };
    if (JSON.stringify(mergedExtra) !== JSON.stringify(existing.extra)) {
      sets.push('extra = ?');
      params.push(JSON.stringify(mergedExtra));
    }
    if (!sets.length) {
      report.unchanged++;
      continue;
    }
    sets.push('updated_at = ?');
    params.push(at, row.id);
    tx.run(`UPDATE accounts SET ${sets.join(', ')} WHERE id = ?`, params);
    report.updated++;
  }
  return report;
}
