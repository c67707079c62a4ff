/**
 * RFC 4180 CSV with positions: fields separated by commas, records by LF or CRLF; a quoted field may hold commas,
 * newlines and doubled quotes (`""`). Every cell carries the line and column where it starts (1-based).
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
}

export interface CsvParseError {
  message: string;
  line: number;
  col: number;
}

export interface CsvParseResult {
  records: CsvRecord[];
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
    let endOfRecord = false;
    while (!endOfRecord) {
      const cellLine = line;
      const cellCol = i - lineStart + 1;
      let value = '';
      let quoted = false;
      if (text[i] === '"') {
        quoted = true;
        const openLine = line;
        const openCol = cellCol;
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
          }
          value += ch;
          i++;
        }
        if (!closed) {
          errors.push({ message: 'unterminated quoted field', line: openLine, col: openCol });
          i = n;
        } else if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          errors.push({ message: 'unexpected text after a closing quote (a quote inside a quoted field is written "")', line, col: i - lineStart + 1 });
          // Skip to the end of this field.
          while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
            i++;
          }
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') {
            errors.push({ message: 'a quote inside an unquoted field (quote the whole field and double the quote)', line, col: i - lineStart + 1 });
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
    const blank = cells.length === 1 && cells[0].value.trim() === '' && !cells[0].quoted;
    if (!blank) {
      records.push({ cells, line: recLine });
    }
  }
  return { records, errors };
}
