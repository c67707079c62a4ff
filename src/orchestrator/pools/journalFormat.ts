/**
 * The journal's line format. Each record is one line: the CRC-32 of the record's JSON (8 lower-case hex digits), a
 * space, the JSON, and a newline:
 *
 *     1f0e33a2 {"s":12,"t":[["UPDATE accounts SET ...",["a",1]]]}
 *
 * Reading is strict, because every record in the journal was acknowledged to its caller:
 * - only the text after the last newline (a write cut short by a crash; never acknowledged) counts as a torn tail;
 * - every complete line must be a record whose checksum matches; anything else is damage, reported with its line.
 *
 * Journals written before checksums existed (every line is bare JSON) are still read, once: the first read-write
 * open folds them into the database and the journal starts again in this format. A journal mixing both forms is
 * damaged (a checksummed line lost its checksum).
 */
import * as zlib from 'node:zlib';
import type { SqlParam } from './poolQuery';

export interface JournalEntry {
  /** Sequence number: 1 + the one before. */
  s: number;
  /** The statements of one transaction with their bound parameters. */
  t: Array<[string, SqlParam[]]>;
}

export interface JournalRecord {
  entry: JournalEntry;
  /** 1-based line number in the journal. */
  line: number;
}

export interface JournalDamage {
  line: number;
  reason: string;
}

export interface ParsedJournal {
  records: JournalRecord[];
  /** The bytes after the last newline (a torn write), with the line they start. */
  torn?: { line: number; bytes: Uint8Array };
  /** Complete lines that are not valid records, in order. */
  damaged: JournalDamage[];
  /** Number of complete lines. */
  lines: number;
  /** True when the journal was written without checksums (an earlier version). */
  legacy: boolean;
}

const CHECKSUMMED = /^([0-9a-f]{8}) (\{.*)$/s;

/** CRC-32 (IEEE) of the UTF-8 bytes of `text`: zlib's when the runtime has it, else a table-driven one. */
export const crc32: (text: string) => number = typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (text) => zlib.crc32(text) : crc32Js;

let table: Uint32Array | undefined;

function crc32Js(text: string): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) {
        c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of new TextEncoder().encode(text)) {
    crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** One journal line (with its newline). */
export function encodeJournalEntry(entry: JournalEntry): string {
  const json = JSON.stringify(entry);
  return `${hex8(crc32(json))} ${json}\n`;
}

/** A parsed record, or why it is not one. */
function decodeEntry(json: string): JournalEntry | string {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return 'not valid JSON';
  }
  const e = v as Partial<JournalEntry>;
  if (!v || typeof v !== 'object' || typeof e.s !== 'number' || !Number.isSafeInteger(e.s) || e.s < 1 || !Array.isArray(e.t)) {
    return 'not a journal record';
  }
  for (const st of e.t) {
    if (!Array.isArray(st) || st.length !== 2 || typeof st[0] !== 'string' || !Array.isArray(st[1])) {
      return 'not a journal record';
    }
  }
  return e as JournalEntry;
}

/** Splits and checks a journal. Never throws: damage is returned for the caller to report. */
export function parseJournal(bytes: Uint8Array): ParsedJournal {
  const out: ParsedJournal = { records: [], damaged: [], lines: 0, legacy: false };
  if (!bytes.length) {
    return out;
  }
  const lastNl = bytes.lastIndexOf(0x0a);
  const completeText = lastNl < 0 ? '' : new TextDecoder('utf-8').decode(bytes.subarray(0, lastNl));
  const lines = lastNl < 0 ? [] : completeText.split('\n');
  out.lines = lines.length;
  // Bare-JSON lines are the old format only when no line carries a checksum.
  const checksummed = lines.some((l) => CHECKSUMMED.test(l));
  out.legacy = !checksummed && lines.length > 0;
  lines.forEach((raw, i) => {
    const line = i + 1;
    let json: string;
    if (checksummed) {
      const m = CHECKSUMMED.exec(raw);
      if (!m) {
        out.damaged.push({ line, reason: raw.length ? 'it has no checksum' : 'it is empty' });
        return;
      }
      if (m[1] !== hex8(crc32(m[2]))) {
        out.damaged.push({ line, reason: 'its checksum does not match its contents' });
        return;
      }
      json = m[2];
    } else {
      if (!raw.length) {
        out.damaged.push({ line, reason: 'it is empty' });
        return;
      }
      json = raw;
    }
    const entry = decodeEntry(json);
    if (typeof entry === 'string') {
      out.damaged.push({ line, reason: `it is ${entry}` });
      return;
    }
    out.records.push({ entry, line });
  });
  if (lastNl + 1 < bytes.length) {
    const tail = bytes.slice(lastNl + 1);
    // A whole checksummed record followed by one stray byte is a record whose newline was damaged, not a torn write.
    const m = CHECKSUMMED.exec(new TextDecoder('utf-8').decode(tail.subarray(0, tail.length - 1)));
    if (m && m[1] === hex8(crc32(m[2]))) {
      out.damaged.push({ line: lines.length + 1, reason: 'its line end is damaged' });
    } else {
      out.torn = { line: lines.length + 1, bytes: tail };
    }
  }
  return out;
}
