/**
 * The core's Logger port on VS Code's LogOutputChannel: every record of the fleet (orchestrator, groups, bots,
 * devices, pools) goes to the "Emulator Fleet" log, with its source as a prefix and its data as JSON.
 */
import type * as vscode from 'vscode';
import { SinkLogger } from '../../shared/loggers';
import type { LogRecord, Logger } from '../../shared/ports';

function line(r: LogRecord): string {
  const data = r.data && Object.keys(r.data).length ? ` ${safeJson(r.data)}` : '';
  return `${r.source ? `[${r.source}] ` : ''}${r.message}${data}`;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return '[unserialisable data]';
  }
}

/** A core Logger writing to `channel` (the channel's own level filters what is shown). */
export function outputLogger(channel: vscode.LogOutputChannel): Logger {
  return new SinkLogger((r) => {
    const text = line(r);
    switch (r.level) {
      case 'trace':
        channel.trace(text);
        break;
      case 'debug':
        channel.debug(text);
        break;
      case 'info':
        channel.info(text);
        break;
      case 'warn':
        channel.warn(text);
        break;
      case 'error':
        channel.error(text);
        break;
    }
  }, 'trace');
}
