import { setTimeout as delay } from 'node:timers/promises';
import type { FinishReason } from '@warmgen/shared/domain/job.ts';
import type { GenerationOutput, GenerationRequest } from '../../engine/generation-engine.ts';
import type { RunLoopEngine } from '../run-loop-ports.ts';

export interface FakeEngineOptions {
  maxBatchSize?: number;
  /** prompt words + max_new_tokens must fit, as n_positions does for GPT-2. */
  maxPositions?: number;
  /** Wall time of one decode step. */
  stepMs?: number;
  /** Called at each generate(); an Error returned is thrown instead of generating. */
  failWith?: (requests: readonly GenerationRequest[]) => Error | null;
  /** Simulates an engine stuck in a step: aborts are not honoured. */
  ignoreAbort?: boolean;
}

export interface FakeEngine extends RunLoopEngine {
  readonly maxPositions: number;
  /** The prompts of each generate() call, in call order. */
  readonly calls: string[][];
  /** generate() calls in progress right now. */
  running(): number;
}

/**
 * A stand-in for the GPT-2 engine that honours its interface: validate() checks positions,
 * generate() refuses an invalid row before computing, decodes one word per step for every
 * row at once, and stops a row at the next step after its AbortSignal fires.
 */
export function createFakeEngine(options: FakeEngineOptions = {}): FakeEngine {
  const maxBatchSize = options.maxBatchSize ?? 8;
  const maxPositions = options.maxPositions ?? 1024;
  const stepMs = options.stepMs ?? 1;
  const calls: string[][] = [];
  let inProgress = 0;

  const promptTokens = (prompt: string): number => prompt.split(/\s+/).filter(Boolean).length;
  const validate = (request: GenerationRequest): string | null => {
    const total = promptTokens(request.prompt) + request.params.max_new_tokens;
    return total > maxPositions
      ? `prompt + max_new_tokens is ${total} tokens, more than the ${maxPositions} positions`
      : null;
  };

  return {
    maxBatchSize,
    maxPositions,
    calls,
    running: () => inProgress,
    validate,
    async generate(requests) {
      if (requests.length > maxBatchSize) {
        throw new Error(`batch of ${requests.length} exceeds ${maxBatchSize}`);
      }
      for (const request of requests) {
        const problem = validate(request);
        if (problem !== null) {
          throw Object.assign(new Error(problem), { code: 'invalid_request' });
        }
      }
      calls.push(requests.map((request) => request.prompt));
      const failure = options.failWith?.(requests) ?? null;
      if (failure !== null) {
        throw failure;
      }
      inProgress += 1;
      const startedAtMs = performance.now();
      const rows = requests.map((request) => ({
        request,
        tokens: 0,
        output: null as GenerationOutput | null,
      }));
      // Like the real engine: a finished row's output goes to its onDone at once.
      const finish = (row: (typeof rows)[number], reason: FinishReason): void => {
        const generateMs = performance.now() - startedAtMs;
        row.output = {
          text: ' word'.repeat(row.tokens),
          promptTokens: promptTokens(row.request.prompt),
          completionTokens: row.tokens,
          finishReason: reason,
          timings: {
            generateMs,
            firstTokenMs: stepMs,
            tokensPerSecond: generateMs > 0 ? row.tokens / (generateMs / 1000) : 0,
          },
        };
        row.request.onDone?.(row.output);
      };
      try {
        while (rows.some((row) => row.output === null)) {
          await delay(stepMs);
          for (const row of rows) {
            if (row.output !== null) {
              continue;
            }
            if (!options.ignoreAbort && row.request.signal?.aborted) {
              finish(row, 'canceled');
            } else if (++row.tokens >= row.request.params.max_new_tokens) {
              finish(row, 'length');
            }
          }
        }
      } finally {
        inProgress -= 1;
      }
      return rows.map((row) => row.output!);
    },
  };
}
