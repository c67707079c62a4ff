/**
 * RFC 4180 CSV with positions: fields separated by commas, records by LF or CRLF; a quoted field may hold commas,
 * newlines and doubled quotes (`""`). Every cell carries the line and column where it starts (1-based).
 *
 * Malformed quoting is reported on the record it belongs to (which the importer then skips), never thrown. A stray
 * quote would otherwise swallow the following lines into one field (up to the next quote, or the end of the file).
 * So when a quoted field runs over several lines and its record ends malformed (a quote never closed, text after
 * the closing quote, or another number of fields than the header), the record is reported where that quote opens,
 * and reading goes on at the next line: the rows after it are still read and counted.
 */

export interface CsvCell {
  value: string;
  line: number;
  col: number;
  quoted: boolean;
}

export interface CsvRecord {
  cells: CsvCell[];
  /** Line where the record starts. */
  line: number;
  /** Problems of this record (its cells are unreliable when there are any). */
  errors: CsvParseError[];
}

export interface CsvParseError {
  message: string;
  line: number;
  col: number;
}

export interface CsvParseResult {
  records: CsvRecord[];
  /** Every record's errors, in order. */
  errors: CsvParseError[];
}

/** Splits CSV text into records of cells. Blank lines are skipped. Malformed quoting is reported, not thrown. */
export function parseCsv(text: string): CsvParseResult {
  const records: CsvRecord[] = [];
  const errors: CsvParseError[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;
  const n = text.length;

  while (i < n) {
    const recLine = line;
    const cells: CsvCell[] = [];
    const recErrors: CsvParseError[] = [];
    /** The first quoted field of this record that runs over a line end. */
    let span: { line: number; col: number; offset: number } | undefined;
    let endOfRecord = false;
    while (!endOfRecord) {
      const cellLine = line;
      const cellCol = i - lineStart + 1;
      let value = '';
      let quoted = false;
      if (text[i] === '"') {
        quoted = true;
        const open = { line, col: cellCol, offset: i };
        i++;
        let closed = false;
        while (i < n) {
          const ch = text[i];
          if (ch === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (ch === '\n') {
            line++;
            lineStart = i + 1;
            span ??= open;
          }
          value += ch;
          i++;
        }
        if (!closed) {
          recErrors.push({ message: 'unterminated quoted field: the quote that opens here is never closed (a quote inside a field is written "")', line: open.line, col: open.col });
          span ??= open;
        } else if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          recErrors.push({ message: 'unexpected text after a closing quote (a quote inside a quoted field is written "")', line, col: i - lineStart + 1 });
          // Skip to the end of this field.
          while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
            i++;
          }
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') {
            recErrors.push({ message: 'a quote inside an unquoted field (quote the whole field and double the quote)', line, col: i - lineStart + 1 });
          }
          i++;
        }
        value = text.slice(start, i);
      }
      cells.push({ value, line: cellLine, col: cellCol, quoted });
      if (i >= n) {
        endOfRecord = true;
      } else if (text[i] === ',') {
        i++;
        if (i >= n) {
          cells.push({ value: '', line, col: i - lineStart + 1, quoted: false });
          endOfRecord = true;
        }
      } else {
        // \n or \r\n (a lone \r also ends the record)
        if (text[i] === '\r' && text[i + 1] === '\n') {
          i++;
        }
        i++;
        line++;
        lineStart = i;
        endOfRecord = true;
      }
    }
    const expected = records[0]?.cells.length;
    if (span && (recErrors.length || (expected !== undefined && cells.length !== expected))) {
      // A stray quote swallowed the lines after it: report the record where that quote opens, and read the lines
      // after that one again as rows of their own.
      const unterminated = recErrors.find((e) => e.message.startsWith('unterminated'));
      const why = recErrors.length ? recErrors[0].message.replace(/ \(.*\)$/, '') : `expected ${expected} fields, found ${cells.length}`;
      const lastLine = line - (i >= n && text[n - 1] !== '\n' ? 0 : 1);
      const err: CsvParseError = unterminated
        ? { ...unterminated, message: `${unterminated.message}; this row is skipped, and the next line is read as a new row` }
        : {
            message: `the quoted field that opens here takes in the line(s) after it${lastLine > span.line ? ` (to line ${lastLine})` : ''}, and the row is malformed (${why}): a quote is missing or stray; this row is skipped, and the next line is read as a new row`,
            line: span.line,
            col: span.col,
          };
      records.push({ cells, line: recLine, errors: [err] });
      errors.push(err);
      const next = text.slice(span.offset).search(/\r\n?|\n/);
      i = next < 0 ? n : span.offset + next + (text[span.offset + next] === '\r' && text[span.offset + next + 1] === '\n' ? 2 : 1);
      line = span.line + 1;
      lineStart = i;
      continue;
    }
    const blank = cells.length === 1 && cells[0].value.trim() === '' && !cells[0].quoted;
    if (!blank || recErrors.length) {
      records.push({ cells, line: recLine, errors: recErrors });
      errors.push(...recErrors);
    }
  }
  return { records, errors };
}
