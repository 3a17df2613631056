import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heartbeatOf } from '@warmgen/shared/contract/worker-heartbeats-contract.ts';
import { estimateNewJob } from './capacity-estimate.ts';

const none = 'no worker is running (the caller says why)';

describe('estimateNewJob', () => {
  it('starts now when a warm worker has a free slot for it and everything queued', () => {
    const workers = [
      heartbeatOf('w1', { state: 'busy', maxRows: 8, runningRows: 6, meanJobSeconds: 3 }),
      heartbeatOf('w2', { state: 'idle', maxRows: 8, runningRows: 0 }),
    ];
    const estimate = estimateNewJob(workers, 9, none);
    assert.deepEqual(
      { starts: estimate.startsInSeconds, finishes: estimate.finishesInSeconds },
      { starts: 0, finishes: 3 },
    );
    assert.match(estimate.basis, /10 free row slots on 2 warm workers, 9 jobs queued/);
  });

  it('behind a backlog: the jobs ahead drain at the observed jobs/s, then one mean job time', () => {
    const workers = [
      heartbeatOf('w1', {
        state: 'busy',
        maxRows: 4,
        runningRows: 4,
        jobsPerSecond: 1,
        meanJobSeconds: 4,
      }),
      heartbeatOf('w2', {
        state: 'busy',
        maxRows: 4,
        runningRows: 3,
        jobsPerSecond: 3,
        meanJobSeconds: 2,
      }),
    ];
    // 1 free slot, 40 queued: 40 jobs ahead at 4 jobs/s = 10 s; mean job 2.5 s (by jobs/s).
    const estimate = estimateNewJob(workers, 40, none);
    assert.equal(estimate.startsInSeconds, 10);
    assert.equal(estimate.finishesInSeconds, 12.5);
  });

  it('gives no estimate without a rate, or without a warm worker, and says why', () => {
    const full = heartbeatOf('w1', { state: 'busy', maxRows: 2, runningRows: 2 });
    assert.equal(estimateNewJob([full], 5, none).startsInSeconds, null);
    assert.match(estimateNewJob([full], 5, none).basis, /no rate/);
    const hydrating = heartbeatOf('w2', { state: 'hydrating', maxRows: 0 });
    const starting = estimateNewJob([hydrating], 5, none);
    assert.equal(starting.startsInSeconds, null);
    assert.match(starting.basis, /1 starting \(hydrating\)/);
    assert.equal(estimateNewJob([], 5, none).basis, none);
  });
});
