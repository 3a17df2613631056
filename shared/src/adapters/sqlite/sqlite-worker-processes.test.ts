import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { newJobFixture } from '../../contract/job-fixtures.ts';
import { SqliteJobQueue } from './sqlite-job-queue.ts';
import { SqliteJobStore } from './sqlite-job-store.ts';
import { SqliteWorkerProcesses } from './sqlite-worker-processes.ts';
import { temporaryDatabasePath } from './test-database.ts';

/** A pid that was a real process and is gone: a child that has exited. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.ok(child.pid > 0);
  return child.pid;
};

describe('SqliteWorkerProcesses: a restarted worker releases a dead one’s jobs at once', () => {
  const db = temporaryDatabasePath();
  let store: SqliteJobStore;
  let queue: SqliteJobQueue;
  let processes: SqliteWorkerProcesses;

  before(() => {
    store = SqliteJobStore.open(db.path);
    queue = SqliteJobQueue.open(db.path, { maxAttempts: 5 });
    processes = SqliteWorkerProcesses.open(db.path);
  });
  after(async () => {
    await processes.close();
    await queue.close();
    await store.close();
    db.remove();
  });

  /** Publishes a job and has `workerId` pull (60 s lease) and claim it. */
  const claimAs = async (workerId: string, id: string) => {
    await store.createJobs([newJobFixture({ id })]);
    await queue.publish([id]);
    const [message] = await queue.pull(1, 60_000, 0);
    assert.equal(message?.jobId, id);
    const nowMs = Date.now();
    assert.ok(await store.claimJob({ id, workerId, leaseMs: 60_000, nowMs }));
  };
  const entry = (workerId: string, pid: number, host = 'host-a') => ({
    workerId,
    host,
    pid,
    startedAtMs: Date.now(),
  });
  const alive = (pid: number) => pid !== deadPids.killed && pid !== deadPids.other;
  const deadPids = { killed: 0, other: 0 };

  it('queues the dead process’s running jobs and shows their messages now; the living keep theirs', async () => {
    deadPids.killed = deadPid();
    deadPids.other = deadPid();
    await processes.enter(entry('worker-killed', deadPids.killed), () => true);
    await processes.enter(entry('worker-alive', 4242), () => true);
    await processes.enter(entry('worker-elsewhere', deadPids.other, 'host-b'), () => true);
    await claimAs('worker-killed', 'job-1');
    await claimAs('worker-killed', 'job-2');
    await claimAs('worker-alive', 'job-3');
    await claimAs('worker-elsewhere', 'job-4');
    assert.deepEqual(await queue.pull(10, 60_000, 0), [], 'every message is leased');

    const released = await processes.enter(entry('worker-restarted', 777), alive);
    assert.deepEqual(released, { workers: ['worker-killed'], jobs: ['job-1', 'job-2'] });
    for (const id of ['job-1', 'job-2']) {
      const job = await store.getJob(id);
      assert.equal(job?.status, 'queued');
      assert.equal(job?.leaseOwner, null);
      assert.equal(job?.attempts, 1, 'the dead attempt stays counted');
    }
    assert.equal((await store.getJob('job-3'))?.leaseOwner, 'worker-alive');
    assert.equal(
      (await store.getJob('job-4'))?.leaseOwner,
      'worker-elsewhere',
      'a pid on another host says nothing about the process',
    );
    const again = await queue.pull(10, 60_000, 0);
    assert.deepEqual(again.map((message) => message.jobId).sort(), ['job-1', 'job-2']);
    assert.ok(again.every((message) => message.deliveryAttempt === 2));
    assert.ok(
      await store.claimJob({
        id: 'job-1',
        workerId: 'worker-restarted',
        leaseMs: 60_000,
        nowMs: Date.now(),
      }),
    );
  });

  it('forgets the dead process, so a second start releases nothing; leave forgets a clean stop', async () => {
    const second = await processes.enter(entry('worker-next', 778), alive);
    assert.deepEqual(second, { workers: [], jobs: [] });
    await processes.leave({ workerId: 'worker-next' });
    await processes.leave({ workerId: 'worker-restarted' });
    const third = await processes.enter(entry('worker-third', 779), () => false);
    assert.deepEqual(third.workers.sort(), ['worker-alive'], 'the others left or were forgotten');
  });
});
