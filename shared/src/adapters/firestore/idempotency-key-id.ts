import { createHash } from 'node:crypto';

/**
 * The document id for an idempotency key: a hash, because a key is any client string
 * (it may contain "/" or be longer than a document id may be), and a hash spreads the
 * documents evenly over Firestore's key range.
 */
export function idempotencyKeyId(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}
