import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { requestJson } from './e2e/service-client.ts';
import { startTcpProxy, type TcpProxy } from './e2e/tcp-proxy.ts';
import { useGcpStack } from './gcp-stack/use-gcp-stack.ts';

/**
 * A Firestore and Pub/Sub outage as the API on Google Cloud sees it: TCP proxies between
 * the API process and the emulators are cut mid-run (stopping an emulator would wipe its
 * data) and restored. While cut, every request answers within the call deadline with 503
 * and Retry-After (none with 500, none hanging) and /readyz, which probes Firestore, is
 * 503; once restored, /readyz turns 200 again and submissions are accepted.
 */
const stack = useGcpStack();
const proxies: TcpProxy[] = [];
after(() => Promise.all(proxies.map((proxy) => proxy.close())));

/** How long the test waits for /readyz: a cold start, and the gRPC channels' reconnection. */
const recoveryLimitMs = 90_000;

describe('the API through a Firestore and Pub/Sub outage', () => {
  it('answers 503 with Retry-After while cut (0 responses with 500), /readyz 503 then 200 after', async () => {
    const { secrets, endpoints, namespace } = await stack();
    const ns = await namespace();
    const firestore = await startTcpProxy(endpoints.firestoreHost);
    const pubsub = await startTcpProxy(endpoints.pubsubHost);
    proxies.push(firestore, pubsub);
    const api = await ns.startApi({
      FIRESTORE_EMULATOR_HOST: firestore.address,
      PUBSUB_EMULATOR_HOST: pubsub.address,
      // Long enough for a first call on a cold channel on a loaded machine, short for a test.
      GCP_CALL_DEADLINE_MS: '5000',
    });
    const headers = { authorization: `Bearer ${secrets.apiKey}` };
    const call = (method: string, path: string, body?: unknown) =>
      requestJson<{ id?: string; error?: { code: string; details?: { message: string }[] } }>(
        api.baseUrl,
        method,
        path,
        body,
        headers,
      );
    const statuses: number[] = [];
    const record = async (reply: Promise<Awaited<ReturnType<typeof call>>>) => {
      const answered = await reply;
      statuses.push(answered.status);
      return answered;
    };

    const untilReady = async () => {
      const since = Date.now();
      let status = 0;
      while (status !== 200 && Date.now() - since < recoveryLimitMs) {
        status = (await record(call('GET', '/readyz'))).status;
        if (status !== 200) {
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      return status;
    };
    assert.equal(await untilReady(), 200, 'ready before the outage');
    const before = await record(call('POST', '/v1/generations', { prompt: 'before' }));
    assert.equal(before.status, 202);

    await Promise.all([firestore.cut(), pubsub.cut()]);
    const during = await Promise.all([
      record(call('POST', '/v1/generations', { prompt: 'during' })),
      record(call('POST', '/v1/generations', { prompt: 'during 2' })),
      record(call('POST', '/v1/batches', { items: [{ custom_id: 'a', prompt: 'x' }] })),
      record(call('GET', `/v1/generations/${before.body.id}`)),
      record(call('GET', '/v1/capacity')),
    ]);
    for (const reply of during) {
      assert.equal(reply.status, 503, JSON.stringify(reply.body));
      assert.equal(reply.body.error?.code, 'storage_unavailable');
    }
    assert.equal((await record(call('GET', '/readyz'))).status, 503);

    await Promise.all([firestore.restore(), pubsub.restore()]);
    assert.equal(await untilReady(), 200, '/readyz recovers once Firestore answers again');
    const afterwards = await record(call('POST', '/v1/generations', { prompt: 'after' }));
    assert.equal(afterwards.status, 202);
    assert.equal(
      (await record(call('GET', `/v1/generations/${before.body.id}`))).status,
      200,
      'the job written before the outage is still there',
    );
    assert.equal(statuses.filter((status) => status === 500).length, 0);
  });
});
