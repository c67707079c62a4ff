/**
 * The Template Lab's marks (no vscode): whether a template should be found on a frame, as the user set it. Kept in
 * a memento (the workspace's state), so they outlast the lab and the window. A frame is named by its lab id and, for
 * a recorded frame, its capture time (recorded frames are numbered again after a restart: a mark never lands on
 * another frame that reuses the number). The newest {@link MAX_MARKS} marks are kept.
 */

/** The part of `vscode.Memento` used. */
export interface MarkMemento {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

export const MARKS_KEY = 'emulatorFleet.templateLab.marks';
export const MAX_MARKS = 5000;

/** The key of a mark: a template on a frame (`time`: a recorded frame's capture time). */
export function markKey(template: string, frameId: string, time?: number): string {
  return `${template}\n${frameId}${time !== undefined ? `\n${time}` : ''}`;
}

export class LabExpectations {
  /** Oldest first (a Map keeps insertion order; a mark set again moves to the end). */
  private readonly marks: Map<string, boolean>;

  constructor(
    private readonly memento: MarkMemento,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    const saved = memento.get<unknown>(MARKS_KEY);
    const entries = Array.isArray(saved) ? saved.filter((e): e is [string, boolean] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'boolean') : [];
    this.marks = new Map(entries);
  }

  get(key: string): boolean | undefined {
    return this.marks.get(key);
  }

  /** Sets (true/false) or clears (null) a mark, and saves the marks. */
  set(key: string, expected: boolean | null): void {
    this.marks.delete(key);
    if (expected !== null) {
      this.marks.set(key, expected);
    }
    while (this.marks.size > MAX_MARKS) {
      const oldest = this.marks.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      this.marks.delete(oldest);
    }
    void Promise.resolve(this.memento.update(MARKS_KEY, [...this.marks])).catch((e: unknown) => this.onError(e));
  }
}
