/**
 * One wrapper for every command and webview action: progress for long work, silence on cancellation, and an error
 * shown once (the same message is not repeated while it is on screen) with a "Show Logs" action; the whole error
 * goes to the log.
 */
import * as vscode from 'vscode';
import type { Logger } from '../../shared/ports';

/** Thrown when the user dismissed a prompt: the command ends silently. */
export class CancelledByUser extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledByUser';
  }
}

export interface CommandRunnerOptions {
  logger: Logger;
  /** Opens the log (the "Show Logs" action). */
  showLogs: () => void;
}

export interface RunOptions {
  /** Shows a progress notification with this title while the command runs. */
  progress?: string;
}

export class CommandRunner {
  private readonly shown = new Set<string>();

  constructor(private readonly o: CommandRunnerOptions) {}

  /** Registers `id`; the handler's errors are reported by `report`. */
  register<A extends unknown[]>(id: string, handler: (...args: A) => unknown, opts: RunOptions = {}): vscode.Disposable {
    return vscode.commands.registerCommand(id, (...args: unknown[]) => this.run(id, () => handler(...(args as A)), opts));
  }

  /** Runs `fn` with progress and error reporting; resolves with its value, or undefined after an error. */
  async run<T>(what: string, fn: () => T | Promise<T>, opts: RunOptions = {}): Promise<T | undefined> {
    try {
      if (opts.progress) {
        return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: opts.progress }, () => Promise.resolve(fn()));
      }
      return await fn();
    } catch (e) {
      this.report(what, e);
      return undefined;
    }
  }

  /** Logs an error and shows it once (not again while the same message is on screen). */
  report(what: string, e: unknown): void {
    if (e instanceof CancelledByUser || (e instanceof vscode.CancellationError)) {
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    const code = e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
    // An error with a code is a described refusal (untrusted workspace, no folder, unknown group...): its stack
    // would bury the message in the log; the others keep theirs.
    this.o.logger.log('error', `${what}: ${message}`, { ...(code ? { code } : {}), ...(e instanceof Error && e.stack && !code ? { stack: e.stack } : {}) });
    const text = `Emulator Fleet: ${message}`;
    if (this.shown.has(text)) {
      return;
    }
    this.shown.add(text);
    void vscode.window.showErrorMessage(text, 'Show Logs').then(
      (pick) => {
        this.shown.delete(text);
        if (pick === 'Show Logs') {
          this.o.showLogs();
        }
      },
      () => this.shown.delete(text),
    );
  }
}
