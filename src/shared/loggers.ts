/** Logger implementations: a sink logger (the CLI's stderr, the extension's output channel), an in-memory one, a silent one. */
import type { Logger, LogLevel, LogRecord } from './ports';

const LEVELS: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** A logger that hands records to a sink; `child` prefixes the source. */
export class SinkLogger implements Logger {
  constructor(
    private readonly sink: (r: LogRecord) => void,
    private readonly minLevel: LogLevel = 'info',
    private readonly source?: string,
    private readonly clock: { now(): number } = { now: () => Date.now() },
  ) {}

  log(level: LogLevel, message: string, data?: Record<string, unknown>): void {
    if (LEVELS[level] < LEVELS[this.minLevel]) {
      return;
    }
    this.sink({ level, message, time: this.clock.now(), source: this.source, data });
  }

  child(source: string): Logger {
    return new SinkLogger(this.sink, this.minLevel, this.source ? `${this.source}/${source}` : source, this.clock);
  }
}

/** Keeps records in memory (tests, and the monitor's recent-log buffer). */
export class MemoryLogger extends SinkLogger {
  readonly records: LogRecord[];
  constructor(minLevel: LogLevel = 'trace') {
    const records: LogRecord[] = [];
    super((r) => records.push(r), minLevel);
    this.records = records;
  }
}

export const nullLogger: Logger = {
  log: () => undefined,
  child: () => nullLogger,
};
