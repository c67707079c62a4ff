/**
 * What the routine editor shows while bots run (pure: no vscode): each running bot's current step (a line of a
 * routine file) and the last match score of each image condition per bot. Fed from fleet events (`bot.step`,
 * `bot.routine` match events, bot state) and from "Run Routine on Device" runs; the decorations and the CodeLens
 * read it. Lines here are 0-based (the editor's), files workspace-relative with `/` (as event ranges carry them).
 */
import type { SourceRange } from '../../shared/geometry';

/** One bot's current step. */
export interface LiveStep {
  bot: string;
  /** Workspace-relative file. */
  file: string;
  /** 0-based line of the step's first line. */
  line: number;
  label: string;
}

/** A line of a file with the bots whose current step starts on it (in the order they were first seen). */
export interface StepMarker {
  line: number;
  bots: string[];
}

export interface LiveScore {
  bot: string;
  template: string;
  score: number;
  threshold: number;
  found: boolean;
  /** Wall time of the match, epoch ms. */
  time: number;
}

/** Normalizes a file path of an event range (Windows separators, a leading `./`). */
export function normalizeFile(file: string): string {
  return file.replace(/\\/g, '/').replace(/^\.\//, '');
}

/** The 0-based editor line where a step event's range starts (its lines are 1-based). */
export function lineOf(range: SourceRange): number {
  return Math.max(0, range.start.line - 1);
}

/** The after-line text of a marker: "◀ bot 1, bot 3" (at most `max` names, then "+N"). */
export function markerText(bots: readonly string[], max = 4): string {
  const shown = bots.slice(0, max).join(', ');
  return `◀ ${shown}${bots.length > max ? ` +${bots.length - max}` : ''}`;
}

/** The CodeLens title of a line's scores: "0.97 on bot 2 · 0.12 on bot 4" (a template name when several differ). */
export function scoresText(scores: readonly LiveScore[]): string {
  const templates = new Set(scores.map((s) => s.template));
  return scores.map((s) => `${s.score.toFixed(2)}${s.found ? ' ✓' : ''} on ${s.bot}${templates.size > 1 ? ` (${s.template})` : ''}`).join(' · ');
}

/**
 * The bot order of markers and lenses: by the natural order of their names ("bot 2" before "bot 10"). One collator:
 * `localeCompare` with options builds one per call, which with 16 bots scoring was a sixth of the extension host's time.
 */
const byName = new Intl.Collator(undefined, { numeric: true }).compare;

export class LiveSteps {
  private readonly steps = new Map<string, LiveStep>();
  /** file -> line -> bot -> score */
  private readonly scores = new Map<string, Map<number, Map<string, LiveScore>>>();
  private readonly listeners = new Set<(files: ReadonlySet<string>) => void>();

  /** Registers a listener of the files whose markers or scores changed (called synchronously, once per change). */
  onDidChange(fn: (files: ReadonlySet<string>) => void): { dispose(): void } {
    this.listeners.add(fn);
    return { dispose: () => this.listeners.delete(fn) };
  }

  /** A step started (`phase: start`) or ended (`end`: the marker stays until the next step or the bot stops). */
  step(bot: string, range: SourceRange | undefined, label: string): void {
    if (!range) {
      return;
    }
    const next: LiveStep = { bot, file: normalizeFile(range.file), line: lineOf(range), label };
    const prev = this.steps.get(bot);
    if (prev && prev.file === next.file && prev.line === next.line && prev.label === next.label) {
      return;
    }
    this.steps.set(bot, next);
    this.fire(new Set([next.file, ...(prev ? [prev.file] : [])]));
  }

  /** A match of an image condition (its range is the condition's). */
  match(bot: string, range: SourceRange | undefined, m: { template: string; score: number; threshold: number; found: boolean; time: number }): void {
    if (!range) {
      return;
    }
    const file = normalizeFile(range.file);
    const line = lineOf(range);
    let byLine = this.scores.get(file);
    if (!byLine) {
      byLine = new Map();
      this.scores.set(file, byLine);
    }
    let byBot = byLine.get(line);
    if (!byBot) {
      byBot = new Map();
      byLine.set(line, byBot);
    }
    byBot.set(bot, { bot, template: m.template, score: m.score, threshold: m.threshold, found: m.found, time: m.time });
    this.fire(new Set([file]));
  }

  /** The bot stopped (or its run ended): its marker and its scores go. */
  remove(bot: string): void {
    const files = new Set<string>();
    const prev = this.steps.get(bot);
    if (prev) {
      this.steps.delete(bot);
      files.add(prev.file);
    }
    for (const [file, byLine] of this.scores) {
      for (const [line, byBot] of byLine) {
        if (byBot.delete(bot)) {
          files.add(file);
        }
        if (byBot.size === 0) {
          byLine.delete(line);
        }
      }
      if (byLine.size === 0) {
        this.scores.delete(file);
      }
    }
    if (files.size) {
      this.fire(files);
    }
  }

  /** Every bot that has a marker or a score now. */
  bots(): string[] {
    const all = new Set(this.steps.keys());
    for (const byLine of this.scores.values()) {
      for (const byBot of byLine.values()) {
        for (const b of byBot.keys()) {
          all.add(b);
        }
      }
    }
    return [...all].sort(byName);
  }

  /** Removes every bot. */
  clear(): void {
    for (const b of this.bots()) {
      this.remove(b);
    }
  }

  /** The step markers of a file, by line. */
  markers(file: string): StepMarker[] {
    const f = normalizeFile(file);
    const byLine = new Map<number, string[]>();
    for (const s of this.steps.values()) {
      if (s.file === f) {
        const list = byLine.get(s.line) ?? [];
        list.push(s.bot);
        byLine.set(s.line, list);
      }
    }
    return [...byLine].sort((a, b) => a[0] - b[0]).map(([line, bots]) => ({ line, bots: bots.sort(byName) }));
  }

  /** The current step of a bot. */
  stepOf(bot: string): LiveStep | undefined {
    return this.steps.get(bot);
  }

  /** The scores of a line of a file (by bot name). */
  scoresAt(file: string, line: number): LiveScore[] {
    return [...(this.scores.get(normalizeFile(file))?.get(line)?.values() ?? [])].sort((a, b) => byName(a.bot, b.bot));
  }

  /** Lines of a file that have scores. */
  scoredLines(file: string): number[] {
    return [...(this.scores.get(normalizeFile(file))?.keys() ?? [])].sort((a, b) => a - b);
  }

  private fire(files: ReadonlySet<string>): void {
    for (const l of [...this.listeners]) {
      l(files);
    }
  }
}
