import lockfile from 'proper-lockfile';

export interface HostLockOptions {
  /** A holder that stops refreshing the lock for this long is presumed dead. */
  staleMs: number;
  /** Told once when another process holds the lock and this one starts waiting. */
  onWait: () => void;
  /** The lock was taken over while held (this process stalled past staleMs). */
  onCompromised: (error: Error) => void;
}

/**
 * Runs `task` while holding an exclusive lock shared by every process on this host that
 * uses the same `path`. proper-lockfile creates `${path}.lock` atomically (mkdir), refreshes
 * its mtime while held, and treats a lock older than staleMs as abandoned, so a crashed
 * holder does not block the others for long. Waiters poll until the lock is free.
 */
export async function withHostLock<T>(
  path: string,
  task: () => Promise<T>,
  options: HostLockOptions,
): Promise<T> {
  const lockOptions = {
    realpath: false,
    stale: options.staleMs,
    update: Math.max(1000, Math.floor(options.staleMs / 4)),
    onCompromised: options.onCompromised,
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, { ...lockOptions, retries: 0 });
  } catch (error) {
    if ((error as { code?: string }).code !== 'ELOCKED') {
      throw error;
    }
    options.onWait();
    release = await lockfile.lock(path, {
      ...lockOptions,
      retries: { forever: true, minTimeout: 100, maxTimeout: 1000, factor: 1.5 },
    });
  }
  try {
    return await task();
  } finally {
    await release().catch(() => {
      // Already released or taken over (reported through onCompromised): nothing to undo.
    });
  }
}
