import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { WorkerHeartbeat, WorkerHeartbeats } from '../ports/worker-heartbeats.ts';

export function heartbeatOf(
  workerId: string,
  over: Partial<WorkerHeartbeat> = {},
): WorkerHeartbeat {
  return {
    workerId,
    state: 'idle',
    sinceMs: 1_000,
    startedAtMs: 500,
    beatAtMs: 2_000,
    expiresAtMs: 32_000,
    hydration: null,
    runningRows: 0,
    maxRows: 32,
    modelSha256: 'a'.repeat(64),
    device: 'cpu',
    tokensPerSecond: 0,
    jobsPerSecond: 0,
    meanJobSeconds: null,
    tokensTotal: 0,
    task: null,
    ...over,
  };
}

/**
 * What every WorkerHeartbeats adapter must do. `open` gives two handles on one store, as a
 * worker process and an API process would have.
 */
export function describeWorkerHeartbeatsContract(
  name: string,
  setup: { open(): Promise<[WorkerHeartbeats, WorkerHeartbeats]>; close(): Promise<void> },
): void {
  describe(`${name}: WorkerHeartbeats contract`, () => {
    afterEach(() => setup.close());

    it('a beat is read back whole by another handle, every field as written', async () => {
      const [worker, reader] = await setup.open();
      const hydrating = heartbeatOf('worker_a', {
        state: 'hydrating',
        hydration: { bytesDone: 1_234_567, bytesTotal: 9_876_543_210 },
        modelSha256: null,
        task: 'warmgen-worker-abc/3',
      });
      const busy = heartbeatOf('worker_b', {
        state: 'busy',
        runningRows: 7,
        tokensPerSecond: 812.5,
        jobsPerSecond: 3.25,
        meanJobSeconds: 1.75,
        tokensTotal: 123_456,
        device: 'webgpu',
      });
      await worker.beat(busy);
      await worker.beat(hydrating);
      assert.deepEqual(await reader.listLive({ nowMs: 2_000 }), [hydrating, busy]);
    });

    it('a second beat replaces the first: one record per worker', async () => {
      const [worker, reader] = await setup.open();
      await worker.beat(heartbeatOf('worker_a', { state: 'loading' }));
      const next = heartbeatOf('worker_a', { state: 'busy', runningRows: 2, beatAtMs: 5_000 });
      await worker.beat(next);
      assert.deepEqual(await reader.listLive({ nowMs: 5_000 }), [next]);
    });

    it('a record is live until its expiry and not at or after it', async () => {
      const [worker, reader] = await setup.open();
      await worker.beat(heartbeatOf('worker_a', { expiresAtMs: 10_000 }));
      await worker.beat(heartbeatOf('worker_b', { expiresAtMs: 20_000 }));
      const ids = async (nowMs: number) =>
        (await reader.listLive({ nowMs })).map((heartbeat) => heartbeat.workerId);
      assert.deepEqual(await ids(9_999), ['worker_a', 'worker_b']);
      assert.deepEqual(await ids(10_000), ['worker_b']);
      assert.deepEqual(await ids(20_000), []);
    });

    it('remove deletes the record at once; an unknown id is ignored', async () => {
      const [worker, reader] = await setup.open();
      await worker.beat(heartbeatOf('worker_a'));
      await worker.beat(heartbeatOf('worker_b'));
      await worker.remove({ workerId: 'worker_a' });
      await worker.remove({ workerId: 'worker_unknown' });
      const live = await reader.listLive({ nowMs: 2_000 });
      assert.deepEqual(
        live.map((heartbeat) => heartbeat.workerId),
        ['worker_b'],
      );
    });
  });
}
