/** Sleeps `ms`, or until `signal` aborts (then resolves at once: the caller checks the signal). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Whether an error is the abort of a request the signal cancelled. */
export function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (error as { name?: string } | null)?.name === 'AbortError';
}
