import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withCallDeadlines, withinDeadline } from '@warmgen/shared/adapters/call-deadline.ts';
import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { completeAsWorker, rawRequest, sendJson, startApi } from './api-test-harness.ts';

/** node:sqlite's error for a write to a full disk, as it throws it. */
const sqliteFull = () =>
  Object.assign(new Error('database or disk is full'), {
    code: 'ERR_SQLITE_ERROR',
    errcode: 13,
    errstr: 'database or disk is full',
  });

/**
 * A store whose writes fail while `failing.on` (reads keep working, as on a full disk).
 * Each write method throws what the real store would have.
 */
function failingWrites(failing: { on: boolean; error: () => Error }) {
  const writes = new Set(['createJobs', 'createBatch', 'requestCancel', 'cancelBatch']);
  return <T extends JobStore | JobQueue>(target: T): T =>
    new Proxy(target, {
      get(object, name, receiver) {
        const value = Reflect.get(object, name, receiver);
        if (typeof value !== 'function') {
          return value;
        }
        return (...args: unknown[]) =>
          failing.on && writes.has(String(name))
            ? Promise.reject(failing.error())
            : value.apply(object, args);
      },
    });
}

const submit = (baseUrl: string) =>
  sendJson(baseUrl, 'POST', '/v1/generations', { prompt: 'Hello' });

describe('storage failures answer 503 storage_unavailable, and /readyz follows them', () => {
  it('a full disk: 503 with Retry-After on every write, reads still served, /readyz 503 until a probe write succeeds', async () => {
    const failing = { on: false, error: sqliteFull };
    let probeWorks = true;
    let probes = 0;
    const api = await startApi({
      wrapStore: failingWrites(failing),
      storageProbe: async () => {
        probes += 1;
        if (!probeWorks) {
          throw sqliteFull();
        }
      },
    });
    try {
      const before = await submit(api.baseUrl);
      assert.equal(before.status, 202);
      assert.equal((await sendJson(api.baseUrl, 'GET', '/readyz')).status, 200);
      assert.equal(probes, 0, 'no probe while storage is healthy');

      failing.on = true;
      probeWorks = false;
      const refused = [
        await submit(api.baseUrl),
        await sendJson(api.baseUrl, 'POST', '/v1/batches', {
          items: [{ custom_id: 'a', prompt: 'x' }],
        }),
        await sendJson(api.baseUrl, 'POST', `/v1/generations/${before.json.id}/cancel`),
      ];
      const jsonl = await rawRequest(api.baseUrl, {
        method: 'POST',
        path: '/v1/batches',
        headers: { 'content-type': 'application/jsonl' },
        body: '{"custom_id": "a", "prompt": "x"}\n',
      });
      for (const response of refused) {
        assert.equal(response.status, 503);
        assert.equal(response.headers.get('retry-after'), '10');
        assert.equal(response.json.error.code, 'storage_unavailable');
        assert.match(response.json.error.message, /disk is full \(SQLITE_FULL\).*retry in 10 s/);
        assert.deepEqual(response.json.error.details, [{ field: 'storage', message: 'disk_full' }]);
      }
      assert.equal(jsonl.status, 503);
      assert.equal(jsonl.headers['retry-after'], '10');

      // Reads work on a full disk.
      const read = await sendJson(api.baseUrl, 'GET', `/v1/generations/${before.json.id}`);
      assert.equal(read.status, 200);
      const notReady = await sendJson(api.baseUrl, 'GET', '/readyz');
      assert.equal(notReady.status, 503);
      assert.equal(notReady.json.error.code, 'storage_unavailable');
      assert.match(notReady.json.error.message, /disk is full/);

      // Space is back: the probe's write succeeds and /readyz turns 200 without any client
      // write (a load balancer would send none while /readyz says 503).
      failing.on = false;
      probeWorks = true;
      await new Promise((resolve) => setTimeout(resolve, 1_050)); // one probe interval
      assert.equal((await sendJson(api.baseUrl, 'GET', '/readyz')).status, 200);
      const after = await submit(api.baseUrl);
      assert.equal(after.status, 202);
      await completeAsWorker(api.store, after.json.id, 'fine');
      assert.equal((await api.store.getJob(after.json.id))?.status, 'succeeded');
      assert.equal(await api.store.countJobs().then((c) => c.queued + c.succeeded), 2);
    } finally {
      await api.close();
    }
  });

  it('without a probe, /readyz recovers on the next write that succeeds; bugs stay 500', async () => {
    const failing: { on: boolean; error: () => Error } = { on: true, error: sqliteFull };
    const api = await startApi({ wrapStore: failingWrites(failing) });
    try {
      assert.equal((await submit(api.baseUrl)).status, 503);
      assert.equal((await sendJson(api.baseUrl, 'GET', '/readyz')).status, 503);
      failing.on = false;
      assert.equal((await submit(api.baseUrl)).status, 202);
      assert.equal((await sendJson(api.baseUrl, 'GET', '/readyz')).status, 200);

      // A failure that is not storage's (a constraint bug) is a 500 and leaves /readyz alone.
      failing.on = true;
      failing.error = () =>
        Object.assign(new Error('UNIQUE constraint failed'), {
          code: 'ERR_SQLITE_ERROR',
          errcode: 19,
        });
      const bug = await submit(api.baseUrl);
      assert.equal(bug.status, 500);
      assert.equal(bug.json.error.code, 'internal');
      assert.equal((await sendJson(api.baseUrl, 'GET', '/readyz')).status, 200);
    } finally {
      await api.close();
    }
  });

  it('maps Firestore unavailability (gRPC 14) on a read the same way', async () => {
    const unavailable = () =>
      Object.assign(new Error('14 UNAVAILABLE: no connection'), { code: 14 });
    let storeDown = true;
    const api = await startApi({
      wrapStore: (store) =>
        new Proxy(store, {
          get(object, name, receiver) {
            const value = Reflect.get(object, name, receiver);
            return name === 'getJob' && storeDown
              ? () => Promise.reject(unavailable())
              : typeof value === 'function'
                ? value.bind(object)
                : value;
          },
        }),
    });
    try {
      const read = await sendJson(api.baseUrl, 'GET', '/v1/generations/job_abc');
      assert.equal(read.status, 503);
      assert.match(read.json.error.message, /unavailable \(grpc 14\)/);
      assert.equal((await sendJson(api.baseUrl, 'GET', '/readyz')).status, 503);
      storeDown = false;
      assert.equal((await submit(api.baseUrl)).status, 202);
      assert.equal((await sendJson(api.baseUrl, 'GET', '/readyz')).status, 200);
    } finally {
      await api.close();
    }
  });

  it('a deadline says the write may have landed and points to Idempotency-Key', async () => {
    const deadline = () => Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4 });
    const failing = { on: true, error: deadline };
    const api = await startApi({ wrapStore: failingWrites(failing) });
    try {
      const response = await submit(api.baseUrl);
      assert.equal(response.status, 503);
      assert.equal(response.json.error.details[0].message, 'deadline_exceeded');
      assert.match(
        response.json.error.message,
        /may or may not have been applied.*Idempotency-Key/,
      );
      failing.on = false;
      assert.equal((await submit(api.baseUrl)).status, 202);
      assert.equal((await sendJson(api.baseUrl, 'GET', '/readyz')).status, 200);
    } finally {
      await api.close();
    }
  });

  it('gcp wiring: a store that stops answering gets 503 deadline_exceeded, and /readyz probes while healthy', async () => {
    let hanging = false;
    let probes = 0;
    const hangWhenCut = <T extends object>(target: T): T =>
      new Proxy(target, {
        get(object, name, receiver) {
          const value = Reflect.get(object, name, receiver);
          if (typeof value !== 'function' || name === 'close') {
            return value;
          }
          return (...args: unknown[]) =>
            hanging ? new Promise(() => {}) : value.apply(object, args);
        },
      });
    const probe = () => {
      probes += 1;
      return hanging ? new Promise<void>(() => {}) : Promise.resolve();
    };
    const api = await startApi({
      // As the API main wires BACKEND=gcp: deadlines around the ports and the probe.
      wrapStore: (store) => withCallDeadlines(hangWhenCut(store), 200, 'store'),
      wrapQueue: (queue) => withCallDeadlines(hangWhenCut(queue), 200, 'queue'),
      storageProbe: () => withinDeadline(probe, 200, 'probeService'),
      storageProbeWhileHealthy: true,
    });
    try {
      assert.equal((await sendJson(api.baseUrl, 'GET', '/readyz')).status, 200);
      assert.equal(probes, 1, 'probed while healthy');

      hanging = true;
      const refused = await submit(api.baseUrl);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '10');
      assert.deepEqual(refused.json.error.details, [
        { field: 'storage', message: 'deadline_exceeded' },
      ]);
      const read = await sendJson(api.baseUrl, 'GET', '/v1/generations/job_missing');
      assert.equal(read.status, 503, 'reads are under the deadline too');
      const ready = await sendJson(api.baseUrl, 'GET', '/readyz');
      assert.equal(ready.status, 503);

      hanging = false;
      // The probe runs at most once a second: wait for the next one to be due.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      assert.equal((await sendJson(api.baseUrl, 'GET', '/readyz')).status, 200);
      assert.equal((await submit(api.baseUrl)).status, 202);
    } finally {
      await api.close();
    }
  });
});
