import { EventEmitter } from 'node:events';

/**
 * Wakes pullers in this process when a message becomes available, so a worker sharing a
 * process with the API picks a job up at once instead of at its next poll. One emitter per
 * database file: the API's queue and the worker's queue may be separate connections to it.
 * Other processes are not reached; their pullers poll (see SqliteJobQueue.pull).
 */
const emitters = new Map<unknown, EventEmitter>();

/** `key` is the database file path, or the handle itself for an in-memory database. */
export function signalAvailable(key: unknown): void {
  emitters.get(key)?.emit('available');
}

/**
 * Resolves after `timeoutMs`, on the next signal for `key`, or when `abort` fires, whichever
 * comes first. Never rejects.
 */
export function waitForAvailable(
  key: unknown,
  timeoutMs: number,
  abort: AbortSignal,
): Promise<void> {
  let emitter = emitters.get(key);
  if (emitter === undefined) {
    emitter = new EventEmitter();
    // One listener per waiting pull; many pullers in one process are legitimate.
    emitter.setMaxListeners(0);
    emitters.set(key, emitter);
  }
  const target = emitter;
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      target.off('available', done);
      abort.removeEventListener('abort', done);
      if (emitters.get(key) === target && target.listenerCount('available') === 0) {
        emitters.delete(key);
      }
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    target.once('available', done);
    abort.addEventListener('abort', done, { once: true });
    if (abort.aborted) {
      done();
    }
  });
}
