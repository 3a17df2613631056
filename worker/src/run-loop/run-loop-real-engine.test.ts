import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { InProcessStreamChannel } from '@warmgen/shared/adapters/in-process/in-process-stream-channel.ts';
import { SqliteJobQueue } from '@warmgen/shared/adapters/sqlite/sqlite-job-queue.ts';
import { SqliteJobStore } from '@warmgen/shared/adapters/sqlite/sqlite-job-store.ts';
import { temporaryDatabasePath } from '@warmgen/shared/adapters/sqlite/test-database.ts';
import {
  type GenerationParams,
  resolveGenerationParams,
} from '@warmgen/shared/domain/generation-params.ts';
import type { StreamChunk } from '@warmgen/shared/ports/stream-channel.ts';
import type { GenerationEngine } from '../engine/generation-engine.ts';
import { loadEngine } from '../engine/load-engine.ts';
import { ensureModel } from '../model-builder/ensure-model.ts';
import type { RunLoopEngine } from './run-loop-ports.ts';
import { startLoop, testConfig } from './test-support/run-loop-harness.ts';

/** The run loop on every real part: tiny GPT-2 (real tokenizer), SQLite store and queue. */
describe('run loop with the real engine and SQLite', () => {
  let engine: GenerationEngine;

  before(async () => {
    engine = await loadEngine({
      modelDir: await ensureModel('tiny'),
      device: 'cpu',
      maxBatchSize: 8,
    });
  });
  after(async () => {
    await engine.dispose();
  });

  async function setUp(t: TestContext) {
    const db = temporaryDatabasePath();
    const store = SqliteJobStore.open(db.path);
    const queue = SqliteJobQueue.open(db.path, { maxAttempts: testConfig.maxAttempts });
    t.after(async () => {
      await queue.close();
      await store.close();
      db.remove();
    });
    /** Rows in the engine when each generate() call was made (the running batch). */
    const batchSizes: number[] = [];
    let running = 0;
    const counted: RunLoopEngine = {
      maxBatchSize: engine.maxBatchSize,
      validate: (request) => engine.validate(request),
      generate: async (requests) => {
        running += requests.length;
        batchSizes.push(running);
        try {
          return await engine.generate(requests);
        } finally {
          running -= requests.length;
        }
      },
    };
    const submit = async (id: string, prompt: string, params: Partial<GenerationParams>) => {
      await store.createJobs([
        {
          id,
          prompt,
          params: resolveGenerationParams({ temperature: 0, ...params }),
          batchId: null,
          customId: null,
          webhook: null,
          idempotencyKey: null,
          createdAtMs: Date.now(),
        },
      ]);
      await queue.publish([id]);
    };
    const waitForStatus = async (id: string, wanted: string, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while ((await store.getJob(id))?.status !== wanted) {
        if (Date.now() > deadline) {
          throw new Error(`${id} not ${wanted}: ${(await store.getJob(id))?.status}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    return { store, queue, engine: counted, batchSizes, submit, waitForStatus };
  }

  it('generates a micro-batch with per-row parameters and records results', async (t) => {
    const parts = await setUp(t);
    await parts.submit('a', 'Hello', { max_new_tokens: 5 });
    await parts.submit('b', 'The quick brown fox', {
      max_new_tokens: 12,
      temperature: 0.8,
      seed: 7,
    });
    await parts.submit('c', 'Café', { max_new_tokens: 1 });
    const { loop } = startLoop({ ...parts, config: { batchWindowMs: 50 } });
    t.after(() => loop.stop());
    for (const id of ['a', 'b', 'c']) {
      await parts.waitForStatus(id, 'succeeded');
    }
    // One generate() per job, all three in the engine's running batch at once.
    assert.deepEqual(parts.batchSizes, [1, 2, 3]);
    const b = await parts.store.getJob('b');
    assert.ok(b?.result && b.result.text.length > 0);
    assert.ok(b.result.promptTokens >= 4);
    assert.equal((await parts.store.getJob('c'))?.result?.completionTokens, 1);
    assert.ok(b.result.timings.tokensPerSecond > 0);
    assert.equal(await parts.queue.depth(), 0);
  });

  it("publishes each running row's text, which joins to the job's recorded text", async (t) => {
    const parts = await setUp(t);
    const channel = new InProcessStreamChannel();
    const chunks = new Map<string, StreamChunk[]>();
    for (const id of ['greedy', 'seeded', 'stopped']) {
      chunks.set(id, []);
      channel.listen(id, (chunk) => chunks.get(id)!.push(chunk));
    }
    await parts.submit('greedy', 'Café 東京', { max_new_tokens: 30 });
    await parts.submit('seeded', 'Hello', { max_new_tokens: 30, temperature: 0.9, seed: 11 });
    await parts.submit('stopped', 'Café 東京', { max_new_tokens: 30, stop: ['zzq'] });
    const { loop } = startLoop({ ...parts, stream: { channel, intervalMs: 0 } });
    t.after(() => loop.stop());
    for (const id of chunks.keys()) {
      await parts.waitForStatus(id, 'succeeded');
      const job = await parts.store.getJob(id);
      const got = chunks.get(id)!;
      assert.ok(got.length > 1, `${id}: ${got.length} chunks`);
      assert.ok(got.every((chunk) => chunk.attempt === job?.attempts));
      // Offsets say where each piece goes: each starts where the one before ended.
      got.forEach((chunk, i) => {
        assert.equal(
          chunk.offset,
          got.slice(0, i).reduce((n, c) => n + c.text.length, 0),
        );
      });
      assert.equal(got.map((chunk) => chunk.text).join(''), job?.result?.text, id);
    }
  });

  it('a cancel stops a long real generation early', async (t) => {
    const parts = await setUp(t);
    // 1000 greedy tokens take seconds on the tiny model (and it emits no EOS from "Hello").
    await parts.submit('long', 'Hello', { max_new_tokens: 1_000 });
    const { loop } = startLoop({ ...parts, config: { cancelPollMs: 50 } });
    t.after(() => loop.stop());
    await parts.waitForStatus('long', 'running');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const canceledAtMs = Date.now();
    await parts.store.requestCancel({ id: 'long', nowMs: canceledAtMs });
    await parts.waitForStatus('long', 'canceled', 2_000);
    const stopping = Date.now();
    await loop.stop();
    // The engine really stopped the row: stop() did not wait out the remaining seconds.
    assert.ok(Date.now() - stopping < 1_000, `stop took ${Date.now() - stopping} ms`);
    assert.ok(Date.now() - canceledAtMs < 2_000);
    assert.equal(await parts.queue.depth(), 0);
    // The text generated before the cancel is kept.
    const partial = (await parts.store.getJob('long'))?.result;
    assert.ok(partial, 'a canceled running job keeps its partial result');
    assert.equal(partial.finishReason, 'canceled');
    assert.ok(partial.completionTokens > 0 && partial.completionTokens < 1_000);
    assert.ok(partial.text.length > 0);
    assert.ok(partial.promptTokens >= 1);
  });
});
