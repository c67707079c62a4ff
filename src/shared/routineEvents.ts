/**
 * Events a running routine emits. One typed feed for the tree, the monitor, the CLI's --json output and the
 * debugger. Every step event carries the YAML source range of its step.
 */
import type { Rect, SourceRange } from './geometry';

interface Base {
  /** Wall-clock time, epoch ms: the time base of fleet events (durations such as `ms` are measured separately). */
  time: number;
  routine: string;
}

export type RoutineEvent =
  | (Base & { type: 'routine.start'; params: Record<string, unknown>; depth: number })
  | (Base & { type: 'routine.end'; ok: boolean; error?: string; depth: number })
  /** `step` is the step's label (its `name`, else its `id`, else its action); `id` and `name` are its own keys. */
  | (Base & { type: 'step.start'; step: string; path: string; id?: string; name?: string; range?: SourceRange })
  | (Base & { type: 'step.end'; step: string; path: string; id?: string; name?: string; range?: SourceRange; ok: boolean; ms: number; error?: string })
  | (Base & { type: 'match'; template: string; found: boolean; score: number; threshold: number; box: Rect; ms: number; range?: SourceRange })
  | (Base & { type: 'var'; name: string; value: unknown; range?: SourceRange })
  | (Base & { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; range?: SourceRange })
  | (Base & { type: 'error'; message: string; code?: string; range?: SourceRange })
  | (Base & { type: 'sentry'; sentry: string; phase: 'fired' | 'done'; outcome?: 'resume' | 'restart' | 'abort'; range?: SourceRange })
  | (Base & { type: 'stuck'; reason: string; rung: string; range?: SourceRange })
  | (Base & { type: 'account'; action: 'checkout' | 'complete' | 'release' | 'failed' | 'update' | 'inject'; accountId?: string; range?: SourceRange })
  | (Base & { type: 'state'; state: 'running' | 'paused' | 'resumed' });
