import { randomBytes } from 'node:crypto';
import type { Config } from '@warmgen/shared/config/load-config.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { createLauncher, type Launcher, type LauncherDeps } from './launcher.ts';

/**
 * The launcher as the API main runs it, from SCALE_*: null when SCALE_MODE=off. The Cloud
 * Run client and the lease's Firestore client are loaded only when scaling is on.
 * The backlog is the store's queued and running counts (why: docs/deploy.md, "Scaling").
 */
export async function startConfiguredLauncher(
  config: Pick<Config, 'scale' | 'gcp' | 'durationsMs'>,
  store: Pick<JobStore, 'countJobs'>,
  log: LauncherDeps['log'],
): Promise<{ launcher: Launcher; close(): Promise<void> } | null> {
  const scale = config.scale;
  if (scale.mode === 'off' || config.gcp === null) {
    return null;
  }
  const [{ openFirestoreLaunchLease }, { cloudRunJobTarget }, { cloudRunPoolTarget }] =
    await Promise.all([
      import('@warmgen/shared/adapters/firestore/open-firestore-launch-lease.ts'),
      import('./cloud-run/cloud-run-job-target.ts'),
      import('./cloud-run/cloud-run-pool-target.ts'),
    ]);
  const lease = openFirestoreLaunchLease(config.gcp);
  const target =
    scale.mode === 'job'
      ? cloudRunJobTarget(scale.job as string, scale.apiEndpoint)
      : cloudRunPoolTarget(scale.workerPool as string, scale.apiEndpoint);
  const launcher = createLauncher({
    backlog: async () => {
      const counts = await store.countJobs();
      return { queued: counts.queued, running: counts.running };
    },
    target,
    lease: lease.lease,
    holder: `api-${randomBytes(6).toString('hex')}`,
    limits: {
      jobsPerWorker: scale.jobsPerWorker,
      minWorkers: scale.minWorkers,
      maxWorkers: scale.maxWorkers,
      idleMs: config.durationsMs.scaleIdleMs,
    },
    intervalMs: config.durationsMs.scaleIntervalMs,
    log,
  });
  launcher.start();
  return {
    launcher,
    async close() {
      await launcher.stop();
      await target.close();
      await lease.close();
    },
  };
}
