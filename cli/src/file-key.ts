import { createHash } from 'node:crypto';

/**
 * The Idempotency-Key of a submit: the file's bytes decide it, so running the same
 * command again (after a crash, a Ctrl-C, a lost connection) finds the batch it made
 * instead of queuing the file twice. Any change to the file is a new batch.
 */
export function fileIdempotencyKey(content: Uint8Array): string {
  return `warmgen-cli-submit-${createHash('sha256').update(content).digest('hex')}`;
}
