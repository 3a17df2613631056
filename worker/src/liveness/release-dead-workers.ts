import { hostname } from 'node:os';
import type { Backend } from '@warmgen/shared/adapters/open-backend.ts';
import type { Logger } from '@warmgen/shared/logging/logger.ts';

/**
 * For the mains, at start-up: records this worker process in the embedded database and
 * releases at once the jobs of any process on this host that died holding them (a SIGKILL,
 * a crash), instead of leaving them for their leases to run out. Their heartbeat records
 * go too, so GET /v1/capacity stops counting them. Returns the call that forgets this
 * process on a clean stop. Nothing to do on a backend without worker processes (gcp).
 */
export async function enterWorkerProcesses(
  backend: Pick<Backend, 'workerProcesses' | 'heartbeats'>,
  workerId: string,
  logger: Pick<Logger, 'info'>,
): Promise<() => Promise<void>> {
  const processes = backend.workerProcesses;
  if (processes === undefined) {
    return async () => {};
  }
  const self = { workerId, host: hostname(), pid: process.pid, startedAtMs: Date.now() };
  const released = await processes.enter(self, isAlive);
  for (const dead of released.workers) {
    await backend.heartbeats.remove({ workerId: dead });
  }
  if (released.workers.length > 0) {
    logger.info(
      { deadWorkers: released.workers, jobs: released.jobs.length },
      `released ${released.jobs.length} jobs of ${released.workers.length} dead worker processes`,
    );
  }
  return () => processes.leave({ workerId });
}

/** Signal 0 checks a pid without signalling it: ESRCH means no such process. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
