/** Plain geometry types shared by the core, the webview and the CLI. */

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

/** A rectangle in pixels: top-left corner plus width and height. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Position of a span of YAML text, 1-based line and column as editors show them. */
export interface SourcePosition {
  line: number;
  col: number;
}

export interface SourceRange {
  file: string;
  start: SourcePosition;
  end: SourcePosition;
  /** Character offsets into the file text (0-based, end exclusive). */
  offset: [number, number];
}

/** A located problem: everything that rejects user input reports through this shape. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  endLine?: number;
  endCol?: number;
  severity: 'error' | 'warning';
  message: string;
  /** Machine-readable code, for example `unknown-key` or `missing-variable`. */
  code?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
}
