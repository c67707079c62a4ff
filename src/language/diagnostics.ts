/**
 * The core's located diagnostics as LSP diagnostics: exact ranges (the core's 1-based line/col and end), the
 * core's code, and structured `data` the quick fixes read (the "did you mean" replacement, the missing
 * parameters, the unknown template).
 */
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Diagnostic } from '../shared/geometry';
import { DIAGNOSTIC_SOURCE } from './protocol';

export interface FleetDiagnosticData {
  /** A "did you mean" hint: `replacement` stands for the first of `words` found in the diagnostic's range. */
  didYouMean?: { replacement: string; words: string[] };
  /** A call or a group that misses required parameters of `routine`. */
  missingParams?: { routine: string; params: string[] };
  /** A reference to a template that does not exist. */
  unknownTemplate?: string;
}

function quoted(message: string): string[] {
  return [...message.matchAll(/'([^']+)'/g)].map((m) => m[1]);
}

/** Structured data of a core diagnostic, from its code and message. */
export function diagnosticData(d: Diagnostic): FleetDiagnosticData | undefined {
  const data: FleetDiagnosticData = {};
  const hint = /did you mean '([^']+)'\?/.exec(d.message);
  if (hint) {
    data.didYouMean = { replacement: hint[1], words: quoted(d.message).filter((w) => w !== hint[1]) };
  }
  if (d.code === 'missing-param') {
    const [routine, ...params] = quoted(d.message);
    if (routine && params.length) {
      data.missingParams = { routine, params };
    }
  }
  if (d.code === 'unknown-template') {
    const [name] = quoted(d.message);
    if (name) {
      data.unknownTemplate = name;
    }
  }
  return Object.keys(data).length ? data : undefined;
}

export function toLspDiagnostic(d: Diagnostic): LspDiagnostic {
  const start = { line: Math.max(0, d.line - 1), character: Math.max(0, d.col - 1) };
  const end = d.endLine !== undefined && d.endCol !== undefined ? { line: Math.max(0, d.endLine - 1), character: Math.max(0, d.endCol - 1) } : start;
  const data = diagnosticData(d);
  return {
    range: { start, end },
    severity: d.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error,
    message: d.message,
    source: DIAGNOSTIC_SOURCE,
    ...(d.code ? { code: d.code } : {}),
    ...(data ? { data } : {}),
  };
}

/** Groups diagnostics by file (only paths of files, not folder-level notes without a file). */
export function byFile(ds: readonly Diagnostic[]): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const d of ds) {
    const list = out.get(d.file) ?? [];
    list.push(d);
    out.set(d.file, list);
  }
  return out;
}
