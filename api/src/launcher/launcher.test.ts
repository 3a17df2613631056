import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LaunchLease } from '@warmgen/shared/ports/launch-lease.ts';
import { createLauncher, type Launcher, type LauncherDeps } from './launcher.ts';
import type { Backlog } from './scale-decision.ts';
import type { JobTarget, PoolTarget } from './scale-target.ts';

/**
 * The launcher's behaviour over its ports. The targets here are small in-memory models of
 * the Admin API (the adapters are tested against the test server, the Firestore lease on
 * the emulator): what is checked is when it decides, what it launches, and how it backs off.
 */
class MemoryLease implements LaunchLease {
  holder: string | null = null;
  until = 0;
  async tryAcquire(holder: string, ttlMs: number, nowMs: number) {
    if (this.holder !== null && this.holder !== holder && this.until > nowMs) {
      return false;
    }
    this.holder = holder;
    this.until = nowMs + ttlMs;
    return true;
  }
  async release(holder: string) {
    if (this.holder === holder) {
      this.holder = null;
    }
  }
}

class MemoryJob implements JobTarget {
  readonly kind = 'job';
  launches: number[] = [];
  running = 0;
  refusals = 0;
  async runningTasks() {
    return this.running;
  }
  async launch(taskCount: number) {
    // An await between the check and the launch, as over the network.
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.refusals > 0) {
      this.refusals -= 1;
      throw new Error('14 UNAVAILABLE: the Admin API is down');
    }
    this.launches.push(taskCount);
    this.running += taskCount;
    return `executions/e${this.launches.length}`;
  }
}

const silent = { info: () => undefined, warn: () => undefined };
const tuning = { debounceMs: 10, minGapMs: 0, leaseMs: 1_000, firstRetryMs: 20, maxRetryMs: 80 };

function launcherFor(
  target: JobTarget | PoolTarget,
  backlog: () => Backlog,
  extra: Partial<LauncherDeps> = {},
) {
  return createLauncher({
    backlog: async () => backlog(),
    target,
    lease: new MemoryLease(),
    holder: 'api-1',
    limits: { jobsPerWorker: 100, minWorkers: 0, maxWorkers: 5, idleMs: 50 },
    intervalMs: 60_000,
    log: silent,
    tuning,
    ...extra,
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let round = 0; !condition(); round += 1) {
    if (round > 500) {
      throw new Error(`never: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('launcher, job mode', () => {
  it('gathers nudges into one decision and launches an execution sized from the backlog', async () => {
    const job = new MemoryJob();
    const launcher = launcherFor(job, () => ({ queued: 300, running: 0 }));
    for (let i = 0; i < 20; i += 1) {
      launcher.nudge();
    }
    await until(() => job.launches.length > 0 && !launcher.state().deciding, 'a launch');
    // Nudged again with the tasks running: they cover the backlog, nothing more starts.
    launcher.nudge();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await until(() => !launcher.state().deciding, 'the decision to end');
    await launcher.stop();
    assert.deepEqual(job.launches, [3]);
    assert.equal(launcher.state().lastLaunch?.tasks, 3);
    assert.equal(launcher.state().launches, 1);
  });

  it('under a steady stream of nudges decides at most once per minGapMs, the first soon', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
    const job = new MemoryJob();
    job.running = 10; // the backlog is covered: each decision only looks
    const decidedAt: number[] = [];
    const launcher = launcherFor(
      job,
      () => {
        decidedAt.push(Date.now() - 1_000_000);
        return { queued: 300, running: 0 };
      },
      { now: () => Date.now(), tuning: { ...tuning, minGapMs: 100 } },
    );
    // A submission every 5 ms for one second, as bench:submit-launcher sends them.
    for (let ms = 0; ms < 1_000; ms += 5) {
      launcher.nudge();
      t.mock.timers.tick(5);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await launcher.stop();
    assert.equal(decidedAt[0], 10, 'the first nudge decides after the debounce');
    assert.deepEqual(
      decidedAt.slice(1).map((at, i) => at - decidedAt[i]!),
      Array(decidedAt.length - 1).fill(100),
    );
    assert.equal(decidedAt.length, 10);
  });

  it('launches nothing for an empty queue', async () => {
    const job = new MemoryJob();
    const launcher = launcherFor(job, () => ({ queued: 0, running: 0 }));
    launcher.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await launcher.stop();
    assert.deepEqual(job.launches, []);
  });

  it('retries a refused launch with back-off and says why meanwhile', async () => {
    const job = new MemoryJob();
    job.refusals = 2;
    // Each failure's state is taken as it is logged: polling could miss the second one on a
    // loaded machine (its retry lands 40 ms later and clears it).
    const failures: Array<NonNullable<ReturnType<Launcher['state']>['lastError']>> = [];
    const launcher: Launcher = launcherFor(job, () => ({ queued: 5, running: 0 }), {
      log: {
        ...silent,
        warn: () => {
          const error = launcher.state().lastError;
          if (error) {
            failures.push(error);
          }
        },
      },
    });
    launcher.nudge();
    await until(() => failures.length === 2, 'two failures');
    assert.match(failures[0]?.message ?? '', /UNAVAILABLE/);
    const second = failures[1];
    assert.equal(second?.failures, 2);
    assert.ok(second && second.retryAtMs - second.atMs === 40, 'the delay doubles');
    await until(() => job.launches.length === 1, 'the retried launch');
    await launcher.stop();
    assert.equal(launcher.state().lastError, null);
    assert.deepEqual(job.launches, [1]);
  });

  it('two launchers sharing a lease launch once', async () => {
    const job = new MemoryJob();
    const lease = new MemoryLease();
    const backlog = () => ({ queued: 300, running: 0 });
    const one = launcherFor(job, backlog, { lease, holder: 'api-1' });
    const two = launcherFor(job, backlog, { lease, holder: 'api-2' });
    one.nudge();
    two.nudge();
    await until(() => job.launches.length > 0, 'a launch');
    await new Promise((resolve) => setTimeout(resolve, 60));
    await Promise.all([one.stop(), two.stop()]);
    assert.deepEqual(job.launches, [3]);
  });
});

describe('launcher, pool mode', () => {
  it('grows the pool with the backlog and shrinks it after the idle time', async () => {
    const sizes: number[] = [];
    let instances = 0;
    const pool: PoolTarget = {
      kind: 'pool',
      instanceCount: async () => instances,
      setInstanceCount: async (count) => {
        instances = count;
        sizes.push(count);
      },
    };
    let backlog: Backlog = { queued: 250, running: 0 };
    const launcher = launcherFor(pool, () => backlog, { intervalMs: 10 });
    launcher.start();
    await until(() => instances === 3, 'the pool to grow');
    backlog = { queued: 0, running: 0 };
    await until(() => instances === 0, 'the pool to shrink');
    await launcher.stop();
    assert.deepEqual(sizes, [3, 0]);
  });
});
