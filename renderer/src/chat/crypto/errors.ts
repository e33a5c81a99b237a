import { MatrixError } from 'matrix-js-sdk';
import { KeyBackupError } from './key-backup';

/** A sentence for the person from whatever an encryption operation threw. */
export function describeError(e: unknown): string {
  if (e instanceof KeyBackupError) return e.message;
  if (e instanceof MatrixError) {
    if (e.httpStatus === 429) return 'The server is busy. Wait a moment and try again.';
    return `The server refused: ${e.data.error ?? e.errcode ?? e.httpStatus}.`;
  }
  if (e instanceof TypeError && /fetch/i.test(e.message)) {
    return 'The server could not be reached. Check your connection and try again.';
  }
  return `Something went wrong: ${e instanceof Error ? e.message : String(e)}`;
}
