import { WorkerPoolsClient } from '@google-cloud/run';
import type { PoolTarget } from '../scale-target.ts';
import { cloudRunClientOptions } from './cloud-run-client-options.ts';

/**
 * A Cloud Run worker pool as the launcher's target: its manual instance count, read with
 * getWorkerPool and set with updateWorkerPool (update mask scaling.manualInstanceCount, so
 * nothing else of the pool changes and no new revision is made). Needs run.workerPools.get
 * and run.workerPools.update on this one pool.
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
      const [operation] = await client.updateWorkerPool({
        workerPool: { name: pool, scaling: { manualInstanceCount: count } },
        updateMask: { paths: ['scaling.manual_instance_count'] },
      });
      await operation.promise();
    },
    async close() {
      await client.close();
    },
  };
}
