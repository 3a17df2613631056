import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks presented API keys against the configured SHA-256 digests. The key is hashed
 * first and compared with every digest in constant time (crypto.timingSafeEqual on equal
 * 32-byte buffers, with no early exit), so neither the comparison nor which entry matched
 * shows in the timing. Keys are never stored or logged in the clear.
 */
export interface ApiKeyVerifier {
  /** The caller's owner id (`key_` + 16 hex of the digest), or null for an unknown key. */
  verify(presented: string): string | null;
}

export function createApiKeyVerifier(keyHashes: readonly string[]): ApiKeyVerifier {
  const digests = keyHashes.map((hex) => Buffer.from(hex, 'hex'));
  return {
    verify(presented) {
      const digest = createHash('sha256').update(presented, 'utf8').digest();
      let match: Buffer | null = null;
      for (const candidate of digests) {
        if (timingSafeEqual(candidate, digest)) {
          match = candidate;
        }
      }
      return match === null ? null : ownerIdOf(match);
    },
  };
}

/**
 * What a job records as its owner: derived from the digest, so it names the key without
 * revealing it, and stays the same across restarts and API instances.
 */
export function ownerIdOf(digest: Buffer): string {
  return `key_${digest.toString('hex').slice(0, 16)}`;
}
