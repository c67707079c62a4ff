/**
 * The CLI's live view of a running group: one row per bot (state, step, account, cycles, errors, capture and input
 * latency), redrawn in place on a terminal. `renderGroupTable` is pure (snapshot in, lines out).
 */
import type { BotSnapshot, GroupSnapshot, LatencySummary } from '../shared/fleetTypes';
import { printable } from './printable';

const HEADERS = ['INSTANCE', 'SERIAL', 'STATE', 'STEP', 'ACCOUNT', 'CYCLES', 'ERR', 'CAPTURE p50/p95', 'INPUT p50/p95', 'LAST ERROR'];

function latency(l: LatencySummary): string {
  return l.p50 === undefined ? '-' : `${fmtMs(l.p50)}/${fmtMs(l.p95 ?? l.p50)}`;
}

function fmtMs(v: number): string {
  return v >= 100 ? `${Math.round(v)}ms` : `${v.toFixed(1)}ms`;
}

/** Elapsed time as `1h02m03s` / `2m05s` / `7s`. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) {
    return `${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s`;
  }
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

function truncate(s: string, n: number): string {
  if (n <= 1) {
    return s.slice(0, Math.max(0, n));
  }
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function botRow(b: BotSnapshot, retired: boolean): string[] {
  const step = b.step ? (b.step.routine && b.step.routine !== b.routine ? `${b.step.routine}: ${b.step.name}` : b.step.name) : '';
  const state = retired ? `${b.state} (${b.stopReason ?? 'retired'})` : b.stopReason && (b.state === 'stopped' || b.state === 'failed') ? `${b.state} (${b.stopReason})` : b.state;
  // Names and messages come from files and devices: their control characters are shown escaped.
  return [b.instance, b.serial ?? '-', state, step || '-', b.account ?? '-', String(b.cycles), String(b.errors), latency(b.capture), latency(b.input), b.lastError?.message ?? ''].map(printable);
}

/**
 * The table of one group: a title line, a header and one row per bot (replaced bots last). `width` bounds each
 * line (the last column is cut to fit); `poolInfo` (for example `12/16 available`) follows the pool name.
 */
export function renderGroupTable(g: GroupSnapshot, now: number, width = 160, poolInfo?: string): string[] {
  const elapsed = g.startedAt !== undefined ? formatElapsed((g.stoppedAt ?? now) - g.startedAt) : '-';
  const title = [
    `${printable(g.name)} — ${g.state}${g.stopReason && (g.state === 'stopped' || g.state === 'failed') ? ` (${g.stopReason})` : ''}`,
    `routine ${printable(g.routine)}`,
    g.accountPool ? `pool ${printable(g.accountPool)}${poolInfo ? ` ${poolInfo}` : ''}` : undefined,
    `${g.bots.filter((b) => b.state !== 'stopped' && b.state !== 'failed').length}/${g.requestedBotCount} bots`,
    `elapsed ${elapsed}`,
    g.differsFromDefinition ? 'definition edited (applies at next start)' : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  const rows = [HEADERS, ...g.bots.map((b) => botRow(b, false)), ...g.retiredBots.map((b) => botRow(b, true))];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = [truncate(title, width)];
  for (const r of rows) {
    const line = r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
    lines.push(truncate(line, width));
  }
  if (g.lastError) {
    lines.push(truncate(`error: ${printable(g.lastError.message)}`, width));
  }
  return lines;
}

export interface TableOutput {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Redraws a block of lines in place on a terminal (cursor up + clear line); elsewhere it only prints on finish. */
export class LiveTable {
  private shown = 0;
  private last: string[] = [];

  constructor(private readonly out: TableOutput) {}

  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  /** Terminal width (or a default). */
  get width(): number {
    const cols = this.out.columns;
    return cols !== undefined && cols > 0 ? Math.max(40, cols - 1) : 160;
  }

  /** Shows `lines` in place of the previous block (TTY only; no-op when nothing changed). */
  update(lines: readonly string[]): void {
    if (!this.interactive) {
      this.last = [...lines];
      return;
    }
    if (lines.length === this.last.length && lines.every((l, i) => l === this.last[i])) {
      return;
    }
    let s = this.shown > 0 ? `\x1b[${this.shown}A` : '';
    for (const l of lines) {
      s += `\r\x1b[2K${l}\n`;
    }
    for (let i = lines.length; i < this.shown; i++) {
      s += '\r\x1b[2K\n';
    }
    if (this.shown > lines.length) {
      s += `\x1b[${this.shown - lines.length}A`;
    }
    this.out.write(s);
    this.shown = lines.length;
    this.last = [...lines];
  }

  /** Prints a message above the table (the table is redrawn below it on the next update). */
  note(message: string): void {
    if (this.interactive && this.shown > 0) {
      let s = `\x1b[${this.shown}A`;
      for (let i = 0; i < this.shown; i++) {
        s += '\r\x1b[2K\n';
      }
      s += `\x1b[${this.shown}A\r${message}\n`;
      this.out.write(s);
      this.shown = 0;
      const last = this.last;
      this.last = [];
      this.update(last);
    } else {
      this.out.write(`${message}\n`);
    }
  }

  /** Leaves the final table on screen (printing it when the output is not a terminal). */
  finish(lines: readonly string[]): void {
    if (this.interactive) {
      this.update(lines);
    } else {
      this.out.write(`${lines.join('\n')}\n`);
    }
    this.shown = 0;
  }
}
