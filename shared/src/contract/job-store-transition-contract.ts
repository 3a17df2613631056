import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job } from '../domain/job.ts';
import { canTransition, type JobStatus } from '../domain/job-status.ts';
import type { JobStore } from '../ports/job-store.ts';
import { newJobFixture, resultFixture, t0Ms } from './job-fixtures.ts';

/**
 * Every store operation from every state: the table lists where each operation may start
 * and the status it leads to; from any other state it must be refused and leave the job
 * untouched. Every change that happens must be one the domain's state machine allows.
 */
const holder = 'worker-a';
const other = 'worker-b';
const leaseMs = 60_000;
/** Operations run at this time: inside the holder's lease... */
const liveMs = t0Ms + 1_000;
/** ...or after it ran out, for the `running-expired` state. */
const expiredMs = t0Ms + leaseMs + 1;

const sourceStates = [
  'queued',
  'running',
  'running-expired',
  'running-cancel-requested',
  'succeeded',
  'failed',
  'canceled',
] as const;
type SourceState = (typeof sourceStates)[number];

/** Brings a freshly created job into `state`, through the port only. */
async function reach(store: JobStore, id: string, state: SourceState): Promise<void> {
  const steps: Record<SourceState, () => Promise<unknown>> = {
    queued: async () => {},
    running: () => store.claimJob({ id, workerId: holder, leaseMs, nowMs: t0Ms }),
    'running-expired': () => store.claimJob({ id, workerId: holder, leaseMs, nowMs: t0Ms }),
    'running-cancel-requested': async () => {
      await store.claimJob({ id, workerId: holder, leaseMs, nowMs: t0Ms });
      await store.requestCancel({ id, nowMs: t0Ms });
    },
    succeeded: async () => {
      await store.claimJob({ id, workerId: holder, leaseMs, nowMs: t0Ms });
      await store.completeJob({ id, workerId: holder, result: resultFixture, nowMs: t0Ms });
    },
    failed: () => store.failJob({ id, error: { code: 'x', message: 'setup' }, nowMs: t0Ms }),
    canceled: () => store.requestCancel({ id, nowMs: t0Ms }),
  };
  await steps[state]();
}

interface Operation {
  name: string;
  /** Runs the operation at nowMs; true when the port reports it took effect. */
  run(store: JobStore, id: string, nowMs: number): Promise<boolean>;
  /** Source states it succeeds from, and the status it leaves the job in. */
  from: Partial<Record<SourceState, JobStatus>>;
}

const anyRunning = {
  running: 'running',
  'running-expired': 'running',
  'running-cancel-requested': 'running',
} as const;
const runningTo = (status: JobStatus) =>
  ({ running: status, 'running-expired': status, 'running-cancel-requested': status }) as const;
const error = { code: 'boom', message: 'generation failed' };

const operations: Operation[] = [
  {
    name: 'claimJob by another worker',
    run: async (s, id, now) =>
      (await s.claimJob({ id, workerId: other, leaseMs, nowMs: now })) !== null,
    from: { queued: 'running', 'running-expired': 'running' },
  },
  {
    name: 'renewLease by the holder',
    run: (s, id, now) => s.renewLease({ id, workerId: holder, leaseMs, nowMs: now }),
    from: anyRunning,
  },
  {
    name: 'renewLease by another worker',
    run: (s, id, now) => s.renewLease({ id, workerId: other, leaseMs, nowMs: now }),
    from: {},
  },
  {
    name: 'releaseJob by the holder',
    run: (s, id) => s.releaseJob({ id, workerId: holder }),
    from: runningTo('queued'),
  },
  {
    name: 'releaseJob by another worker',
    run: (s, id) => s.releaseJob({ id, workerId: other }),
    from: {},
  },
  {
    name: 'completeJob by the holder',
    run: (s, id, now) => s.completeJob({ id, workerId: holder, result: resultFixture, nowMs: now }),
    from: runningTo('succeeded'),
  },
  {
    name: 'completeJob by another worker',
    run: (s, id, now) => s.completeJob({ id, workerId: other, result: resultFixture, nowMs: now }),
    from: {},
  },
  {
    name: 'failJob by the holder',
    run: (s, id, now) => s.failJob({ id, error, nowMs: now, workerId: holder }),
    from: runningTo('failed'),
  },
  {
    name: 'failJob by another worker',
    run: (s, id, now) => s.failJob({ id, error, nowMs: now, workerId: other }),
    from: {},
  },
  {
    name: 'failJob without a worker (dead-letter path)',
    run: (s, id, now) => s.failJob({ id, error, nowMs: now }),
    from: { queued: 'failed', ...runningTo('failed') },
  },
  {
    name: 'requestCancel',
    // Returns the job in every existing state; "took effect" = status or flag changed.
    run: async (s, id, now) => {
      const before = await s.getJob(id);
      const after = await s.requestCancel({ id, nowMs: now });
      assert.ok(after !== null, 'requestCancel returns the job when it exists');
      assert.deepEqual(after, await s.getJob(id), 'requestCancel returns the job as stored');
      return after.status !== before?.status || after.cancelRequested !== before.cancelRequested;
    },
    from: { queued: 'canceled', running: 'running', 'running-expired': 'running' },
  },
  {
    name: 'markCanceled by the holder',
    run: (s, id, now) => s.markCanceled({ id, workerId: holder, nowMs: now }),
    from: runningTo('canceled'),
  },
  {
    name: 'markCanceled by another worker',
    run: (s, id, now) => s.markCanceled({ id, workerId: other, nowMs: now }),
    from: {},
  },
];

function statusOf(state: SourceState): JobStatus {
  return state.startsWith('running') ? 'running' : (state as JobStatus);
}

export function describeTransitionContract(getStore: () => JobStore): void {
  for (const operation of operations) {
    describe(operation.name, () => {
      for (const state of sourceStates) {
        const to = operation.from[state];
        const title = to === undefined ? `is refused from ${state}` : `${state} -> ${to}`;
        it(title, async () => {
          const store = getStore();
          const [job] = await store.createJobs([newJobFixture()]);
          assert.ok(job);
          await reach(store, job.id, state);
          const before = (await store.getJob(job.id)) as Job;
          const nowMs = state === 'running-expired' ? expiredMs : liveMs;

          const tookEffect = await operation.run(store, job.id, nowMs);
          const after = (await store.getJob(job.id)) as Job;

          if (to === undefined) {
            assert.equal(tookEffect, false, 'the port must report a refused operation');
            assert.deepEqual(after, before, 'a refused operation must not change the job');
            return;
          }
          assert.equal(tookEffect, true);
          assert.equal(after.status, to);
          assert.ok(canTransition(statusOf(state), to), `domain forbids ${state} -> ${to}`);
        });
      }
    });
  }
}
