import { isDeepStrictEqual } from 'node:util';
import type { Job, NewJob } from '@warmgen/shared/domain/job.ts';

/**
 * The store dedupes on Idempotency-Key and hands back the job that already holds the key.
 * A retry is the same request again: same prompt, same (resolved) params, same webhook.
 * Anything else under the same key is a client bug worth a 409, not a silent success.
 */
export function isSameSubmission(existing: Job, attempted: NewJob): boolean {
  return (
    existing.prompt === attempted.prompt &&
    isDeepStrictEqual(existing.params, attempted.params) &&
    isDeepStrictEqual(existing.webhook, attempted.webhook)
  );
}
