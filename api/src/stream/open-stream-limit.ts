import { ApiError } from '../api-error.ts';

/**
 * Open SSE streams per API key (per client address when the API is open), in this API
 * process: a stream holds a connection and a poll of the store for as long as its job
 * runs, so one key must not hold them all. Counted per process, like the rate limit: N
 * instances allow up to N times as many.
 */
export class OpenStreamLimit {
  private readonly open = new Map<string, number>();
  private readonly maxPerKey: number;
  /** What a 429's Retry-After says: streams end when their jobs do, typically seconds. */
  readonly retryAfterSeconds: number;

  constructor(maxPerKey: number, retryAfterSeconds = 5) {
    this.maxPerKey = maxPerKey;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Counts a stream in for `key` and returns its release (once), or throws the 429. */
  acquire(key: string): () => void {
    const count = this.open.get(key) ?? 0;
    if (count >= this.maxPerKey) {
      throw new ApiError(
        'rate_limited',
        `this API key already has ${count} open streams (at most ${this.maxPerKey}); close one or retry after ${this.retryAfterSeconds} s`,
      );
    }
    this.open.set(key, count + 1);
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left === 0) {
        this.open.delete(key);
      } else {
        this.open.set(key, left);
      }
    };
  }
}
