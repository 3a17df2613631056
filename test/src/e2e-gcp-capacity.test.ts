import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  type CloudRunTestServer,
  startCloudRunTestServer,
} from './cloud-run-test-server/cloud-run-test-server.ts';
import { capacityClient } from './e2e/capacity-client.ts';
import { requestJson } from './e2e/service-client.ts';
import { drainTaskRunner } from './gcp-stack/drain-task-runner.ts';
import { stackClient, waitForJobs } from './gcp-stack/stack-client.ts';
import { useGcpStack } from './gcp-stack/use-gcp-stack.ts';

/**
 * GET /v1/capacity on the Google Cloud stack (emulators, the Cloud Run Admin API test
 * server, drain-mode worker tasks): from zero workers, through an Admin API outage that
 * delays the launch (the view says why), to the task's heartbeat in Firestore, and back
 * to zero when the task drains and exits.
 */
const stack = useGcpStack();
let cloudRun: CloudRunTestServer | undefined;
after(() => cloudRun?.close());

describe('the capacity view on the Google Cloud stack', () => {
  it('says why a job waits while the Admin API refuses, then shows the launched task warm with its model, and zero workers again after it drained', async () => {
    const { db, secrets, endpoints, namespace } = await stack();
    const ns = await namespace();
    cloudRun = await startCloudRunTestServer({
      runTask: drainTaskRunner({
        spawn: (name, env) =>
          ns.spawnWorker(name, { ...env, MAX_BATCH: '8', HEARTBEAT_SECONDS: '1' }),
        idleExitSeconds: 3,
      }),
    });
    const api = await ns.startApi({
      SCALE_MODE: 'job',
      SCALE_JOB: `projects/${endpoints.projectId}/locations/local/jobs/warmgen-worker`,
      SCALE_INTERVAL_SECONDS: '2',
      CLOUD_RUN_API_ENDPOINT: cloudRun.url,
    });
    const { read, until, metrics: readMetrics } = capacityClient(api.baseUrl, secrets.apiKey);
    assert.equal((await requestJson(api.baseUrl, 'GET', '/v1/capacity')).status, 401);

    const idle = await read();
    assert.equal(idle.workers.total, 0);
    assert.equal(idle.scaling.mode, 'job');
    assert.equal(idle.scaling.problem, null);
    assert.equal(idle.estimate.starts_in_seconds, null);
    assert.match(idle.estimate.basis, /no worker is running: the launcher starts a job execution/);

    // The Admin API refuses three launches (retried after 1, 2 and 4 s): the job waits,
    // and the view says why.
    cloudRun.refuseRuns(3);
    const job = await stackClient(api.baseUrl, secrets.apiKey).submit({
      prompt: 'Capacity',
      params: { max_new_tokens: 8, temperature: 0 },
    });
    const failing = await until((view) => view.scaling.problem !== null);
    assert.match(failing.scaling.problem?.message ?? '', /test server refusal/);
    assert.ok((failing.scaling.problem?.failures ?? 0) >= 1);
    assert.ok(
      Date.parse(failing.scaling.problem?.retry_at ?? '') >
        Date.parse(failing.scaling.problem?.since ?? ''),
    );
    assert.equal(failing.queue.queued, 1);
    assert.ok((failing.queue.oldest_queued_age_seconds ?? -1) >= 0);
    assert.equal(failing.workers.total, 0);
    assert.match(failing.estimate.basis, /scaling is failing \(.*test server refusal.*\)/);
    const metrics = await readMetrics();
    assert.match(metrics, /^warmgen_scaling_failing 1$/m);
    assert.match(metrics, /^warmgen_num_requests_waiting 1$/m);

    // The fourth launch lands: the task's heartbeat shows it warm, with its model and task.
    const warm = await until(
      (view) => view.workers.items.some((worker) => worker.max_rows > 0),
      120_000,
    );
    const execution = cloudRun.executions[0];
    assert.ok(execution, 'an execution started');
    const [worker] = warm.workers.items;
    assert.equal(worker?.task, `${execution.name.split('/').at(-1)}/0`);
    assert.match(worker?.model_sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(worker?.device, 'cpu');
    assert.equal(worker?.max_rows, 8);
    assert.equal(warm.scaling.problem, null, 'a decision succeeded again');
    assert.equal(warm.scaling.launches, 1);
    assert.equal(warm.scaling.last_launch?.execution, execution.name);
    assert.equal(warm.scaling.last_launch?.tasks, 1);

    await waitForJobs(
      db,
      ns.jobsCollection,
      (docs) => docs.length === 1 && docs[0]?.id === job.id && docs[0].status === 'succeeded',
      60_000,
    );
    // Drained, the task exits 0 and deletes its record: zero workers again.
    await execution.done;
    assert.deepEqual(execution.exits, [[0]]);
    const gone = await until((view) => view.workers.total === 0, 10_000);
    assert.deepEqual(
      { queued: gone.queue.queued, running: gone.queue.running },
      { queued: 0, running: 0 },
    );
    const records = await db.collection(ns.jobsCollection.replace(/jobs$/, 'workers')).get();
    assert.equal(records.size, 0, 'the record was deleted, not left to expire');
  });
});
