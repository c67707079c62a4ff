/**
 * Events a running routine emits. One typed feed for the tree, the monitor, the CLI's --json output and the
 * debugger. Every step event carries the YAML source range of its step.
 */
import type { Point, Rect, SourceRange } from './geometry';

/**
 * An input a routine performed on its device, in device pixels. A typed `text` whose value came from a variable
 * (`${account.password}`) leaves `text` out: `chars` says how long it was; a literal text is kept.
 */
export type RoutineInput =
  | { kind: 'tap'; x: number; y: number }
  | { kind: 'longPress'; x: number; y: number; durationMs: number }
  | { kind: 'swipe'; from: Point; to: Point; durationMs: number }
  | { kind: 'text'; chars: number; text?: string }
  | { kind: 'key'; key: string | number };

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
  | (Base & { type: 'state'; state: 'running' | 'paused' | 'resumed' })
  /**
   * The routine performed an input on the device (after the device took it). `step`, `path`, `id` and `range` are
   * those of the step that did it; `rung` is set when the stuck ladder did it (`tapAgain`, `back`).
   */
  | (Base & { type: 'input'; input: RoutineInput; step?: string; path?: string; id?: string; range?: SourceRange; rung?: string });

/** `tap 270,480`, `swipe 100,800 → 100,200 (300 ms)`, `type "hello"` or `type 8 characters`, `key KEYCODE_BACK`. */
export function formatRoutineInput(i: RoutineInput): string {
  switch (i.kind) {
    case 'tap':
      return `tap ${i.x},${i.y}`;
    case 'longPress':
      return `long press ${i.x},${i.y} (${i.durationMs} ms)`;
    case 'swipe':
      return `swipe ${i.from.x},${i.from.y} → ${i.to.x},${i.to.y} (${i.durationMs} ms)`;
    case 'text':
      return i.text !== undefined ? `type ${JSON.stringify(i.text.length > 60 ? `${i.text.slice(0, 60)}…` : i.text)}` : `type ${i.chars} character${i.chars === 1 ? '' : 's'}`;
    case 'key':
      return `key ${i.key}`;
  }
}
