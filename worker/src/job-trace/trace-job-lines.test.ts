import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newJobFixture } from '@warmgen/shared/contract/job-fixtures.ts';
import { queuedJob } from '@warmgen/shared/domain/job.ts';
import type { ClaimJob } from '@warmgen/shared/ports/job-store.ts';
import type { RunLoopStore } from '../run-loop/run-loop-ports.ts';
import { createRecordingLogger } from '../run-loop/test-support/recording-logger.ts';
import { traceJobLines } from './trace-job-lines.ts';

const traceId = '0af7651916cd43dd8448eb211c80319c';
const traced = queuedJob(newJobFixture({ id: 'job_traced', traceId }));
const untraced = queuedJob(newJobFixture({ id: 'job_plain' }));

/** A store whose methods need their own `this`, as the adapters' private fields do. */
class ClassStore {
  readonly #jobs = new Map([traced, untraced].map((job) => [job.id, job]));
  async claimJob({ id }: ClaimJob) {
    return this.#jobs.get(id) ?? null;
  }
  async getJob(id: string) {
    return this.#jobs.get(id) ?? null;
  }
  async renewLease() {
    return this.#jobs.size > 0;
  }
}

it("a claimed job's lines carry its request's trace; other lines are left alone", async () => {
  const logger = createRecordingLogger();
  const parts = traceJobLines(
    { store: new ClassStore() as unknown as RunLoopStore, logger },
    'demo-project',
  );
  parts.logger.info({ jobId: traced.id }, 'before the claim');
  assert.equal(
    await parts.store.claimJob({ id: traced.id, workerId: 'w', leaseMs: 1000, nowMs: 0 }),
    traced,
  );
  await parts.store.claimJob({ id: untraced.id, workerId: 'w', leaseMs: 1000, nowMs: 0 });
  assert.equal(
    await parts.store.renewLease({ id: traced.id, workerId: 'w', leaseMs: 1000, nowMs: 0 }),
    true,
  );
  parts.logger.info({ jobId: traced.id, attempts: 1 }, 'job claimed');
  parts.logger.warn({ jobId: untraced.id }, 'job claimed');
  parts.logger.error({ err: new Error('x') }, 'tick failed');

  const field = 'logging.googleapis.com/trace';
  assert.deepEqual(
    logger.entries.map((entry) => [entry.message, entry.fields[field] ?? null]),
    [
      ['before the claim', null],
      ['job claimed', `projects/demo-project/traces/${traceId}`],
      ['job claimed', null],
      ['tick failed', null],
    ],
  );
  assert.equal(logger.entries[1]?.fields.attempts, 1);
});

it('without a project id the ports are handed back as they are', () => {
  const store = new ClassStore() as unknown as RunLoopStore;
  const logger = createRecordingLogger();
  const parts = traceJobLines({ store, logger }, null);
  assert.equal(parts.store, store);
  assert.equal(parts.logger, logger);
});
