import { WorkerPoolsClient } from '@google-cloud/run';
import type { PoolTarget } from '../scale-target.ts';
import { cloudRunClientOptions } from './cloud-run-client-options.ts';

/**
 * A Cloud Run worker pool as the launcher's target: its manual instance count, read with
 * getWorkerPool and set with updateWorkerPool (update mask scaling.manualInstanceCount, so
 * nothing else of the pool changes and no new revision is made). Needs run.workerPools.get
 * and run.workerPools.update on this one pool (infra/terraform/scaling.tf's custom role).
 * The update's long-running operation is not awaited: polling it would need
 * run.operations.get, which exists only project-wide, and the next decision reads the
 * count back with getWorkerPool anyway (the pool's spec changes at once; instances follow).
 */
export function cloudRunPoolTarget(
  pool: string,
  endpoint: URL | null,
): PoolTarget & { close(): Promise<void> } {
  const client = new WorkerPoolsClient(cloudRunClientOptions(endpoint));
  return {
    kind: 'pool',
    async instanceCount() {
      const [found] = await client.getWorkerPool({ name: pool });
      return found.scaling?.manualInstanceCount ?? 0;
    },
    async setInstanceCount(count) {
      await client.updateWorkerPool({
        workerPool: { name: pool, scaling: { manualInstanceCount: count } },
        updateMask: { paths: ['scaling.manual_instance_count'] },
      });
    },
    async close() {
      await client.close();
    },
  };
}
