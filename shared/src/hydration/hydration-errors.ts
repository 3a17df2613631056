/**
 * Errors the hydrator raises itself. Transient ones (a body that ended short, a body that
 * stopped flowing) are retried like HTTP 5xx; a checksum mismatch re-downloads the file a
 * few times and then fails closed, naming the object.
 */
export class TruncatedBodyError extends Error {
  override name = 'TruncatedBodyError';
}

export class StalledBodyError extends Error {
  override name = 'StalledBodyError';
}

export class ChecksumMismatchError extends Error {
  override name = 'ChecksumMismatchError';
}

/** Hydration failed; no partial model was published. `cause` holds the last error. */
export class HydrationError extends Error {
  override name = 'HydrationError';
}
