import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultGenerationParams,
  type GenerationParams,
} from '@warmgen/shared/domain/generation-params.ts';
import type { GenerationOutput, GenerationRequest } from './generation-engine.ts';
import { GenerationRequestError } from './generation-request-error.ts';
import { Gpt2GenerationEngine } from './gpt2-generation-engine.ts';
import {
  createFakeForwardPass,
  FAKE_EOS,
  FAKE_VOCAB,
  fakeCodec,
} from './test-support/fake-forward-pass.ts';

/** Decode-loop bookkeeping on an exact fake graph (see fake-forward-pass.ts). */
function fakeEngine(
  options: {
    ignoreEos?: boolean;
    kvBudgetBytes?: number;
    prefillTokensPerStep?: number;
    idlePrefillTokens?: number;
    maxBatchSize?: number;
  } = {},
) {
  const forward = createFakeForwardPass();
  const engine = new Gpt2GenerationEngine({
    forward,
    codec: fakeCodec,
    maxBatchSize: options.maxBatchSize ?? 8,
    maxPositions: 40,
    vocabSize: FAKE_VOCAB,
    eosTokenId: FAKE_EOS,
    ignoreEos: options.ignoreEos ?? false,
    kvBudgetBytes: options.kvBudgetBytes ?? 1 << 20,
    prefillTokensPerStep: options.prefillTokensPerStep ?? 64,
    idlePrefillTokens: options.idlePrefillTokens ?? 512,
    release: async () => {},
  });
  return { engine, forward };
}

/** The fake cache: one layer, key and value, one float each per column. */
const FAKE_BYTES_PER_COLUMN = 8;

const greedy = (overrides: Partial<GenerationParams> = {}): GenerationParams => ({
  ...defaultGenerationParams,
  temperature: 0,
  ...overrides,
});

const prompts: GenerationRequest[] = [
  { prompt: '3', params: greedy({ max_new_tokens: 12 }) },
  { prompt: '1234567', params: greedy({ max_new_tokens: 5 }) },
  { prompt: '', params: greedy({ max_new_tokens: 9 }) },
  { prompt: '88', params: greedy({ max_new_tokens: 20 }) },
];

describe('Gpt2GenerationEngine decode loop (fake graph)', () => {
  it('gives every row the same output batched as alone, with mixed lengths', async () => {
    const { engine } = fakeEngine({ ignoreEos: true });
    const batched = await engine.generate(prompts);
    for (const [i, request] of prompts.entries()) {
      const [alone] = await engine.generate([request]);
      assert.equal(batched[i]!.text, alone!.text, `row ${i}`);
      assert.equal(batched[i]!.completionTokens, request.params.max_new_tokens);
      assert.equal(batched[i]!.finishReason, 'length');
    }
    assert.equal(new Set(batched.map((o) => o.text)).size, prompts.length);
  });

  it('drops finished rows from the next step, so a step runs only the rows still going', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    await engine.generate(prompts);
    // Prefill: the 4 prompts together, right-padded to the longest (7).
    // The cache is as wide as the longest reach ('88' + 20 new tokens), not the model's 40.
    assert.deepEqual(forward.calls[0], { rows: 4, newTokens: 7, pastColumns: 22 });
    const rowsPerStep = forward.calls.slice(1).map((call) => call.rows);
    // Rows finish after 5, 9, 12 and 20 tokens: a step runs only the rows still going.
    const expected = Array.from({ length: 19 }, (_, step) => {
      const generated = step + 1;
      return [5, 9, 12, 20].filter((max) => generated < max).length;
    });
    assert.deepEqual(rowsPerStep, expected);
  });

  it('admits a row submitted mid-decode into the running batch, same output as alone', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    const [aloneLate] = await engine.generate([prompts[1]!]);
    const [aloneEarly] = await engine.generate([prompts[3]!]);
    forward.calls.length = 0;
    let late: Promise<GenerationOutput[]> | null = null;
    const run = forward.run;
    forward.run = async (feeds) => {
      if (forward.calls.length === 4 && late === null) {
        late = engine.generate([prompts[1]!]);
      }
      return run(feeds);
    };
    const [early] = await engine.generate([prompts[3]!]);
    const [lateOutput] = await late!;
    assert.equal(early!.text, aloneEarly!.text);
    assert.equal(lateOutput!.text, aloneLate!.text);
    // The early row decoded alone, then beside the newcomer (prefilled between steps),
    // then alone again once the newcomer's 5 tokens were done; never a pass it waited out.
    const rows = forward.calls.map((call) => `${call.rows}x${call.newTokens}`);
    // (The newcomer arrives while the 5th pass runs, so it is prefilled after it.)
    assert.deepEqual(rows.slice(0, 7), ['1x2', '1x1', '1x1', '1x1', '1x1', '1x7', '2x1']);
    assert.ok(rows.slice(7).includes('1x1'));
    assert.equal(forward.calls.filter((call) => call.rows === 2).length, 4);
  });

  it("reuses a finished row's slot: never more rows than maxBatchSize, all complete", async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true, maxBatchSize: 2 });
    const alone = await Promise.all(prompts.map((p) => engine.generate([p])));
    forward.calls.length = 0;
    const together = await Promise.all(prompts.map((p) => engine.generate([p])));
    assert.deepEqual(
      together.map(([o]) => o!.text),
      alone.map(([o]) => o!.text),
    );
    assert.ok(forward.calls.every((call) => call.rows <= 2));
    // A slot freed by a short row is taken by a waiting one while the long one decodes.
    assert.ok(forward.calls.some((call, i) => i > 1 && call.newTokens > 1));
  });

  it('fails only the rows of a pass that throws; later rows run', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    const run = forward.run;
    forward.run = async (feeds) => {
      if (forward.calls.length === 2) {
        forward.calls.push({ rows: 0, newTokens: 0, pastColumns: 0 });
        throw new Error('onnxruntime: boom');
      }
      return run(feeds);
    };
    await assert.rejects(engine.generate([prompts[0]!]), /boom/);
    const [after] = await engine.generate([prompts[0]!]);
    assert.equal(after!.completionTokens, 12);
  });

  it('hands each row its output as soon as it finishes, before the slowest row ends', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    const passesAtDone: number[] = [];
    const received: GenerationOutput[] = [];
    const requests = prompts.map((request, index) => ({
      ...request,
      onDone: (output: GenerationOutput) => {
        passesAtDone[index] = forward.calls.length;
        received[index] = output;
      },
    }));
    const outputs = await engine.generate(requests);
    // Forward passes so far when each row finished: prefill plus one step per further token.
    assert.deepEqual(passesAtDone, [12, 5, 9, 20]);
    assert.equal(forward.calls.length, 20);
    // The same objects generate() returns, each with its own elapsed time.
    for (const [index, output] of outputs.entries()) {
      assert.equal(received[index], output);
    }
    assert.ok(outputs[1]!.timings.generateMs <= outputs[3]!.timings.generateMs);
  });

  it('hands an aborted row its partial output at once, while its neighbour goes on', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    const controller = new AbortController();
    let passesAtDone = 0;
    const received: GenerationOutput[] = [];
    const long: GenerationRequest = {
      prompt: '3',
      params: greedy({ max_new_tokens: 30 }),
      signal: controller.signal,
      onDone: (output) => {
        received.push(output);
        passesAtDone = forward.calls.length;
      },
    };
    const neighbour: GenerationRequest = { prompt: '88', params: greedy({ max_new_tokens: 20 }) };
    // The abort lands while the third pass computes: that pass's token is not taken.
    const run = forward.run;
    forward.run = async (feeds) => {
      const result = await run(feeds);
      if (forward.calls.length === 3) {
        controller.abort();
      }
      return result;
    };
    const [canceled, finished] = await engine.generate([long, neighbour]);
    assert.equal(received.length, 1);
    assert.equal(received[0], canceled);
    assert.equal(canceled!.finishReason, 'canceled');
    assert.equal(canceled!.completionTokens, 2);
    assert.equal(canceled!.text.length, 2);
    assert.equal(passesAtDone, 3);
    assert.equal(finished!.completionTokens, 20);
    assert.equal(forward.calls.length, 20);
  });

  it('ends a row at EOS without the EOS in its text; ignoreEos keeps going', async () => {
    const request = { prompt: '1234567', params: greedy({ max_new_tokens: 30 }) };
    const [withEos] = await fakeEngine().engine.generate([request]);
    const [ignoring] = await fakeEngine({ ignoreEos: true }).engine.generate([request]);
    const eosAt = ignoring!.text.indexOf(String(FAKE_EOS));
    assert.ok(eosAt >= 0, 'the fake emits EOS within 30 tokens for this prompt');
    assert.equal(withEos!.finishReason, 'eos');
    assert.equal(withEos!.text, ignoring!.text.slice(0, eosAt));
    assert.equal(withEos!.completionTokens, eosAt + 1);
    assert.equal(ignoring!.completionTokens, 30);
  });

  it('prefills a long prompt in chunks of the per-step budget while others decode, same result', async () => {
    const whole = await fakeEngine({ ignoreEos: true }).engine.generate(prompts);
    const chunked = fakeEngine({ ignoreEos: true, prefillTokensPerStep: 3, idlePrefillTokens: 3 });
    const outputs = await chunked.engine.generate(prompts);
    assert.deepEqual(
      outputs.map((o) => o.text),
      whole.map((o) => o.text),
    );
    // No pass prefills more than 3 tokens (padding included), so the 7-token prompt took
    // three passes (3 + 3 + 1) while the other rows went on decoding.
    const prefills = chunked.forward.calls.filter((call) => call.newTokens > 1 || call.rows === 1);
    assert.ok(
      chunked.forward.calls.every(
        (call) => call.rows * call.newTokens <= 3 || call.newTokens === 1,
      ),
    );
    assert.ok(prefills.length >= 3);
  });

  it('admits rows only while the KV budget holds them all at their full length, same result', async () => {
    const whole = await fakeEngine({ ignoreEos: true }).engine.generate(prompts);
    // Rows reach 13 ('3' + 12), 12, 10 ('' + 9) and 22 ('88' + 20) columns; 30 columns of
    // budget hold two rows of up to 13 at once, or the 22-column row alone.
    const budget = 30 * FAKE_BYTES_PER_COLUMN;
    const bounded = fakeEngine({ ignoreEos: true, kvBudgetBytes: budget });
    let peakBytes = 0;
    bounded.engine.onStep = () => {
      peakBytes = Math.max(peakBytes, bounded.engine.kvBytes);
    };
    const outputs = await bounded.engine.generate(prompts);
    assert.deepEqual(
      outputs.map((o) => o.text),
      whole.map((o) => o.text),
    );
    assert.ok(peakBytes > 0 && peakBytes <= budget, `peak ${peakBytes} > ${budget}`);
    assert.ok(bounded.forward.calls.every((call) => call.rows <= 2));
    assert.ok(
      bounded.forward.calls.every(
        (call) => call.rows * call.pastColumns * FAKE_BYTES_PER_COLUMN <= budget,
      ),
    );
  });

  it('stops at a stop sequence and cuts the text before it', async () => {
    const { engine } = fakeEngine({ ignoreEos: true });
    const [full] = await engine.generate([
      { prompt: '88', params: greedy({ max_new_tokens: 20 }) },
    ]);
    const stop = full!.text.slice(6, 8);
    const at = full!.text.indexOf(stop);
    const [cut] = await engine.generate([
      { prompt: '88', params: greedy({ max_new_tokens: 20, stop: ['zz', stop] }) },
    ]);
    assert.equal(cut!.finishReason, 'stop');
    assert.equal(cut!.text, full!.text.slice(0, at));
    assert.equal(cut!.completionTokens, at + stop.length);
  });

  it('refuses the whole call before any compute when a row does not fit', async () => {
    const { engine, forward } = fakeEngine();
    const tooLong = { prompt: '1'.repeat(30), params: greedy({ max_new_tokens: 11 }) };
    assert.match(engine.validate(tooLong) ?? '', /30 tokens.*11.*40 positions/);
    assert.equal(engine.validate({ ...tooLong, params: greedy({ max_new_tokens: 10 }) }), null);
    await assert.rejects(engine.generate([prompts[0]!, tooLong]), (error: unknown) => {
      assert.ok(error instanceof GenerationRequestError);
      assert.deepEqual([...error.rowErrors.keys()], [1]);
      return true;
    });
    const tooMany = Array.from({ length: 9 }, () => prompts[0]!);
    await assert.rejects(engine.generate(tooMany), GenerationRequestError);
    assert.equal(forward.calls.length, 0);
  });

  it('returns an aborted row as canceled with its text so far; the others go on', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    const [full] = await engine.generate([{ prompt: '3', params: greedy({ max_new_tokens: 12 }) }]);
    const controller = new AbortController();
    let steps = 0;
    const forwardRun = forward.run;
    forward.run = async (feeds) => {
      if (++steps === 4) {
        controller.abort();
      }
      return forwardRun(feeds);
    };
    const outputs = await engine.generate([
      { prompt: '3', params: greedy({ max_new_tokens: 12 }), signal: controller.signal },
      { prompt: '88', params: greedy({ max_new_tokens: 12 }) },
    ]);
    assert.equal(outputs[0]!.finishReason, 'canceled');
    assert.equal(outputs[0]!.completionTokens, 3);
    assert.equal(outputs[0]!.text, full!.text.slice(0, 3));
    assert.equal(outputs[1]!.finishReason, 'length');
    assert.equal(outputs[1]!.completionTokens, 12);
    // 12 calls for the '88' row: the 4th still ran both rows, the 8 after it only one.
    const callsAfterAbort = forward.calls.slice(-8);
    assert.ok(callsAfterAbort.every((call) => call.rows === 1));
  });

  it('does not compute for rows aborted before the call', async () => {
    const { engine, forward } = fakeEngine();
    const outputs = await engine.generate([
      { prompt: '3', params: greedy({ max_new_tokens: 5 }), signal: AbortSignal.abort() },
    ]);
    assert.deepEqual(
      { text: outputs[0]!.text, tokens: outputs[0]!.completionTokens },
      { text: '', tokens: 0 },
    );
    assert.equal(outputs[0]!.finishReason, 'canceled');
    assert.equal(forward.calls.length, 0);
  });

  it('feeds <|endoftext|> for an empty prompt and counts it as the prompt', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    const [empty] = await engine.generate([{ prompt: '', params: greedy({ max_new_tokens: 4 }) }]);
    const [bos] = await engine.generate([
      { prompt: String(FAKE_EOS), params: greedy({ max_new_tokens: 4 }) },
    ]);
    assert.equal(empty!.promptTokens, 1);
    assert.equal(empty!.text, bos!.text);
    assert.equal(forward.calls[0]!.newTokens, 1);
  });
});
