import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { WarmgenApiError } from '@warmgen/client/api-error.ts';
import { createWarmgenClient } from '@warmgen/client/client.ts';
import { type RunningApi, sendJson, startApi } from './api-test-harness.ts';

const lines = (prompts: string[]) =>
  prompts.map((prompt, i) => JSON.stringify({ custom_id: `row-${i}`, prompt })).join('\n');

async function jobCount(api: RunningApi): Promise<number> {
  const counts = await api.store.countJobs();
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/**
 * Idempotency-Key on POST /v1/batches, through the typed client: the CLI's resume rests
 * on it (the same file again is the same batch, nothing queued twice).
 */
describe('POST /v1/batches with Idempotency-Key', () => {
  it('answers a retry of the same items with the first batch and queues nothing again', async () => {
    const api = await startApi({ tuning: { resultsPageSize: 2 } });
    try {
      const client = createWarmgenClient({ baseUrl: api.baseUrl });
      const jsonl = lines(['one', 'two', 'three', 'four', 'five']);
      const first = await client.submitJsonl(jsonl, { idempotencyKey: 'file-abc' });
      assert.equal(first.replayed, false);
      assert.equal(first.batch.total, 5);
      assert.equal(await api.queue.depth(), 5);

      const again = await client.submitJsonl(jsonl, { idempotencyKey: 'file-abc' });
      assert.equal(again.replayed, true);
      assert.equal(again.batch.id, first.batch.id);
      assert.equal(again.batch.total, 5);
      assert.equal(await jobCount(api), 5, 'no second set of jobs');
      assert.equal(await api.queue.depth(), 5, 'nothing published twice');

      // The same items as a JSON body are the same submission too.
      const items = ['one', 'two', 'three', 'four', 'five'].map((prompt, i) => ({
        custom_id: `row-${i}`,
        prompt,
      }));
      const json = await sendJson(
        api.baseUrl,
        'POST',
        '/v1/batches',
        { items },
        {
          'idempotency-key': 'file-abc',
        },
      );
      assert.equal(json.status, 202);
      assert.equal(json.json.id, first.batch.id);

      // Without a key, the same lines are a new batch.
      const unkeyed = await client.submitJsonl(jsonl);
      assert.notEqual(unkeyed.batch.id, first.batch.id);
      assert.equal(await jobCount(api), 10);
    } finally {
      await api.close();
    }
  });

  it('refuses the key with other items (409), whatever differs', async () => {
    const api = await startApi({ tuning: { resultsPageSize: 2 } });
    try {
      const client = createWarmgenClient({ baseUrl: api.baseUrl });
      await client.submitJsonl(lines(['a', 'b', 'c']), { idempotencyKey: 'k1' });
      const variants = {
        'a prompt': lines(['a', 'b', 'C']),
        'one item fewer': lines(['a', 'b']),
        'one item more': lines(['a', 'b', 'c', 'd']),
        params: `${lines(['a', 'b'])}\n{"custom_id":"row-2","prompt":"c","params":{"seed":1}}`,
        order: [2, 1, 0]
          .map((i) => JSON.stringify({ custom_id: `row-${i}`, prompt: 'abc'[i] }))
          .join('\n'),
      };
      for (const [what, jsonl] of Object.entries(variants)) {
        const error = await client.submitJsonl(jsonl, { idempotencyKey: 'k1' }).then(
          () => assert.fail(`${what}: accepted`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof WarmgenApiError, what);
        assert.equal(error.status, 409, what);
        assert.equal(error.code, 'idempotency_key_reused', what);
        assert.match(error.message, /Idempotency-Key "k1" was already used for batch batch_/, what);
      }
      const webhook = await client
        .submitJsonl(lines(['a', 'b', 'c']), {
          idempotencyKey: 'k1',
          webhookUrl: 'https://example.com/hook',
        })
        .catch((e: WarmgenApiError) => e);
      assert.equal((webhook as WarmgenApiError).status, 409, 'another webhook');
      assert.equal(await jobCount(api), 3);
    } finally {
      await api.close();
    }
  });

  it('makes one batch of attempts that race, and answers each with it', async () => {
    // Every attempt reads "no such batch" before any writes: each reaches createBatch, and
    // all but one lose the race there.
    let reads = 0;
    let releaseReads = () => {};
    const allRead = new Promise<void>((resolve) => {
      releaseReads = resolve;
    });
    let creates = 0;
    const api = await startApi({
      wrapStore: (store) =>
        new Proxy(store, {
          get(target, property) {
            if (property === 'getBatch') {
              return async (id: string) => {
                const batch = await target.getBatch(id);
                if (batch === null && ++reads === 6) {
                  releaseReads();
                }
                await allRead;
                return batch;
              };
            }
            if (property === 'createBatch') {
              return (input: Parameters<typeof target.createBatch>[0]) => {
                creates++;
                return target.createBatch(input);
              };
            }
            const value = Reflect.get(target, property);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
    try {
      const client = createWarmgenClient({ baseUrl: api.baseUrl });
      const jsonl = lines(Array.from({ length: 50 }, (_, i) => `prompt ${i}`));
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => client.submitJsonl(jsonl, { idempotencyKey: 'race' })),
      );
      assert.equal(new Set(answers.map((a) => a.batch.id)).size, 1);
      assert.equal(creates, 6, 'every attempt tried to create it');
      assert.equal(answers.filter((a) => !a.replayed).length, 1, 'one attempt created it');
      assert.equal(await jobCount(api), 50);
      assert.equal(await api.queue.depth(), 50);
    } finally {
      await api.close();
    }
  });

  it("keeps keys per API key: another key's same Idempotency-Key is another batch", async () => {
    const keys = ['wg_test_key_alpha_0123456789', 'wg_test_key_bravo_0123456789'];
    const keyHashes = keys.map((key) => createHash('sha256').update(key).digest('hex'));
    const api = await startApi({ auth: { mode: 'required', keyHashes, rateLimitPerMinute: 0 } });
    try {
      const jsonl = lines(['same']);
      const [alpha, bravo] = await Promise.all(
        keys.map((apiKey) =>
          createWarmgenClient({ baseUrl: api.baseUrl, apiKey }).submitJsonl(jsonl, {
            idempotencyKey: 'shared-key',
          }),
        ),
      );
      assert.ok(alpha && bravo);
      assert.notEqual(alpha.batch.id, bravo.batch.id);
      assert.equal(alpha.replayed || bravo.replayed, false);
    } finally {
      await api.close();
    }
  });

  it('names a malformed key (400) and writes nothing', async () => {
    const api = await startApi();
    try {
      const error = await createWarmgenClient({ baseUrl: api.baseUrl })
        .submitJsonl(lines(['x']), { idempotencyKey: 'has space' })
        .catch((e: WarmgenApiError) => e);
      assert.ok(error instanceof WarmgenApiError);
      assert.equal(error.status, 400);
      assert.match(error.message, /headers\/idempotency-key/);
      assert.equal(await jobCount(api), 0);
    } finally {
      await api.close();
    }
  });
});
