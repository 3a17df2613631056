import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { poolSize, tasksToLaunch } from './scale-decision.ts';

describe('tasksToLaunch', () => {
  const limits = { jobsPerWorker: 100, maxWorkers: 5 };
  it('sizes an execution as ceil(backlog / jobs per task), capped by the maximum', () => {
    assert.equal(tasksToLaunch({ queued: 1, running: 0 }, 0, limits), 1);
    assert.equal(tasksToLaunch({ queued: 300, running: 0 }, 0, limits), 3);
    assert.equal(tasksToLaunch({ queued: 301, running: 0 }, 0, limits), 4);
    assert.equal(tasksToLaunch({ queued: 10_000, running: 0 }, 0, limits), 5);
  });
  it('counts running tasks against the want and the cap, and launches nothing without queued work', () => {
    assert.equal(tasksToLaunch({ queued: 250, running: 50 }, 3, limits), 0);
    assert.equal(tasksToLaunch({ queued: 500, running: 0 }, 2, limits), 3);
    assert.equal(tasksToLaunch({ queued: 10_000, running: 0 }, 5, limits), 0);
    assert.equal(tasksToLaunch({ queued: 0, running: 40 }, 0, limits), 0);
    // A few queued jobs while one task runs: that task takes them.
    assert.equal(tasksToLaunch({ queued: 3, running: 1 }, 1, limits), 0);
  });
});

describe('poolSize', () => {
  const limits = { jobsPerWorker: 10, minWorkers: 1, maxWorkers: 4, idleMs: 60_000 };
  it('grows at once, within the maximum', () => {
    assert.equal(poolSize({ queued: 25, running: 0 }, 1, limits, null, 0), 3);
    assert.equal(poolSize({ queued: 500, running: 0 }, 1, limits, null, 0), 4);
    assert.equal(poolSize({ queued: 500, running: 0 }, 4, limits, null, 0), null);
  });
  it('shrinks to the minimum only after the idle time', () => {
    assert.equal(poolSize({ queued: 0, running: 0 }, 3, limits, null, 0), null);
    assert.equal(poolSize({ queued: 0, running: 0 }, 3, limits, 0, 59_999), null);
    assert.equal(poolSize({ queued: 0, running: 0 }, 3, limits, 0, 60_000), 1);
    assert.equal(
      poolSize({ queued: 0, running: 0 }, 3, { ...limits, minWorkers: 0 }, 0, 60_000),
      0,
    );
    assert.equal(poolSize({ queued: 0, running: 0 }, 1, limits, 0, 600_000), null);
  });
});
