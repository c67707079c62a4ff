/**
 * The one base class of the project's typed errors. Every failure the core, the host and the virtual device report
 * carries a machine-readable `code` (the UI picks the words), optional structured `details` and, when it wraps
 * another failure, its `cause`.
 */
export class FleetError<C extends string = string> extends Error {
  readonly code: C;
  /** Structured facts about the failure (names, counts...), JSON-serialisable. */
  readonly details?: Record<string, unknown>;

  constructor(code: C, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'FleetError';
    this.code = code;
    if (options?.details !== undefined) {
      this.details = options.details;
    }
  }
}
