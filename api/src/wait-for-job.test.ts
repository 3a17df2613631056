import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job } from '@warmgen/shared/domain/job.ts';
import type { JobStatus } from '@warmgen/shared/domain/job-status.ts';
import { waitForTerminalJob } from './wait-for-job.ts';

const tuning = { firstDelayMs: 10, maxDelayMs: 40, growthFactor: 2 };
const job = (status: JobStatus) => ({ id: 'job_1', status }) as Job;

describe('waitForTerminalJob', () => {
  it('returns at once for a terminal job without reading', async () => {
    let reads = 0;
    const read = async () => {
      reads += 1;
      return job('queued');
    };
    const result = await waitForTerminalJob(
      read,
      job('succeeded'),
      1_000,
      new AbortController().signal,
      tuning,
    );
    assert.equal(result?.status, 'succeeded');
    assert.equal(reads, 0);
  });

  it('polls with growing delays until the job is terminal', async () => {
    const readTimes: number[] = [];
    const started = performance.now();
    const read = async () => {
      readTimes.push(performance.now() - started);
      return job(readTimes.length >= 5 ? 'failed' : 'running');
    };
    const result = await waitForTerminalJob(
      read,
      job('queued'),
      5_000,
      new AbortController().signal,
      tuning,
    );
    assert.equal(result?.status, 'failed');
    assert.equal(readTimes.length, 5);
    // Delays 10, 20, 40, 40, 40: at least 150 ms in all, and the last gaps are capped.
    assert.ok((readTimes.at(-1) ?? 0) >= 145, `last read at ${readTimes.at(-1)} ms`);
  });

  it('gives up at the timeout with the latest state', async () => {
    const started = performance.now();
    const result = await waitForTerminalJob(
      async () => job('running'),
      job('queued'),
      120,
      new AbortController().signal,
      tuning,
    );
    const elapsed = performance.now() - started;
    assert.equal(result?.status, 'running');
    assert.ok(elapsed >= 110 && elapsed < 1_000, `${elapsed} ms`);
  });

  it('stops when the signal fires', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const result = await waitForTerminalJob(
      async () => job('running'),
      job('queued'),
      10_000,
      controller.signal,
      tuning,
    );
    assert.equal(result?.status, 'running');
    assert.ok(performance.now() - started < 1_000);
  });

  it('returns null when the job disappears', async () => {
    const result = await waitForTerminalJob(
      async () => null,
      job('queued'),
      1_000,
      new AbortController().signal,
      tuning,
    );
    assert.equal(result, null);
  });
});
