import type { Config } from '../config/load-config.ts';
import type { Logger } from '../logging/logger.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobStore } from '../ports/job-store.ts';
import { type OrphanSweeper, startOrphanSweeper } from './orphan-sweeper.ts';

/** The orphan sweeper as every API process runs it: timings from config, outcomes logged. */
export function startConfiguredOrphanSweeper(
  backend: { store: JobStore; queue: JobQueue },
  config: Pick<Config, 'durationsMs'>,
  log: Pick<Logger, 'warn' | 'error'>,
): OrphanSweeper {
  return startOrphanSweeper({
    store: backend.store,
    queue: backend.queue,
    now: Date.now,
    olderThanMs: config.durationsMs.orphanAgeMs,
    intervalMs: config.durationsMs.orphanSweepIntervalMs,
    onRepublished: (count) => log.warn({ count }, 'queued jobs whose publish had failed'),
    onError: (error) => log.error({ err: error }, 'orphan sweep failed; retrying next interval'),
  });
}
