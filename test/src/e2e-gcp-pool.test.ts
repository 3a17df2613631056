import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  type CloudRunTestServer,
  startCloudRunTestServer,
} from './cloud-run-test-server/cloud-run-test-server.ts';
import { capacityClient } from './e2e/capacity-client.ts';
import { countByStatus, stackClient, waitForJobs } from './gcp-stack/stack-client.ts';
import type { SupervisedProcess } from './gcp-stack/supervised-process.ts';
import { jsonLines, useGcpStack } from './gcp-stack/use-gcp-stack.ts';

/**
 * Pool mode end to end: SCALE_MODE=pool on the emulators, the Cloud Run Admin API test
 * server carrying out the pool's instance count with long-lived worker processes, and the
 * launcher sizing that count through the real `@google-cloud/run` client: from zero to the
 * backlog's want, and back to the minimum (0) once it has been idle for SCALE_IDLE_SECONDS.
 */
const stack = useGcpStack();
let cloudRun: CloudRunTestServer | undefined;
after(() => cloudRun?.close());

const items = 100;

describe('pool mode on the Google Cloud stack', () => {
  it('sizes the pool from 0 to ceil(100 / 50) = 2 for a burst, every job once, then back to 0 after the idle time', async () => {
    const { db, secrets, endpoints, namespace } = await stack();
    const ns = await namespace();
    const workers: SupervisedProcess[] = [];
    cloudRun = await startCloudRunTestServer({
      runTask: async () => 1,
      runInstance: (_pool, index) => {
        const worker = ns.spawnWorker(`pool-instance-${index}`, {
          WORKER_MODE: 'long-lived',
          MAX_BATCH: '16',
          HEARTBEAT_SECONDS: '1',
        });
        workers.push(worker);
        return { stop: () => worker.stop(30_000).then((status) => status.code ?? 1) };
      },
    });
    const pool = `projects/${endpoints.projectId}/locations/local/workerPools/warmgen-worker`;
    const api = await ns.startApi({
      SCALE_MODE: 'pool',
      SCALE_WORKER_POOL: pool,
      SCALE_MIN_WORKERS: '0',
      SCALE_MAX_WORKERS: '2',
      SCALE_JOBS_PER_WORKER: '50',
      SCALE_IDLE_SECONDS: '3',
      SCALE_INTERVAL_SECONDS: '1',
      CLOUD_RUN_API_ENDPOINT: cloudRun.url,
    });
    const capacity = capacityClient(api.baseUrl, secrets.apiKey);
    const idle = await capacity.until((view) => view.scaling.instances === 0);
    assert.equal(idle.scaling.mode, 'pool');
    assert.equal(cloudRun.instances.length, 0, 'an empty queue starts nothing');

    const batch = await stackClient(api.baseUrl, secrets.apiKey).submitBatch(
      Array.from({ length: items }, (_, i) => ({
        custom_id: `item-${i}`,
        prompt: 'The pool said',
        params: { max_new_tokens: 4, temperature: 0 },
      })),
    );
    assert.equal(batch.total, items);
    const all = await waitForJobs(
      db,
      ns.jobsCollection,
      (docs) => docs.length === items && docs.every((doc) => doc.status === 'succeeded'),
      240_000,
    );
    assert.deepEqual(countByStatus(all), { succeeded: items });
    assert.equal(cloudRun.instances.length, 2, 'two instances, each started once');

    // Idle for SCALE_IDLE_SECONDS: the pool goes back to its minimum, the instances stop.
    const down = await capacity.until(
      (view) => view.scaling.instances === 0 && view.workers.total === 0,
      60_000,
    );
    assert.equal(down.queue.queued, 0);
    await Promise.all(cloudRun.instances.map((instance) => instance.stopped));
    assert.deepEqual(
      cloudRun.instances.map((instance) => instance.exitCode),
      [0, 0],
      'SIGTERM: both stopped cleanly',
    );
    // Up to 2 at once; down only (through 1 when the tail of the burst wanted one for 3 s).
    const sizes = cloudRun.requests
      .filter((request) => request.method === 'PATCH')
      .map(
        (request) =>
          (request.body as { scaling: { manualInstanceCount: number } }).scaling
            .manualInstanceCount,
      );
    assert.equal(sizes[0], 2, JSON.stringify(sizes));
    assert.equal(sizes.at(-1), 0, JSON.stringify(sizes));
    assert.ok(
      sizes.every((size, i) => i === 0 || size < (sizes[i - 1] as number)),
      JSON.stringify(sizes),
    );

    // Exactly once across the two instances.
    const completions = new Map<string, number>();
    for (const worker of workers) {
      for (const line of jsonLines(worker)) {
        if (line.message === 'job succeeded') {
          completions.set(String(line.jobId), (completions.get(String(line.jobId)) ?? 0) + 1);
        }
      }
    }
    assert.equal(completions.size, items);
    assert.ok([...completions.values()].every((count) => count === 1));
  });
});
