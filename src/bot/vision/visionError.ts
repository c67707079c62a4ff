/** The typed error of the vision layer: every failure carries a machine-readable `code`. */
import type { VisionErrorCode } from './types';
import { FleetError } from '../../shared/errors';

export class VisionError extends FleetError<VisionErrorCode> {
  constructor(code: VisionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'VisionError';
  }
}

/** True when `e` is a VisionError (with the given code, when one is passed). */
export function isVisionError(e: unknown, code?: VisionErrorCode): e is VisionError {
  return e instanceof VisionError && (code === undefined || e.code === code);
}
