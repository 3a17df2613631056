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
  /**
   * The prompts admitted at each step (rows that joined the running batch together); a
   * call that failWith refused counts as one entry of its own.
   */
  readonly calls: string[][];
  /** Rows running right now. */
  running(): number;
  /** The most rows that ever ran at once. */
  peakRunning(): number;
}

interface FakeRow {
  request: GenerationRequest;
  tokens: number;
  startedAtMs: number;
  resolve(output: GenerationOutput): void;
}

/**
 * A stand-in for the GPT-2 engine that honours its interface: validate() checks positions,
 * generate() refuses an invalid row before computing, and rows from every call share one
 * running batch (continuous batching): every stepMs each running row gets one word, rows
 * submitted meanwhile join at the next step, a row leaves as soon as it is done, and a row
 * stops at the next step after its AbortSignal fires.
 */
export function createFakeEngine(options: FakeEngineOptions = {}): FakeEngine {
  const maxBatchSize = options.maxBatchSize ?? 8;
  const maxPositions = options.maxPositions ?? 1024;
  const stepMs = options.stepMs ?? 1;
  const calls: string[][] = [];
  const running: FakeRow[] = [];
  const waiting: FakeRow[] = [];
  let peak = 0;
  let stepping = false;

  const promptTokens = (prompt: string): number => prompt.split(/\s+/).filter(Boolean).length;
  const validate = (request: GenerationRequest): string | null => {
    const total = promptTokens(request.prompt) + request.params.max_new_tokens;
    return total > maxPositions
      ? `prompt + max_new_tokens is ${total} tokens, more than the ${maxPositions} positions`
      : null;
  };
  const finish = (row: FakeRow, reason: FinishReason): void => {
    const generateMs = performance.now() - row.startedAtMs;
    const output: GenerationOutput = {
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
    row.request.onDone?.(output);
    row.resolve(output);
  };
  const step = async (): Promise<void> => {
    // Rows submitted in the same tick join together, as in the real engine.
    await new Promise((resolve) => setImmediate(resolve));
    while (running.length > 0 || waiting.length > 0) {
      const joining = waiting.splice(0, maxBatchSize - running.length);
      if (joining.length > 0) {
        calls.push(joining.map((row) => row.request.prompt));
        running.push(...joining);
        peak = Math.max(peak, running.length);
      }
      await delay(stepMs);
      for (const row of [...running]) {
        let reason: FinishReason | null = null;
        if (!options.ignoreAbort && row.request.signal?.aborted) {
          reason = 'canceled';
        } else if (++row.tokens >= row.request.params.max_new_tokens) {
          reason = 'length';
        }
        if (reason !== null) {
          running.splice(running.indexOf(row), 1);
          finish(row, reason);
        }
      }
    }
  };

  return {
    maxBatchSize,
    maxPositions,
    calls,
    running: () => running.length,
    peakRunning: () => peak,
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
      const failure = options.failWith?.(requests) ?? null;
      if (failure !== null) {
        // A failed call is recorded as an admission of its own.
        calls.push(requests.map((request) => request.prompt));
        throw failure;
      }
      const outputs = requests.map(
        (request) =>
          new Promise<GenerationOutput>((resolve) => {
            waiting.push({ request, tokens: 0, startedAtMs: performance.now(), resolve });
          }),
      );
      if (!stepping) {
        stepping = true;
        void step().finally(() => {
          stepping = false;
        });
      }
      return Promise.all(outputs);
    },
  };
}
