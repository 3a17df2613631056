import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapConcurrently } from './e2e/service-client.ts';
import { exitWithin } from './e2e/service-process.ts';
import { countByStatus, readJobs, stackClient, waitForJobs } from './gcp-stack/stack-client.ts';
import type { SupervisedProcess } from './gcp-stack/supervised-process.ts';
import { jsonLines, useGcpStack, workerReady } from './gcp-stack/use-gcp-stack.ts';

/**
 * The production wiring end to end, as separate processes: the API and two workers on the
 * Pub/Sub and Firestore emulators, the model hydrated from the GCS test server.
 *
 * Exactly once, checked three ways that do not trust each other:
 * - the store: every job succeeded, none failed (the poison job aside);
 * - the workers' logs: a worker logs "job succeeded" only after the store's conditional
 *   completion was accepted, so no job may have two such lines across both workers;
 * - the pair: the stored result carries the timings of the one completion that logged it
 *   (a second, unlogged completion would have overwritten them). A job without a line must
 *   have been claimed by the killed worker, which can die between its write and its log.
 *
 * The poison job: a job the API accepted whose stored prompt was then corrupted (to null,
 * which the API never accepts). The real engine's tokenizer throws a TypeError on it at
 * every attempt; an unknown error is retryable, so the worker releases the job and nacks
 * each delivery, until Pub/Sub forwards the message to the dead-letter topic after
 * MAX_ATTEMPTS deliveries and the worker's dead-letter drain marks it failed. No test hook
 * in the worker: the only thing faked is the document.
 */
const stack = useGcpStack();

/** Pub/Sub's shortest ack deadline: the killed worker's jobs come back after about this. */
const workerEnv = { LEASE_SECONDS: '10', MAX_ATTEMPTS: '5', MAX_BATCH: '8' };
const input = { prompt: 'The queue said', params: { max_new_tokens: 12, temperature: 0 } };
const singles = 150;
const batchItems = 150;

type LogLine = Record<string, unknown>;

describe('the Google Cloud stack, end to end', () => {
  it('300 jobs on API + 2 workers, one SIGKILLed mid-run: each completes exactly once; a poison job is dead-lettered and failed', async () => {
    const { db, secrets, namespace } = await stack();
    const ns = await namespace();
    const api = await ns.startApi();
    const client = stackClient(api.baseUrl, secrets.apiKey);

    // The poison job, corrupted before any worker runs (so none can claim it first).
    const poison = await client.submit({ prompt: 'poison', params: { max_new_tokens: 8 } });
    await db.collection(ns.jobsCollection).doc(poison.id).update({ prompt: null });

    const workers = [ns.spawnWorker('worker-a', workerEnv), ns.spawnWorker('worker-b', workerEnv)];
    const [, idB] = await Promise.all(workers.map(workerReady));
    const [workerA, workerB] = workers as [SupervisedProcess, SupervisedProcess];

    const [jobs, batch] = await Promise.all([
      mapConcurrently(Array.from({ length: singles }), 16, () => client.submit(input)),
      client.submitBatch(
        Array.from({ length: batchItems }, (_, i) => ({ custom_id: `item-${i}`, ...input })),
      ),
    ]);
    assert.equal(jobs.length, singles);
    assert.equal(batch.total, batchItems);

    // SIGKILL worker B right after it claimed a job, once some work is done: it dies
    // holding jobs (a batch takes hundreds of ms to generate and write).
    await waitForJobs(
      db,
      ns.jobsCollection,
      (docs) => docs.filter((job) => job.status === 'succeeded').length >= 60,
      120_000,
    );
    await workerB.waitForLine(/"message":"job claimed"/, 30_000, { onlyNew: true });
    const killed = await workerB.kill();
    assert.equal(killed.signal, 'SIGKILL');
    // Read after the kill: B can no longer write, and its leases have not expired yet, so
    // these are exactly the jobs it held when it died.
    const heldByB = (await readJobs(db, ns.jobsCollection)).filter(
      (job) => job.status === 'running' && job.leaseOwner === idB,
    );
    assert.ok(heldByB.length >= 1, 'worker B held at least one job when it died');

    const all = await waitForJobs(
      db,
      ns.jobsCollection,
      (docs) =>
        docs.length === singles + batchItems + 1 &&
        docs.every((job) => job.status === 'succeeded' || job.status === 'failed'),
      180_000,
    );
    const stopped = await workerA.stop();
    assert.deepEqual(stopped, { code: 0, signal: null }, 'worker A stops cleanly on SIGTERM');

    // The store: all succeeded but the poison job, which failed after max attempts.
    const poisoned = all.find((job) => job.id === poison.id);
    const rest = all.filter((job) => job.id !== poison.id);
    assert.deepEqual(countByStatus(rest), { succeeded: singles + batchItems });
    assert.equal(poisoned?.status, 'failed');
    assert.equal(poisoned?.error?.code, 'max_attempts_exceeded');
    assert.match(poisoned?.error?.message ?? '', /gave up after [5-9] deliveries/);
    const logsA = jsonLines(workerA);
    const logsB = jsonLines(workerB);
    const both = [...logsA, ...logsB];
    const poisonReleases = both.filter(
      (l) => l.message === 'job released' && l.jobId === poison.id,
    );
    assert.ok(poisonReleases.length >= 1, 'the poison job was released after its attempts');
    for (const line of poisonReleases) {
      assert.match(String(line.why), /validate threw: .*Cannot read properties of null/);
    }
    assert.ok(
      both.some((l) => l.message === 'dead-lettered job failed' && l.jobId === poison.id),
      'the dead-letter drain failed the poison job',
    );

    // The logs and the store together: exactly one completion per job.
    const completions = (lines: LogLine[]) =>
      groupBy(lines.filter((l) => l.message === 'job succeeded'));
    const doneA = completions(logsA);
    const doneB = completions(logsB);
    const claimedByB = new Set(
      logsB.filter((l) => l.message === 'job claimed').map((l) => l.jobId),
    );
    const unlogged: string[] = [];
    for (const job of rest) {
      const lines = [...(doneA.get(job.id) ?? []), ...(doneB.get(job.id) ?? [])];
      assert.ok(lines.length <= 1, `${job.id} was completed ${lines.length} times`);
      const [line] = lines;
      if (line === undefined) {
        assert.ok(
          claimedByB.has(job.id),
          `${job.id} has no completion line and B never claimed it`,
        );
        unlogged.push(job.id);
        continue;
      }
      assert.equal(
        job.result?.timings.generateMs,
        line.generateMs,
        `${job.id}: stored result is the logged one`,
      );
      assert.equal(
        job.result?.timings.queueMs,
        line.queueMs,
        `${job.id}: stored result is the logged one`,
      );
    }
    assert.ok(unlogged.length <= 8, `${unlogged.length} completions unlogged: more than one batch`);

    // The jobs B held when it died were claimed again by A and finished there.
    const claimedByA = new Set(
      logsA.filter((l) => l.message === 'job claimed').map((l) => l.jobId),
    );
    for (const held of heldByB) {
      const now = rest.find((job) => job.id === held.id);
      assert.equal(now?.status, 'succeeded', held.id);
      assert.ok(
        (now?.attempts ?? 0) >= 2,
        `${held.id} was claimed again (attempts ${now?.attempts})`,
      );
      assert.ok(claimedByA.has(held.id), `${held.id} was claimed by worker A after the crash`);
    }
    assert.ok(doneA.size > 0 && doneB.size > 0, 'both workers completed jobs');

    // Greedy decoding of one prompt: every run, reruns after the crash included, agrees.
    const texts = new Set(rest.map((job) => job.result?.text));
    assert.equal(texts.size, 1, `texts differ: ${[...texts].join(' | ')}`);
    // The batch's counts, kept by concurrent workers, agree with its documents.
    const view = await client.getBatch(batch.id);
    assert.equal(view.status, 'completed');
    assert.equal(view.counts.succeeded, batchItems);
    assert.equal(rest.filter((job) => job.batchId === batch.id).length, batchItems);
    assert.deepEqual(await api.process.stop(), { code: 0, signal: null });
  });

  it('a drain-mode worker (a Cloud Run Job task) finishes the queue, exits 0 once idle, and every line names its task', async () => {
    const { db, secrets, namespace } = await stack();
    const ns = await namespace();
    const api = await ns.startApi();
    const client = stackClient(api.baseUrl, secrets.apiKey);
    const submitted = await mapConcurrently(Array.from({ length: 6 }), 6, () =>
      client.submit(input),
    );

    const task = {
      CLOUD_RUN_JOB: 'warmgen-drain',
      CLOUD_RUN_EXECUTION: 'warmgen-drain-e2e7k',
      CLOUD_RUN_TASK_INDEX: '1',
      CLOUD_RUN_TASK_COUNT: '2',
      CLOUD_RUN_TASK_ATTEMPT: '0',
    };
    const worker = ns.spawnWorker('drain-worker', {
      ...workerEnv,
      ...task,
      WORKER_MODE: 'drain',
      IDLE_EXIT_SECONDS: '2',
    });
    const exit = await exitWithin(worker.exited, 120_000);
    assert.deepEqual(exit, { code: 0, signal: null }, 'exits 0 once the queue was idle');

    const jobs = await readJobs(db, ns.jobsCollection);
    assert.deepEqual(countByStatus(jobs), { succeeded: submitted.length });
    const lines = jsonLines(worker);
    const expected = {
      job: 'warmgen-drain',
      execution: 'warmgen-drain-e2e7k',
      taskIndex: 1,
      taskCount: 2,
      taskAttempt: 0,
    };
    assert.ok(lines.length >= 10, `the worker logged (${lines.length} JSON lines)`);
    for (const line of lines) {
      assert.deepEqual(line.cloudRun, expected, `line "${line.message}" names the task`);
    }
    const messages = lines.map((line) => line.message);
    assert.equal(messages.filter((m) => m === 'job succeeded').length, submitted.length);
    for (const message of [
      /^model ready/,
      /^queue idle; drain mode ends the loop$/,
      /^worker stopped$/,
    ]) {
      assert.ok(
        messages.some((m) => message.test(String(m))),
        `logged ${message}`,
      );
    }
    assert.deepEqual(await api.process.stop(), { code: 0, signal: null });
  });
});

function groupBy(lines: LogLine[]): Map<unknown, LogLine[]> {
  const groups = new Map<unknown, LogLine[]>();
  for (const line of lines) {
    groups.set(line.jobId, [...(groups.get(line.jobId) ?? []), line]);
  }
  return groups;
}
