import { type StorageFailure, storageFailureOf } from '@warmgen/shared/errors/storage-failure.ts';
import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';

/**
 * Whether the store and queue take writes, as the API has seen them. A storage failure
 * (shared/src/errors/storage-failure.ts) marks them failing; the next write that
 * succeeds, or a successful probe, marks them healthy again. /readyz is 503 while failing.
 *
 * Why a probe: a load balancer that sees 503 sends no more traffic, so no client write
 * would ever clear the state. While failing, /readyz runs `probe` (a tiny real write) at
 * most once per `probeIntervalMs`, and turns 200 as soon as one succeeds. With
 * `probeWhileHealthy` (gcp: a Firestore read) it probes while healthy too, at the same
 * rate, so /readyz turns 503 when the service stops answering even with no traffic.
 */
export interface StorageHealth {
  /** null when writes succeed; the last failure while they fail. */
  failure(): StorageFailure | null;
  /** Readiness: true unless failing, after probing (rate-limited) when failing. */
  check(): Promise<boolean>;
  /** Wraps the store and queue so their failures and successful writes are seen here. */
  watchStore(store: JobStore): JobStore;
  watchQueue(queue: JobQueue): JobQueue;
}

export interface StorageHealthOptions {
  /** A small durable write to the store; rejects while storage fails. Absent: none. */
  probe?: (() => Promise<void>) | undefined;
  probeIntervalMs?: number;
  /** Probe on /readyz while healthy too (rate-limited alike), not only while failing. */
  probeWhileHealthy?: boolean;
  now?: () => number;
  onChange?: (failure: StorageFailure | null) => void;
}

/** Methods that write: their success proves writes work again. The rest only read. */
const storeWrites = new Set<string>([
  'createJobs',
  'createBatch',
  'requestCancel',
  'cancelBatch',
  'markPublished',
  'claimJob',
  'renewLease',
  'releaseJob',
  'completeJob',
  'failJob',
  'markCanceled',
]);
const queueWrites = new Set<string>(['publish']);

export function createStorageHealth(options: StorageHealthOptions = {}): StorageHealth {
  const now = options.now ?? Date.now;
  const probeIntervalMs = options.probeIntervalMs ?? 1_000;
  let current: StorageFailure | null = null;
  let lastProbeMs = Number.NEGATIVE_INFINITY;
  let probing: Promise<void> | null = null;

  const set = (failure: StorageFailure | null) => {
    const changed = (current === null) !== (failure === null);
    current = failure;
    if (changed) {
      options.onChange?.(failure);
    }
  };

  function watch<T extends object>(target: T, writes: Set<string>): T {
    return new Proxy(target, {
      get(object, name, receiver) {
        const value = Reflect.get(object, name, receiver);
        if (typeof value !== 'function' || typeof name !== 'string' || name === 'close') {
          return value;
        }
        return async (...args: unknown[]) => {
          try {
            const result = await value.apply(object, args);
            if (writes.has(name) && current !== null) {
              set(null);
            }
            return result;
          } catch (error) {
            const failure = storageFailureOf(error);
            if (failure !== null) {
              set(failure);
            }
            throw error;
          }
        };
      },
    });
  }

  async function runProbe(probe: () => Promise<void>): Promise<void> {
    lastProbeMs = now();
    try {
      await probe();
      set(null);
    } catch (error) {
      set(storageFailureOf(error) ?? current);
    }
  }

  return {
    failure: () => current,
    async check() {
      const probe = options.probe;
      const wanted = current !== null || options.probeWhileHealthy === true;
      if (wanted && probe !== undefined && now() - lastProbeMs >= probeIntervalMs) {
        // Concurrent probes of /readyz share one write.
        probing ??= runProbe(probe).finally(() => {
          probing = null;
        });
        await probing;
      }
      return current === null;
    },
    watchStore: (store) => watch(store, storeWrites),
    watchQueue: (queue) => watch(queue, queueWrites),
  };
}
