import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  type CloudRunTestServer,
  startCloudRunTestServer,
} from './cloud-run-test-server/cloud-run-test-server.ts';
import { mapConcurrently } from './e2e/service-client.ts';
import { drainTaskRunner } from './gcp-stack/drain-task-runner.ts';
import { countByStatus, stackClient, waitForJobs } from './gcp-stack/stack-client.ts';
import type { SupervisedProcess } from './gcp-stack/supervised-process.ts';
import { jsonLines, useGcpStack } from './gcp-stack/use-gcp-stack.ts';

/**
 * Workers that follow the backlog, end to end: two API processes with SCALE_MODE=job on
 * the emulators, the Cloud Run Admin API test server whose run-job starts drain-mode worker
 * processes, and no worker at all to begin with. The API processes' launchers use the real
 * `@google-cloud/run` client; only the Admin API is a test server.
 */
const stack = useGcpStack();
let cloudRun: CloudRunTestServer | undefined;
after(() => cloudRun?.close());

const input = { prompt: 'The backlog said', params: { max_new_tokens: 4, temperature: 0 } };
const items = 300;
const workerEnv = { LEASE_SECONDS: '10', MAX_BATCH: '16' };

describe('the launcher on the Google Cloud stack', () => {
  it('from zero workers: a 300-item burst through two APIs starts one execution (after a refused launch) that drains and exits 0, every job exactly once; a second burst starts a new one', async () => {
    const { db, secrets, endpoints, namespace } = await stack();
    const ns = await namespace();
    const tasks: Array<{ task: SupervisedProcess; execution: string }> = [];
    cloudRun = await startCloudRunTestServer({
      runTask: drainTaskRunner({
        spawn: (name, env) => ns.spawnWorker(name, { ...workerEnv, ...env }),
        idleExitSeconds: 2,
        onStarted: (task, env) => tasks.push({ task, execution: env.CLOUD_RUN_EXECUTION }),
      }),
    });
    const job = `projects/${endpoints.projectId}/locations/local/jobs/warmgen-worker`;
    const scaleEnv = {
      SCALE_MODE: 'job',
      SCALE_JOB: job,
      SCALE_JOBS_PER_WORKER: '100',
      SCALE_MAX_WORKERS: '2',
      SCALE_INTERVAL_SECONDS: '2',
      CLOUD_RUN_API_ENDPOINT: cloudRun.url,
    };
    const [one, two] = await Promise.all([ns.startApi(scaleEnv), ns.startApi(scaleEnv)]);
    assert.equal(cloudRun.executions.length, 0, 'nothing launched with an empty queue');

    // The Admin API refuses the first launch: it is retried, and the jobs wait meanwhile.
    cloudRun.refuseRuns(1);
    const half = items / 2;
    const batchOf = (from: number) =>
      Array.from({ length: half }, (_, i) => ({ custom_id: `item-${from + i}`, ...input }));
    const [batchOne, batchTwo] = await Promise.all([
      stackClient(one.baseUrl, secrets.apiKey).submitBatch(batchOf(0)),
      stackClient(two.baseUrl, secrets.apiKey).submitBatch(batchOf(half)),
    ]);
    assert.equal(batchOne.total + batchTwo.total, items);

    const all = await waitForJobs(
      db,
      ns.jobsCollection,
      (docs) => docs.length === items && docs.every((doc) => doc.status === 'succeeded'),
      240_000,
    );
    assert.deepEqual(countByStatus(all), { succeeded: items });
    const first = cloudRun.executions[0];
    assert.ok(first, 'an execution started');
    await first.done;

    // One launch for both API processes, after one refusal; two tasks (300 / 100, capped at 2).
    const runs = cloudRun.requests.filter((request) => request.path.endsWith(':run'));
    assert.deepEqual(
      runs.map((request) => request.status),
      [503, 200],
    );
    assert.equal(cloudRun.executions.length, 1);
    assert.equal(first.taskCount, 2);
    assert.deepEqual(first.exits, [[0], [0]], 'every task drained and exited 0');
    assert.equal(cloudRun.runningTasks(), 0, 'back to zero workers');
    const refusals = [one, two].flatMap(({ process }) =>
      jsonLines(process).filter(
        (line) =>
          /scaling failed/.test(String(line.message)) &&
          /test server refusal/.test(JSON.stringify(line.err)),
      ),
    );
    assert.equal(refusals.length, 1, 'the refusal was logged once, by the API that met it');

    // Exactly once: one "job succeeded" line per job across the tasks.
    const completions = new Map<string, number>();
    for (const { task, execution } of tasks) {
      const lines = jsonLines(task);
      for (const line of lines) {
        if (line.message === 'job succeeded') {
          const id = String(line.jobId);
          completions.set(id, (completions.get(id) ?? 0) + 1);
        }
      }
      // The task's lines say which execution wrote them (CLOUD_RUN_* reached the worker).
      const ready = lines.find((line) => line.message === 'warmgen worker ready');
      assert.equal((ready?.cloudRun as { execution?: string } | undefined)?.execution, execution);
    }
    assert.equal(completions.size, items);
    assert.ok([...completions.values()].every((count) => count === 1));

    // A second burst, from zero again: a new execution, sized for it.
    const client = stackClient(one.baseUrl, secrets.apiKey);
    await mapConcurrently(Array.from({ length: 20 }), 8, () => client.submit(input));
    await waitForJobs(
      db,
      ns.jobsCollection,
      (docs) => docs.length === items + 20 && docs.every((doc) => doc.status === 'succeeded'),
      120_000,
    );
    assert.equal(cloudRun.executions.length, 2);
    const second = cloudRun.executions[1];
    assert.equal(second?.taskCount, 1);
    await second?.done;
    assert.deepEqual(second?.exits, [[0]]);
    assert.equal(cloudRun.runningTasks(), 0);
  });
});
