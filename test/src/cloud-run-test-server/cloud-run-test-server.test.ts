import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cloudRunJobTarget } from '@warmgen/api/launcher/cloud-run/cloud-run-job-target.ts';
import { cloudRunPoolTarget } from '@warmgen/api/launcher/cloud-run/cloud-run-pool-target.ts';
import {
  type CloudRunTestServer,
  startCloudRunTestServer,
  type TaskEnv,
} from './cloud-run-test-server.ts';

/**
 * The Cloud Run Admin API test server against the official `@google-cloud/run` clients
 * (through the launcher's adapters, REST transport): what the client sends is what the
 * server understands, and what the server answers is what the client parses.
 */
const job = 'projects/warmgen-local/locations/europe-west4/jobs/warmgen-worker';
const pool = 'projects/warmgen-local/locations/europe-west4/workerPools/warmgen-pool';

interface Started {
  env: TaskEnv;
  exit: (code: number) => void;
}
const started: Started[] = [];
let server: CloudRunTestServer;

before(async () => {
  server = await startCloudRunTestServer({
    maxRetries: 1,
    runTask: (env) => new Promise<number>((resolve) => started.push({ env, exit: resolve })),
  });
});
after(() => server.close());

test('runJob with a taskCount override starts that many tasks with the CLOUD_RUN_* variables; they count as running until they exit', async () => {
  const target = cloudRunJobTarget(job, new URL(server.url));
  try {
    assert.equal(await target.runningTasks(), 0);
    const execution = await target.launch(3);
    assert.match(
      execution,
      /^projects\/warmgen-local\/locations\/europe-west4\/jobs\/warmgen-worker\/executions\/warmgen-worker-[0-9a-f]{6}$/,
    );
    const run = server.requests.find((request) => request.method === 'POST');
    assert.equal(run?.path, `/v2/${job}:run`);
    assert.deepEqual(run?.body, { overrides: { taskCount: 3 } });

    assert.equal(started.length, 3);
    const shortName = execution.split('/').at(-1);
    assert.deepEqual(
      started.map((task) => task.env),
      [0, 1, 2].map((index) => ({
        CLOUD_RUN_JOB: 'warmgen-worker',
        CLOUD_RUN_EXECUTION: shortName,
        CLOUD_RUN_TASK_INDEX: String(index),
        CLOUD_RUN_TASK_COUNT: '3',
        CLOUD_RUN_TASK_ATTEMPT: '0',
      })),
    );
    assert.equal(await target.runningTasks(), 3);

    started[0]?.exit(0);
    started[1]?.exit(0);
    // A non-zero exit fails the attempt; the task is retried once (maxRetries 1), then fails.
    started[2]?.exit(3);
    await waitFor(() => started.length === 4);
    assert.equal(started[3]?.env.CLOUD_RUN_TASK_ATTEMPT, '1');
    assert.equal(started[3]?.env.CLOUD_RUN_TASK_INDEX, '2');
    assert.equal(await target.runningTasks(), 1);
    started[3]?.exit(1);
    await server.executions[0]?.done;

    assert.equal(await target.runningTasks(), 0);
    const record = server.executions[0];
    assert.equal(record?.succeededCount, 2);
    assert.equal(record?.failedCount, 1);
    assert.equal(record?.retriedCount, 1);
    assert.notEqual(record?.completionTime, null);
  } finally {
    await target.close();
  }
});

test('a refused runJob rejects with the Admin API error, and the next call starts an execution', async () => {
  const target = cloudRunJobTarget(job, new URL(server.url));
  try {
    const before = server.executions.length;
    server.refuseRuns(1);
    await assert.rejects(target.launch(1), (error: Error & { code?: number }) => {
      assert.match(error.message, /unavailable/i);
      return true;
    });
    assert.equal(server.executions.length, before);
    await target.launch(1);
    assert.equal(server.executions.length, before + 1);
    started.at(-1)?.exit(0);
  } finally {
    await target.close();
  }
});

test('a worker pool is read and resized through getWorkerPool and updateWorkerPool', async () => {
  const target = cloudRunPoolTarget(pool, new URL(server.url));
  try {
    assert.equal(await target.instanceCount(), 0);
    await target.setInstanceCount(4);
    assert.equal(server.pools.get(pool), 4);
    assert.equal(await target.instanceCount(), 4);
    const patch = server.requests.find((request) => request.method === 'PATCH');
    assert.equal(patch?.path, `/v2/${pool}`);
    // The name travels in the path; the body carries what the update mask names.
    assert.deepEqual((patch?.body as { scaling?: unknown } | undefined)?.scaling, {
      manualInstanceCount: 4,
    });
    await target.setInstanceCount(0);
    assert.equal(await target.instanceCount(), 0);
  } finally {
    await target.close();
  }
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let round = 0; !condition(); round += 1) {
    if (round > 200) {
      throw new Error('condition never held');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
