/**
 * A deadline on every call of a port, for the API on Google Cloud. Why our own: the client
 * libraries retry UNAVAILABLE for up to 10 minutes, and a Firestore commit passes its own
 * retry options with the library's built-in back-off (write-batch.js), so no client setting
 * shortens it; with the backend cut off, a request would hang that long. Past the
 * deadline the call rejects with gRPC's DEADLINE_EXCEEDED code, which the one table in
 * shared/src/errors/storage-failure.ts maps to 503 `deadline_exceeded` with Retry-After.
 *
 * What must be said about it: the library keeps trying in the background, so a write
 * refused by its deadline may still land once the backend is back. That is why the 503
 * says to resend with the same Idempotency-Key, and why only the API (which answers a
 * client who can retry) uses this: a worker's lease and the queue's redelivery already
 * bound what a stuck worker call can hold.
 */
export class CallDeadlineError extends Error {
  /** gRPC DEADLINE_EXCEEDED, as the client libraries' own deadline errors carry it. */
  readonly code = 4;

  constructor(what: string, deadlineMs: number) {
    super(`${what} did not answer within ${deadlineMs} ms`);
    this.name = 'CallDeadlineError';
  }
}

/** `call()`, or a CallDeadlineError once `deadlineMs` passes first. */
export async function withinDeadline<T>(
  call: () => Promise<T>,
  deadlineMs: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallDeadlineError(what, deadlineMs)), deadlineMs);
  });
  try {
    return await Promise.race([call(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The same object with a deadline on each method that returns a promise; `close` and
 * methods that answer synchronously (a subscription handle, say) are left as they are.
 */
export function withCallDeadlines<T extends object>(
  target: T,
  deadlineMs: number,
  name: string,
): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'close') {
        return value;
      }
      return (...args: unknown[]) => {
        const result: unknown = value.apply(object, args);
        if (!(result instanceof Promise)) {
          return result;
        }
        return withinDeadline(() => result, deadlineMs, `${name}.${key}`);
      };
    },
  });
}
