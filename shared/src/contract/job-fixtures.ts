import { defaultGenerationParams } from '../domain/generation-params.ts';
import { newJobId } from '../domain/ids.ts';
import type { Batch, JobResult, NewJob } from '../domain/job.ts';

/** A fixed epoch for store tests: the port takes time as a parameter, so no clock is needed. */
export const t0Ms = 1_767_225_600_000;

export function newJobFixture(overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: newJobId(),
    prompt: 'Once upon a time',
    params: { ...defaultGenerationParams, max_new_tokens: 16, seed: 7, stop: ['\n\n'] },
    batchId: null,
    customId: null,
    webhook: null,
    idempotencyKey: null,
    createdAtMs: t0Ms,
    owner: null,
    ...overrides,
  };
}

export function batchFixture(id: string, itemCount: number): Batch {
  return {
    id,
    createdAtMs: t0Ms,
    itemCount,
    webhook: { url: 'https://example.test/hook', events: ['batch.completed'] },
    cancelRequested: false,
    owner: null,
    retries: 0,
    usage: null,
  };
}

export const resultFixture: JobResult = {
  text: ' there was a model.',
  promptTokens: 4,
  completionTokens: 5,
  finishReason: 'length',
  timings: { queueMs: 12, generateMs: 80, tokensPerSecond: 62.5 },
};

/** Retries an assertion until it passes or timeoutMs runs out (eventually consistent backends). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (performance.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
