import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { cancelJob, getJob, submitJob, waitForJob, waitForJobState } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import type { ServiceProcess } from './e2e/service-process.ts';

/**
 * Cancel over HTTP against the real process. MAX_BATCH=1 makes the worker run one job at a
 * time, so a second job waits in the queue behind a long first one.
 */
const longParams = { max_new_tokens: 1000, seed: 99 };

describe('cancel on the real process', () => {
  const services = useServices();
  let service: ServiceProcess;
  /** Measured on this machine now: how long the long job would take if left alone. */
  let fullRunMs: number;

  before(async () => {
    service = await services.start({ env: { MAX_BATCH: '1' } });
    const probe = await submitJob(
      service.baseUrl,
      { prompt: 'Hi', params: { ...longParams, max_new_tokens: 200 } },
      { Prefer: 'wait=60' },
    );
    assert.equal(probe.status, 'succeeded');
    assert.ok(probe.result);
    fullRunMs = (1000 / probe.result.timings.tokens_per_second) * 1000;
  });

  it('cancels a queued job at once and a running one at its next step', async () => {
    const long = await submitJob(service.baseUrl, { prompt: 'Hi', params: longParams });
    await waitForJobState(service.baseUrl, long.id, (job) => job.status === 'running');

    // Queued behind the long job: canceled at once, never run.
    const waiting = await submitJob(service.baseUrl, { prompt: 'Wait', params: { seed: 1 } });
    assert.equal(waiting.status, 'queued');
    const queuedCancel = await cancelJob(service.baseUrl, waiting.id);
    assert.equal(queuedCancel.status, 200);
    assert.equal(queuedCancel.body.status, 'canceled');
    assert.equal(queuedCancel.body.result, null);

    // Let it generate a little, then cancel it while it runs.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const canceledAt = Date.now();
    const runningCancel = await cancelJob(service.baseUrl, long.id);
    assert.ok([200, 202].includes(runningCancel.status), String(runningCancel.status));
    assert.equal(runningCancel.body.cancel_requested, true);
    if (runningCancel.status === 202) {
      assert.equal(runningCancel.body.status, 'running');
    }
    const canceled = await waitForJob(service.baseUrl, long.id, 30_000);
    const stoppedAfterMs = Date.now() - canceledAt;
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.cancel_requested, true);
    assert.ok(canceled.finished_at !== null);
    // The text generated before the cancel is kept as the job's result.
    assert.ok(canceled.result, 'a canceled running job keeps its text so far');
    assert.equal(canceled.result.finish_reason, 'canceled');
    assert.ok(canceled.result.text.length > 0);
    const generated = canceled.result.usage.completion_tokens;
    assert.ok(generated > 0 && generated < longParams.max_new_tokens, String(generated));
    assert.ok(
      stoppedAfterMs < Math.max(3_000, fullRunMs / 2),
      `canceled ${stoppedAfterMs} ms after the request; a full run takes ~${Math.round(fullRunMs)} ms`,
    );

    // The worker is free again: a new job runs now, not after the long job's 1,000 tokens.
    const next = await submitJob(
      service.baseUrl,
      { prompt: 'Next', params: { max_new_tokens: 4, seed: 3 } },
      { Prefer: 'wait=30' },
    );
    assert.equal(next.status, 'succeeded');
    assert.ok(next.started_at !== null);
    const nextStartedAfterMs = Date.parse(next.started_at) - canceledAt;
    assert.ok(
      nextStartedAfterMs < Math.max(3_000, fullRunMs / 2),
      `the next job started ${nextStartedAfterMs} ms after the cancel; a full run takes ~${Math.round(fullRunMs)} ms`,
    );

    // The engine itself stopped early: its generate call for the long job ended soon after
    // the cancel (the run loop logs each row's wall time in the engine).
    const generateMs = generateMsFor(service.logs(), long.id);
    const ranBeforeCancelMs = canceledAt - Date.parse(canceled.started_at ?? '');
    assert.ok(
      generateMs < ranBeforeCancelMs + Math.max(2_000, fullRunMs / 4),
      `generate ran ${generateMs} ms, ${ranBeforeCancelMs} ms of it before the cancel`,
    );

    // The queued job stayed canceled and was never claimed.
    const stillCanceled = await getJob(service.baseUrl, waiting.id);
    assert.equal(stillCanceled.status, 'canceled');
    assert.equal(stillCanceled.attempts, 0);
    assert.equal(stillCanceled.started_at, null);
  });

  it('refuses to cancel a finished job with 409', async () => {
    const done = await submitJob(
      service.baseUrl,
      { prompt: 'Done', params: { max_new_tokens: 2 } },
      { Prefer: 'wait=30' },
    );
    assert.equal(done.status, 'succeeded');
    const reply = await cancelJob(service.baseUrl, done.id);
    assert.equal(reply.status, 409);
    assert.equal((reply.body as unknown as { error: { code: string } }).error.code, 'conflict');
  });
});

/** generateMs of the run loop's "row generated" log line for `jobId`. */
function generateMsFor(logs: string, jobId: string): number {
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) {
      continue;
    }
    const entry = JSON.parse(line) as { message?: string; jobId?: string; generateMs?: number };
    if (entry.message === 'row generated' && entry.jobId === jobId) {
      return entry.generateMs ?? Number.NaN;
    }
  }
  throw new Error(`no "row generated" log line for ${jobId}`);
}
